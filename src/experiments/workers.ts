/**
 * How many gradient workers an experiment uses: `--workers N`, or with 0 one per core, never more
 * than the batch has trials.
 *
 * @module
 */
import type { FlagValues } from "../cli/flags.ts";
import { defaultWorkerCount } from "../engine/factory/load_backend.ts";

/**
 * @param f The experiment's flags (`workers`, `n-batch`).
 * @returns The number of workers.
 */
export function gradientWorkers(f: FlagValues): number {
  const asked = f.workers as number;
  const batch = f["n-batch"] as number;
  return Math.max(1, Math.min(asked > 0 ? asked : defaultWorkerCount(), batch));
}

/**
 * @param backend A backend.
 * @returns " (N gradient workers)" for a backend with workers, else "".
 */
export function workerNote(backend: object): string {
  const n = (backend as { workers?: number }).workers;
  return n && n > 1 ? ` (${n} gradient workers)` : "";
}

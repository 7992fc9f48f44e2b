/**
 * The key of a run: the experiment and a hash of every flag that changes its computation, with
 * defaults filled in, so that two runs share a key exactly when they compute the same thing. A
 * sweep's run folders and job ids and a table's runs are keyed by it: editing a spec's or a
 * table's flags gives new keys (the new runs are run), never stale results under an old name.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { FlagValues } from "./flags.ts";

/**
 * Flags that never change what a run computes: where it writes, whether it resumes, how often
 * it prints or checkpoints, whether it may replace files, and the trace switch.
 */
export const BOOKKEEPING_FLAGS: readonly string[] = [
  "out",
  "resume",
  "force",
  "print-every",
  "checkpoint-every",
  "debug",
];

/**
 * The canonical text of a run's computation: the experiment and its flags sorted by name,
 * bookkeeping flags left out.
 * @param experiment The experiment (e.g. "fig3").
 * @param values All flag values, defaults filled in (as `parseFlags` returns them).
 * @param ignore Further flags that do not change the computation (e.g. `workers` where the
 *   result does not depend on it).
 * @returns JSON text.
 */
export function computationText(
  experiment: string,
  values: FlagValues,
  ignore: readonly string[] = [],
): string {
  const skip = new Set([...BOOKKEEPING_FLAGS, ...ignore]);
  const entries = Object.keys(values).filter((k) => !skip.has(k)).sort().map((k) => [k, values[k]]);
  return JSON.stringify([experiment, entries]);
}

/**
 * The key of a run: `<experiment>-<first 16 hex digits of the SHA-256 of computationText>`.
 * @param experiment The experiment.
 * @param values All flag values, defaults filled in.
 * @param ignore Further flags that do not change the computation.
 * @returns E.g. "fig3-3f2a9c0d1e2b4a5c".
 */
export function computationKey(
  experiment: string,
  values: FlagValues,
  ignore: readonly string[] = [],
): string {
  return `${experiment}-${sha256Hex(computationText(experiment, values, ignore)).slice(0, 16)}`;
}

/**
 * SHA-256 of a text or bytes, as 64 hex digits.
 * @param data The text (UTF-8) or bytes.
 * @returns The digest.
 */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

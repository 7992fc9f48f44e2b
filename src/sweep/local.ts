/**
 * A sweep on this machine: its runs in `<out>/runs/<run>`, N at a time, each resumed from its
 * checkpoint when the sweep is run again after an interruption, finished runs collected as they
 * are. Prints a line per run when it starts, resumes, finishes or fails.
 *
 * @module
 */
import { folderResults, JobInputError, runJob } from "./run_job.ts";
import type { SweepRun } from "./runs.ts";
import type { SweepSpec } from "./spec.ts";

/**
 * The folder of a run of a local sweep.
 * @param spec The sweep.
 * @param run The run.
 * @returns `<out>/runs/<folder>`.
 */
export function localRunDir(spec: SweepSpec, run: SweepRun): string {
  return `${spec.out}/runs/${run.folder}`;
}

/**
 * Runs a sweep's runs, `parallel` at a time.
 * @param spec The sweep.
 * @param runs Its runs.
 * @param options How many at once, where to print.
 * @returns How many finished, the failures' messages, and those of runs whose flags or folder
 *   were refused (bad input: exit 2, not a failed run).
 */
export async function runLocalSweep(
  spec: SweepSpec,
  runs: readonly SweepRun[],
  options: { parallel: number; log?: (line: string) => void },
): Promise<{ completed: number; failed: string[]; refused: string[] }> {
  const log = options.log ?? console.log;
  const stamp = () => new Date().toISOString().slice(11, 19);
  let next = 0, completed = 0;
  const failed: string[] = [], refused: string[] = [];
  const one = async () => {
    while (next < runs.length) {
      const i = next++;
      const run = runs[i];
      const dir = localRunDir(spec, run);
      const name = `[${i + 1}/${runs.length}] ${run.label || run.jobId}`;
      log(`${stamp()} ${name}: started in ${dir}`);
      try {
        const outcome = await runJob(run.experiment, run.flags, dir);
        completed++;
        log(
          `${stamp()} ${name}: ${
            outcome.start === "done"
              ? "already finished"
              : `done in ${outcome.seconds.toFixed(1)} s`
          }${outcome.start === "resumed" ? " (resumed from its checkpoint)" : ""}`,
        );
      } catch (e) {
        const message = `${run.label || run.jobId}: ${(e as Error).message}`;
        (e instanceof JobInputError ? refused : failed).push(message);
        log(`${stamp()} ${name}: failed: ${(e as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.parallel) }, one));
  return { completed, failed, refused };
}

/**
 * The results of a local sweep's finished runs.
 * @param spec The sweep.
 * @param runs Its runs.
 * @returns results.json of each run whose folder holds its finished results with the run's own
 *   flags, by job id (an interrupted run, or results of other flags, are left out).
 */
export async function localResults(
  spec: SweepSpec,
  runs: readonly SweepRun[],
): Promise<Map<string, unknown>> {
  const out = new Map<string, unknown>();
  for (const run of runs) {
    const r = await folderResults(run.experiment, run.values, localRunDir(spec, run));
    if (r.state === "finished") out.set(run.jobId, r.results);
  }
  return out;
}

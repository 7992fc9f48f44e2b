/**
 * `deno task sweep --spec SWEEP.json [--queue redis://HOST:PORT] [--local N]`: the runs of a
 * sweep spec (an experiment with a grid or list of flag sets), checked against the experiment's
 * flags before anything runs. Without --queue they run here, N at a time, each in
 * `<out>/runs/<run>` (a second call resumes or collects them). With --queue each run becomes a
 * BullMQ job whose id is derived from the experiment and its flags (submitting again adds only
 * the missing runs); `deno task worker` processes take them, and this command follows them.
 *
 * @module
 */
import { FlagError, type FlagSpecs } from "../cli/flags.ts";
import { commandMain, InputError, RunFailure } from "../cli/command.ts";
import {
  checkWritableDir,
  QUEUE_FLAG,
  queueOf,
  readSweep,
  SPEC_FLAG,
  TIMEOUT_FLAG,
} from "./_sweep_common.ts";
import { localRunDir, runLocalSweep } from "../sweep/local.ts";
import { JobInputError, runFolderState } from "../sweep/run_job.ts";
import { onInterrupt } from "../cli/interrupt.ts";
import { followRuns, retryFailed, submitRuns } from "../sweep/queue.ts";
import type { SweepRun } from "../sweep/runs.ts";

const FLAGS: FlagSpecs = {
  spec: SPEC_FLAG,
  queue: QUEUE_FLAG,
  local: {
    type: "int",
    default: 0,
    min: 0,
    max: 1024,
    help: "runs at once without --queue (0: cores / gradient workers per run)",
  },
  follow: {
    type: "boolean",
    default: false,
    help: "with --queue: only follow the sweep's jobs, submit nothing",
  },
  "no-follow": {
    type: "boolean",
    default: false,
    help: "with --queue: submit and return without following the jobs",
  },
  "retry-failed": {
    type: "boolean",
    default: false,
    help: "with --queue: send the sweep's failed jobs back to the queue",
  },
  timeout: TIMEOUT_FLAG,
};

const USAGE = `usage: deno task sweep --spec SWEEP.json [--queue redis://HOST:PORT] [--local N]

Runs a sweep: every run of the spec (each checked against the experiment's flags first). Without
--queue the runs go to <out>/runs/<run> on this machine, N at a time; a second call resumes
interrupted runs and skips finished ones. With --queue each run is a job on the BullMQ queue in
that Redis (the job id derives from the experiment and its flags, so submitting a sweep again adds
only missing runs); 'deno task worker' processes on any machine run them, and this command prints
a line per change of a job's state until all have finished. Then: deno task sweep:report.`;

/** Gradient workers a run uses (its --workers, or one per core for 0). */
function workersPerRun(runs: readonly SweepRun[], cores: number): number {
  let most = 1;
  for (const run of runs) {
    const w = Number(run.flags.workers ?? (run.experiment === "fig3" ? 0 : 1));
    most = Math.max(most, w > 0 ? w : cores);
  }
  return most;
}

/**
 * Runs `deno task sweep`.
 * @param args Command-line arguments.
 * @returns The exit code.
 */
export function main(args: string[]): Promise<number> {
  return commandMain(
    {
      name: "sweep",
      usage: USAGE,
      flags: FLAGS,
      check: (v, given) => {
        for (const f of ["follow", "no-follow", "retry-failed", "timeout"]) {
          if (given.has(f) && v.queue === "") {
            throw new FlagError(`--${f} applies only with --queue`);
          }
        }
        if (given.has("local") && v.queue !== "") {
          throw new FlagError("--local runs the sweep here; leave it out with --queue");
        }
        if (v.follow && v["no-follow"]) {
          throw new FlagError("--follow and --no-follow exclude each other");
        }
      },
    },
    args,
    async ({ values }) => {
      const { spec, runs } = await readSweep(values.spec as string);
      const t0 = performance.now();
      if (values.queue === "") {
        await checkWritableDir(spec.out, `the sweep's out folder`, true);
        for (const run of runs) {
          // every run folder is checked before any run starts: nothing printed, nothing run
          await runFolderState(run.experiment, run.values, localRunDir(spec, run)).catch((e) => {
            if (e instanceof JobInputError) {
              throw new InputError(`run "${run.label || run.jobId}": ${e.message}`);
            }
            throw e;
          });
        }
        const cores = navigator.hardwareConcurrency;
        const parallel = (values.local as number) ||
          Math.max(1, Math.floor(cores / workersPerRun(runs, cores)));
        console.log(
          `sweep ${spec.name}: ${runs.length} ${spec.experiment} runs here, ${parallel} at a time, in ${spec.out}/runs`,
        );
        const removeNote = onInterrupt(() =>
          `the runs in ${spec.out}/runs keep their checkpoints; run deno task sweep --spec ${values.spec} again to resume them`
        );
        const { completed, failed, refused } = await runLocalSweep(spec, runs, { parallel });
        removeNote();
        console.log(
          `sweep ${spec.name}: ${completed} of ${runs.length} runs finished in ${
            ((performance.now() - t0) / 1000).toFixed(1)
          } s; report: deno task sweep:report --spec ${values.spec}`,
        );
        if (refused.length > 0) {
          throw new InputError(`${refused.length} run(s) refused: ${refused[0]}`);
        }
        if (failed.length > 0) {
          throw new RunFailure(`${failed.length} run(s) failed: ${failed[0]}`);
        }
        return;
      }
      const queue = await queueOf(values.queue as string, values.timeout as number);
      try {
        if (!values.follow) {
          const { added, present } = await submitRuns(queue, runs);
          console.log(
            `sweep ${spec.name}: ${runs.length} ${spec.experiment} runs; ${added} added to the queue, ${present} already there`,
          );
        }
        if (values["retry-failed"]) {
          console.log(
            `sweep ${spec.name}: ${await retryFailed(queue, runs)} failed job(s) sent back`,
          );
        }
        if (values["no-follow"]) return;
        const { failed } = await followRuns(queue, runs);
        console.log(
          `sweep ${spec.name}: followed for ${
            ((performance.now() - t0) / 1000).toFixed(1)
          } s; report: deno task sweep:report --spec ${values.spec} --queue ${values.queue}`,
        );
        if (failed > 0) throw new RunFailure(`${failed} job(s) failed (see above)`);
      } finally {
        await queue.close();
      }
    },
  );
}

if (import.meta.main) Deno.exit(await main(Deno.args));

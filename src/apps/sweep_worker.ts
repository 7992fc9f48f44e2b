/**
 * `deno task worker --queue redis://HOST:PORT [--concurrency N] [--dir DIR]`: a sweep worker on
 * this machine. Takes jobs of `deno task sweep --queue`, runs each experiment in `<dir>/<job id>`,
 * reports its progress (iteration, loss, validation error) through the queue, and stores the
 * run's results.json (and where its figures are) as the job's result. A job whose worker died is
 * given to another worker after --stall-seconds and resumes from the run's last checkpoint.
 *
 * @module
 */
import type { FlagSpecs } from "../cli/flags.ts";
import { commandMain, fileError } from "../cli/command.ts";
import { checkWritableDir, QUEUE_FLAG, TIMEOUT_FLAG } from "./_sweep_common.ts";
import { checkReachable, parseRedisUrl } from "../sweep/redis_url.ts";
import { startSweepWorker } from "../sweep/worker.ts";
import { FlagError } from "../cli/flags.ts";

const FLAGS: FlagSpecs = {
  queue: QUEUE_FLAG,
  concurrency: { type: "int", default: 1, min: 1, max: 256, help: "jobs at once" },
  dir: {
    type: "string",
    default: "out/sweep-worker",
    help: "folder of the run folders (<dir>/<job id>; shared storage lets any worker resume)",
  },
  "stall-seconds": {
    type: "int",
    default: 30,
    min: 1,
    max: 86_400,
    help: "a job whose worker is silent this long goes to another worker (the lock time)",
  },
  "max-stalls": {
    type: "int",
    default: 5,
    min: 0,
    max: 1000,
    help: "times a job may be taken back from a dead worker before it fails",
  },
  timeout: TIMEOUT_FLAG,
};

const USAGE = `usage: deno task worker --queue redis://HOST:PORT [options]

Runs the jobs of sweeps submitted with 'deno task sweep --queue' until stopped (Ctrl-C). Each
job runs its experiment in <dir>/<job id>, resumed from the newest checkpoint of that folder or of
the copy kept in Redis; progress lines go to the queue as the job's progress, results.json as its
result. Bad flags and failed runs fail the job at once; crashes are retried. Redis must answer a
PING within --timeout seconds at the start (exit 2 otherwise); later outages pause the worker.`;

/**
 * Runs `deno task worker`.
 * @param args Command-line arguments.
 * @returns The exit code.
 */
export function main(args: string[]): Promise<number> {
  return commandMain(
    { name: "worker", usage: USAGE, flags: FLAGS },
    args,
    async ({ values, given }) => {
      if (values.queue === "") throw new FlagError("--queue is required: redis://HOST:PORT");
      const target = parseRedisUrl(values.queue as string);
      const dir = values.dir as string;
      await checkWritableDir(dir, "--dir", !given.has("dir"));
      await checkReachable(target, (values.timeout as number) * 1000);
      try {
        await Deno.mkdir(dir, { recursive: true });
      } catch (e) {
        throw fileError(e, `create --dir ${dir}`);
      }
      const worker = startSweepWorker({
        target,
        dir: values.dir as string,
        concurrency: values.concurrency as number,
        stallSeconds: values["stall-seconds"] as number,
        maxStalls: values["max-stalls"] as number,
      });
      console.log(
        `worker ${Deno.pid}: taking jobs from ${values.queue}, ${values.concurrency} at a time, runs in ${values.dir}`,
      );
      await new Promise<void>((resolve) => {
        const stop = () => {
          console.log(
            `worker ${Deno.pid}: stopping; running jobs go back to the queue and resume from their checkpoints (in ${dir}/<job id> and their copies in Redis) on any worker`,
          );
          // Running experiments die with this process; their jobs' locks expire and another
          // worker resumes them from their checkpoints.
          worker.close(true).catch(() => {}).finally(resolve);
          setTimeout(resolve, 3000);
        };
        Deno.addSignalListener("SIGINT", stop);
        Deno.addSignalListener("SIGTERM", stop);
      });
    },
  );
}

if (import.meta.main) Deno.exit(await main(Deno.args));

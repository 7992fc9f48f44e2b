/**
 * A sweep worker: takes jobs from the queue, runs each in `<dir>/<job id>` as a child process,
 * reports its progress lines through the queue, keeps the run's latest checkpoint in Redis (so
 * that a retry on another machine resumes it), and returns results.json as the job's result.
 *
 * Faults: a worker that dies leaves its job's lock to expire; another worker's stall check puts
 * the job back (up to `maxStalledCount` times) and whoever takes it resumes from the newer of
 * the folder's and Redis' checkpoint. Flags the experiment refuses (exit 2) and runs that fail
 * (exit 1, e.g. divergence) fail at once without retries; crashes are retried.
 *
 * @module
 */
import { hostname } from "node:os";
import { type Job, UnrecoverableError, Worker } from "bullmq";
import { FlagError } from "../cli/flags.ts";
import { checkpointPath } from "../experiments/run_dir.ts";
import { connectionOptions, type RedisTarget } from "./redis_url.ts";
import {
  checkpointKey,
  QUEUE_NAME,
  type SweepJobData,
  type SweepJobProgress,
  type SweepJobResult,
} from "./queue.ts";
import { checkRunFlags } from "./runs.ts";
import { JobInputError, JobRunError, runJob } from "./run_job.ts";
import {
  checkpointProgress,
  decodeCheckpointCopy,
  encodeCheckpointCopy,
  MAX_COPY_BYTES,
  readCheckpointCopy,
  restoreCheckpointCopy,
} from "./checkpoint_copy.ts";

/** How a worker runs. */
export interface SweepWorkerOptions {
  /** Where Redis is. */
  target: RedisTarget;
  /** Folder of the run folders. */
  dir: string;
  /** Jobs at once. */
  concurrency: number;
  /** Seconds after which the job of a silent worker is given to another (the lock duration). */
  stallSeconds: number;
  /** Times a job may be taken back from a dead worker before it fails. */
  maxStalls?: number;
  /** Where to print. */
  log?: (line: string) => void;
}

/**
 * Starts a worker.
 * @param options Queue, folders, concurrency, stall time.
 * @returns The BullMQ worker (close it to stop).
 */
export function startSweepWorker(options: SweepWorkerOptions): Worker {
  const log = options.log ?? console.log;
  const me = `${hostname()}:${Deno.pid}`;
  const stamp = () => new Date().toISOString().slice(11, 19);
  const say = (job: Job, text: string) =>
    log(`${stamp()} ${job.id} ${(job.data as SweepJobData).label}: ${text}`);

  const tooBigNoted = new Set<string>();
  const processor = async (
    job: Job<SweepJobData, SweepJobResult>,
    _token?: string,
    signal?: AbortSignal,
  ): Promise<SweepJobResult> => {
    const { experiment, flags } = job.data;
    try {
      checkRunFlags(experiment, flags);
    } catch (e) {
      if (e instanceof FlagError) throw new UnrecoverableError(`bad flags: ${e.message}`);
      throw e;
    }
    const dir = `${options.dir}/${job.id}`;
    const client = await worker.client;
    // Resume from whichever checkpoint is further: this machine's folder or Redis' copy (with
    // its side files: fig4/fig5's episode state, their results.json).
    const stored = decodeCheckpointCopy(await client.get(checkpointKey(job.id!)));
    const local = await readCheckpointCopy(dir);
    const localAt = local?.progress ??
      checkpointProgress(await Deno.readTextFile(checkpointPath(dir)).catch(() => undefined));
    if (stored !== undefined && stored.progress > localAt) {
      try {
        await restoreCheckpointCopy(dir, stored);
      } catch (e) {
        say(job, `failed: ${(e as Error).message}`);
        throw new UnrecoverableError((e as Error).message);
      }
    }
    const resumeAt = Math.max(stored?.progress ?? -1, localAt);
    const taken = `taken (attempt ${job.attemptsMade + 1}${
      job.stalledCounter > 0 ? `, after ${job.stalledCounter} dead worker(s)` : ""
    })`;
    say(job, resumeAt >= 0 ? `${taken}, resuming at ${resumeAt}` : taken);
    let start: SweepJobProgress["start"] = resumeAt >= 0 ? "resumed" : "new";
    await job.updateProgress({ worker: me, start }).catch(() => {});
    try {
      const outcome = await runJob(experiment, flags, dir, {
        signal,
        onProgress: (p) => {
          job.updateProgress({ ...p, worker: me, start }).catch(() => {});
        },
        onCheckpoint: async (copy) => {
          if (copy.bytes > MAX_COPY_BYTES) {
            if (!tooBigNoted.has(job.id!)) {
              tooBigNoted.add(job.id!);
              say(
                job,
                `its checkpoint is ${(copy.bytes / 2 ** 20).toFixed(0)} MB, over the ${
                  MAX_COPY_BYTES / 2 ** 20
                } MB kept in Redis: a retry resumes only where ${dir} is (shared storage)`,
              );
            }
            return;
          }
          await client.set(checkpointKey(job.id!), encodeCheckpointCopy(copy));
        },
      });
      start = outcome.start;
      await client.del(checkpointKey(job.id!));
      const last = (outcome.results as { test?: { error?: number } }).test?.error;
      say(
        job,
        `done in ${outcome.seconds.toFixed(1)} s (${outcome.start})${
          last !== undefined ? `, test error ${(100 * last).toFixed(1)}%` : ""
        }`,
      );
      return {
        results: outcome.results,
        dir: outcome.dir,
        host: hostname(),
        figures: outcome.figures,
        start: outcome.start,
        seconds: outcome.seconds,
      };
    } catch (e) {
      const message = (e as Error).message;
      say(job, `failed: ${message}`);
      if (e instanceof JobInputError) throw new UnrecoverableError(message);
      if (e instanceof JobRunError) throw new UnrecoverableError(message);
      throw e;
    }
  };

  const worker: Worker = new Worker(QUEUE_NAME, processor, {
    connection: connectionOptions(options.target),
    concurrency: options.concurrency,
    lockDuration: options.stallSeconds * 1000,
    stalledInterval: options.stallSeconds * 1000,
    maxStalledCount: options.maxStalls ?? 5,
    name: me,
  });
  let lost = false;
  worker.on("error", (e) => {
    if (!lost) log(`${stamp()} redis: ${e.message}; waiting for it`);
    lost = true;
  });
  worker.on("ready", () => {
    if (lost) log(`${stamp()} redis is back`);
    lost = false;
  });
  // A lock that could not be renewed (Redis was away longer than the lock lasts) means the job
  // may already run elsewhere: stop this copy; the queue decides who finishes it.
  worker.on("lockRenewalFailed", (ids: string[]) => {
    for (const id of ids) {
      log(`${stamp()} ${id}: lost its lock; stopping this copy of the run`);
      worker.cancelJob(id, "lock lost");
    }
  });
  return worker;
}

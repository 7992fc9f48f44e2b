/**
 * A sweep on a BullMQ queue (Redis): one job per run with the run's job id (so submitting a
 * sweep again adds only the runs that are missing), a follower that prints a line per change of
 * a job's state, and the finished runs' results read back from the jobs.
 *
 * @module
 */
import { type Job, Queue } from "bullmq";
import { InputError } from "../cli/command.ts";
import { checkReachable, connectionOptions, type RedisTarget } from "./redis_url.ts";
import type { SweepRun } from "./runs.ts";
import type { SpecFlags } from "./spec.ts";
import { formatProgress, type JobProgress } from "./progress.ts";

/** The queue every sweep's jobs go to. */
export const QUEUE_NAME = "eprop-sweep";

/** A job's data. */
export interface SweepJobData {
  /** The experiment. */
  experiment: string;
  /** Its flags. */
  flags: SpecFlags;
  /** The varying flags, for display. */
  label: string;
}

/** What a worker reports as a job's progress. */
export interface SweepJobProgress extends Partial<JobProgress> {
  /** The worker ("host:pid"). */
  worker?: string;
  /** Whether the run started new, resumed a checkpoint, or found its results. */
  start?: "new" | "resumed" | "done";
}

/** What a finished job returns. */
export interface SweepJobResult {
  /** The run's results.json. */
  results: unknown;
  /** The run folder on the worker. */
  dir: string;
  /** The worker's host name. */
  host: string;
  /** The figures on the worker (paths in `dir`). */
  figures: string[];
  /** How the last attempt started. */
  start: "new" | "resumed" | "done";
  /** Seconds of the last attempt. */
  seconds: number;
}

/** Attempts of a job that fails with an error a retry may cure (a crash); bad input fails once. */
export const JOB_ATTEMPTS = 3;

/** Redis key of the latest checkpoint of a job (kept while it runs, for a retry elsewhere). */
export function checkpointKey(jobId: string): string {
  return `${QUEUE_NAME}:checkpoint:${jobId}`;
}

/**
 * Waits for a promise at most `ms`.
 * @throws {InputError} With `message` when the time runs out.
 */
export async function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new InputError(message)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Opens the sweep queue after checking that Redis answers.
 * @param target Where Redis is.
 * @param timeoutMs How long to wait for it.
 * @returns The queue.
 * @throws {InputError} When Redis does not answer in time.
 */
export async function openQueue(target: RedisTarget, timeoutMs = 5000): Promise<Queue> {
  await checkReachable(target, timeoutMs);
  const queue = new Queue(QUEUE_NAME, { connection: connectionOptions(target, timeoutMs) });
  queue.on("error", () => {}); // reconnects are retried; callers see slow calls, not crashes
  try {
    const client = await withTimeout(
      queue.client,
      timeoutMs,
      `Redis at ${target.host}:${target.port} accepted a connection but did not answer in time`,
    );
    await withTimeout(
      client.get(`${QUEUE_NAME}:probe`),
      timeoutMs,
      `Redis at ${target.host}:${target.port} did not answer a GET`,
    );
  } catch (e) {
    await queue.close().catch(() => {});
    throw e;
  }
  return queue;
}

/**
 * Adds one job per run that the queue does not hold yet.
 * @param queue The queue.
 * @param runs The runs.
 * @returns How many were added and how many were there already.
 */
export async function submitRuns(
  queue: Queue,
  runs: readonly SweepRun[],
): Promise<{ added: number; present: number }> {
  let added = 0, present = 0;
  for (const run of runs) {
    if (await queue.getJob(run.jobId)) {
      present++;
      continue;
    }
    const data: SweepJobData = { experiment: run.experiment, flags: run.flags, label: run.label };
    await queue.add(run.experiment, data, {
      jobId: run.jobId,
      attempts: JOB_ATTEMPTS,
      backoff: { type: "fixed", delay: 2000 },
      removeOnComplete: false,
      removeOnFail: false,
    });
    added++;
  }
  return { added, present };
}

/**
 * A job and its state, the state read first: a job fetched before its state can carry the fields
 * of an earlier state (a "failed" job with attemptsMade 0, a "completed" one without returnvalue).
 * @param queue The queue.
 * @param id The job id.
 * @returns The job (undefined when not in the queue) and its state ("missing" then).
 */
async function jobAndState(
  queue: Queue,
  id: string,
): Promise<{ job: Job | undefined; state: string }> {
  const state = await queue.getJobState(id);
  const job = await queue.getJob(id);
  return { job, state: job && state !== "unknown" ? state : "missing" };
}

/**
 * Sends the failed jobs of a sweep back to the queue.
 * @param queue The queue.
 * @param runs The runs.
 * @returns How many were retried.
 */
export async function retryFailed(queue: Queue, runs: readonly SweepRun[]): Promise<number> {
  let n = 0;
  for (const run of runs) {
    const { job, state } = await jobAndState(queue, run.jobId);
    if (job && state === "failed") {
      await job.retry("failed");
      n++;
    }
  }
  return n;
}

/** A job's state as the follower sees it. */
interface Seen {
  state: string;
  attempts: number;
  progressAt: number;
  iteration?: number;
  worker?: string;
}

function describeJob(job: Job, state: string): string {
  const p = (job.progress ?? {}) as SweepJobProgress;
  const parts = [state];
  if (state === "active") {
    if (p.worker) parts.push(`on ${p.worker}`);
    if (p.start === "resumed") parts.push("(resumed from its checkpoint)");
    if (job.stalledCounter > 0) parts.push(`after ${job.stalledCounter} dead worker(s)`);
    if (p.iteration !== undefined && p.total !== undefined) {
      parts.push(formatProgress(p as JobProgress));
    }
  }
  if (state === "failed") parts.push(`after ${job.attemptsMade} attempt(s): ${job.failedReason}`);
  if (state === "completed") {
    const r = job.returnvalue as SweepJobResult | undefined;
    if (r) parts.push(`on ${r.host} in ${r.dir} (${r.seconds.toFixed(1)} s, ${r.start})`);
  }
  if (state === "waiting" && job.attemptsMade > 0) parts.push(`(retry ${job.attemptsMade})`);
  return parts.join(" ");
}

/**
 * Follows a sweep's jobs until each has completed or failed, printing a line when a job's state
 * changes (and its progress at most every `progressEveryMs`). Redis going away pauses it; it
 * goes on when Redis is back. Runs that are not in the queue at the start are refused (they would
 * never finish); a job removed while followed counts as failed.
 * @param queue The queue.
 * @param runs The runs.
 * @param options Where to print, how often to poll and to show progress.
 * @returns The number of completed and failed jobs.
 * @throws {InputError} When some of the runs are not in the queue.
 */
export async function followRuns(
  queue: Queue,
  runs: readonly SweepRun[],
  options: { log?: (line: string) => void; pollMs?: number; progressEveryMs?: number } = {},
): Promise<{ completed: number; failed: number }> {
  const log = options.log ?? console.log;
  const pollMs = options.pollMs ?? 1000;
  const every = options.progressEveryMs ?? 10_000;
  const seen = new Map<string, Seen>();
  const total = runs.length;
  const stamp = () => new Date().toISOString().slice(11, 19);
  let lost = false, first = true;
  const onError = (e: Error) => {
    if (!lost) log(`${stamp()} redis: ${e.message}; waiting for it`);
    lost = true;
  };
  queue.on("error", onError);
  try {
    return await followLoop();
  } finally {
    queue.off("error", onError);
  }
  async function followLoop(): Promise<{ completed: number; failed: number }> {
    while (true) {
      let completed = 0, failed = 0, missing = 0;
      try {
        for (const run of runs) {
          const { job, state } = await jobAndState(queue, run.jobId);
          if (state === "completed") completed++;
          if (state === "failed") failed++;
          if (state === "missing") {
            if (first) missing++;
            else failed++; // removed from the queue while followed: it will not finish
          }
          const before = seen.get(run.jobId);
          const now = Date.now();
          const p = (job?.progress ?? {}) as SweepJobProgress;
          const changed = !before || before.state !== state ||
            before.attempts !== (job?.attemptsMade ?? 0) ||
            (p.worker !== undefined && before.worker !== p.worker);
          const progressed = state === "active" && before !== undefined &&
            p.iteration !== before.iteration && now - before.progressAt >= every;
          if ((changed || progressed) && !(first && state === "missing")) {
            log(
              `${stamp()} ${run.jobId} ${run.label || run.experiment}: ${
                job ? describeJob(job, state) : "not in the queue"
              }`,
            );
          }
          seen.set(run.jobId, {
            state,
            attempts: job?.attemptsMade ?? 0,
            progressAt: changed || progressed ? now : before!.progressAt,
            iteration: changed || progressed ? p.iteration : before?.iteration,
            worker: p.worker,
          });
        }
        if (lost) log(`${stamp()} redis is back`);
        lost = false;
        if (first && missing > 0) {
          throw new InputError(
            `${missing} of the sweep's ${total} runs are not in the queue (submit them: leave out --follow)`,
          );
        }
        first = false;
      } catch (e) {
        if (e instanceof InputError) throw e;
        if (!lost) log(`${stamp()} redis: ${(e as Error).message}; waiting for it`);
        lost = true;
        await new Promise((r) => setTimeout(r, pollMs));
        continue;
      }
      if (completed + failed === total) {
        log(`${stamp()} sweep finished: ${completed} completed, ${failed} failed of ${total}`);
        return { completed, failed };
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }
}

/**
 * The results of the sweep's completed jobs.
 * @param queue The queue.
 * @param runs The runs.
 * @returns results.json of each completed run by job id.
 */
export async function queueResults(
  queue: Queue,
  runs: readonly SweepRun[],
): Promise<Map<string, unknown>> {
  const out = new Map<string, unknown>();
  for (const run of runs) {
    const { job, state } = await jobAndState(queue, run.jobId);
    if (job && state === "completed") {
      out.set(run.jobId, (job.returnvalue as SweepJobResult).results);
    }
  }
  return out;
}

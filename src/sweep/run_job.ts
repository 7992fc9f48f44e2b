/**
 * Runs one sweep run as a child process of the experiment's command line in its own run folder:
 * resumed from the folder's checkpoint when there is one, skipped when the folder already holds
 * its finished results with the run's own flags; never emptied (a folder with other files and no
 * checkpoint is the experiment's to refuse, exit 2). The child dies with its parent (Linux `setpriv --pdeathsig`), so a worker that is
 * killed leaves no run behind that would go on writing into the folder. Exit codes map to
 * errors: 2 bad input (retrying cannot help), 1 the run failed, anything else a crash.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { checkpointPath } from "../experiments/run_dir.ts";
import { SWEEP_EXPERIMENTS } from "./experiments.ts";
import { flagArgs, runValues } from "./runs.ts";
import { FlagError, type FlagValues } from "../cli/flags.ts";
import { BOOKKEEPING_FLAGS } from "../cli/run_key.ts";
import { fileError } from "../cli/command.ts";
import { type CheckpointCopy, readCheckpointCopy } from "./checkpoint_copy.ts";
import type { SpecFlags } from "./spec.ts";
import { type JobProgress, parseProgressLine } from "./progress.ts";

/** The repository root (the scripts and deno.json are found from it). */
export const REPO_ROOT: string = fileURLToPath(new URL("../../", import.meta.url)).replace(
  /\/$/,
  "",
);

/** The run's flags or folder were refused (exit 2): retrying cannot help. */
export class JobInputError extends Error {
  /** @param message The experiment's own error line. */
  constructor(message: string) {
    super(message);
    this.name = "JobInputError";
  }
}

/** The run itself failed (exit 1: diverged, a check failed). */
export class JobRunError extends Error {
  /** @param message The experiment's own error line. */
  constructor(message: string) {
    super(message);
    this.name = "JobRunError";
  }
}

/** What a finished run left. */
export interface JobOutcome {
  /** The run folder. */
  dir: string;
  /** Its results.json, parsed. */
  results: unknown;
  /** Its figures (PNG paths). */
  figures: string[];
  /** Whether it continued from a checkpoint, or found the results already there. */
  start: "new" | "resumed" | "done";
  /** Seconds this call took. */
  seconds: number;
}

/** How to run a job. */
export interface RunJobOptions {
  /** Called with each progress line's numbers. */
  onProgress?: (p: JobProgress) => void;
  /** Called with every line the experiment prints. */
  onLine?: (line: string) => void;
  /**
   * Called with the checkpoint and its side files each time it changes (polled once a second).
   */
  onCheckpoint?: (copy: CheckpointCopy) => Promise<void>;
  /** Stops the run (the child gets SIGTERM). */
  signal?: AbortSignal;
}

async function readResults(dir: string): Promise<unknown | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(`${dir}/results.json`));
  } catch {
    return undefined; // missing, or cut short by a kill: the run is resumed
  }
}

/**
 * The first flag whose recorded value differs from the run's (bookkeeping flags aside).
 * @param values The run's flags, defaults filled in.
 * @param recorded The flags a results.json or checkpoint recorded.
 * @returns "--name recorded, the run's value" or undefined when they agree.
 */
export function differingFlag(values: FlagValues, recorded: unknown): string | undefined {
  if (recorded === null || typeof recorded !== "object") return undefined;
  const r = recorded as Record<string, unknown>;
  for (const [k, v] of Object.entries(values)) {
    if (BOOKKEEPING_FLAGS.includes(k)) continue;
    if (r[k] !== v) {
      return `--${k} ${r[k] === undefined ? "(not recorded)" : JSON.stringify(r[k])}, not ${
        JSON.stringify(v)
      }`;
    }
  }
  return undefined;
}

/** What a run folder's results.json says. */
export type FolderResults =
  | { state: "finished"; results: unknown }
  | { state: "unfinished" }
  | { state: "foreign"; why: string };

/**
 * Whether a run folder holds the finished results of this run: results.json readable, the
 * experiment's finish marker there (fig4/fig5: the summary), and its recorded flags equal to
 * the run's. An interrupted run is never finished; results of other flags are "foreign".
 * @param experiment The experiment.
 * @param values The run's flags, defaults filled in.
 * @param dir The run folder.
 * @returns The state, with the results when finished.
 */
export async function folderResults(
  experiment: string,
  values: FlagValues,
  dir: string,
): Promise<FolderResults> {
  const r = await readResults(dir);
  if (r === undefined) return { state: "unfinished" };
  const finished = SWEEP_EXPERIMENTS[experiment].finished ?? (() => true);
  if (!finished(r)) return { state: "unfinished" };
  const diff = differingFlag(values, (r as { flags?: unknown }).flags);
  if (diff !== undefined) {
    return { state: "foreign", why: `${dir}/results.json was run with ${diff} of this run` };
  }
  return { state: "finished", results: r };
}

/**
 * What a run folder holds, checked before the run starts: its finished results (this run's
 * flags), a checkpoint to resume, or nothing (missing or empty: a new run). Anything else is
 * refused, and nothing is deleted.
 * @param experiment The experiment.
 * @param values The run's flags, defaults filled in.
 * @param dir The run folder.
 * @returns The state.
 * @throws {JobInputError} For results of other flags, or files without a checkpoint.
 */
export async function runFolderState(
  experiment: string,
  values: FlagValues,
  dir: string,
): Promise<{ state: "finished"; results: unknown } | { state: "resume" | "new" }> {
  const done = await folderResults(experiment, values, dir);
  if (done.state === "finished") return done;
  if (done.state === "foreign") {
    throw new JobInputError(`${done.why}; it is not this run's: move it away`);
  }
  if (await exists(checkpointPath(dir))) return { state: "resume" };
  const first = await firstEntry(dir);
  if (first !== undefined) {
    throw new JobInputError(
      `the run folder ${dir} holds ${first} but no checkpoint.json; the sweep deletes nothing it did not write: move it away, then run again`,
    );
  }
  return { state: "new" };
}

/** The first entry of a folder (undefined when it is missing or empty). */
async function firstEntry(dir: string): Promise<string | undefined> {
  try {
    for await (const e of Deno.readDir(dir)) return e.name;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw new JobInputError(fileError(e, `read the run folder ${dir}`).message);
  }
  return undefined;
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

async function figures(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) if (e.name.endsWith(".png")) names.push(e.name);
  return names.sort().map((n) => `${dir}/${n}`);
}

let setprivPath: string | null | undefined;

/** `setpriv` where it exists (util-linux), so that the child dies with its parent. */
async function setpriv(): Promise<string | null> {
  if (setprivPath === undefined) {
    setprivPath = null;
    for (const p of ["/usr/bin/setpriv", "/bin/setpriv"]) {
      if (await exists(p)) {
        setprivPath = p;
        break;
      }
    }
  }
  return setprivPath;
}

/** Splits a byte stream into lines. */
async function eachLine(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
): Promise<void> {
  let rest = "";
  const decoder = new TextDecoder();
  for await (const bytes of stream) {
    const parts = (rest + decoder.decode(bytes, { stream: true })).split("\n");
    rest = parts.pop()!;
    for (const p of parts) onLine(p);
  }
  if (rest !== "") onLine(rest);
}

/**
 * The command line of a run.
 * @param experiment The experiment.
 * @param flags Its flags.
 * @param dir The run folder.
 * @param resume Whether to continue its checkpoint.
 * @returns The program and its arguments.
 */
export async function jobCommand(
  experiment: string,
  flags: SpecFlags,
  dir: string,
  resume: boolean,
): Promise<{ program: string; args: string[] }> {
  const spec = SWEEP_EXPERIMENTS[experiment];
  const deno = [
    "run",
    "--config",
    `${REPO_ROOT}/deno.json`,
    "--allow-read",
    "--allow-write",
    ...(spec.permissions ?? []),
    `${REPO_ROOT}/${spec.script}`,
    ...flagArgs(flags),
    "--out",
    dir,
    ...(resume ? ["--resume"] : []),
  ];
  const wrap = await setpriv();
  return wrap
    ? { program: wrap, args: ["--pdeathsig", "KILL", Deno.execPath(), ...deno] }
    : { program: Deno.execPath(), args: deno };
}

/**
 * Runs (or resumes, or collects) one run in its folder.
 * @param experiment The experiment.
 * @param flags Its flags (no --out, --resume).
 * @param dir The run folder (created when missing; never emptied: with files but no checkpoint
 *   the experiment refuses it, exit 2, and nothing is deleted).
 * @param options Progress callbacks and a stop signal.
 * @returns The results.
 * @throws {JobInputError} Exit code 2.
 * @throws {JobRunError} Exit code 1.
 * @throws {Error} Any other end (a signal, a crash).
 */
export async function runJob(
  experiment: string,
  flags: SpecFlags,
  dir: string,
  options: RunJobOptions = {},
): Promise<JobOutcome> {
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  let values: FlagValues;
  try {
    values = runValues(experiment, flags);
  } catch (e) {
    if (e instanceof FlagError) throw new JobInputError(e.message);
    throw e;
  }
  const done = await runFolderState(experiment, values, dir);
  if (done.state === "finished") {
    return {
      dir,
      results: done.results,
      figures: await figures(dir),
      start: "done",
      seconds: seconds(),
    };
  }
  const resume = done.state === "resume";
  try {
    await Deno.mkdir(dir, { recursive: true });
  } catch (e) {
    throw new JobInputError(fileError(e, `create the run folder ${dir}`).message);
  }
  const { program, args } = await jobCommand(experiment, flags, dir, resume);
  const child = new Deno.Command(program, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const stop = () => {
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
  };
  options.signal?.addEventListener("abort", stop);
  const errors: string[] = [];
  const onOut = (line: string) => {
    options.onLine?.(line);
    const p = parseProgressLine(line);
    if (p) options.onProgress?.(p);
  };
  const onErr = (line: string) => {
    options.onLine?.(line);
    if (line.trim() !== "") errors.push(line.trim());
    if (errors.length > 20) errors.shift();
  };
  let lastCheckpoint = 0;
  let polling = Promise.resolve();
  const poll = options.onCheckpoint
    ? setInterval(() => {
      polling = polling.then(async () => {
        const info = await Deno.stat(checkpointPath(dir)).catch(() => undefined);
        const t = info?.mtime?.getTime() ?? 0;
        if (t === 0 || t === lastCheckpoint) return;
        const copy = await readCheckpointCopy(dir);
        if (copy === undefined) return; // being replaced: read it at the next poll
        lastCheckpoint = t;
        await options.onCheckpoint!(copy).catch(() => {});
      });
    }, 1000)
    : undefined;
  let status: Deno.CommandStatus;
  try {
    [status] = await Promise.all([
      child.status,
      eachLine(child.stdout, onOut),
      eachLine(child.stderr, onErr),
    ]);
  } finally {
    if (poll !== undefined) clearInterval(poll);
    await polling;
    options.signal?.removeEventListener("abort", stop);
  }
  const last = errors.at(-1) ?? "";
  if (status.code === 2) throw new JobInputError(last || "the experiment refused its input");
  if (status.code === 1) throw new JobRunError(last || "the run failed");
  if (status.code !== 0 || status.signal) {
    throw new Error(
      `the experiment ended with ${
        status.signal ? `signal ${status.signal}` : `exit ${status.code}`
      }${last ? `: ${last}` : ""}`,
    );
  }
  const after = await folderResults(experiment, values, dir);
  if (after.state === "foreign") throw new JobRunError(after.why);
  if (after.state !== "finished") {
    throw new Error(`the run left no finished ${dir}/results.json`);
  }
  const results = after.results;
  return {
    dir,
    results,
    figures: await figures(dir),
    start: resume ? "resumed" : "new",
    seconds: seconds(),
  };
}

/**
 * Output folders of experiment runs. A run writes only into a folder that is new, empty, or a run
 * of its own kind being resumed; anything else is refused before any work, and so is a folder it
 * cannot write to. `--resume` continues the checkpoint in the folder with the flags it was
 * started with; only the flags an experiment lists as changeable on resume (the learning rate,
 * the iteration budget, how often to print) may differ, and changes of the first two are kept in
 * the run's history.
 *
 * @module
 */
import type { ResumeRecord, TrainingState } from "../train/checkpoint.ts";
import { loadCheckpoint, saveCheckpoint } from "../train/checkpoint_file.ts";
import type { TrainerOptions } from "../train/trainer.ts";
import { type FlagSpecs, type FlagValues, parseFlags } from "../cli/flags.ts";
import { fileError, InputError } from "../cli/command.ts";
import { resumeFlags } from "../cli/resume_flags.ts";
import { probeWritable, statIfExists as stat } from "../cli/outputs.ts";

/** Flags whose change on resume is recorded (they change the computation). */
const RECORDED = ["learning-rate", "n-iter"];

/**
 * The checkpoint file of a run folder.
 * @param out The folder.
 * @returns Its checkpoint's path.
 */
export function checkpointPath(out: string): string {
  return `${out}/${CHECKPOINT_FILE}`;
}

/** The name of a run folder's checkpoint. */
const CHECKPOINT_FILE = "checkpoint.json";

/**
 * How a training run checkpoints into its run folder: to {@linkcode checkpointPath} of `--out`,
 * every `--checkpoint-every` iterations, with its flags, kind and resume history.
 *
 * @param f The run's flags (`out`, `checkpoint-every`).
 * @param kind The experiment (the checkpoint's kind).
 * @param history Flags changed on earlier resumes.
 * @returns The trainer's checkpoint options.
 */
export function runCheckpoint(
  f: FlagValues,
  kind: string,
  history?: ResumeRecord[],
): NonNullable<TrainerOptions["checkpoint"]> {
  return {
    store: (cp) => saveCheckpoint(checkpointPath(f.out as string), cp),
    every: f["checkpoint-every"] as number,
    flags: f,
    kind,
    history,
  };
}

/**
 * Prepares the output folder of a task that is not resumed (verification, a report): a new or
 * empty folder, or one that holds this task's earlier output (its results.json names the task),
 * which it replaces. Anything else is refused, and so is a folder it cannot write to.
 *
 * @param out The folder.
 * @param kind The task, as written in its results.json ("task").
 * @throws {InputError} Naming the folder and what to do.
 */
export async function prepareOutputDir(out: string, kind: string): Promise<void> {
  const info = await stat(out);
  if (info && !info.isDirectory) throw new InputError(`--out ${out} is a file; give a folder`);
  if (info) {
    const names = await listDir(out);
    if (names.length > 0) {
      let task: unknown;
      try {
        task = JSON.parse(await Deno.readTextFile(`${out}/results.json`)).task;
      } catch {
        task = undefined;
      }
      if (task !== kind) {
        throw new InputError(
          `--out ${out} holds files that are not an earlier ${kind} output (${
            names.slice(0, 3).join(", ")
          }${names.length > 3 ? ", ..." : ""}); choose a new or empty folder`,
        );
      }
    }
  }
  try {
    await Deno.mkdir(out, { recursive: true });
  } catch (e) {
    throw fileError(e, `create --out ${out}`);
  }
  await probeWritable(out, `write into --out ${out}`);
}

/** A prepared run: flags to use, and the state and history to resume from. */
export interface PreparedRun {
  /** Flags (the checkpoint's, with the changeable ones given now). */
  values: FlagValues;
  /** State to resume from, if resuming. */
  state?: TrainingState;
  /** Flags changed on resume, oldest first (including this resume). */
  history: ResumeRecord[];
}

/**
 * Prepares a run folder.
 * @param out The folder.
 * @param flags The experiment's kind, parsed flags, the names given explicitly, and the flags
 *   that may change on resume.
 * @returns The flags to use (the checkpoint's on resume), the state and history to resume from.
 * @throws {InputError} When the folder is a file, holds a run or other files (new run), holds no
 *   readable checkpoint of this kind (resume), a given flag contradicts the checkpoint, or the
 *   folder cannot be created or written.
 */
export async function prepareRunDir(
  out: string,
  flags: {
    kind: string;
    values: FlagValues;
    given: Set<string>;
    resume: boolean;
    mutable: readonly string[];
  },
): Promise<PreparedRun> {
  if (!flags.resume) {
    await checkNewRunDir(out, flags.kind);
    await createRunDir(out);
    return { values: flags.values, history: [] };
  }
  const path = await findCheckpoint(out);
  let checkpoint;
  try {
    checkpoint = await loadCheckpoint(path, flags.kind);
  } catch (e) {
    throw checkpointError(e, path);
  }
  const { values, change } = resumeFlags({
    saved: checkpoint.flags as FlagValues,
    values: flags.values,
    given: flags.given,
    mutable: flags.mutable,
    recorded: RECORDED,
    iteration: checkpoint.state.iteration,
  });
  await probeWritable(out, `write into --out ${out}`);
  const history = [...(checkpoint.history ?? [])];
  if (change) history.push(change);
  return { values, state: checkpoint.state, history };
}

/**
 * Checks a folder for a new run: it may be missing or empty; a file, a folder that holds a run
 * (its checkpoint) or other files is refused. Creates nothing (see {@linkcode createRunDir}).
 *
 * @param out The folder.
 * @param kind The task that would run there (named in the hint to resume instead).
 * @throws {InputError} Naming the folder and what to do.
 */
export async function checkNewRunDir(out: string, kind: string): Promise<void> {
  const info = await stat(out);
  if (!info) return;
  if (!info.isDirectory) throw new InputError(`--out ${out} is a file; give a folder`);
  const names = await listDir(out);
  if (names.includes(CHECKPOINT_FILE)) {
    throw new InputError(
      `${out} already holds a run (${CHECKPOINT_FILE}); pass --resume to continue it or choose another --out (to continue: deno task ${kind} --resume --out ${out})`,
    );
  }
  if (names.length > 0) {
    throw new InputError(
      `--out ${out} holds files but no run (${names.slice(0, 3).join(", ")}${
        names.length > 3 ? ", ..." : ""
      }); choose a new or empty folder`,
    );
  }
}

/**
 * Creates a run folder (or keeps the existing one) and checks that it can be written.
 *
 * @param out The folder.
 * @throws {InputError} When it cannot be created or written.
 */
export async function createRunDir(out: string): Promise<void> {
  try {
    await Deno.mkdir(out, { recursive: true });
  } catch (e) {
    throw fileError(e, `create --out ${out}`);
  }
  await probeWritable(out, `write into --out ${out}`);
}

/**
 * The checkpoint of a run to resume: the folder exists, is a folder, and holds a checkpoint.
 *
 * @param out The folder.
 * @returns The checkpoint's path ({@linkcode checkpointPath}).
 * @throws {InputError} When there is nothing to resume.
 */
export async function findCheckpoint(out: string): Promise<string> {
  const info = await stat(out);
  if (!info) throw new InputError(`--resume: ${out} does not exist (nothing to resume)`);
  if (!info.isDirectory) throw new InputError(`--out ${out} is a file; give a folder`);
  const path = checkpointPath(out);
  if (!(await stat(path))) {
    throw new InputError(`--resume: no checkpoint at ${path} (nothing to resume)`);
  }
  return path;
}

/**
 * Restates a checkpoint reader's refusal for the command line: another experiment's run names
 * the task to resume it with; a damaged checkpoint says that the run cannot continue.
 *
 * @param e What the reader threw ("Cannot resume: ..." or "Cannot resume ...: ... run, not ...").
 * @param path The checkpoint.
 * @returns The error to throw.
 */
export function checkpointError(e: unknown, path: string): InputError {
  const message = (e as Error)?.message ?? String(e);
  if (message.includes(" run, not ")) {
    return new InputError(message.replace(/^Cannot resume/, "--resume"));
  }
  return new InputError(
    `${message.replace(/^Cannot resume: /, `cannot resume from ${path}: `)}` +
      "; this run cannot continue: start a new one in another --out",
  );
}

/** The names in a folder, sorted. */
async function listDir(dir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  } catch (e) {
    throw fileError(e, `read --out ${dir}`);
  }
  return names.sort();
}

/**
 * Parses an experiment's flags, checks them and prepares its run folder (see
 * {@linkcode prepareRunDir}).
 * @param args Command-line arguments.
 * @param spec The experiment's kind, flags, those that may change on resume, and a check of the
 *   final values.
 * @returns The flags to use, and the state and history to resume from.
 * @throws {FlagError} For a bad flag.
 * @throws {InputError} For a bad run folder or checkpoint.
 */
export async function startRun(
  args: string[],
  spec: {
    kind: string;
    flags: FlagSpecs;
    mutable: readonly string[];
    check?: (values: FlagValues) => void;
  },
): Promise<PreparedRun> {
  const parsed = parseFlags(args, spec.flags);
  if (!parsed.values.resume) spec.check?.(parsed.values); // before the run folder is made
  const prepared = await prepareRunDir(parsed.values.out as string, {
    kind: spec.kind,
    values: parsed.values,
    given: parsed.given,
    resume: parsed.values.resume as boolean,
    mutable: spec.mutable,
  });
  spec.check?.(prepared.values);
  return prepared;
}

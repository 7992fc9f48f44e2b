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
import { loadCheckpoint } from "../train/checkpoint_file.ts";
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
  return `${out}/checkpoint.json`;
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
    const names: string[] = [];
    for await (const entry of Deno.readDir(out)) names.push(entry.name);
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
  const info = await stat(out);
  if (info && !info.isDirectory) throw new InputError(`--out ${out} is a file; give a folder`);
  const path = checkpointPath(out);
  const hasCheckpoint = info !== undefined && (await stat(path)) !== undefined;
  if (!flags.resume) {
    if (hasCheckpoint) {
      throw new InputError(
        `${out} already holds a run (${path}); pass --resume to continue it or choose another --out`,
      );
    }
    if (info) {
      const names: string[] = [];
      for await (const entry of Deno.readDir(out)) names.push(entry.name);
      if (names.length > 0) {
        throw new InputError(
          `--out ${out} holds files but no run (${names.slice(0, 3).join(", ")}${
            names.length > 3 ? ", ..." : ""
          }); choose a new or empty folder`,
        );
      }
    }
    try {
      await Deno.mkdir(out, { recursive: true });
    } catch (e) {
      throw fileError(e, `create --out ${out}`);
    }
    await probeWritable(out, `write into --out ${out}`);
    return { values: flags.values, history: [] };
  }
  if (!info) throw new InputError(`--resume: ${out} does not exist`);
  if (!hasCheckpoint) throw new InputError(`--resume: no checkpoint at ${path}`);
  let checkpoint;
  try {
    checkpoint = await loadCheckpoint(path, flags.kind);
  } catch (e) {
    const message = (e as Error).message;
    if (message.includes(" run, not ")) {
      throw new InputError(message.replace(/^Cannot resume/, "--resume"));
    }
    throw new InputError(
      `${message.replace(/^Cannot resume: /, `cannot resume from ${path}: `)}` +
        "; this run cannot continue: start a new one in another --out",
    );
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

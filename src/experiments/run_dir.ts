/**
 * Output folders of experiment runs: a new run refuses to overwrite an existing one, and
 * `--resume` continues the checkpoint in the folder with the flags it was started with.
 *
 * @module
 */
import type { TrainingState } from "../train/checkpoint.ts";
import { loadCheckpoint } from "../train/checkpoint_file.ts";
import { FlagError, type FlagSpecs, type FlagValues, parseFlags } from "../cli/flags.ts";

/** The checkpoint file of a run folder. */
export function checkpointPath(out: string): string {
  return `${out}/checkpoint.json`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Prepares a run folder.
 * @param out The folder.
 * @param flags Parsed flags, the names given explicitly, and the flags that may change on resume.
 * @returns The flags to use (the checkpoint's on resume) and the state to resume from, if any.
 * @throws {FlagError} When a new run would overwrite a checkpoint, a resume finds none, or a
 *   given flag contradicts the checkpoint.
 */
export async function prepareRunDir(
  out: string,
  flags: { values: FlagValues; given: Set<string>; resume: boolean; mutable: readonly string[] },
): Promise<{ values: FlagValues; state?: TrainingState }> {
  const path = checkpointPath(out);
  if (!flags.resume) {
    if (await exists(path)) {
      throw new FlagError(
        `${out} already holds a run (${path}); pass --resume to continue it or choose another --out`,
      );
    }
    await Deno.mkdir(out, { recursive: true });
    return { values: flags.values };
  }
  if (!(await exists(path))) throw new FlagError(`--resume: no checkpoint at ${path}`);
  const checkpoint = await loadCheckpoint(path);
  const saved = checkpoint.flags as FlagValues;
  const values: FlagValues = { ...flags.values, ...saved };
  for (const name of flags.given) {
    if (flags.mutable.includes(name)) {
      values[name] = flags.values[name];
      continue;
    }
    if (name in saved && saved[name] !== flags.values[name]) {
      throw new FlagError(
        `--${name} ${flags.values[name]} contradicts the checkpoint, which was run with --${name} ${
          saved[name]
        }`,
      );
    }
  }
  return { values, state: checkpoint.state };
}

/**
 * Parses an experiment's flags, checks them and prepares its run folder (see
 * {@linkcode prepareRunDir}).
 * @param args Command-line arguments.
 * @param spec The flags, those that may change on resume, and a check of the final values.
 * @returns The flags to use and the state to resume from, if any.
 * @throws {FlagError} For a bad flag, a folder that holds a run, or a contradicting resume.
 */
export async function startRun(
  args: string[],
  spec: { flags: FlagSpecs; mutable: readonly string[]; check?: (values: FlagValues) => void },
): Promise<{ values: FlagValues; state?: TrainingState }> {
  const parsed = parseFlags(args, spec.flags);
  if (!parsed.values.resume) spec.check?.(parsed.values); // before the run folder is made
  const prepared = await prepareRunDir(parsed.values.out as string, {
    values: parsed.values,
    given: parsed.given,
    resume: parsed.values.resume as boolean,
    mutable: spec.mutable,
  });
  spec.check?.(prepared.values);
  return prepared;
}

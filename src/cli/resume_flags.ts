/**
 * Resume means the run's own flags: a resumed run takes every flag from its checkpoint; a flag
 * given again must equal the recorded one, or be one of the few an experiment lets change (the
 * learning rate, the budget, how often to print or checkpoint); changes of those that change
 * the computation are recorded in the run's history. One function for every experiment.
 *
 * @module
 */
import { InputError } from "./command.ts";
import type { FlagValues } from "./flags.ts";
import type { ResumeRecord } from "../train/checkpoint.ts";

/** What {@linkcode resumeFlags} needs. */
export interface ResumeFlagsInput {
  /** The flags recorded in the checkpoint. */
  saved: FlagValues;
  /** The flags parsed now (defaults filled in). */
  values: FlagValues;
  /** The flags given explicitly now. */
  given: Set<string>;
  /** Flags that may change on resume (besides `resume` and `out`, which always may). */
  mutable: readonly string[];
  /** Of the mutable ones, those whose change is recorded (they change the computation). */
  recorded: readonly string[];
  /** Where the run stands (for the history record). */
  iteration: number;
  /**
   * For flags newer than some checkpoints: the value that a checkpoint without the flag ran
   * with (the behaviour before the flag existed), used instead of today's default.
   */
  absentMeans?: FlagValues;
}

/**
 * The flags a resumed run continues with.
 * @param input The recorded and the given flags, and which may change.
 * @returns The flags to use (recorded ones, the mutable ones given now, and defaults for flags
 *   newer than the checkpoint) and the record of this resume's changes (undefined if none).
 * @throws {InputError} When a given flag contradicts the checkpoint, naming it and both values.
 */
export function resumeFlags(input: ResumeFlagsInput): {
  values: FlagValues;
  change?: ResumeRecord;
} {
  const { saved, values: now, given } = input;
  const mutable = new Set([...input.mutable, "resume", "out", "debug"]);
  const values: FlagValues = { ...now, ...(input.absentMeans ?? {}), ...saved };
  const changed: Record<string, [unknown, unknown]> = {};
  for (const name of given) {
    if (mutable.has(name)) {
      if (input.recorded.includes(name) && name in saved && saved[name] !== now[name]) {
        changed[name] = [saved[name], now[name]];
      }
      values[name] = now[name];
      continue;
    }
    const ran = name in saved ? saved[name] : input.absentMeans?.[name];
    if (ran !== undefined && ran !== now[name]) {
      const may = input.mutable.filter((m) => !["resume", "out", "debug"].includes(m));
      throw new InputError(
        `--${name} ${
          now[name]
        } contradicts the checkpoint, which was run with --${name} ${ran} (on resume only ${
          may.map((m) => `--${m}`).join(", ")
        } may change)`,
      );
    }
  }
  return {
    values,
    change: Object.keys(changed).length > 0 ? { iteration: input.iteration, changed } : undefined,
  };
}

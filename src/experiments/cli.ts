/**
 * The command-line entry of an experiment: `--help`, flags and run folder, the run, its outputs,
 * and exit codes (0 done, 1 training diverged, 2 bad flags, run folder or checkpoint), through
 * the shared command layer.
 *
 * @module
 */
import type { FlagSpecs, FlagValues } from "../cli/flags.ts";
import { commandMain } from "../cli/command.ts";
import type { ResumeRecord, TrainingState } from "../train/checkpoint.ts";
import { DivergenceError } from "../train/trainer.ts";
import { startRun } from "./run_dir.ts";

/** What an experiment plugs into {@linkcode experimentMain}. */
export interface ExperimentCli<Run> {
  /** Task name, e.g. "fig3" (also the kind stored in its checkpoints). */
  name: string;
  /** Usage text shown above the flags. */
  usage: string;
  /** Its flags. */
  flags: FlagSpecs;
  /** Flags that may change on resume. */
  mutable: readonly string[];
  /** Check of flag combinations and sizes, before any work. */
  check?: (values: FlagValues) => void;
  /** Trains (or resumes). */
  run: (
    values: FlagValues,
    resume: { state?: TrainingState; history: ResumeRecord[] },
  ) => Promise<Run>;
  /** Writes results and figures; returns a summary to print. */
  write: (run: Run) => Promise<string>;
}

/**
 * Runs an experiment from the command line.
 * @param cli The experiment.
 * @param args Command-line arguments.
 * @returns The exit code.
 */
export function experimentMain<Run>(cli: ExperimentCli<Run>, args: string[]): Promise<number> {
  return commandMain(
    { name: cli.name, usage: cli.usage, flags: cli.flags },
    args,
    async ({ args }) => {
      const { values, state, history } = await startRun(args, { kind: cli.name, ...cli });
      try {
        const run = await cli.run(values, { state, history });
        try {
          console.log(await cli.write(run));
        } finally {
          (run as { backend?: { dispose(): void } }).backend?.dispose();
        }
      } catch (e) {
        if (e instanceof DivergenceError) {
          const lr = values["learning-rate"] as number;
          e.message += `\nTo continue from the last checkpoint with a lower learning rate: ` +
            `deno task ${cli.name} --resume --out ${values.out} --learning-rate ${lr / 2}`;
        }
        throw e;
      }
    },
  );
}

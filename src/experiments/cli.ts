/**
 * The command-line entry of an experiment: `--help`, flags and run folder, the run, its outputs,
 * and exit codes (0 done, 1 training diverged, 2 bad flags or run folder).
 *
 * @module
 */
import { FlagError, flagHelp, type FlagSpecs, type FlagValues } from "../cli/flags.ts";
import type { TrainingState } from "../train/checkpoint.ts";
import { DivergenceError } from "../train/trainer.ts";
import { startRun } from "./run_dir.ts";

/** What an experiment plugs into {@linkcode experimentMain}. */
export interface ExperimentCli<Run> {
  /** Task name, e.g. "fig3". */
  name: string;
  /** Usage text shown above the flags. */
  usage: string;
  /** Its flags. */
  flags: FlagSpecs;
  /** Flags that may change on resume. */
  mutable: readonly string[];
  /** Check of flag combinations. */
  check?: (values: FlagValues) => void;
  /** Trains (or resumes). */
  run: (values: FlagValues, state: TrainingState | undefined) => Promise<Run>;
  /** Writes results and figures; returns a summary to print. */
  write: (run: Run) => Promise<string>;
}

/**
 * Runs an experiment from the command line.
 * @param cli The experiment.
 * @param args Command-line arguments.
 * @returns The exit code.
 */
export async function experimentMain<Run>(
  cli: ExperimentCli<Run>,
  args: string[],
): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(flagHelp(cli.usage, cli.flags));
    return 0;
  }
  try {
    const { values, state } = await startRun(args, cli);
    console.log(await cli.write(await cli.run(values, state)));
    return 0;
  } catch (e) {
    if (e instanceof FlagError) {
      console.error(`${cli.name}: ${e.message}\n(see deno task ${cli.name} --help)`);
      return 2;
    }
    if (e instanceof DivergenceError) {
      console.error(`${cli.name}: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

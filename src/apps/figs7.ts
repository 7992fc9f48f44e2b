/**
 * `deno task figS7`: Fig. S7 of the e-prop paper, pattern generation with 100 LIF neurons trained
 * by e-prop (or BPTT) with gradient descent. Prints progress, writes figures (SVG and PNG),
 * results.json and checkpoints to --out; `--resume` continues a run; `--gradient-check` compares
 * e-prop and eq. (1) with BPTT first (sequences of at most 20 steps). `--help` lists the flags.
 *
 * @module
 */
import {
  checkFigS7Flags,
  FIGS7_FLAGS,
  FIGS7_MUTABLE_FLAGS,
  runFigS7,
} from "../experiments/figs7.ts";
import { writeFigS7Outputs } from "../experiments/figs7_outputs.ts";
import { experimentMain } from "../experiments/cli.ts";

const USAGE = `usage: deno task figS7 [options]

Trains 100 LIF neurons to generate a sum of sines from a frozen Poisson input (Fig. S7) with
e-prop or BPTT, and writes figures, results.json and checkpoints to --out.`;

/**
 * Runs `deno task figS7`.
 * @param args Command-line arguments.
 * @returns The exit code.
 */
export function main(args: string[]): Promise<number> {
  return experimentMain({
    name: "figS7",
    usage: USAGE,
    flags: FIGS7_FLAGS,
    mutable: FIGS7_MUTABLE_FLAGS,
    check: checkFigS7Flags,
    run: (values, resume) => runFigS7(values, resume),
    write: writeFigS7Outputs,
  }, args);
}

if (import.meta.main) Deno.exit(await main(Deno.args));

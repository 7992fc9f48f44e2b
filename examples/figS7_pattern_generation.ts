/**
 * `deno task figS7`: Fig. S7 of the e-prop paper, pattern generation with 100 LIF neurons trained
 * by e-prop (or BPTT) with gradient descent. Prints progress, writes figures (SVG and PNG),
 * results.json and checkpoints to --out; `--resume` continues a run; `--gradient-check` compares
 * e-prop and eq. (1) with BPTT first (sequences of at most 20 steps). `--help` lists the flags.
 *
 * @module
 */
import { FlagError, flagHelp, parseFlags } from "../src/cli/flags.ts";
import { FIGS7_FLAGS, FIGS7_MUTABLE_FLAGS, runFigS7 } from "../src/experiments/figs7.ts";
import { writeFigS7Outputs } from "../src/experiments/figs7_outputs.ts";
import { prepareRunDir } from "../src/experiments/run_dir.ts";
import { DivergenceError } from "../src/train/trainer.ts";

const USAGE = `usage: deno task figS7 [options]

Trains 100 LIF neurons to generate a sum of sines from a frozen Poisson input (Fig. S7) with
e-prop or BPTT, and writes figures, results.json and checkpoints to --out.`;

async function main(args: string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(flagHelp(USAGE, FIGS7_FLAGS));
    return 0;
  }
  try {
    const parsed = parseFlags(args, FIGS7_FLAGS);
    if (parsed.values["gradient-check"] && (parsed.values["seq-len"] as number) > 20) {
      throw new FlagError(
        `--gradient-check compares with BPTT on short sequences only: use --seq-len <= 20, got ${
          parsed.values["seq-len"]
        }`,
      );
    }
    const { values, state } = await prepareRunDir(parsed.values.out as string, {
      values: parsed.values,
      given: parsed.given,
      resume: parsed.values.resume as boolean,
      mutable: FIGS7_MUTABLE_FLAGS,
    });
    const run = await runFigS7(values, { state });
    console.log(await writeFigS7Outputs(run));
    return 0;
  } catch (e) {
    if (e instanceof FlagError) {
      console.error(`figS7: ${e.message}\n(see deno task figS7 --help)`);
      return 2;
    }
    if (e instanceof DivergenceError) {
      console.error(`figS7: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));

/**
 * `deno task fig3`: Fig. 3 of the e-prop paper, evidence accumulation with 50 LIF + 50 ALIF
 * neurons, trained by e-prop as in the authors' tutorial (default: random feedback, hard-coded
 * e-prop, batch 32, on the WebAssembly core). Prints progress, writes figures (SVG and PNG),
 * results.json and checkpoints to --out; `--resume` continues a run. `--help` lists the flags.
 *
 * @module
 */
import { FlagError, flagHelp, parseFlags } from "../src/cli/flags.ts";
import { FIG3_FLAGS, FIG3_MUTABLE_FLAGS, runFig3 } from "../src/experiments/fig3.ts";
import { prepareRunDir } from "../src/experiments/run_dir.ts";
import { DivergenceError } from "../src/train/trainer.ts";
import { writeFig3Outputs } from "../src/experiments/fig3_outputs.ts";

const USAGE = `usage: deno task fig3 [options]

Trains an LSNN of LIF and ALIF neurons on the evidence-accumulation task of Fig. 3 with e-prop
(or BPTT), stops when the validation error falls below --stop-crit, reports the test error, and
writes figures, results.json and checkpoints to --out.`;

async function main(args: string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(flagHelp(USAGE, FIG3_FLAGS));
    return 0;
  }
  try {
    const parsed = parseFlags(args, FIG3_FLAGS);
    const { values, state } = await prepareRunDir(parsed.values.out as string, {
      values: parsed.values,
      given: parsed.given,
      resume: parsed.values.resume as boolean,
      mutable: FIG3_MUTABLE_FLAGS,
    });
    if (values["n-regular"] as number + (values["n-adaptive"] as number) < 1) {
      throw new FlagError("--n-regular plus --n-adaptive must be at least 1");
    }
    if (values["eprop-impl"] === "autodiff" && values.backend !== "tfjs") {
      throw new FlagError("--eprop-impl autodiff needs --backend tfjs");
    }
    const run = await runFig3(values, { state });
    const summary = await writeFig3Outputs(run);
    console.log(summary);
    return 0;
  } catch (e) {
    if (e instanceof FlagError) {
      console.error(`fig3: ${e.message}\n(see deno task fig3 --help)`);
      return 2;
    }
    if (e instanceof DivergenceError) {
      console.error(`fig3: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));

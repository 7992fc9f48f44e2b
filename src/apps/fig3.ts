/**
 * `deno task fig3`: Fig. 3 of the e-prop paper, evidence accumulation with 50 LIF + 50 ALIF
 * neurons, trained by e-prop as in the authors' tutorial (default: random feedback, hard-coded
 * e-prop, batch 32, on the WebAssembly core). Prints progress, writes figures (SVG and PNG),
 * results.json and checkpoints to --out; `--resume` continues a run. `--help` lists the flags.
 *
 * @module
 */
import { checkFig3Flags, FIG3_FLAGS, FIG3_MUTABLE_FLAGS, runFig3 } from "../experiments/fig3.ts";
import { writeFig3Outputs } from "../experiments/fig3_outputs.ts";
import { experimentMain } from "../experiments/cli.ts";

const USAGE = `usage: deno task fig3 [options]

Trains an LSNN of LIF and ALIF neurons on the evidence-accumulation task of Fig. 3 with e-prop
(or BPTT). Every --validate-every iterations it measures the error of a validation batch; when that
is below --stop-crit it also measures 8 fresh batches, and stops when their mean is below it too
(the rule of the authors' script). Reports the test error and writes figures, results.json and
checkpoints to --out (a new or empty folder; --resume continues a run there).`;

/**
 * Runs `deno task fig3`.
 * @param args Command-line arguments.
 * @returns The exit code.
 */
export function main(args: string[]): Promise<number> {
  return experimentMain({
    name: "fig3",
    usage: USAGE,
    flags: FIG3_FLAGS,
    mutable: FIG3_MUTABLE_FLAGS,
    check: checkFig3Flags,
    run: (values, resume) => runFig3(values, resume),
    write: writeFig3Outputs,
  }, args);
}

if (import.meta.main) Deno.exit(await main(Deno.args));

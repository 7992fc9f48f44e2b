/**
 * `deno task fig2 --data DIR`: Fig. 2 of the e-prop paper, frame-wise phoneme recognition on
 * TIMIT (the cache of `deno task timit:prepare`) with a bidirectional LSNN of 2 x (300 LIF + 100
 * ALIF) neurons, trained by e-prop (symmetric, random, adaptive or global feedback) or BPTT.
 * Prints progress, writes results.json and checkpoints to --out; `--resume` continues a run.
 * `--help` lists the flags.
 *
 * @module
 */
import { fig2Main } from "../experiments/fig2_cli.ts";

/**
 * Runs `deno task fig2`.
 * @param args Command-line arguments.
 * @returns The exit code.
 */
export function main(args: string[]): Promise<number> {
  return fig2Main(args);
}

if (import.meta.main) Deno.exit(await main(Deno.args));

/**
 * `deno task fig5`: Fig. 5 of the e-prop paper, the spiking actor-critic agent trained by
 * reward-based e-prop on Atari Fishing Derby (ALE through ale-py; `--env` for another game).
 * `--help` lists the flags.
 *
 * @module
 */
import { atariMain } from "../experiments/atari.ts";

/**
 * Runs `deno task fig5`.
 * @param args Command-line arguments.
 * @returns The exit code.
 */
export function main(args: string[]): Promise<number> {
  return atariMain(args, "fig5");
}

if (import.meta.main) Deno.exit(await main(Deno.args));

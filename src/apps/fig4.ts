/**
 * `deno task fig4`: Fig. 4 of the e-prop paper, the spiking actor-critic agent trained by
 * reward-based e-prop on Atari Pong (ALE through ale-py; `--env pong|catch` for a TypeScript
 * game). `--help` lists the flags.
 *
 * @module
 */
import { atariMain } from "../experiments/atari.ts";

/**
 * Runs `deno task fig4`.
 * @param args Command-line arguments.
 * @returns The exit code.
 */
export function main(args: string[]): Promise<number> {
  return atariMain(args, "fig4");
}

if (import.meta.main) Deno.exit(await main(Deno.args));

/**
 * `deno task fig4`: Fig. 4 of the e-prop paper, the spiking actor-critic agent trained by
 * reward-based e-prop on Atari Pong (ALE through ale-py; `--env pong|catch` for a TypeScript
 * game). `--help` lists the flags.
 *
 * @module
 */
import { atariMain } from "../src/experiments/atari_cli.ts";

if (import.meta.main) Deno.exit(await atariMain(Deno.args, "fig4"));

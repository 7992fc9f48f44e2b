/**
 * `deno task fig5`: Fig. 5 of the e-prop paper, the spiking actor-critic agent trained by
 * reward-based e-prop on Atari Fishing Derby (ALE through ale-py; `--env` for another game).
 * `--help` lists the flags.
 *
 * @module
 */
import { atariMain } from "../src/experiments/atari_cli.ts";

if (import.meta.main) Deno.exit(await atariMain(Deno.args, "fig5"));

/**
 * `deno task env:play --env pong|catch|ale:<rom> --policy random --episodes N`: plays episodes of
 * an environment (a TypeScript game, or real Atari through ale-py), prints the scores and the
 * speed, and records the first episode as a GIF (`--gif FILE`) or a PNG strip (`--strip FILE`).
 * `--help` lists the flags.
 *
 * @module
 */
import { envPlayMain } from "../src/cli/env_play.ts";

if (import.meta.main) Deno.exit(await envPlayMain(Deno.args));

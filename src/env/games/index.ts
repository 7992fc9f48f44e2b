/**
 * The TypeScript games as raw {@linkcode VectorEnv}s (uint8 RGB frames of 210 x 160, one frame per
 * step): "pong" (Atari 2600 Pong's rules and screen, ALE's minimal action set) and "catch" (a
 * falling ball to catch, a quick check of a learner). Wrap them in the preprocessing of
 * src/env/preprocess.ts for 84 x 84 grey frames with action repeat. No Deno API here: it runs in
 * browsers and workers.
 *
 * @module
 */
import type { VectorEnv } from "../vector_env.ts";
import { createCatch } from "./catch.ts";
import type { GameOptions } from "./game_env.ts";
import { createPong } from "./pong.ts";

export type { GameOptions } from "./game_env.ts";

/** The names of the games {@linkcode createGame} knows. */
export const GAME_NAMES: readonly ["pong", "catch"] = Object.freeze(["pong", "catch"] as const);

/** A game's name. */
export type GameName = (typeof GAME_NAMES)[number];

/**
 * Creates N parallel episodes of a game.
 * @param name "pong" or "catch".
 * @param options numEnvs (parallel episodes, an integer in [1, 1024]), seed (a safe integer;
 *   episode i is seeded from seed and i), maxEpisodeFrames (optional cap on an episode's frames,
 *   default 108,000 as in the ALE).
 * @returns The environment, its episodes started.
 * @throws {RangeError} For an unknown game; {TypeError | RangeError} for bad options, naming the
 *   field and what was expected.
 */
export function createGame(name: GameName, options: GameOptions): VectorEnv {
  switch (name) {
    case "pong":
      return createPong(options);
    case "catch":
      return createCatch(options);
    default:
      throw new RangeError(
        `Cannot create game: name must be one of ${GAME_NAMES.join(", ")}, got ${
          JSON.stringify(name)
        }`,
      );
  }
}

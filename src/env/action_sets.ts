/**
 * Action sets by name: ALE's full set (action id = index), and the sets the authors' Atari agent
 * plays (Figure_4_and_5_ATARI: Pong's NOOP, RIGHT, LEFT, i.e. ALE ids 0, 3, 4; every other game the
 * first 10 ALE actions). Environments take such a list as their `actions` option. No Deno API.
 *
 * @module
 */

/** ALE's full action set, in ALE's order (action id = index). */
export const ALE_ACTIONS: readonly string[] = Object.freeze([
  "NOOP",
  "FIRE",
  "UP",
  "RIGHT",
  "LEFT",
  "DOWN",
  "UPRIGHT",
  "UPLEFT",
  "DOWNRIGHT",
  "DOWNLEFT",
  "UPFIRE",
  "RIGHTFIRE",
  "LEFTFIRE",
  "DOWNFIRE",
  "UPRIGHTFIRE",
  "UPLEFTFIRE",
  "DOWNRIGHTFIRE",
  "DOWNLEFTFIRE",
]);

/** Pong's actions in the authors' agent: ALE ids 0, 3 and 4. */
export const AUTHORS_PONG_ACTIONS: readonly string[] = Object.freeze(["NOOP", "RIGHT", "LEFT"]);

/**
 * The actions the authors' agent plays in a game: NOOP, RIGHT, LEFT for Pong, the first 10 ALE
 * actions (NOOP ... DOWNLEFT) for every other game.
 *
 * @example
 * ```ts
 * import { authorsActions } from "./action_sets.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(authorsActions("ale:pong"), ["NOOP", "RIGHT", "LEFT"]);
 * assert.equal(authorsActions("fishing_derby").length, 10);
 * ```
 *
 * @param game A game's name, with or without the "ale:" prefix ("pong", "ale:fishing_derby").
 * @returns The action names, in the agent's order.
 */
export function authorsActions(game: string): readonly string[] {
  const name = game.startsWith("ale:") ? game.slice(4) : game;
  return name === "pong" ? AUTHORS_PONG_ACTIONS : ALE_ACTIONS.slice(0, 10);
}

/**
 * Environments for reward-based e-prop that run anywhere (Deno, browsers, workers): the
 * vectorised environment interface, the paper's Atari preprocessing (84x84 grey frames, action
 * repeat 4 with max-pooling, clipped rewards, episode-length curriculum) and the games written in
 * TypeScript (`pong` with the Atari screen and rules, `catch`). Real Atari through ale-py needs a
 * Python process and lives outside this entry (src/env/ale/, Deno only).
 *
 * @example Random play of Catch, preprocessed as the paper's agent sees it
 * ```ts
 * import { createGame, preprocess } from "./env.ts";
 * import assert from "node:assert/strict";
 *
 * const env = preprocess(createGame("catch", { numEnvs: 2, seed: 1 }));
 * const first = await env.reset();
 * assert.equal(first.length, 2 * 84 * 84);
 * const step = await env.step(new Int32Array([0, 2]));
 * assert.equal(step.rewards.length, 2);
 * await env.close();
 * ```
 *
 * @module
 */
export {
  canSnapshot,
  checkActions,
  type EpisodeRecord,
  type ObservationShape,
  requireSnapshot,
  type SnapshotVectorEnv,
  type VectorEnv,
  type VectorStep,
} from "./src/env/vector_env.ts";
export {
  canResetEpisodes,
  preprocess,
  type PreprocessedEnv,
  type PreprocessedSnapshot,
  preprocessFrame,
  type PreprocessOptions,
} from "./src/env/preprocess.ts";
export type { EpisodeClockState, ResettableVectorEnv } from "./src/env/episodes.ts";
export { createGame, GAME_NAMES, type GameName, type GameOptions } from "./src/env/games/index.ts";
export { Rng, type RngState } from "./src/util/rng.ts";

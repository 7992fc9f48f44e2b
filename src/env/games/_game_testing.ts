/**
 * Helpers of the games' tests (pong_test.ts, catch_test.ts, game_env_test.ts): environments,
 * pixels, rows and policies. Test-only: no product module imports it.
 *
 * @module
 */
import assert from "node:assert/strict";
import { createGame } from "./index.ts";
import type { PongEnv } from "./pong.ts";
import type { CatchEnv } from "./catch.ts";
import { type GameRules, SPRITE_WORDS } from "./game_env.ts";
import { fillRect, FRAME_BYTES, FRAME_WIDTH } from "./frame.ts";
import type { VectorEnv } from "../vector_env.ts";

/** Pong's NOOP action (RIGHT moves the paddle up, LEFT down). */
export const NOOP = 0;

/** @returns A Pong environment. */
export function pong(numEnvs = 1, seed = 1, maxEpisodeFrames?: number): PongEnv {
  return createGame("pong", { numEnvs, seed, maxEpisodeFrames }) as PongEnv;
}

/** @returns A Catch environment. */
export function catchEnv(numEnvs = 1, seed = 1, maxEpisodeFrames?: number): CatchEnv {
  return createGame("catch", { numEnvs, seed, maxEpisodeFrames }) as CatchEnv;
}

/** RGB of pixel (x, y) of frame `env`. */
export function pixel(
  frames: Uint8Array | Float32Array,
  env: number,
  x: number,
  y: number,
): number[] {
  const p = env * FRAME_BYTES + (y * FRAME_WIDTH + x) * 3;
  return [frames[p], frames[p + 1], frames[p + 2]];
}

/** Rows of column x of frame `env` that have the colour. */
export function rowsWith(frames: Uint8Array | Float32Array, env: number, x: number, c: number[]) {
  const rows: number[] = [];
  for (let y = 0; y < 210; y++) {
    const p = pixel(frames, env, x, y);
    if (p[0] === c[0] && p[1] === c[1] && p[2] === c[2]) rows.push(y);
  }
  return rows;
}

/** @returns The integers in [a, b). */
export function range(a: number, b: number): number[] {
  return Array.from({ length: b - a }, (_, i) => a + i);
}

/** The frame of a state drawn from scratch. */
export function drawFull<S>(rules: GameRules<S>, s: S): Uint8Array {
  const f = rules.background.slice();
  rules.drawHud(s, f, 0);
  const sp = new Int32Array(rules.maxSprites * SPRITE_WORDS);
  const n = rules.sprites(s, sp);
  for (let k = 0; k < n; k++) {
    const p = k * SPRITE_WORDS;
    fillRect(f, 0, sp[p], sp[p + 1], sp[p + 2], sp[p + 3], sp[p + 4]);
  }
  return f;
}

/** @returns The actions as an Int32Array. */
export function actionsOf(...a: number[]): Int32Array {
  return Int32Array.from(a);
}

/** The green of the agent's paddle (Pong's right paddle; Catch's paddle has it too). */
export const GREEN = [92, 186, 92];

/** Plays every slot with actions from `policy` (repeated `repeat` frames) until each has `n` episodes. */
export async function play(
  env: VectorEnv,
  n: number,
  repeat: number,
  policy: (i: number) => number,
): Promise<number[][]> {
  const scores: number[][] = Array.from({ length: env.numEnvs }, () => []);
  const actions = new Int32Array(env.numEnvs);
  for (let f = 0; scores.some((s) => s.length < n); f++) {
    if (f % repeat === 0) { for (let i = 0; i < env.numEnvs; i++) actions[i] = policy(i); }
    const r = await env.step(actions);
    for (const e of r.episodes) scores[e.env].push(e.score);
    assert.ok(f < 1e6, "too many frames");
  }
  return scores.map((s) => s.slice(0, n));
}

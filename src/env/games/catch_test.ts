/**
 * Catch (catch.ts): the rules, and a random policy against a ball-tracking one.
 */
import assert from "node:assert/strict";
import {
  BALLS_PER_EPISODE,
  CATCH_PADDLE_MAX_X,
  CATCH_PADDLE_WIDTH,
  CATCH_PADDLE_Y,
  type CatchState,
  FRAMES_PER_BALL,
} from "./catch.ts";
import type { VectorStep } from "../vector_env.ts";
import { Rng } from "../../util/rng.ts";
import { actionsOf, catchEnv, GREEN, play, range, rowsWith } from "./_game_testing.ts";

const C_NOOP = 0, C_LEFT = 1, C_RIGHT = 2;

Deno.test("catch: +1 for a catch, -1 for a miss, 10 balls an episode, paddle within bounds", async () => {
  const env = catchEnv(2, 4);
  assert.deepEqual(env.actions, ["NOOP", "LEFT", "RIGHT"]);
  // Slot 0: the ball right above the paddle; slot 1: the ball far to its side.
  Object.assign(env.episodeState(0), { ballX: env.episodeState(0).paddleX + 8 });
  Object.assign(env.episodeState(1), { ballX: 0, paddleX: 100 });
  let r: VectorStep | undefined;
  for (let f = 1; f <= FRAMES_PER_BALL; f++) {
    r = await env.step(actionsOf(C_NOOP, C_NOOP));
    if (f < FRAMES_PER_BALL) assert.deepEqual(Array.from(r.rewards), [0, 0]);
  }
  assert.deepEqual(Array.from(r!.rewards), [1, -1]);
  assert.equal(env.episodeState(0).caught, 1);
  assert.equal(env.episodeState(1).balls, 1);
  // Paddle bounds, and its pixels on the bottom rows.
  for (let f = 0; f < 100; f++) r = await env.step(actionsOf(C_LEFT, C_RIGHT));
  assert.equal(env.episodeState(0).paddleX, 0);
  assert.equal(env.episodeState(1).paddleX, CATCH_PADDLE_MAX_X);
  const rows = range(CATCH_PADDLE_Y, CATCH_PADDLE_Y + 8);
  assert.deepEqual(rowsWith(r!.observations, 0, 0, GREEN), rows);
  assert.deepEqual(rowsWith(r!.observations, 0, CATCH_PADDLE_WIDTH - 1, GREEN), rows);
  assert.deepEqual(rowsWith(r!.observations, 0, CATCH_PADDLE_WIDTH, GREEN), []);
  assert.deepEqual(rowsWith(r!.observations, 1, 159, GREEN), rows);
  // An episode is BALLS_PER_EPISODE balls of FRAMES_PER_BALL frames.
  const fresh = catchEnv(3, 9);
  let frames = 0;
  for (;;) {
    const s = await fresh.step(actionsOf(0, 1, 2));
    frames++;
    if (s.episodes.length) {
      assert.equal(s.episodes.length, 3);
      assert.deepEqual(Array.from(s.terminated), [1, 1, 1]);
      for (const e of s.episodes) {
        assert.equal(e.frames, BALLS_PER_EPISODE * FRAMES_PER_BALL);
        assert.equal(e.steps, e.frames);
        assert.equal(e.truncated, false);
      }
      break;
    }
  }
  assert.equal(frames, BALLS_PER_EPISODE * FRAMES_PER_BALL);
});

Deno.test("catch: random policy scores clearly below a ball-tracking policy (+10)", async () => {
  const rng = new Rng(2);
  const random = (await play(catchEnv(16, 21), 4, 4, () => rng.int(3))).flat();
  const mean = random.reduce((a, b) => a + b, 0) / random.length;
  assert.ok(mean > -9 && mean < -3, `random mean ${mean}`);
  const env = catchEnv(16, 22);
  const track = (i: number) => {
    const s: CatchState = env.episodeState(i);
    const d = s.ballX + 4 - (s.paddleX + CATCH_PADDLE_WIDTH / 2);
    return d < -4 ? C_LEFT : d > 4 ? C_RIGHT : C_NOOP;
  };
  const best = (await play(env, 2, 4, track)).flat();
  assert.deepEqual(best, new Array(32).fill(10));
});

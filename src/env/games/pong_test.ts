/**
 * Pong (pong.ts): the rules, geometry and screen, points and game ends, the scores of a random
 * and a scripted policy.
 */
import assert from "node:assert/strict";
import {
  AGENT_SCORE_RIGHT,
  AGENT_X,
  BALL_HEIGHT,
  FIELD_BOTTOM,
  FIELD_TOP,
  MAX_SPEED,
  newPongState,
  OPPONENT_SCORE_RIGHT,
  OPPONENT_X,
  PADDLE_DAMPING,
  PADDLE_HEIGHT,
  PADDLE_MAX_Y,
  PADDLE_MIN_Y,
  PADDLE_PUSH,
  PONG_ACTIONS,
  PONG_RULES,
  type PongEnv,
  type PongState,
  SCORE_TOP,
  SERVE_SPEED,
  SMASH_SPEED,
  SPEED_UP,
  stepPong,
} from "./pong.ts";
import { FRAME_BYTES } from "./frame.ts";
import type { VectorStep } from "../vector_env.ts";
import { Rng } from "../../util/rng.ts";
import {
  actionsOf,
  drawFull,
  GREEN,
  NOOP,
  pixel,
  play,
  pong,
  range,
  rowsWith,
} from "./_game_testing.ts";

const UP = 2, DOWN = 3; // RIGHT moves the paddle up, LEFT down

/** A bytes copy of a rectangle of frame `env`. */
function crop(
  frames: Uint8Array | Float32Array,
  env: number,
  x: number,
  y: number,
  w: number,
  h: number,
) {
  const out: number[] = [];
  for (let r = y; r < y + h; r++) {
    for (let c = x; c < x + w; c++) out.push(...pixel(frames, env, c, r));
  }
  return out;
}

const ORANGE = [213, 130, 74], BROWN = [144, 72, 17];
const WHITE = [236, 236, 236];

Deno.test("pong: screen, action set and the paddles at the Atari positions", async () => {
  const env = pong(2);
  assert.deepEqual(env.actions, ["NOOP", "FIRE", "RIGHT", "LEFT", "RIGHTFIRE", "LEFTFIRE"]);
  assert.equal(env.actions, PONG_ACTIONS);
  assert.deepEqual(env.observationShape, { height: 210, width: 160, channels: 3 });
  assert.equal(env.observationType, "uint8");
  assert.equal(env.frameSkip, 1);
  const obs = await env.reset();
  assert.ok(obs instanceof Uint8Array);
  assert.equal(obs.length, 2 * 210 * 160 * 3);
  for (const e of [0, 1]) {
    assert.deepEqual(pixel(obs, e, 80, 100), BROWN);
    assert.deepEqual(rowsWith(obs, e, 80, WHITE), [...range(24, 34), ...range(194, 210)]);
    assert.deepEqual(rowsWith(obs, e, AGENT_X, GREEN), range(106, 122));
    assert.deepEqual(rowsWith(obs, e, AGENT_X + 3, GREEN), range(106, 122));
    assert.deepEqual(rowsWith(obs, e, AGENT_X + 4, GREEN), []);
    assert.deepEqual(rowsWith(obs, e, OPPONENT_X, ORANGE), range(106, 122));
    // Both scores read 0, drawn in the paddles' colours above the top wall.
    assert.ok(
      rowsWith(obs, e, AGENT_SCORE_RIGHT - 1, GREEN).every((y) => y >= SCORE_TOP && y < 24),
    );
    assert.ok(rowsWith(obs, e, AGENT_SCORE_RIGHT - 1, GREEN).length > 0);
    assert.ok(rowsWith(obs, e, OPPONENT_SCORE_RIGHT - 1, ORANGE).length > 0);
  }
});

Deno.test("pong: RIGHT moves the paddle up, LEFT down, drawn at the rows of its state, within bounds", async () => {
  const env = pong(1);
  let r: VectorStep | undefined;
  // Ten frames of RIGHT from rest: the paddle's velocity follows v <- 0.6 v - 1.2.
  let y = 106, v = 0;
  for (let k = 0; k < 10; k++) {
    r = await env.step(actionsOf(UP));
    v = v * PADDLE_DAMPING - PADDLE_PUSH;
    y += v;
  }
  assert.ok(Math.abs(env.episodeState(0).agentY - y) < 1e-9);
  assert.ok(y < 106 - 20);
  const top = Math.round(y);
  assert.deepEqual(rowsWith(r!.observations, 0, AGENT_X, GREEN), range(top, top + 16));
  // RIGHTFIRE also moves up; against the top wall it stops at the first playfield row.
  for (let k = 0; k < 100; k++) r = await env.step(actionsOf(4));
  assert.equal(env.episodeState(0).agentY, PADDLE_MIN_Y);
  assert.deepEqual(rowsWith(r!.observations, 0, AGENT_X, GREEN), range(34, 50));
  assert.deepEqual(pixel(r!.observations, 0, AGENT_X, 33), WHITE);
  // LEFT / LEFTFIRE move down to the bottom wall.
  for (let k = 0; k < 100; k++) r = await env.step(actionsOf(k % 2 ? DOWN : 5));
  assert.equal(env.episodeState(0).agentY, PADDLE_MAX_Y);
  assert.deepEqual(rowsWith(r!.observations, 0, AGENT_X, GREEN), range(178, 194));
  // FIRE and NOOP only let the paddle settle.
  const before = env.episodeState(0).agentY;
  for (let k = 0; k < 10; k++) r = await env.step(actionsOf(k % 2));
  assert.equal(env.episodeState(0).agentY, before);
});

Deno.test("pong: the ball bounces off the walls", () => {
  const rng = new Rng(1);
  const s = newPongState();
  Object.assign(s, { serveTimer: 0, ballX: 80, ballY: FIELD_TOP + 1, ballVX: 1.5, ballVY: -2.5 });
  assert.equal(stepPong(s, NOOP, rng), 0);
  assert.equal(s.ballY, FIELD_TOP + 1.5);
  assert.equal(s.ballVY, 2.5);
  Object.assign(s, { ballX: 80, ballY: FIELD_BOTTOM - BALL_HEIGHT - 1, ballVX: 1.5, ballVY: 2.5 });
  stepPong(s, NOOP, rng);
  assert.equal(s.ballY, FIELD_BOTTOM - BALL_HEIGHT - 1.5);
  assert.equal(s.ballVY, -2.5);
  // In a long random game the ball never enters a wall.
  const g = newPongState();
  for (let f = 0; f < 20_000; f++) {
    stepPong(g, rng.int(6), rng);
    if (g.serveTimer === 0) {
      assert.ok(g.ballY >= FIELD_TOP && g.ballY + BALL_HEIGHT <= FIELD_BOTTOM, `${g.ballY}`);
    }
  }
});

Deno.test("pong: the ball bounces off the paddles, its angle and speed set by where it hits", () => {
  const rng = new Rng(1);
  const hit = (ballDy: number, vx = 2): PongState => {
    const s = newPongState();
    Object.assign(s, {
      serveTimer: 0,
      ballX: AGENT_X - 3,
      ballY: s.agentY + ballDy,
      ballVX: vx,
      ballVY: 0,
    });
    assert.equal(stepPong(s, NOOP, rng), 0);
    return s;
  };
  // The middle of the agent's paddle: a flat return, a little faster.
  let s = hit(6);
  assert.equal(s.ballVX, -(2 + SPEED_UP));
  assert.equal(s.ballVY, 0.5);
  assert.equal(s.ballX, AGENT_X - 2);
  assert.equal(hit(4).ballVY, -0.5);
  // The top end: steep upward and fast (a smash); the bottom end: steep downward.
  s = hit(-3);
  assert.equal(s.ballVY, -2.5);
  assert.equal(s.ballVX, -SMASH_SPEED);
  s = hit(PADDLE_HEIGHT - 1);
  assert.equal(s.ballVY, 2.5);
  assert.equal(s.ballVX, -SMASH_SPEED);
  // The speed-up stops at MAX_SPEED.
  assert.equal(hit(6, MAX_SPEED).ballVX, -MAX_SPEED);
  // Just past either end the ball goes by.
  assert.equal(hit(PADDLE_HEIGHT).ballVX, 2);
  assert.equal(hit(-BALL_HEIGHT).ballVX, 2);
  // The computer's paddle returns a ball toward the agent.
  const o = newPongState();
  Object.assign(o, {
    serveTimer: 0,
    ballX: OPPONENT_X + 5,
    ballY: o.opponentY + 6,
    ballVX: -SERVE_SPEED,
    ballVY: 0,
  });
  stepPong(o, NOOP, rng);
  assert.equal(o.ballVX, SERVE_SPEED + SPEED_UP);
  assert.equal(o.ballX, OPPONENT_X + 4);
});

/** Sends the ball out on one side: +1 (past the computer) or -1 (past the agent). */
async function point(env: PongEnv, side: 1 | -1): Promise<VectorStep> {
  const s = env.episodeState(0);
  Object.assign(s, {
    serveTimer: 0,
    ballX: side > 0 ? 10 : 150,
    ballY: side > 0 ? 180 : 40,
    ballVX: side > 0 ? -2 : 2,
    ballVY: 0,
    opponentY: 40,
    agentY: 170,
    agentV: 0,
  });
  for (let f = 0; f < 20; f++) {
    const r = await env.step(actionsOf(NOOP));
    if (r.rewards[0] !== 0) return r;
  }
  throw new Error("no point");
}

Deno.test("pong: a point on each side gives +1 / -1 and changes that side's score on screen", async () => {
  const env = pong(1);
  const first = await env.step(actionsOf(NOOP));
  const agentDigits = crop(first.observations, 0, AGENT_SCORE_RIGHT - 12, SCORE_TOP, 12, 20);
  const oppDigits = crop(first.observations, 0, OPPONENT_SCORE_RIGHT - 12, SCORE_TOP, 12, 20);
  const copy = (r: VectorStep) => [
    crop(r.observations, 0, AGENT_SCORE_RIGHT - 12, SCORE_TOP, 12, 20),
    crop(r.observations, 0, OPPONENT_SCORE_RIGHT - 12, SCORE_TOP, 12, 20),
  ];
  let r = await point(env, 1);
  assert.equal(r.rewards[0], 1);
  assert.equal(r.rawRewards[0], 1);
  assert.equal(r.terminated[0], 0);
  assert.equal(env.episodeState(0).agentScore, 1);
  let [a, o] = copy(r);
  assert.notDeepEqual(a, agentDigits);
  assert.deepEqual(o, oppDigits);
  // The next frame (the other buffer) shows the new score too.
  r = await env.step(actionsOf(NOOP));
  assert.deepEqual(copy(r)[0], a);
  r = await point(env, -1);
  assert.equal(r.rewards[0], -1);
  assert.equal(env.episodeState(0).opponentScore, 1);
  [a, o] = copy(r);
  assert.notDeepEqual(o, oppDigits);
  // A served ball appears in the middle after the pause, heading to the side that lost the point.
  for (let f = 0; f < 200 && env.episodeState(0).serveTimer > 0; f++) {
    r = await env.step(actionsOf(NOOP));
  }
  assert.equal(env.episodeState(0).serveTimer, 0);
  assert.ok(env.episodeState(0).ballVX > 0);
});

Deno.test("pong: the game ends when a side reaches 21 and the record reports the score", async () => {
  const env = pong(1, 3);
  let sum = 0;
  for (let k = 0; k < 3; k++) sum += (await point(env, 1)).rewards[0];
  for (let k = 0; k < 20; k++) {
    const r = await point(env, -1);
    sum += r.rewards[0];
    assert.equal(r.terminated[0], 0);
    assert.deepEqual(r.episodes, []);
  }
  const r = await point(env, -1);
  sum += r.rewards[0];
  assert.equal(r.rewards[0], -1);
  assert.equal(r.terminated[0], 1);
  assert.equal(r.truncated[0], 0);
  assert.equal(r.episodes.length, 1);
  const e = r.episodes[0];
  assert.equal(e.env, 0);
  assert.equal(e.score, 3 - 21);
  assert.equal(e.score, sum);
  assert.equal(e.steps, e.frames);
  assert.equal(e.truncated, false);
  // Same-step reset: a new game at 0:0, its first frame already in the observations.
  const s = env.episodeState(0);
  assert.equal(s.agentScore + s.opponentScore, 0);
  assert.deepEqual(
    Array.from(r.observations.subarray(0, FRAME_BYTES)),
    Array.from(drawFull(PONG_RULES, s)),
  );
});

Deno.test("pong: a random policy loses about 21 to 0, as in Atari Pong", async () => {
  const env = pong(8, 11);
  const rng = new Rng(5);
  const scores = (await play(env, 2, 4, () => rng.int(6))).flat();
  const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
  assert.ok(scores.every((s) => s >= -21 && s <= -15), `${scores}`);
  assert.ok(mean <= -19.5 && mean >= -21, `mean ${mean}`);
});

/**
 * A scripted Pong player deciding every 4 frames: it predicts where the ball meets its paddle's
 * face and steers (looking three decisions ahead through the paddle's dynamics) so that the ball
 * hits the end zone that sends it away from the computer's paddle.
 */
function aimingPlayer(s: PongState): number {
  let target = (PADDLE_MIN_Y + PADDLE_MAX_Y) / 2, horizon = 12;
  if (s.serveTimer === 0 && s.ballVX > 0) {
    let x = s.ballX, y = s.ballY, vy = s.ballVY, t = 0;
    while (x + 2 <= AGENT_X) {
      x += s.ballVX;
      y += vy;
      t++;
      if (y < FIELD_TOP) [y, vy] = [2 * FIELD_TOP - y, -vy];
      else if (y > FIELD_BOTTOM - BALL_HEIGHT) {
        [y, vy] = [2 * (FIELD_BOTTOM - BALL_HEIGHT) - y, -vy];
      }
    }
    const up = s.opponentY > (PADDLE_MIN_Y + PADDLE_MAX_Y) / 2;
    target = y + BALL_HEIGHT - (up ? 1.25 : 18.75);
    horizon = Math.max(t, 1);
  }
  const end = (plan: number[]) => {
    let y = s.agentY, v = s.agentV;
    for (let f = 0; f < horizon; f++) {
      const a = plan[Math.floor(f / 4)] ?? NOOP;
      v = v * PADDLE_DAMPING + (a === UP ? -PADDLE_PUSH : a === DOWN ? PADDLE_PUSH : 0);
      y += v;
      if (y < PADDLE_MIN_Y || y > PADDLE_MAX_Y) {
        [y, v] = [Math.min(PADDLE_MAX_Y, Math.max(PADDLE_MIN_Y, y)), 0];
      }
    }
    return Math.abs(y - target);
  };
  let best = NOOP, bestD = Infinity;
  for (const a of [NOOP, UP, DOWN]) {
    for (const b of [NOOP, UP, DOWN]) {
      for (const c of [NOOP, UP, DOWN]) {
        const d = end([a, b, c]);
        if (d < bestD) [best, bestD] = [a, d];
      }
    }
  }
  return best;
}

Deno.test("pong: the computer can be beaten by aiming with the paddle's ends", async () => {
  const env = pong(4, 12);
  const scores = (await play(env, 1, 4, (i) => aimingPlayer(env.episodeState(i)))).flat();
  const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
  assert.ok(mean >= 10, `scores ${scores}`);
});

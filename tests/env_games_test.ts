/**
 * The TypeScript games (src/env/games/): Pong's rules, geometry and screen, Catch's rules, seeded
 * determinism, same-step auto-reset and truncation, the incremental renderer against a full
 * redraw, the scores of a random and a scripted policy, and bad input.
 */
import assert from "node:assert/strict";
import { createGame, GAME_NAMES, type GameName } from "../src/env/games/index.ts";
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
} from "../src/env/games/pong.ts";
import {
  BALLS_PER_EPISODE,
  CATCH_PADDLE_MAX_X,
  CATCH_PADDLE_WIDTH,
  CATCH_PADDLE_Y,
  CATCH_RULES,
  type CatchEnv,
  type CatchState,
  FRAMES_PER_BALL,
} from "../src/env/games/catch.ts";
import { type GameRules, type GameVectorEnv, SPRITE_WORDS } from "../src/env/games/game_env.ts";
import { fillRect, FRAME_BYTES, FRAME_WIDTH } from "../src/env/games/frame.ts";
import type { VectorEnv, VectorStep } from "../src/env/vector_env.ts";
import { Rng } from "../src/util/rng.ts";

const NOOP = 0, UP = 2, DOWN = 3; // Pong: RIGHT moves up, LEFT down
const C_NOOP = 0, C_LEFT = 1, C_RIGHT = 2;

function pong(numEnvs = 1, seed = 1, maxEpisodeFrames?: number): PongEnv {
  return createGame("pong", { numEnvs, seed, maxEpisodeFrames }) as PongEnv;
}

function catchEnv(numEnvs = 1, seed = 1, maxEpisodeFrames?: number): CatchEnv {
  return createGame("catch", { numEnvs, seed, maxEpisodeFrames }) as CatchEnv;
}

/** RGB of pixel (x, y) of frame `env`. */
function pixel(frames: Uint8Array | Float32Array, env: number, x: number, y: number): number[] {
  const p = env * FRAME_BYTES + (y * FRAME_WIDTH + x) * 3;
  return [frames[p], frames[p + 1], frames[p + 2]];
}

/** Rows of column x of frame `env` that have the colour. */
function rowsWith(frames: Uint8Array | Float32Array, env: number, x: number, c: number[]) {
  const rows: number[] = [];
  for (let y = 0; y < 210; y++) {
    const p = pixel(frames, env, x, y);
    if (p[0] === c[0] && p[1] === c[1] && p[2] === c[2]) rows.push(y);
  }
  return rows;
}

function range(a: number, b: number): number[] {
  return Array.from({ length: b - a }, (_, i) => a + i);
}

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

/** The frame of a state drawn from scratch. */
function drawFull<S>(rules: GameRules<S>, s: S): Uint8Array {
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

/** Whether two byte arrays are equal. */
function sameBytes(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let j = 0; j < a.length; j++) if (a[j] !== b[j]) return false;
  return true;
}

function actionsOf(...a: number[]): Int32Array {
  return Int32Array.from(a);
}

const GREEN = [92, 186, 92], ORANGE = [213, 130, 74], BROWN = [144, 72, 17];
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

/** Plays every slot with actions from `policy` (repeated `repeat` frames) until each has `n` episodes. */
async function play(
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

async function trace(game: GameName, seed: number, steps: number, resetSeed?: number) {
  const env = createGame(game, { numEnvs: 3, seed });
  const rng = new Rng(77);
  const frames: Uint8Array[] = [new Uint8Array(await env.reset(resetSeed))];
  const rewards: number[] = [];
  const a = new Int32Array(3);
  for (let k = 0; k < steps; k++) {
    for (let i = 0; i < 3; i++) a[i] = rng.int(env.actions.length);
    const r = await env.step(a);
    rewards.push(...r.rewards);
    if (k % 50 === 49) frames.push(new Uint8Array(r.observations));
  }
  await env.close();
  return { frames, rewards };
}

Deno.test("both games are deterministic under a seed; seeds and slots differ", async () => {
  for (const game of GAME_NAMES) {
    const a = await trace(game, 5, 600), b = await trace(game, 5, 600);
    assert.deepEqual(a.rewards, b.rewards);
    assert.ok(a.frames.every((f, k) => sameBytes(f, b.frames[k])), game);
    const c = await trace(game, 6, 600);
    assert.ok(c.frames.some((f, k) => !sameBytes(f, a.frames[k])), game);
    // reset(seed) reseeds: construction seed 6 reset with 5 equals construction seed 5.
    const d = await trace(game, 6, 600, 5);
    assert.deepEqual(d.rewards, a.rewards);
    // The slots run different episodes.
    const last = a.frames[a.frames.length - 1];
    const slot = (i: number) => last.subarray(i * FRAME_BYTES, (i + 1) * FRAME_BYTES);
    assert.ok(!sameBytes(slot(0), slot(1)), game);
  }
});

Deno.test("incremental frames equal frames drawn from scratch, through resets and truncations", async () => {
  for (const game of GAME_NAMES) {
    const env = createGame(game, { numEnvs: 4, seed: 3, maxEpisodeFrames: 700 }) as GameVectorEnv<
      PongState | CatchState
    >;
    const rules = (game === "pong" ? PONG_RULES : CATCH_RULES) as GameRules<PongState | CatchState>;
    const rng = new Rng(8);
    const a = new Int32Array(4);
    let prev: { obs: Uint8Array | Float32Array; copy: Uint8Array } | null = null;
    let ends = 0;
    for (let k = 0; k < 3000; k++) {
      if (k % 4 === 0) { for (let i = 0; i < 4; i++) a[i] = rng.int(env.actions.length); }
      if (game === "pong" && k % 97 === 0) {
        // Force points now and then, so that the score display changes.
        Object.assign(env.episodeState(k % 4) as PongState, {
          serveTimer: 0,
          ballX: 1,
          ballVX: -2,
        });
      }
      const r = await env.step(a);
      ends += r.episodes.length;
      // The previous observations stay intact for one more step.
      if (prev) assert.ok(sameBytes(prev.obs, prev.copy), `step ${k}`);
      prev = k % 13 === 0 ? { obs: r.observations, copy: new Uint8Array(r.observations) } : null;
      if (k % 7 === 0 || r.episodes.length) {
        for (let i = 0; i < 4; i++) {
          const want = drawFull(rules, env.episodeState(i));
          const got = r.observations.subarray(i * FRAME_BYTES, (i + 1) * FRAME_BYTES);
          assert.ok(sameBytes(got, want), `${game} step ${k} slot ${i}`);
        }
      }
    }
    assert.ok(ends >= 4, `${game}: ${ends} episode ends`);
  }
});

Deno.test("same-step auto-reset and truncation at maxEpisodeFrames", async () => {
  const env = catchEnv(2, 1, 100);
  let r: VectorStep | undefined;
  for (let f = 0; f < 99; f++) {
    r = await env.step(actionsOf(0, 0));
    assert.deepEqual(r.episodes, []);
  }
  const s0 = env.episodeState(0);
  r = await env.step(actionsOf(0, 0));
  assert.deepEqual(Array.from(r.truncated), [1, 1]);
  assert.deepEqual(Array.from(r.terminated), [0, 0]);
  assert.equal(r.episodes.length, 2);
  for (const e of r.episodes) {
    assert.equal(e.frames, 100);
    assert.equal(e.steps, 100);
    assert.equal(e.truncated, true);
    assert.equal(Math.abs(e.score), 1); // one ball fell by frame 100
  }
  // The next episode already started: a fresh state, whose first frame is in the observations.
  const s1 = env.episodeState(0);
  assert.notEqual(s1, s0);
  assert.equal(s1.balls, 0);
  assert.equal(s1.paddleX, CATCH_PADDLE_MAX_X / 2);
  assert.deepEqual(
    Array.from(r.observations.subarray(0, FRAME_BYTES)),
    Array.from(drawFull(CATCH_RULES, s1)),
  );
  assert.deepEqual(Array.from(r.lives), [0, 0]);
});

Deno.test("bad input: actions, closed environments, unknown games, bad options", async () => {
  const env = pong(2);
  await assert.rejects(
    env.step(new Int32Array(3)),
    new RangeError(
      "Cannot step pong: actions must be an Int32Array of 2 (one per episode), got length 3",
    ),
  );
  await assert.rejects(env.step([0, 0] as unknown as Int32Array), /must be an Int32Array of 2/);
  await assert.rejects(
    env.step(actionsOf(0, 6)),
    new RangeError(
      "Cannot step pong: actions[1] must be in [0, 5] (NOOP, FIRE, RIGHT, LEFT, RIGHTFIRE, LEFTFIRE), got 6",
    ),
  );
  await assert.rejects(env.step(actionsOf(-1, 0)), /actions\[0\] must be in \[0, 5\]/);
  await assert.rejects(catchEnv(1).step(actionsOf(3)), /actions\[0\] must be in \[0, 2\]/);
  await assert.rejects(
    env.reset(1.5),
    new TypeError("Cannot reset pong: seed must be a safe integer, got 1.5"),
  );
  await env.close();
  await env.close();
  await assert.rejects(
    env.step(actionsOf(0, 0)),
    new Error("Cannot step pong: the environment is closed"),
  );
  await assert.rejects(env.reset(), /Cannot reset pong: the environment is closed/);
  assert.throws(
    () => env.episodeState(0),
    /Cannot read the state of pong: the environment is closed/,
  );
  assert.throws(
    () => createGame("breakout" as GameName, { numEnvs: 1, seed: 0 }),
    new RangeError('Cannot create game: name must be one of pong, catch, got "breakout"'),
  );
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ numEnvs: 0, seed: 0 }, /Cannot create catch: numEnvs must be in \[1, 1024\], got 0$/],
    [{ numEnvs: 1.5, seed: 0 }, /Cannot create catch: numEnvs must be an integer, got 1.5$/],
    [{ seed: 0 }, /Cannot create catch: numEnvs must be an integer, got undefined$/],
    [{ numEnvs: 1, seed: "1" }, /Cannot create catch: seed must be a safe integer, got 1$/],
    [{ numEnvs: 1 }, /seed must be a safe integer, got undefined/],
    [{ numEnvs: 1, seed: 0, maxEpisodeFrames: 0 }, /maxEpisodeFrames must be >= 1, got 0/],
    [
      { numEnvs: 1, seed: 0, maxEpisodeFrames: 2.5 },
      /maxEpisodeFrames must be an integer, got 2.5/,
    ],
  ];
  for (const [options, message] of bad) {
    assert.throws(
      () => createGame("catch", options as unknown as { numEnvs: number; seed: number }),
      message,
      JSON.stringify(options),
    );
  }
  assert.throws(
    () => createGame("pong", null as unknown as { numEnvs: number; seed: number }),
    TypeError,
  );
  assert.throws(() => pong(1).episodeState(1), /slot must be an integer in \[0, 0\], got 1/);
});

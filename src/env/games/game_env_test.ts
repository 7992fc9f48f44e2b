/**
 * The games' vectorised environment (game_env.ts, through index.ts): seeded determinism, the
 * incremental renderer against a full redraw, same-step auto-reset and truncation, bad input.
 */
import assert from "node:assert/strict";
import { createGame, GAME_NAMES, type GameName } from "./index.ts";
import { PONG_RULES, type PongState } from "./pong.ts";
import { CATCH_PADDLE_MAX_X, CATCH_RULES, type CatchState } from "./catch.ts";
import { episodeRng, type GameRules, type GameVectorEnv } from "./game_env.ts";
import { FRAME_BYTES } from "./frame.ts";
import type { VectorStep } from "../vector_env.ts";
import { Rng } from "../../util/rng.ts";
import { actionsOf, catchEnv, drawFull, pong } from "./_game_testing.ts";

/** Whether two byte arrays are equal. */
function sameBytes(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let j = 0; j < a.length; j++) if (a[j] !== b[j]) return false;
  return true;
}

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

/** N episodes of a game stepped with random actions; their frames and rewards at every step. */
async function run(env: ReturnType<typeof createGame>, actions: (k: number, i: number) => number) {
  const n = env.numEnvs, out: { frames: Uint8Array; rewards: number[] }[] = [];
  const a = new Int32Array(n);
  for (let k = 0; k < 300; k++) {
    for (let i = 0; i < n; i++) a[i] = actions(k, i);
    const r = await env.step(a);
    out.push({ frames: new Uint8Array(r.observations), rewards: [...r.rewards] });
  }
  return out;
}

Deno.test("an action subset plays the named actions of the game's set", async () => {
  const names = ["NOOP", "RIGHT", "LEFT"];
  const sub = createGame("pong", { numEnvs: 2, seed: 4, actions: names });
  assert.deepEqual(sub.actions, names);
  const full = createGame("pong", { numEnvs: 2, seed: 4 });
  const rng = new Rng(3), picks = Array.from({ length: 600 }, () => rng.int(3));
  const a = await run(sub, (k, i) => picks[2 * k + i]);
  const b = await run(full, (k, i) => full.actions.indexOf(names[picks[2 * k + i]]));
  assert.ok(a.every((s, k) => sameBytes(s.frames, b[k].frames)));
  assert.deepEqual(a.map((s) => s.rewards), b.map((s) => s.rewards));
  await assert.rejects(() => sub.step(new Int32Array([3, 0])), /actions\[0\] must be in \[0, 2\]/);
  assert.throws(
    () => createGame("catch", { numEnvs: 1, seed: 1, actions: ["NOOP", "FIRE"] }),
    /actions\[1\] must be one of the game's actions \(NOOP, LEFT, RIGHT\), got "FIRE"/,
  );
  assert.throws(
    () => createGame("catch", { numEnvs: 1, seed: 1, actions: ["LEFT", "LEFT"] }),
    /actions must not repeat a name/,
  );
});

Deno.test("sticky actions replay the previous frame's action with their probability", async () => {
  const n = 3, seed = 9, p = 0.25;
  const sticky = createGame("pong", { numEnvs: n, seed, stickyActions: p }) as GameVectorEnv<
    PongState
  >;
  const plain = createGame("pong", { numEnvs: n, seed });
  const rng = new Rng(5), picks = Array.from({ length: 300 * n }, () => rng.int(6));
  // the rule written out: a generator per slot (slots n..2n-1 of the seed), NOOP before the first
  const draws = Array.from({ length: n }, (_, i) => episodeRng(seed, n + i));
  const last = new Int32Array(n);
  let kept = 0;
  const a = await run(sticky, (k, i) => picks[n * k + i]);
  const b = await run(plain, (k, i) => {
    if (draws[i].uniform() < p) kept += last[i] !== picks[n * k + i] ? 1 : 0;
    else last[i] = picks[n * k + i];
    return last[i];
  });
  assert.ok(a.every((s, k) => sameBytes(s.frames, b[k].frames)));
  assert.ok(kept > 100 && kept < 250, `kept ${kept} of 900`); // ~ p * 5/6 * 900 = 188
  // a snapshot carries the sticky state: the continuation is the same
  const snap = await sticky.snapshot();
  const after = await run(sticky, (k, i) => picks[n * k + i]);
  const twin = createGame("pong", { numEnvs: n, seed: 1, stickyActions: p });
  await (twin as GameVectorEnv<PongState>).restore(snap);
  const again = await run(twin, (k, i) => picks[n * k + i]);
  assert.ok(after.every((s, k) => sameBytes(s.frames, again[k].frames)));
  assert.throws(
    () => createGame("pong", { numEnvs: 1, seed: 1, stickyActions: 1.5 }),
    /stickyActions must be a probability in \[0, 1\], got 1.5/,
  );
});

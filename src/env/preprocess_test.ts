/**
 * The paper's Atari preprocessing (src/env/preprocess.ts): ALE's grey levels, OpenCV INTER_AREA
 * resizing (known frames and an independent area-average reference), and the wrapper's action
 * repeat, max-pool, reward clipping, episode ends inside the repeat and truncation with jitter on
 * a scripted fake raw environment; bad options refused. (Bit-exactness against ALE's own C++
 * preprocessing is in tests/env_ale_test.ts.)
 */
import assert from "node:assert/strict";
import {
  areaTable,
  greyLevel,
  preprocess,
  preprocessFrame,
  type ResettableVectorEnv,
} from "./preprocess.ts";
import type { EpisodeRecord, VectorEnv, VectorStep } from "./vector_env.ts";
import { Rng } from "../util/rng.ts";
import { createGame } from "./games/index.ts";

const H = 210, W = 160;

function solid(r: number, g: number, b: number, h = H, w = W): Uint8Array {
  const f = new Uint8Array(h * w * 3);
  for (let p = 0; p < h * w; p++) f[3 * p] = r, f[3 * p + 1] = g, f[3 * p + 2] = b;
  return f;
}

/** Mean of a grey frame over each output cell in float64 (exact area weights), rounded. */
function referenceArea(grey: Float64Array, h: number, w: number, size: number): Float64Array {
  const out = new Float64Array(size * size), sy = h / size, sx = w / size;
  const cover = (a0: number, a1: number, k: number) =>
    Math.max(0, Math.min(a1, k + 1) - Math.max(a0, k));
  for (let oy = 0; oy < size; oy++) {
    for (let ox = 0; ox < size; ox++) {
      let sum = 0;
      for (let y = Math.floor(oy * sy); y < Math.min(h, Math.ceil((oy + 1) * sy)); y++) {
        const wy = cover(oy * sy, (oy + 1) * sy, y);
        for (let x = Math.floor(ox * sx); x < Math.min(w, Math.ceil((ox + 1) * sx)); x++) {
          sum += wy * cover(ox * sx, (ox + 1) * sx, x) * grey[y * w + x];
        }
      }
      out[oy * size + ox] = sum / (sy * sx);
    }
  }
  return out;
}

Deno.test("grey levels are ALE's palette luminance round(0.2989 r + 0.5870 g + 0.1140 b)", () => {
  assert.equal(greyLevel(255, 255, 255), 255);
  assert.equal(greyLevel(0, 0, 0), 0);
  assert.equal(greyLevel(255, 0, 0), 76); // 76.2195
  assert.equal(greyLevel(0, 255, 0), 150); // 149.685
  assert.equal(greyLevel(0, 0, 255), 29); // 29.07
  assert.equal(greyLevel(92, 186, 92), 147); // Pong's green paddle: 147.1688
  assert.equal(greyLevel(144, 72, 17), 87); // Pong's orange background: 87.2586
});

Deno.test("a constant colour gives its grey level everywhere", () => {
  for (
    const [r, g, b] of [[0, 0, 0], [255, 255, 255], [144, 72, 17], [92, 186, 92], [236, 236, 236]]
  ) {
    const out = new Float32Array(84 * 84);
    preprocessFrame(solid(r, g, b), H, W, 84, out);
    const want = Math.fround(greyLevel(r, g, b) / 255);
    assert.ok(out.every((v) => v === want), `colour ${r},${g},${b}`);
  }
});

Deno.test("a white block lands at its scaled coordinates with area-weighted edges", () => {
  // rows [50, 60) x columns [40, 48): rows map to [20, 24) exactly (x 2/5), columns to
  // [21.0, 25.2) (x 84/160), so output column 25 is 0.2 covered (51 of 255).
  const f = solid(0, 0, 0);
  for (let y = 50; y < 60; y++) {
    for (let x = 40; x < 48; x++) f.fill(255, (y * W + x) * 3, (y * W + x) * 3 + 3);
  }
  const out = new Float32Array(84 * 84);
  preprocessFrame(f, H, W, 84, out);
  const at = (y: number, x: number) => Math.round(out[y * 84 + x] * 255);
  for (let y = 20; y < 24; y++) {
    for (let x = 21; x < 25; x++) assert.equal(at(y, x), 255, `(${y}, ${x})`);
    assert.equal(at(y, 25), 51);
    assert.equal(at(y, 20), 0);
  }
  let lit = 0;
  out.forEach((v) => lit += v > 0 ? 1 : 0);
  assert.equal(lit, 4 * 5);
});

Deno.test("the resize agrees with an exact area average within one grey level", () => {
  const rng = new Rng(3);
  for (const [h, w, size] of [[210, 160, 84], [210, 160, 42], [100, 70, 33]]) {
    const rgb = new Uint8Array(h * w * 3);
    for (let i = 0; i < rgb.length; i++) rgb[i] = rng.int(256);
    const grey = new Float64Array(h * w);
    for (let p = 0; p < h * w; p++) grey[p] = greyLevel(rgb[3 * p], rgb[3 * p + 1], rgb[3 * p + 2]);
    const out = new Float32Array(size * size);
    preprocessFrame(rgb, h, w, size, out);
    const ref = referenceArea(grey, h, w, size);
    let worst = 0;
    for (let i = 0; i < out.length; i++) worst = Math.max(worst, Math.abs(out[i] * 255 - ref[i]));
    assert.ok(worst <= 0.5 + 1e-3, `${h}x${w} -> ${size}: worst ${worst}`);
  }
  for (const [n, m] of [[160, 84], [210, 84], [7, 3]]) {
    const t = areaTable(n, m), sums = new Float64Array(m);
    t.dst.forEach((d, k) => sums[d] += t.alpha[k]);
    sums.forEach((s) => assert.ok(Math.abs(s - 1) < 1e-6));
  }
});

Deno.test("preprocessFrame refuses mismatched lengths and upscaling", () => {
  assert.throws(() => preprocessFrame(new Uint8Array(10), H, W, 84, new Float32Array(84 * 84)), {
    name: "RangeError",
    message: /rgb must hold 210x160x3 = 100800 values, got 10/,
  });
  assert.throws(
    () => preprocessFrame(solid(0, 0, 0), H, W, 84, new Float32Array(5)),
    /out must hold 84x84/,
  );
  assert.throws(
    () => preprocessFrame(solid(0, 0, 0, 4, 4), 4, 4, 5, new Float32Array(25)),
    /targetHeight must be an integer in \[1, 4\]/,
  );
});

// ---- the wrapper on a scripted raw environment ----

/** Grey level of frame t of an episode (not monotonic, to see the max-pool). */
const P = [10, 200, 30, 120, 60, 90, 250, 5, 140, 70, 20, 180];
const level = (t: number, episode: number) => P[t % P.length] + 3 * episode;
/** Reward at frame t of an episode. */
const REWARD: Record<number, number> = { 1: 0.25, 2: -3, 5: 2, 6: -0.5 };

/** N constant-colour 2x3 RGB frames; episode e of slot i ends after frame endAt(i, e). */
class FakeRaw implements ResettableVectorEnv {
  readonly name = "fake";
  readonly actions = ["NOOP", "LEFT", "RIGHT"];
  readonly observationShape = { height: 2, width: 3, channels: 3 };
  readonly observationType = "uint8" as const;
  readonly frameSkip = 1;
  readonly t: Int32Array;
  readonly episode: Int32Array;
  readonly received: number[][] = [];
  resets: Uint8Array[] = [];
  closed = false;
  constructor(
    readonly numEnvs: number,
    readonly endAt: (i: number, e: number) => number = () => Infinity,
  ) {
    this.t = new Int32Array(numEnvs);
    this.episode = new Int32Array(numEnvs);
  }
  #frames(): Uint8Array {
    const f = new Uint8Array(this.numEnvs * 6 * 3);
    for (let i = 0; i < this.numEnvs; i++) {
      f.fill(level(this.t[i], this.episode[i]), i * 18, (i + 1) * 18);
    }
    return f;
  }
  reset(): Promise<Uint8Array> {
    this.t.fill(0), this.episode.fill(0);
    return Promise.resolve(this.#frames());
  }
  step(actions: Int32Array): Promise<VectorStep> {
    const N = this.numEnvs;
    this.received.push([...actions]);
    const rewards = new Float64Array(N), terminated = new Uint8Array(N);
    const episodes: EpisodeRecord[] = [];
    for (let i = 0; i < N; i++) {
      this.t[i]++;
      rewards[i] = REWARD[this.t[i]] ?? 0;
      if (this.t[i] === this.endAt(i, this.episode[i])) {
        terminated[i] = 1;
        episodes.push({
          env: i,
          score: NaN,
          steps: this.t[i],
          frames: this.t[i],
          truncated: false,
        });
        this.t[i] = 0, this.episode[i]++;
      }
    }
    return Promise.resolve({
      observations: this.#frames(),
      rewards,
      rawRewards: rewards.slice(),
      terminated,
      truncated: new Uint8Array(N),
      lives: new Int32Array(N).fill(3),
      episodes,
    });
  }
  resetEpisodes(mask: Uint8Array) {
    this.resets.push(mask.slice());
    for (let i = 0; i < this.numEnvs; i++) if (mask[i]) this.t[i] = 0, this.episode[i]++;
    return Promise.resolve({
      observations: this.#frames(),
      lives: new Int32Array(this.numEnvs).fill(5),
    });
  }
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

const grey1 = (v: number) => Math.fround(v / 255);

Deno.test("action repeat sums rewards, max-pools the last two frames and clips rewards", async () => {
  const raw = new FakeRaw(2);
  const env = preprocess(raw, { size: 1 });
  assert.deepEqual(env.observationShape, { height: 1, width: 1, channels: 1 });
  assert.equal(env.observationType, "float32");
  assert.equal(env.frameSkip, 4);
  assert.deepEqual([...await env.reset()], [grey1(level(0, 0)), grey1(level(0, 0))]);
  const s1 = await env.step(new Int32Array([1, 2]));
  assert.deepEqual(raw.received, [[1, 2], [1, 2], [1, 2], [1, 2]]);
  assert.equal(s1.observations[0], grey1(Math.max(P[3], P[4]))); // 120 vs 60
  assert.deepEqual([...s1.rawRewards], [-2.75, -2.75]);
  assert.deepEqual([...s1.rewards], [-1, -1]);
  const s2 = await env.step(new Int32Array([1, 1]));
  assert.equal(s2.observations[1], grey1(Math.max(P[7], P[8]))); // 5 vs 140
  assert.deepEqual([...s2.rawRewards], [1.5, 1.5]);
  assert.deepEqual([...s2.rewards], [1, 1]);
  assert.deepEqual([...s2.lives], [3, 3]);

  const plain = preprocess(new FakeRaw(1), { size: 1, maxPool: false, frameSkip: 3 });
  await plain.reset();
  assert.equal((await plain.step(new Int32Array([0]))).observations[0], grey1(P[3]));
  const one = preprocess(new FakeRaw(1), { size: 1, frameSkip: 1 });
  await one.reset();
  assert.equal((await one.step(new Int32Array([0]))).observations[0], grey1(P[1]));
});

Deno.test("an episode ending inside the repeat ends the agent step; the rest runs the next with NOOP", async () => {
  const raw = new FakeRaw(2, (i, e) => i === 1 && e === 0 ? 6 : Infinity);
  const env = preprocess(raw, { size: 1 });
  await env.reset();
  await env.step(new Int32Array([2, 2]));
  const s = await env.step(new Int32Array([2, 2]));
  assert.deepEqual(raw.received.slice(4), [[2, 2], [2, 2], [2, 0], [2, 0]]);
  assert.deepEqual([...s.terminated], [0, 1]);
  assert.deepEqual([...s.truncated], [0, 0]);
  assert.deepEqual([...s.rawRewards], [1.5, 1.5]); // frames 5, 6 only for slot 1
  assert.deepEqual(s.episodes, [{ env: 1, score: -1.25, steps: 2, frames: 6, truncated: false }]);
  // the next episode's frames 1 and 2, pooled
  assert.equal(s.observations[1], grey1(Math.max(level(1, 1), level(2, 1))));
  // its rewards of frames 1, 2 (0.25 - 3) count in its first agent step (frames 3..6: +1.5)
  const s3 = await env.step(new Int32Array([0, 0]));
  assert.equal(s3.rawRewards[1], -2.75 + 1.5);
  assert.equal(s3.rewards[1], -1);
});

Deno.test("episodes are cut at maxEpisodeSteps, reset and reported as truncated", async () => {
  const raw = new FakeRaw(2);
  const env = preprocess(raw, { size: 1, frameSkip: 2, maxEpisodeSteps: 3 });
  await env.reset();
  for (let k = 0; k < 2; k++) {
    assert.equal((await env.step(new Int32Array([1, 1]))).episodes.length, 0);
  }
  const s = await env.step(new Int32Array([1, 1]));
  assert.deepEqual(raw.resets.map((m) => [...m]), [[1, 1]]);
  assert.deepEqual([...s.truncated], [1, 1]);
  assert.deepEqual([...s.terminated], [0, 0]);
  assert.deepEqual(s.episodes.map((e) => [e.env, e.steps, e.frames, e.truncated]), [
    [0, 3, 6, true],
    [1, 3, 6, true],
  ]);
  assert.equal(s.observations[0], grey1(level(0, 1)));
  assert.deepEqual([...s.lives], [5, 5]);
});

Deno.test("jittered limits lie in [max - jitter, max] and follow the seed", async () => {
  const lengths = async (seed: number) => {
    const env = preprocess(new FakeRaw(3), {
      size: 1,
      frameSkip: 1,
      maxEpisodeSteps: 10,
      jitter: 4,
      seed,
    });
    await env.reset();
    const out: number[] = [];
    for (let k = 0; k < 80; k++) {
      for (const e of (await env.step(new Int32Array(3))).episodes) out.push(e.steps);
    }
    return out;
  };
  const a = await lengths(5);
  assert.ok(a.length >= 24 && a.every((n) => n >= 6 && n <= 10), `${a}`);
  assert.ok(new Set(a).size > 2);
  assert.deepEqual(await lengths(5), a);
  assert.notDeepEqual(await lengths(6), a);
});

Deno.test("bad options and environments are refused with the field named", () => {
  const raw = new FakeRaw(1);
  const cases: [unknown, RegExp][] = [
    [{ frameSkip: 0 }, /frameSkip must be an integer >= 1, got 0/],
    [{ size: 3 }, /size must be an integer in \[1, 2\]/],
    [{ size: 1.5 }, /size must be an integer/],
    [{ maxPool: "yes" }, /maxPool must be a boolean, got yes/],
    [{ maxEpisodeSteps: -1 }, /maxEpisodeSteps must be an integer >= 0/],
    [{ maxEpisodeSteps: 10, jitter: 10 }, /jitter must be an integer in \[0, 9\]/],
    [{ jitter: 2 }, /jitter must be an integer in \[0, 0\] \(there is no maxEpisodeSteps\)/],
    [{ seed: 0.5 }, /seed must be an integer/],
    [{ maxpool: false }, /unknown option maxpool/],
  ];
  for (const [options, message] of cases) {
    assert.throws(() => preprocess(raw, { size: 1, ...(options as object) }), message);
  }
  const float = { ...raw, observationType: "float32", name: "f" } as unknown as VectorEnv;
  assert.throws(() => preprocess(float), /env.observationType must be "uint8", got float32/);
  const skip = Object.assign(Object.create(raw), { frameSkip: 4 }) as VectorEnv;
  assert.throws(() => preprocess(skip, { size: 1 }), /env.frameSkip must be 1/);
  const plain: VectorEnv = {
    name: "plain",
    numEnvs: 1,
    actions: ["NOOP"],
    observationShape: { height: 2, width: 2, channels: 3 },
    observationType: "uint8",
    frameSkip: 1,
    reset: () => Promise.resolve(new Uint8Array(12)),
    step: () => Promise.reject(new Error("unused")),
    close: () => Promise.resolve(),
  };
  assert.throws(
    () => preprocess(plain, { size: 1, maxEpisodeSteps: 5 }),
    /maxEpisodeSteps needs an environment with resetEpisodes/,
  );
});

Deno.test("wrong actions and calls after close throw", async () => {
  const raw = new FakeRaw(2);
  const env = preprocess(raw, { size: 1 });
  await env.reset();
  await assert.rejects(env.step(new Int32Array([0, 3])), {
    name: "RangeError",
    message: /actions\[1\] must be in \[0, 2\]/,
  });
  await assert.rejects(env.step(new Int32Array(1)), {
    name: "RangeError",
    message: /Int32Array of 2/,
  });
  await env.close();
  assert.ok(raw.closed);
  await env.close();
  await assert.rejects(env.step(new Int32Array(2)), /Cannot step fake: the environment is closed/);
  await assert.rejects(env.reset(), /closed/);
});

Deno.test("preprocess: the curriculum's episode limit with jitter on a TypeScript game", async () => {
  const env = preprocess(createGame("catch", { numEnvs: 4, seed: 3 }), {
    maxEpisodeSteps: 20,
    jitter: 5,
    seed: 3,
  });
  try {
    await env.reset();
    const lengths: number[] = [];
    const actions = new Int32Array(4);
    for (let t = 0; t < 100; t++) {
      const r = await env.step(actions);
      for (const e of r.episodes) {
        assert.ok(e.truncated, "catch lasts 200 agent steps: every episode here is cut");
        assert.equal(r.truncated[e.env], 1);
        lengths.push(e.steps);
      }
    }
    assert.ok(lengths.length >= 16);
    assert.ok(lengths.every((l) => l >= 15 && l <= 20), `${lengths}`);
    assert.ok(new Set(lengths).size > 1, "the limit varies per episode");
  } finally {
    await env.close();
  }
});

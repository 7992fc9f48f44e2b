/**
 * The paper's Atari preprocessing (Bellec et al. 2020, Figs. 4-5, after Mnih et al. 2015) as a
 * wrapper around a raw environment: action repeat (default 4 frames, rewards summed), max-pool of
 * the last two frames, 84x84 grey frames scaled to [0, 1], rewards clipped to [-1, 1], and a
 * maximum episode length with per-episode jitter. The frame kernels reproduce ALE's own vector
 * environment exactly (see {@link ./frame_ops.ts}), so a wrapped raw ALE environment sees the
 * frames the ALE bridge's preprocessed mode sends. No Deno API here.
 *
 * @example A white RGB frame gives a white grey frame
 * ```ts
 * import { preprocessFrame } from "./preprocess.ts";
 * import assert from "node:assert/strict";
 * const white = new Uint8Array(210 * 160 * 3).fill(255), out = new Float32Array(84 * 84);
 * preprocessFrame(white, 210, 160, 84, out);
 * assert.ok(out.every((v) => v === 1));
 * ```
 *
 * @module
 */
import { checkActions, requireSnapshot } from "./vector_env.ts";
import type {
  EpisodeRecord,
  ObservationShape,
  SnapshotVectorEnv,
  VectorEnv,
  VectorStep,
} from "./vector_env.ts";
import { areaResizer, maxInto, toGrey } from "./frame_ops.ts";
import {
  canResetEpisodes,
  checkEpisodeLimit,
  EpisodeClock,
  type EpisodeClockState,
  type ResettableVectorEnv,
} from "./episodes.ts";

export { AreaResizer, areaResizer, areaTable, greyLevel, maxInto, toGrey } from "./frame_ops.ts";
export type { AreaTable } from "./frame_ops.ts";
export { canResetEpisodes, EpisodeClock } from "./episodes.ts";
export type { ResettableVectorEnv } from "./episodes.ts";
export type { EpisodeRecord, ObservationShape, VectorEnv, VectorStep } from "./vector_env.ts";

/**
 * One frame to a grey `size` x `size` observation in [0, 1], as ALE's vector environment does it
 * (grey palette luminance, OpenCV INTER_AREA resize, rounding to uint8, / 255).
 * @param rgb Pixels [height][width][3] (or [height][width] grey).
 * @param height Rows.
 * @param width Columns.
 * @param size Side of the output, in [1, min(height, width)].
 * @param out Receives size x size values in [0, 1].
 * @throws {RangeError} For mismatched lengths or sizes.
 */
export function preprocessFrame(
  rgb: Uint8Array,
  height: number,
  width: number,
  size: number,
  out: Float32Array,
): void {
  const pixels = height * width;
  const channels = rgb.length === pixels ? 1 : rgb.length === pixels * 3 ? 3 : 0;
  if (channels === 0) {
    throw new RangeError(
      `Cannot preprocess frame: rgb must hold ${height}x${width}x3 = ${
        pixels * 3
      } values, got ${rgb.length}`,
    );
  }
  if (out.length !== size * size) {
    throw new RangeError(
      `Cannot preprocess frame: out must hold ${size}x${size} = ${
        size * size
      } values, got ${out.length}`,
    );
  }
  const resizer = areaResizer(height, width, size, size);
  const grey = new Uint8Array(pixels);
  toGrey(rgb, pixels, channels, grey);
  resizer.run(grey, out);
}

/** Options of {@linkcode preprocess}. */
export interface PreprocessOptions {
  /** Emulator frames per agent step (the action repeat), default 4. */
  frameSkip?: number;
  /** Max-pool the grey levels of the last two frames of the repeat, default true. */
  maxPool?: boolean;
  /** Side of the square grey observation, default 84. */
  size?: number;
  /** Maximum agent steps per episode, 0 (default) for none; needs `resetEpisodes` on the env. */
  maxEpisodeSteps?: number;
  /** Each episode's limit is drawn uniformly in [maxEpisodeSteps - jitter, maxEpisodeSteps]. */
  jitter?: number;
  /** Seeds the jitter (default 0; `reset(seed)` reseeds it). */
  seed?: number;
}

/** What {@linkcode preprocess} returns: float32 grey observations in [0, 1]. */
export interface PreprocessedEnv extends ResettableVectorEnv, SnapshotVectorEnv {
  /** Always "float32". */
  readonly observationType: "float32";
  /**
   * Saves the state (needs a raw environment with snapshot()).
   * @returns The snapshot.
   */
  snapshot(): Promise<PreprocessedSnapshot>;
  /**
   * Starts all N episodes afresh.
   * @param seed Passed to the raw environment; also reseeds the episode length jitter.
   * @returns The first observations [N][size][size][1].
   */
  reset(seed?: number): Promise<Float32Array>;
  /**
   * Advances every episode by one agent step (`frameSkip` raw steps).
   * @param actions One action index per episode.
   * @returns Observations (float32), clipped and raw rewards, episode ends.
   */
  step(actions: Int32Array): Promise<VectorStep & { observations: Float32Array }>;
  /**
   * Restarts the episodes where `mask[i]` is 1 (dropping their running statistics).
   * @param mask One flag per episode.
   * @returns All N observations and lives.
   */
  resetEpisodes(mask: Uint8Array): Promise<{ observations: Float32Array; lives: Int32Array }>;
}

/**
 * What {@linkcode PreprocessedEnv.snapshot} returns: the raw environment's snapshot, the episode
 * clock, the reward carried into the next episode and the last observations. (The max-pool's two
 * grey frames are written afresh within each step, so they need no saving.)
 */
export interface PreprocessedSnapshot {
  /** The raw environment's snapshot. */
  raw: unknown;
  /** The episode clock. */
  clock: EpisodeClockState;
  /** Rewards of the next episodes' first steps, earned inside the last repeat. */
  carry: Float64Array;
  /** The last observations. */
  last: Float32Array;
}

const OPTION_KEYS = ["frameSkip", "maxPool", "size", "maxEpisodeSteps", "jitter", "seed"];

/**
 * Wraps a raw environment into the paper's form (see the module doc). Episodes that end inside
 * the action repeat end the agent step: their reward stops there, the remaining frames of the
 * repeat run the next episode with NOOP (action 0; like extra no-ops at its start, their reward
 * counts in its first step) and the observation is that episode's frame at the end of the repeat.
 * `rewards` are clipped to [-1, 1], `rawRewards` and `episodes[].score` are not. At an ending
 * step, `lives` are those of the next episode.
 * @param env A raw environment: observationType "uint8", frameSkip 1, RGB or grey.
 * @param options Action repeat, max-pool, size, episode length limit.
 * @returns The wrapped environment (float32 observations, size x size x 1).
 * @throws {TypeError | RangeError} Naming the bad option or environment field.
 */
export function preprocess(env: VectorEnv, options: PreprocessOptions = {}): PreprocessedEnv {
  return new Preprocessed(env, options);
}

class Preprocessed implements PreprocessedEnv {
  readonly name: string;
  readonly numEnvs: number;
  readonly actions: readonly string[];
  readonly observationShape: ObservationShape;
  readonly observationType = "float32" as const;
  readonly frameSkip: number;
  #raw: VectorEnv;
  #maxPool: boolean;
  #seed: number;
  #clock: EpisodeClock;
  #carry: Float64Array;
  #prev: Uint8Array;
  #cur: Uint8Array;
  #pixels: number;
  #channels: number;
  #resize: ReturnType<typeof areaResizer>;
  #last: Float32Array;
  #closed = false;
  #busy = false;

  constructor(env: VectorEnv, options: PreprocessOptions) {
    const what = `Cannot preprocess ${env?.name}`;
    if (typeof options !== "object" || options === null) {
      throw new TypeError(`${what}: options must be an object, got ${options}`);
    }
    for (const key of Object.keys(options)) {
      if (!OPTION_KEYS.includes(key)) {
        throw new TypeError(`${what}: unknown option ${key} (known: ${OPTION_KEYS.join(", ")})`);
      }
    }
    const { frameSkip = 4, maxPool = true, size = 84 } = options;
    const { maxEpisodeSteps = 0, jitter = 0, seed = 0 } = options;
    if (env.observationType !== "uint8") {
      throw new TypeError(
        `${what}: env.observationType must be "uint8", got ${env.observationType}`,
      );
    }
    if (env.frameSkip !== 1) {
      throw new RangeError(`${what}: env.frameSkip must be 1 (raw frames), got ${env.frameSkip}`);
    }
    const { height, width, channels } = env.observationShape;
    if (channels !== 1 && channels !== 3) {
      throw new RangeError(
        `${what}: env.observationShape.channels must be 1 or 3, got ${channels}`,
      );
    }
    if (!Number.isInteger(frameSkip) || frameSkip < 1) {
      throw new RangeError(`${what}: frameSkip must be an integer >= 1, got ${frameSkip}`);
    }
    if (typeof maxPool !== "boolean") {
      throw new TypeError(`${what}: maxPool must be a boolean, got ${maxPool}`);
    }
    const top = Math.min(height, width);
    if (!Number.isInteger(size) || size < 1 || size > top) {
      throw new RangeError(
        `${what}: size must be an integer in [1, ${top}] (a downscale of ${height}x${width}), got ${size}`,
      );
    }
    checkEpisodeLimit(what, maxEpisodeSteps, jitter);
    if (!Number.isInteger(seed)) {
      throw new TypeError(`${what}: seed must be an integer, got ${seed}`);
    }
    if (maxEpisodeSteps > 0 && !canResetEpisodes(env)) {
      throw new TypeError(
        `${what}: maxEpisodeSteps needs an environment with resetEpisodes(mask) (restarting single episodes)`,
      );
    }
    this.#raw = env;
    this.name = env.name;
    this.numEnvs = env.numEnvs;
    this.actions = env.actions;
    this.observationShape = { height: size, width: size, channels: 1 };
    this.frameSkip = frameSkip;
    this.#maxPool = maxPool;
    this.#seed = seed;
    this.#clock = new EpisodeClock(env.numEnvs, maxEpisodeSteps, jitter, seed);
    this.#carry = new Float64Array(env.numEnvs);
    this.#pixels = height * width;
    this.#channels = channels;
    this.#prev = new Uint8Array(env.numEnvs * this.#pixels);
    this.#cur = new Uint8Array(env.numEnvs * this.#pixels);
    this.#resize = areaResizer(height, width, size, size);
    this.#last = new Float32Array(env.numEnvs * size * size);
  }

  #check(verb: string): void {
    if (this.#closed) throw new Error(`Cannot ${verb} ${this.name}: the environment is closed`);
    if (this.#busy) {
      throw new Error(`Cannot ${verb} ${this.name}: the previous call has not finished (await it)`);
    }
  }

  /** Grey levels of episode i's frame in `raw` into `into`. */
  #grey(raw: Uint8Array | Float32Array, i: number, into: Uint8Array): Uint8Array {
    const P = this.#pixels, C = this.#channels;
    const g = into.subarray(i * P, (i + 1) * P);
    toGrey((raw as Uint8Array).subarray(i * P * C, (i + 1) * P * C), P, C, g);
    return g;
  }

  /** Resizes grey frame g of episode i into `out` (and the last observations). */
  #emit(g: Uint8Array, i: number, out: Float32Array): void {
    const s = this.observationShape.height * this.observationShape.width;
    const o = out.subarray(i * s, (i + 1) * s);
    this.#resize.run(g, o);
    this.#last.set(o, i * s);
  }

  async reset(seed?: number): Promise<Float32Array> {
    this.#check("reset");
    this.#busy = true;
    try {
      const raw = await this.#raw.reset(seed);
      this.#clock.restart(seed ?? this.#seed);
      this.#carry.fill(0);
      const out = new Float32Array(this.#last.length);
      for (let i = 0; i < this.numEnvs; i++) this.#emit(this.#grey(raw, i, this.#cur), i, out);
      return out;
    } finally {
      this.#busy = false;
    }
  }

  async step(actions: Int32Array): Promise<VectorStep & { observations: Float32Array }> {
    this.#check("step");
    checkActions(this, actions);
    this.#busy = true;
    try {
      return await this.#step(actions);
    } finally {
      this.#busy = false;
    }
  }

  async #step(actions: Int32Array): Promise<VectorStep & { observations: Float32Array }> {
    const N = this.numEnvs, fs = this.frameSkip, clock = this.#clock;
    const act = Int32Array.from(actions);
    const ended = new Uint8Array(N), terminated = new Uint8Array(N), truncated = new Uint8Array(N);
    const rawRewards = Float64Array.from(this.#carry);
    const episodes: EpisodeRecord[] = [];
    const out = new Float32Array(this.#last.length);
    let lives: Int32Array = new Int32Array(N);
    this.#carry.fill(0);
    for (let k = 0; k < fs; k++) {
      const r = await this.#raw.step(act);
      lives = r.lives;
      for (let i = 0; i < N; i++) {
        const reward = r.rawRewards[i];
        clock.score[i] += reward;
        clock.frames[i] += 1;
        if (ended[i]) this.#carry[i] += reward;
        else rawRewards[i] += reward;
        const end = r.terminated[i] === 1 || r.truncated[i] === 1;
        if (end) {
          const cut = r.terminated[i] === 0;
          if (!ended[i]) {
            ended[i] = 1;
            terminated[i] = r.terminated[i];
            truncated[i] = cut ? 1 : 0;
            act[i] = 0;
            clock.steps[i] += 1;
          } else {
            this.#carry[i] = 0; // a next episode that ended inside the repeat (0 agent steps)
          }
          const record = r.episodes.find((e) => e.env === i);
          episodes.push(clock.finish(i, cut, record?.frames));
        }
        if (k >= fs - 2) {
          // the window of the max-pool: the last two frames, restarted at an episode start
          const into = k === fs - 1 ? this.#cur : this.#prev;
          const g = this.#grey(r.observations, i, into);
          if (k === fs - 1) {
            if (this.#maxPool && fs > 1 && !end) maxInto(this.#prev.subarray(i * g.length), g, g);
            this.#emit(g, i, out);
          }
        }
      }
    }
    const cut = new Uint8Array(N);
    let anyCut = false;
    for (let i = 0; i < N; i++) {
      if (ended[i]) continue;
      clock.steps[i] += 1;
      if (clock.limit[i] > 0 && clock.steps[i] >= clock.limit[i]) {
        cut[i] = 1, truncated[i] = 1, anyCut = true;
        episodes.push(clock.finish(i, true));
      }
    }
    if (anyCut) {
      const fresh = await (this.#raw as ResettableVectorEnv).resetEpisodes(cut);
      for (let i = 0; i < N; i++) {
        if (!cut[i]) continue;
        this.#emit(this.#grey(fresh.observations, i, this.#cur), i, out);
        lives[i] = fresh.lives[i];
      }
    }
    const rewards = rawRewards.map((v) => (v > 1 ? 1 : v < -1 ? -1 : v));
    return { observations: out, rewards, rawRewards, terminated, truncated, lives, episodes };
  }

  /**
   * Sets one maximum episode length for every episode, running ones included (see
   * LimitedVectorEnv in ./episodes.ts).
   * @param steps Agent steps, an integer >= 1.
   * @throws {RangeError} For another value; {TypeError} when the raw environment cannot restart
   *   single episodes.
   */
  setMaxEpisodeSteps(steps: number): void {
    this.#check("set the episode length of");
    if (!canResetEpisodes(this.#raw)) {
      throw new TypeError(
        `Cannot set the episode length of ${this.name}: the raw environment cannot restart single episodes`,
      );
    }
    this.#clock.setMaxEpisodeSteps(steps);
  }

  async resetEpisodes(
    mask: Uint8Array,
  ): Promise<{ observations: Float32Array; lives: Int32Array }> {
    this.#check("reset episodes of");
    if (!canResetEpisodes(this.#raw)) {
      throw new TypeError(`Cannot reset episodes of ${this.name}: the raw environment cannot`);
    }
    if (!(mask instanceof Uint8Array) || mask.length !== this.numEnvs) {
      throw new RangeError(
        `Cannot reset episodes of ${this.name}: mask must be a Uint8Array of ${this.numEnvs}`,
      );
    }
    this.#busy = true;
    try {
      const fresh = await this.#raw.resetEpisodes(mask);
      const out = Float32Array.from(this.#last);
      for (let i = 0; i < this.numEnvs; i++) {
        if (!mask[i]) continue;
        this.#clock.finish(i, true);
        this.#carry[i] = 0;
        this.#emit(this.#grey(fresh.observations, i, this.#cur), i, out);
      }
      return { observations: out, lives: fresh.lives };
    } finally {
      this.#busy = false;
    }
  }

  async snapshot(): Promise<PreprocessedSnapshot> {
    this.#check("snapshot");
    const raw = requireSnapshot(this.#raw, `Cannot snapshot ${this.name}`);
    return {
      raw: await raw.snapshot(),
      clock: this.#clock.snapshot(),
      carry: this.#carry.slice(),
      last: this.#last.slice(),
    };
  }

  async restore(snapshot: unknown): Promise<void> {
    this.#check("restore");
    const raw = requireSnapshot(this.#raw, `Cannot restore ${this.name}`);
    const s = snapshot as PreprocessedSnapshot;
    if (s?.carry?.length !== this.#carry.length || s.last?.length !== this.#last.length) {
      throw new RangeError(
        `Cannot restore ${this.name}: carry and last must hold ${this.#carry.length} and ${this.#last.length} values, got ${s?.carry?.length} and ${s?.last?.length}`,
      );
    }
    await raw.restore(s.raw);
    this.#clock.restore(s.clock);
    this.#carry.set(s.carry);
    this.#last.set(s.last);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#raw.close();
  }
}

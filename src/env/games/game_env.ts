/**
 * The {@linkcode VectorEnv} shared by the TypeScript games: N episodes of one game's rules, each
 * with its own seeded generator, stepped one frame per step (a raw environment: uint8 RGB frames
 * of 210 x 160, frame skip 1), with same-step auto-reset, truncation at a maximum episode length,
 * and incremental rendering (only the moving objects and a changed score are redrawn). No Deno
 * API here: it runs in browsers and workers.
 *
 * @module
 */
import { Rng, type RngState } from "../../util/rng.ts";
import {
  checkActions,
  type EpisodeRecord,
  type ObservationShape,
  type SnapshotVectorEnv,
  type VectorStep,
} from "../vector_env.ts";
import {
  fillRect,
  FRAME_BYTES,
  FRAME_CHANNELS,
  FRAME_HEIGHT,
  FRAME_WIDTH,
  type Rect,
  restoreRect,
} from "./frame.ts";

/** Words per sprite in the array that {@linkcode GameRules.sprites} fills: x, y, w, h, colour. */
export const SPRITE_WORDS = 5;

/** The most parallel episodes a game environment accepts (two frame buffers of N frames each). */
export const MAX_ENVS = 1024;

/** ALE's default cap on an episode's emulator frames (108,000: 30 minutes at 60 frames/s). */
export const DEFAULT_MAX_EPISODE_FRAMES = 108_000;

/**
 * The rules of one game, over a per-episode state `S`. A frame is the background, then the HUD
 * (redrawn when {@linkcode GameRules.hudKey} changes), then the sprites (moving rectangles, redrawn
 * every frame). Sprites must stay out of the HUD region.
 */
export interface GameRules<S> {
  /** The game's name, e.g. "pong". */
  readonly name: string;
  /** The action set: one name per action index. */
  readonly actions: readonly string[];
  /** The static picture ({@linkcode FRAME_BYTES} bytes): background colour, walls. */
  readonly background: Uint8Array;
  /** The most sprites a state draws. */
  readonly maxSprites: number;
  /** Where the HUD (e.g. the score) is drawn, or null for a game without one. */
  readonly hudRegion: Rect | null;
  /**
   * Starts an episode.
   * @param rng The episode's generator.
   * @returns The first state.
   */
  newEpisode(rng: Rng): S;
  /**
   * Advances one frame.
   * @param state The state, changed in place.
   * @param action The action index, already checked.
   * @param rng The episode's generator.
   * @returns The reward of this frame.
   */
  step(state: S, action: number, rng: Rng): number;
  /**
   * Whether the game is over.
   * @param state The state.
   * @returns True once the episode has ended.
   */
  isOver(state: S): boolean;
  /**
   * Lists the sprites to draw, in drawing order.
   * @param state The state.
   * @param out Receives x, y, w, h, colour (0xRRGGBB) of each sprite ({@linkcode SPRITE_WORDS}
   *   words each, at most `maxSprites`).
   * @returns The number of sprites.
   */
  sprites(state: S, out: Int32Array): number;
  /**
   * A number that changes whenever the HUD looks different (e.g. from the scores).
   * @param state The state.
   * @returns The key.
   */
  hudKey(state: S): number;
  /**
   * Draws the HUD over the background of its region.
   * @param state The state.
   * @param frames Frames, one after another.
   * @param offset Byte offset of the frame.
   */
  drawHud(state: S, frames: Uint8Array, offset: number): void;
}

/** Options of a game environment. */
export interface GameOptions {
  /** Parallel episodes N, an integer in [1, {@linkcode MAX_ENVS}]. */
  numEnvs: number;
  /** Seed of all episodes (episode i from seed and i), a safe integer. */
  seed: number;
  /**
   * Frames after which an episode is cut (truncated), a positive integer; default
   * {@linkcode DEFAULT_MAX_EPISODE_FRAMES}.
   */
  maxEpisodeFrames?: number;
  /**
   * The agent's actions by name, a subset of the game's action set in any order (e.g. ["NOOP",
   * "RIGHT", "LEFT"]): action index k plays `actions[k]`. Default: the game's whole set.
   */
  actions?: readonly string[];
  /**
   * Sticky actions as in the ALE: at every frame, with this probability the game plays the
   * previous frame's action instead of the agent's (a probability in [0, 1], default 0; the
   * previous action is NOOP at an episode's start). Drawn from a generator of its own per
   * episode, so the game's own randomness is the same with and without it.
   */
  stickyActions?: number;
}

/**
 * Checks the options of a game environment.
 * @param game The game's name, for the message.
 * @param options The options.
 * @returns The options with the default filled in.
 * @throws {TypeError} For a missing or non-integer field; {RangeError} for one out of range.
 */
export function resolveGameOptions(game: string, options: GameOptions): Required<GameOptions> {
  const where = `Cannot create ${game}`;
  if (typeof options !== "object" || options === null) {
    throw new TypeError(
      `${where}: options must be an object { numEnvs, seed, maxEpisodeFrames? }, got ${options}`,
    );
  }
  const {
    numEnvs,
    seed,
    maxEpisodeFrames = DEFAULT_MAX_EPISODE_FRAMES,
    actions = [],
    stickyActions = 0,
  } = options;
  if (!Number.isInteger(numEnvs)) {
    throw new TypeError(`${where}: numEnvs must be an integer, got ${numEnvs}`);
  }
  if (numEnvs < 1 || numEnvs > MAX_ENVS) {
    throw new RangeError(`${where}: numEnvs must be in [1, ${MAX_ENVS}], got ${numEnvs}`);
  }
  checkSeed(where, seed);
  if (!Number.isInteger(maxEpisodeFrames)) {
    throw new TypeError(
      `${where}: maxEpisodeFrames must be an integer, got ${maxEpisodeFrames}`,
    );
  }
  if (maxEpisodeFrames < 1) {
    throw new RangeError(`${where}: maxEpisodeFrames must be >= 1, got ${maxEpisodeFrames}`);
  }
  if (!Array.isArray(actions) || actions.some((a) => typeof a !== "string")) {
    throw new TypeError(`${where}: actions must be an array of action names, got ${actions}`);
  }
  if (new Set(actions).size !== actions.length) {
    throw new RangeError(`${where}: actions must not repeat a name, got ${actions.join(", ")}`);
  }
  if (typeof stickyActions !== "number" || !(stickyActions >= 0 && stickyActions <= 1)) {
    throw new RangeError(
      `${where}: stickyActions must be a probability in [0, 1], got ${stickyActions}`,
    );
  }
  return { numEnvs, seed, maxEpisodeFrames, actions: [...actions], stickyActions };
}

function checkSeed(where: string, seed: number): void {
  if (!Number.isSafeInteger(seed)) {
    throw new TypeError(`${where}: seed must be a safe integer, got ${seed}`);
  }
}

/**
 * The generator of parallel episode `index` under `seed`: distinct indices give distinct streams.
 * @param seed The environment's seed.
 * @param index The episode slot.
 * @returns A fresh generator.
 */
export function episodeRng(seed: number, index: number): Rng {
  const base = new Rng(seed).nextUint32();
  return new Rng((base ^ Math.imul(index + 1, 0x9e3779b9)) >>> 0);
}

/** What {@linkcode GameVectorEnv.snapshot} returns. */
export interface GameEnvSnapshot {
  /** The game's name. */
  game: string;
  /** Every episode's state. */
  states: unknown[];
  /** Every episode's generator. */
  rngs: RngState[];
  /** Scores so far. */
  scores: Float64Array;
  /** Frames so far. */
  frames: Float64Array;
  /** The two frame buffers. */
  buffers: [Uint8Array, Uint8Array];
  /** The buffer written last. */
  current: number;
  /** What was drawn in each buffer. */
  drawn: [Int32Array, Int32Array];
  /** Sprites drawn per episode in each buffer. */
  drawnCount: [Int32Array, Int32Array];
  /** HUD keys drawn in each buffer. */
  drawnHud: [Float64Array, Float64Array];
  /** With sticky actions: every episode's sticky-action generator (absent in older snapshots). */
  stickyRngs?: RngState[];
  /** With sticky actions: the action each episode played last, in the game's set. */
  lastActions?: Int32Array;
}

/**
 * N parallel episodes of a game as a raw {@linkcode VectorEnv}. Episodes start at construction
 * (so `step` works before `reset`). The observations returned by `reset` and `step` live in two
 * frame buffers owned by the environment, used in turn: an observation array stays unchanged
 * until the second call after the one that returned it (so the last two are always both valid, as
 * max-pooling of consecutive frames needs); copy it to keep it longer.
 */
export class GameVectorEnv<S> implements SnapshotVectorEnv {
  /** The game's name. */
  readonly name: string;
  /** Parallel episodes N. */
  readonly numEnvs: number;
  /** The action set. */
  readonly actions: readonly string[];
  /** 210 x 160 x 3. */
  readonly observationShape: ObservationShape = {
    height: FRAME_HEIGHT,
    width: FRAME_WIDTH,
    channels: FRAME_CHANNELS,
  };
  /** Raw frames: "uint8". */
  readonly observationType = "uint8" as const;
  /** One frame per step. */
  readonly frameSkip = 1;
  /** Frames after which an episode is truncated. */
  readonly maxEpisodeFrames: number;

  #rules: GameRules<S>;
  #seed: number;
  /** Agent action index -> the game's action index. */
  #actionMap: Int32Array;
  #sticky: number;
  #stickyRngs: Rng[] = [];
  #lastActions: Int32Array;
  /** The game's NOOP (what the previous action is at an episode's start), 0 without one. */
  #noop: number;
  #rngs: Rng[] = [];
  #states: S[] = [];
  #scores: Float64Array;
  #frames: Float64Array;
  #closed = false;
  /** Two frame buffers, used in turn; #current was written last. */
  #buffers: [Uint8Array, Uint8Array];
  #current = 1;
  /** Per buffer: what was drawn there (sprites, their count, the HUD key; NaN = redraw all). */
  #drawn: [Int32Array, Int32Array];
  #drawnCount: [Int32Array, Int32Array];
  #drawnHud: [Float64Array, Float64Array];
  #sprites: Int32Array;

  /**
   * Creates the environment and starts its episodes.
   * @param rules The game's rules.
   * @param options Parallel episodes, seed, maximum episode length.
   * @throws {TypeError | RangeError} For bad options, naming the field.
   */
  constructor(rules: GameRules<S>, options: GameOptions) {
    const o = resolveGameOptions(rules.name, options);
    this.#rules = rules;
    this.name = rules.name;
    this.numEnvs = o.numEnvs;
    this.#actionMap = Int32Array.from(
      o.actions.length > 0 ? o.actions : rules.actions,
      (name, k) => {
        const at = rules.actions.indexOf(name);
        if (at < 0) {
          throw new RangeError(
            `Cannot create ${rules.name}: actions[${k}] must be one of the game's actions (${
              rules.actions.join(", ")
            }), got ${JSON.stringify(name)}`,
          );
        }
        return at;
      },
    );
    this.actions = o.actions.length > 0
      ? Object.freeze(Array.from(this.#actionMap, (a) => rules.actions[a]))
      : rules.actions;
    this.#sticky = o.stickyActions;
    this.#noop = Math.max(0, rules.actions.indexOf("NOOP"));
    this.maxEpisodeFrames = o.maxEpisodeFrames;
    this.#seed = o.seed;
    const n = o.numEnvs;
    this.#lastActions = new Int32Array(n);
    this.#scores = new Float64Array(n);
    this.#frames = new Float64Array(n);
    this.#buffers = [new Uint8Array(n * FRAME_BYTES), new Uint8Array(n * FRAME_BYTES)];
    const words = n * rules.maxSprites * SPRITE_WORDS;
    this.#drawn = [new Int32Array(words), new Int32Array(words)];
    this.#drawnCount = [new Int32Array(n), new Int32Array(n)];
    this.#drawnHud = [new Float64Array(n), new Float64Array(n)];
    this.#sprites = new Int32Array(rules.maxSprites * SPRITE_WORDS);
    this.#start(o.seed);
  }

  /**
   * The live state of episode slot i, for tests, scripted policies and debugging: changing it
   * changes the episode (the next frame drawn shows the change).
   * @param i The slot, in [0, N).
   * @returns The state object.
   * @throws {RangeError} For a slot out of range; {Error} after close().
   */
  episodeState(i: number): S {
    this.#checkOpen("read the state of");
    if (!Number.isInteger(i) || i < 0 || i >= this.numEnvs) {
      throw new RangeError(
        `Cannot read ${this.name} state: slot must be an integer in [0, ${
          this.numEnvs - 1
        }], got ${i}`,
      );
    }
    return this.#states[i];
  }

  /**
   * Starts all N episodes afresh.
   * @param seed Seeds episode i from seed and i; default: the construction seed.
   * @returns The first frames [N][210][160][3].
   * @throws {TypeError} For a seed that is not a safe integer; {Error} after close().
   */
  reset(seed?: number): Promise<Uint8Array> {
    try {
      this.#checkOpen("reset");
      if (seed !== undefined) checkSeed(`Cannot reset ${this.name}`, seed);
      this.#start(seed ?? this.#seed);
      return Promise.resolve(this.#buffers[this.#current]);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Advances every episode by one frame; an episode that ends is replaced at once by the next
   * (its first frame is in `observations`, its record in `episodes`).
   * @param actions One action index per episode.
   * @returns Observations, rewards, episode ends.
   * @throws {RangeError} For a wrong action count or index; {Error} after close().
   */
  step(actions: Int32Array): Promise<VectorStep> {
    try {
      this.#checkOpen("step");
      checkActions(this, actions);
      return Promise.resolve(this.#step(actions));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Starts the episodes where `mask[i]` is 1 afresh (each from its own generator, which goes on)
   * and leaves the others where they are; for the preprocessing wrapper's episode-length limit.
   * @param mask One flag per episode.
   * @returns The frames of all N episodes and their lives (0: these games have none).
   * @throws {RangeError} For a mask of the wrong length; {Error} after close().
   */
  resetEpisodes(mask: Uint8Array): Promise<{ observations: Uint8Array; lives: Int32Array }> {
    try {
      this.#checkOpen("reset episodes of");
      if (!(mask instanceof Uint8Array) || mask.length !== this.numEnvs) {
        throw new RangeError(
          `Cannot reset episodes of ${this.name}: mask must be a Uint8Array of ${this.numEnvs}`,
        );
      }
      const b = this.#current ^ 1;
      for (let i = 0; i < this.numEnvs; i++) {
        if (mask[i]) {
          this.#states[i] = this.#rules.newEpisode(this.#rngs[i]);
          this.#scores[i] = 0;
          this.#frames[i] = 0;
          this.#lastActions[i] = this.#noop;
        }
        this.#render(b, i);
      }
      this.#current = b;
      return Promise.resolve({
        observations: this.#buffers[b],
        lives: new Int32Array(this.numEnvs),
      });
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * The complete state: every episode's game state and generator, scores, frame counts, and both
   * frame buffers with what was drawn in them (so the next frames are drawn the same way).
   * @returns A snapshot (plain data with typed arrays).
   * @throws {Error} After close().
   */
  snapshot(): Promise<GameEnvSnapshot> {
    try {
      this.#checkOpen("snapshot");
      return Promise.resolve(structuredClone({
        game: this.name,
        states: this.#states,
        rngs: this.#rngs.map((r) => r.state()),
        scores: this.#scores,
        frames: this.#frames,
        buffers: this.#buffers,
        current: this.#current,
        drawn: this.#drawn,
        drawnCount: this.#drawnCount,
        drawnHud: this.#drawnHud,
        ...(this.#sticky > 0
          ? { stickyRngs: this.#stickyRngs.map((r) => r.state()), lastActions: this.#lastActions }
          : {}),
      }));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Restores a snapshot of an environment of the same game and size.
   * @param snapshot What {@linkcode GameVectorEnv.snapshot} returned.
   * @throws {RangeError} For a snapshot of another game or size; {Error} after close().
   */
  restore(snapshot: unknown): Promise<void> {
    try {
      this.#checkOpen("restore");
      const s = snapshot as GameEnvSnapshot;
      const where = `Cannot restore ${this.name}`;
      if (s?.game !== this.name) {
        throw new RangeError(`${where}: the snapshot is of game ${s?.game}`);
      }
      const n = this.numEnvs;
      if (s.states?.length !== n || s.rngs?.length !== n) {
        throw new RangeError(`${where}: states must hold ${n} episodes, got ${s.states?.length}`);
      }
      for (const b of [0, 1]) {
        if (s.buffers[b]?.length !== this.#buffers[b].length) {
          throw new RangeError(
            `${where}: buffers[${b}] must hold ${this.#buffers[b].length} bytes, got ${
              s.buffers[b]?.length
            }`,
          );
        }
      }
      if (this.#sticky > 0 && (s.stickyRngs?.length !== n || s.lastActions?.length !== n)) {
        throw new RangeError(
          `${where}: the environment has sticky actions, so stickyRngs and lastActions must hold ${n} episodes`,
        );
      }
      const c = structuredClone(s);
      if (c.stickyRngs && c.lastActions) {
        this.#stickyRngs = c.stickyRngs.map((r) => Rng.fromState(r));
        this.#lastActions.set(c.lastActions);
      }
      this.#states = c.states as S[];
      this.#rngs = c.rngs.map((r) => Rng.fromState(r));
      this.#scores.set(c.scores);
      this.#frames.set(c.frames);
      this.#buffers = c.buffers;
      this.#current = c.current;
      this.#drawn = c.drawn;
      this.#drawnCount = c.drawnCount;
      this.#drawnHud = c.drawnHud;
      return Promise.resolve();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Releases the frame buffers; later reset and step calls throw (closing twice is allowed). */
  close(): Promise<void> {
    this.#closed = true;
    this.#states = [];
    this.#buffers = [new Uint8Array(0), new Uint8Array(0)];
    return Promise.resolve();
  }

  #checkOpen(what: string): void {
    if (this.#closed) throw new Error(`Cannot ${what} ${this.name}: the environment is closed`);
  }

  #start(seed: number): void {
    const n = this.numEnvs;
    for (let i = 0; i < n; i++) {
      this.#rngs[i] = episodeRng(seed, i);
      this.#states[i] = this.#rules.newEpisode(this.#rngs[i]);
      // slots n..2n-1 of the same seed: streams apart from every episode's own
      this.#stickyRngs[i] = episodeRng(seed, n + i);
    }
    this.#lastActions.fill(this.#noop);
    this.#scores.fill(0);
    this.#frames.fill(0);
    this.#drawnHud[0].fill(NaN);
    this.#drawnHud[1].fill(NaN);
    this.#current ^= 1;
    for (let i = 0; i < n; i++) this.#render(this.#current, i);
  }

  #step(actions: Int32Array): VectorStep {
    const n = this.numEnvs, rules = this.#rules;
    const rewards = new Float64Array(n);
    const terminated = new Uint8Array(n), truncated = new Uint8Array(n);
    const episodes: EpisodeRecord[] = [];
    const b = this.#current ^ 1;
    for (let i = 0; i < n; i++) {
      const state = this.#states[i];
      let action = this.#actionMap[actions[i]];
      if (this.#sticky > 0) {
        if (this.#stickyRngs[i].uniform() < this.#sticky) action = this.#lastActions[i];
        this.#lastActions[i] = action;
      }
      const r = rules.step(state, action, this.#rngs[i]);
      rewards[i] = r;
      const score = (this.#scores[i] += r);
      const frames = ++this.#frames[i];
      const over = rules.isOver(state);
      const cut = !over && frames >= this.maxEpisodeFrames;
      if (over || cut) {
        terminated[i] = over ? 1 : 0;
        truncated[i] = cut ? 1 : 0;
        episodes.push({ env: i, score, steps: frames, frames, truncated: cut });
        this.#states[i] = rules.newEpisode(this.#rngs[i]);
        this.#scores[i] = 0;
        this.#frames[i] = 0;
      }
      this.#render(b, i);
    }
    this.#current = b;
    return {
      observations: this.#buffers[b],
      rewards,
      rawRewards: rewards.slice(),
      terminated,
      truncated,
      lives: new Int32Array(n),
      episodes,
    };
  }

  /** Brings frame i of buffer b up to date: undraws what was drawn there, draws the state. */
  #render(b: number, i: number): void {
    const rules = this.#rules, state = this.#states[i];
    const frames = this.#buffers[b], off = i * FRAME_BYTES, bg = rules.background;
    const drawn = this.#drawn[b], base = i * rules.maxSprites * SPRITE_WORDS;
    const hud = rules.hudRegion, key = rules.hudKey(state);
    let hudDirty = this.#drawnHud[b][i] !== key;
    if (Number.isNaN(this.#drawnHud[b][i])) {
      frames.set(bg, off);
    } else {
      for (let k = 0, p = base; k < this.#drawnCount[b][i]; k++, p += SPRITE_WORDS) {
        const x = drawn[p], y = drawn[p + 1], w = drawn[p + 2], h = drawn[p + 3];
        restoreRect(frames, off, bg, x, y, w, h);
        if (hud && x < hud.x + hud.w && x + w > hud.x && y < hud.y + hud.h && y + h > hud.y) {
          hudDirty = true;
        }
      }
      if (hud && hudDirty) restoreRect(frames, off, bg, hud.x, hud.y, hud.w, hud.h);
    }
    if (hudDirty) {
      rules.drawHud(state, frames, off);
      this.#drawnHud[b][i] = key;
    }
    const sprites = this.#sprites;
    const count = rules.sprites(state, sprites);
    for (let k = 0, p = 0; k < count; k++, p += SPRITE_WORDS) {
      fillRect(
        frames,
        off,
        sprites[p],
        sprites[p + 1],
        sprites[p + 2],
        sprites[p + 3],
        sprites[p + 4],
      );
    }
    drawn.set(sprites.subarray(0, count * SPRITE_WORDS), base);
    this.#drawnCount[b][i] = count;
  }
}

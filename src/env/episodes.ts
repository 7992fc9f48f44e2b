/**
 * Episode bookkeeping shared by the preprocessing wrapper and the ALE bridge: running score, agent
 * steps and emulator frames of each of N episodes, and the maximum episode length with
 * per-episode jitter (the curriculum of Figs. 4-5: each episode's limit drawn uniformly in
 * [max - jitter, max] from a seeded generator). No Deno API here.
 *
 * @module
 */
import { Rng, type RngState } from "../util/rng.ts";
import type { EpisodeRecord, VectorEnv } from "./vector_env.ts";

/**
 * An environment that can restart some of its episodes (needed to cut episodes at a maximum
 * length under a wrapper). The ALE bridge and the preprocessing wrapper implement it.
 */
export interface ResettableVectorEnv extends VectorEnv {
  /**
   * Starts the episodes where `mask[i]` is 1 afresh and leaves the others untouched.
   * @param mask One flag per episode (Uint8Array of length N).
   * @returns Observations of all N episodes (the first frame of each restarted one) and lives.
   */
  resetEpisodes(
    mask: Uint8Array,
  ): Promise<{ observations: Uint8Array | Float32Array; lives: Int32Array }>;
}

/**
 * Whether an environment implements {@linkcode ResettableVectorEnv.resetEpisodes}.
 * @param env The environment.
 * @returns True if it can restart single episodes.
 */
export function canResetEpisodes(env: VectorEnv): env is ResettableVectorEnv {
  return typeof (env as Partial<ResettableVectorEnv>).resetEpisodes === "function";
}

/**
 * An environment whose maximum episode length can change while it runs: one limit shared by
 * every episode (the authors' curriculum redraws it every unroll). The ALE bridge and the
 * preprocessing wrapper implement it.
 */
export interface LimitedVectorEnv extends VectorEnv {
  /**
   * Sets every episode's limit, running ones included, to `steps` agent steps (an episode
   * already at or past it ends with its next step, as a cut), and the limit of every later
   * episode; the per-episode jitter of the construction is replaced.
   * @param steps Agent steps, an integer >= 1.
   * @throws {RangeError} For another value, naming it.
   */
  setMaxEpisodeSteps(steps: number): void;
}

/**
 * Whether an environment implements {@linkcode LimitedVectorEnv.setMaxEpisodeSteps}.
 * @param env The environment.
 * @returns True if its episode limit can be set while it runs.
 */
export function canSetEpisodeLimit(env: VectorEnv): env is LimitedVectorEnv {
  return typeof (env as Partial<LimitedVectorEnv>).setMaxEpisodeSteps === "function";
}

/**
 * Checks a maximum episode length and its jitter.
 * @param what The caller, for the message ("Cannot preprocess pong").
 * @param maxEpisodeSteps Agent steps, 0 for no limit.
 * @param jitter Non-negative integer below maxEpisodeSteps (0 without a limit).
 * @throws {RangeError} Naming the bad field.
 */
export function checkEpisodeLimit(what: string, maxEpisodeSteps: number, jitter: number): void {
  if (!Number.isInteger(maxEpisodeSteps) || maxEpisodeSteps < 0) {
    throw new RangeError(
      `${what}: maxEpisodeSteps must be an integer >= 0 (0: no limit), got ${maxEpisodeSteps}`,
    );
  }
  const top = Math.max(0, maxEpisodeSteps - 1);
  if (!Number.isInteger(jitter) || jitter < 0 || jitter > top) {
    throw new RangeError(
      `${what}: jitter must be an integer in [0, ${top}]${
        maxEpisodeSteps === 0 ? " (there is no maxEpisodeSteps)" : " (maxEpisodeSteps - 1)"
      }, got ${jitter}`,
    );
  }
}

/** What {@linkcode EpisodeClock.snapshot} returns. */
export interface EpisodeClockState {
  /** Scores so far. */
  score: Float64Array;
  /** Agent steps so far. */
  steps: Int32Array;
  /** Emulator frames so far. */
  frames: Float64Array;
  /** Length limits. */
  limit: Int32Array;
  /** The limits' generator. */
  rng: RngState;
  /** The maximum and jitter new episodes draw from (absent in older snapshots: the built ones). */
  max?: number;
  /** See max. */
  jitter?: number;
}

/** Running statistics and length limits of N parallel episodes. */
export class EpisodeClock {
  /** Game score so far (unclipped rewards). */
  readonly score: Float64Array;
  /** Agent steps so far. */
  readonly steps: Int32Array;
  /** Emulator frames so far. */
  readonly frames: Float64Array;
  /** Each episode's length limit in agent steps (0: none). */
  readonly limit: Int32Array;
  #max: number;
  #jitter: number;
  #rng: Rng;

  /**
   * Creates the clock with every episode at its start.
   * @param numEnvs N.
   * @param maxEpisodeSteps Maximum agent steps per episode, 0 for none (checked by the caller).
   * @param jitter Each limit drawn uniformly in [max - jitter, max].
   * @param seed Seeds the limits.
   */
  constructor(numEnvs: number, maxEpisodeSteps: number, jitter: number, seed: number) {
    this.score = new Float64Array(numEnvs);
    this.steps = new Int32Array(numEnvs);
    this.frames = new Float64Array(numEnvs);
    this.limit = new Int32Array(numEnvs);
    this.#max = maxEpisodeSteps;
    this.#jitter = jitter;
    this.#rng = new Rng(seed);
    this.restart(seed);
  }

  /**
   * Clears every episode and redraws every limit from a fresh generator.
   * @param seed Seeds the limits.
   */
  restart(seed: number): void {
    this.#rng = new Rng(seed);
    for (let i = 0; i < this.score.length; i++) this.#clear(i);
  }

  #clear(i: number): void {
    this.score[i] = 0;
    this.steps[i] = 0;
    this.frames[i] = 0;
    this.limit[i] = this.#max === 0 ? 0 : this.#max - this.#rng.int(this.#jitter + 1);
  }

  /**
   * The clock's complete state (statistics, limits, the limits' generator).
   * @returns Copies.
   */
  snapshot(): EpisodeClockState {
    return {
      score: this.score.slice(),
      steps: this.steps.slice(),
      frames: this.frames.slice(),
      limit: this.limit.slice(),
      rng: this.#rng.state(),
      max: this.#max,
      jitter: this.#jitter,
    };
  }

  /**
   * Sets one limit for every episode, running ones included, and for every later one (no
   * jitter): see {@linkcode LimitedVectorEnv.setMaxEpisodeSteps}.
   * @param steps Agent steps, an integer >= 1.
   * @throws {RangeError} For another value.
   */
  setMaxEpisodeSteps(steps: number): void {
    if (!Number.isInteger(steps) || steps < 1 || steps > 1e9) {
      throw new RangeError(
        `Cannot set the maximum episode length: steps must be an integer in [1, 1e9], got ${steps}`,
      );
    }
    this.#max = steps;
    this.#jitter = 0;
    this.limit.fill(steps);
  }

  /**
   * Restores a state from {@linkcode EpisodeClock.snapshot} of a clock of the same size.
   * @param s The state.
   * @throws {RangeError} For arrays of the wrong size, naming the field.
   */
  restore(s: EpisodeClockState): void {
    for (const key of ["score", "steps", "frames", "limit"] as const) {
      if (s?.[key]?.length !== this[key].length) {
        throw new RangeError(
          `Cannot restore episode clock: ${key} must hold ${this[key].length} values, got ${
            s?.[key]?.length
          }`,
        );
      }
      this[key].set(s[key]);
    }
    this.#rng = Rng.fromState(s.rng);
    if (s.max !== undefined) this.#max = s.max;
    if (s.jitter !== undefined) this.#jitter = s.jitter;
  }

  /**
   * Whether episode i reaches its limit with its next agent step.
   * @param i Episode slot.
   * @returns True if the next step is its last.
   */
  lastStep(i: number): boolean {
    return this.limit[i] > 0 && this.steps[i] + 1 >= this.limit[i];
  }

  /**
   * Ends episode i and starts the next one in its slot.
   * @param i Episode slot.
   * @param truncated Whether the length limit ended it.
   * @param frames Emulator frames it lasted (default: the counted ones).
   * @returns The finished episode's record.
   */
  finish(i: number, truncated: boolean, frames = this.frames[i]): EpisodeRecord {
    const record = { env: i, score: this.score[i], steps: this.steps[i], frames, truncated };
    this.#clear(i);
    return record;
  }
}

/**
 * The environment interface of reward-based e-prop (Figs. 4-5): N episodes run side by side, all
 * stepped at once. Implemented by the TypeScript games (src/env/games/), by the Atari Learning
 * Environment bridge (src/env/ale/, Deno only: it starts a Python process), and by the paper's
 * preprocessing wrapper (src/env/preprocess.ts), which turns any of them into 84x84 grey frames with
 * action repeat and clipped rewards. No Deno API here: it runs in browsers and workers.
 *
 * Episodes reset themselves: when episode i ends at a step, that step's reward and end flags are
 * those of the ending episode, `observations` already holds the first frame of the next one, and
 * `episodes` reports the finished episode's score and length (so an agent resets its network state
 * for i and logs the score).
 *
 * @module
 */

/** Shape of one observation: height x width x channels, row-major, channels last. */
export interface ObservationShape {
  /** Rows. */
  height: number;
  /** Columns. */
  width: number;
  /** 3 (RGB) or 1 (grey). */
  channels: number;
}

/** One finished episode. */
export interface EpisodeRecord {
  /** Which of the N parallel episodes slots it ran in. */
  env: number;
  /** Game score: the sum of the unclipped rewards. */
  score: number;
  /** Agent steps it lasted. */
  steps: number;
  /** Emulator (or game) frames it lasted. */
  frames: number;
  /** Whether it was cut by the maximum episode length rather than ended by the game. */
  truncated: boolean;
}

/** What {@linkcode VectorEnv.step} returns. */
export interface VectorStep {
  /**
   * Observations [N][height][width][channels]: uint8 (0..255) for raw frames, float32 in [0, 1]
   * after preprocessing. For an episode that ended at this step: the first frame of the next one.
   */
  observations: Uint8Array | Float32Array;
  /** Reward of each episode at this step (clipped to [-1, 1] by the preprocessing wrapper). */
  rewards: Float64Array;
  /** Unclipped rewards (equal to `rewards` without clipping). */
  rawRewards: Float64Array;
  /** 1 where the game ended the episode at this step. */
  terminated: Uint8Array;
  /** 1 where the maximum episode length ended it. */
  truncated: Uint8Array;
  /** Lives left in each episode (0 for games without lives). */
  lives: Int32Array;
  /** Episodes that ended at this step. */
  episodes: EpisodeRecord[];
}

/** N parallel episodes of one game. */
export interface VectorEnv {
  /** A name, e.g. "pong", "catch", "ale:pong". */
  readonly name: string;
  /** Parallel episodes N. */
  readonly numEnvs: number;
  /** The action set: one name per action index (e.g. NOOP, FIRE, RIGHT, LEFT, ...). */
  readonly actions: readonly string[];
  /** Shape of one observation. */
  readonly observationShape: ObservationShape;
  /** "uint8" (raw frames) or "float32" (preprocessed, in [0, 1]). */
  readonly observationType: "uint8" | "float32";
  /** Emulator frames per agent step (the action repeat; 1 for a raw environment). */
  readonly frameSkip: number;
  /**
   * Starts all N episodes afresh.
   * @param seed Seeds every episode's randomness (episode i from seed and i); default: the
   *   environment's construction seed.
   * @returns The first observations [N][height][width][channels].
   */
  reset(seed?: number): Promise<Uint8Array | Float32Array>;
  /**
   * Advances every episode by one agent step.
   * @param actions One action index per episode (Int32Array of length N, each in [0, actions)).
   * @returns Observations, rewards, episode ends.
   * @throws {RangeError} For a wrong action count or index; {Error} after close().
   */
  step(actions: Int32Array): Promise<VectorStep>;
  /** Releases the environment (the ALE bridge process exits); later calls throw. */
  close(): Promise<void>;
}

/**
 * A {@linkcode VectorEnv} that can save and restore its complete state (every episode's game or
 * emulator state and generators, the episode bookkeeping, the preprocessing's buffers), so that
 * stepping on from a restored snapshot gives what stepping on from the snapshot's moment gave.
 * A snapshot is plain data with typed arrays (structured-cloneable); it fits an environment built
 * with the same options.
 */
export interface SnapshotVectorEnv extends VectorEnv {
  /**
   * Saves the state between steps (not while a call is running).
   * @returns The snapshot.
   */
  snapshot(): Promise<unknown>;
  /**
   * Restores a snapshot of an environment built with the same options.
   * @param snapshot What {@linkcode SnapshotVectorEnv.snapshot} returned.
   * @throws {RangeError} For a snapshot that does not fit, naming the field.
   */
  restore(snapshot: unknown): Promise<void>;
}

/**
 * Whether an environment can save and restore its state.
 * @param env The environment.
 * @returns True if it has {@linkcode SnapshotVectorEnv.snapshot} and restore.
 */
export function canSnapshot(env: VectorEnv): env is SnapshotVectorEnv {
  const e = env as Partial<SnapshotVectorEnv>;
  return typeof e.snapshot === "function" && typeof e.restore === "function";
}

/**
 * The environment as a {@linkcode SnapshotVectorEnv}, or a clear error.
 * @param env The environment.
 * @param what What needs it, for the message.
 * @returns The same environment.
 * @throws {TypeError} If it cannot save its state.
 */
export function requireSnapshot(env: VectorEnv, what: string): SnapshotVectorEnv {
  if (!canSnapshot(env)) {
    throw new TypeError(
      `${what}: the environment ${env.name} cannot save its state (it has no snapshot()/restore())`,
    );
  }
  return env;
}

/**
 * Checks the actions of a step.
 * @param env The environment.
 * @param actions The actions.
 * @param count How many there must be (default N).
 * @param what What they are, for the message (default "one per episode").
 * @throws {RangeError} Naming the first bad entry.
 */
export function checkActions(
  env: VectorEnv,
  actions: Int32Array,
  count: number = env.numEnvs,
  what = "one per episode",
): void {
  if (!(actions instanceof Int32Array) || actions.length !== count) {
    throw new RangeError(
      `Cannot step ${env.name}: actions must be an Int32Array of ${count} (${what}), got ${
        actions instanceof Int32Array ? `length ${actions.length}` : typeof actions
      }`,
    );
  }
  for (let i = 0; i < actions.length; i++) {
    const a = actions[i];
    if (a < 0 || a >= env.actions.length) {
      throw new RangeError(
        `Cannot step ${env.name}: actions[${i}] must be in [0, ${env.actions.length - 1}] (${
          env.actions.join(", ")
        }), got ${a}`,
      );
    }
  }
}

/**
 * A {@linkcode VectorEnv} whose N episodes run in groups that can also be stepped on their own:
 * an agent that alternates between groups computes one group's actions while the others'
 * emulators run (double buffering), so the emulators never wait for it.
 */
export interface GroupedVectorEnv extends VectorEnv {
  /** Group g holds the episodes groupStarts[g] to groupStarts[g + 1] - 1 (length groups + 1). */
  readonly groupStarts: readonly number[];
  /**
   * Advances the episodes of one group by one agent step (other groups may be stepping).
   * @param group The group index.
   * @param actions One action per episode of the group.
   * @returns The group's observations, rewards and ends (episode records name the slot among all N).
   */
  stepGroup(group: number, actions: Int32Array): Promise<VectorStep>;
}

/**
 * Whether an environment can step groups of its episodes on their own.
 * @param env The environment.
 * @returns True if it has {@linkcode GroupedVectorEnv.stepGroup}.
 */
export function isGrouped(env: VectorEnv): env is GroupedVectorEnv {
  return typeof (env as Partial<GroupedVectorEnv>).stepGroup === "function";
}

/**
 * Splits N episodes into groups of nearly equal size (the first ones one larger).
 * @param n Episodes N.
 * @param groups Groups (1 <= groups <= N, checked by the caller).
 * @returns The boundaries: group g holds episodes starts[g] to starts[g + 1] - 1 (length groups + 1).
 */
export function groupStarts(n: number, groups: number): number[] {
  const starts = [0];
  for (let g = 0; g < groups; g++) {
    starts.push(starts[g] + Math.floor(n / groups) + (g < n % groups ? 1 : 0));
  }
  return starts;
}

/**
 * Atari games through the Arcade Learning Environment (ale-py), as a {@linkcode VectorEnv}. Deno
 * only (it starts `python3 src/env/ale/ale_bridge.py`); not exported from mod.ts.
 *
 * Two modes:
 * - preprocessed (default): ALE's C++ vector environment does the paper's frame preprocessing
 *   (action repeat `frameSkip`, max-pool of the last two grey frames or the last screen alone
 *   with `maxPool: false`, 84x84 INTER_AREA resize);
 *   observations are float32 in [0, 1], rewards clipped to [-1, 1] here (`rawRewards` and the
 *   episode scores unclipped);
 * - raw (`raw: true`): RGB 210x160 uint8 frames, one emulator frame per step, unclipped rewards
 *   (for recordings, or for `preprocess()` of ../preprocess.ts).
 *
 * Every reset starts with up to `noopMax` random no-ops (and FIRE for games that need it), ALE's
 * standard. Episodes end at game over, at ALE's cap of `maxEpisodeFrames` emulator frames, or at
 * `maxEpisodeSteps` agent steps (each episode's limit drawn in [max - jitter, max]); the ended
 * slot restarts at the same step. At an ending step, `lives` are those of the next episode.
 * `stickyActions` sets ALE's repeat_action_probability; `actions` picks the agent's actions from
 * ALE's full action set by name (default: the game's minimal set).
 *
 * @example
 * ```ts ignore
 * const env = await createAleEnv({ game: "pong", numEnvs: 8, seed: 1 });
 * let obs = await env.reset();
 * const step = await env.step(new Int32Array(8)); // NOOP everywhere
 * await env.close();
 * ```
 *
 * @module
 */
import { checkActions, groupStarts } from "../vector_env.ts";
import { ALE_ACTIONS } from "../action_sets.ts";
import type {
  EpisodeRecord,
  GroupedVectorEnv,
  ObservationShape,
  SnapshotVectorEnv,
  VectorStep,
} from "../vector_env.ts";
import {
  checkEpisodeLimit,
  EpisodeClock,
  type EpisodeClockState,
  type ResettableVectorEnv,
} from "../episodes.ts";
import { Rng } from "../../util/rng.ts";
import { BridgeProcess, Op, Reply } from "./bridge_process.ts";

export type { ResettableVectorEnv } from "../episodes.ts";
export { ALE_ACTIONS } from "../action_sets.ts";
export type {
  EpisodeRecord,
  GroupedVectorEnv,
  ObservationShape,
  VectorEnv,
  VectorStep,
} from "../vector_env.ts";

/** Options of {@linkcode createAleEnv}. */
export interface AleEnvOptions {
  /** ALE ROM id in snake_case: "pong", "fishing_derby", "breakout", ... */
  game: string;
  /** Parallel episodes N. */
  numEnvs: number;
  /** Seeds the emulators (episode i from seed and i) and the episode length jitter. */
  seed: number;
  /** RGB 210x160 frames, one emulator frame per step, no clipping (default false). */
  raw?: boolean;
  /** Action repeat of the preprocessed mode, default 4 (must be 1 in raw mode). */
  frameSkip?: number;
  /** Side of the preprocessed grey frames, default 84. */
  size?: number;
  /** Maximum agent steps per episode, 0 (default) for none besides `maxEpisodeFrames`. */
  maxEpisodeSteps?: number;
  /** Each episode's limit drawn uniformly in [maxEpisodeSteps - jitter, maxEpisodeSteps]. */
  jitter?: number;
  /** Random no-ops at each reset, at most this many (default 30; 0: none). */
  noopMax?: number;
  /** ALE's own cap on an episode in emulator frames, default 108000 (30 minutes); 0: none. */
  maxEpisodeFrames?: number;
  /**
   * Bridge processes, default 1: the N episodes are split into this many groups, one process
   * each, that {@linkcode GroupedVectorEnv.stepGroup} steps on their own (double buffering).
   */
  processes?: number;
  /** Emulator threads per process, default 0 (the cores shared out among the processes). */
  numThreads?: number;
  /** Fail a call (and stop the bridge) after this many milliseconds, default 120000. */
  timeoutMs?: number;
  /** Python executable with ale-py, default "python3". */
  python?: string;
  /**
   * Sticky actions: ALE's `repeat_action_probability`, the chance that the emulator repeats the
   * previous action instead of the new one at each emulator frame; default 0 (the authors' ALE
   * 0.6 kept its default 0.25).
   */
  stickyActions?: number;
  /**
   * Preprocessed mode: the observation is the max of the last two grey frames of the action
   * repeat (default true), or the screen after the last repeat (false, as the authors' ALE op).
   */
  maxPool?: boolean;
  /**
   * The agent's actions by ALE name, in order (e.g. ["NOOP", "RIGHT", "LEFT"]): action index k
   * plays `actions[k]` of ALE's full action set. Default: the game's minimal action set.
   */
  actions?: readonly string[];
}

/**
 * An ALE environment: a {@linkcode VectorEnv} that can also restart single episodes and save its
 * state. ALE's vector environment does not hand out its emulators' states, so a snapshot holds
 * the emulator inputs since the last full reset (the seeds, then 5 bytes per episode and agent
 * step) and a restore replays them in the bridge (the emulators are deterministic): exact, at the
 * cost of the emulator time since that reset.
 */
export interface AleEnv extends ResettableVectorEnv, GroupedVectorEnv, SnapshotVectorEnv {
  /** Process id of the (first) bridge. */
  readonly pid: number;
  /** Process ids of the bridges, one per group. */
  readonly pids: readonly number[];
  /** ale-py's version. */
  readonly aleVersion: string;
  /**
   * Saves the state between calls.
   * @returns The snapshot.
   */
  snapshot(): Promise<AleSnapshot>;
}

/** What {@linkcode AleEnv.snapshot} returns. */
export interface AleSnapshot {
  /** "ale:<rom>". */
  name: string;
  /** Parallel episodes N. */
  numEnvs: number;
  /** Bridge processes. */
  processes: number;
  /** Whether reset() has been called. */
  started: boolean;
  /** The episode clock. */
  clock: EpisodeClockState;
  /** Per bridge: the seeds of the last full reset, then its records (u8 op, u32 length, payload). */
  logs: Uint8Array[];
}

/** One group's emulator inputs since the last full reset. */
interface InputLog {
  seeds: Uint8Array;
  records: Uint8Array[];
  /** Bytes in records. */
  bytes: number;
}

const KEYS = [
  "game",
  "numEnvs",
  "seed",
  "raw",
  "frameSkip",
  "size",
  "maxEpisodeSteps",
  "jitter",
  "noopMax",
  "maxEpisodeFrames",
  "processes",
  "numThreads",
  "timeoutMs",
  "python",
  "stickyActions",
  "maxPool",
  "actions",
];

/** ALE's cap when `maxEpisodeFrames` is 0 (large, and far from int32 overflow in ALE). */
const NO_FRAME_CAP = 1 << 30;

/** v / 255 as float32. */
const UNIT = Float32Array.from({ length: 256 }, (_, v) => v / 255);

/**
 * Starts N emulators of one game through the Python bridge.
 * @param options Game, N, seed, mode and limits.
 * @returns The environment; call reset() first, close() at the end.
 * @throws {TypeError | RangeError} For bad options (naming the field); {Error} for an unknown game
 *   (with close names), a missing ale-py (`pip install ale-py gymnasium`) or a bridge that fails to start.
 */
export async function createAleEnv(options: AleEnvOptions): Promise<AleEnv> {
  const o = checkOptions(options);
  const label = `ale:${o.game}`;
  const starts = groupStarts(o.numEnvs, o.processes);
  const cores = globalThis.navigator?.hardwareConcurrency ?? 1;
  const threads = o.numThreads > 0 ? o.numThreads : Math.max(1, Math.floor(cores / o.processes));
  const bridges = starts.slice(1).map(() => BridgeProcess.start(o.python, label));
  try {
    const hellos = await Promise.all(bridges.map(async (bridge, g) => {
      const config = new TextEncoder().encode(JSON.stringify({
        game: o.game,
        numEnvs: starts[g + 1] - starts[g],
        raw: o.raw,
        frameSkip: o.frameSkip,
        size: o.size,
        noopMax: o.noopMax,
        maxEpisodeFrames: o.maxEpisodeFrames === 0 ? NO_FRAME_CAP : o.maxEpisodeFrames,
        numThreads: o.processes === 1 ? o.numThreads : threads,
        stickyActions: o.stickyActions,
        maxPool: o.maxPool,
        ...(o.actions.length > 0 ? { actions: o.actions } : {}),
      }));
      const { code, body } = await bridge.request(Op.config, config, o.timeoutMs).catch((e) => {
        throw new Error(`Cannot create ${e.message}`);
      });
      if (code !== Reply.hello) throw new Error(`Cannot create ${label}: unexpected reply ${code}`);
      return JSON.parse(new TextDecoder().decode(body)) as Hello;
    }));
    return new AleVectorEnv(bridges, starts, o, hellos[0]);
  } catch (e) {
    await Promise.all(bridges.map((b) => b.close(1000)));
    throw e;
  }
}

/**
 * The version of ale-py a Python has, or undefined without one.
 * @param python Python executable, default "python3".
 * @returns ale-py's version, e.g. "0.12.1".
 */
export async function aleAvailable(python = "python3"): Promise<string | undefined> {
  try {
    const { success, stdout } = await new Deno.Command(python, {
      args: ["-c", "import ale_py, numpy, ale_py.vector_env; print(ale_py.__version__)"],
      stdout: "piped",
      stderr: "null",
    }).output();
    const v = new TextDecoder().decode(stdout).trim();
    return success && v ? v : undefined;
  } catch {
    return undefined;
  }
}

type Checked = Required<Omit<AleEnvOptions, "seed">> & { seed: number };

function checkOptions(options: AleEnvOptions): Checked {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`Cannot create ALE environment: options must be an object, got ${options}`);
  }
  const { game } = options;
  if (typeof game !== "string" || game.length === 0) {
    throw new TypeError(`Cannot create ALE environment: game must be a ROM id string, got ${game}`);
  }
  const what = `Cannot create ale:${game}`;
  for (const key of Object.keys(options)) {
    if (!KEYS.includes(key)) {
      throw new TypeError(`${what}: unknown option ${key} (known: ${KEYS.join(", ")})`);
    }
  }
  const o: Checked = {
    game,
    numEnvs: options.numEnvs,
    seed: options.seed,
    raw: options.raw ?? false,
    frameSkip: options.frameSkip ?? (options.raw ? 1 : 4),
    size: options.size ?? 84,
    maxEpisodeSteps: options.maxEpisodeSteps ?? 0,
    jitter: options.jitter ?? 0,
    noopMax: options.noopMax ?? 30,
    maxEpisodeFrames: options.maxEpisodeFrames ?? 108000,
    processes: options.processes ?? 1,
    numThreads: options.numThreads ?? 0,
    timeoutMs: options.timeoutMs ?? 120000,
    python: options.python ?? "python3",
    stickyActions: options.stickyActions ?? 0,
    maxPool: options.maxPool ?? true,
    actions: options.actions ?? [],
  };
  const int = (name: keyof Checked, min: number, max = Infinity) => {
    const v = o[name] as number;
    if (!Number.isInteger(v) || v < min || v > max) {
      const range = max === Infinity ? `>= ${min}` : `in [${min}, ${max}]`;
      throw new RangeError(`${what}: ${name} must be an integer ${range}, got ${v}`);
    }
  };
  int("numEnvs", 1, 4096);
  if (!Number.isInteger(o.seed)) {
    throw new TypeError(`${what}: seed must be an integer, got ${o.seed}`);
  }
  if (typeof o.raw !== "boolean") {
    throw new TypeError(`${what}: raw must be a boolean, got ${o.raw}`);
  }
  if (o.raw && o.frameSkip !== 1) {
    throw new RangeError(`${what}: frameSkip must be 1 in raw mode, got ${o.frameSkip}`);
  }
  int("frameSkip", 1, 1000);
  int("size", 1, 160);
  int("noopMax", 0, 10000);
  int("maxEpisodeFrames", 0, NO_FRAME_CAP);
  int("processes", 1, 64);
  if (o.processes > o.numEnvs) {
    throw new RangeError(
      `${what}: processes must be at most numEnvs (${o.numEnvs}), got ${o.processes}`,
    );
  }
  int("numThreads", 0, 1024);
  int("timeoutMs", 1);
  if (typeof o.python !== "string" || o.python.length === 0) {
    throw new TypeError(`${what}: python must be an executable name or path, got ${o.python}`);
  }
  checkEpisodeLimit(what, o.maxEpisodeSteps, o.jitter);
  const p = o.stickyActions;
  if (typeof p !== "number" || !(p >= 0 && p <= 1)) {
    throw new RangeError(`${what}: stickyActions must be a probability in [0, 1], got ${p}`);
  }
  if (typeof o.maxPool !== "boolean") {
    throw new TypeError(`${what}: maxPool must be a boolean, got ${o.maxPool}`);
  }
  if (!Array.isArray(o.actions)) {
    throw new TypeError(`${what}: actions must be an array of ALE action names, got ${o.actions}`);
  }
  o.actions.forEach((name, k) => {
    if (!ALE_ACTIONS.includes(name)) {
      throw new RangeError(
        `${what}: actions[${k}] must be an ALE action name (${ALE_ACTIONS.join(", ")}), got ${
          JSON.stringify(name)
        }`,
      );
    }
  });
  if (new Set(o.actions).size !== o.actions.length) {
    throw new RangeError(`${what}: actions must not repeat a name, got ${o.actions.join(", ")}`);
  }
  o.actions = Object.freeze([...o.actions]);
  return o;
}

/**
 * The emulator seeds of the N episodes (each >= 1: ALE ignores seed 0 at a reset).
 * @param seed The environment seed.
 * @param n N.
 * @returns Seed i depends on seed and i only.
 */
export function emulatorSeeds(seed: number, n: number): Int32Array {
  const rng = new Rng(seed), out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = 1 + (rng.nextUint32() % 0x7ffffffe);
  return out;
}

interface Hello {
  aleVersion: string;
  actions: string[];
  shape: [number, number, number];
}

interface Frames {
  observations: Uint8Array | Float32Array;
  rewards: Float64Array;
  lives: Int32Array;
  episodeFrames: Int32Array;
  terminated: Uint8Array;
  truncated: Uint8Array;
}

class AleVectorEnv implements AleEnv {
  readonly name: string;
  readonly numEnvs: number;
  readonly actions: readonly string[];
  readonly observationShape: ObservationShape;
  readonly observationType: "uint8" | "float32";
  readonly frameSkip: number;
  readonly pid: number;
  readonly pids: readonly number[];
  readonly aleVersion: string;
  readonly groupStarts: readonly number[];
  #bridges: BridgeProcess[];
  #o: Checked;
  #clock: EpisodeClock;
  #frameSize: number;
  #closed = false;
  #busy: boolean[];
  #started = false;
  #logs: InputLog[];

  constructor(bridges: BridgeProcess[], starts: number[], o: Checked, hello: Hello) {
    this.#bridges = bridges;
    this.#o = o;
    this.name = `ale:${o.game}`;
    this.numEnvs = o.numEnvs;
    this.actions = Object.freeze([...hello.actions]);
    const [height, width, channels] = hello.shape;
    this.observationShape = { height, width, channels };
    this.#frameSize = height * width * channels;
    this.observationType = o.raw ? "uint8" : "float32";
    this.frameSkip = o.frameSkip;
    this.pids = Object.freeze(bridges.map((b) => b.pid));
    this.pid = this.pids[0];
    this.aleVersion = hello.aleVersion;
    this.groupStarts = Object.freeze(starts);
    this.#busy = bridges.map(() => false);
    this.#logs = bridges.map(() => ({ seeds: new Uint8Array(0), records: [], bytes: 0 }));
    this.#clock = new EpisodeClock(o.numEnvs, o.maxEpisodeSteps, o.jitter, o.seed);
  }

  /** One request to group g's bridge, with its reply parsed. */
  async #call(verb: string, g: number, op: number, payload: Uint8Array): Promise<Frames> {
    if (this.#closed) throw new Error(`Cannot ${verb} ${this.name}: the environment is closed`);
    const group = this.#bridges.length > 1 ? ` (group ${g})` : "";
    if (this.#busy[g]) {
      throw new Error(
        `Cannot ${verb} ${this.name}${group}: the previous call has not finished (await it)`,
      );
    }
    const bridge = this.#bridges[g];
    if (bridge.exited) {
      throw new Error(
        `Cannot ${verb} ${this.name}: the ALE bridge has exited; its stderr ends with:\n${bridge.stderrTail}`,
      );
    }
    if (op !== Op.reset && op !== Op.replay && !this.#started) {
      throw new Error(`Cannot ${verb} ${this.name}: call reset() first`);
    }
    this.#busy[g] = true;
    try {
      // a replay runs every step since the last reset again: allow it time for that
      const timeout = this.#o.timeoutMs + (op === Op.replay ? payload.length : 0);
      const { code, body } = await bridge.request(op, payload, timeout);
      if (code !== Reply.frames) throw new Error(`${this.name}: unexpected reply ${code}`);
      this.#log(g, op, payload);
      return this.#frames(body, this.groupStarts[g + 1] - this.groupStarts[g]);
    } finally {
      this.#busy[g] = false;
    }
  }

  /** The same request to every group (payload sliced per episode), replies joined. */
  async #callAll(
    verb: string,
    op: number,
    payload: (first: number, end: number) => Uint8Array,
  ): Promise<Frames> {
    const s = this.groupStarts;
    const parts = await Promise.all(
      this.#bridges.map((_, g) => this.#call(verb, g, op, payload(s[g], s[g + 1]))),
    );
    return parts.length === 1 ? parts[0] : joinFrames(parts, this.#o.raw);
  }

  /** Records a successful request in group g's input log. */
  #log(g: number, op: number, payload: Uint8Array): void {
    const log = this.#logs[g];
    if (op === Op.reset) {
      this.#logs[g] = { seeds: payload.slice(), records: [], bytes: 0 };
    } else if (op === Op.step || op === Op.resetSome) {
      const record = new Uint8Array(5 + payload.length);
      new DataView(record.buffer).setUint32(1, payload.length, true);
      record[0] = op;
      record.set(payload, 5);
      log.records.push(record);
      log.bytes += record.length;
    }
  }

  snapshot(): Promise<AleSnapshot> {
    if (this.#closed) {
      return Promise.reject(new Error(`Cannot snapshot ${this.name}: the environment is closed`));
    }
    if (this.#busy.some((b) => b)) {
      return Promise.reject(
        new Error(`Cannot snapshot ${this.name}: a call has not finished (await it)`),
      );
    }
    const logs = this.#logs.map((log) => {
      const out = new Uint8Array(log.seeds.length + log.bytes);
      out.set(log.seeds);
      let at = log.seeds.length;
      for (const r of log.records) out.set(r, at), at += r.length;
      return out;
    });
    return Promise.resolve({
      name: this.name,
      numEnvs: this.numEnvs,
      processes: this.#bridges.length,
      started: this.#started,
      clock: this.#clock.snapshot(),
      logs,
    });
  }

  async restore(snapshot: unknown): Promise<void> {
    const s = snapshot as AleSnapshot, G = this.#bridges.length;
    const where = `Cannot restore ${this.name}`;
    if (s?.name !== this.name || s.numEnvs !== this.numEnvs || s.processes !== G) {
      throw new RangeError(
        `${where}: the snapshot is of ${s?.name} with ${s?.numEnvs} episodes in ${s?.processes} processes, this environment has ${this.numEnvs} in ${G}`,
      );
    }
    if (s.logs?.length !== G) {
      throw new RangeError(`${where}: logs must hold ${G} entries, got ${s.logs?.length}`);
    }
    if (s.started) {
      await Promise.all(
        this.#bridges.map((_, g) => this.#call("restore", g, Op.replay, s.logs[g])),
      );
      this.#logs = s.logs.map((bytes, g) => {
        const n = 4 * (this.groupStarts[g + 1] - this.groupStarts[g]);
        const rest = bytes.slice(n);
        return { seeds: bytes.slice(0, n), records: [rest], bytes: rest.length };
      });
    }
    this.#started = s.started;
    this.#clock.restore(s.clock);
  }

  #frames(body: Uint8Array, N: number): Frames {
    const size = N * this.#frameSize;
    if (body.length !== 18 * N + size) {
      throw new Error(
        `${this.name}: the bridge sent ${body.length} bytes, expected ${18 * N + size}`,
      );
    }
    const b = body.buffer as ArrayBuffer, o = body.byteOffset;
    const pixels = body.subarray(18 * N);
    let observations: Uint8Array | Float32Array;
    if (this.#o.raw) observations = pixels.slice();
    else {
      observations = new Float32Array(size);
      for (let i = 0; i < size; i++) observations[i] = UNIT[pixels[i]];
    }
    return {
      observations,
      rewards: new Float64Array(b, o, N),
      lives: new Int32Array(b, o + 8 * N, N),
      episodeFrames: new Int32Array(b, o + 12 * N, N),
      terminated: body.subarray(16 * N, 17 * N),
      truncated: body.subarray(17 * N, 18 * N),
    };
  }

  async reset(seed?: number): Promise<Uint8Array | Float32Array> {
    const s = seed ?? this.#o.seed;
    if (!Number.isInteger(s)) {
      throw new TypeError(`Cannot reset ${this.name}: seed must be an integer, got ${seed}`);
    }
    const seeds = emulatorSeeds(s, this.numEnvs);
    const f = await this.#callAll(
      "reset",
      Op.reset,
      (a, b) => new Uint8Array(seeds.buffer, 4 * a, 4 * (b - a)),
    );
    this.#started = true;
    this.#clock.restart(s);
    return f.observations;
  }

  async step(actions: Int32Array): Promise<VectorStep> {
    if (!this.#closed) checkActions(this, actions);
    return await this.#step(actions, 0, this.#bridges.length);
  }

  async stepGroup(group: number, actions: Int32Array): Promise<VectorStep> {
    const G = this.#bridges.length;
    if (!Number.isInteger(group) || group < 0 || group >= G) {
      throw new RangeError(
        `Cannot step ${this.name}: group must be an integer in [0, ${G - 1}], got ${group}`,
      );
    }
    const count = this.groupStarts[group + 1] - this.groupStarts[group];
    if (!this.#closed) checkActions(this, actions, count, `one per episode of group ${group}`);
    return await this.#step(actions, group, group + 1);
  }

  /** Steps groups [g0, g1) with their actions (episode slots from groupStarts[g0]). */
  async #step(actions: Int32Array, g0: number, g1: number): Promise<VectorStep> {
    const first = this.groupStarts[g0], N = this.groupStarts[g1] - first, clock = this.#clock;
    const payloads: Uint8Array[] = [];
    for (let g = g0; g < g1; g++) {
      const a = this.groupStarts[g] - first, n = this.groupStarts[g + 1] - this.groupStarts[g];
      const payload = new Uint8Array(5 * n);
      payload.set(new Uint8Array(actions.buffer, actions.byteOffset + 4 * a, 4 * n));
      for (let i = 0; i < n; i++) payload[4 * n + i] = clock.lastStep(first + a + i) ? 1 : 0;
      payloads.push(payload);
    }
    const parts = await Promise.all(
      payloads.map((payload, k) => this.#call("step", g0 + k, Op.step, payload)),
    );
    const f = parts.length === 1 ? parts[0] : joinFrames(parts, this.#o.raw);
    const cut = new Uint8Array(N);
    for (let k = 0, i = 0; k < payloads.length; k++) {
      const n = payloads[k].length / 5;
      cut.set(payloads[k].subarray(4 * n), i), i += n;
    }
    const truncated = new Uint8Array(N), episodes: EpisodeRecord[] = [];
    for (let i = 0; i < N; i++) {
      const slot = first + i;
      clock.score[slot] += f.rewards[i];
      clock.steps[slot] += 1;
      const term = f.terminated[i] === 1;
      if (term || f.truncated[i] === 1 || cut[i] === 1) {
        truncated[i] = term ? 0 : 1;
        episodes.push(clock.finish(slot, !term, f.episodeFrames[i]));
      }
    }
    const rawRewards = Float64Array.from(f.rewards);
    const rewards = this.#o.raw ? Float64Array.from(f.rewards) : rawRewards.map(clip);
    return {
      observations: f.observations,
      rewards,
      rawRewards,
      terminated: f.terminated.slice(),
      truncated,
      lives: Int32Array.from(f.lives),
      episodes,
    };
  }

  /**
   * Sets one maximum episode length for every episode, running ones included (see
   * LimitedVectorEnv in ../episodes.ts).
   * @param steps Agent steps, an integer >= 1.
   * @throws {RangeError} For another value.
   */
  setMaxEpisodeSteps(steps: number): void {
    this.#clock.setMaxEpisodeSteps(steps);
  }

  async resetEpisodes(
    mask: Uint8Array,
  ): Promise<{ observations: Uint8Array | Float32Array; lives: Int32Array }> {
    if (!(mask instanceof Uint8Array) || mask.length !== this.numEnvs) {
      throw new RangeError(
        `Cannot reset episodes of ${this.name}: mask must be a Uint8Array of ${this.numEnvs}`,
      );
    }
    const copy = mask.slice();
    const f = await this.#callAll("reset episodes of", Op.resetSome, (a, b) => copy.slice(a, b));
    for (let i = 0; i < this.numEnvs; i++) if (mask[i]) this.#clock.finish(i, true);
    return { observations: f.observations, lives: Int32Array.from(f.lives) };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all(this.#bridges.map((b) => b.close()));
  }
}

/** The replies of consecutive groups as one. */
function joinFrames(parts: Frames[], raw: boolean): Frames {
  const join = <T extends Uint8Array | Int32Array | Float64Array | Float32Array>(
    make: new (n: number) => T,
    pick: (f: Frames) => T,
  ): T => {
    const out = new make(parts.reduce((n, f) => n + pick(f).length, 0));
    let at = 0;
    for (const f of parts) out.set(pick(f) as never, at), at += pick(f).length;
    return out;
  };
  return {
    observations: raw
      ? join(Uint8Array, (f) => f.observations as Uint8Array)
      : join(Float32Array, (f) => f.observations as Float32Array),
    rewards: join(Float64Array, (f) => f.rewards),
    lives: join(Int32Array, (f) => f.lives),
    episodeFrames: join(Int32Array, (f) => f.episodeFrames),
    terminated: join(Uint8Array, (f) => f.terminated),
    truncated: join(Uint8Array, (f) => f.truncated),
  };
}

function clip(v: number): number {
  return v > 1 ? 1 : v < -1 ? -1 : v;
}

/**
 * Trains the spiking actor-critic agent on a {@linkcode VectorEnv} by reward-based e-prop, in the
 * online form (./reward_online.ts) or the authors' unroll form (./reward_unroll.ts), with Adam
 * (lr 1e-3, epsilon 1). Updates follow the paper's schedule (one update once every one of the N
 * parallel episodes has ended since the previous update) or come every unroll.
 *
 * One agent step: the network runs the frame (`stepsPerFrame` network steps), an action is drawn
 * from the policy, the learner takes the record, the environment steps, the learner takes the
 * clipped rewards and episode ends, and the network resets the episodes that ended.
 *
 * @module
 */
import {
  canSnapshot,
  type GroupedVectorEnv,
  groupStarts,
  isGrouped,
  requireSnapshot,
  type VectorEnv,
  type VectorStep,
} from "../env/vector_env.ts";
import { canResetEpisodes, canSetEpisodeLimit } from "../env/episodes.ts";
import { Rng } from "../util/rng.ts";
import { createOptimizer, type Optimizer, type OptimizerState } from "../train/optimizer.ts";
import type { RngState } from "../util/rng.ts";
import type { AgentFeedback, AgentParams } from "../net/agent_params.ts";
import type { ResolvedAgentSpec } from "../net/agent_spec.ts";
import {
  type ActorCriticOptions,
  type AgentGradientBatch,
  resolveActorCritic,
} from "./actor_critic.ts";
import { type AgentGroupHandle, localGroup, workerGroup } from "./agent_group_worker.ts";
import type { AgentActReply, AgentActRequest, AgentGroupState } from "./agent_group.ts";
import { type AgentHealth, agentHealth, sumSpikeCounts } from "./health.ts";

/** Options of {@linkcode AgentTrainer}. */
export interface AgentTrainerOptions {
  /** "online" (learning signals times TD errors, step by step) or "unroll" (the authors'). */
  form: "online" | "unroll" | "bptt";
  /** Train the CNN's filters too (forms "unroll" and "bptt"; default false). */
  trainCnn?: boolean;
  /** Factor on the actor-critic gradient reaching the CNN (default 1; the seed's 1e-8). */
  cnnTaskScale?: number;
  /**
   * "all-ended" (one update as soon as every episode has ended since the last one), "authors"
   * (the authors' schedule: checked at the end of each unroll, one update once every episode
   * has ended, then every episode restarts; pair it with `mask` "authors" so that an ended
   * episode waits, masked) or "every-unroll".
   */
  update?: "all-ended" | "authors" | "every-unroll";
  /** Heads' errors to the LSNN: "random" feedback (default) or "symmetric" (the authors'). */
  feedback?: "random" | "symmetric";
  /** With trainCnn: "through-lsnn" (default) or "pooled" (the authors'; see UnrollRewardOptions). */
  cnnPath?: "through-lsnn" | "pooled";
  /** Unroll forms: which steps count, "none" (default), "authors" or "episode". */
  mask?: "none" | "authors" | "episode";
  /**
   * "agent" (default) or "random": uniformly random actions drawn by the trainer, no network, no
   * learning, the same schedule (updates counted where they would come, with their resets) and
   * curriculum: the random policy's score measured the way the agent's is.
   */
  policy?: "agent" | "random";
  /**
   * The authors' curriculum (default none): the maximum episode length starts at `start` agent
   * steps; at the end of every unroll the environment's limit, shared by all episodes, is drawn
   * as L + u - jitter with u uniform in [0, 2 jitter); every `growEvery` frames L <- floor((L^(1/3)
   * + 1)^3). The environment must set its limit (LimitedVectorEnv).
   */
  curriculum?: AgentCurriculum;
  /** Agent steps per unroll (default 100). */
  unrollLength?: number;
  /** Adam learning rate (default 1e-3). */
  learningRate?: number;
  /** Adam epsilon (default 1). */
  adamEpsilon?: number;
  /** Seeds the action draws. */
  seed: number;
  /** Actor-critic constants. */
  actorCritic?: ActorCriticOptions;
  /** Precision of the CNN's core and of the online form's traces (default f32). */
  precision?: "f32" | "f64";
  /** Precision of the LSNN's step engine (default f64; the authors' TensorFlow runs f32). */
  lsnnPrecision?: "f32" | "f64";
  /**
   * Groups of episodes stepped in parallel, each in its own Web Worker (default 1: this thread).
   * Actions are drawn per group, so runs are reproducible for a given number of workers.
   */
  workers?: number;
}

/** The authors' episode-length curriculum ({@linkcode AgentTrainerOptions.curriculum}). */
export interface AgentCurriculum {
  /** Initial maximum episode length L in agent steps (the authors': 200). */
  start: number;
  /** Half-width of the jitter (the authors': 25). */
  jitter: number;
  /** Frames between increases of L (the authors': 7e7). */
  growEvery: number;
}

/** The curriculum's saved state. */
export interface AgentCurriculumState {
  /** The current L. */
  length: number;
  /** Frames at the last increase. */
  grownAt: number;
  /** The jitter's draws. */
  rng: RngState;
}

/**
 * The next maximum episode length of the authors' cubic schedule: floor((L^(1/3) + 1)^3).
 * @param length L.
 * @returns The next L (200 -> 321 -> 483 -> 689 ...).
 */
export function nextEpisodeLength(length: number): number {
  return Math.floor((Math.cbrt(length) + 1) ** 3);
}

/** A finished episode as the trainer reports it. */
export interface TrainedEpisode {
  /** Game score (unclipped). */
  score: number;
  /** Agent steps. */
  steps: number;
  /** Emulator frames seen by all episodes when it ended. */
  atFrame: number;
}

/** What one update reports. */
export interface AgentUpdate {
  /** Updates so far. */
  update: number;
  /** Emulator frames so far (all episodes). */
  frames: number;
  /** Mean LSNN firing rate since the previous update (spikes per network step). */
  rate: number;
  /** Firing-rate regularization loss. */
  rateLoss: number;
  /** Voltage regularization loss. */
  voltageLoss: number;
  /** With a curriculum: the maximum episode length L after this update. */
  maxEpisodeLength?: number;
  /** The network's health over the period (absent for the random policy). */
  health?: AgentHealth;
}

/**
 * Where the episodes are, for an exact resume: the loop's state at the end of an agent step (the
 * environment has stepped; the next step's observations, rewards and ends are not yet handed to
 * the groups), every group's network, learner and draws, and the environment's snapshot.
 */
export interface AgentRunState {
  /** The observations the next agent step acts on. */
  observations: Float32Array | Float64Array | Uint8Array;
  /** The last step's clipped rewards and ends (handed to the groups by the next step). */
  previous?: { rewards: Float64Array; ended: Uint8Array };
  /** Which episodes ended since the last update. */
  endedSince: Uint8Array;
  /** Agent steps into the current unroll. */
  sinceUnroll: number;
  /** Each group's state. */
  groups: AgentGroupState[];
  /** The environment's snapshot. */
  env: unknown;
}

/** The trainer's saved state (parameters, optimizer, draws, counters). */
export interface AgentTrainerState {
  /** Parameters by name. */
  params: Record<string, number[]>;
  /** Optimizer state. */
  optimizer: OptimizerState;
  /** Action draws, one per group. */
  rng: RngState[];
  /** Emulator frames so far. */
  frames: number;
  /** Updates so far. */
  updates: number;
  /** The curriculum's state (with a curriculum). */
  curriculum?: AgentCurriculumState;
  /** The random policy's draws (policy "random"). */
  randomActions?: RngState;
  /**
   * The episodes' state for an exact resume (absent before training starts, for an environment
   * without snapshot(), and in checkpoints of older versions: the episodes then restart).
   */
  run?: AgentRunState;
}

/** The training loop. */
export class AgentTrainer {
  /** The parameters' master copy (the optimizer's; groups get copies after each update). */
  readonly params: AgentParams;
  /** The agent's shape. */
  readonly spec: ResolvedAgentSpec;
  /** The environment. */
  readonly env: VectorEnv;
  /** Options as resolved. */
  readonly options: Required<Omit<AgentTrainerOptions, "actorCritic" | "curriculum">> & {
    curriculum?: AgentCurriculum;
  };
  #groups: AgentGroupHandle[];
  #starts: number[];
  #optimizer: Optimizer;
  #observations: Float32Array | Float64Array | Uint8Array | undefined;
  #previous: { rewards: Float64Array; ended: Uint8Array } | undefined;
  #endedSince: Uint8Array;
  #sinceUnroll = 0;
  #sendParams = false;
  #curriculum: { length: number; grownAt: number; rng: Rng } | undefined;
  #randomActions: Rng | undefined;
  /** Emulator frames so far. */
  frames = 0;
  /** Updates so far. */
  updates = 0;

  private constructor(
    spec: ResolvedAgentSpec,
    params: AgentParams,
    env: VectorEnv,
    groups: AgentGroupHandle[],
    starts: number[],
    options: AgentTrainer["options"],
  ) {
    this.spec = spec;
    this.params = params;
    this.env = env;
    this.#groups = groups;
    this.#starts = starts;
    this.options = options;
    this.#optimizer = createOptimizer("adam", {
      learningRate: options.learningRate,
      epsilon: options.adamEpsilon,
    });
    this.#endedSince = new Uint8Array(env.numEnvs);
    if (options.policy === "random") this.#randomActions = new Rng(options.seed + 15485863);
    const c = options.curriculum;
    if (c) {
      this.#curriculum = { length: c.start, grownAt: 0, rng: new Rng(options.seed + 104729) };
      if (canSetEpisodeLimit(env)) env.setMaxEpisodeSteps(c.start);
    }
  }

  /**
   * Builds the groups of episodes (in this thread, or one per worker) for an environment.
   * @param env The environment (grey square frames of the spec's size, the spec's action count).
   * @param spec The agent's shape.
   * @param params Initial parameters (the trainer's master copy; trained in place).
   * @param feedback Fixed random feedback.
   * @param options Form, schedule, optimizer, seed, workers.
   * @returns The trainer.
   * @throws {RangeError} When the environment does not fit the agent, naming the field.
   */
  static async create(
    env: VectorEnv,
    spec: ResolvedAgentSpec,
    params: AgentParams,
    feedback: AgentFeedback,
    options: AgentTrainerOptions,
  ): Promise<AgentTrainer> {
    const shape = env.observationShape;
    if (shape.height !== spec.frameSize || shape.width !== spec.frameSize || shape.channels !== 1) {
      throw new RangeError(
        `Cannot train agent: the environment's frames are ${shape.height}x${shape.width}x${shape.channels}, the agent takes ${spec.frameSize}x${spec.frameSize}x1`,
      );
    }
    if (env.actions.length !== spec.numActions) {
      throw new RangeError(
        `Cannot train agent: the environment has ${env.actions.length} actions, the agent ${spec.numActions}`,
      );
    }
    const o = {
      form: options.form,
      update: options.update ?? "all-ended",
      unrollLength: options.unrollLength ?? 100,
      learningRate: options.learningRate ?? 1e-3,
      adamEpsilon: options.adamEpsilon ?? 1,
      seed: options.seed,
      precision: options.precision ?? "f32",
      lsnnPrecision: options.lsnnPrecision ?? "f64",
      workers: options.workers ?? 1,
      policy: options.policy ?? "agent",
      trainCnn: options.trainCnn ?? false,
      cnnTaskScale: options.cnnTaskScale ?? 1,
      feedback: options.feedback ?? "random",
      cnnPath: options.cnnPath ?? "through-lsnn",
      mask: options.mask ?? "none",
      curriculum: options.curriculum,
    } as const;
    if (o.form !== "online" && o.form !== "unroll" && o.form !== "bptt") {
      throw new RangeError(
        `Cannot train agent: form must be "online", "unroll" or "bptt", got ${o.form}`,
      );
    }
    if (o.trainCnn && o.form === "online") {
      throw new RangeError(
        `Cannot train agent: trainCnn needs form "unroll" or "bptt" (the online form keeps no record of the CNN)`,
      );
    }
    if (o.update !== "all-ended" && o.update !== "authors" && o.update !== "every-unroll") {
      throw new RangeError(
        `Cannot train agent: update must be "all-ended", "authors" or "every-unroll", got ${o.update}`,
      );
    }
    if (o.update === "authors" && !canResetEpisodes(env)) {
      throw new TypeError(
        `Cannot train agent: update "authors" restarts every episode after an update, and ${env.name} cannot restart episodes`,
      );
    }
    if (o.policy !== "agent" && o.policy !== "random") {
      throw new RangeError(
        `Cannot train agent: policy must be "agent" or "random", got ${o.policy}`,
      );
    }
    if (o.feedback !== "random" && o.feedback !== "symmetric") {
      throw new RangeError(
        `Cannot train agent: feedback must be "random" or "symmetric", got ${o.feedback}`,
      );
    }
    if (o.mask !== "none" && o.form === "online") {
      throw new RangeError(
        `Cannot train agent: mask "${o.mask}" needs form "unroll" or "bptt" (the online form learns step by step)`,
      );
    }
    const c = o.curriculum;
    if (c !== undefined) {
      const int = (name: string, v: unknown, min: number) => {
        if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
          throw new RangeError(
            `Cannot train agent: curriculum.${name} must be an integer >= ${min}, got ${v}`,
          );
        }
      };
      int("start", c.start, 1);
      int("jitter", c.jitter, 0);
      int("growEvery", c.growEvery, 1);
      if (c.jitter >= c.start) {
        throw new RangeError(
          `Cannot train agent: curriculum.jitter must be below curriculum.start ${c.start}, got ${c.jitter}`,
        );
      }
      if (!canSetEpisodeLimit(env)) {
        throw new TypeError(
          `Cannot train agent: the curriculum sets the maximum episode length, and ${env.name} cannot (build it with a maximum episode length)`,
        );
      }
    }
    const N = env.numEnvs;
    if (!Number.isInteger(o.workers) || o.workers < 1 || o.workers > N) {
      throw new RangeError(
        `Cannot train agent: workers must be an integer in [1, ${N}] (the parallel episodes), got ${o.workers}`,
      );
    }
    const ac = resolveActorCritic(options.actorCritic);
    const starts = groupStarts(N, o.workers);
    const make = o.workers === 1 ? localGroup : workerGroup;
    const groups = await Promise.all(
      starts.slice(1).map((end, g) =>
        make({
          spec,
          params,
          feedback,
          ac,
          batchSize: end - starts[g],
          totalEpisodes: N,
          form: o.form,
          trainCnn: o.trainCnn,
          cnnTaskScale: o.cnnTaskScale,
          feedbackMode: o.feedback,
          cnnPath: o.cnnPath,
          mask: o.mask,
          unrollLength: o.unrollLength,
          precision: o.precision,
          lsnnPrecision: o.lsnnPrecision,
          seed: o.seed + 7919 * g,
        })
      ),
    );
    return new AgentTrainer(spec, params, env, groups, starts, o);
  }

  /**
   * Runs agent steps until `frames` emulator frames (all episodes) have been seen.
   * @param frames The frame budget (absolute, counted from the start of training).
   * @param hooks Called at each finished episode, each update and after each agent step.
   */
  async train(
    frames: number,
    hooks: {
      onEpisode?: (e: TrainedEpisode) => void;
      onUpdate?: (u: AgentUpdate) => void | Promise<void>;
      onStep?: () => void | Promise<void>;
    } = {},
  ): Promise<void> {
    const env = this.env, B = env.numEnvs, s0 = this.#starts;
    const size = this.spec.frameSize * this.spec.frameSize;
    if (this.#observations === undefined) this.#observations = await env.reset();
    const authors = this.options.update === "authors";
    // an environment stepped in the same groups as the agent's: the groups' steps overlap
    const pipelined = isGrouped(env) && env.groupStarts.length === s0.length &&
      env.groupStarts.every((x, i) => x === s0[i]) && s0.length > 2;
    const random = this.options.policy === "random";
    while (this.frames < frames) {
      const unrollDone = ++this.#sinceUnroll > this.options.unrollLength;
      if (unrollDone) this.#sinceUnroll = 1;
      let resetAll = false;
      const allEnded = unrollDone && this.#endedSince.every((e) => e === 1);
      if (random && allEnded) {
        // where the agent would update: count it, restart every episode (authors' schedule)
        this.updates++;
        this.#endedSince.fill(0);
        await hooks.onUpdate?.({
          update: this.updates,
          frames: this.frames,
          rate: 0,
          rateLoss: 0,
          voltageLoss: 0,
          ...(this.#curriculum ? { maxEpisodeLength: this.#curriculum.length } : {}),
        });
        if (authors) await this.#restartAll();
      } else if (authors && allEnded) {
        // the authors' update: every episode has ended; the gradient of the unroll just ended,
        // one step, then every episode restarts
        const prev = this.#previous;
        const replies = await Promise.all(this.#groups.map((g, k) =>
          g.act({
            observations: new Float32Array(0),
            previous: prev && {
              rewards: prev.rewards.subarray(s0[k], s0[k + 1]),
              ended: prev.ended.subarray(s0[k], s0[k + 1]),
            },
            unrollDone: true,
            due: true,
            finishOnly: true,
          })
        ));
        await this.#update(replies.map((r) => r.batch!), hooks);
        await this.#restartAll();
        resetAll = true;
      }
      if (unrollDone) this.#advanceCurriculum();
      const due = authors || random
        ? false
        : this.options.update === "every-unroll"
        ? unrollDone
        : this.#endedSince.every((e) => e === 1);
      if (due) this.#sinceUnroll = 1;
      const obs = this.#observations, prev = this.#previous;
      const params = this.#sendParams ? this.params : undefined;
      this.#sendParams = false;
      const request = (k: number): AgentActRequest => ({
        observations: obs.subarray(s0[k] * size, s0[k + 1] * size) as Float32Array,
        previous: prev && {
          rewards: prev.rewards.subarray(s0[k], s0[k + 1]),
          ended: prev.ended.subarray(s0[k], s0[k + 1]),
        },
        params,
        unrollDone: unrollDone && !resetAll,
        due,
        ...(resetAll ? { resetAll } : {}),
      });
      let replies: AgentActReply[], s: VectorStep;
      if (pipelined && !random) {
        // each group's emulators step as soon as its actions are drawn, while the other groups
        // still compute (the same actions, so the same run)
        const parts = await Promise.all(this.#groups.map(async (g, k) => {
          const r = await g.act(request(k));
          return { r, st: await (env as GroupedVectorEnv).stepGroup(k, r.actions) };
        }));
        replies = parts.map((x) => x.r);
        if (due) await this.#update(replies.map((r) => r.batch!), hooks);
        s = joinSteps(parts.map((x) => x.st));
      } else {
        replies = random ? [] : await Promise.all(this.#groups.map((g, k) => g.act(request(k))));
        if (due) await this.#update(replies.map((r) => r.batch!), hooks);
        const actions = new Int32Array(B);
        if (random) {
          for (let b = 0; b < B; b++) actions[b] = this.#randomActions!.int(env.actions.length);
        }
        replies.forEach((r, k) => actions.set(r.actions, s0[k]));
        s = await env.step(actions);
      }
      this.frames += B * env.frameSkip;
      const ended = new Uint8Array(B);
      for (let b = 0; b < B; b++) ended[b] = s.terminated[b] | s.truncated[b];
      this.#previous = { rewards: s.rewards, ended };
      for (const e of s.episodes) {
        // the authors count an episode's first end after an update only (the later ones wait)
        if (authors && this.#endedSince[e.env]) continue;
        hooks.onEpisode?.({ score: e.score, steps: e.steps, atFrame: this.frames });
      }
      for (let b = 0; b < B; b++) if (ended[b]) this.#endedSince[b] = 1;
      this.#observations = s.observations;
      await hooks.onStep?.();
    }
  }

  /** Every episode restarts (the authors' schedule after an update); the last step is dropped. */
  async #restartAll(): Promise<void> {
    const env = this.env;
    if (!canResetEpisodes(env)) throw new TypeError(`Cannot restart ${env.name}'s episodes`);
    this.#observations = (await env.resetEpisodes(new Uint8Array(env.numEnvs).fill(1)))
      .observations;
    this.#previous = undefined;
  }

  /** At the end of an unroll: the next shared episode limit, and L's growth when due. */
  #advanceCurriculum(): void {
    const c = this.#curriculum, o = this.options.curriculum;
    if (!c || !o) return;
    const limit = c.length + (o.jitter > 0 ? c.rng.int(2 * o.jitter) : 0) - o.jitter;
    if (canSetEpisodeLimit(this.env)) this.env.setMaxEpisodeSteps(Math.max(1, limit));
    if (this.frames > c.grownAt + o.growEvery) {
      c.length = nextEpisodeLength(c.length);
      c.grownAt = this.frames;
    }
  }

  async #update(
    batches: AgentGradientBatch[],
    hooks: { onUpdate?: (u: AgentUpdate) => void | Promise<void> },
  ): Promise<void> {
    const grads: Record<string, Float64Array> = {};
    let steps = 0, rateSum = 0, rateLoss = 0, voltageLoss = 0;
    for (const b of batches) {
      for (const [name, g] of Object.entries(b.grads)) {
        const sum = grads[name] ??= new Float64Array(g.length);
        for (let i = 0; i < g.length; i++) sum[i] += g[i];
      }
      steps += b.agentSteps;
      rateSum += b.rate * b.agentSteps;
      rateLoss += b.rateLoss;
      voltageLoss += b.voltageLoss;
    }
    const health = agentHealth(
      sumSpikeCounts(batches.map((b) => b.spikeCounts)),
      batches.map((b) => b.stats),
      grads,
    );
    const trained = Object.fromEntries(Object.keys(grads).map((n) => [n, this.params[n]]));
    this.#optimizer.step(trained, grads);
    this.#sendParams = true;
    this.updates++;
    this.#endedSince.fill(0);
    await hooks.onUpdate?.({
      update: this.updates,
      frames: this.frames,
      rate: steps ? rateSum / steps : 0,
      rateLoss,
      voltageLoss,
      ...(this.#curriculum ? { maxEpisodeLength: this.#curriculum.length } : {}),
      health,
    });
  }

  /**
   * The state to resume from, taken between agent steps (not while `train` is running a step:
   * from a hook, only from `onStep`, which runs after the environment has stepped). With an
   * environment that can save its state ({@linkcode canSnapshot}), it holds `run`, and a restored
   * trainer continues exactly as this one would (same draws, parameters and episodes, bit for
   * bit); otherwise the episodes restart on resume.
   * @returns Plain data with typed arrays under `run` (see ../util/state_codec.ts for files).
   */
  async save(): Promise<AgentTrainerState> {
    const state: AgentTrainerState = {
      params: Object.fromEntries(Object.entries(this.params).map(([k, v]) => [k, Array.from(v)])),
      optimizer: this.#optimizer.state(),
      rng: await Promise.all(this.#groups.map((g) => g.rngState())),
      frames: this.frames,
      updates: this.updates,
    };
    const c = this.#curriculum;
    if (c) state.curriculum = { length: c.length, grownAt: c.grownAt, rng: c.rng.state() };
    if (this.#randomActions) state.randomActions = this.#randomActions.state();
    if (this.#observations !== undefined && canSnapshot(this.env)) {
      const prev = this.#previous;
      state.run = {
        observations: this.#observations.slice(),
        previous: prev && { rewards: prev.rewards.slice(), ended: prev.ended.slice() },
        endedSince: this.#endedSince.slice(),
        sinceUnroll: this.#sinceUnroll,
        groups: await Promise.all(this.#groups.map((g) => g.saveState())),
        env: await this.env.snapshot(),
      };
    }
    return state;
  }

  /**
   * Restores a saved state: parameters, optimizer, draws, counters, and with `run` the episodes
   * (the networks, learners and environment), so that training continues exactly.
   * @param state What {@linkcode AgentTrainer.save} returned (or an older checkpoint's state).
   * @returns True if the episodes continue (`run` restored), false if they restart.
   * @throws {RangeError} For a state of another shape (worker count, sizes), naming the field;
   *   {TypeError} for `run` with an environment that cannot restore its state.
   */
  async restore(state: AgentTrainerState): Promise<boolean> {
    // checkpoints written before --workers held one generator, not a list
    const rng = Array.isArray(state.rng) ? state.rng : [state.rng as unknown as RngState];
    if (rng.length !== this.#groups.length) {
      throw new RangeError(
        `Cannot resume agent: the checkpoint has ${rng.length} worker(s), this run ${this.#groups.length}`,
      );
    }
    for (const [k, v] of Object.entries(state.params)) this.params[k].set(v);
    this.#sendParams = true;
    this.#optimizer.restore(state.optimizer);
    await Promise.all(this.#groups.map((g, k) => g.restoreRng(rng[k])));
    this.frames = state.frames;
    this.updates = state.updates;
    if (this.#curriculum && state.curriculum) {
      const c = state.curriculum;
      this.#curriculum = { length: c.length, grownAt: c.grownAt, rng: Rng.fromState(c.rng) };
    }
    if (this.#randomActions && state.randomActions) {
      this.#randomActions = Rng.fromState(state.randomActions);
    }
    const run = state.run;
    if (!run) return false;
    const B = this.env.numEnvs, size = this.spec.frameSize * this.spec.frameSize;
    if (run.observations?.length !== B * size || run.endedSince?.length !== B) {
      throw new RangeError(
        `Cannot resume agent: run.observations must hold ${B} x ${size} values and run.endedSince ${B}, got ${run.observations?.length} and ${run.endedSince?.length}`,
      );
    }
    if (run.groups?.length !== this.#groups.length) {
      throw new RangeError(
        `Cannot resume agent: run.groups must hold ${this.#groups.length} groups, got ${run.groups?.length}`,
      );
    }
    const env = requireSnapshot(this.env, "Cannot resume agent");
    await env.restore(run.env);
    await Promise.all(this.#groups.map((g, k) => g.loadState(run.groups[k])));
    this.#observations = run.observations.slice();
    this.#previous = run.previous &&
      { rewards: run.previous.rewards.slice(), ended: run.previous.ended.slice() };
    this.#endedSince = run.endedSince.slice();
    this.#sinceUnroll = run.sinceUnroll;
    return true;
  }

  /** Ends the groups (and their workers). */
  close(): void {
    for (const g of this.#groups) g.close();
  }
}

/** The steps of consecutive groups of episodes as one step of all of them. */
function joinSteps(parts: VectorStep[]): VectorStep {
  const cat = <T extends Float32Array | Float64Array | Uint8Array | Int32Array>(
    arrays: T[],
    make: (n: number) => T,
  ): T => {
    const out = make(arrays.reduce((a, x) => a + x.length, 0));
    let at = 0;
    for (const x of arrays) out.set(x as never, at), at += x.length;
    return out;
  };
  const obs = parts.map((p) => p.observations);
  return {
    observations: obs[0] instanceof Float32Array
      ? cat(obs as Float32Array[], (n) => new Float32Array(n))
      : cat(obs as Uint8Array[], (n) => new Uint8Array(n)),
    rewards: cat(parts.map((p) => p.rewards), (n) => new Float64Array(n)),
    rawRewards: cat(parts.map((p) => p.rawRewards), (n) => new Float64Array(n)),
    terminated: cat(parts.map((p) => p.terminated), (n) => new Uint8Array(n)),
    truncated: cat(parts.map((p) => p.truncated), (n) => new Uint8Array(n)),
    lives: cat(parts.map((p) => p.lives), (n) => new Int32Array(n)),
    episodes: parts.flatMap((p) => p.episodes),
  };
}

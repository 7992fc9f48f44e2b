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
import type { VectorEnv } from "../env/vector_env.ts";
import { createOptimizer, type Optimizer, type OptimizerState } from "../train/optimizer.ts";
import { Rng, type RngState } from "../util/rng.ts";
import { AgentNetwork } from "./agent_network.ts";
import type { AgentFeedback, AgentParams } from "./agent_params.ts";
import type { ResolvedAgentSpec } from "./agent_spec.ts";
import {
  type ActorCriticOptions,
  resolveActorCritic,
  type RewardLearner,
  sampleActions,
} from "./actor_critic.ts";
import { OnlineRewardEprop } from "./reward_online.ts";
import { UnrollRewardEprop } from "./reward_unroll.ts";

/** Options of {@linkcode AgentTrainer}. */
export interface AgentTrainerOptions {
  /** "online" (learning signals times TD errors, step by step) or "unroll" (the authors'). */
  form: "online" | "unroll";
  /** "all-ended" (the paper: once every episode has ended) or "every-unroll". */
  update?: "all-ended" | "every-unroll";
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
}

/** The trainer's saved state (parameters, optimizer, draws, counters). */
export interface AgentTrainerState {
  /** Parameters by name. */
  params: Record<string, number[]>;
  /** Optimizer state. */
  optimizer: OptimizerState;
  /** Action draws. */
  rng: RngState;
  /** Emulator frames so far. */
  frames: number;
  /** Updates so far. */
  updates: number;
}

/** The training loop. */
export class AgentTrainer {
  /** The network. */
  readonly net: AgentNetwork;
  /** The environment. */
  readonly env: VectorEnv;
  /** The learner. */
  readonly learner: RewardLearner;
  /** Options as resolved. */
  readonly options: Required<Omit<AgentTrainerOptions, "actorCritic">>;
  #optimizer: Optimizer;
  #rng: Rng;
  #observations: Float32Array | Float64Array | Uint8Array | undefined;
  #endedSince: Uint8Array;
  #sinceUnroll = 0;
  /** Emulator frames so far. */
  frames = 0;
  /** Updates so far. */
  updates = 0;

  private constructor(
    net: AgentNetwork,
    env: VectorEnv,
    learner: RewardLearner,
    options: AgentTrainer["options"],
  ) {
    this.net = net;
    this.env = env;
    this.learner = learner;
    this.options = options;
    this.#optimizer = createOptimizer("adam", {
      learningRate: options.learningRate,
      epsilon: options.adamEpsilon,
    });
    this.#rng = new Rng(options.seed);
    this.#endedSince = new Uint8Array(env.numEnvs);
  }

  /**
   * Builds the network and the learner for an environment.
   * @param env The environment (grey square frames of the spec's size, the spec's action count).
   * @param spec The agent's shape.
   * @param params Initial parameters (trained in place).
   * @param feedback Fixed random feedback.
   * @param options Form, schedule, optimizer, seed.
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
    } as const;
    if (o.form !== "online" && o.form !== "unroll") {
      throw new RangeError(`Cannot train agent: form must be "online" or "unroll", got ${o.form}`);
    }
    if (o.update !== "all-ended" && o.update !== "every-unroll") {
      throw new RangeError(
        `Cannot train agent: update must be "all-ended" or "every-unroll", got ${o.update}`,
      );
    }
    const ac = resolveActorCritic(options.actorCritic);
    const B = env.numEnvs;
    const net = await AgentNetwork.create(spec, B, params, { precision: o.precision });
    const learner = o.form === "online"
      ? await OnlineRewardEprop.create(spec, feedback, ac, B, { precision: o.precision })
      : new UnrollRewardEprop(spec, feedback, ac, B, o.unrollLength);
    return new AgentTrainer(net, env, learner, o);
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
    const env = this.env, net = this.net, B = env.numEnvs, A = net.spec.numActions;
    if (this.#observations === undefined) this.#observations = await env.reset();
    while (this.frames < frames) {
      const rec = net.step(this.#observations);
      const unrollDone = ++this.#sinceUnroll > this.options.unrollLength;
      if (unrollDone) this.#sinceUnroll = 1;
      if (this.learner instanceof UnrollRewardEprop && unrollDone) {
        this.learner.finishUnroll(rec.value);
      }
      const due = this.options.update === "every-unroll"
        ? unrollDone
        : this.#endedSince.every((e) => e === 1);
      if (due) {
        if (this.learner instanceof UnrollRewardEprop && !unrollDone) {
          this.learner.finishUnroll(rec.value);
          this.#sinceUnroll = 1;
        }
        const batch = this.learner.take();
        const trained = Object.fromEntries(
          Object.keys(batch.grads).map((name) => [name, net.params[name]]),
        );
        this.#optimizer.step(trained, batch.grads);
        net.syncConv();
        this.updates++;
        this.#endedSince.fill(0);
        await hooks.onUpdate?.({
          update: this.updates,
          frames: this.frames,
          rate: batch.rate,
          rateLoss: batch.rateLoss,
        });
      }
      const actions = sampleActions(rec.pi, A, this.#rng);
      this.learner.observe(rec, actions);
      const s = await env.step(actions);
      this.frames += B * env.frameSkip;
      const ended = new Uint8Array(B);
      for (let b = 0; b < B; b++) ended[b] = s.terminated[b] | s.truncated[b];
      this.learner.reward(s.rewards, ended);
      net.resetEpisodes(ended);
      for (let b = 0; b < B; b++) if (ended[b]) this.#endedSince[b] = 1;
      for (const e of s.episodes) {
        hooks.onEpisode?.({ score: e.score, steps: e.steps, atFrame: this.frames });
      }
      this.#observations = s.observations;
      await hooks.onStep?.();
    }
  }

  /** The state to resume from (episodes restart on resume). */
  save(): AgentTrainerState {
    return {
      params: Object.fromEntries(
        Object.entries(this.net.params).map(([k, v]) => [k, Array.from(v)]),
      ),
      optimizer: this.#optimizer.state(),
      rng: this.#rng.state(),
      frames: this.frames,
      updates: this.updates,
    };
  }

  /** Restores a saved state (parameters in place, optimizer, draws, counters). */
  restore(state: AgentTrainerState): void {
    for (const [k, v] of Object.entries(state.params)) this.net.params[k].set(v);
    this.net.syncConv();
    this.#optimizer.restore(state.optimizer);
    this.#rng = Rng.fromState(state.rng);
    this.frames = state.frames;
    this.updates = state.updates;
  }
}

/**
 * A group of the agent's parallel episodes: its network and learner, run in this thread or in a
 * worker (./agent_worker.ts). The trainer (./agent_trainer.ts) owns the environment, the
 * parameters' master copy and the optimizer; each agent step it hands every group its
 * observations (and the previous step's rewards and ends, and new parameters after an update) and
 * gets back the sampled actions (and, when an update is due, the group's gradient).
 *
 * @module
 */
import type { Precision } from "../engine/backend.ts";
import { Rng, type RngState } from "../util/rng.ts";
import {
  type ActorCritic,
  type AgentGradientBatch,
  type RewardLearner,
  sampleActions,
} from "./actor_critic.ts";
import { AgentNetwork, type AgentNetworkState } from "./agent_network.ts";
import type { AgentFeedback, AgentParams } from "../net/agent_params.ts";
import type { ResolvedAgentSpec } from "../net/agent_spec.ts";
import { OnlineRewardEprop } from "./reward_online.ts";
import { UnrollRewardEprop } from "./reward_unroll.ts";

/** What a group is built from (plain data: it crosses to a worker). */
export interface AgentGroupInit {
  /** The agent's shape. */
  spec: ResolvedAgentSpec;
  /** Parameters (copied). */
  params: AgentParams;
  /** Fixed random feedback. */
  feedback: AgentFeedback;
  /** Actor-critic constants. */
  ac: ActorCritic;
  /** Episodes in the group. */
  batchSize: number;
  /** All parallel episodes (the groups' together; default batchSize). */
  totalEpisodes?: number;
  /** "online", "unroll" (e-prop over unrolls) or "bptt" (BPTT over unrolls, the comparison). */
  form: "online" | "unroll" | "bptt";
  /** Train the CNN's filters too (unroll and bptt forms). */
  trainCnn?: boolean;
  /** Factor on the actor-critic gradient reaching the CNN (default 1; the seed's 1e-8). */
  cnnTaskScale?: number;
  /** "random" (default) or "symmetric" feedback (the heads' own weights; the authors'). */
  feedbackMode?: "random" | "symmetric";
  /** With trainCnn (unroll forms): "through-lsnn" (default) or "pooled" (the authors'). */
  cnnPath?: "through-lsnn" | "pooled";
  /** Unroll forms: which steps count ("none" default, "authors", "episode"; see UnrollRewardOptions). */
  mask?: "none" | "authors" | "episode";
  /** Agent steps per unroll. */
  unrollLength: number;
  /** Precision of the CNN and the online traces. */
  precision: Precision;
  /** Precision of the LSNN (default f64). */
  lsnnPrecision?: Precision;
  /** Seeds the group's action draws. */
  seed: number;
}

/** One agent step's request to a group. */
export interface AgentActRequest {
  /** The group's observations [Bg][size][size]. */
  observations: Float32Array | Float64Array;
  /** The previous step's clipped rewards and ends of the group's episodes (none at the start). */
  previous?: { rewards: Float64Array; ended: Uint8Array };
  /** New parameters (after an update). */
  params?: AgentParams;
  /** Whether an unroll ends before this step (unroll form). */
  unrollDone: boolean;
  /** Whether an update is due before this step: the group hands over its gradient. */
  due: boolean;
  /**
   * Only end the unroll and hand over the gradient (after taking `previous`): no network step,
   * no actions (the trainer's update before an all-reset).
   */
  finishOnly?: boolean;
  /** Before this step, every episode's network back to its zero state (after an all-reset). */
  resetAll?: boolean;
}

/** A group's answer. */
export interface AgentActReply {
  /** Sampled actions [Bg]. */
  actions: Int32Array;
  /** The group's gradient when an update was due. */
  batch?: AgentGradientBatch;
}

/** What {@linkcode AgentGroup.saveState} returns. */
export interface AgentGroupState {
  /** The network's state. */
  net: AgentNetworkState;
  /** The learner's state (its saveState()). */
  learner: unknown;
  /** The action draws. */
  rng: RngState;
}

/** A learner that can save and restore its state. */
interface StatefulLearner {
  saveState(): unknown;
  loadState(s: unknown): void;
}

function stateful(learner: RewardLearner): StatefulLearner {
  const l = learner as Partial<StatefulLearner>;
  if (typeof l.saveState !== "function" || typeof l.loadState !== "function") {
    throw new TypeError(
      `Cannot save the agent's state: the learner ${learner.constructor.name} has no saveState/loadState`,
    );
  }
  return l as StatefulLearner;
}

/** The episodes of one group, in this thread. */
export class AgentGroup {
  /** The group's network. */
  readonly net: AgentNetwork;
  /** The group's learner. */
  readonly learner: RewardLearner;
  #rng: Rng;

  private constructor(net: AgentNetwork, learner: RewardLearner, seed: number) {
    this.net = net;
    this.learner = learner;
    this.#rng = new Rng(seed);
  }

  /**
   * Builds the group.
   * @param init Shape, parameters, feedback, constants, size, form, precision, seed.
   * @returns The group, its episodes at the zero state.
   */
  static async create(init: AgentGroupInit): Promise<AgentGroup> {
    const params: AgentParams = {};
    for (const [k, v] of Object.entries(init.params)) params[k] = Float64Array.from(v);
    const trainCnn = init.trainCnn ?? false;
    if (trainCnn && init.form === "online") {
      throw new RangeError(
        `Cannot build agent group: trainCnn needs form "unroll" or "bptt" (the online form keeps no record of the CNN)`,
      );
    }
    const net = await AgentNetwork.create(init.spec, init.batchSize, params, {
      precision: init.precision,
      lsnnPrecision: init.lsnnPrecision,
      recordCnn: trainCnn,
    });
    const symmetric = init.feedbackMode === "symmetric";
    const learner = init.form === "online"
      ? await OnlineRewardEprop.create(init.spec, init.feedback, init.ac, init.batchSize, {
        precision: init.precision,
        totalEpisodes: init.totalEpisodes,
        ...(symmetric
          ? { symmetricFrom: net.params as { wPi: Float64Array; wV: Float64Array } }
          : {}),
      })
      : new UnrollRewardEprop(
        init.spec,
        init.feedback,
        init.ac,
        init.batchSize,
        init.unrollLength,
        {
          method: init.form === "bptt" ? "bptt" : "eprop",
          network: net,
          trainCnn,
          cnnTaskScale: init.cnnTaskScale,
          totalEpisodes: init.totalEpisodes,
          feedback: init.feedbackMode,
          cnnPath: init.cnnPath,
          mask: init.mask,
        },
      );
    return new AgentGroup(net, learner, init.seed);
  }

  /**
   * One agent step of the group (see {@linkcode AgentActRequest}).
   * @param req The request.
   * @returns Actions, and the gradient when an update was due.
   */
  act(req: AgentActRequest): AgentActReply {
    const net = this.net, learner = this.learner;
    if (req.params) {
      for (const [k, v] of Object.entries(req.params)) net.params[k].set(v);
      net.syncConv();
    }
    if (req.previous) {
      learner.reward(req.previous.rewards, req.previous.ended);
      net.resetEpisodes(req.previous.ended);
    }
    if (req.finishOnly) {
      if (learner instanceof UnrollRewardEprop) learner.finishUnroll();
      return {
        actions: new Int32Array(0),
        batch: { ...learner.take(), spikeCounts: net.takeSpikeCounts() },
      };
    }
    if (req.resetAll) net.resetAll();
    const rec = net.step(req.observations);
    if (learner instanceof UnrollRewardEprop && (req.unrollDone || req.due)) {
      learner.finishUnroll(rec.value);
    }
    const batch = req.due ? { ...learner.take(), spikeCounts: net.takeSpikeCounts() } : undefined;
    const actions = sampleActions(rec.pi, net.spec.numActions, this.#rng);
    learner.observe(rec, actions);
    return { actions, batch };
  }

  /** The state of the action draws (for a checkpoint). */
  rngState(): ReturnType<Rng["state"]> {
    return this.#rng.state();
  }

  /** Restores the action draws. */
  restoreRng(state: ReturnType<Rng["state"]>): void {
    this.#rng = Rng.fromState(state);
  }

  /**
   * The group's complete state for an exact resume: its episodes' network state, the learner's
   * traces or recorded steps and accumulated gradient, and the action draws (the parameters are
   * the trainer's master copy, sent again after a restore).
   * @returns Plain data with typed arrays.
   * @throws {TypeError} If the learner cannot save its state.
   */
  saveState(): AgentGroupState {
    return {
      net: this.net.saveState(),
      learner: stateful(this.learner).saveState(),
      rng: this.rngState(),
    };
  }

  /**
   * Restores a state from {@linkcode AgentGroup.saveState} of a group of the same shape and form.
   * @param s The state.
   * @throws {RangeError} For a state that does not fit, naming the field.
   */
  loadState(s: AgentGroupState): void {
    this.net.loadState(s.net);
    stateful(this.learner).loadState(s.learner);
    this.restoreRng(s.rng);
  }

  /** Frees the network's core. */
  dispose(): void {
    this.net.dispose();
  }
}

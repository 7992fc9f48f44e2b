/**
 * The actor-critic pieces shared by both forms of reward-based e-prop (EPROP.md section 6):
 * constants, action sampling, the heads' error terms and the learning signals through the
 * fixed random feedback, the firing-rate regularizer's signal and the gradient set.
 *
 * Loss of one agent step k (summed over steps and episodes):
 * ```
 * E(k) = -log pi(a_k) sg(A_k) + 0.5 c_V A_k^2 - c_H H(pi_k),   A_k = R_k - V_k
 * dE/dlogits = (pi - onehot(a)) A_k + c_H pi (log pi + H),    dE/dV = -c_V A_k
 * ```
 *
 * @module
 */
import type { ParameterSet } from "../net/parameter_set.ts";
import type { Rng } from "../util/rng.ts";
import type { AgentFeedback } from "../net/agent_params.ts";
import type { ResolvedAgentSpec } from "../net/agent_spec.ts";

/** Constants of the actor-critic losses and the regularizer. */
export interface ActorCriticOptions {
  /** Discount gamma per agent step (default 0.99). */
  discount?: number;
  /** Baseline (value) cost c_V (default 1). */
  valueCost?: number;
  /** Entropy cost c_H (default 0.0025). */
  entropyCost?: number;
  /** Firing-rate regularization c_reg (default 50). */
  rateCost?: number;
  /** Target rate in spikes per network step (default 0.02 = 20 Hz at 1 ms per step). */
  rateTarget?: number;
  /**
   * Voltage regularization c_v of the LSNN (default 1e-4, the seed's `voltage_cost_rnn`):
   * E_v = c_v / N sum_{b,t,j} [max(0, v - A)^2 + max(0, -v - A)^2], A = thr + beta a, over the
   * network steps of the N parallel episodes.
   */
  voltageCost?: number;
  /**
   * Voltage regularization of the CNN, only when it is trained (default 0.5, the seed's
   * `voltage_cost_cnn`): c sum_{layers, units} mean_t [(mean_b max(0, v - thr))^2 +
   * (mean_b max(0, -v - thr))^2] over the network steps t of an unroll and its episodes (a group
   * in a worker takes its share B/N of it, with the means over its own B episodes).
   */
  cnnVoltageCost?: number;
}

/** {@linkcode ActorCriticOptions} filled in. */
export type ActorCritic = Required<ActorCriticOptions>;

/**
 * Fills in the defaults and checks the constants.
 * @param o The options.
 * @returns Every constant.
 * @throws {RangeError} Naming a constant out of range.
 */
export function resolveActorCritic(o: ActorCriticOptions = {}): ActorCritic {
  const r: ActorCritic = {
    discount: o.discount ?? 0.99,
    valueCost: o.valueCost ?? 1,
    entropyCost: o.entropyCost ?? 0.0025,
    rateCost: o.rateCost ?? 50,
    rateTarget: o.rateTarget ?? 0.02,
    voltageCost: o.voltageCost ?? 1e-4,
    cnnVoltageCost: o.cnnVoltageCost ?? 0.5,
  };
  for (const [key, v] of Object.entries(r)) {
    if (!Number.isFinite(v) || v < 0 || (key === "discount" && v > 1)) {
      throw new RangeError(
        `Cannot set up actor-critic: ${key} must be ${
          key === "discount" ? "in [0, 1]" : ">= 0"
        }, got ${v}`,
      );
    }
  }
  return r;
}

/**
 * Samples one action per episode from the policy.
 * @param pi Policies [B][A].
 * @param A Actions.
 * @param rng Draws.
 * @returns Action indices [B].
 */
export function sampleActions(pi: Float64Array, A: number, rng: Rng): Int32Array {
  const B = pi.length / A, out = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    let u = rng.uniform(), k = 0;
    for (; k < A - 1; k++) {
      u -= pi[b * A + k];
      if (u < 0) break;
    }
    out[b] = k;
  }
  return out;
}

/**
 * The entropy term's error c_H pi_m (log pi_m + H) for one policy.
 * @param pi The policy of one episode [A].
 * @param cH Entropy cost.
 * @param out Receives [A].
 */
export function entropyError(pi: ArrayLike<number>, cH: number, out: Float64Array): void {
  let H = 0;
  for (let m = 0; m < pi.length; m++) if (pi[m] > 0) H -= pi[m] * Math.log(pi[m]);
  for (let m = 0; m < pi.length; m++) {
    out[m] = pi[m] > 0 ? cH * pi[m] * (Math.log(pi[m]) + H) : 0;
  }
}

/**
 * Learning signals of the LSNN's neurons for one episode: L_j = sum_m B^pi[j][m] dLogits_m +
 * B^V_j dValue.
 * @param fb The feedback.
 * @param n Neurons.
 * @param A Actions.
 * @param dLogits Error at the logits [A].
 * @param dValue Error at the value.
 * @param out Receives [n].
 */
export function learningSignal(
  fb: AgentFeedback,
  n: number,
  A: number,
  dLogits: ArrayLike<number>,
  dValue: number,
  out: Float64Array,
): void {
  for (let j = 0; j < n; j++) {
    let L = fb.bV[j] * dValue;
    for (let m = 0; m < A; m++) L += fb.bPi[j * A + m] * dLogits[m];
    out[j] = L;
  }
}

/**
 * The firing-rate regularizer's learning signal L^reg_j = 2 c_reg (fbar_j - f_0) share / count,
 * with fbar_j = spikes_j / count (count = episode-steps of network time), and its loss share x
 * c_reg sum_j (fbar_j - f_0)^2. A learner holding a share B/N of the N parallel episodes (a group
 * in a worker) estimates fbar from its own episodes; with share B/N the groups' gradients add up
 * to the whole batch's (exactly when there is one group).
 * @param spikes Spikes per neuron over the period [n].
 * @param count Network steps summed over the learner's episodes.
 * @param ac The constants.
 * @param share The learner's share of the parallel episodes (default 1).
 * @returns The signal [n] and the loss.
 */
export function rateSignal(
  spikes: Float64Array,
  count: number,
  ac: ActorCritic,
  share = 1,
): { signal: Float64Array; loss: number } {
  const signal = new Float64Array(spikes.length);
  let loss = 0;
  if (count === 0) return { signal, loss };
  for (let j = 0; j < spikes.length; j++) {
    const d = spikes[j] / count - ac.rateTarget;
    loss += share * ac.rateCost * d * d;
    signal[j] = (2 * ac.rateCost * d * share) / count;
  }
  return { signal, loss };
}

/**
 * The voltage regularizer's derivatives at one network step of one episode: by the potential,
 * cv_j = 2 c (vUp_j - vDown_j), and by the adaptation, ca_j = -2 c beta (vUp_j + vDown_j)
 * (ALIF only, 0 for LIF); returns the step's loss c sum_j (vUp^2 + vDown^2).
 * @param rec A frame record's vUp = max(0, v - A) and vDown = max(0, -v - A), [S][B][n].
 * @param s The network step in the frame.
 * @param b The episode.
 * @param B Episodes in the record.
 * @param c The cost per episode (c_v times the learner's share, over B).
 * @param spec The agent's shape (n, nLif, beta).
 * @param cv Output [n].
 * @param ca Output [n].
 * @returns The loss of the step.
 */
export function voltageSignal(
  rec: { vUp: Float64Array; vDown: Float64Array },
  s: number,
  b: number,
  B: number,
  c: number,
  spec: Pick<ResolvedAgentSpec, "n" | "nLif" | "beta">,
  cv: Float64Array,
  ca: Float64Array,
): number {
  const { n, nLif, beta } = spec, o = (s * B + b) * n;
  let loss = 0;
  for (let j = 0; j < n; j++) {
    const u = rec.vUp[o + j], d = rec.vDown[o + j];
    loss += u * u + d * d;
    cv[j] = 2 * c * (u - d);
    ca[j] = j < nLif ? 0 : -2 * c * beta * (u + d);
  }
  return c * loss;
}

/**
 * A zero gradient for every trained parameter but the CNN's filters.
 * @param spec The shape.
 * @returns Zero arrays named as the parameters.
 */
export function zeroAgentGradients(spec: ResolvedAgentSpec): ParameterSet {
  return {
    wIn: new Float64Array(spec.nIn * spec.n),
    wRec: new Float64Array(spec.n * spec.n),
    wPi: new Float64Array(spec.nFeatures * spec.numActions),
    bPi: new Float64Array(spec.numActions),
    wV: new Float64Array(spec.nFeatures),
    bV: new Float64Array(1),
  };
}

/** What a learner hands to the optimizer. */
export interface AgentGradientBatch {
  /** Gradients of the summed losses. */
  grads: ParameterSet;
  /** Agent steps (summed over episodes) they cover. */
  agentSteps: number;
  /** Firing-rate regularization loss of the period. */
  rateLoss: number;
  /** Voltage regularization loss of the period. */
  voltageLoss: number;
  /** Mean LSNN rate of the period (spikes per network step). */
  rate: number;
  /** The actor-critic's sums over the period's counted steps (health). */
  stats?: import("./health.ts").LearnerStats;
  /** The period's spike counts (health; the group adds them from its network). */
  spikeCounts?: import("./health.ts").SpikeCounts;
}

/** The interface both forms implement for the trainer. */
export interface RewardLearner {
  /**
   * Takes one frame's forward record and the sampled actions (before the environment steps).
   * @param rec The frame record.
   * @param actions The actions.
   */
  observe(rec: import("./agent_network.ts").AgentFrameRecord, actions: Int32Array): void;
  /**
   * Takes the step's clipped rewards and which episodes ended (the network resets those).
   * @param rewards [B].
   * @param ended [B], 1 where the episode ended (terminated or cut).
   */
  reward(rewards: Float64Array, ended: Uint8Array): void;
  /**
   * Hands over the gradient accumulated so far and starts a new accumulation.
   * @returns The gradient set.
   */
  take(): AgentGradientBatch;
}

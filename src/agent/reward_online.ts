/**
 * Reward-based e-prop, online form (EPROP.md section 6): per-synapse eligibility traces updated
 * at every network step, learning signals from the policy and value errors through fixed random
 * feedback, a per-synapse low-pass F (decay = the discount) of L_j ebar_ji, and a weight change
 * delta(k) x F at every agent step, where delta(k) = r_k + gamma V_{k+1} - V_k is the TD error.
 * Memory is per episode and per synapse, independent of the episode length.
 *
 * Per episode and synapse (LSNN input and recurrent weights), at agent step k:
 * ```
 * traces (EPROP.md 3.1) through the frame's network steps -> ebar_ji(k) at its last step
 * g_ji   += delta(k-1) F_ji                   (delta(k-1) needs V_k: applied one step later)
 * g_ji   += L^H_j(k) ebar_ji(k)               (entropy: an immediate term)
 * F_ji    = gamma F_ji + L_j(k) ebar_ji(k)    L_j = sum_m B^pi[j][m](pi_m - onehot_m) - c_V B^V_j
 * S_ji   += sum_t e_ji(t)                     (rate regularizer: unfiltered traces)
 * g_ji   += sum_t cv_j(t) eps_v_i(t) + ca_j(t) eps_a_ji(t)    (voltage regularizer, immediate)
 * ```
 * The heads' weights get the same treatment with their exact gradients (phibar x error). An
 * episode that ends at step k (terminated or cut) takes delta(k) = r_k - V_k at once and starts
 * its next episode with zero traces. On complete episodes, sum_k delta(k) F(k) = sum_k L(k)
 * ebar(k) (R_k - V_k): the Monte-Carlo actor-critic gradient, as the unroll form computes it.
 *
 * @module
 */
import type { Precision } from "../engine/backend.ts";
import type {
  EngineSource,
  RewardTraceEngine,
  RewardTraceGroupState,
} from "../engine/step_engine.ts";
import { createRewardTraceEngine } from "../engine/factory/step_engines.ts";
import type { AgentFrameRecord } from "./agent_network.ts";
import type { AgentFeedback } from "../net/agent_params.ts";
import type { ResolvedAgentSpec } from "../net/agent_spec.ts";
import {
  type ActorCritic,
  type AgentGradientBatch,
  entropyError,
  learningSignal,
  rateSignal,
  type RewardLearner,
  voltageSignal,
  zeroAgentGradients,
} from "./actor_critic.ts";
import { copyExactLength } from "../util/errors.ts";

/** Options of {@linkcode OnlineRewardEprop.create}. */
export interface OnlineRewardEpropOptions {
  /** Arithmetic of the traces (default f32). */
  precision?: Precision;
  /** The compiled core (default: the bundled one). */
  module?: EngineSource;
  /** All parallel episodes N when this learner holds a group of them (default batchSize). */
  totalEpisodes?: number;
  /**
   * Symmetric feedback: the learning signals take the heads' current weights (their LSNN rows
   * of wPi and wV, read at every step from these parameters, which the caller keeps current)
   * instead of the fixed random feedback. Default: the random feedback.
   */
  symmetricFrom?: { wPi: Float64Array; wV: Float64Array };
}

/** The online learner for B parallel episodes (the synapses' traces on a trace engine). */
export class OnlineRewardEprop implements RewardLearner {
  readonly #spec: ResolvedAgentSpec;
  readonly #fixedFb: AgentFeedback;
  readonly #symmetricFrom: { wPi: Float64Array; wV: Float64Array } | undefined;
  readonly #ac: ActorCritic;
  readonly #B: number;
  readonly #traces: RewardTraceEngine;
  #heads: Record<string, Float64Array>;
  // heads' traces per episode
  readonly #fwPi: Float64Array;
  readonly #fbPi: Float64Array;
  readonly #fwV: Float64Array;
  readonly #fbV: Float64Array;
  // pending TD error parts per episode
  readonly #pendingReward: Float64Array;
  readonly #pendingValue: Float64Array;
  readonly #pending: Uint8Array;
  readonly #lastValue: Float64Array;
  #spikes: Float64Array;
  #count = 0;
  #agentSteps = 0;
  #voltageLoss = 0;
  /** The share B/N of the parallel episodes. */
  readonly #share: number;

  private constructor(
    spec: ResolvedAgentSpec,
    feedback: AgentFeedback,
    ac: ActorCritic,
    batchSize: number,
    traces: RewardTraceEngine,
    totalEpisodes: number,
    symmetricFrom?: { wPi: Float64Array; wV: Float64Array },
  ) {
    this.#spec = spec;
    this.#fixedFb = feedback;
    this.#symmetricFrom = symmetricFrom;
    this.#ac = ac;
    this.#traces = traces;
    this.#share = batchSize / totalEpisodes;
    const B = this.#B = batchSize, n = spec.n;
    const { wIn: _wIn, wRec: _wRec, ...heads } = zeroAgentGradients(spec);
    this.#heads = heads;
    const nF = spec.nFeatures, A = spec.numActions;
    this.#fwPi = new Float64Array(B * nF * A);
    this.#fbPi = new Float64Array(B * A);
    this.#fwV = new Float64Array(B * nF);
    this.#fbV = new Float64Array(B);
    this.#pendingReward = new Float64Array(B);
    this.#pendingValue = new Float64Array(B);
    this.#pending = new Uint8Array(B);
    this.#lastValue = new Float64Array(B);
    this.#spikes = new Float64Array(n);
  }

  /**
   * Sets up the traces of B episodes on a trace engine (from the factory).
   * @param spec The agent's shape.
   * @param feedback The fixed random feedback.
   * @param ac Actor-critic constants.
   * @param batchSize Parallel episodes B.
   * @param options Precision and module.
   * @returns The learner, every episode at its start.
   */
  static async create(
    spec: ResolvedAgentSpec,
    feedback: AgentFeedback,
    ac: ActorCritic,
    batchSize: number,
    options: OnlineRewardEpropOptions = {},
  ): Promise<OnlineRewardEprop> {
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new RangeError(
        `Cannot set up online reward e-prop: batchSize must be an integer >= 1, got ${batchSize}`,
      );
    }
    const total = options.totalEpisodes ?? batchSize;
    if (!Number.isInteger(total) || total < batchSize) {
      throw new RangeError(
        `Cannot set up online reward e-prop: totalEpisodes must be an integer >= batchSize (${batchSize}), got ${total}`,
      );
    }
    const traces = await createRewardTraceEngine({
      nIn: spec.nIn,
      n: spec.n,
      nLif: spec.nLif,
      steps: spec.stepsPerFrame,
      batch: batchSize,
      alpha: spec.alpha,
      rho: spec.rho,
      beta: spec.beta,
      kappa: spec.kappa,
      discount: ac.discount,
      voltage: ac.voltageCost > 0,
    }, { precision: options.precision ?? "f32", module: options.module });
    return new OnlineRewardEprop(
      spec,
      feedback,
      ac,
      batchSize,
      traces,
      total,
      options.symmetricFrom,
    );
  }

  /** The feedback of this step: the fixed random one, or the heads' current LSNN rows. */
  get #fb(): AgentFeedback {
    const p = this.#symmetricFrom;
    if (!p) return this.#fixedFb;
    const n = this.#spec.n;
    return { bPi: p.wPi.subarray(0, n * this.#spec.numActions), bV: p.wV.subarray(0, n) };
  }

  observe(rec: AgentFrameRecord, actions: Int32Array): void {
    const spec = this.#spec, B = this.#B, n = spec.n, A = spec.numActions, nF = spec.nFeatures;
    const S = spec.stepsPerFrame, ac = this.#ac, gamma = ac.discount, nIn = spec.nIn;
    const L = new Float64Array(n), LH = new Float64Array(n);
    const dLogits = new Float64Array(A), dH = new Float64Array(A);
    const psi = new Float64Array(S * n), psiPrev = new Float64Array(S * n);
    const pre = new Float64Array(S * n), x = new Float64Array(S * nIn);
    const volt = ac.voltageCost > 0;
    const cv = new Float64Array(S * n), ca = new Float64Array(S * n);
    for (let b = 0; b < B; b++) {
      // the TD error of the previous step, now that V_k is known
      const delta = this.#pending[b]
        ? this.#pendingReward[b] + gamma * rec.value[b] - this.#pendingValue[b]
        : 0;
      this.#pending[b] = 0;
      // errors at the heads
      const pi = rec.pi.subarray(b * A, (b + 1) * A);
      for (let m = 0; m < A; m++) dLogits[m] = pi[m] - (m === actions[b] ? 1 : 0);
      entropyError(pi, ac.entropyCost, dH);
      learningSignal(this.#fb, n, A, dLogits, -ac.valueCost, L);
      learningSignal(this.#fb, n, A, dH, 0, LH);
      // the frame's pseudo-derivatives, those one step earlier, and the spikes one step earlier
      for (let s = 0; s < S; s++) {
        psi.set(rec.psi.subarray((s * B + b) * n, (s * B + b + 1) * n), s * n);
        const before = s === 0
          ? rec.psiBefore.subarray(b * n, (b + 1) * n)
          : rec.psi.subarray(((s - 1) * B + b) * n, ((s - 1) * B + b + 1) * n);
        psiPrev.set(before, s * n);
        const zBefore = s === 0
          ? rec.zBefore.subarray(b * n, (b + 1) * n)
          : rec.z.subarray(((s - 1) * B + b) * n, ((s - 1) * B + b + 1) * n);
        pre.set(zBefore, s * n);
        x.set(rec.x.subarray((s * B + b) * nIn, (s * B + b + 1) * nIn), s * nIn);
        for (let j = 0; j < n; j++) this.#spikes[j] += rec.z[(s * B + b) * n + j];
        if (volt) {
          const c = (ac.voltageCost * this.#share) / B;
          const out = [cv.subarray(s * n, (s + 1) * n), ca.subarray(s * n, (s + 1) * n)] as const;
          this.#voltageLoss += voltageSignal(rec, s, b, B, c, spec, ...out);
        }
      }
      this.#traces.frame(b, { x, zPrev: pre, psi, psiPrev, L, LH, cv, ca }, delta);
      // heads: exact gradients through the same low-pass
      const f = rec.features.subarray(b * nF, (b + 1) * nF);
      const g = this.#heads, fw = this.#fwPi, fv = this.#fwV;
      for (let i = 0; i < nF; i++) {
        const fi = f[i], row = (b * nF + i) * A;
        for (let m = 0; m < A; m++) {
          g.wPi[i * A + m] += delta * fw[row + m] + fi * dH[m];
          fw[row + m] = gamma * fw[row + m] + fi * dLogits[m];
        }
        g.wV[i] += delta * fv[b * nF + i];
        fv[b * nF + i] = gamma * fv[b * nF + i] - ac.valueCost * fi;
      }
      for (let m = 0; m < A; m++) {
        g.bPi[m] += delta * this.#fbPi[b * A + m] + dH[m];
        this.#fbPi[b * A + m] = gamma * this.#fbPi[b * A + m] + dLogits[m];
      }
      g.bV[0] += delta * this.#fbV[b];
      this.#fbV[b] = gamma * this.#fbV[b] - ac.valueCost;
      this.#lastValue[b] = rec.value[b];
    }
    this.#count += B * S;
    this.#agentSteps += B;
  }

  reward(rewards: Float64Array, ended: Uint8Array): void {
    const B = this.#B;
    for (let b = 0; b < B; b++) {
      if (ended[b]) {
        // terminal (or cut): delta = r - V, applied now; the next episode starts from zero
        this.#applyDelta(b, rewards[b] - this.#lastValue[b]);
        this.#clear(b);
      } else {
        this.#pending[b] = 1;
        this.#pendingReward[b] = rewards[b];
        this.#pendingValue[b] = this.#lastValue[b];
      }
    }
  }

  #applyDelta(b: number, delta: number): void {
    const spec = this.#spec, nF = spec.nFeatures, A = spec.numActions;
    const g = this.#heads;
    this.#traces.applyDelta(b, delta);
    for (let k = 0; k < nF * A; k++) g.wPi[k] += delta * this.#fwPi[b * nF * A + k];
    for (let m = 0; m < A; m++) g.bPi[m] += delta * this.#fbPi[b * A + m];
    for (let k = 0; k < nF; k++) g.wV[k] += delta * this.#fwV[b * nF + k];
    g.bV[0] += delta * this.#fbV[b];
  }

  #clear(b: number): void {
    const spec = this.#spec, nF = spec.nFeatures, A = spec.numActions;
    this.#traces.clear(b);
    this.#fwPi.fill(0, b * nF * A, (b + 1) * nF * A);
    this.#fbPi.fill(0, b * A, (b + 1) * A);
    this.#fwV.fill(0, b * nF, (b + 1) * nF);
    this.#fbV[b] = 0;
    this.#pending[b] = 0;
  }

  take(): AgentGradientBatch {
    const spec = this.#spec, n = spec.n;
    const { signal, loss } = rateSignal(this.#spikes, this.#count, this.#ac, this.#share);
    const grads: Record<string, Float64Array> = { ...this.#traces.take(signal) };
    Object.assign(grads, this.#heads);
    let total = 0;
    for (let j = 0; j < n; j++) total += this.#spikes[j];
    const out: AgentGradientBatch = {
      grads,
      agentSteps: this.#agentSteps,
      rateLoss: loss,
      voltageLoss: this.#voltageLoss,
      rate: this.#count ? total / (this.#count * n) : 0,
    };
    const { wIn: _wIn, wRec: _wRec, ...heads } = zeroAgentGradients(spec);
    this.#heads = heads;
    this.#spikes = new Float64Array(n);
    this.#count = 0;
    this.#agentSteps = 0;
    this.#voltageLoss = 0;
    return out;
  }

  /**
   * The learner's complete state, for an exact resume: every trace (the engine's in its own
   * precision, f32 or f64), the heads' traces, the pending TD errors and the counters. Every
   * mutable field is listed here and in {@linkcode OnlineRewardEprop.loadState}.
   */
  saveState(): OnlineRewardEpropState {
    const traces = this.#traces.save();
    return {
      form: "online",
      precision: this.#traces.precision,
      in: traces.in,
      rec: traces.rec,
      heads: Object.fromEntries(Object.entries(this.#heads).map(([k, v]) => [k, v.slice()])),
      fwPi: this.#fwPi.slice(),
      fbPi: this.#fbPi.slice(),
      fwV: this.#fwV.slice(),
      fbV: this.#fbV.slice(),
      pendingReward: this.#pendingReward.slice(),
      pendingValue: this.#pendingValue.slice(),
      pending: this.#pending.slice(),
      lastValue: this.#lastValue.slice(),
      spikes: this.#spikes.slice(),
      count: this.#count,
      agentSteps: this.#agentSteps,
      voltageLoss: this.#voltageLoss,
    };
  }

  /**
   * Restores a state from {@linkcode OnlineRewardEprop.saveState} of a learner of the same shape.
   * @param s The state.
   * @throws {RangeError} For a state of another form, precision or size, naming the field.
   */
  loadState(s: OnlineRewardEpropState): void {
    const precision = this.#traces.precision;
    if (s?.form !== "online" || s.precision !== precision) {
      throw new RangeError(
        `Cannot load online learner state: form/precision must be online/${precision}, got ${s?.form}/${s?.precision}`,
      );
    }
    const copy = (
      name: string,
      to: Parameters<typeof copyExactLength>[2],
      from: ArrayLike<number>,
    ) => copyExactLength("load online learner state", name, to, from);
    this.#traces.load({ in: s.in, rec: s.rec });
    for (const [k, v] of Object.entries(this.#heads)) copy(`heads.${k}`, v, s.heads[k]);
    copy("fwPi", this.#fwPi, s.fwPi);
    copy("fbPi", this.#fbPi, s.fbPi);
    copy("fwV", this.#fwV, s.fwV);
    copy("fbV", this.#fbV, s.fbV);
    copy("pendingReward", this.#pendingReward, s.pendingReward);
    copy("pendingValue", this.#pendingValue, s.pendingValue);
    copy("pending", this.#pending, s.pending);
    copy("lastValue", this.#lastValue, s.lastValue);
    copy("spikes", this.#spikes, s.spikes);
    this.#count = s.count;
    this.#agentSteps = s.agentSteps;
    this.#voltageLoss = s.voltageLoss ?? 0;
  }

  /** Bytes of trace memory (the trace engine's and the heads'), fixed at construction. */
  get stateBytes(): number {
    return this.#traces.stateBytes + this.#fwPi.byteLength + this.#fwV.byteLength;
  }
}

/** One synapse group's traces in {@linkcode OnlineRewardEpropState} (the trace engine's). */
export type OnlineTracesState = RewardTraceGroupState;

/** The complete state of an {@linkcode OnlineRewardEprop} (plain data with typed arrays). */
export interface OnlineRewardEpropState {
  /** "online". */
  form: "online";
  /** The traces' precision. */
  precision: Precision;
  /** Input synapses. */
  in: OnlineTracesState;
  /** Recurrent synapses. */
  rec: OnlineTracesState;
  /** The heads' accumulated gradients. */
  heads: Record<string, Float64Array>;
  /** The heads' traces and the pending TD errors, per episode. */
  fwPi: Float64Array;
  /** See fwPi. */
  fbPi: Float64Array;
  /** See fwPi. */
  fwV: Float64Array;
  /** See fwPi. */
  fbV: Float64Array;
  /** See fwPi. */
  pendingReward: Float64Array;
  /** See fwPi. */
  pendingValue: Float64Array;
  /** See fwPi. */
  pending: Uint8Array;
  /** See fwPi. */
  lastValue: Float64Array;
  /** Spikes per neuron since the last update. */
  spikes: Float64Array;
  /** Network steps since the last update (all episodes). */
  count: number;
  /** Agent steps since the last update (all episodes). */
  agentSteps: number;
  /** Voltage loss since the last update. */
  voltageLoss?: number;
}

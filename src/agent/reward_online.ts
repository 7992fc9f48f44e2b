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
import { CoreMemory } from "../engine/wasm/core_instance.ts";
import { initWasm, type WasmSource } from "../engine/wasm/module.ts";
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

/** One synapse group's traces: input (pre = x) or recurrent (pre = z(t-1)). */
interface SynapseTraces {
  nPre: number;
  /** eps_v per episode and presynaptic neuron [B][nPre] (float64, here). */
  epsV: Float64Array;
  /** Core addresses, per episode b at b x size: eps_a [B][nPre][nAlif], ebar and F [B][nPre][n]. */
  epsA: number;
  ebar: number;
  F: number;
  /** Core addresses of the sums over episodes: unfiltered traces S and the gradient g [nPre][n]. */
  S: number;
  g: number;
}

/** Options of {@linkcode OnlineRewardEprop.create}. */
export interface OnlineRewardEpropOptions {
  /** Arithmetic of the traces (default f32). */
  precision?: Precision;
  /** The compiled core (default: the bundled one). */
  module?: WasmSource;
  /** All parallel episodes N when this learner holds a group of them (default batchSize). */
  totalEpisodes?: number;
}

/** The online learner for B parallel episodes (traces in a WebAssembly core's memory). */
export class OnlineRewardEprop implements RewardLearner {
  readonly #spec: ResolvedAgentSpec;
  readonly #fb: AgentFeedback;
  readonly #ac: ActorCritic;
  readonly #B: number;
  readonly #core: CoreMemory;
  readonly #in: SynapseTraces;
  readonly #rec: SynapseTraces;
  /** Scratch in the core: ev, evOld [S][max nPre], psi, psiPrev, cv, ca [S][n], L, LH [n]. */
  readonly #scratch: Record<"ev" | "evOld" | "psi" | "psiPrev" | "L" | "LH" | "cv" | "ca", number>;
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
    core: CoreMemory,
    totalEpisodes: number,
  ) {
    this.#spec = spec;
    this.#fb = feedback;
    this.#ac = ac;
    this.#core = core;
    this.#share = batchSize / totalEpisodes;
    const B = this.#B = batchSize, n = spec.n, S = spec.stepsPerFrame;
    const traces = (nPre: number): SynapseTraces => ({
      nPre,
      epsV: new Float64Array(B * nPre),
      epsA: core.alloc(B * nPre * spec.nAlif),
      ebar: core.alloc(B * nPre * n),
      F: core.alloc(B * nPre * n),
      S: core.alloc(nPre * n),
      g: core.alloc(nPre * n),
    });
    this.#in = traces(spec.nIn);
    this.#rec = traces(n);
    const maxPre = Math.max(spec.nIn, n);
    this.#scratch = {
      ev: core.alloc(S * maxPre),
      evOld: core.alloc(S * maxPre),
      psi: core.alloc(S * n),
      psiPrev: core.alloc(S * n),
      L: core.alloc(n),
      LH: core.alloc(n),
      cv: core.alloc(S * n),
      ca: core.alloc(S * n),
    };
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
   * Allocates the traces of B episodes in a new core instance.
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
    const core = new CoreMemory(await initWasm(options.module), options.precision ?? "f32");
    return new OnlineRewardEprop(spec, feedback, ac, batchSize, core, total);
  }

  observe(rec: AgentFrameRecord, actions: Int32Array): void {
    const spec = this.#spec, B = this.#B, n = spec.n, A = spec.numActions, nF = spec.nFeatures;
    const S = spec.stepsPerFrame, ac = this.#ac, gamma = ac.discount, core = this.#core;
    const L = new Float64Array(n), LH = new Float64Array(n);
    const dLogits = new Float64Array(A), dH = new Float64Array(A);
    const psi = new Float64Array(S * n), psiPrev = new Float64Array(S * n);
    const pre = new Float64Array(S * n);
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
        for (let j = 0; j < n; j++) this.#spikes[j] += rec.z[(s * B + b) * n + j];
        if (volt) {
          const c = (ac.voltageCost * this.#share) / B;
          const out = [cv.subarray(s * n, (s + 1) * n), ca.subarray(s * n, (s + 1) * n)] as const;
          this.#voltageLoss += voltageSignal(rec, s, b, B, c, spec, ...out);
        }
      }
      const sc = this.#scratch;
      if (volt) {
        core.write(sc.cv, cv);
        core.write(sc.ca, ca);
      }
      core.write(sc.psi, psi);
      core.write(sc.psiPrev, psiPrev);
      core.write(sc.L, L);
      core.write(sc.LH, LH);
      const nIn = spec.nIn;
      this.#synapses(this.#in, b, (s, i) => rec.x[(s * B + b) * nIn + i], delta);
      this.#synapses(this.#rec, b, (s, i) => pre[s * n + i], delta);
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

  /** Advances one episode's traces of a synapse group through the frame and applies delta. */
  #synapses(
    t: SynapseTraces,
    b: number,
    preAt: (s: number, i: number) => number,
    delta: number,
  ): void {
    const spec = this.#spec, n = spec.n, S = spec.stepsPerFrame, nPre = t.nPre, core = this.#core;
    const sc = this.#scratch, alpha = spec.alpha;
    const ev = core.view(sc.ev, S * nPre), evOld = core.view(sc.evOld, S * nPre);
    for (let i = 0; i < nPre; i++) {
      let e0 = t.epsV[b * nPre + i];
      for (let s = 0; s < S; s++) {
        evOld[s * nPre + i] = e0;
        e0 = alpha * e0 + preAt(s, i);
        ev[s * nPre + i] = e0;
      }
      t.epsV[b * nPre + i] = e0;
    }
    const size = nPre * n;
    core.k.rewardTraceFrame(
      nPre,
      n,
      spec.nLif,
      S,
      t === this.#rec ? 1 : 0,
      sc.ev,
      sc.evOld,
      sc.psi,
      sc.psiPrev,
      sc.L,
      sc.LH,
      this.#ac.voltageCost > 0 ? 1 : 0,
      sc.cv,
      sc.ca,
      delta,
      spec.kappa,
      1 - spec.kappa,
      spec.rho,
      spec.beta,
      this.#ac.discount,
      core.at(t.ebar, b * size),
      core.at(t.F, b * size),
      core.at(t.epsA, b * nPre * spec.nAlif),
      t.S,
      t.g,
    );
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
    const spec = this.#spec, n = spec.n, nF = spec.nFeatures, A = spec.numActions;
    const g = this.#heads, core = this.#core;
    for (const t of [this.#in, this.#rec]) {
      const size = t.nPre * n;
      const F = core.view(core.at(t.F, b * size), size), grad = core.view(t.g, size);
      for (let k = 0; k < size; k++) grad[k] += delta * F[k];
    }
    for (let k = 0; k < nF * A; k++) g.wPi[k] += delta * this.#fwPi[b * nF * A + k];
    for (let m = 0; m < A; m++) g.bPi[m] += delta * this.#fbPi[b * A + m];
    for (let k = 0; k < nF; k++) g.wV[k] += delta * this.#fwV[b * nF + k];
    g.bV[0] += delta * this.#fbV[b];
  }

  #clear(b: number): void {
    const spec = this.#spec, n = spec.n, nF = spec.nFeatures, A = spec.numActions;
    const core = this.#core;
    for (const t of [this.#in, this.#rec]) {
      t.epsV.fill(0, b * t.nPre, (b + 1) * t.nPre);
      const a = t.nPre * spec.nAlif, size = t.nPre * n;
      core.view(core.at(t.epsA, b * a), a).fill(0);
      core.view(core.at(t.ebar, b * size), size).fill(0);
      core.view(core.at(t.F, b * size), size).fill(0);
    }
    this.#fwPi.fill(0, b * nF * A, (b + 1) * nF * A);
    this.#fbPi.fill(0, b * A, (b + 1) * A);
    this.#fwV.fill(0, b * nF, (b + 1) * nF);
    this.#fbV[b] = 0;
    this.#pending[b] = 0;
  }

  take(): AgentGradientBatch {
    const spec = this.#spec, n = spec.n, core = this.#core;
    const { signal, loss } = rateSignal(this.#spikes, this.#count, this.#ac, this.#share);
    const grads: Record<string, Float64Array> = {};
    for (const [name, t] of [["wIn", this.#in], ["wRec", this.#rec]] as const) {
      const size = t.nPre * n, grad = core.read(t.g, size);
      const S = core.view(t.S, size);
      for (let i = 0; i < t.nPre; i++) {
        for (let j = 0; j < n; j++) grad[i * n + j] += signal[j] * S[i * n + j];
      }
      S.fill(0);
      core.view(t.g, size).fill(0);
      grads[name] = grad;
    }
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
   * The learner's complete state, for an exact resume: every trace (the core's in its own
   * precision, f32 or f64), the heads' traces, the pending TD errors and the counters. Every
   * mutable field is listed here and in {@linkcode OnlineRewardEprop.loadState}.
   */
  saveState(): OnlineRewardEpropState {
    const core = this.#core, spec = this.#spec, B = this.#B, n = spec.n;
    const traces = (t: SynapseTraces) => ({
      epsV: t.epsV.slice(),
      epsA: core.view(t.epsA, B * t.nPre * spec.nAlif).slice(),
      ebar: core.view(t.ebar, B * t.nPre * n).slice(),
      F: core.view(t.F, B * t.nPre * n).slice(),
      S: core.view(t.S, t.nPre * n).slice(),
      g: core.view(t.g, t.nPre * n).slice(),
    });
    return {
      form: "online",
      precision: core.precision,
      in: traces(this.#in),
      rec: traces(this.#rec),
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
    const core = this.#core;
    if (s?.form !== "online" || s.precision !== core.precision) {
      throw new RangeError(
        `Cannot load online learner state: form/precision must be online/${core.precision}, got ${s?.form}/${s?.precision}`,
      );
    }
    const copy = (
      name: string,
      to: { length: number; set(a: ArrayLike<number>): void },
      from: ArrayLike<number>,
    ) => {
      if (from?.length !== to.length) {
        throw new RangeError(
          `Cannot load online learner state: ${name} must hold ${to.length} values, got ${from?.length}`,
        );
      }
      to.set(from);
    };
    const spec = this.#spec, B = this.#B, n = spec.n;
    for (const [name, t] of [["in", this.#in], ["rec", this.#rec]] as const) {
      const saved = s[name];
      copy(`${name}.epsV`, t.epsV, saved.epsV);
      copy(`${name}.epsA`, core.view(t.epsA, B * t.nPre * spec.nAlif), saved.epsA);
      copy(`${name}.ebar`, core.view(t.ebar, B * t.nPre * n), saved.ebar);
      copy(`${name}.F`, core.view(t.F, B * t.nPre * n), saved.F);
      copy(`${name}.S`, core.view(t.S, t.nPre * n), saved.S);
      copy(`${name}.g`, core.view(t.g, t.nPre * n), saved.g);
    }
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

  /** Bytes of trace memory (core and TypeScript), fixed at construction. */
  get stateBytes(): number {
    return this.#core.arena.mark() + 8 * (this.#in.epsV.length + this.#rec.epsV.length) +
      this.#fwPi.byteLength + this.#fwV.byteLength;
  }
}

/** One synapse group's traces in {@linkcode OnlineRewardEpropState}. */
export interface OnlineTracesState {
  /** eps_v [B][nPre] (float64). */
  epsV: Float64Array;
  /** eps_a [B][nPre][nAlif], ebar and F [B][nPre][n], S and g [nPre][n], in the core's precision. */
  epsA: Float32Array | Float64Array;
  /** ebar [B][nPre][n]. */
  ebar: Float32Array | Float64Array;
  /** F [B][nPre][n]. */
  F: Float32Array | Float64Array;
  /** Unfiltered trace sums [nPre][n]. */
  S: Float32Array | Float64Array;
  /** Accumulated gradient [nPre][n]. */
  g: Float32Array | Float64Array;
}

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

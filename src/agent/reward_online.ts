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
 * S_ji   += sum_t e_ji(t)                     (regularizer: unfiltered traces)
 * ```
 * The heads' weights get the same treatment with their exact gradients (phibar x error). An
 * episode that ends at step k (terminated or cut) takes delta(k) = r_k - V_k at once and starts
 * its next episode with zero traces. On complete episodes, sum_k delta(k) F(k) = sum_k L(k)
 * ebar(k) (R_k - V_k): the Monte-Carlo actor-critic gradient, as the unroll form computes it.
 *
 * @module
 */
import type { AgentFrameRecord } from "./agent_network.ts";
import type { AgentFeedback } from "./agent_params.ts";
import type { ResolvedAgentSpec } from "./agent_spec.ts";
import {
  type ActorCritic,
  type AgentGradientBatch,
  entropyError,
  learningSignal,
  rateSignal,
  type RewardLearner,
  zeroAgentGradients,
} from "./actor_critic.ts";

/** One synapse group's per-episode traces: input (pre = x) or recurrent (pre = z(t-1)). */
interface SynapseTraces {
  nPre: number;
  /** eps_v per presynaptic neuron [B][nPre]. */
  epsV: Float64Array;
  /** eps_a of the ALIF columns [B][nPre][nAlif]. */
  epsA: Float64Array;
  /** Filtered eligibility [B][nPre][n]. */
  ebar: Float64Array;
  /** Low-pass of L ebar [B][nPre][n]. */
  F: Float64Array;
  /** Unfiltered trace sums (all episodes) [nPre][n]. */
  S: Float64Array;
}

/** The online learner for B parallel episodes. */
export class OnlineRewardEprop implements RewardLearner {
  readonly #spec: ResolvedAgentSpec;
  readonly #fb: AgentFeedback;
  readonly #ac: ActorCritic;
  readonly #B: number;
  readonly #in: SynapseTraces;
  readonly #rec: SynapseTraces;
  #g: Record<string, Float64Array>;
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

  /**
   * Allocates the traces of B episodes.
   * @param spec The agent's shape.
   * @param feedback The fixed random feedback.
   * @param ac Actor-critic constants.
   * @param batchSize Parallel episodes B.
   */
  constructor(
    spec: ResolvedAgentSpec,
    feedback: AgentFeedback,
    ac: ActorCritic,
    batchSize: number,
  ) {
    this.#spec = spec;
    this.#fb = feedback;
    this.#ac = ac;
    const B = this.#B = batchSize, n = spec.n;
    const traces = (nPre: number): SynapseTraces => ({
      nPre,
      epsV: new Float64Array(B * nPre),
      epsA: new Float64Array(B * nPre * spec.nAlif),
      ebar: new Float64Array(B * nPre * n),
      F: new Float64Array(B * nPre * n),
      S: new Float64Array(nPre * n),
    });
    this.#in = traces(spec.nIn);
    this.#rec = traces(n);
    this.#g = zeroAgentGradients(spec);
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

  observe(rec: AgentFrameRecord, actions: Int32Array): void {
    const spec = this.#spec, B = this.#B, n = spec.n, A = spec.numActions, nF = spec.nFeatures;
    const S = spec.stepsPerFrame, ac = this.#ac, gamma = ac.discount;
    const L = new Float64Array(n), LH = new Float64Array(n);
    const dLogits = new Float64Array(A), dH = new Float64Array(A);
    const psi = new Float64Array(S * n), psiPrev = new Float64Array(S * n);
    const pre = new Float64Array(S * n);
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
      }
      const xFrame = (s: number, i: number) => rec.x[(s * B + b) * spec.nIn + i];
      this.#synapses(this.#in, this.#g.wIn, b, (s, i) => xFrame(s, i), psi, psiPrev, delta, L, LH);
      this.#synapses(
        this.#rec,
        this.#g.wRec,
        b,
        (s, i) => pre[s * n + i],
        psi,
        psiPrev,
        delta,
        L,
        LH,
      );
      // heads: exact gradients through the same low-pass
      const f = rec.features.subarray(b * nF, (b + 1) * nF);
      const g = this.#g, fw = this.#fwPi, fv = this.#fwV;
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
    g: Float64Array,
    b: number,
    preAt: (s: number, i: number) => number,
    psi: Float64Array,
    psiPrev: Float64Array,
    delta: number,
    L: Float64Array,
    LH: Float64Array,
  ): void {
    const spec = this.#spec, n = spec.n, S = spec.stepsPerFrame, nLif = spec.nLif;
    const nAlif = spec.nAlif, nPre = t.nPre, recurrent = t === this.#rec;
    const { alpha, rho, beta, kappa } = spec, c = 1 - kappa, gamma = this.#ac.discount;
    const ev = new Float64Array(S), evOld = new Float64Array(S);
    for (let i = 0; i < nPre; i++) {
      let e0 = t.epsV[b * nPre + i];
      for (let s = 0; s < S; s++) {
        evOld[s] = e0;
        e0 = alpha * e0 + preAt(s, i);
        ev[s] = e0;
      }
      t.epsV[b * nPre + i] = e0;
      const row = (b * nPre + i) * n, sRow = i * n, aRow = (b * nPre + i) * nAlif;
      for (let j = 0; j < n; j++) {
        if (recurrent && j === i) continue;
        let eb = t.ebar[row + j], sum = 0;
        if (j < nLif) {
          for (let s = 0; s < S; s++) {
            const e = psi[s * n + j] * ev[s];
            eb = kappa * eb + c * e;
            sum += e;
          }
        } else {
          let ea = t.epsA[aRow + j - nLif];
          for (let s = 0; s < S; s++) {
            const pp = psiPrev[s * n + j];
            ea = (rho - beta * pp) * ea + pp * evOld[s];
            const e = psi[s * n + j] * (ev[s] - beta * ea);
            eb = kappa * eb + c * e;
            sum += e;
          }
          t.epsA[aRow + j - nLif] = ea;
        }
        t.ebar[row + j] = eb;
        t.S[sRow + j] += sum;
        const F = t.F[row + j];
        g[sRow + j] += delta * F + LH[j] * eb;
        t.F[row + j] = gamma * F + L[j] * eb;
      }
    }
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
    const spec = this.#spec, n = spec.n, nF = spec.nFeatures, A = spec.numActions, g = this.#g;
    for (const [t, grad] of [[this.#in, g.wIn], [this.#rec, g.wRec]] as const) {
      const size = t.nPre * n, F = t.F.subarray(b * size, (b + 1) * size);
      for (let k = 0; k < size; k++) grad[k] += delta * F[k];
    }
    for (let k = 0; k < nF * A; k++) g.wPi[k] += delta * this.#fwPi[b * nF * A + k];
    for (let m = 0; m < A; m++) g.bPi[m] += delta * this.#fbPi[b * A + m];
    for (let k = 0; k < nF; k++) g.wV[k] += delta * this.#fwV[b * nF + k];
    g.bV[0] += delta * this.#fbV[b];
  }

  #clear(b: number): void {
    const spec = this.#spec, n = spec.n, nF = spec.nFeatures, A = spec.numActions;
    for (const t of [this.#in, this.#rec]) {
      t.epsV.fill(0, b * t.nPre, (b + 1) * t.nPre);
      t.epsA.fill(0, b * t.nPre * spec.nAlif, (b + 1) * t.nPre * spec.nAlif);
      t.ebar.fill(0, b * t.nPre * n, (b + 1) * t.nPre * n);
      t.F.fill(0, b * t.nPre * n, (b + 1) * t.nPre * n);
    }
    this.#fwPi.fill(0, b * nF * A, (b + 1) * nF * A);
    this.#fbPi.fill(0, b * A, (b + 1) * A);
    this.#fwV.fill(0, b * nF, (b + 1) * nF);
    this.#fbV[b] = 0;
    this.#pending[b] = 0;
  }

  take(): AgentGradientBatch {
    const spec = this.#spec, n = spec.n, g = this.#g;
    const { signal, loss } = rateSignal(this.#spikes, this.#count, this.#ac);
    for (const [t, grad] of [[this.#in, g.wIn], [this.#rec, g.wRec]] as const) {
      for (let i = 0; i < t.nPre; i++) {
        for (let j = 0; j < n; j++) grad[i * n + j] += signal[j] * t.S[i * n + j];
      }
      t.S.fill(0);
    }
    let total = 0;
    for (let j = 0; j < n; j++) total += this.#spikes[j];
    const out: AgentGradientBatch = {
      grads: g,
      agentSteps: this.#agentSteps,
      rateLoss: loss,
      rate: this.#count ? total / (this.#count * n) : 0,
    };
    this.#g = zeroAgentGradients(spec);
    this.#spikes = new Float64Array(n);
    this.#count = 0;
    this.#agentSteps = 0;
    return out;
  }

  /** Bytes of per-episode state (traces), independent of the episode length. */
  get stateBytes(): number {
    let bytes = 0;
    for (const t of [this.#in, this.#rec]) {
      bytes += t.epsV.byteLength + t.epsA.byteLength + t.ebar.byteLength + t.F.byteLength +
        t.S.byteLength;
    }
    return bytes + this.#fwPi.byteLength + this.#fwV.byteLength;
  }
}

/**
 * Reward-based e-prop, the authors' form (EPROP.md section 6): actor-critic losses over unrolls
 * of K agent steps with n-step bootstrapped returns, differentiated with e-prop's stop-gradients
 * (the e-prop gradient of the unroll's loss, random feedback from both heads), the network's
 * state carried from one unroll to the next and the eligibility traces starting at zero in each
 * unroll (what autodiff over the unroll sees).
 *
 * The gradient of an unroll is computed after it, in the factorized form (EPROP.md 3.3): for
 * each neuron a backward pass over its own scalar recursion gives M_j(t) with
 * sum_t L_j ebar_ji + L^reg_j e_ji = sum_t M_j(t) eps_v_i(t), then one product per synapse group:
 * ```
 * Gf(t) = c L(t) + kappa Gf(t+1)        (L only at each frame's last step; cut at episode ends)
 * G(t)  = Gf(t) + L^reg
 * Q(t)  = G(t+1) psi(t+1) + (rho - beta psi(t+1)) Q(t+1)        ALIF only
 * M(t)  = psi(t) (G(t) - beta Q(t))
 * dE/dw_ji = sum_{episodes, t} eps_v_i(t) M_j(t)
 * ```
 * With returns that do not bootstrap (Monte-Carlo) and an unroll holding complete episodes, this
 * is the same gradient as the online form (./reward_online.ts), computed a different way.
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

/** One recorded agent step of an unroll. */
export interface UnrollStep {
  rec: AgentFrameRecord;
  actions: Int32Array;
  rewards?: Float64Array;
  ended?: Uint8Array;
}

/** The unroll learner for B parallel episodes. */
export class UnrollRewardEprop implements RewardLearner {
  readonly #spec: ResolvedAgentSpec;
  readonly #fb: AgentFeedback;
  readonly #ac: ActorCritic;
  readonly #B: number;
  /** Agent steps per unroll. */
  readonly unrollLength: number;
  #steps: UnrollStep[] = [];
  #g: Record<string, Float64Array>;
  #agentSteps = 0;
  #rateLoss = 0;
  #spikeTotal = 0;
  #count = 0;

  /**
   * Starts with an empty unroll.
   * @param spec The agent's shape.
   * @param feedback The fixed random feedback.
   * @param ac Actor-critic constants.
   * @param batchSize Parallel episodes B.
   * @param unrollLength Agent steps per unroll K (default 100).
   */
  constructor(
    spec: ResolvedAgentSpec,
    feedback: AgentFeedback,
    ac: ActorCritic,
    batchSize: number,
    unrollLength = 100,
  ) {
    if (!Number.isInteger(unrollLength) || unrollLength < 1) {
      throw new RangeError(`Cannot set up unrolls: unrollLength must be >= 1, got ${unrollLength}`);
    }
    this.#spec = spec;
    this.#fb = feedback;
    this.#ac = ac;
    this.#B = batchSize;
    this.unrollLength = unrollLength;
    this.#g = zeroAgentGradients(spec);
  }

  observe(rec: AgentFrameRecord, actions: Int32Array): void {
    this.#steps.push({ rec, actions: actions.slice() });
  }

  reward(rewards: Float64Array, ended: Uint8Array): void {
    const last = this.#steps[this.#steps.length - 1];
    last.rewards = rewards.slice();
    last.ended = ended.slice();
  }

  /**
   * Ends the unroll: returns, losses, learning signals and the e-prop gradient, added to the
   * accumulated gradient.
   * @param bootstrap Value of the state after the unroll per episode [B] (the next frame's V),
   *   used where the episode goes on; undefined: Monte-Carlo (no bootstrapping).
   */
  finishUnroll(bootstrap?: Float64Array): void {
    const steps = this.#steps;
    if (steps.length === 0) return;
    if (steps.some((s) => !s.rewards)) {
      throw new Error("Cannot finish unroll: the last step has no reward yet");
    }
    const spec = this.#spec, B = this.#B, n = spec.n, A = spec.numActions, nF = spec.nFeatures;
    const S = spec.stepsPerFrame, K = steps.length, T = K * S, ac = this.#ac;
    // returns and errors at the heads per agent step
    const dLogits = new Float64Array(K * B * A), dValue = new Float64Array(K * B);
    const dH = new Float64Array(A);
    for (let b = 0; b < B; b++) {
      let R = bootstrap ? bootstrap[b] : 0;
      for (let k = K - 1; k >= 0; k--) {
        const st = steps[k];
        if (st.ended![b]) R = 0;
        R = st.rewards![b] + ac.discount * R;
        const adv = R - st.rec.value[b];
        const pi = st.rec.pi.subarray(b * A, (b + 1) * A);
        entropyError(pi, ac.entropyCost, dH);
        for (let m = 0; m < A; m++) {
          dLogits[(k * B + b) * A + m] = (pi[m] - (m === st.actions[b] ? 1 : 0)) * adv + dH[m];
        }
        dValue[k * B + b] = -ac.valueCost * adv;
      }
    }
    // heads (exact)
    const g = this.#g;
    for (let k = 0; k < K; k++) {
      for (let b = 0; b < B; b++) {
        const f = steps[k].rec.features.subarray(b * nF, (b + 1) * nF);
        const d = dLogits.subarray((k * B + b) * A, (k * B + b + 1) * A), dv = dValue[k * B + b];
        for (let i = 0; i < nF; i++) {
          for (let m = 0; m < A; m++) g.wPi[i * A + m] += f[i] * d[m];
          g.wV[i] += f[i] * dv;
        }
        for (let m = 0; m < A; m++) g.bPi[m] += d[m];
        g.bV[0] += dv;
      }
    }
    // the regularizer over the unroll
    const spikes = new Float64Array(n);
    for (const st of steps) for (let i = 0; i < st.rec.z.length; i++) spikes[i % n] += st.rec.z[i];
    const { signal: Lreg, loss } = rateSignal(spikes, B * T, ac);
    this.#rateLoss += loss;
    for (let j = 0; j < n; j++) this.#spikeTotal += spikes[j];
    this.#count += B * T;
    // M_j(t) by the backward recursion, per episode
    const psiAt = (t: number, b: number, j: number) =>
      steps[Math.floor(t / S)].rec.psi[((t % S) * B + b) * n + j];
    const M = new Float64Array(T * B * n), L = new Float64Array(n);
    const { kappa, rho, beta, nLif } = spec, c = 1 - kappa;
    const Gf = new Float64Array(n), Q = new Float64Array(n), Gnext = new Float64Array(n);
    for (let b = 0; b < B; b++) {
      Gf.fill(0), Q.fill(0), Gnext.fill(0);
      for (let t = T - 1; t >= 0; t--) {
        const k = Math.floor(t / S), s = t % S;
        const lastOfFrame = s === S - 1;
        if (lastOfFrame && steps[k].ended![b]) {
          // the next step belongs to the next episode: nothing flows back across the reset
          Gf.fill(0), Q.fill(0), Gnext.fill(0);
        }
        if (lastOfFrame) {
          learningSignal(
            this.#fb,
            n,
            A,
            dLogits.subarray((k * B + b) * A, (k * B + b + 1) * A),
            dValue[k * B + b],
            L,
          );
        }
        const resetNext = lastOfFrame && steps[k].ended![b];
        for (let j = 0; j < n; j++) {
          Gf[j] = (lastOfFrame ? c * L[j] : 0) + kappa * Gf[j];
          const G = Gf[j] + Lreg[j];
          const psi = psiAt(t, b, j);
          if (j >= nLif) {
            if (t < T - 1 && !resetNext) {
              const psiNext = psiAt(t + 1, b, j);
              Q[j] = Gnext[j] * psiNext + (rho - beta * psiNext) * Q[j];
            } else Q[j] = 0;
            M[(t * B + b) * n + j] = psi * (G - beta * Q[j]);
          } else M[(t * B + b) * n + j] = psi * G;
          Gnext[j] = G;
        }
      }
    }
    // eps_v forward (zero at the unroll's start and at each episode's start) times M
    this.#product(
      steps,
      M,
      g.wIn,
      spec.nIn,
      (k, s, b, i) => steps[k].rec.x[(s * B + b) * spec.nIn + i],
    );
    this.#product(
      steps,
      M,
      g.wRec,
      n,
      (k, s, b, i) =>
        s === 0 ? steps[k].rec.zBefore[b * n + i] : steps[k].rec.z[((s - 1) * B + b) * n + i],
    );
    for (let j = 0; j < n; j++) g.wRec[j * n + j] = 0;
    this.#agentSteps += K * B;
    this.#steps = [];
  }

  #product(
    steps: UnrollStep[],
    M: Float64Array,
    grad: Float64Array,
    nPre: number,
    pre: (k: number, s: number, b: number, i: number) => number,
  ): void {
    const spec = this.#spec, B = this.#B, n = spec.n, S = spec.stepsPerFrame, alpha = spec.alpha;
    const eps = new Float64Array(nPre);
    for (let b = 0; b < B; b++) {
      eps.fill(0);
      for (let k = 0; k < steps.length; k++) {
        for (let s = 0; s < S; s++) {
          const t = k * S + s;
          const m = M.subarray((t * B + b) * n, (t * B + b + 1) * n);
          for (let i = 0; i < nPre; i++) {
            const e = eps[i] = alpha * eps[i] + pre(k, s, b, i);
            if (e === 0) continue;
            const row = i * n;
            for (let j = 0; j < n; j++) grad[row + j] += e * m[j];
          }
        }
        if (steps[k].ended![b]) eps.fill(0);
      }
    }
  }

  /**
   * The learner's complete state, for an exact resume: the steps of the unroll so far, the
   * accumulated gradient and the counters (every mutable field, here and in loadState).
   */
  saveState(): UnrollRewardEpropState {
    return structuredClone({
      form: "unroll" as const,
      steps: this.#steps,
      g: this.#g,
      agentSteps: this.#agentSteps,
      rateLoss: this.#rateLoss,
      spikeTotal: this.#spikeTotal,
      count: this.#count,
    });
  }

  /**
   * Restores a state from {@linkcode UnrollRewardEprop.saveState}.
   * @param s The state.
   * @throws {RangeError} For a state of another form or gradient size, naming the field.
   */
  loadState(s: UnrollRewardEpropState): void {
    if (s?.form !== "unroll" || !Array.isArray(s.steps)) {
      throw new RangeError(`Cannot load unroll learner state: form must be unroll, got ${s?.form}`);
    }
    for (const [k, v] of Object.entries(this.#g)) {
      if (s.g?.[k]?.length !== v.length) {
        throw new RangeError(
          `Cannot load unroll learner state: g.${k} must hold ${v.length} values, got ${
            s.g?.[k]?.length
          }`,
        );
      }
    }
    const c = structuredClone(s);
    this.#steps = c.steps;
    this.#g = c.g;
    this.#agentSteps = c.agentSteps;
    this.#rateLoss = c.rateLoss;
    this.#spikeTotal = c.spikeTotal;
    this.#count = c.count;
  }

  take(): AgentGradientBatch {
    const out: AgentGradientBatch = {
      grads: this.#g,
      agentSteps: this.#agentSteps,
      rateLoss: this.#rateLoss,
      rate: this.#count ? this.#spikeTotal / (this.#count * this.#spec.n) : 0,
    };
    this.#g = zeroAgentGradients(this.#spec);
    this.#agentSteps = 0;
    this.#rateLoss = 0;
    this.#spikeTotal = 0;
    this.#count = 0;
    return out;
  }
}

/** The complete state of an {@linkcode UnrollRewardEprop} (plain data with typed arrays). */
export interface UnrollRewardEpropState {
  /** "unroll". */
  form: "unroll";
  /** The unroll's steps so far. */
  steps: UnrollStep[];
  /** The accumulated gradient. */
  g: Record<string, Float64Array>;
  /** Agent steps since the last update. */
  agentSteps: number;
  /** Rate loss since the last update. */
  rateLoss: number;
  /** Spikes since the last update. */
  spikeTotal: number;
  /** Network steps since the last update. */
  count: number;
}

/**
 * Reward-based e-prop, the authors' form (EPROP.md section 6): actor-critic losses over unrolls
 * of K agent steps with n-step bootstrapped returns, differentiated with e-prop's stop-gradients
 * (the e-prop gradient of the unroll's loss, random feedback from both heads), the network's
 * state carried from one unroll to the next and the eligibility traces starting at zero in each
 * unroll (what autodiff over the unroll sees).
 *
 * The gradient of an unroll is computed after it on the LSNN's step engine
 * (../engine/step_engine.ts `reverse`), in the factorized form (EPROP.md 3.3): for each neuron a
 * backward pass over its own scalar recursion gives M_j(t) with
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
 * The voltage regularizer (./actor_critic.ts `voltageSignal`: cv by v, ca by a at every step) adds
 * to the same recursion, written with P(t) = dE/d eps_a(t) along the neuron's own recursion:
 * ```
 * M(t) = psi(t) G(t) + cv(t) + psi(t) P(t+1)
 * P(t) = -beta psi(t) G(t) + ca(t) + (rho - beta psi(t)) P(t+1)       ALIF only (LIF: P = 0)
 * ```
 *
 * `method: "bptt"` computes instead the exact gradient of the same losses through everything
 * (the comparison the paper makes): the heads' own weights carry their errors to the spikes, and
 * the backward pass follows the recurrence, the reset and the adaptation:
 * ```
 * dz_j(t) = G_j(t) + sum_{k != j} w_rec[j][k] dv_k(t+1) - thr dv_j(t+1) + da_j(t+1)
 * dv_j(t) = psi_j(t) dz_j(t) + cv_j(t) + alpha dv_j(t+1)
 * da_j(t) = -beta psi_j(t) dz_j(t) + ca_j(t) + rho da_j(t+1)
 * dE/dw_in[i][j] = sum x_i(t) dv_j(t),  dE/dw_rec[i][j] = sum z_i(t-1) dv_j(t)
 * ```
 * Both are truncated at the unroll's start (the state is carried, the gradient is not), as
 * autodiff over an unroll is.
 *
 * `trainCnn` also trains the CNN's filters (the network must record frames, `recordCnn`): the
 * error reaches the CNN's last layer through the LSNN's input weights, dE/dx_i(t) = sum_j
 * w_in[i][j] D_j(t), with D = dE/dv along what the method differentiates (e-prop: D(t) = M(t) +
 * alpha D(t+1); BPTT: dv), and its first layer through the pooled features and the heads' own
 * weights; inside the CNN the gradient is exact (the CNN engine's BPTT). The
 * actor-critic part is scaled by `cnnTaskScale`, the regularizers are not: the seed divides the
 * task loss by 1e8 for its CNN (`reg_factor_cnn`), so that its CNN learns from the regularizers
 * alone; `cnnTaskScale: 1e-8` is that setting. With the CNN trained, the seed's CNN voltage term
 * (`cnnVoltageCost`, ./actor_critic.ts) adds its error at the CNN's potentials (one more CNN
 * pass per episode segment for the episode means of every step, before the gradient's).
 *
 * @module
 */
import type { AgentFrameRecord, AgentNetwork } from "./agent_network.ts";
import { type AgentFeedback, convBiasName } from "../net/agent_params.ts";
import { unpoolErrors } from "../net/head_pools.ts";
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

/** One recorded agent step of an unroll. */
export interface UnrollStep {
  rec: AgentFrameRecord;
  actions: Int32Array;
  rewards?: Float64Array;
  ended?: Uint8Array;
}

/** Options of {@linkcode UnrollRewardEprop}. */
export interface UnrollRewardOptions {
  /** "eprop" (default) or "bptt" (exact, the comparison). */
  method?: "eprop" | "bptt";
  /** The network the unrolls run on (its LSNN engine, weights and CNN). */
  network?: AgentNetwork;
  /** Also train the CNN's filters (default false). */
  trainCnn?: boolean;
  /** Factor on the actor-critic losses' gradient reaching the CNN (default 1; the seed's 1e-8). */
  cnnTaskScale?: number;
  /** All parallel episodes N when this learner holds a group of them (default batchSize). */
  totalEpisodes?: number;
  /**
   * How the heads' errors reach the LSNN's spikes in e-prop: "random" (default; the fixed random
   * feedback B^pi, B^V) or "symmetric" (the heads' own current weights: autodiff through the
   * heads with the stop-gradients of e-prop on z, the authors' agent).
   */
  feedback?: "random" | "symmetric";
  /**
   * With `trainCnn`, which errors reach the CNN: "through-lsnn" (default; the LSNN's error back
   * through w_in into the last layer and down through every layer, and the pooled features'
   * errors) or "pooled" (the authors' agent: a stop-gradient on every CNN layer's spikes where
   * they feed the next layer and the LSNN; each layer learns from its own pooled features' error
   * in the heads, the task part `cnnTaskScale` (pg + value, without the entropy term), and from
   * the CNN voltage term).
   */
  cnnPath?: "through-lsnn" | "pooled";
  /**
   * Which agent steps count in the actor-critic losses (the regularizers always count every
   * step): "none" (default; every step), "authors" (an episode that ended since the last update
   * waits: its later steps count nothing until take(); in the unroll where it ends, the authors'
   * finished_mask 1 - cumsum(shifted done), which also drops the episode's last two steps) or
   * "episode" (as "authors", but the steps up to and including the episode's end count).
   */
  mask?: "none" | "authors" | "episode";
}

/** The unroll learner for B parallel episodes. */
export class UnrollRewardEprop implements RewardLearner {
  readonly #spec: ResolvedAgentSpec;
  readonly #fb: AgentFeedback;
  readonly #ac: ActorCritic;
  readonly #B: number;
  /** Agent steps per unroll. */
  readonly unrollLength: number;
  /** "eprop" or "bptt". */
  readonly method: "eprop" | "bptt";
  /** Whether the CNN's filters are trained. */
  readonly trainCnn: boolean;
  readonly #cnnTaskScale: number;
  readonly #net: AgentNetwork | undefined;
  /** The share B/N of the parallel episodes. */
  readonly #share: number;
  /** "random" or "symmetric" feedback. */
  readonly feedback: "random" | "symmetric";
  /** "through-lsnn" or "pooled". */
  readonly cnnPath: "through-lsnn" | "pooled";
  /** "none", "authors" or "episode". */
  readonly mask: "none" | "authors" | "episode";
  /** Episodes that ended since the last take() (they wait, masked, with `mask`). */
  #waiting: Uint8Array;
  #steps: UnrollStep[] = [];
  #g: Record<string, Float64Array>;
  #agentSteps = 0;
  #rateLoss = 0;
  #voltageLoss = 0;
  #cnnVoltageLoss = 0;
  #spikeTotal = 0;
  #count = 0;
  #stats = { td: 0, value: 0, entropy: 0, count: 0 };
  /** The unroll's sums per CNN layer, episode and unit of max(0, v - thr), max(0, -v - thr). */
  #cnnSums: { up: Float64Array[]; down: Float64Array[] } | undefined;

  /**
   * Starts with an empty unroll.
   * @param spec The agent's shape.
   * @param feedback The fixed random feedback.
   * @param ac Actor-critic constants.
   * @param batchSize Parallel episodes B.
   * @param unrollLength Agent steps per unroll K (default 100).
   * @param options Method, network, CNN training.
   */
  constructor(
    spec: ResolvedAgentSpec,
    feedback: AgentFeedback,
    ac: ActorCritic,
    batchSize: number,
    unrollLength = 100,
    options: UnrollRewardOptions = {},
  ) {
    const what = "Cannot set up unrolls";
    if (!Number.isInteger(unrollLength) || unrollLength < 1) {
      throw new RangeError(`${what}: unrollLength must be >= 1, got ${unrollLength}`);
    }
    this.method = options.method ?? "eprop";
    if (this.method !== "eprop" && this.method !== "bptt") {
      throw new RangeError(`${what}: method must be "eprop" or "bptt", got ${this.method}`);
    }
    this.trainCnn = options.trainCnn ?? false;
    this.#cnnTaskScale = options.cnnTaskScale ?? 1;
    if (!Number.isFinite(this.#cnnTaskScale) || this.#cnnTaskScale < 0) {
      throw new RangeError(
        `${what}: cnnTaskScale must be a number >= 0, got ${this.#cnnTaskScale}`,
      );
    }
    if (!options.network) {
      throw new RangeError(
        `${what}: the unrolls need the network they run on (options.network: its LSNN engine runs the reverse pass)`,
      );
    }
    if (this.trainCnn && !options.network!.recordCnn) {
      throw new RangeError(`${what}: trainCnn needs a network built with recordCnn: true`);
    }
    const total = options.totalEpisodes ?? batchSize;
    if (!Number.isInteger(total) || total < batchSize) {
      throw new RangeError(
        `${what}: totalEpisodes must be an integer >= batchSize (${batchSize}), got ${total}`,
      );
    }
    this.#share = batchSize / total;
    const choice = <T extends string>(
      field: string,
      value: T | undefined,
      fallback: T,
      all: T[],
    ) => {
      const v = value ?? fallback;
      if (!all.includes(v)) {
        throw new RangeError(`${what}: ${field} must be one of ${all.join(", ")}, got ${v}`);
      }
      return v;
    };
    this.feedback = choice("feedback", options.feedback, "random", ["random", "symmetric"]);
    this.cnnPath = choice("cnnPath", options.cnnPath, "through-lsnn", ["through-lsnn", "pooled"]);
    this.mask = choice("mask", options.mask, "none", ["none", "authors", "episode"]);
    this.#waiting = new Uint8Array(batchSize);
    this.#net = options.network;
    this.#spec = spec;
    this.#fb = feedback;
    this.#ac = ac;
    this.#B = batchSize;
    this.unrollLength = unrollLength;
    this.#g = this.#zero();
  }

  #zero(): Record<string, Float64Array> {
    const g = zeroAgentGradients(this.#spec);
    if (this.trainCnn) {
      this.#spec.conv.layers.forEach((l, i) => {
        g[`conv${i}`] = new Float64Array(l.weights);
        if (l.bias) g[convBiasName(i)] = new Float64Array(l.channels);
      });
    }
    return g;
  }

  /**
   * Which steps of the unroll count in the actor-critic losses, per agent step and episode
   * [K][B] (see {@linkcode UnrollRewardOptions.mask}); all ones with mask "none".
   */
  #stepMask(steps: UnrollStep[]): Float64Array {
    const B = this.#B, K = steps.length, mask = new Float64Array(K * B).fill(1);
    if (this.mask === "none") return mask;
    for (let b = 0; b < B; b++) {
      if (this.#waiting[b]) {
        for (let k = 0; k < K; k++) mask[k * B + b] = 0;
        continue;
      }
      if (this.mask === "authors") {
        // finished_mask = 1 - cumsum(shifted done): done[k + 1] counts at step k (the last
        // step's shifted done is 0, and the first step's own done never counts)
        let ended = 0;
        for (let k = 0; k < K; k++) {
          if (k + 1 < K && steps[k + 1].ended![b]) ended++;
          mask[k * B + b] = Math.max(0, 1 - ended);
        }
      } else {
        let over = false;
        for (let k = 0; k < K; k++) {
          if (over) mask[k * B + b] = 0;
          if (steps[k].ended![b]) over = true;
        }
      }
    }
    return mask;
  }

  observe(rec: AgentFrameRecord, actions: Int32Array): void {
    // the CNN's state is needed at the unroll's start only
    if (this.#steps.length > 0) rec.cnnBefore = undefined;
    // the CNN voltage term needs only the unroll's sums per episode and unit: added here, so
    // that the unroll's records (and checkpoints) do not keep them per frame
    if (rec.cnnUp && rec.cnnDown) {
      const sums = this.#cnnSums ??= {
        up: rec.cnnUp.map((a) => new Float64Array(a.length)),
        down: rec.cnnDown.map((a) => new Float64Array(a.length)),
      };
      rec.cnnUp.forEach((a, i) => {
        const u = sums.up[i], d = sums.down[i], b = rec.cnnDown![i];
        for (let q = 0; q < a.length; q++) u[q] += a[q], d[q] += b[q];
      });
      rec.cnnUp = rec.cnnDown = undefined;
    }
    this.#steps.push({ rec, actions: actions.slice() });
  }

  reward(rewards: Float64Array, ended: Uint8Array): void {
    const last = this.#steps[this.#steps.length - 1];
    last.rewards = rewards.slice();
    last.ended = ended.slice();
  }

  /**
   * Ends the unroll: returns, losses, learning signals and the gradient (e-prop or BPTT), added
   * to the accumulated gradient.
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
    // the CNN's own loss on the pooled path: pg + value, without the entropy term
    const pooled = this.trainCnn && this.cnnPath === "pooled";
    const dLogitsTask = pooled ? new Float64Array(K * B * A) : dLogits;
    const dH = new Float64Array(A), mask = this.#stepMask(steps);
    for (let b = 0; b < B; b++) {
      let R = bootstrap ? bootstrap[b] : 0;
      for (let k = K - 1; k >= 0; k--) {
        const st = steps[k], w = mask[k * B + b];
        if (st.ended![b]) R = 0;
        R = st.rewards![b] + ac.discount * R;
        const adv = R - st.rec.value[b];
        const pi = st.rec.pi.subarray(b * A, (b + 1) * A);
        entropyError(pi, ac.entropyCost, dH);
        for (let m = 0; m < A; m++) {
          const pg = (pi[m] - (m === st.actions[b] ? 1 : 0)) * adv;
          dLogits[(k * B + b) * A + m] = w * (pg + dH[m]);
          if (pooled) dLogitsTask[(k * B + b) * A + m] = w * pg;
        }
        dValue[k * B + b] = -w * ac.valueCost * adv;
        if (w > 0) {
          const st = this.#stats;
          st.td += adv, st.value += steps[k].rec.value[b], st.count++;
          for (let m = 0; m < A; m++) if (pi[m] > 0) st.entropy -= pi[m] * Math.log(pi[m]);
        }
      }
    }
    for (let b = 0; b < B; b++) {
      for (let k = 0; k < K; k++) if (steps[k].ended![b]) this.#waiting[b] = 1;
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
    // the regularizers over the unroll
    const spikes = new Float64Array(n);
    for (const st of steps) for (let i = 0; i < st.rec.z.length; i++) spikes[i % n] += st.rec.z[i];
    const { signal: Lreg, loss } = rateSignal(spikes, B * T, ac, this.#share);
    this.#rateLoss += loss;
    for (let j = 0; j < n; j++) this.#spikeTotal += spikes[j];
    this.#count += B * T;
    const volt = ac.voltageCost > 0;
    // the voltage term's derivatives at every step (none allocated without it)
    const cv = volt ? new Float64Array(T * B * n) : undefined;
    const ca = volt ? new Float64Array(T * B * n) : undefined;
    if (cv && ca) {
      const c = (ac.voltageCost * this.#share) / B;
      for (let t = 0; t < T; t++) {
        const rec = steps[Math.floor(t / S)].rec, s = t % S;
        for (let b = 0; b < B; b++) {
          const at = (t * B + b) * n;
          const out = [cv.subarray(at, at + n), ca.subarray(at, at + n)] as const;
          this.#voltageLoss += voltageSignal(rec, s, b, B, c, spec, ...out);
        }
      }
    }
    const errors = { dLogits, dValue, Lreg, cv, ca };
    // the reverse pass on the LSNN's engine: dE/dw_in and dE/dw_rec added to g, and dE/dv
    const D = this.#reverse(errors, 1, { wIn: g.wIn, wRec: g.wRec });
    for (let j = 0; j < n; j++) g.wRec[j * n + j] = 0;
    if (this.trainCnn) {
      const scale = this.#cnnTaskScale;
      if (pooled) {
        this.#cnn(steps, undefined, dLogitsTask, dValue, scale);
      } else {
        const Dc = scale === 1 ? D : this.#reverse(errors, scale, undefined);
        this.#cnn(steps, this.#net!.lsnn.inputSignal(Dc, T * B), dLogits, dValue, scale);
      }
    }
    this.#agentSteps += K * B;
    this.#steps = [];
    this.#cnnSums = undefined;
  }

  /**
   * The reverse pass of every episode on the LSNN's engine (BPTT, or e-prop's trace adjoint),
   * with the actor-critic errors scaled by `taskScale` (the regularizers are not): the errors
   * reach the spikes through the feedback (e-prop) or the heads' own weights (BPTT), through the
   * readout filter's adjoint, cut at episode ends:
   * ```
   * Gf(t) = c L(t) + kappa Gf(t+1)        (L only at each frame's last step)
   * G(t)  = taskScale Gf(t) + L^reg
   * ```
   * Adds the LSNN's weight gradients to `into` (undefined: D only).
   * @returns dE/dv along the method [T][B][n].
   */
  #reverse(
    e: {
      dLogits: Float64Array;
      dValue: Float64Array;
      Lreg: Float64Array;
      cv?: Float64Array;
      ca?: Float64Array;
    },
    taskScale: number,
    into: { wIn: Float64Array; wRec: Float64Array } | undefined,
  ): Float64Array {
    const steps = this.#steps, spec = this.#spec, B = this.#B, n = spec.n, A = spec.numActions;
    const S = spec.stepsPerFrame, T = steps.length * S;
    const kappa = spec.kappa, c = 1 - kappa;
    const bptt = this.method === "bptt";
    const p = this.#net!.params;
    const fb: AgentFeedback = bptt || this.feedback === "symmetric"
      ? { bPi: p.wPi.subarray(0, n * A), bV: p.wV.subarray(0, n) }
      : this.#fb;
    const G = new Float64Array(T * B * n), cut = new Uint8Array(T * B);
    const L = new Float64Array(n), Gf = new Float64Array(n);
    for (let b = 0; b < B; b++) {
      Gf.fill(0);
      for (let t = T - 1; t >= 0; t--) {
        const k = Math.floor(t / S), lastOfFrame = t % S === S - 1;
        if (lastOfFrame && steps[k].ended![b]) {
          // the next step belongs to the next episode: nothing flows back across the reset
          Gf.fill(0);
          cut[t * B + b] = 1;
        }
        if (lastOfFrame) {
          learningSignal(
            fb,
            n,
            A,
            e.dLogits.subarray((k * B + b) * A, (k * B + b + 1) * A),
            e.dValue[k * B + b],
            L,
          );
        }
        const at = (t * B + b) * n;
        for (let j = 0; j < n; j++) {
          Gf[j] = (lastOfFrame ? c * L[j] : 0) + kappa * Gf[j];
          G[at + j] = taskScale * Gf[j] + e.Lreg[j];
        }
      }
    }
    const span = steps.map(({ rec }) => ({
      steps: S,
      batch: B,
      x: rec.x,
      zBefore: rec.zBefore,
      z: rec.z,
      psi: rec.psi,
    }));
    const lsnn = this.#net!.lsnn;
    lsnn.setWeights({ wIn: p.wIn, wRec: p.wRec });
    const method = bptt ? "bptt" : "eprop";
    return lsnn.reverse(span, { dEdz: G, dEdv: e.cv, dEda: e.ca, cut }, method, into).D;
  }

  /**
   * The CNN's filters' and biases' gradient, episode by episode and segment by segment (cut at
   * resets). `dxAll` (the LSNN's error at its inputs [T][B][nIn]) reaches the last layer on the
   * "through-lsnn" path; undefined on the "pooled" path, where each layer learns from its pooled
   * features only and nothing passes between layers.
   */
  #cnn(
    steps: UnrollStep[],
    dxAll: Float64Array | undefined,
    dLogits: Float64Array,
    dValue: Float64Array,
    scale: number,
  ): void {
    const spec = this.#spec, B = this.#B, n = spec.n, S = spec.stepsPerFrame, A = spec.numActions;
    const net = this.#net!, p = net.params, nIn = spec.nIn, K = steps.length;
    const layers = spec.conv.layers, last = layers.length - 1;
    const nP = spec.nPooled, kappa = spec.kappa, c = 1 - kappa;
    const size = spec.frameSize * spec.frameSize, g = this.#g;
    // the episodes' segments: from the unroll's start or an episode's start to its end
    const segments: { b: number; k0: number; F: number }[] = [];
    for (let b = 0; b < B; b++) {
      let k0 = 0;
      for (let k = 0; k < K; k++) {
        if (!(steps[k].ended![b] || k === K - 1)) continue;
        segments.push({ b, k0, F: k - k0 + 1 });
        k0 = k + 1;
      }
    }
    const input = ({ b, k0, F }: { b: number; k0: number; F: number }) => {
      const frames = new Float64Array(F * size);
      for (let f = 0; f < F; f++) {
        frames.set(steps[k0 + f].rec.frames!.subarray(b * size, (b + 1) * size), f * size);
      }
      const before = k0 === 0 ? steps[0].rec.cnnBefore : undefined;
      const state = before && {
        v: before.v.map((v, l) => v.slice(b * layers[l].units, (b + 1) * layers[l].units)),
        z: before.z.map((z, l) => z.slice(b * layers[l].units, (b + 1) * layers[l].units)),
      };
      return { frames, state };
    };
    // the authors' CNN voltage term ("avg_time"): c / B sum over episodes and units of the
    // squared time means over the unroll of max(0, v - thr) and max(0, -v - thr), the means
    // from the forward pass's records
    const cv = this.#ac.cnnVoltageCost * this.#share, T = K * S, thrC = spec.conv.thr;
    const up = cv > 0 ? layers.map((l) => new Float64Array(B * l.units)) : [];
    const down = cv > 0 ? layers.map((l) => new Float64Array(B * l.units)) : [];
    if (cv > 0) {
      const sums = this.#cnnSums;
      if (!sums) throw new Error("Cannot train the CNN: the network records no CNN potentials");
      layers.forEach((_, i) => {
        const u = sums.up[i], dn = sums.down[i];
        for (let q = 0; q < u.length; q++) up[i][q] = u[q] / T, down[i][q] = dn[q] / T;
      });
      for (let l = 0; l < layers.length; l++) {
        let sum = 0;
        for (let q = 0; q < up[l].length; q++) sum += up[l][q] ** 2 + down[l][q] ** 2;
        this.#cnnVoltageLoss += (cv / B) * sum;
      }
    }
    for (const seg of segments) {
      const { b, k0, F } = seg, Tseg = F * S;
      const dEdz: (Float64Array | undefined)[] = layers.map(() => undefined);
      if (dxAll) {
        // dE/dx over the segment: the LSNN's dE/dv sent back through w_in (by its engine)
        const dx = new Float64Array(Tseg * nIn);
        for (let t = 0; t < Tseg; t++) {
          const at = ((k0 * S + t) * B + b) * nIn;
          dx.set(dxAll.subarray(at, at + nIn), t * nIn);
        }
        dEdz[last] = dx;
      }
      // the pooled features: the heads' own weights, back through the readout filter
      const Gp = new Float64Array(nP), d = new Float64Array(nP);
      const poolLayers = [...new Set(spec.headPools.map((p) => p.layer))];
      const scratch: Record<number, Float64Array> = {};
      for (const l of poolLayers) scratch[l] = new Float64Array(layers[l].units);
      for (const pool of spec.headPools) {
        dEdz[pool.layer] ??= new Float64Array(Tseg * layers[pool.layer].units);
      }
      // the readout filter's adjoint: d only at each frame's last step, so within a frame
      // Gp(s) = kappa^(S-1-s) Gp(S-1): one unpooling per frame, scaled for its other steps
      for (let f = F - 1; f >= 0; f--) {
        const kk = k0 + f, o = (kk * B + b) * A, dv = dValue[kk * B + b];
        for (let q = 0; q < nP; q++) {
          let e = p.wV[n + q] * dv;
          for (let m = 0; m < A; m++) e += p.wPi[(n + q) * A + m] * dLogits[o + m];
          d[q] = e;
        }
        for (let q = 0; q < nP; q++) Gp[q] = c * d[q] + kappa * Gp[q];
        const tLast = f * S + S - 1;
        for (const l of poolLayers) scratch[l].fill(0);
        for (const pool of spec.headPools) unpoolErrors(pool, Gp, 0, scratch[pool.layer], 0, scale);
        for (const l of poolLayers) {
          const U = layers[l].units, dz = dEdz[l]!, u = scratch[l];
          for (let s = 0; s < S; s++) {
            const w = kappa ** s, to = (tLast - s) * U;
            for (let q = 0; q < U; q++) dz[to + q] += w * u[q];
          }
        }
        for (let q = 0; q < nP; q++) Gp[q] *= kappa ** (S - 1);
      }
      const { frames, state } = input(seg);
      const f = (2 * cv) / (T * B);
      const dEdv = cv > 0
        ? (potentials: ArrayLike<number>[]) =>
          potentials.map((v, l) => {
            const U = layers[l].units, o = b * U, out = new Float64Array(v.length);
            const ub = up[l].subarray(o, o + U), db = down[l].subarray(o, o + U);
            for (let t = 0; t < v.length; t += U) {
              for (let q = 0; q < U; q++) {
                const x = v[t + q];
                if (x > thrC) out[t + q] = f * ub[q];
                else if (x < -thrC) out[t + q] = -f * db[q];
              }
            }
            return out;
          })
        : undefined;
      const grads = net.cnnGradients(frames, F, state, dEdz, dEdv, {
        propagate: dxAll ? "all" : "none",
      });
      grads.weights.forEach((gl, l) => {
        const acc = g[`conv${l}`];
        for (let q = 0; q < gl.length; q++) acc[q] += gl[q];
      });
      grads.b?.forEach((gl, l) => {
        if (!gl) return;
        const acc = g[convBiasName(l)];
        for (let q = 0; q < gl.length; q++) acc[q] += gl[q];
      });
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
      voltageLoss: this.#voltageLoss,
      cnnVoltageLoss: this.#cnnVoltageLoss,
      spikeTotal: this.#spikeTotal,
      count: this.#count,
      stats: this.#stats,
      waiting: this.#waiting,
      cnnSums: this.#cnnSums,
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
    this.#voltageLoss = c.voltageLoss ?? 0;
    this.#cnnVoltageLoss = c.cnnVoltageLoss ?? 0;
    this.#spikeTotal = c.spikeTotal;
    this.#count = c.count;
    this.#stats = c.stats ?? { td: 0, value: 0, entropy: 0, count: 0 };
    if (c.waiting?.length === this.#B) this.#waiting = c.waiting;
    this.#cnnSums = c.cnnSums;
  }

  take(): AgentGradientBatch {
    const out: AgentGradientBatch = {
      grads: this.#g,
      agentSteps: this.#agentSteps,
      rateLoss: this.#rateLoss,
      voltageLoss: this.#voltageLoss + this.#cnnVoltageLoss,
      rate: this.#count ? this.#spikeTotal / (this.#count * this.#spec.n) : 0,
      stats: this.#stats,
    };
    this.#stats = { td: 0, value: 0, entropy: 0, count: 0 };
    this.#waiting = new Uint8Array(this.#B);
    this.#g = this.#zero();
    this.#agentSteps = 0;
    this.#rateLoss = 0;
    this.#voltageLoss = 0;
    this.#cnnVoltageLoss = 0;
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
  /** Voltage loss since the last update. */
  voltageLoss: number;
  /** The CNN's voltage loss since the last update. */
  cnnVoltageLoss?: number;
  /** Spikes since the last update. */
  spikeTotal: number;
  /** Network steps since the last update. */
  count: number;
  /** The actor-critic's sums since the last update (health; absent in older states). */
  stats?: { td: number; value: number; entropy: number; count: number };
  /** Episodes that ended since the last update (absent in older states: none). */
  waiting?: Uint8Array;
  /** The unroll's CNN voltage sums so far (with the CNN trained). */
  cnnSums?: { up: Float64Array[]; down: Float64Array[] };
}

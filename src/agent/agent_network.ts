/**
 * The agent's forward pass, one frame (agent step) at a time for B parallel episodes, with each
 * episode's state carried from frame to frame and reset when its episode ends.
 *
 * Per frame, `stepsPerFrame` network steps t (EPROP.md sections 1, 2, 7):
 * ```
 * CNN:   the spiking CNN engine (../engine/step_engine.ts) over the frame: spikes of every layer
 * LSNN:  x(t) = spikes of the CNN's last layer; the LSNN step engine runs the neuron step of
 *        EPROP.md section 1 (s = 1, reset by thr, adaptation, refractory n_ref, strict '>') on the
 *        core's population kernel, in float64 (or float32: lsnnPrecision), batched over the episodes
 * heads: phi(t) = [z(t), the CNN layers' average-pooled spikes (spec.headPools, ../net/head_pools.ts)];
 *        phibar(t) = kappa phibar(t-1) + (1 - kappa) phi(t)          (normalized, tau_out)
 *        at the frame's last step: logits = phibar wPi + bPi, pi = softmax, V = phibar wV + bV
 * ```
 * The record of a frame keeps what the learners need: the LSNN's inputs, spikes and
 * pseudo-derivatives at every network step, the spikes and pseudo-derivatives before the
 * frame, the features and the heads' outputs.
 *
 * @module
 */
import type { SpikingConvState } from "../net/spiking_conv_spec.ts";
import type {
  EngineSource,
  LsnnStepEngine,
  SpikingConvEngine,
  StepState,
} from "../engine/step_engine.ts";
import { createLsnnStepEngine, createSpikingConvEngine } from "../engine/factory/step_engines.ts";
import type { AgentParams } from "../net/agent_params.ts";
import { checkAgentParams, convBiasName } from "../net/agent_params.ts";
import { poolSpikes } from "../net/head_pools.ts";
import type { ResolvedAgentSpec } from "../net/agent_spec.ts";

/** What the network did during one frame, for B episodes (S = stepsPerFrame). */
export interface AgentFrameRecord {
  /** LSNN inputs x [S][B][nIn]. */
  x: Float64Array;
  /** LSNN spikes z [S][B][n]. */
  z: Float64Array;
  /** LSNN pseudo-derivatives psi [S][B][n]. */
  psi: Float64Array;
  /** Spikes before the frame's first step [B][n]. */
  zBefore: Float64Array;
  /** Pseudo-derivatives before the frame's first step [B][n]. */
  psiBefore: Float64Array;
  /** Filtered features at the frame's last step [B][nFeatures]. */
  features: Float64Array;
  /** Policy logits [B][A]. */
  logits: Float64Array;
  /** Policy pi = softmax(logits) [B][A]. */
  pi: Float64Array;
  /** Values V [B]. */
  value: Float64Array;
  /** Spike count of the LSNN in this frame, per episode [B]. */
  spikes: Float64Array;
  /** Membrane potential above the threshold, max(0, v - A) [S][B][n] (voltage regularizer). */
  vUp: Float64Array;
  /** Membrane potential below minus the threshold, max(0, -v - A) [S][B][n]. */
  vDown: Float64Array;
  /** With `recordCnn`: the frame's observations [B][size][size]. */
  frames?: Float64Array;
  /** With `recordCnn`: the CNN's state before this frame (per layer [B][units]). */
  cnnBefore?: SpikingConvState;
  /**
   * With `recordCnn`: per CNN layer, each episode's sum over the frame's steps of max(0, v - thr)
   * per unit [B][units] (the CNN voltage term's time means, once summed over the unroll).
   */
  cnnUp?: Float64Array[];
  /** With `recordCnn`: the same of max(0, -v - thr). */
  cnnDown?: Float64Array[];
}

/** Options of {@linkcode AgentNetwork.create}. */
export interface AgentNetworkOptions {
  /** Precision of the CNN (default f32). */
  precision?: "f32" | "f64";
  /**
   * Precision of the LSNN's step engine (default f64): its forward steps and its reverse pass
   * (records and gradients are float64 copies either way).
   */
  lsnnPrecision?: "f32" | "f64";
  /** The compiled core (default: the bundled one). */
  module?: EngineSource;
  /**
   * Keep each frame's observations and the CNN's state before it in the record (what training
   * the CNN needs; default false).
   */
  recordCnn?: boolean;
}

/** What {@linkcode AgentNetwork.saveState} returns (plain data). */
export interface AgentNetworkState {
  /** The LSNN's v, a, r, z, psi [B][n] and the filtered features [B][nFeatures]. */
  neurons: Record<string, Float64Array>;
  /** The CNN's potentials and last spikes per layer, or undefined before the first frame. */
  conv: SpikingConvState | undefined;
  /** The spike counts since the last takeSpikeCounts (health; absent in older states). */
  counts?: { lsnn: Float64Array; cnn: Float64Array[]; steps: number };
}

/** The agent's network for B parallel episodes. */
export class AgentNetwork {
  /** The resolved shape. */
  readonly spec: ResolvedAgentSpec;
  /** Parallel episodes. */
  readonly batchSize: number;
  /** The parameters (shared with the caller; an optimizer may change them in place). */
  params: AgentParams;
  /** Whether records keep the observations and the CNN's state ({@linkcode AgentNetworkOptions}). */
  readonly recordCnn: boolean;
  #conv: SpikingConvEngine;
  #convState: SpikingConvState | undefined;
  #lsnn: LsnnStepEngine;
  #state: StepState;
  #featureBar: Float64Array;
  #counts: { lsnn: Float64Array; cnn: Float64Array[]; steps: number };

  private constructor(
    spec: ResolvedAgentSpec,
    batchSize: number,
    params: AgentParams,
    conv: SpikingConvEngine,
    lsnn: LsnnStepEngine,
    recordCnn: boolean,
  ) {
    this.spec = spec;
    this.recordCnn = recordCnn;
    this.batchSize = batchSize;
    this.params = params;
    this.#conv = conv;
    this.#lsnn = lsnn;
    this.#state = lsnn.initState(batchSize);
    this.#featureBar = new Float64Array(batchSize * spec.nFeatures);
    this.#counts = this.#zeroCounts();
  }

  #zeroCounts(): { lsnn: Float64Array; cnn: Float64Array[]; steps: number } {
    return {
      lsnn: new Float64Array(this.spec.n),
      cnn: this.spec.conv.layers.map((l) => new Float64Array(l.units)),
      steps: 0,
    };
  }

  /**
   * The spike counts since the last call (per LSNN neuron and CNN unit, summed over episodes and
   * steps) and the network steps x episodes they cover; starts a new count.
   * @returns The counts (the network's health, ./health.ts).
   */
  takeSpikeCounts(): { lsnn: Float64Array; cnn: Float64Array[]; steps: number } {
    const c = this.#counts;
    this.#counts = this.#zeroCounts();
    return c;
  }

  /**
   * Builds the network (the CNN on a WebAssembly core).
   * @param spec The resolved shape.
   * @param batchSize Parallel episodes B.
   * @param params Parameters ({@linkcode initAgentParams}).
   * @param options CNN precision (default f32), module, records for CNN training.
   * @returns The network, every episode at its zero state.
   */
  static async create(
    spec: ResolvedAgentSpec,
    batchSize: number,
    params: AgentParams,
    options: AgentNetworkOptions = {},
  ): Promise<AgentNetwork> {
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new RangeError(
        `Cannot build agent: batchSize must be an integer >= 1, got ${batchSize}`,
      );
    }
    checkAgentParams(spec, params);
    const conv = await createSpikingConvEngine(spec.conv, convParams(spec, params), {
      precision: options.precision ?? "f32",
      module: options.module,
    });
    const beta = Float64Array.from({ length: spec.n }, (_, j) => j < spec.nLif ? 0 : spec.beta);
    const lsnn = await createLsnnStepEngine({
      nIn: spec.nIn,
      n: spec.n,
      alpha: spec.alpha,
      rho: spec.rho,
      thr: spec.thr,
      dampening: spec.dampening,
      nRef: spec.nRef,
      beta,
    }, { precision: options.lsnnPrecision ?? "f64", module: options.module });
    lsnn.setWeights({ wIn: params.wIn, wRec: params.wRec });
    return new AgentNetwork(spec, batchSize, params, conv, lsnn, options.recordCnn ?? false);
  }

  /**
   * Runs the CNN alone over one episode's frames from a given state and returns the filters'
   * exact gradients (BPTT through the CNN, reset included) from external errors at the spikes
   * and at the potentials.
   * @param frames Observations [nFrames][size][size] of one episode.
   * @param nFrames Frames.
   * @param state The CNN's state before the first frame (one episode), or undefined for zero.
   * @param dEdz Per layer, dE/dz [T][units] (T = nFrames x stepsPerFrame), or undefined.
   * @param dEdv Per layer, dE/dv [T][units] as a function of the pass's potentials (per layer
   *   [T][units]), or undefined.
   * @param options `propagate`: "all" (default; BPTT through every layer) or "none" (each
   *   layer's error stays in it: a stop-gradient on the spikes between layers).
   * @returns dE/dW per layer, and dE/db per layer with a bias.
   */
  cnnGradients(
    frames: ArrayLike<number>,
    nFrames: number,
    state: SpikingConvState | undefined,
    dEdz: readonly (ArrayLike<number> | undefined)[],
    dEdv?: (potentials: ArrayLike<number>[]) => readonly (ArrayLike<number> | undefined)[],
    options: { propagate?: "all" | "none" } = {},
  ): { weights: Float64Array[]; b?: (Float64Array | undefined)[] } {
    const recordPotentials = dEdv !== undefined;
    const pass = this.#conv.forward(frames, 1, nFrames, { state, recordPotentials });
    try {
      const errorsAtV = dEdv?.(this.spec.conv.layers.map((_, l) => pass.potentials(l)));
      return this.#conv.parameterGradients(pass, dEdz, {
        method: "bptt",
        dEdv: errorsAtV,
        ...(options.propagate === "none" ? { propagate: "none" as const } : {}),
      });
    } finally {
      pass.release();
    }
  }

  /**
   * The LSNN's engine, for the learners' reverse passes: its weights are `params.wIn` and
   * `params.wRec` as of the network's creation or the last {@linkcode AgentNetwork.syncConv}.
   */
  get lsnn(): LsnnStepEngine {
    return this.#lsnn;
  }

  /**
   * Reloads the engines' weights after `params` changed: the CNN filters and the LSNN's wIn and
   * wRec (the engines keep copies; the heads read `params` at each step). Call it after every
   * change of `params` in place, before the next {@linkcode AgentNetwork.step}.
   */
  syncConv(): void {
    this.#conv.setParams(convParams(this.spec, this.params));
    this.#lsnn.setWeights({ wIn: this.params.wIn, wRec: this.params.wRec });
  }

  /**
   * Sets the episodes where `mask[b]` is 1 back to the zero state (CNN, LSNN, filters).
   * @param mask One flag per episode.
   */
  resetEpisodes(mask: ArrayLike<number>): void {
    const B = this.batchSize;
    this.#lsnn.reset(this.#state, mask);
    for (let b = 0; b < B; b++) {
      if (!mask[b]) continue;
      this.#featureBar.fill(0, b * this.spec.nFeatures, (b + 1) * this.spec.nFeatures);
      if (this.#convState) {
        this.spec.conv.layers.forEach((l, i) => {
          this.#convState!.v[i].fill(0, b * l.units, (b + 1) * l.units);
          this.#convState!.z[i].fill(0, b * l.units, (b + 1) * l.units);
        });
      }
    }
  }

  /** Every episode back to the zero state. */
  resetAll(): void {
    this.resetEpisodes(new Uint8Array(this.batchSize).fill(1));
  }

  /**
   * Runs one frame for every episode.
   * @param frames Observations [B][frameSize][frameSize] in [0, 1].
   * @returns The frame's record.
   */
  step(frames: ArrayLike<number>): AgentFrameRecord {
    const spec = this.spec, B = this.batchSize, S = spec.stepsPerFrame;
    const size = spec.frameSize * spec.frameSize;
    if (frames.length !== B * size) {
      throw new RangeError(
        `Cannot step agent: frames must hold ${B} x ${spec.frameSize}x${spec.frameSize} = ${
          B * size
        } values, got ${frames.length}`,
      );
    }
    const cnnBefore = this.recordCnn ? this.#cnnStateCopy() : undefined;
    const pass = this.#conv.forward(frames, B, 1, {
      state: this.#convState,
      recordPotentials: this.recordCnn,
    });
    let cnnUp: Float64Array[] | undefined, cnnDown: Float64Array[] | undefined;
    if (this.recordCnn) {
      const thr = spec.conv.thr;
      cnnUp = [], cnnDown = [];
      spec.conv.layers.forEach((l, i) => {
        const v = pass.potentials(i), U = l.units;
        const up = new Float64Array(B * U), down = new Float64Array(B * U);
        for (let t = 0; t < S; t++) {
          for (let b = 0; b < B; b++) {
            const o = (t * B + b) * U;
            for (let q = 0; q < U; q++) {
              const x = v[o + q];
              if (x > thr) up[b * U + q] += x - thr;
              else if (x < -thr) down[b * U + q] += -x - thr;
            }
          }
        }
        cnnUp!.push(up), cnnDown!.push(down);
      });
    }
    const xAll = Float64Array.from(pass.spikes(spec.conv.layers.length - 1));
    const layerSpikes = spec.conv.layers.map((_, l) =>
      l === spec.conv.layers.length - 1 ? xAll : Float64Array.from(pass.spikes(l))
    );
    const pooled = spec.headPools.map((p) => ({ p, z: layerSpikes[p.layer] }));
    const counts = this.#counts;
    spec.conv.layers.forEach((l, i) => {
      const z = layerSpikes[i], c = counts.cnn[i], U = l.units;
      for (let r = 0; r < S * B; r++) {
        const o = r * U;
        for (let q = 0; q < U; q++) c[q] += z[o + q];
      }
    });
    counts.steps += S * B;
    this.#convState = pass.state();
    pass.release();

    const n = spec.n, nF = spec.nFeatures, A = spec.numActions;
    const run = this.#lsnn.step(xAll, this.#state, S);
    const rec: AgentFrameRecord = {
      x: xAll,
      z: run.z,
      psi: run.psi,
      zBefore: run.zBefore,
      psiBefore: run.psiBefore,
      features: new Float64Array(B * nF),
      logits: new Float64Array(B * A),
      pi: new Float64Array(B * A),
      value: new Float64Array(B),
      spikes: new Float64Array(B),
      vUp: new Float64Array(S * B * n),
      vDown: new Float64Array(S * B * n),
    };
    if (this.recordCnn) {
      rec.frames = Float64Array.from(frames);
      rec.cnnBefore = cnnBefore;
      rec.cnnUp = cnnUp;
      rec.cnnDown = cnnDown;
    }
    const kappa = spec.kappa, phi = new Float64Array(nF);
    for (let s = 0; s < S; s++) {
      for (let b = 0; b < B; b++) {
        const o = (s * B + b) * n;
        for (let j = 0; j < n; j++) {
          const v = run.v[o + j], thr = run.thr[o + j];
          rec.vUp[o + j] = Math.max(0, v - thr);
          rec.vDown[o + j] = Math.max(0, -v - thr);
          rec.spikes[b] += run.z[o + j];
          counts.lsnn[j] += run.z[o + j];
        }
        // features: the LSNN's spikes, then the CNN layers' pooled spikes
        phi.fill(0);
        phi.set(run.z.subarray(o, o + n));
        for (const { p, z } of pooled) poolSpikes(p, z, (s * B + b) * p.source.units, phi, n);
        const bar = this.#featureBar.subarray(b * nF, (b + 1) * nF);
        for (let f = 0; f < nF; f++) bar[f] = kappa * bar[f] + (1 - kappa) * phi[f];
      }
    }
    rec.features.set(this.#featureBar);
    this.#heads(rec);
    return rec;
  }

  #cnnStateCopy(): SpikingConvState {
    const layers = this.spec.conv.layers, B = this.batchSize;
    if (!this.#convState) {
      return {
        v: layers.map((l) => new Float64Array(B * l.units)),
        z: layers.map((l) => new Float64Array(B * l.units)),
      };
    }
    return {
      v: this.#convState.v.map((a) => a.slice()),
      z: this.#convState.z.map((a) => a.slice()),
    };
  }

  #heads(rec: AgentFrameRecord): void {
    const { nFeatures: nF, numActions: A } = this.spec, p = this.params;
    for (let b = 0; b < this.batchSize; b++) {
      const f = rec.features.subarray(b * nF, (b + 1) * nF);
      const logits = rec.logits.subarray(b * A, (b + 1) * A);
      logits.set(p.bPi);
      let value = p.bV[0];
      for (let i = 0; i < nF; i++) {
        const fi = f[i];
        if (fi === 0) continue;
        value += fi * p.wV[i];
        for (let k = 0; k < A; k++) logits[k] += fi * p.wPi[i * A + k];
      }
      rec.value[b] = value;
      let max = -Infinity;
      for (let k = 0; k < A; k++) max = Math.max(max, logits[k]);
      let sum = 0;
      for (let k = 0; k < A; k++) sum += rec.pi[b * A + k] = Math.exp(logits[k] - max);
      for (let k = 0; k < A; k++) rec.pi[b * A + k] /= sum;
    }
  }

  /**
   * The episodes' complete state (LSNN, filters, the CNN's potentials and last spikes), for an
   * exact resume.
   * @returns Copies.
   */
  saveState(): AgentNetworkState {
    const copy = (a: Float64Array[]) => a.map((x) => x.slice());
    const c = this.#convState;
    return {
      neurons: Object.fromEntries(this.#neuronArrays().map(([k, v]) => [k, v.slice()])),
      conv: c && { v: copy(c.v), z: copy(c.z) },
      counts: {
        lsnn: this.#counts.lsnn.slice(),
        cnn: copy(this.#counts.cnn),
        steps: this.#counts.steps,
      },
    };
  }

  /**
   * Restores a state from {@linkcode AgentNetwork.saveState} of a network of the same shape.
   * @param s The state.
   * @throws {RangeError} For arrays of the wrong size, naming the field.
   */
  loadState(s: AgentNetworkState): void {
    const check = (name: string, want: number, got: ArrayLike<number> | undefined) => {
      if (got?.length !== want) {
        throw new RangeError(
          `Cannot load agent network state: ${name} must hold ${want} values, got ${got?.length}`,
        );
      }
    };
    for (const [k, v] of this.#neuronArrays()) {
      check(`neurons.${k}`, v.length, s?.neurons?.[k]);
      v.set(s.neurons[k]);
    }
    const c = s.counts;
    this.#counts = c?.lsnn?.length === this.spec.n && c.cnn?.length === this.spec.conv.layers.length
      ? { lsnn: c.lsnn.slice(), cnn: c.cnn.map((x) => x.slice()), steps: c.steps }
      : this.#zeroCounts();
    if (!s.conv) {
      this.#convState = undefined;
      return;
    }
    const layers = this.spec.conv.layers, B = this.batchSize;
    layers.forEach((l, i) => {
      check(`conv.v[${i}]`, B * l.units, s.conv!.v[i]);
      check(`conv.z[${i}]`, B * l.units, s.conv!.z[i]);
    });
    this.#convState = { v: s.conv.v.map((x) => x.slice()), z: s.conv.z.map((x) => x.slice()) };
  }

  /** The state's arrays by name, in the order of the saved state. */
  #neuronArrays(): [string, Float64Array][] {
    const st = this.#state;
    return [["v", st.v], ["a", st.a], ["r", st.r], ["z", st.z], ["psi", st.psi], [
      "featureBar",
      this.#featureBar,
    ]];
  }

  /** Frees the engines' memory. */
  dispose(): void {
    this.#conv.dispose();
    this.#lsnn.dispose();
  }
}

/**
 * The CNN's filters and biases from the agent's parameters (the spiking conv engine's form).
 * @param spec The agent's shape.
 * @param params Its parameters.
 * @returns The filters per layer, and the biases when a layer has one.
 */
export function convParams(
  spec: ResolvedAgentSpec,
  params: AgentParams,
): { weights: Float64Array[]; b?: (Float64Array | undefined)[] } {
  const layers = spec.conv.layers;
  const weights = layers.map((_, l) => params[`conv${l}`]);
  if (!layers.some((l) => l.bias)) return { weights };
  return { weights, b: layers.map((l, i) => l.bias ? params[convBiasName(i)] : undefined) };
}

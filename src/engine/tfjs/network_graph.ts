/**
 * A composed network (NETWORK_CASE.md) in TensorFlow.js ops: input frames repeated, stacked and
 * bidirectional LSNN populations, pooled leaky readout heads; written so that autodiff gives
 * BPTT, layer-local e-prop (stop-gradient trick) or, with probes, the true learning signals of
 * eq. (1). Also the factorized eligibility-trace gradient of EPROP.md 3.3 in tensor ops.
 *
 * Time: every population is simulated in its own time, from the zero state. A forward
 * population's own time is input time; a backward population's own step t' of sequence b is input
 * step L_b*repeat-1-t' (reversed within the valid length). Reversals are gathers on [T*B, n]
 * views with per-sequence index tables, padding rows mapped to an appended zero row, so that they
 * are differentiable and padding never reads anything. Valid steps are a prefix in both times, so
 * one validity mask [T, B, 1] serves both.
 *
 * @module
 */
import { tf } from "./tf.ts";
import { customOp, neuronStep, readoutWithFeedback, stopGradient } from "./lsnn_graph.ts";
import {
  headReads,
  type Population,
  type PopulationConstants,
  type ResolvedNetwork,
} from "../../net/network.ts";
import { type SequenceBatch, writeTimeMajorInputs } from "../../net/batch.ts";

/** Weights of one population as tensors. */
export interface PopulationTensors {
  /** [nIn, n]. */
  wIn: tf.Tensor2D;
  /** [n, n], diagonal already zeroed. */
  wRec: tf.Tensor2D;
  /** [n] adaptation strengths. */
  beta: tf.Tensor1D;
}

/** Weights of one head as tensors. */
export interface HeadTensors {
  /** [nFeat, nOut]. */
  wOut: tf.Tensor2D;
  /** [nOut], when the head has a bias. */
  bOut?: tf.Tensor1D;
}

/** All weights of a network as tensors, in the order of the resolved network. */
export interface NetworkGraphWeights {
  /** Per population. */
  populations: PopulationTensors[];
  /** Per head. */
  heads: HeadTensors[];
}

/** A batch prepared for the graph: inputs, validity and the index tables of the time maps. */
export interface SequenceTensors {
  /** Sequences B. */
  batchSize: number;
  /** Frames F. */
  frames: number;
  /** Steps T = F * repeat. */
  steps: number;
  /** Valid frames per sequence. */
  lengths: Int32Array;
  /** Input frames time-major [F*B + 1, nIn]: padding frames zeroed, one zero row appended. */
  frameRows: tf.Tensor2D;
  /** Validity [T, B, 1]: 1 on each sequence's valid steps, 0 past them. */
  mask: tf.Tensor3D;
  /** Per direction: own step (t*B + b) -> row of `frameRows` (the zero row past the length). */
  frameIndex: { forward: tf.Tensor1D; backward: tf.Tensor1D };
  /** Own step (t*B + b) <-> input step (L_b*repeat-1-t)*B + b; T*B (a zero row) past the length. */
  reverseIndex: tf.Tensor1D;
}

/**
 * Prepares the tensors of a batch (the caller disposes them, or runs inside tf.tidy).
 *
 * @param net The network.
 * @param batch The batch, with its checked lengths (padding frames are never read).
 * @returns The batch's tensors.
 */
export function sequenceTensors(
  net: ResolvedNetwork,
  batch: SequenceBatch & { lengths: Int32Array },
): SequenceTensors {
  const { batchSize: B, frames: F, lengths } = batch;
  const R = net.repeat;
  const T = F * R;
  const frames = new Float32Array((F * B + 1) * net.nIn);
  writeTimeMajorInputs(batch, frames.subarray(0, F * B * net.nIn), lengths);
  const mask = new Float32Array(T * B);
  const forward = new Int32Array(T * B).fill(F * B);
  const backward = new Int32Array(T * B).fill(F * B);
  const reverse = new Int32Array(T * B).fill(T * B);
  for (let b = 0; b < B; b++) {
    const valid = lengths[b] * R;
    for (let t = 0; t < valid; t++) {
      const i = t * B + b;
      const u = valid - 1 - t;
      mask[i] = 1;
      forward[i] = Math.floor(t / R) * B + b;
      backward[i] = Math.floor(u / R) * B + b;
      reverse[i] = u * B + b;
    }
  }
  return {
    batchSize: B,
    frames: F,
    steps: T,
    lengths: Int32Array.from(lengths),
    frameRows: tf.tensor2d(frames, [F * B + 1, net.nIn]),
    mask: tf.tensor3d(mask, [T, B, 1]),
    frameIndex: {
      forward: tf.tensor1d(forward, "int32"),
      backward: tf.tensor1d(backward, "int32"),
    },
    reverseIndex: tf.tensor1d(reverse, "int32"),
  };
}

/** The batch of {@linkcode runNetworkGraph} and how the run is differentiated. */
export interface NetworkGraphOptions {
  /** The batch's tensors. */
  seq: SequenceTensors;
  /**
   * "bptt": every path; "eprop": stop-gradient on the spike copy used for recurrence and reset,
   * and on what an upper layer reads from the layer below (layer-local).
   */
  mode: "bptt" | "eprop";
  /** e-prop: per head, a feedback matrix [nFeat, nOut] used in the readout's backward pass. */
  feedback?: (tf.Tensor2D | undefined)[];
  /**
   * Per population, a zero tensor [T, B, n] in the population's own time, added to its spikes on
   * every path outside its own adaptation: dE/dprobe is the true learning signal of eq. (1).
   */
  probes?: tf.Tensor3D[];
}

/** Records of one population. */
export interface PopulationRecord {
  /** Spikes in input time [T, B, n], zero past each length (what heads and layers read). */
  z: tf.Tensor3D;
  /** Spikes in own time [T, B, n], zero past each length. */
  zOwn: tf.Tensor3D;
  /** Pseudo-derivatives in own time [T, B, n], zero past each length. */
  psiOwn: tf.Tensor3D;
  /** Membrane potentials in own time [T, B, n] (not masked). */
  vOwn: tf.Tensor3D;
  /** Adaptive thresholds in own time [T, B, n] (not masked). */
  thrOwn: tf.Tensor3D;
}

/** Records of a run. */
export interface NetworkRecord {
  /** Per population. */
  populations: PopulationRecord[];
  /** Per layer: its features [T, B, width] in input time (forward spikes first). */
  features: tf.Tensor3D[];
  /** Per head: filtered features zbar [U, B, nFeat] and outputs y [U, B, nOut]. */
  heads: { zbar: tf.Tensor3D; y: tf.Tensor3D }[];
}

/**
 * Rows of a matrix by index (tf.gather along axis 0) whose gradient scatters back with ScatterNd,
 * summing repeated indices: gather's own gradient needs the UnsortedSegmentSum kernel, which the
 * tfjs "wasm" backend does not have.
 *
 * @param x [rows, n].
 * @param indices int32 [m], each in [0, rows).
 * @returns [m, n].
 */
export const gatherRows: (x: tf.Tensor, indices: tf.Tensor1D) => tf.Tensor2D = customOp(
  ([x, indices], save) => {
    save([indices]);
    const shape = x.shape;
    return {
      value: tf.gather(x, indices),
      gradFunc: (dy, saved) => [
        tf.scatterND(tf.expandDims(saved[0], 1), dy, shape),
        tf.zerosLike(saved[0]),
      ],
    };
  },
) as (x: tf.Tensor, indices: tf.Tensor1D) => tf.Tensor2D;

/**
 * Maps a time-major tensor between input time and a backward population's own time (the map is
 * its own inverse); rows past a sequence's length become zero.
 *
 * @param x [T, B, n].
 * @param seq The batch's tensors.
 * @returns [T, B, n], reversed within each sequence's valid length.
 */
export function reverseTime(x: tf.Tensor3D, seq: SequenceTensors): tf.Tensor3D {
  const [T, B, n] = x.shape;
  const rows = tf.concat([tf.reshape(x, [T * B, n]), tf.zeros([1, n])], 0);
  return tf.reshape(gatherRows(rows, seq.reverseIndex), [T, B, n]);
}

/**
 * Maps a population's own-time tensor to input time (zero past each length).
 *
 * @param x [T, B, n] in the population's own time.
 * @param options The population and the batch's tensors.
 * @returns [T, B, n] in input time.
 */
export function toInputTime(
  x: tf.Tensor3D,
  options: { population: Population; seq: SequenceTensors },
): tf.Tensor3D {
  const { population: pop, seq } = options;
  return pop.direction === "forward" ? tf.mul(x, seq.mask) : reverseTime(x, seq);
}

/**
 * What a population reads at each of its own steps, time-major [T, B, nIn]: the input frame of
 * that step (layer 0) or the layer below's features (not differentiated through).
 *
 * @param pop The population.
 * @param options Features of the layer below in input time (`below`, unused for layer 0) and
 *   the batch's tensors.
 * @returns The presynaptic values in the population's own time.
 */
export function presynapticInputs(
  pop: Population,
  options: { below?: tf.Tensor3D; seq: SequenceTensors },
): tf.Tensor3D {
  const { below, seq } = options;
  const { steps: T, batchSize: B } = seq;
  if (pop.layer === 0) {
    const rows = gatherRows(seq.frameRows, seq.frameIndex[pop.direction]);
    return tf.reshape(rows, [T, B, pop.nIn]);
  }
  return pop.direction === "forward" ? below! : reverseTime(below!, seq);
}

/**
 * Runs a network on a batch.
 *
 * @param net The network.
 * @param w Its weights as tensors.
 * @param options The batch's tensors, mode, e-prop feedback, eq. (1) probes.
 * @returns The records (use inside tf.tidy or a gradient scope).
 */
export function runNetworkGraph(
  net: ResolvedNetwork,
  w: NetworkGraphWeights,
  options: NetworkGraphOptions,
): NetworkRecord {
  const seq = options.seq;
  const { steps: T, batchSize: B } = seq;
  const populations: PopulationRecord[] = [];
  const features: tf.Tensor3D[] = [];
  net.layers.forEach((layer, l) => {
    let below: tf.Tensor3D | undefined = l > 0 ? features[l - 1] : undefined;
    if (below && options.mode === "eprop") below = stopGradient(below) as tf.Tensor3D;
    const zs: tf.Tensor3D[] = [];
    for (const pop of layer.populations) {
      const pw = w.populations[pop.index];
      let current: tf.Tensor3D;
      if (l === 0) {
        // x @ w_in once per frame, then each own step gathers its frame's row.
        const perFrame = tf.matMul(seq.frameRows, pw.wIn);
        current = tf.reshape(
          gatherRows(perFrame, seq.frameIndex[pop.direction]),
          [T, B, pop.nRec],
        );
      } else {
        const flat = tf.matMul(tf.reshape(below!, [T * B, pop.nIn]), pw.wIn);
        current = tf.reshape(flat, [T, B, pop.nRec]);
        if (pop.direction === "backward") current = reverseTime(current, seq);
      }
      const rec = runPopulation(pop.consts, pw, current, {
        mode: options.mode,
        probes: options.probes?.[pop.index],
        mask: seq.mask,
      });
      const z = toInputTime(rec.zOwn, { population: pop, seq });
      populations.push({ ...rec, z });
      zs.push(z);
    }
    features.push(zs.length === 1 ? zs[0] : tf.concat(zs, 2));
  });
  const allFeatures = features.length === 1 ? features[0] : tf.concat(features, 2);
  const heads = net.heads.map((head, h) => {
    const source = head.from === "all" ? allFeatures : features[features.length - 1];
    let s: tf.Tensor3D = source;
    if (head.pool === "frame_mean") {
      s = tf.mean(tf.reshape(source, [seq.frames, net.repeat, B, head.nFeat]), 1);
    }
    const U = s.shape[0];
    const zbar = leakyFilter(s, { decay: head.kappa, gain: head.c });
    const flat = tf.reshape(zbar, [U * B, head.nFeat]) as tf.Tensor2D;
    const wh = w.heads[h];
    const fb = options.feedback?.[h];
    let y: tf.Tensor = fb ? readoutWithFeedback(flat, wh.wOut, fb) : tf.matMul(flat, wh.wOut);
    if (wh.bOut) y = tf.add(y, wh.bOut);
    return {
      zbar: tf.reshape(zbar, [U, B, head.nFeat]) as tf.Tensor3D,
      y: tf.reshape(y, [U, B, head.nOut]) as tf.Tensor3D,
    };
  });
  return { populations, features, heads };
}

/**
 * A leaky filter along the time axis from a zero start: y(u) = decay y(u-1) + gain x(u), or with
 * `reverse` y(u) = decay y(u+1) + gain x(u) (the adjoint of the forward filter). Differentiable;
 * O(U) work, unlike a U x U filter matrix.
 *
 * @param x [U, B, n].
 * @param options Decay, gain and direction.
 * @returns [U, B, n].
 */
export function leakyFilter(
  x: tf.Tensor3D,
  options: { decay: number; gain: number; reverse?: boolean },
): tf.Tensor3D {
  const { decay, gain, reverse = false } = options;
  const xs = tf.unstack(x);
  const out: tf.Tensor[] = new Array(xs.length);
  let y: tf.Tensor | undefined;
  for (let i = 0; i < xs.length; i++) {
    const u = reverse ? xs.length - 1 - i : i;
    const input = gain === 1 ? xs[u] : tf.mul(gain, xs[u]);
    y = y === undefined ? input : tf.add(tf.mul(decay, y), input);
    out[u] = y;
  }
  return tf.stack(out) as tf.Tensor3D;
}

/** One population over its own time, from the zero state (EPROP.md section 1). */
function runPopulation(
  k: PopulationConstants,
  w: PopulationTensors,
  current: tf.Tensor3D,
  options: { mode: "bptt" | "eprop"; probes?: tf.Tensor3D; mask: tf.Tensor3D },
): Omit<PopulationRecord, "z"> {
  const [T, B, n] = current.shape;
  const step = neuronStep(k);
  const inputs = tf.unstack(current) as tf.Tensor2D[];
  const probes = options.probes ? tf.unstack(options.probes) as tf.Tensor2D[] : undefined;
  let v: tf.Tensor = tf.zeros([B, n]);
  let a: tf.Tensor = tf.zeros([B, n]);
  let r: tf.Tensor = tf.zeros([B, n]);
  let zRecPrev: tf.Tensor = tf.zeros([B, n]);
  let zAdaptPrev: tf.Tensor = tf.zeros([B, n]);
  const zs: tf.Tensor[] = [], psis: tf.Tensor[] = [], vs: tf.Tensor[] = [], thrs: tf.Tensor[] = [];
  for (let t = 0; t < T; t++) {
    let z: tf.Tensor, psi: tf.Tensor, A: tf.Tensor;
    ({ v, a, r, z, psi, A } = step(
      { v, a, r, zRecPrev, zAdaptPrev },
      { current: inputs[t], wRec: w.wRec, beta: w.beta },
    ));
    const zOut = probes ? tf.add(z, probes[t]) : z;
    zRecPrev = options.mode === "eprop" ? stopGradient(zOut) : zOut;
    zAdaptPrev = z;
    zs.push(zOut);
    psis.push(psi);
    vs.push(v);
    thrs.push(A);
  }
  return {
    zOwn: tf.mul(tf.stack(zs), options.mask) as tf.Tensor3D,
    psiOwn: tf.mul(tf.stack(psis), options.mask) as tf.Tensor3D,
    vOwn: tf.stack(vs) as tf.Tensor3D,
    thrOwn: tf.stack(thrs) as tf.Tensor3D,
  };
}

/** Inputs of {@linkcode traceGradientFactorized}. */
export interface FactorizedTraceInputs {
  /** Presynaptic values [T, B, nPre] in the population's own time (x(t) or z(t-1)). */
  pre: tf.Tensor3D;
  /** Pseudo-derivatives [T, B, n] in own time (0 while refractory and past the length). */
  psi: tf.Tensor3D;
  /** Adaptation strengths [n]. */
  beta: tf.Tensor1D;
  /** Learning signal [T, B, n] in own time, multiplying the unfiltered traces e(t). */
  signal: tf.Tensor3D;
}

/**
 * sum_{b,t} L_j(t) e_ji(t) by the factorized form of EPROP.md 3.3: with
 * eps_v_i(t) = alpha eps_v_i(t-1) + s pre_i(t) and the backward recursion
 * Q_j(t) = L_j psi_j beta_j (t) + (rho - beta_j psi_j(t)) Q_j(t+1), Q(T) = 0, the gradient is
 * sum_{b,t} eps_v_i(t) M_j(t), M_j(t) = psi_j(t) (L_j(t) - Q_j(t+1)); moving the eps_v filter onto
 * M, it is sum_{b,t} pre_i(t) Mv_j(t) with Mv(t) = s M(t) + alpha Mv(t+1). Two backward passes
 * over [B, n] and one matrix product: no per-synapse state.
 *
 * @param k The population's constants (alpha, rho, s).
 * @param inputs Presynaptic values, pseudo-derivatives, beta and the learning signal.
 * @returns The gradient [nPre, n] (diagonal of a recurrent block not zeroed).
 */
export function traceGradientFactorized(
  k: Pick<PopulationConstants, "alpha" | "rho" | "s">,
  inputs: FactorizedTraceInputs,
): tf.Tensor2D {
  return tf.tidy(() => {
    const [T, B, nPre] = inputs.pre.shape;
    const n = inputs.psi.shape[2];
    const beta = tf.reshape(inputs.beta, [1, n]);
    const psis = tf.unstack(inputs.psi);
    const ls = tf.unstack(inputs.signal);
    const m: tf.Tensor[] = new Array(T);
    let q: tf.Tensor = tf.zeros([B, n]); // Q(t+1)
    for (let t = T - 1; t >= 0; t--) {
      m[t] = tf.mul(psis[t], tf.sub(ls[t], q));
      q = tf.add(
        tf.mul(tf.mul(ls[t], psis[t]), beta),
        tf.mul(tf.sub(k.rho, tf.mul(beta, psis[t])), q),
      );
    }
    const mv = leakyFilter(tf.stack(m) as tf.Tensor3D, {
      decay: k.alpha,
      gain: k.s,
      reverse: true,
    });
    return tf.matMul(
      tf.reshape(inputs.pre, [T * B, nPre]) as tf.Tensor2D,
      tf.reshape(mv, [T * B, n]) as tf.Tensor2D,
      true,
      false,
    );
  });
}

/**
 * The readout learning signals of hard-coded e-prop in input time: per head, B dE/dy through the
 * adjoint of the readout filter over the head's time axis, each step of a frame getting 1/repeat of
 * its frame's signal (frame_mean); each population gets the columns of every head that reads it.
 *
 * @param net The network.
 * @param dEdy Per head, dE/dy [U, B, nOut], or undefined for a head without a loss.
 * @param options The feedback matrix of each head ([nFeat, nOut]) and the batch's tensors.
 * @returns Per population, L(t) [T, B, n] in input time (zero for a population no loss reads).
 */
export function readoutLearningSignals(
  net: ResolvedNetwork,
  dEdy: (tf.Tensor3D | undefined)[],
  options: { feedback: tf.Tensor2D[]; seq: SequenceTensors },
): tf.Tensor3D[] {
  const { steps: T, batchSize: B, frames: F } = options.seq;
  const out: tf.Tensor3D[] = net.populations.map((p) => tf.zeros([T, B, p.nRec]));
  net.heads.forEach((head, h) => {
    const d = dEdy[h];
    if (!d) return;
    const U = d.shape[0];
    const pooled = tf.matMul(
      tf.reshape(d, [U * B, head.nOut]) as tf.Tensor2D,
      options.feedback[h],
      false,
      true,
    );
    let signal = leakyFilter(tf.reshape(pooled, [U, B, head.nFeat]) as tf.Tensor3D, {
      decay: head.kappa,
      gain: head.c,
      reverse: true,
    });
    if (head.pool === "frame_mean") {
      const R = net.repeat;
      signal = tf.reshape(
        tf.tile(tf.expandDims(tf.div(signal, R), 1), [1, R, 1, 1]),
        [F * R, B, head.nFeat],
      );
    }
    for (const { population: p, row } of headReads(net, head)) {
      out[p.index] = tf.add(out[p.index], tf.slice(signal, [0, 0, row], [T, B, p.nRec]));
    }
  });
  return out;
}

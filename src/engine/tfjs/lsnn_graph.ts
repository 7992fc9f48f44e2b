/**
 * The LSNN and its readout in TensorFlow.js ops (EPROP.md sections 1-2), written so that
 * autodiff gives BPTT, e-prop (stop-gradient trick) or the true learning signal of eq. (1):
 *
 * - "bptt": every path is differentiated.
 * - "eprop": the spike copy used for recurrence and reset is stop-gradiented; the copy used for the
 *   neuron's own adaptation and for the readout is not (EPROP.md 3.4, convention 1).
 * - probes: a zero tensor added to the spikes on every path outside the neuron's own adaptation;
 *   dE/dprobe(t) is then the true learning signal dE/dz(t) of eq. (1).
 *
 * The spike nonlinearity has a custom gradient: dz/dv = psi, dz/dA = -psi, with psi = 0 while
 * refractory. The refractory counter is not differentiated.
 *
 * @module
 */
import { tf } from "./tf.ts";
import type { ModelConstants } from "../../model/constants.ts";

/** Network tensors of one call (w_rec with its diagonal masked out by the caller). */
export interface GraphWeights {
  /** [nIn, n]. */
  wIn: tf.Tensor2D;
  /** [n, n], zero diagonal. */
  wRec: tf.Tensor2D;
  /** [n, nOut]. */
  wOut: tf.Tensor2D;
  /** [nOut], or undefined. */
  bOut?: tf.Tensor1D;
  /** [n] adaptation strengths. */
  beta: tf.Tensor1D;
}

/** How the graph is differentiated. */
export type GraphMode = "bptt" | "eprop";

/** Options of {@linkcode runGraph}. */
export interface GraphOptions {
  /** Differentiation mode. */
  mode: GraphMode;
  /** e-prop: feedback matrix B [n, nOut] that replaces w_out in the backward pass of the readout. */
  feedback?: tf.Tensor2D;
  /** Zero tensor [T, B, n] added to the spikes outside the own-adaptation path (eq. 1). */
  probes?: tf.Tensor3D;
}

/** Per-step records of a run, each [T, B, n] (y: [T, B, nOut]). */
export interface GraphRecord {
  /** Spikes as seen by the readout and regularizer (differentiable). */
  z: tf.Tensor3D;
  /** Pseudo-derivatives. */
  psi: tf.Tensor3D;
  /** Membrane potentials. */
  v: tf.Tensor3D;
  /** Adaptive thresholds. */
  thr: tf.Tensor3D;
  /** Filtered spikes zbar. */
  zbar: tf.Tensor3D;
  /** Readout. */
  y: tf.Tensor3D;
}

/**
 * Runs the network on time-major inputs.
 * @param k Model constants.
 * @param w Weights.
 * @param x Inputs [T, B, nIn].
 * @param options Mode, feedback, probes.
 * @returns The records (to be used inside a tf.tidy or tf.grads scope).
 */
export function runGraph(
  k: ModelConstants,
  w: GraphWeights,
  x: tf.Tensor3D,
  options: GraphOptions,
): GraphRecord {
  const [T, B] = x.shape;
  const n = w.wRec.shape[0];
  const step = neuronStep(k);
  const xs = tf.unstack(x) as tf.Tensor2D[];
  const probes = options.probes ? tf.unstack(options.probes) as tf.Tensor2D[] : undefined;
  let v: tf.Tensor = tf.zeros([B, n]);
  let a: tf.Tensor = tf.zeros([B, n]);
  let r: tf.Tensor = tf.zeros([B, n]);
  let zRecPrev: tf.Tensor = tf.zeros([B, n]);
  let zAdaptPrev: tf.Tensor = tf.zeros([B, n]);
  let zbar: tf.Tensor = tf.zeros([B, n]);
  const rec: Record<keyof GraphRecord, tf.Tensor[]> = {
    z: [],
    psi: [],
    v: [],
    thr: [],
    zbar: [],
    y: [],
  };
  for (let t = 0; t < T; t++) {
    let z: tf.Tensor, psi: tf.Tensor, A: tf.Tensor;
    ({ v, a, r, z, psi, A } = step(
      { v, a, r, zRecPrev, zAdaptPrev },
      { current: tf.matMul(xs[t], w.wIn), wRec: w.wRec, beta: w.beta },
    ));
    const zOut = probes ? tf.add(z, probes[t]) : z;
    zbar = tf.add(tf.mul(k.kappa, zbar), tf.mul(k.c, zOut));
    let y: tf.Tensor = options.feedback
      ? readoutWithFeedback(zbar as tf.Tensor2D, w.wOut, options.feedback)
      : tf.matMul(zbar as tf.Tensor2D, w.wOut);
    if (w.bOut) y = tf.add(y, w.bOut);
    zRecPrev = options.mode === "eprop" ? stopGradient(zOut) : zOut;
    zAdaptPrev = z;
    rec.z.push(zOut);
    rec.psi.push(psi);
    rec.v.push(v);
    rec.thr.push(A);
    rec.zbar.push(zbar);
    rec.y.push(y);
  }
  return {
    z: tf.stack(rec.z) as tf.Tensor3D,
    psi: tf.stack(rec.psi) as tf.Tensor3D,
    v: tf.stack(rec.v) as tf.Tensor3D,
    thr: tf.stack(rec.thr) as tf.Tensor3D,
    zbar: tf.stack(rec.zbar) as tf.Tensor3D,
    y: tf.stack(rec.y) as tf.Tensor3D,
  };
}

/**
 * The refractory counter update r <- clip(r + n_ref * z * dt - 1, 0, n_ref), opaque to autodiff.
 *
 * @param k Refractory steps and time step.
 * @returns The op (r, z) => next r, whose gradient is zero for both inputs.
 */
export function refractoryCounter(
  k: Pick<ModelConstants, "nRef" | "dt">,
): (r: tf.Tensor, z: tf.Tensor) => tf.Tensor {
  return customOp(([r, z]) => ({
    value: tf.clipByValue(tf.sub(tf.add(r, tf.mul(k.nRef * k.dt, z)), 1), 0, k.nRef),
    gradFunc: () => [tf.zerosLike(r), tf.zerosLike(z)],
  }));
}

/**
 * Builds an op with a custom gradient from a function of its input list.
 *
 * @param fn Computes the value from the inputs and returns it with its gradient function.
 * @returns The op.
 */
export function customOp(
  fn: (inputs: tf.Tensor[], save: tf.GradSaveFunc) => {
    value: tf.Tensor;
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor | tf.Tensor[];
  },
): (...inputs: tf.Tensor[]) => tf.Tensor {
  const wrapped = (...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    return fn(args.slice(0, -1) as tf.Tensor[], save);
  };
  return tf.customGrad(wrapped as Parameters<typeof tf.customGrad>[0]) as (
    ...inputs: tf.Tensor[]
  ) => tf.Tensor;
}

/** Identity whose gradient is zero (tfjs has no stop_gradient op). */
export const stopGradient: (x: tf.Tensor) => tf.Tensor = customOp(([x]) => ({
  value: tf.clone(x),
  gradFunc: (dy) => tf.zerosLike(dy),
}));

/** 1 where the counter r is 0 (the neuron may spike), else 0; not differentiated. */
export const freeMask: (r: tf.Tensor) => tf.Tensor = customOp(([r]) => ({
  value: tf.cast(tf.lessEqual(r, 0), "float32"),
  gradFunc: () => tf.zerosLike(r),
}));

/**
 * psi = free * (gamma/thr) max(0, 1 - |v - A| / thr), not differentiated.
 *
 * @param k Dampening and base threshold.
 * @param state Membrane potentials v, adaptive thresholds A and the mask `free` (1 where the
 *   neuron is not refractory).
 * @returns psi.
 */
export function pseudoDerivative(
  k: Pick<ModelConstants, "gamma" | "thr">,
  state: { v: tf.Tensor; A: tf.Tensor; free: tf.Tensor },
): tf.Tensor {
  const { v, A, free } = state;
  const d = stopGradient(tf.sub(v, A));
  return tf.mul(free, tf.mul(k.gamma / k.thr, tf.relu(tf.sub(1, tf.div(tf.abs(d), k.thr)))));
}

/**
 * z = free * H(v - A) / dt with dz/dv = psi and dz/dA = -psi.
 *
 * @param k Dampening, base threshold and time step.
 * @returns The spike op (v, A, free) => z.
 */
export function spikeFunction(
  k: Pick<ModelConstants, "gamma" | "thr" | "dt">,
): (v: tf.Tensor, A: tf.Tensor, free: tf.Tensor) => tf.Tensor {
  return customOp(([v, A, free], save) => {
    const z = tf.mul(tf.cast(tf.greater(tf.sub(v, A), 0), "float32"), tf.mul(free, 1 / k.dt));
    const psi = pseudoDerivative(k, { v, A, free });
    save([psi, free]);
    return {
      value: z,
      gradFunc: (dy, saved) => {
        const g = tf.mul(dy, saved[0]);
        return [g, tf.neg(g), tf.zerosLike(saved[1])];
      },
    };
  });
}

/** y = zbar @ w_out, whose gradient to zbar goes back through the feedback matrix B instead. */
export const readoutWithFeedback: (
  zbar: tf.Tensor2D,
  wOut: tf.Tensor2D,
  feedback: tf.Tensor2D,
) => tf.Tensor2D = customOp(([zbar, wOut, feedback], save) => {
  save([zbar, feedback]);
  return {
    value: tf.matMul(zbar as tf.Tensor2D, wOut as tf.Tensor2D),
    gradFunc: (dy, saved) => [
      tf.matMul(dy as tf.Tensor2D, saved[1] as tf.Tensor2D, false, true),
      tf.matMul(saved[0] as tf.Tensor2D, dy as tf.Tensor2D, true, false),
      tf.zerosLike(saved[1]),
    ],
  };
}) as (zbar: tf.Tensor2D, wOut: tf.Tensor2D, feedback: tf.Tensor2D) => tf.Tensor2D;

/** The state a neuron step reads: membrane, adaptation, refractory counter, previous spikes. */
export interface NeuronState {
  /** Membrane potentials [B, n]. */
  v: tf.Tensor;
  /** Adaptation variables [B, n]. */
  a: tf.Tensor;
  /** Refractory counters [B, n]. */
  r: tf.Tensor;
  /** Previous spikes as seen by recurrence and reset (stop-gradiented for e-prop). */
  zRecPrev: tf.Tensor;
  /** Previous spikes as seen by the neuron's own adaptation. */
  zAdaptPrev: tf.Tensor;
}

/**
 * One step of EPROP.md section 1 in tensor ops, for one population: the shared body of the
 * single-population graph and the composed network's populations.
 *
 * @param k The population's constants.
 * @returns step(state, { current: input current from outside (before the scaling s), wRec, beta })
 *   -> the new v, a, r, the spikes z (differentiable through the custom spike gradient), psi and
 *   the adaptive threshold A.
 */
export function neuronStep(
  k: Pick<ModelConstants, "alpha" | "rho" | "thr" | "s" | "gamma" | "dt" | "nRef">,
): (
  state: NeuronState,
  input: { current: tf.Tensor; wRec: tf.Tensor2D; beta: tf.Tensor },
) => { v: tf.Tensor; a: tf.Tensor; r: tf.Tensor; z: tf.Tensor; psi: tf.Tensor; A: tf.Tensor } {
  const spike = spikeFunction(k);
  const refractoryStep = refractoryCounter(k);
  return (state, input) => {
    const a = tf.add(tf.mul(k.rho, state.a), state.zAdaptPrev);
    const current = tf.add(input.current, tf.matMul(state.zRecPrev as tf.Tensor2D, input.wRec));
    const v = tf.sub(
      tf.add(tf.mul(k.alpha, state.v), tf.mul(k.s, current)),
      tf.mul(k.thr, state.zRecPrev),
    );
    const A = tf.add(k.thr, tf.mul(input.beta, a));
    const free = freeMask(state.r);
    const z = spike(v, A, free);
    const psi = pseudoDerivative(k, { v, A, free });
    const r = refractoryStep(state.r, z);
    return { v, a, r, z, psi, A };
  };
}

/**
 * The LSNN neuron in TensorFlow.js ops (EPROP.md section 1), the one place the tfjs engine writes
 * its equations: {@linkcode neuronStep} is one step of a population, which the composed network's
 * graph unrolls (network_graph.ts; the single population of Figs. 3/S7 runs on it too); the
 * agent's graph builds on the same ops. They are written so that autodiff gives BPTT, e-prop
 * (stop-gradient trick, EPROP.md 3.4) or, with probes added to the spikes, the true learning
 * signal of eq. (1).
 *
 * The spike nonlinearity has a custom gradient: dz/dv = psi, dz/dA = -psi, with psi = 0 while
 * refractory. The refractory counter is not differentiated.
 *
 * @module
 */
import { tf } from "./tf.ts";
import type { ModelConstants } from "../../model/constants.ts";

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
 * One step of EPROP.md section 1 in tensor ops, for one population: the body that every
 * population of a composed network (the single population of Figs. 3/S7 among them) unrolls.
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

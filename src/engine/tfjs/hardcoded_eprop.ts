/**
 * Hard-coded e-prop in TensorFlow.js ops (EPROP.md 3.1 and section 4): per-synapse eligibility
 * traces updated step by step and multiplied by learning signals,
 *
 *   g_ji = sum_{b,t} Lf_j(t) ebar_ji(t) + sum_{b,t} Lu_j(t) e_ji(t),
 *
 * with Lf the (readout) learning signal on filtered traces and Lu a signal on unfiltered traces
 * (regularizer, or the true learning signal of eq. 1).
 *
 * @module
 */
import { tf } from "./tf.ts";
import type { ModelConstants } from "../../model/constants.ts";

/** Inputs of {@linkcode traceGradient}. */
export interface TraceGradientInputs {
  /** Inputs [T, B, nIn]. */
  x: tf.Tensor3D;
  /** Spikes [T, B, n] of the forward pass. */
  z: tf.Tensor3D;
  /** Pseudo-derivatives [T, B, n]. */
  psi: tf.Tensor3D;
  /** Adaptation strengths [n]. */
  beta: tf.Tensor1D;
  /** Signal on filtered traces [T, B, n], or undefined. */
  filtered?: tf.Tensor3D;
  /** Signal on unfiltered traces [T, B, n] (or [T, 1, n]), or undefined. */
  unfiltered?: tf.Tensor3D;
}

/**
 * Accumulates the trace gradient.
 * @param k Model constants.
 * @param inputs Records and signals.
 * @returns The gradient [nIn + n, n]: rows 0..nIn-1 for w_in, the rest for w_rec (the diagonal is
 *   not yet zeroed). The caller owns the tensor.
 */
export function traceGradient(k: ModelConstants, inputs: TraceGradientInputs): tf.Tensor2D {
  const [T, B, nIn] = inputs.x.shape;
  const n = inputs.z.shape[2];
  const nPre = nIn + n;
  const xs = tf.unstack(inputs.x);
  const zs = tf.unstack(inputs.z);
  const psis = tf.unstack(inputs.psi);
  const lf = inputs.filtered ? tf.unstack(inputs.filtered) : undefined;
  const lu = inputs.unfiltered ? tf.unstack(inputs.unfiltered) : undefined;
  const beta = inputs.beta.reshape([1, 1, n]);
  let epsV: tf.Tensor = tf.zeros([B, nPre, 1]);
  let epsA: tf.Tensor = tf.zeros([B, nPre, n]);
  let ebar: tf.Tensor = tf.zeros([B, nPre, n]);
  let g: tf.Tensor = tf.zeros([nPre, n]);
  let psiPrev: tf.Tensor = tf.zeros([B, 1, n]);
  let zPrev: tf.Tensor = tf.zeros([B, n]);
  for (let t = 0; t < T; t++) {
    const next = tf.tidy(() => {
      const pre = tf.concat([xs[t], zPrev], 1).reshape([B, nPre, 1]);
      const psi = psis[t].reshape([B, 1, n]);
      const decay = tf.sub(k.rho, tf.mul(beta, psiPrev));
      const a1 = tf.add(tf.mul(decay, epsA), tf.mul(psiPrev, epsV));
      const v1 = tf.add(tf.mul(k.alpha, epsV), tf.mul(k.s, pre));
      const e = tf.sub(tf.mul(psi, v1), tf.mul(tf.mul(beta, psi), a1));
      const e1 = tf.add(tf.mul(k.kappa, ebar), tf.mul(k.c, e));
      let dg: tf.Tensor = tf.zeros([nPre, n]);
      if (lf) dg = tf.add(dg, tf.sum(tf.mul(lf[t].reshape([-1, 1, n]), e1), 0));
      if (lu) dg = tf.add(dg, tf.sum(tf.mul(lu[t].reshape([-1, 1, n]), e), 0));
      return { epsV: v1, epsA: a1, ebar: e1, g: tf.add(g, dg), psi };
    });
    for (const old of [epsV, epsA, ebar, g, psiPrev]) old.dispose();
    ({ epsV, epsA, ebar, g } = next);
    psiPrev = next.psi;
    zPrev = zs[t];
  }
  for (
    const tensor of [
      beta,
      epsV,
      epsA,
      ebar,
      psiPrev,
      ...xs,
      ...zs,
      ...psis,
      ...(lf ?? []),
      ...(lu ?? []),
    ]
  ) {
    tensor.dispose();
  }
  return g as tf.Tensor2D;
}

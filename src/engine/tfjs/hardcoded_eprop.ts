/**
 * Hard-coded e-prop in TensorFlow.js ops with per-synapse eligibility traces (EPROP.md 3.1 and
 * section 4), the "online" form: the traces of one population are updated step by step and
 * multiplied by the learning signal,
 *
 *   g_ji = sum_{b,t} L_j(t) e_ji(t).
 *
 * The factorized form of the same sum ({@linkcode traceGradientFactorized} in network_graph.ts)
 * keeps no per-synapse state; this one is its reference and the form a streaming learner uses.
 *
 * @module
 */
import { tf } from "./tf.ts";
import type { PopulationConstants } from "../../net/network.ts";

/** Inputs of {@linkcode traceGradient}. */
export interface TraceGradientInputs {
  /** Inputs [T, B, nIn] (the population's own time). */
  x: tf.Tensor3D;
  /** Spikes [T, B, n] of the forward pass (own time; z(t-1) is the recurrent presynaptic value). */
  z: tf.Tensor3D;
  /** Pseudo-derivatives [T, B, n] (0 while refractory and past a sequence's length). */
  psi: tf.Tensor3D;
  /** Adaptation strengths [n]. */
  beta: tf.Tensor1D;
  /**
   * The learning signal [T, B, n] (or [T, 1, n]) on the unfiltered traces e(t): readout signals
   * already through the adjoint of the readout filter, the regularizer, or the true dE/dz of
   * eq. (1).
   */
  unfiltered: tf.Tensor3D;
}

/**
 * Accumulates the trace gradient with per-synapse traces eps_v, eps_a and e = psi (eps_v -
 * beta eps_a).
 *
 * @param k The population's constants (alpha, rho, s).
 * @param inputs Records and the learning signal.
 * @returns The gradient [nIn + n, n]: rows 0..nIn-1 for w_in, the rest for w_rec (the diagonal is
 *   not yet zeroed). The caller owns the tensor.
 */
export function traceGradient(
  k: Pick<PopulationConstants, "alpha" | "rho" | "s">,
  inputs: TraceGradientInputs,
): tf.Tensor2D {
  const [T, B, nIn] = inputs.x.shape;
  const n = inputs.z.shape[2];
  const nPre = nIn + n;
  const xs = tf.unstack(inputs.x);
  const zs = tf.unstack(inputs.z);
  const psis = tf.unstack(inputs.psi);
  const ls = tf.unstack(inputs.unfiltered);
  const beta = inputs.beta.reshape([1, 1, n]);
  let epsV: tf.Tensor = tf.zeros([B, nPre, 1]);
  let epsA: tf.Tensor = tf.zeros([B, nPre, n]);
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
      const dg = tf.sum(tf.mul(ls[t].reshape([-1, 1, n]), e), 0);
      return { epsV: v1, epsA: a1, g: tf.add(g, dg), psi };
    });
    for (const old of [epsV, epsA, g, psiPrev]) old.dispose();
    ({ epsV, epsA, g } = next);
    psiPrev = next.psi;
    zPrev = zs[t];
  }
  for (const tensor of [beta, epsV, epsA, psiPrev, ...xs, ...zs, ...psis, ...ls]) {
    tensor.dispose();
  }
  return g as tf.Tensor2D;
}

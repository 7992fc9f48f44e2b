/**
 * The objective in TensorFlow.js ops: readout loss of y [T, B, nOut] and the simple firing-rate
 * regularizer of z [T, B, n], with the same definitions (and averaging) as src/grad/.
 *
 * @module
 */
import { tf } from "./tf.ts";
import type { Batch, ResolvedObjective } from "../../model/objective.ts";
import { ceWeights } from "../../grad/readout_error.ts";

/** Constant tensors of a batch's targets, reused across graph runs. */
export interface ObjectiveTensors {
  /** MSE: targets [T, B, nOut]. */
  targets?: tf.Tensor3D;
  /** CE: one-hot labels [T, B, nOut]. */
  onehot?: tf.Tensor3D;
  /** CE: averaging weights [T, B]. */
  weights?: tf.Tensor2D;
}

/**
 * Builds the constant tensors of an objective (caller disposes them, or runs inside tf.tidy).
 * @param objective The resolved objective.
 * @param context The batch and the number of outputs.
 * @returns The tensors.
 */
export function objectiveTensors(
  objective: ResolvedObjective,
  context: { batch: Batch; nOut: number },
): ObjectiveTensors {
  const { batch, nOut } = context;
  const { batchSize: B, steps: T } = batch;
  if (objective.loss.type === "mse") {
    const src = batch.targets!;
    const tm = new Float32Array(T * B * nOut);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        for (let k = 0; k < nOut; k++) tm[(t * B + b) * nOut + k] = src[(b * T + t) * nOut + k];
      }
    }
    return { targets: tf.tensor3d(tm, [T, B, nOut]) };
  }
  const labels = batch.labels!;
  const onehot = new Float32Array(T * B * nOut);
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      const label = labels.length === B ? labels[b] : labels[b * T + t];
      onehot[(t * B + b) * nOut + label] = 1;
    }
  }
  return {
    onehot: tf.tensor3d(onehot, [T, B, nOut]),
    weights: tf.tensor2d(Float32Array.from(ceWeights(objective.loss.window, batch)), [T, B]),
  };
}

/**
 * @param objective The resolved objective.
 * @param c Its constant tensors.
 * @param y Readout [T, B, nOut].
 * @returns The readout loss (MSE: 0.5 sum (y - y*)^2; CE: weighted softmax cross-entropy).
 */
export function readoutLossGraph(
  objective: ResolvedObjective,
  c: ObjectiveTensors,
  y: tf.Tensor,
): tf.Scalar {
  if (objective.loss.type === "mse") return tf.mul(0.5, tf.sum(tf.square(tf.sub(y, c.targets!))));
  const picked = tf.sum(tf.mul(tf.logSoftmax(y), c.onehot!), -1);
  return tf.neg(tf.sum(tf.mul(c.weights!, picked)));
}

/**
 * The simple regularizer c sum_j (fbar_j - f)^2, fbar_j = mean_{t,b} z_j / dt.
 * @param reg Strength and target.
 * @param z Spikes [T, B, n].
 * @param dt Time step (ms).
 * @returns The regularizer's loss.
 */
export function simpleRegularizerGraph(
  reg: { c: number; fTarget: number },
  z: tf.Tensor,
  dt: number,
): tf.Scalar {
  const fbar = tf.div(tf.mean(z, [0, 1]), dt);
  return tf.mul(reg.c, tf.sum(tf.square(tf.sub(fbar, reg.fTarget))));
}

/**
 * Loss values and their derivatives dE/dy on the readout (EPROP.md section 2), one step at a
 * time so that the same code serves whole sequences and online streams. Backends keep y and
 * dE/dy time-major ([T][B][nOut]); a step works on its [B][nOut] slice.
 *
 * @module
 */
import type { Batch, ResolvedObjective } from "../model/objective.ts";

/** A float array of either precision. */
export type FloatArray = Float32Array | Float64Array;

/**
 * The readout loss of one batch. For CE the averaging factor of every active step
 * (1 / (B * window), or 1 / sum(mask)) is folded into dE/dy, as autodiff would.
 */
export class ReadoutError {
  readonly #loss: ResolvedObjective["loss"];
  readonly #batch: Batch;
  readonly #nOut: number;
  readonly #weight: Float64Array | undefined;

  /**
   * Prepares the loss of one batch.
   *
   * @param objective A resolved objective (validated against the batch).
   * @param data The batch whose targets or labels are used, and the number of readout units.
   */
  constructor(objective: ResolvedObjective, data: { batch: Batch; nOut: number }) {
    const { batch, nOut } = data;
    this.#loss = objective.loss;
    this.#batch = batch;
    this.#nOut = nOut;
    if (objective.loss.type === "ce") this.#weight = ceWeights(objective.loss.window, batch);
  }

  /**
   * Writes dE/dy of step t and returns that step's contribution to the loss.
   * @param t Step index.
   * @param io `y`: the readout of step t, [B][nOut]; `dEdy`: where its derivative goes, [B][nOut].
   * @returns The loss contribution of step t.
   */
  step(t: number, io: { y: FloatArray; dEdy: FloatArray }): number {
    const { y, dEdy } = io;
    const { batchSize: B, steps: T } = this.#batch;
    const nOut = this.#nOut;
    let loss = 0;
    if (this.#loss.type === "mse") {
      const targets = this.#batch.targets!;
      for (let b = 0; b < B; b++) {
        const tgt = (b * T + t) * nOut;
        for (let k = 0; k < nOut; k++) {
          const d = y[b * nOut + k] - targets[tgt + k];
          dEdy[b * nOut + k] = d;
          loss += 0.5 * d * d;
        }
      }
      return loss;
    }
    const labels = this.#batch.labels!;
    const weight = this.#weight!;
    for (let b = 0; b < B; b++) {
      const w = weight[t * B + b];
      const base = b * nOut;
      if (w === 0) {
        for (let k = 0; k < nOut; k++) dEdy[base + k] = 0;
        continue;
      }
      const label = labels.length === B ? labels[b] : labels[b * T + t];
      loss += weightedCrossEntropy(y, dEdy, { base, nOut, label, weight: w });
    }
    return loss;
  }
}

/**
 * Averaging weight of every step of every trial in the cross-entropy, time-major [T][B]:
 * 1 / (B * window) on the final window, or mask / sum(mask).
 *
 * @param window Number of final active steps (ignored when the batch has a mask).
 * @param batch The batch.
 * @returns The weights.
 */
export function ceWeights(window: number, batch: Batch): Float64Array {
  const { batchSize: B, steps: T, mask } = batch;
  const w = new Float64Array(T * B);
  if (mask) {
    let total = 0;
    for (let i = 0; i < mask.length; i++) total += mask[i];
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) w[t * B + b] = mask[b * T + t] / total;
    }
  } else {
    for (let t = T - window; t < T; t++) w.fill(1 / (B * window), t * B, (t + 1) * B);
  }
  return w;
}

/**
 * Softmax cross-entropy of one output vector y[base .. base+nOut) against a label, times a
 * weight (the loss's averaging factor); writes its gradient w (softmax(y) - onehot) to dEdy.
 *
 * @param y Outputs.
 * @param dEdy Written at the same positions.
 * @param at Offset, size, label and weight.
 * @returns w * CE.
 */
export function weightedCrossEntropy(
  y: FloatArray,
  dEdy: FloatArray,
  at: { base: number; nOut: number; label: number; weight: number },
): number {
  const { base, nOut, label, weight: w } = at;
  let max = -Infinity;
  for (let k = 0; k < nOut; k++) max = Math.max(max, y[base + k]);
  let sum = 0;
  for (let k = 0; k < nOut; k++) sum += Math.exp(y[base + k] - max);
  const logZ = max + Math.log(sum);
  for (let k = 0; k < nOut; k++) {
    dEdy[base + k] = w * (Math.exp(y[base + k] - logZ) - (k === label ? 1 : 0));
  }
  return w * (logZ - y[base + label]);
}

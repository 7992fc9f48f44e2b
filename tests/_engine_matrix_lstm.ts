/**
 * The LSTM problem shared by the engine matrix (padding, f32 against f64) and the LSTM's
 * reference suite (tests/lstm_test.ts): a small bidirectional LSTM with weights strong enough
 * that every gate works away from its linear range, sequences of different lengths and frame
 * labels.
 *
 * @module
 */
import { initLstmParams, type LstmSpec } from "../src/net/lstm_spec.ts";
import { type NetworkParams, paramLeaves } from "../src/net/params.ts";
import type { SequenceBatch } from "../src/net/batch.ts";
import type { NetworkObjective } from "../src/net/objective.ts";
import { Rng } from "../src/util/rng.ts";

/** 3 inputs, 4 cells each way, 5 classes. */
export const LSTM_SPEC: LstmSpec = { nIn: 3, nHidden: 4, nOut: 5, bidirectional: true };

/** An LSTM problem. */
export interface LstmProblem {
  /** Parameters. */
  params: NetworkParams;
  /** 3 sequences of 7 frames, lengths 7, 4 and 6. */
  batch: SequenceBatch;
  /** Frame-wise cross-entropy. */
  objective: NetworkObjective;
  /** The frame labels, [B][F]. */
  labels: Int32Array;
  /** The generator, drawn on after the problem. */
  rng: Rng;
}

/**
 * @param seed Selects everything.
 * @returns The problem; the same seed gives the same problem.
 */
export function lstmProblem(seed: number): LstmProblem {
  const rng = new Rng(seed);
  const params = initLstmParams(LSTM_SPEC, rng);
  // Larger weights than the initialisation, so that every gate works away from its linear range.
  for (const leaf of paramLeaves(params)) {
    for (let k = 0; k < leaf.data.length; k++) leaf.data[k] += 0.8 * rng.normal();
  }
  const B = 3, F = 7;
  const lengths = Int32Array.from([7, 4, 6]);
  const inputs = new Float64Array(B * F * LSTM_SPEC.nIn);
  for (let i = 0; i < inputs.length; i++) inputs[i] = rng.normal();
  const labels = new Int32Array(B * F);
  for (let i = 0; i < labels.length; i++) labels[i] = rng.int(LSTM_SPEC.nOut);
  const batch: SequenceBatch = { batchSize: B, frames: F, inputs, lengths };
  const objective: NetworkObjective = { losses: [{ type: "ce_frames", labels }] };
  return { params, batch, objective, labels, rng };
}

/**
 * The evidence-accumulation task of Fig. 3 (EPROP.md section 7). 40 input channels in 4 groups of
 * 10: left cue, right cue, recall, background noise. Seven cues of 100 ms, cue k in
 * [50 + 150k, 150 + 150k) ms, each on the left or the right; a delay until the recall cue, which
 * fills the last 150 ms; T = 2250 ms. Cue channels fire at 40 Hz while their cue is on, recall
 * channels at 40 Hz during recall, noise channels at 10 Hz throughout. Per trial one side has cue
 * probability 0.7 and the other 0.3 (which one is random); the label is the side with more cues.
 *
 * @module
 */
import type { Batch } from "../model/objective.ts";
import type { Rng } from "../util/rng.ts";
import { checkNumber } from "../util/errors.ts";
import { bernoulliSpikes } from "./spike_trains.ts";

/** Timing and rates of the task (defaults: the paper's). */
export interface EvidenceTaskOptions {
  /** Number of cues (default 7, odd so there is a majority). */
  nCues?: number;
  /** Cue duration in ms (default 100). */
  cueMs?: number;
  /** Gap before each cue in ms (default 50). */
  gapMs?: number;
  /** Delay between the last cue's end and the recall cue in ms (default 1050). */
  delayMs?: number;
  /** Recall duration in ms (default 150). */
  recallMs?: number;
  /** Rate of cue and recall channels in Hz (default 40). */
  cueRateHz?: number;
  /** Rate of the noise channels in Hz (default 10). */
  noiseRateHz?: number;
  /** Channels per group (default 10, so 40 inputs). */
  channelsPerGroup?: number;
  /** Probability of the likelier side (default 0.7; the other side gets 1 - p). */
  likelySideProbability?: number;
  /** Time step in ms (default 1). */
  dtMs?: number;
}

/** A batch of the task with its cue sequence. */
export interface EvidenceBatch extends Batch {
  /** One label per trial: 0 left, 1 right. */
  labels: Int32Array;
  /** Cue sides [B][nCues]: 0 left, 1 right. */
  cues: Int8Array;
  /** The loss window: the recall period, in steps. */
  recallSteps: number;
}

function resolve(o: EvidenceTaskOptions) {
  const a = "generate evidence-accumulation batch";
  const nCues = checkNumber(a, "nCues", o.nCues ?? 7, { min: 1, integer: true });
  if (nCues % 2 === 0) throw new RangeError(`Cannot ${a}: nCues must be odd, got ${nCues}`);
  return {
    nCues,
    cueMs: checkNumber(a, "cueMs", o.cueMs ?? 100, { min: 0, exclusiveMin: true }),
    gapMs: checkNumber(a, "gapMs", o.gapMs ?? 50, { min: 0 }),
    delayMs: checkNumber(a, "delayMs", o.delayMs ?? 1050, { min: 0 }),
    recallMs: checkNumber(a, "recallMs", o.recallMs ?? 150, { min: 0, exclusiveMin: true }),
    cueRateHz: checkNumber(a, "cueRateHz", o.cueRateHz ?? 40, { min: 0 }),
    noiseRateHz: checkNumber(a, "noiseRateHz", o.noiseRateHz ?? 10, { min: 0 }),
    channelsPerGroup: checkNumber(a, "channelsPerGroup", o.channelsPerGroup ?? 10, {
      min: 1,
      integer: true,
    }),
    likely: checkNumber(a, "likelySideProbability", o.likelySideProbability ?? 0.7, {
      min: 0,
      max: 1,
    }),
    dtMs: checkNumber(a, "dtMs", o.dtMs ?? 1, { min: 0, exclusiveMin: true }),
  };
}

/**
 * The length of a trial in steps (2250 with the defaults).
 * @param options Task options.
 * @returns T.
 */
export function evidenceTaskSteps(options: EvidenceTaskOptions = {}): number {
  const o = resolve(options);
  const ms = o.nCues * (o.gapMs + o.cueMs) + o.delayMs + o.recallMs;
  return Math.round(ms / o.dtMs);
}

/**
 * Draws a batch of trials.
 * @param rng Random source.
 * @param batchSize Number of trials.
 * @param options Task options.
 * @returns Inputs [B][T][4 * channelsPerGroup], labels, cues and the recall window.
 *
 * @example
 * ```ts
 * import { evidenceAccumulationBatch } from "./evidence_accumulation.ts";
 * import { Rng } from "../util/rng.ts";
 * import assert from "node:assert/strict";
 * const batch = evidenceAccumulationBatch(new Rng(1), 2);
 * assert.equal(batch.steps, 2250);
 * assert.equal(batch.inputs.length, 2 * 2250 * 40);
 * ```
 */
export function evidenceAccumulationBatch(
  rng: Rng,
  batchSize: number,
  options: EvidenceTaskOptions & { into?: Float32Array | Float64Array } = {},
): EvidenceBatch {
  checkNumber("generate evidence-accumulation batch", "batchSize", batchSize, {
    min: 1,
    integer: true,
  });
  const o = resolve(options);
  const T = evidenceTaskSteps(options);
  const C = o.channelsPerGroup;
  const nIn = 4 * C;
  const steps = (ms: number) => Math.round(ms / o.dtMs);
  const pCue = o.cueRateHz / 1000 * o.dtMs;
  const pNoise = o.noiseRateHz / 1000 * o.dtMs;
  const recallSteps = steps(o.recallMs);
  // A caller that makes many batches passes the previous one's array: refilled in place, since
  // fresh memory is slow to touch and a batch is tens of megabytes.
  const size = batchSize * T * nIn;
  const inputs = options.into?.length === size ? options.into.fill(0) : new Float64Array(size);
  const labels = new Int32Array(batchSize);
  const cues = new Int8Array(batchSize * o.nCues);
  for (let b = 0; b < batchSize; b++) {
    const pRight = rng.uniform() < 0.5 ? o.likely : 1 - o.likely;
    let right = 0;
    for (let k = 0; k < o.nCues; k++) {
      const side = rng.uniform() < pRight ? 1 : 0;
      cues[b * o.nCues + k] = side;
      right += side;
    }
    labels[b] = right > o.nCues / 2 ? 1 : 0;
    const set = (i: number) => (t: number) => (inputs[(b * T + t) * nIn + i] = 1);
    for (let i = 3 * C; i < 4 * C; i++) {
      bernoulliSpikes(rng, pNoise, { from: 0, to: T, spike: set(i) });
    }
    for (let i = 2 * C; i < 3 * C; i++) {
      bernoulliSpikes(rng, pCue, { from: T - recallSteps, to: T, spike: set(i) });
    }
    for (let k = 0; k < o.nCues; k++) {
      const from = steps(k * (o.gapMs + o.cueMs) + o.gapMs);
      const to = steps((k + 1) * (o.gapMs + o.cueMs));
      const group = cues[b * o.nCues + k];
      for (let i = group * C; i < (group + 1) * C; i++) {
        bernoulliSpikes(rng, pCue, { from, to, spike: set(i) });
      }
    }
  }
  return { batchSize, steps: T, inputs, labels, cues, recallSteps };
}

/**
 * The network's decisions: argmax over classes of the readout averaged over the last `window` steps.
 * @param y Readout [B][T][nOut], batch-major.
 * @param shape Batch size, steps, outputs and the decision window.
 * @returns One class per trial.
 */
export function decisions(
  y: ArrayLike<number>,
  shape: { batchSize: number; steps: number; nOut: number; window: number },
): Int32Array {
  const { batchSize: B, steps: T, nOut, window } = shape;
  const out = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    let best = -Infinity;
    for (let k = 0; k < nOut; k++) {
      let sum = 0;
      for (let t = T - window; t < T; t++) sum += y[(b * T + t) * nOut + k];
      if (sum > best) {
        best = sum;
        out[b] = k;
      }
    }
  }
  return out;
}

/**
 * The fraction of wrong decisions.
 * @param predicted Decisions.
 * @param labels True labels.
 * @returns The fraction of wrong decisions.
 */
export function errorRate(predicted: Int32Array, labels: Int32Array): number {
  let wrong = 0;
  for (let b = 0; b < labels.length; b++) if (predicted[b] !== labels[b]) wrong++;
  return wrong / labels.length;
}

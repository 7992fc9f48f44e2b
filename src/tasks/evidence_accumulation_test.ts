import assert from "node:assert/strict";
import {
  decisions,
  errorRate,
  evidenceAccumulationBatch,
  evidenceTaskSteps,
} from "./evidence_accumulation.ts";
import { Rng } from "../util/rng.ts";

Deno.test("evidence task: timing of cues and recall, label = majority side", () => {
  const batch = evidenceAccumulationBatch(new Rng(3), 64);
  const T = batch.steps, nIn = 40;
  assert.equal(T, 2250);
  assert.equal(evidenceTaskSteps(), 2250);
  assert.equal(batch.recallSteps, 150);
  for (let b = 0; b < 64; b++) {
    let right = 0;
    for (let k = 0; k < 7; k++) right += batch.cues[b * 7 + k];
    assert.equal(batch.labels[b], right > 3.5 ? 1 : 0);
    for (let t = 0; t < T; t++) {
      const slot = Math.floor(t / 150);
      const inCue = slot < 7 && t % 150 >= 50;
      const side = inCue ? batch.cues[b * 7 + slot] : -1;
      for (let i = 0; i < 30; i++) {
        const group = Math.floor(i / 10);
        const allowed = group === 2 ? t >= T - 150 : group === side;
        if (!allowed) assert.equal(batch.inputs[(b * T + t) * nIn + i], 0, `b${b} t${t} i${i}`);
      }
    }
  }
});

Deno.test("evidence task: firing rates and cue statistics", () => {
  const rng = new Rng(4);
  const B = 400;
  const batch = evidenceAccumulationBatch(rng, B);
  const T = batch.steps, nIn = 40;
  let noise = 0, cue = 0, cueSteps = 0, recall = 0;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const slot = Math.floor(t / 150);
      const inCue = slot < 7 && t % 150 >= 50;
      const side = inCue ? batch.cues[b * 7 + slot] : -1;
      for (let i = 0; i < nIn; i++) {
        const x = batch.inputs[(b * T + t) * nIn + i];
        if (i >= 30) noise += x;
        else if (i >= 20) recall += x;
        else if (Math.floor(i / 10) === side) {
          cue += x;
        }
      }
      if (inCue) cueSteps++;
    }
  }
  const noiseHz = noise / (B * T * 10) * 1000;
  const cueHz = cue / (cueSteps * 10) * 1000;
  const recallHz = recall / (B * 150 * 10) * 1000;
  assert.ok(Math.abs(noiseHz - 10) < 0.3, `noise ${noiseHz} Hz`);
  assert.ok(Math.abs(cueHz - 40) < 1, `cue ${cueHz} Hz`);
  assert.ok(Math.abs(recallHz - 40) < 2, `recall ${recallHz} Hz`);
  // Per trial, the likelier side takes 70% of the cues; labels are balanced.
  let majorityShare = 0, rightLabels = 0;
  for (let b = 0; b < B; b++) {
    let right = 0;
    for (let k = 0; k < 7; k++) right += batch.cues[b * 7 + k];
    majorityShare += Math.max(right, 7 - right) / 7;
    rightLabels += batch.labels[b];
  }
  assert.ok(Math.abs(rightLabels / B - 0.5) < 0.08, `right labels ${rightLabels / B}`);
  // E[max(R, 7-R)/7] for R ~ Binomial(7, 0.7) mixed with 0.3 is about 0.72.
  assert.ok(Math.abs(majorityShare / B - 0.72) < 0.03, `majority share ${majorityShare / B}`);
});

Deno.test("evidence task: decisions average the readout over the window", () => {
  // Two trials, 4 steps, 2 classes: decided by the last 2 steps only.
  const y = Float64Array.of(9, 0, 9, 0, 0, 1, 0, 1, /* trial 2 */ 0, 5, 0, 5, 2, 0, 1, 0);
  const d = decisions(y, { batchSize: 2, steps: 4, nOut: 2, window: 2 });
  assert.deepEqual([...d], [1, 0]);
  assert.equal(errorRate(d, Int32Array.of(1, 1)), 0.5);
});

Deno.test("evidence task rejects an even number of cues", () => {
  assert.throws(() => evidenceAccumulationBatch(new Rng(1), 1, { nCues: 6 }), {
    message: "Cannot generate evidence-accumulation batch: nCues must be odd, got 6",
  });
});

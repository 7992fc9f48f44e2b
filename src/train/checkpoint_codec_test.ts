import assert from "node:assert/strict";
import {
  CHECKPOINT_CODEC,
  decodeCheckpointState,
  encodeCheckpointText,
  savedFloats,
  savedMatrix,
} from "./checkpoint_codec.ts";
import { checkpointFromJson, checkpointToJson } from "./checkpoint.ts";
import { initialTrainingState } from "./trainer.ts";
import { createOptimizer } from "./optimizer.ts";
import { createFeedback } from "../grad/feedback.ts";
import { Rng } from "../util/rng.ts";
import type { Weights } from "../model/weights.ts";

const tricky = [0.1 + 0.2, -5e-324, 1.5e300, -0, 1 / 3];

function weights(): Weights {
  const m = (rows: number, cols: number, k: number) => ({
    rows,
    cols,
    data: Float64Array.from({ length: rows * cols }, (_, i) => tricky[(i + k) % 5] * (i + 1)),
  });
  return { wIn: m(2, 3, 0), wRec: m(3, 3, 1), wOut: m(3, 2, 2), bOut: Float64Array.of(...tricky) };
}

function checkpoint() {
  const optimizer = createOptimizer("adam", { learningRate: 1e-3 });
  const feedback = createFeedback("random", { nRec: 3, nOut: 2, rng: new Rng(3) });
  const state = initialTrainingState(weights(), { train: 1, validation: 2, feedback, optimizer });
  state.train.push({ iteration: 1, loss: NaN, readoutLoss: 1, regularizationLoss: 0, rateHz: 2 });
  return { version: 1 as const, kind: "fig3", flags: { seed: 4 }, history: [], state };
}

Deno.test("checkpoint codec: every float64 (and NaN, -0) reads back bit for bit, as typed arrays", () => {
  const cp = checkpoint();
  const text = checkpointToJson(cp);
  const json = JSON.parse(text);
  assert.equal(json.codec, CHECKPOINT_CODEC);
  assert.equal(typeof json.binary, "string");
  assert.equal(json.state.iteration, 0, "plain fields stay readable JSON");
  const back = checkpointFromJson(text, "memory", "fig3");
  for (const name of ["wIn", "wRec", "wOut"] as const) {
    assert.ok(back.state.weights[name].data instanceof Float64Array);
    assert.deepEqual(
      new Uint8Array(back.state.weights[name].data.buffer),
      new Uint8Array(cp.state.weights[name].data.buffer),
      name,
    );
  }
  assert.ok(Object.is(back.state.weights.bOut![3], -0));
  assert.ok(Number.isNaN(back.state.train[0].loss));
  assert.deepEqual(back.state.feedback, cp.state.feedback);
});

Deno.test("checkpoint codec: text written before the codec (numbers as JSON) still reads", () => {
  const cp = checkpoint();
  const matrix = (m: { rows: number; cols: number; data: Float64Array }) => ({
    ...m,
    data: Array.from(m.data),
  });
  const w = cp.state.weights;
  const legacy = JSON.stringify({
    ...cp,
    state: {
      ...cp.state,
      weights: {
        wIn: matrix(w.wIn),
        wRec: matrix(w.wRec),
        wOut: matrix(w.wOut),
        bOut: Array.from(w.bOut!),
      },
      feedback: matrix(cp.state.feedback!),
    },
  });
  const back = checkpointFromJson(legacy, "old.json", "fig3");
  // (JSON numbers cannot hold -0: the old text has 0 there)
  const plusZero = (a: Float64Array) => a.map((v) => v === 0 ? 0 : v);
  assert.deepEqual(back.state.weights.wRec.data, plusZero(w.wRec.data));
  assert.deepEqual(back.state.feedback, cp.state.feedback);
});

Deno.test("checkpoint codec: a missing or damaged block is refused, naming the file", () => {
  const json = JSON.parse(encodeCheckpointText({ version: 1, flags: {}, state: { a: [1, 2] } }));
  assert.deepEqual(decodeCheckpointState(json, "x").state, { a: [1, 2] });
  const text = checkpointToJson(checkpoint());
  const { binary: _b, ...noBlock } = JSON.parse(text);
  assert.throws(
    () => checkpointFromJson(JSON.stringify(noBlock), "cp.json"),
    /Cannot resume: cp.json has codec "state-codec" with no binary block/,
  );
  const short = { ...JSON.parse(text), binary: btoa("abc") };
  assert.throws(
    () => checkpointFromJson(JSON.stringify(short), "cp.json"),
    /Cannot resume: cp.json: /,
  );
  assert.throws(
    () => checkpointFromJson(JSON.stringify({ ...JSON.parse(text), binary: "%%" }), "cp.json"),
    /"binary" is not base64/,
  );
});

Deno.test("checkpoint codec: saved floats and matrices, from arrays or typed arrays", () => {
  assert.deepEqual(savedFloats([1, 2]), Float64Array.of(1, 2));
  assert.equal(savedFloats([1, "2"]), undefined);
  assert.equal(savedFloats(new Float32Array(2)), undefined);
  assert.deepEqual(savedMatrix({ rows: 1, cols: 2, data: Float64Array.of(3, 4) }), {
    rows: 1,
    cols: 2,
    data: Float64Array.of(3, 4),
  });
  assert.equal(savedMatrix({ rows: 2, cols: 2, data: [1, 2, 3] }), undefined);
  assert.equal(savedMatrix(null), undefined);
});

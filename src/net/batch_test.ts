import assert from "node:assert/strict";
import {
  checkFiniteInputs,
  checkSequenceBatch,
  type SequenceBatch,
  writeTimeMajorInputs,
} from "./batch.ts";

const net = { nIn: 2 };

Deno.test("checkSequenceBatch: returns the lengths, all F when the batch gives none", () => {
  const batch: SequenceBatch = { batchSize: 2, frames: 3, inputs: new Float32Array(12) };
  assert.deepEqual([...checkSequenceBatch(net, batch)], [3, 3]);
  const lengths = Int32Array.of(1, 3);
  assert.equal(checkSequenceBatch(net, { ...batch, lengths }), lengths);
});

Deno.test("checkSequenceBatch: padding may hold anything; valid inputs must be finite unless finite: false", () => {
  const inputs = new Float64Array(12); // [2][3][2]
  inputs[2 * 3 * 1 + 2 * 2 + 1] = NaN; // sequence 1, frame 2: padding for length 2
  const batch: SequenceBatch = { batchSize: 2, frames: 3, inputs, lengths: Int32Array.of(3, 2) };
  checkSequenceBatch(net, batch);
  inputs[2 * 3 * 1 + 2 * 1 + 1] = Infinity; // sequence 1, frame 1, input 1: valid
  assert.throws(() => checkSequenceBatch(net, batch), {
    name: "RangeError",
    message: "Cannot check batch: inputs[1][1][1] must be finite, got Infinity",
  });
  assert.throws(() => checkFiniteInputs(batch, batch.lengths!), /inputs\[1\]\[1\]\[1\]/);
  checkSequenceBatch(net, batch, { finite: false });
});

Deno.test("checkSequenceBatch: bad fields are refused naming them", () => {
  const ok: SequenceBatch = { batchSize: 2, frames: 3, inputs: new Float64Array(12) };
  const cases: [unknown, string, string][] = [
    [null, "TypeError", "Cannot check batch: batch must be an object, got null"],
    [
      { ...ok, batchSize: 0 },
      "RangeError",
      "Cannot check batch: batchSize must be an integer >= 1, got 0",
    ],
    [
      { ...ok, batchSize: 1.5 },
      "RangeError",
      "Cannot check batch: batchSize must be an integer >= 1, got 1.5",
    ],
    [
      { ...ok, frames: 0 },
      "RangeError",
      "Cannot check batch: frames must be an integer >= 1, got 0",
    ],
    [
      { ...ok, inputs: new Float64Array(11) },
      "TypeError",
      "Cannot check batch: inputs must be a Float64Array or Float32Array of shape [2][3][2] (12 values), got a typed array of length 11",
    ],
    [
      { ...ok, inputs: new Array(12).fill(0) },
      "TypeError",
      "Cannot check batch: inputs must be a Float64Array or Float32Array of shape [2][3][2] (12 values), got an array of length 12",
    ],
    [
      { ...ok, lengths: Int32Array.of(3) },
      "TypeError",
      "Cannot check batch: lengths must be an Int32Array of length 2, got a typed array of length 1",
    ],
    [
      { ...ok, lengths: [3, 3] },
      "TypeError",
      "Cannot check batch: lengths must be an Int32Array of length 2, got an array of length 2",
    ],
    [
      { ...ok, lengths: Int32Array.of(3, 0) },
      "RangeError",
      "Cannot check batch: lengths[1] must be in [1, 3], got 0",
    ],
    [
      { ...ok, lengths: Int32Array.of(4, 1) },
      "RangeError",
      "Cannot check batch: lengths[0] must be in [1, 3], got 4",
    ],
  ];
  for (const [batch, name, message] of cases) {
    assert.throws(() => checkSequenceBatch(net, batch as SequenceBatch), { name, message });
  }
});

Deno.test("writeTimeMajorInputs: [B][F][nIn] to [F][B][nIn], zero past each length (naive index loop)", () => {
  const B = 3, F = 4, nIn = 2;
  const inputs = Float64Array.from({ length: B * F * nIn }, (_, i) => i + 1);
  const lengths = Int32Array.of(4, 1, 3);
  const out = new Float32Array(B * F * nIn).fill(-7); // stale values must be overwritten
  writeTimeMajorInputs({ batchSize: B, frames: F, inputs, lengths }, out, lengths);
  for (let f = 0; f < F; f++) {
    for (let b = 0; b < B; b++) {
      for (let k = 0; k < nIn; k++) {
        const want = f < lengths[b] ? (b * F + f) * nIn + k + 1 : 0;
        assert.equal(out[(f * B + b) * nIn + k], want, `f ${f} b ${b} k ${k}`);
      }
    }
  }
});

import assert from "node:assert/strict";
import {
  checkWeights,
  copyWeights,
  glorotUniformMatrix,
  initWeights,
  matrixFromRows,
  matrixToRows,
  normalMatrix,
  type Weights,
  zeroMatrix,
} from "./weights.ts";
import { resolveNetworkConfig } from "./config.ts";
import { Rng } from "../util/rng.ts";

function meanStd(a: ArrayLike<number>): [number, number] {
  let m = 0;
  for (let i = 0; i < a.length; i++) m += a[i];
  m /= a.length;
  let v = 0;
  for (let i = 0; i < a.length; i++) v += (a[i] - m) ** 2;
  return [m, Math.sqrt(v / a.length)];
}

Deno.test("matrices: zeros, rows to row-major data and back", () => {
  assert.deepEqual(zeroMatrix(2, 3), { rows: 2, cols: 3, data: new Float64Array(6) });
  const m = matrixFromRows([[1, 2, 3], [4, 5, -6.5]]);
  assert.deepEqual(m, { rows: 2, cols: 3, data: Float64Array.of(1, 2, 3, 4, 5, -6.5) });
  assert.deepEqual(matrixToRows(m), [[1, 2, 3], [4, 5, -6.5]]);
  assert.deepEqual(matrixToRows(matrixFromRows([[7]])), [[7]]);
});

Deno.test("matrixFromRows: ragged, empty or non-finite rows are refused naming the row", () => {
  assert.throws(() => matrixFromRows([], "wIn"), {
    name: "TypeError",
    message: "Cannot read wIn: expected a non-empty array of rows",
  });
  assert.throws(() => matrixFromRows([1, 2] as unknown as number[][], "wIn"), {
    message: "Cannot read wIn: expected a non-empty array of rows",
  });
  assert.throws(() => matrixFromRows([[1, 2], [3]], "weights.wRec"), {
    name: "TypeError",
    message: "Cannot read matrix: weights.wRec[1] must have length 2, got 1",
  });
  assert.throws(() => matrixFromRows([[1, 2], [3, NaN]]), {
    message: "Cannot read matrix: matrix[1][1] must be a finite number, got NaN",
  });
});

Deno.test("normalMatrix: N(0, scale^2), scale 1/sqrt(rows) by default (sample moments)", () => {
  const m = normalMatrix([400, 100], new Rng(1));
  assert.equal(m.rows, 400);
  assert.equal(m.cols, 100);
  const [mean, std] = meanStd(m.data);
  // 40000 draws: the sample mean is within 4 standard errors, the std within 2%.
  assert.ok(Math.abs(mean) < 4 * (1 / 20) / 200, `mean ${mean}`);
  assert.ok(Math.abs(std / (1 / 20) - 1) < 0.02, `std ${std}`);
  const scaled = normalMatrix([400, 100], new Rng(1), { scale: 3 });
  for (let i = 0; i < m.data.length; i++) {
    assert.ok(Math.abs(scaled.data[i] - m.data[i] * 60) < 1e-12, "same deviates, scaled");
  }
});

Deno.test("glorotUniformMatrix: U(-l, l), l = sqrt(6 / (rows + cols)) (bounds and sample moments)", () => {
  const m = glorotUniformMatrix([300, 200], new Rng(2));
  const limit = Math.sqrt(6 / 500);
  assert.ok(m.data.every((v) => Math.abs(v) <= limit));
  const [mean, std] = meanStd(m.data);
  const sd = limit / Math.sqrt(3); // std of U(-l, l)
  assert.ok(Math.abs(mean) < 4 * sd / Math.sqrt(60000), `mean ${mean}`);
  assert.ok(Math.abs(std / sd - 1) < 0.02, `std ${std}`);
  let max = 0;
  for (const v of m.data) max = Math.max(max, Math.abs(v));
  assert.ok(max > 0.99 * limit, "reaches its limit");
});

Deno.test("initWeights: shapes, zero diagonal, zero bias, the readout initialiser, a seed gives the same weights", () => {
  const cfg = resolveNetworkConfig({
    neuron: { nIn: 50, nRec: 60 },
    readout: { nOut: 40, bias: true },
  });
  const w = initWeights(cfg, new Rng(7));
  assert.deepEqual([w.wIn.rows, w.wIn.cols, w.wRec.rows, w.wRec.cols, w.wOut.rows, w.wOut.cols], [
    50,
    60,
    60,
    60,
    60,
    40,
  ]);
  for (let j = 0; j < 60; j++) assert.equal(w.wRec.data[j * 60 + j], 0);
  assert.deepEqual(w.bOut, new Float64Array(40));
  checkWeights(cfg, w);
  assert.deepEqual(initWeights(cfg, new Rng(7)), w);
  const limit = Math.sqrt(6 / 100);
  assert.ok(w.wOut.data.every((v) => Math.abs(v) <= limit), "glorot by default");
  const normal = initWeights(cfg, new Rng(7), { readout: "normal" });
  assert.ok(normal.wOut.data.some((v) => Math.abs(v) > limit), "normal readout is unbounded");
  const [, std] = meanStd(normal.wOut.data);
  assert.ok(Math.abs(std * Math.sqrt(60) - 1) < 0.05, `wOut std ${std}`);
  const noBias = initWeights(
    resolveNetworkConfig({ neuron: { nIn: 1, nRec: 2 }, readout: { nOut: 1 } }),
    new Rng(1),
  );
  assert.equal(noBias.bOut, undefined);
});

Deno.test("checkWeights: wrong shapes and non-finite values are refused naming the matrix", () => {
  const cfg = resolveNetworkConfig({
    neuron: { nIn: 2, nRec: 3 },
    readout: { nOut: 1, bias: true },
  });
  const good = initWeights(cfg, new Rng(1));
  const cases: [Weights, string][] = [
    [{ ...good, wIn: zeroMatrix(3, 2) }, "Cannot set weights: wIn must be 2x3, got 3x2"],
    [
      { ...good, wRec: undefined as unknown as Weights["wRec"] },
      "Cannot set weights: wRec must be 3x3, got undefined",
    ],
    [{ ...good, wOut: zeroMatrix(3, 2) }, "Cannot set weights: wOut must be 3x1, got 3x2"],
    [
      { ...good, wOut: { rows: 3, cols: 1, data: new Float64Array(2) } },
      "Cannot set weights: wOut must have length 3, got 2",
    ],
    [
      { ...good, wIn: { ...good.wIn, data: Float64Array.of(0, 0, 0, 0, Infinity, 0) } },
      "Cannot set weights: wIn[4] must be a finite number, got Infinity",
    ],
    [
      { ...good, bOut: undefined },
      "Cannot set weights: bOut must be an array of 1 numbers, got undefined",
    ],
    [
      { ...good, bOut: Float64Array.of(NaN) },
      "Cannot set weights: bOut[0] must be a finite number, got NaN",
    ],
  ];
  for (const [w, message] of cases) {
    assert.throws(() => checkWeights(cfg, w), { name: "TypeError", message });
  }
  assert.throws(() => checkWeights(cfg, undefined as unknown as Weights), {
    message: "Cannot set weights: wIn must be 2x3, got undefined",
  });
});

Deno.test("copyWeights: an equal, independent copy", () => {
  const cfg = resolveNetworkConfig({
    neuron: { nIn: 2, nRec: 3 },
    readout: { nOut: 2, bias: true },
  });
  const w = initWeights(cfg, new Rng(4));
  const c = copyWeights(w);
  assert.deepEqual(c, w);
  c.wIn.data[0] += 1;
  c.wRec.data[1] += 1;
  c.wOut.data[0] += 1;
  c.bOut![0] += 1;
  assert.notEqual(w.wIn.data[0], c.wIn.data[0]);
  assert.notEqual(w.wRec.data[1], c.wRec.data[1]);
  assert.notEqual(w.wOut.data[0], c.wOut.data[0]);
  assert.equal(w.bOut![0], 0);
  const noBias = copyWeights({ wIn: w.wIn, wRec: w.wRec, wOut: w.wOut });
  assert.equal("bOut" in noBias, false);
});

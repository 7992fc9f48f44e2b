import assert from "node:assert/strict";
import { ReadoutError } from "./readout_error.ts";
import { resolveNetworkConfig } from "../model/config.ts";
import { type Batch, type Objective, resolveObjective } from "../model/objective.ts";
import { Rng } from "../util/rng.ts";

const config = resolveNetworkConfig({ neuron: { nIn: 1, nRec: 2 }, readout: { nOut: 3 } });

function totalLoss(err: ReadoutError, y: Float64Array, B: number, T: number): number {
  const d = new Float64Array(B * 3);
  let loss = 0;
  for (let t = 0; t < T; t++) {
    loss += err.step(t, { y: y.subarray(t * B * 3, (t + 1) * B * 3), dEdy: d });
  }
  return loss;
}

function checkAgainstFiniteDifferences(
  batch: Batch,
  objective: Objective,
) {
  const { batchSize: B, steps: T } = batch;
  const err = new ReadoutError(resolveObjective(objective, { config, batch }), { batch, nOut: 3 });
  const rng = new Rng(5);
  const y = new Float64Array(T * B * 3).map(() => rng.normal());
  const dEdy = new Float64Array(T * B * 3);
  for (let t = 0; t < T; t++) {
    const range = [t * B * 3, (t + 1) * B * 3] as const;
    err.step(t, { y: y.subarray(...range), dEdy: dEdy.subarray(...range) });
  }
  for (let i = 0; i < y.length; i++) {
    const h = 1e-6;
    const yp = y.slice(), ym = y.slice();
    yp[i] += h;
    ym[i] -= h;
    const fd = (totalLoss(err, yp, B, T) - totalLoss(err, ym, B, T)) / (2 * h);
    assert.ok(Math.abs(fd - dEdy[i]) < 1e-8, `dE/dy[${i}] = ${dEdy[i]}, finite difference ${fd}`);
  }
}

Deno.test("cross-entropy dE/dy carries the window averaging (finite differences)", () => {
  const B = 2, T = 5;
  const batch: Batch = {
    batchSize: B,
    steps: T,
    inputs: new Float64Array(B * T),
    labels: Int32Array.of(2, 0),
  };
  checkAgainstFiniteDifferences(batch, { loss: { type: "ce", window: 3 } });
});

Deno.test("cross-entropy with per-step labels and a mask (finite differences)", () => {
  const B = 2, T = 4;
  const batch: Batch = {
    batchSize: B,
    steps: T,
    inputs: new Float64Array(B * T),
    labels: Int32Array.of(0, 1, 2, 1, 2, 2, 0, 1),
    mask: Float64Array.of(1, 1, 0, 1, 0, 1, 1, 0),
  };
  checkAgainstFiniteDifferences(batch, { loss: { type: "ce" } });
});

Deno.test("mse dE/dy is y - target (finite differences)", () => {
  const B = 2, T = 3;
  const rng = new Rng(3);
  const batch: Batch = {
    batchSize: B,
    steps: T,
    inputs: new Float64Array(B * T),
    targets: new Float64Array(B * T * 3).map(() => rng.normal()),
  };
  checkAgainstFiniteDifferences(batch, { loss: { type: "mse" } });
});

Deno.test("cross-entropy of uniform logits is log(nOut) averaged over the window", () => {
  const B = 2, T = 4;
  const batch: Batch = {
    batchSize: B,
    steps: T,
    inputs: new Float64Array(B * T),
    labels: Int32Array.of(1, 2),
  };
  const err = new ReadoutError(
    resolveObjective({ loss: { type: "ce", window: 2 } }, { config, batch }),
    { batch, nOut: 3 },
  );
  assert.ok(Math.abs(totalLoss(err, new Float64Array(T * B * 3), B, T) - Math.log(3)) < 1e-15);
});

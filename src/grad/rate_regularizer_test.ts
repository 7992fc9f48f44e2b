import assert from "node:assert/strict";
import { RateRegularizer } from "./rate_regularizer.ts";

const cfg = { type: "simple" as const, c: 0.7, fTarget: 0.01, tauMs: 1000 };

Deno.test("simple regularizer signal is dE_reg/dz (finite differences on the spike sums)", () => {
  const sizes = { batchSize: 3, steps: 50, dt: 1 };
  const reg = new RateRegularizer(cfg, { nRec: 4, ...sizes });
  const sums = Float64Array.of(0, 2, 7, 30);
  const signal = new Float64Array(4);
  reg.finish(sums, signal);
  for (let j = 0; j < 4; j++) {
    const h = 1e-4;
    const up = sums.slice(), down = sums.slice();
    up[j] += h;
    down[j] -= h;
    const fd = (reg.loss(up) - reg.loss(down)) / (2 * h);
    assert.ok(Math.abs(fd - signal[j]) < 1e-10, `${fd} vs ${signal[j]}`);
  }
  // fbar of neuron 3 = 30 / (3 * 50) = 0.2 spikes per ms.
  assert.ok(
    Math.abs(reg.loss(Float64Array.of(0, 0, 0, 30)) - 0.7 * (3 * 0.01 ** 2 + 0.19 ** 2)) < 1e-15,
  );
});

Deno.test("online regularizer tracks the running rate and starts at the target", () => {
  const reg = new RateRegularizer({ ...cfg, type: "online", tauMs: 10 }, {
    nRec: 1,
    batchSize: 2,
    steps: 100,
    dt: 1,
  });
  assert.equal(reg.estimate[0], 0.01);
  const out = new Float64Array(1);
  // Both trials spike every step: the estimate approaches 1 spike per ms.
  for (let t = 0; t < 200; t++) reg.step(Float64Array.of(2), out);
  assert.ok(Math.abs(reg.estimate[0] - 1) < 1e-6);
  assert.ok(Math.abs(out[0] - 2 * 0.7 * (reg.estimate[0] - 0.01) / 200) < 1e-15);
});

Deno.test("online regularizer rejects an estimate of the wrong length", () => {
  assert.throws(
    () =>
      new RateRegularizer({ ...cfg, type: "online" }, {
        nRec: 3,
        batchSize: 1,
        steps: 1,
        dt: 1,
        estimate: new Float64Array(2),
      }),
    {
      message: "Cannot regularize: rateEstimate must have length 3, got 2",
    },
  );
});

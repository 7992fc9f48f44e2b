import assert from "node:assert/strict";
import { poissonPattern, sumOfSinesTarget } from "./pattern_generation.ts";
import { Rng } from "../util/rng.ts";

Deno.test("sum-of-sines target starts at 0, peaks at |1|, and repeats every 1000 ms", () => {
  const T = 3000;
  const y = sumOfSinesTarget(new Rng(2), { steps: T, nOut: 2 });
  for (let k = 0; k < 2; k++) {
    assert.equal(y[k], 0);
    let max = 0;
    for (let t = 0; t < T; t++) max = Math.max(max, Math.abs(y[t * 2 + k]));
    assert.ok(Math.abs(max - 1) < 1e-12);
    // Periods 1000, 500, 333 (not exact), 200: nearly periodic with 1000 ms.
    let diff = 0;
    for (let t = 0; t < 1000; t++) {
      diff = Math.max(diff, Math.abs(y[t * 2 + k] - y[(t + 1000) * 2 + k]));
    }
    assert.ok(diff < 0.05, `not periodic: ${diff}`);
  }
});

Deno.test("frozen Poisson pattern has the requested rate and is reproducible", () => {
  const a = poissonPattern(new Rng(5), { steps: 1000, nIn: 100, rateHz: 50 });
  const b = poissonPattern(new Rng(5), { steps: 1000, nIn: 100, rateHz: 50 });
  assert.deepEqual(a, b);
  const rate = a.reduce((s, x) => s + x, 0) / (1000 * 100) * 1000;
  assert.ok(Math.abs(rate - 50) < 1.5, `${rate} Hz`);
});

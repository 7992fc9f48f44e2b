import assert from "node:assert/strict";
import { bernoulliSpikes } from "./spike_trains.ts";
import { Rng } from "../util/rng.ts";

Deno.test("geometric gap sampling gives a Bernoulli(p) process", () => {
  for (const p of [0.01, 0.04, 0.3]) {
    const rng = new Rng(11);
    const n = 400000;
    const hits = new Uint8Array(n);
    bernoulliSpikes(rng, p, { from: 0, to: n, spike: (t) => hits[t]++ });
    const count = hits.reduce((a, h) => a + h, 0);
    assert.ok(hits.every((h) => h <= 1), "a step got two spikes");
    const sd = Math.sqrt(n * p * (1 - p));
    assert.ok(Math.abs(count - n * p) < 4 * sd, `p ${p}: ${count} spikes, expected ${n * p}`);
    // Consecutive-step pairs are independent: P(spike at t and t+1) = p^2.
    let pairs = 0;
    for (let t = 0; t + 1 < n; t++) pairs += hits[t] & hits[t + 1];
    assert.ok(
      Math.abs(pairs / (n - 1) - p * p) < 4 * Math.sqrt(p * p / n) + 1e-6,
      `p ${p}: pairs ${pairs}`,
    );
  }
});

Deno.test("spikes stay inside their range; p = 0 and p = 1 are exact", () => {
  const seen: number[] = [];
  bernoulliSpikes(new Rng(1), 0.2, { from: 50, to: 60, spike: (t) => seen.push(t) });
  assert.ok(seen.every((t) => t >= 50 && t < 60));
  const all: number[] = [];
  bernoulliSpikes(new Rng(1), 1, { from: 3, to: 6, spike: (t) => all.push(t) });
  assert.deepEqual(all, [3, 4, 5]);
  bernoulliSpikes(new Rng(1), 0, { from: 0, to: 100, spike: () => assert.fail("spike at p = 0") });
});

import assert from "node:assert/strict";
import { addSpikeCounts, rateRegularization, type SpikeCounts } from "./regularization.ts";
import { resolveNetwork } from "./network.ts";
import { resolveRegularization } from "../model/objective.ts";
import { Rng } from "../util/rng.ts";

// Two populations (a bidirectional layer of 3) and one of 2 above, dt 2 ms.
const net = resolveNetwork({
  nIn: 2,
  dtMs: 2,
  layers: [{ neuron: { nRec: 3 }, bidirectional: true }, { neuron: { nRec: 2 } }],
  heads: [{ nOut: 1 }],
});
const B = 2, T = 5, dt = 2;

/** Spike counts of random spike trains z in {0, 1/dt}, with the step sums. */
function randomCounts(seed: number, batch = B): SpikeCounts[] {
  const rng = new Rng(seed);
  return net.populations.map((pop) => {
    const n = pop.nRec;
    const stepSums = new Float64Array(T * n);
    for (let t = 0; t < T; t++) {
      for (let j = 0; j < n; j++) {
        for (let b = 0; b < batch; b++) if (rng.uniform() < 0.3) stepSums[t * n + j] += 1 / dt;
      }
    }
    const sums = new Float64Array(n);
    for (let t = 0; t < T; t++) for (let j = 0; j < n; j++) sums[j] += stepSums[t * n + j];
    return { sums, stepSums };
  });
}

/** E_reg of the simple type from total sums (the documented formula, written out). */
function simpleLoss(c: number, f: number, sums: Float64Array[]): number {
  let e = 0;
  for (const s of sums) for (const v of s) e += c * (v / (B * T * dt) - f) ** 2;
  return e;
}

Deno.test("simple type: loss and signal = dE_reg/dz, checked by central differences in the counts", () => {
  const cfg = resolveRegularization({ c: 0.7, fTarget: 0.01 });
  const counts = randomCounts(1);
  const r = rateRegularization(net, cfg, { batchSize: B, steps: T, populations: counts });
  assert.equal(r.estimates, undefined);
  assert.equal(r.signals.length, 3);
  const sums = counts.map((c) => c.sums);
  assert.ok(Math.abs(r.loss - simpleLoss(0.7, 0.01, sums)) < 1e-15);
  // One spike more of neuron j at any (b, t) adds dz to its sum: dE/dz_j = dE/dsum_j.
  const h = 1e-6;
  r.signals.forEach((s, p) => {
    assert.equal(s.stride, 0);
    assert.equal(s.data.length, net.populations[p].nRec);
    for (let j = 0; j < s.data.length; j++) {
      const up = sums.map((x) => x.slice()), down = sums.map((x) => x.slice());
      up[p][j] += h;
      down[p][j] -= h;
      const fd = (simpleLoss(0.7, 0.01, up) - simpleLoss(0.7, 0.01, down)) / (2 * h);
      assert.ok(Math.abs(fd - s.data[j]) < 1e-9 * Math.max(1, Math.abs(fd)), `pop ${p} j ${j}`);
    }
  });
});

Deno.test("online type: the running estimate and its signal at every step (a naive recursion)", () => {
  const cfg = resolveRegularization({ type: "online", c: 0.5, fTarget: 0.02, tauMs: 8 });
  const counts = randomCounts(2);
  // Population 1 carries no estimate (starts from fTarget).
  const carried: (Float64Array | undefined)[] = net.populations.map((p, i) =>
    i === 1 ? undefined : Float64Array.from({ length: p.nRec }, (_, j) => 0.01 * j)
  );
  const estimates = carried.map((e, i) =>
    e ?? new Float64Array(net.populations[i].nRec).fill(0.02)
  );
  const r = rateRegularization(net, cfg, {
    batchSize: B,
    steps: T,
    populations: counts,
    estimates: carried as Float64Array[],
  });
  const lambda = 1 - Math.exp(-dt / 8);
  let loss = 0;
  net.populations.forEach((pop, p) => {
    const n = pop.nRec, est = Float64Array.from(estimates[p]);
    assert.equal(r.signals[p].stride, n);
    for (let t = 0; t < T; t++) {
      for (let j = 0; j < n; j++) {
        est[j] = est[j] + lambda * (counts[p].stepSums![t * n + j] / B / dt - est[j]);
        const want = 2 * 0.5 * (est[j] - 0.02) / (B * T * dt);
        assert.ok(Math.abs(r.signals[p].data[t * n + j] - want) < 1e-15, `pop ${p} t ${t} j ${j}`);
      }
    }
    for (let j = 0; j < n; j++) {
      assert.ok(Math.abs(r.estimates![p][j] - est[j]) < 1e-15);
      loss += 0.5 * (est[j] - 0.02) ** 2;
    }
  });
  assert.ok(Math.abs(r.loss - loss) < 1e-15);
  assert.deepEqual(carried[0], Float64Array.from({ length: 3 }, (_, j) => 0.01 * j), "not changed");
});

Deno.test("a batch split into parts: added counts regularize exactly as the whole", () => {
  const a = randomCounts(3, 1), b = randomCounts(4, 1);
  const whole = addSpikeCounts([a, b]);
  whole.forEach((w, p) => {
    for (let j = 0; j < w.sums.length; j++) assert.equal(w.sums[j], a[p].sums[j] + b[p].sums[j]);
    for (let i = 0; i < w.stepSums!.length; i++) {
      assert.equal(w.stepSums![i], a[p].stepSums![i] + b[p].stepSums![i]);
    }
  });
  const noSteps = addSpikeCounts([[{ sums: Float64Array.of(1, 2) }], [{
    sums: Float64Array.of(3, 4),
  }]]);
  assert.deepEqual(noSteps, [{ sums: Float64Array.of(4, 6) }]);
  const cfg = resolveRegularization({ c: 1, fTarget: 0 });
  const r = rateRegularization(net, cfg, { batchSize: B, steps: T, populations: whole });
  assert.ok(Math.abs(r.loss - simpleLoss(1, 0, whole.map((w) => w.sums))) < 1e-15);
});

Deno.test("rateRegularization: estimates or counts that do not fit are refused", () => {
  const cfg = resolveRegularization({ type: "online", c: 1, fTarget: 0.01 });
  const counts = randomCounts(5);
  assert.throws(
    () =>
      rateRegularization(net, cfg, {
        batchSize: B,
        steps: T,
        populations: counts,
        estimates: [new Float64Array(3)],
      }),
    {
      name: "TypeError",
      message:
        "Cannot compute gradients: rateEstimates must have one entry per population (3), got 1",
    },
  );
  assert.throws(
    () =>
      rateRegularization(net, cfg, {
        batchSize: B,
        steps: T,
        populations: counts.map((c) => ({ sums: c.sums })),
      }),
    { name: "TypeError", message: "Cannot regularize: the online type needs stepSums" },
  );
  assert.throws(
    () =>
      rateRegularization(net, cfg, {
        batchSize: B,
        steps: T,
        populations: counts,
        estimates: [new Float64Array(3), new Float64Array(2), new Float64Array(2)],
      }),
    { name: "TypeError", message: "Cannot regularize: rateEstimate must have length 3, got 2" },
  );
});

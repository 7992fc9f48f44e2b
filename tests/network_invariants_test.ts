/**
 * Invariants of composed networks on the WebAssembly core (f64), over random stacked,
 * bidirectional, frame-pooled networks with varying lengths: eq. (1) equals BPTT and online
 * e-prop equals factorized e-prop to 1e-10; e-prop is not BPTT; padding frames (inputs, labels,
 * targets) change nothing.
 */
import assert from "node:assert/strict";
import { WasmNetwork } from "../src/engine/wasm/wasm_network.ts";
import { type NetworkParams, paramLeaves } from "../src/net/params.ts";
import { normalMatrix } from "../src/model/weights.ts";
import type { NetworkGradientResult } from "../src/engine/network_backend.ts";
import { randomComposed } from "./_random_composed.ts";
import type { LossSpec } from "../src/net/losses.ts";
import { relativeError } from "./_random_network.ts";

const TOL = 1e-10;
const SEEDS = Array.from({ length: 16 }, (_, i) => i);

/** Worst relative error over the leaves of two gradient trees, with the leaf's path. */
function worst(a: NetworkParams, b: NetworkParams, only?: RegExp): [string, number] {
  const lb = paramLeaves(b);
  let out: [string, number] = ["", 0];
  paramLeaves(a).forEach((leaf, i) => {
    if (only && !only.test(leaf.path)) return;
    const err = relativeError(leaf.data, lb[i].data);
    if (err >= out[1]) out = [leaf.path, err];
  });
  return out;
}

for (const seed of SEEDS) {
  const p = randomComposed(seed);
  Deno.test(`wasm-f64 network invariants ${p.name}`, async () => {
    const backend = await WasmNetwork.create(p.net, p.params, { precision: "f64" });
    const bptt = backend.gradients(p.batch, p.objective, { method: "bptt" });
    bptt.rates.forEach((r, i) =>
      assert.ok(r.some((v) => v > 0), `population ${i} never spikes: the test would be empty`)
    );
    const eq1 = backend.gradients(p.batch, p.objective, { method: "eq1" });
    const [path, err] = worst(eq1.grads, bptt.grads, /^layers/);
    assert.ok(err < TOL, `eq1 vs bptt ${path}: ${err}`);
    assert.equal(eq1.loss, bptt.loss);

    const random = p.net.heads.map((h) => normalMatrix([h.nFeat, h.nOut], p.rng));
    for (const feedback of [undefined, random]) {
      const fact = backend.gradients(p.batch, p.objective, { method: "eprop", feedback });
      const online = backend.gradients(p.batch, p.objective, {
        method: "eprop",
        feedback,
        form: "online",
      });
      const [where, e] = worst(online.grads, fact.grads);
      assert.ok(e < TOL, `online vs factorized ${where}: ${e}`);
      assert.equal(online.spikes, fact.spikes);
      // Heads get their exact gradient whatever the feedback.
      const [head, eh] = worst(fact.grads, bptt.grads, /^heads/);
      assert.ok(eh < 1e-14, `e-prop ${head} is not exact: ${eh}`);
    }
    // Layer-local e-prop is not the exact gradient.
    const eprop = backend.gradients(p.batch, p.objective, { method: "eprop" });
    const [, diff] = worst(eprop.grads, bptt.grads, /^layers/);
    assert.ok(diff > 1e-3, `e-prop equals BPTT to ${diff}`);
  });
}

Deno.test("wasm-f64 padding frames hold arbitrary values and change nothing", async () => {
  for (const seed of [0, 3, 5, 10]) {
    const p = randomComposed(seed);
    const backend = await WasmNetwork.create(p.net, p.params, { precision: "f64" });
    const { batchSize: B, frames: F, lengths } = p.batch;
    const nIn = p.net.nIn;
    assert.ok(lengths!.some((l) => l < F), "no padding in this batch");
    const padded = Float64Array.from(p.batch.inputs);
    for (let b = 0; b < B; b++) {
      for (let i = (b * F + lengths![b]) * nIn; i < (b + 1) * F * nIn; i++) {
        padded[i] = [1e6, -3, Number.MAX_VALUE / 1e10][i % 3];
      }
    }
    const losses = (p.objective.losses as LossSpec[]).map((l): LossSpec => {
      if (l.type === "mse") {
        const targets = Float64Array.from(l.targets);
        const nOut = targets.length / (B * F);
        for (let b = 0; b < B; b++) {
          targets.fill(1e9, (b * F + lengths![b]) * nOut, (b + 1) * F * nOut);
        }
        return { ...l, targets };
      }
      if (l.type === "ce_frames") {
        const labels = Int32Array.from(l.labels);
        for (let b = 0; b < B; b++) labels.fill(-7, b * F + lengths![b], (b + 1) * F);
        return { ...l, labels };
      }
      return l;
    });
    const other = { ...p.batch, inputs: padded };
    const objective2 = { ...p.objective, losses };
    for (const method of ["bptt", "eprop", "eq1"] as const) {
      const a: NetworkGradientResult = backend.gradients(p.batch, p.objective, { method });
      const b = backend.gradients(other, objective2, { method });
      assert.equal(b.loss, a.loss);
      assert.equal(b.spikes, a.spikes);
      assert.deepEqual(paramLeaves(b.grads), paramLeaves(a.grads), `${method} changed`);
    }
  }
});

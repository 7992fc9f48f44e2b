/**
 * Gradients split across workers equal the single-worker gradients (to rounding: the parts'
 * products are summed in a different grouping) and are deterministic: random composed networks in
 * f64 (every method and form, both regularizer types, varying lengths, pooled heads, several
 * heads) with 2 and 3 workers, and the Fig. 3 network in f32 within 1e-6.
 */
import assert from "node:assert/strict";
import { ParallelNetwork } from "../src/engine/wasm/parallel_network.ts";
import { ParallelBackend } from "../src/engine/wasm/parallel_backend.ts";
import { WasmNetwork } from "../src/engine/wasm/wasm_network.ts";
import { WasmBackend } from "../src/engine/wasm/wasm_backend.ts";
import { paramLeaves } from "../src/net/params.ts";
import type { NetworkGradientOptions } from "../src/engine/network_backend.ts";
import { resolveNetworkConfig } from "../src/model/config.ts";
import { fig3Network } from "../src/model/presets.ts";
import { initWeights } from "../src/model/weights.ts";
import { evidenceAccumulationBatch } from "../src/tasks/evidence_accumulation.ts";
import { Rng } from "../src/util/rng.ts";
import { randomComposed } from "./_random_composed.ts";
import { relativeError } from "./_random_network.ts";

const METHODS: NetworkGradientOptions[] = [
  { method: "bptt" },
  { method: "eq1" },
  { method: "eprop" },
  { method: "eprop", form: "online" },
];

Deno.test("wasm-f64 gradients on 2 and 3 workers equal one core's on random composed networks", async () => {
  for (const seed of [0, 1, 2, 3, 5, 8]) {
    const p = randomComposed(seed);
    const single = await WasmNetwork.create(p.net, p.params, { precision: "f64" });
    for (const workers of [2, 3]) {
      const parallel = await ParallelNetwork.create(p.net, p.params, { workers, precision: "f64" });
      try {
        for (const options of METHODS) {
          const a = single.gradients(p.batch, p.objective, options);
          const b = await parallel.gradients(p.batch, p.objective, options);
          const what = `seed ${seed}, ${workers} workers, ${options.method} ${options.form ?? ""}`;
          assert.equal(b.spikes, a.spikes, what);
          assert.ok(Math.abs(b.loss - a.loss) <= 1e-12 * Math.abs(a.loss), `${what}: loss`);
          const lb = paramLeaves(b.grads);
          paramLeaves(a.grads).forEach((leaf, i) => {
            const err = relativeError(lb[i].data, leaf.data);
            assert.ok(err < 1e-12, `${what} ${leaf.path}: ${err}`);
          });
          if (a.rateEstimates) {
            a.rateEstimates.forEach((e, i) =>
              assert.ok(relativeError(b.rateEstimates![i], e) < 1e-14)
            );
          }
        }
        const ea = single.evaluate(p.batch, p.objective),
          eb = await parallel.evaluate(p.batch, p.objective);
        assert.ok(Math.abs(eb.loss - ea.loss) <= 1e-12 * Math.abs(ea.loss));
        ea.outputs.forEach((o, h) => assert.ok(relativeError(eb.outputs[h], o) < 1e-14));
      } finally {
        parallel.dispose();
      }
    }
    single.dispose();
  }
});

Deno.test("wasm-f32 Fig. 3 gradients on 2 workers equal one core's within 1e-6 and repeat exactly", async () => {
  const config = resolveNetworkConfig(fig3Network());
  const rng = new Rng(4);
  const weights = initWeights(config, rng);
  const batch = evidenceAccumulationBatch(rng, 8);
  const objective = {
    loss: { type: "ce" as const, window: 150 },
    regularization: { c: 1, fTarget: 0.01 },
  };
  const single = await WasmBackend.create(config, weights, { precision: "f32" });
  const parallel = await ParallelBackend.create(config, weights, { workers: 2, precision: "f32" });
  try {
    for (const method of ["bptt", "eprop", "eq1"] as const) {
      const a = single.gradients(batch, objective, { method });
      const b = await parallel.gradientsAsync(batch, objective, { method });
      const again = await parallel.gradientsAsync(batch, objective, { method });
      assert.equal(b.spikes, a.spikes);
      for (const key of ["wIn", "wRec", "wOut"] as const) {
        const err = relativeError(b.grads[key].data, a.grads[key].data);
        assert.ok(err < 1e-6, `${method} ${key}: ${err}`);
        assert.deepEqual(again.grads[key].data, b.grads[key].data, `${method} ${key} repeats`);
      }
    }
  } finally {
    parallel.dispose();
    single.dispose();
  }
});

Deno.test("workers refuse losses that are not data, naming the head", async () => {
  const p = randomComposed(0);
  const parallel = await ParallelNetwork.create(p.net, p.params, { workers: 2 });
  try {
    const custom = { type: "mine", check() {}, evaluate: () => 0 };
    await assert.rejects(
      parallel.gradients(p.batch, { losses: [custom] }, { method: "bptt" }),
      { message: /losses\[0\] must be given as data/ },
    );
  } finally {
    parallel.dispose();
  }
});

Deno.test("a non-finite input is named by its place in the whole batch, also on workers", async () => {
  const p = randomComposed(1);
  const parallel = await ParallelNetwork.create(p.net, p.params, { workers: 2 });
  try {
    const inputs = Float64Array.from(p.batch.inputs);
    const F = p.batch.frames, nIn = p.net.nIn;
    inputs[(2 * F + 1) * nIn + 1] = NaN; // sequence 2 lies in the second worker's part
    await assert.rejects(
      parallel.gradients({ ...p.batch, inputs }, p.objective, { method: "bptt" }),
      { message: "Cannot check batch: inputs[2][1][1] must be finite, got NaN" },
    );
    // The workers are still usable afterwards.
    const r = await parallel.gradients(p.batch, p.objective, { method: "bptt" });
    assert.ok(Number.isFinite(r.loss));
  } finally {
    parallel.dispose();
  }
});

/**
 * Invariants on random networks (f64): eq. (1) equals BPTT; online e-prop equals factorized
 * e-prop (symmetric and random feedback); e-prop differs from BPTT where it must.
 */
import assert from "node:assert/strict";
import { WasmBackend } from "../src/engine/wasm/wasm_backend.ts";
import { createFeedback } from "../src/grad/feedback.ts";
import { invariantSpecs, randomProblem, relativeError, specName } from "./_random_network.ts";

const TOL = 1e-10;

for (const spec of invariantSpecs()) {
  Deno.test(`wasm-f64 invariants ${specName(spec)}`, async () => {
    const p = randomProblem(spec);
    const backend = await WasmBackend.create(p.config, p.weights, { precision: "f64" });
    const bptt = backend.gradients(p.batch, p.objective, { method: "bptt" });
    assert.ok(bptt.spikes > 10, `too few spikes (${bptt.spikes}) for a meaningful test`);
    const eq1 = backend.gradients(p.batch, p.objective, { method: "eq1" });
    for (const key of ["wIn", "wRec"] as const) {
      const err = relativeError(eq1.grads[key].data, bptt.grads[key].data);
      assert.ok(err < TOL, `eq1 vs bptt ${key}: ${err}`);
    }
    assert.equal(eq1.loss, bptt.loss);

    const fb = createFeedback("random", {
      nRec: p.config.neuron.nRec,
      nOut: p.config.readout.nOut,
      rng: p.rng,
    });
    for (const feedback of [undefined, fb.matrix(p.weights.wOut)]) {
      const fact = backend.gradients(p.batch, p.objective, {
        method: "eprop",
        feedback,
        form: "factorized",
      });
      const online = backend.gradients(p.batch, p.objective, {
        method: "eprop",
        feedback,
        form: "online",
      });
      for (const key of ["wIn", "wRec", "wOut"] as const) {
        const err = relativeError(online.grads[key].data, fact.grads[key].data);
        assert.ok(err < TOL, `online vs factorized ${key}: ${err}`);
      }
      if (fact.grads.bOut) assert.ok(relativeError(online.grads.bOut!, fact.grads.bOut) < TOL);
      assert.ok(Math.abs(online.loss - fact.loss) <= 1e-12 * Math.abs(fact.loss));
      assert.equal(online.spikes, fact.spikes);
      if (p.objective.regularization?.type === "online") {
        assert.ok(relativeError(online.rateEstimate!, fact.rateEstimate!) < 1e-14);
      }
    }
    // w_out gradient is exact for every method.
    const eprop = backend.gradients(p.batch, p.objective, { method: "eprop" });
    assert.ok(relativeError(eprop.grads.wOut.data, bptt.grads.wOut.data) < 1e-14);
  });
}

Deno.test("wasm-f64 symmetric e-prop is not BPTT on recurrent networks", async () => {
  for (const spec of invariantSpecs()) {
    const p = randomProblem(spec);
    const backend = await WasmBackend.create(p.config, p.weights, { precision: "f64" });
    const bptt = backend.gradients(p.batch, p.objective, { method: "bptt" });
    const eprop = backend.gradients(p.batch, p.objective, { method: "eprop" });
    const err = relativeError(eprop.grads.wRec.data, bptt.grads.wRec.data);
    // e-prop drops the recurrent and reset paths: it must differ clearly, never by rounding only.
    assert.ok(err > 1e-3, `${specName(spec)}: e-prop equals BPTT to ${err}`);
  }
});

Deno.test("wasm-f64 online regularizer carries its rate estimate between calls", async () => {
  const p = randomProblem({
    seed: 7,
    mix: "mixed",
    nRef: 2,
    loss: "mse",
    regularization: "online",
  });
  const backend = await WasmBackend.create(p.config, p.weights, { precision: "f64" });
  const first = backend.gradients(p.batch, p.objective, { method: "bptt" });
  const again = backend.gradients(p.batch, p.objective, {
    method: "bptt",
    rateEstimate: first.rateEstimate,
  });
  assert.notDeepEqual(first.rateEstimate, again.rateEstimate);
  const eq1 = backend.gradients(p.batch, p.objective, {
    method: "eq1",
    rateEstimate: first.rateEstimate,
  });
  assert.ok(relativeError(eq1.grads.wRec.data, again.grads.wRec.data) < TOL);
});

Deno.test("wasm-f32 online e-prop equals factorized e-prop within f32 rounding", async () => {
  for (const mix of ["lif-first", "mixed", "alif"] as const) {
    const p = randomProblem({
      seed: 31,
      mix,
      nRef: 2,
      loss: "ce",
      regularization: "simple",
      nRec: 24,
    });
    const backend = await WasmBackend.create(p.config, p.weights, { precision: "f32" });
    const fact = backend.gradients(p.batch, p.objective, { method: "eprop", form: "factorized" });
    const online = backend.gradients(p.batch, p.objective, { method: "eprop", form: "online" });
    assert.equal(online.spikes, fact.spikes);
    for (const key of ["wIn", "wRec", "wOut"] as const) {
      const err = relativeError(online.grads[key].data, fact.grads[key].data);
      assert.ok(err < 1e-4, `${mix} ${key}: ${err}`);
    }
  }
});

/**
 * The public streaming API: `backend.onlineEprop(B)` stepped one input frame at a time gives the
 * same gradient as the whole-sequence computations, and rejects bad frames.
 */
import assert from "node:assert/strict";
import { WasmBackend } from "../src/engine/wasm/wasm_backend.ts";
import { ReadoutError } from "../src/grad/readout_error.ts";
import { resolveObjective } from "../src/model/objective.ts";
import { randomProblem, relativeError } from "./_random_network.ts";

for (const regularization of ["simple", "online"] as const) {
  Deno.test(`wasm-f64 streamed online e-prop equals factorized e-prop (${regularization} regularizer)`, async () => {
    const p = randomProblem({
      seed: 21,
      mix: "lif-first",
      nRef: 2,
      loss: "mse",
      regularization,
      bias: true,
    });
    const backend = await WasmBackend.create(p.config, p.weights, { precision: "f64" });
    const expected = backend.gradients(p.batch, p.objective, {
      method: "eprop",
      form: "factorized",
    });
    const { batchSize: B, steps: T } = p.batch;
    const nIn = p.config.neuron.nIn;
    const learner = backend.onlineEprop(B, {
      regularization: p.objective.regularization,
      steps: T,
    });
    const error = new ReadoutError(
      resolveObjective(p.objective, { config: p.config, batch: p.batch }),
      {
        batch: p.batch,
        nOut: p.config.readout.nOut,
      },
    );
    const frame = new Float64Array(B * nIn);
    for (let t = 0; t < T; t++) {
      for (let b = 0; b < B; b++) {
        frame.set(p.batch.inputs.subarray((b * T + t) * nIn, (b * T + t + 1) * nIn), b * nIn);
      }
      learner.step(frame, (step, io) => error.step(step, io));
    }
    assert.equal(learner.steps, T);
    const state = learner.state();
    assert.equal(state.v.length, B * p.config.neuron.nRec);
    const result = learner.finish();
    assert.equal(result.spikes, expected.spikes);
    assert.ok(
      Math.abs(result.readoutLoss + result.regularizationLoss - expected.loss) <
        1e-12 * expected.loss,
    );
    for (const key of ["wIn", "wRec", "wOut"] as const) {
      assert.ok(relativeError(result.grads[key].data, expected.grads[key].data) < 1e-10, key);
    }
    assert.ok(relativeError(result.grads.bOut!, expected.grads.bOut!) < 1e-10);
  });
}

Deno.test("wasm-f64 streamed online e-prop rejects frames of the wrong size or with NaN", async () => {
  const p = randomProblem({ seed: 22, mix: "mixed", nRef: 0, loss: "mse" });
  const backend = await WasmBackend.create(p.config, p.weights, { precision: "f64" });
  const learner = backend.onlineEprop(2);
  const noop = () => 0;
  assert.throws(() => learner.step(new Float64Array(3), noop), {
    message: "Cannot step online e-prop: x must have length 8, got 3",
  });
  assert.throws(() => learner.step(new Float64Array(8).fill(NaN), noop), {
    message: "Cannot step online e-prop: x[0] must be finite, got NaN",
  });
  assert.throws(() => backend.onlineEprop(2, { regularization: { c: 1, fTarget: 0.01 } }), {
    message: "Cannot create online e-prop: steps must be a finite number, got undefined",
  });
});

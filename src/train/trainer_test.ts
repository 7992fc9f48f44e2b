import assert from "node:assert/strict";
import { DivergenceError, initialTrainingState, train } from "./trainer.ts";
import { createOptimizer } from "./optimizer.ts";
import { WasmBackend } from "../engine/wasm/wasm_backend.ts";
import type { Backend, GradientResult } from "../engine/backend.ts";
import { createFeedback } from "../grad/feedback.ts";
import { resolveNetworkConfig } from "../model/config.ts";
import { initWeights } from "../model/weights.ts";
import { Rng } from "../util/rng.ts";

Deno.test("training stops with a clear error when the gradient stops being finite", async () => {
  const config = resolveNetworkConfig({
    neuron: { nIn: 2, nRec: 3, thr: 0.2 },
    readout: { nOut: 1 },
  });
  const weights = initWeights(config, new Rng(1));
  const real = await WasmBackend.create(config, weights, { precision: "f64" });
  let calls = 0;
  // The real backend, except that its third gradient has a NaN.
  const backend: Backend = Object.assign(Object.create(real), {
    gradients(...args: Parameters<Backend["gradients"]>): GradientResult {
      const r = real.gradients(...args);
      if (++calls === 3) r.grads.wRec.data[1] = NaN;
      return r;
    },
    setWeights: (w: Parameters<Backend["setWeights"]>[0]) => real.setWeights(w),
    config: real.config,
  });
  const feedback = createFeedback("symmetric", { nRec: 3, nOut: 1 });
  const optimizer = createOptimizer("sgd", { learningRate: 0.01 });
  const batch = {
    batchSize: 1,
    steps: 10,
    inputs: new Float64Array(20).fill(1),
    targets: new Float64Array(10),
  };
  const state = initialTrainingState(weights, { train: 1, validation: 2, feedback, optimizer });
  await assert.rejects(
    train(
      {
        backend,
        method: "bptt",
        feedback,
        optimizer,
        iterations: 5,
        printEvery: 0,
        validateEvery: 0,
      },
      { objective: { loss: { type: "mse" } }, trainBatch: () => batch },
      state,
    ),
    (e: Error) =>
      e instanceof DivergenceError &&
      e.message.startsWith("Training diverged at iteration 3: the gradient of wRec is not finite"),
  );
  assert.equal(calls, 3);
});

/**
 * The float64 single-synapse traces (src/grad/eligibility.ts) against the core: eq. (1) summed
 * from the traces and the true learning signals equals the core's eq. (1) gradient entry, and
 * e-prop's entry equals sum L ebar (+ regularizer on e).
 */
import assert from "node:assert/strict";
import { WasmBackend } from "../src/engine/wasm/wasm_backend.ts";
import { eligibilityTraces, type Synapse } from "../src/grad/eligibility.ts";
import { randomProblem } from "./_random_network.ts";

Deno.test("wasm-f64 traces times true learning signals give the eq. (1) gradient entries", async () => {
  const p = randomProblem({
    seed: 41,
    mix: "mixed",
    nRef: 2,
    loss: "ce",
    regularization: "simple",
  });
  const backend = await WasmBackend.create(p.config, p.weights, { precision: "f64" });
  const trajectory = backend.simulate(p.batch);
  const signal = backend.learningSignals(p.batch, p.objective, { kind: "true" });
  const eq1 = backend.gradients(p.batch, p.objective, { method: "eq1" });
  const { nIn, nRec: n } = p.config.neuron;
  const T = p.batch.steps;
  const synapses: Synapse[] = [
    { kind: "in", pre: 0, post: 1 },
    { kind: "in", pre: nIn - 1, post: n - 1 },
    { kind: "rec", pre: 2, post: 3 },
    { kind: "rec", pre: n - 1, post: 0 },
    { kind: "rec", pre: 4, post: 4 },
  ];
  for (const syn of synapses) {
    let sum = 0;
    for (let b = 0; b < p.batch.batchSize; b++) {
      const [tr] = eligibilityTraces(p.config, {
        batch: p.batch,
        trajectory,
        trial: b,
        synapses: [syn],
      });
      for (let t = 0; t < T; t++) sum += signal[(b * T + t) * n + syn.post] * tr.e[t];
    }
    const g = syn.kind === "in" ? eq1.grads.wIn : eq1.grads.wRec;
    const expected = g.data[syn.pre * n + syn.post];
    assert.ok(
      Math.abs(sum - expected) <= 1e-10 * Math.max(1e-12, Math.abs(expected)) + 1e-15,
      `${JSON.stringify(syn)}: ${sum} vs ${expected}`,
    );
  }
});

Deno.test("wasm-f64 feedback learning signals times filtered traces give the e-prop entries", async () => {
  const p = randomProblem({ seed: 42, mix: "alif", nRef: 0, loss: "mse" });
  const backend = await WasmBackend.create(p.config, p.weights, { precision: "f64" });
  const trajectory = backend.simulate(p.batch);
  const signal = backend.learningSignals(p.batch, p.objective, { kind: "feedback" });
  const eprop = backend.gradients(p.batch, p.objective, { method: "eprop" });
  const n = p.config.neuron.nRec;
  const T = p.batch.steps;
  for (
    const syn of [{ kind: "in", pre: 1, post: 2 }, { kind: "rec", pre: 0, post: 5 }] as Synapse[]
  ) {
    let sum = 0;
    for (let b = 0; b < p.batch.batchSize; b++) {
      const [tr] = eligibilityTraces(p.config, {
        batch: p.batch,
        trajectory,
        trial: b,
        synapses: [syn],
      });
      for (let t = 0; t < T; t++) sum += signal[(b * T + t) * n + syn.post] * tr.ebar[t];
    }
    const g = syn.kind === "in" ? eprop.grads.wIn : eprop.grads.wRec;
    assert.ok(
      Math.abs(sum - g.data[syn.pre * n + syn.post]) <=
        1e-10 * Math.abs(g.data[syn.pre * n + syn.post]),
    );
  }
});

Deno.test("eligibility traces reject out-of-range synapses and trials", async () => {
  const p = randomProblem({ seed: 43, mix: "lif", nRef: 0, loss: "mse" });
  const backend = await WasmBackend.create(p.config, p.weights, { precision: "f64" });
  const trajectory = backend.simulate(p.batch);
  assert.throws(
    () =>
      eligibilityTraces(p.config, {
        batch: p.batch,
        trajectory,
        trial: 0,
        synapses: [{ kind: "in", pre: 99, post: 0 }],
      }),
    { message: "Cannot compute traces: synapse in 99->0 is outside 4x9" },
  );
  assert.throws(
    () => eligibilityTraces(p.config, { batch: p.batch, trajectory, trial: 5, synapses: [] }),
    {
      message: "Cannot compute traces: trial must be in [0, 1], got 5",
    },
  );
});

/**
 * The two backends check each other: on every golden case and on random networks, the tfjs
 * gradients (BPTT by autodiff, e-prop by autodiff and hard-coded, eq. 1) agree with the WebAssembly
 * core (f64) within float32 tolerance when the spike counts agree, tfjs hard-coded e-prop equals
 * tfjs autodiff e-prop, and repeated gradient calls leak no tensors. Runs on the tfjs "cpu" and
 * "wasm" backends.
 */
import assert from "node:assert/strict";
import { TfjsBackend } from "../src/engine/tfjs/tfjs_backend.ts";
import { tf, type TfBackendName } from "../src/engine/tfjs/tf.ts";
import { WasmBackend } from "../src/engine/wasm/wasm_backend.ts";
import type { GradientOptions, GradientResult } from "../src/engine/backend.ts";
import { parseGradientCase } from "../src/cases/gradient_case.ts";
import { createFeedback } from "../src/grad/feedback.ts";
import type { ResolvedNetworkConfig } from "../src/model/config.ts";
import type { Weights } from "../src/model/weights.ts";
import type { Batch, Objective } from "../src/model/objective.ts";
import { randomProblem, relativeError, specName } from "./_random_network.ts";
import { Rng } from "../src/util/rng.ts";

const F32 = 1e-4;
const TF_BACKENDS: TfBackendName[] = ["cpu", "wasm"];

interface Problem {
  name: string;
  config: ResolvedNetworkConfig;
  weights: Weights;
  batch: Batch;
  objective: Objective;
}

async function goldenProblems(): Promise<Problem[]> {
  const out: Problem[] = [];
  for (const name of ["lif_mse", "alif_mse", "alif_ce_reg"]) {
    const url = new URL(`./golden/${name}.case.json`, import.meta.url);
    out.push({ name, ...parseGradientCase(JSON.parse(await Deno.readTextFile(url))) });
  }
  return out;
}

function randomProblems(): Problem[] {
  return [
    { seed: 301, mix: "mixed", nRef: 3, loss: "ce", regularization: "simple" },
    { seed: 302, mix: "alif", nRef: 0, loss: "mse", regularization: "online", bias: true },
    { seed: 303, mix: "lif", nRef: 2, loss: "mse", inputScaling: "leaky", filter: "paper" },
    { seed: 304, mix: "lif-first", nRef: 5, loss: "ce", bias: true },
  ].map((spec) => ({ name: specName(spec as never), ...randomProblem(spec as never) }));
}

function assertClose(a: GradientResult, b: GradientResult, what: string, tol = F32) {
  for (const key of ["wIn", "wRec", "wOut"] as const) {
    const err = relativeError(a.grads[key].data, b.grads[key].data);
    assert.ok(err < tol, `${what} ${key}: relative error ${err}`);
  }
  if (b.grads.bOut) assert.ok(relativeError(a.grads.bOut!, b.grads.bOut) < tol, `${what} bOut`);
  assert.ok(Math.abs(a.loss - b.loss) <= tol * Math.max(1, Math.abs(b.loss)), `${what} loss`);
}

for (const tfBackend of TF_BACKENDS) {
  Deno.test(`tfjs-${tfBackend} matches wasm-f64 on golden and random cases`, async () => {
    let compared = 0, skipped = 0;
    const problems = [...await goldenProblems(), ...randomProblems()];
    for (const p of problems) {
      const ref = await WasmBackend.create(p.config, p.weights, { precision: "f64" });
      const tfb = await TfjsBackend.create(p.config, p.weights, { tfBackend });
      const feedback = createFeedback("random", {
        nRec: p.config.neuron.nRec,
        nOut: p.config.readout.nOut,
        rng: new Rng(7),
      }).matrix(p.weights.wOut);
      const runs: [string, GradientOptions, GradientOptions][] = [
        ["bptt", { method: "bptt" }, { method: "bptt" }],
        ["eq1", { method: "eq1" }, { method: "eq1" }],
        ["eprop autodiff", { method: "eprop", implementation: "autodiff" }, { method: "eprop" }],
        ["eprop hardcoded", { method: "eprop" }, { method: "eprop" }],
        ["eprop autodiff, random feedback", {
          method: "eprop",
          implementation: "autodiff",
          feedback,
        }, {
          method: "eprop",
          feedback,
        }],
      ];
      for (const [what, tfOptions, refOptions] of runs) {
        const a = tfb.gradients(p.batch, p.objective, tfOptions);
        const b = ref.gradients(p.batch, p.objective, refOptions);
        if (a.spikes !== b.spikes) { // a potential within float32 rounding of threshold
          skipped++;
          continue;
        }
        assertClose(a, b, `${p.name} ${what}`);
        compared++;
      }
      const auto = tfb.gradients(p.batch, p.objective, {
        method: "eprop",
        implementation: "autodiff",
        feedback,
      });
      const hard = tfb.gradients(p.batch, p.objective, {
        method: "eprop",
        implementation: "hardcoded",
        feedback,
      });
      assertClose(hard, auto, `${p.name} tfjs hardcoded vs autodiff`);
      tfb.dispose();
    }
    // Spike counts differ only by float32 rounding at threshold: rare, never the rule.
    assert.ok(compared >= 0.8 * (compared + skipped), `compared ${compared}, skipped ${skipped}`);
  });

  Deno.test(`tfjs-${tfBackend} repeated gradient calls leave numTensors unchanged`, async () => {
    const p = randomProblems()[0];
    const tfb = await TfjsBackend.create(p.config, p.weights, { tfBackend });
    tfb.gradients(p.batch, p.objective, { method: "bptt" });
    const before = tf.memory().numTensors;
    for (const method of ["bptt", "eprop", "eq1"] as const) {
      for (const implementation of ["autodiff", "hardcoded"] as const) {
        if (method !== "eprop" && implementation === "autodiff") continue;
        tfb.gradients(p.batch, p.objective, { method, implementation });
      }
    }
    tfb.simulate(p.batch);
    assert.equal(tf.memory().numTensors, before);
    tfb.dispose();
    assert.equal(tf.memory().numTensors, before - 5);
  });
}

Deno.test("tfjs simulate matches the wasm core's trajectory", async () => {
  const p = randomProblems()[0];
  const tfb = await TfjsBackend.create(p.config, p.weights, { tfBackend: "cpu" });
  const ref = await WasmBackend.create(p.config, p.weights, { precision: "f64" });
  const a = tfb.simulate(p.batch), b = ref.simulate(p.batch);
  assert.deepEqual(a.z, b.z);
  for (const key of ["v", "thr", "psi", "y"] as const) {
    assert.ok(relativeError(a[key], b[key]) < F32, key);
  }
  tfb.dispose();
});

Deno.test("tfjs rejects a wrong feedback shape and use after dispose", async () => {
  const p = randomProblems()[0];
  const tfb = await TfjsBackend.create(p.config, p.weights, { tfBackend: "cpu" });
  assert.throws(
    () =>
      tfb.gradients(p.batch, p.objective, {
        method: "eprop",
        feedback: { rows: 1, cols: 1, data: new Float64Array(1) },
      }),
    {
      message:
        `Cannot compute gradients: feedback must be ${p.config.neuron.nRec}x${p.config.readout.nOut}, got 1x1`,
    },
  );
  tfb.dispose();
  assert.throws(() => tfb.gradients(p.batch, p.objective, { method: "bptt" }), {
    message: "Cannot use a disposed TfjsBackend",
  });
});

Deno.test("evaluate: forward-only loss equals the gradient call's, on both backends", async () => {
  let compared = 0;
  const problems = randomProblems();
  for (const p of problems) {
    const ref = await WasmBackend.create(p.config, p.weights, { precision: "f64" });
    const tfb = await TfjsBackend.create(p.config, p.weights, { tfBackend: "cpu" });
    const a = ref.evaluate(p.batch, p.objective);
    const g = ref.gradients(p.batch, p.objective, { method: "bptt" });
    assert.equal(a.loss, g.loss);
    assert.equal(a.spikes, g.spikes);
    const meanRate = a.rates.reduce((s, r) => s + r, 0) / a.rates.length;
    assert.ok(
      Math.abs(meanRate - a.spikes / (p.batch.batchSize * p.batch.steps * p.config.neuron.nRec)) <
        1e-15,
    );
    const b = tfb.evaluate(p.batch, p.objective);
    if (b.spikes === a.spikes) { // else a potential within float32 rounding of threshold
      assert.ok(Math.abs(b.loss - a.loss) <= F32 * Math.max(1, a.loss), p.name);
      assert.ok(relativeError(b.y, a.y) < F32, p.name);
      compared++;
    }
    tfb.dispose();
  }
  assert.ok(compared >= problems.length - 1, `only ${compared} of ${problems.length} compared`);
});

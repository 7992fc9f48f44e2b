/**
 * Pins the documented equations of EPROP.md sections 1-2 to the core: a plain scalar float64
 * transcription of the equations, written independently of the kernels, must give the same
 * spikes, voltages, thresholds, pseudo-derivatives and readout as WasmBackend.simulate.
 */
import assert from "node:assert/strict";
import { WasmBackend } from "../src/engine/wasm/wasm_backend.ts";
import { deriveConstants } from "../src/model/constants.ts";
import { randomProblem, relativeError } from "./_random_network.ts";
import type { RandomProblem } from "./_random_network.ts";

function referenceForward(p: RandomProblem) {
  const { config, weights, batch } = p;
  const k = deriveConstants(config);
  const { nIn, nRec: n, beta } = config.neuron;
  const nOut = config.readout.nOut;
  const { batchSize: B, steps: T } = batch;
  const z = new Float64Array(B * T * n), v = new Float64Array(B * T * n);
  const A = new Float64Array(B * T * n), psi = new Float64Array(B * T * n);
  const y = new Float64Array(B * T * nOut);
  for (let b = 0; b < B; b++) {
    const vs = new Float64Array(n), as = new Float64Array(n), rs = new Float64Array(n);
    let zPrev = new Float64Array(n);
    const zbar = new Float64Array(n);
    for (let t = 0; t < T; t++) {
      const zNow = new Float64Array(n);
      for (let j = 0; j < n; j++) {
        as[j] = k.rho * as[j] + zPrev[j];
        let input = 0;
        for (let i = 0; i < nIn; i++) {
          input += weights.wIn.data[i * n + j] * batch.inputs[(b * T + t) * nIn + i];
        }
        for (let i = 0; i < n; i++) if (i !== j) input += weights.wRec.data[i * n + j] * zPrev[i];
        vs[j] = k.alpha * vs[j] + k.s * input - k.thr * zPrev[j];
        const thr = k.thr + beta[j] * as[j];
        const refractory = rs[j] > 0;
        zNow[j] = refractory ? 0 : (vs[j] - thr > 0 ? 1 / k.dt : 0);
        const ps = refractory
          ? 0
          : (k.gamma / k.thr) * Math.max(0, 1 - Math.abs(vs[j] - thr) / k.thr);
        rs[j] = Math.min(Math.max(rs[j] + k.nRef * zNow[j] * k.dt - 1, 0), k.nRef);
        const at = (b * T + t) * n + j;
        z[at] = zNow[j];
        v[at] = vs[j];
        A[at] = thr;
        psi[at] = ps;
        zbar[j] = k.kappa * zbar[j] + k.c * zNow[j];
      }
      for (let o = 0; o < nOut; o++) {
        let acc = weights.bOut ? weights.bOut[o] : 0;
        for (let j = 0; j < n; j++) acc += zbar[j] * weights.wOut.data[j * nOut + o];
        y[(b * T + t) * nOut + o] = acc;
      }
      zPrev = zNow;
    }
  }
  return { z, v, thr: A, psi, y };
}

for (
  const spec of [
    { seed: 1, mix: "mixed", nRef: 3, loss: "mse" },
    { seed: 2, mix: "alif", nRef: 0, loss: "ce", filter: "paper", bias: true },
    { seed: 3, mix: "lif", nRef: 5, loss: "mse", inputScaling: "leaky" },
  ] as const
) {
  Deno.test(`wasm-f64 forward follows EPROP.md section 1 (seed ${spec.seed})`, async () => {
    const p = randomProblem(spec);
    const backend = await WasmBackend.create(p.config, p.weights, { precision: "f64" });
    const sim = backend.simulate(p.batch);
    const ref = referenceForward(p);
    assert.deepEqual(sim.z, ref.z);
    assert.ok(ref.z.some((s) => s > 0));
    for (const key of ["v", "thr", "psi", "y"] as const) {
      assert.ok(relativeError(sim[key], ref[key]) < 1e-12, key);
    }
  });
}

Deno.test("wasm-f64 refractory neurons are silent for nRef - 1 steps after a spike", async () => {
  const p = randomProblem({ seed: 4, mix: "lif", nRef: 4, loss: "mse" });
  const backend = await WasmBackend.create(p.config, p.weights, { precision: "f64" });
  const sim = backend.simulate(p.batch);
  const n = p.config.neuron.nRec;
  const T = p.batch.steps;
  let checked = 0;
  for (let b = 0; b < p.batch.batchSize; b++) {
    for (let j = 0; j < n; j++) {
      for (let t = 0; t < T; t++) {
        if (sim.z[(b * T + t) * n + j] === 0) continue;
        for (let d = 1; d < 4 && t + d < T; d++) {
          assert.equal(sim.z[(b * T + t + d) * n + j], 0);
          assert.equal(sim.psi[(b * T + t + d) * n + j], 0);
          checked++;
        }
      }
    }
  }
  assert.ok(checked > 0);
});

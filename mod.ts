/**
 * eprop: e-prop (eligibility propagation, Bellec et al., Nature Communications 2020) for
 * recurrent spiking networks of LIF and ALIF neurons, with a SIMD WebAssembly core that runs the
 * same in Deno, browsers and edge runtimes.
 *
 * @example Exact and e-prop gradients of a small LSNN
 * ```ts
 * import { createFeedback, initWeights, resolveNetworkConfig, Rng, WasmBackend } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const config = resolveNetworkConfig({
 *   neuron: { nIn: 3, nRec: 8, thr: 0.3, beta: [0, 0, 0, 0, 0.07, 0.07, 0.07, 0.07], nRef: 2 },
 *   readout: { nOut: 2 },
 * });
 * const rng = new Rng(7);
 * const backend = await WasmBackend.create(config, initWeights(config, rng), { precision: "f64" });
 * const steps = 50;
 * const inputs = new Float64Array(steps * 3).map(() => (rng.uniform() < 0.1 ? 1 : 0));
 * const batch = { batchSize: 1, steps, inputs, targets: new Float64Array(steps * 2).fill(0.5) };
 * const objective = { loss: { type: "mse" as const } };
 * const bptt = backend.gradients(batch, objective, { method: "bptt" });
 * const eq1 = backend.gradients(batch, objective, { method: "eq1" });
 * const feedback = createFeedback("random", { nRec: 8, nOut: 2, rng }).matrix(backend.getWeights().wOut);
 * const eprop = backend.gradients(batch, objective, { method: "eprop", feedback });
 * assert.ok(Math.abs(bptt.grads.wIn.data[0] - eq1.grads.wIn.data[0]) < 1e-12);
 * assert.equal(eprop.grads.wIn.rows, 3);
 * ```
 *
 * @module
 */
// The core (WebAssembly backends, composable networks, losses, feedback) and the training API.
export * from "./core.ts";
export * from "./train.ts";
export {
  type GradientCase,
  type GradientCaseResult,
  parseGradientCase,
  runGradientCase,
} from "./src/cases/gradient_case.ts";
export {
  isNetworkCase,
  type LayerGradientRows,
  type NetworkCase,
  type NetworkCaseResult,
  parseNetworkCase,
  type PopulationGradientRows,
  type Rows,
  runNetworkCase,
} from "./src/cases/network_case.ts";
export {
  activeSynapses,
  eligibilityTraces,
  type Synapse,
  type SynapseTraces,
} from "./src/grad/eligibility.ts";

/**
 * The TensorFlow.js backend of eprop: the autodiff reference for the WebAssembly core and the GPU
 * path (webgl/webgpu in a browser). Kept out of `mod.ts` so that users of the core alone do not
 * load TensorFlow.js.
 *
 * @example Autodiff e-prop equals hard-coded e-prop
 * ```ts
 * import { initWeights, resolveNetworkConfig, Rng } from "./mod.ts";
 * import { TfjsBackend } from "./tfjs.ts";
 * import assert from "node:assert/strict";
 *
 * const config = resolveNetworkConfig({ neuron: { nIn: 2, nRec: 4, thr: 0.3, beta: 0.05 }, readout: { nOut: 1 } });
 * const rng = new Rng(3);
 * const backend = await TfjsBackend.create(config, initWeights(config, rng), { tfBackend: "cpu" });
 * const inputs = new Float64Array(30 * 2).map(() => (rng.uniform() < 0.3 ? 1 : 0));
 * const batch = { batchSize: 1, steps: 30, inputs, targets: new Float64Array(30).fill(1) };
 * const objective = { loss: { type: "mse" as const } };
 * const auto = backend.gradients(batch, objective, { method: "eprop", implementation: "autodiff" });
 * const hard = backend.gradients(batch, objective, { method: "eprop", implementation: "hardcoded" });
 * assert.ok(Math.abs(auto.grads.wIn.data[0] - hard.grads.wIn.data[0]) < 1e-4);
 * backend.dispose();
 * ```
 *
 * @module
 */
export { TfjsBackend, type TfjsBackendOptions } from "./src/engine/tfjs/tfjs_backend.ts";
export { TF_BACKENDS, type TfBackendName, useTfBackend } from "./src/engine/tfjs/tf.ts";
export { TfjsNetwork, type TfjsNetworkOptions } from "./src/engine/tfjs/tfjs_network.ts";
export {
  type SpikingConvGraphGradientOptions,
  spikingConvGraphGradients,
} from "./src/engine/tfjs/spiking_conv_graph.ts";
export type {
  ConvLayerShape,
  ResolvedSpikingConvSpec,
  SpikingConvLayerSpec,
  SpikingConvState,
} from "./src/net/spiking_conv_spec.ts";

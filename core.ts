/**
 * The WebAssembly core and the networks it computes, without training loops, tasks, figures or
 * TensorFlow.js: model and network configs, weights and parameters, losses and regularizers,
 * feedback matrices, and the backends (`WasmBackend`, `WasmNetwork`, their worker-parallel forms,
 * `OnlineEprop`). Runs unchanged in Deno, browsers and edge workers (no Deno API, no npm
 * package); where compiling WebAssembly from bytes is forbidden, pass a precompiled
 * `WebAssembly.Module` of `core-wasm/generated/core.wasm` as the backends' `module`.
 *
 * @example Gradients of a small composed network
 * ```ts
 * import { initNetworkParams, resolveNetwork, Rng, WasmNetwork } from "./core.ts";
 * import assert from "node:assert/strict";
 *
 * const net = resolveNetwork({
 *   nIn: 2,
 *   layers: [{ neuron: { nRec: 4, thr: 0.2 } }],
 *   heads: [{ nOut: 2, pool: "frame_mean" }],
 * });
 * const rng = new Rng(5);
 * const network = await WasmNetwork.create(net, initNetworkParams(net, rng), { precision: "f64" });
 * const batch = {
 *   batchSize: 1,
 *   frames: 6,
 *   lengths: Int32Array.of(6),
 *   inputs: new Float64Array(12).map(() => rng.normal()),
 * };
 * const objective = { losses: [{ type: "ce_frames" as const, labels: new Int32Array(6) }] };
 * const bptt = network.gradients(batch, objective, { method: "bptt" });
 * assert.equal(bptt.grads.layers[0].forward.wRec.rows, 4);
 * network.dispose();
 * ```
 *
 * @module
 */
export type {
  InputScaling,
  NetworkConfig,
  NeuronParams,
  PopulationNeuronParams,
  ReadoutFilter,
  ReadoutParams,
  ResolvedNetworkConfig,
} from "./src/model/config.ts";
export { resolveNetworkConfig } from "./src/model/config.ts";
export { adaptationBeta, deriveConstants, type ModelConstants } from "./src/model/constants.ts";
export {
  checkWeights,
  copyWeights,
  glorotUniformMatrix,
  initWeights,
  type Matrix,
  matrixFromRows,
  matrixToRows,
  normalMatrix,
  type ReadoutInit,
  type Weights,
  zeroMatrix,
} from "./src/model/weights.ts";
export type {
  Batch,
  CrossEntropyLoss,
  LossConfig,
  MseLoss,
  Objective,
  RegularizationConfig,
  ResolvedObjective,
} from "./src/model/objective.ts";
export { checkBatch, resolveObjective, resolveRegularization } from "./src/model/objective.ts";
export { ceWeights, type FloatArray, ReadoutError } from "./src/grad/readout_error.ts";
export { RateRegularizer } from "./src/grad/rate_regularizer.ts";
export {
  checkFeedbackMatrix,
  createFeedback,
  type Feedback,
  type FeedbackKind,
  type FeedbackOptions,
} from "./src/grad/feedback.ts";
export type * from "./src/engine/backend.ts";
export { WasmBackend, type WasmBackendOptions } from "./src/engine/wasm/wasm_backend.ts";
export {
  OnlineEprop,
  type OnlineEpropResult,
  type StepError,
} from "./src/engine/wasm/online_eprop.ts";
export { initWasm, simdSupported, type WasmSource } from "./src/engine/wasm/module.ts";
export { Rng, type RngState } from "./src/util/rng.ts";
export {
  checkLayerKinds,
  type ConvLayerSpec,
  type HeadPool,
  headReads,
  type HeadSource,
  type HeadSpec,
  LAYER_KINDS,
  type LayerKind,
  layerKind,
  type LayerNeuronSpec,
  type LayerSpec,
  type LayerUnit,
  layerUnits,
  type LsnnLayerSpec,
  type LstmLayerSpec,
  type NetworkSpec,
  type Population,
  type PopulationConstants,
  type ResolvedHead,
  type ResolvedLayer,
  type ResolvedNetwork,
  resolveNetwork,
} from "./src/net/network.ts";
export {
  checkNetworkParams,
  copyNetworkParams,
  type HeadParams,
  initNetworkParams,
  type LayerParams,
  type NetworkParams,
  type ParamLeaf,
  paramLeaves,
  type PopulationParams,
  populationParams,
  zeroNetworkParams,
} from "./src/net/params.ts";
export { checkSequenceBatch, type SequenceBatch } from "./src/net/batch.ts";
export {
  createLoss,
  type CrossEntropyLossSpec,
  type FrameCrossEntropyLossSpec,
  type LossContext,
  type LossSpec,
  type MseLossSpec,
  type SequenceLoss,
} from "./src/net/losses.ts";
export {
  addL2,
  type NetworkObjective,
  type ResolvedNetworkObjective,
  resolveNetworkObjective,
} from "./src/net/objective.ts";
export type {
  NetworkBackend,
  NetworkEvaluation,
  NetworkGradientOptions,
  NetworkGradientResult,
  NetworkTrajectory,
} from "./src/engine/network_backend.ts";
export { WasmNetwork, type WasmNetworkOptions } from "./src/engine/wasm/wasm_network.ts";
export {
  type BeginReply,
  type BeginRequest,
  defaultWorkers,
  type GradientProtocol,
  ParallelNetwork,
  type ParallelNetworkOptions,
} from "./src/engine/wasm/parallel_network.ts";
export {
  RpcClient,
  type RpcClientOptions,
  type RpcHandlers,
  type RpcProtocol,
  type RpcScope,
  type RpcTarget,
  serveRpc,
  Transferring,
  transferring,
} from "./src/util/worker_rpc.ts";
export {
  ParallelBackend,
  type ParallelBackendOptions,
} from "./src/engine/wasm/parallel_backend.ts";
export {
  addSpikeCounts,
  type RateRegularization,
  rateRegularization,
  type SpikeCounts,
} from "./src/net/regularization.ts";
export {
  fig3Network,
  type Fig3NetworkOptions,
  figS7Network,
  type FigS7NetworkOptions,
} from "./src/model/presets.ts";
export {
  fig2LsnnNetwork,
  type Fig2LsnnOptions,
  fig2LstmNetwork,
  type Fig2LstmOptions,
  fig3NetworkSpec,
  figS7NetworkSpec,
  singlePopulationNetworkSpec,
} from "./src/net/presets.ts";
export type {
  ConvLayerShape,
  ResolvedSpikingConvSpec,
  SpikingConvLayerSpec,
  SpikingConvSpec,
} from "./src/net/spiking_conv_spec.ts";
export {
  AUTHORS_HEAD_POOLS,
  type HeadPoolSpec,
  poolSpikes,
  type ResolvedHeadPool,
  unpoolErrors,
} from "./src/net/head_pools.ts";

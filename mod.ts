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
export type {
  InputScaling,
  NetworkConfig,
  NeuronParams,
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
export type {
  Backend,
  EpropForm,
  EpropImplementation,
  EvaluateOptions,
  Evaluation,
  GradientMethod,
  GradientOptions,
  GradientResult,
  Gradients,
  Precision,
  Trajectory,
} from "./src/backend/backend.ts";
export { WasmBackend, type WasmBackendOptions } from "./src/backend/wasm/wasm_backend.ts";
export {
  OnlineEprop,
  type OnlineEpropResult,
  type StepError,
} from "./src/backend/wasm/online_eprop.ts";
export { initWasm, simdSupported, type WasmSource } from "./src/backend/wasm/module.ts";
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
export { Rng, type RngState } from "./src/util/rng.ts";
export {
  type HeadPool,
  headReads,
  type HeadSource,
  type HeadSpec,
  type LayerNeuronSpec,
  type LayerSpec,
  type NetworkSpec,
  type Population,
  type PopulationConstants,
  type ResolvedHead,
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
} from "./src/net/backend.ts";
export { WasmNetwork, type WasmNetworkOptions } from "./src/backend/wasm/wasm_network.ts";
export {
  defaultWorkers,
  ParallelNetwork,
  type ParallelNetworkOptions,
  type WorkerReply,
  type WorkerRequest,
} from "./src/backend/wasm/parallel_network.ts";
export {
  ParallelBackend,
  type ParallelBackendOptions,
} from "./src/backend/wasm/parallel_backend.ts";
export {
  addSpikeCounts,
  type RateRegularization,
  rateRegularization,
  type SpikeCounts,
} from "./src/net/regularization.ts";
export { fig3Network, type Fig3NetworkOptions } from "./src/model/presets.ts";
export {
  createOptimizer,
  type Optimizer,
  type OptimizerOptions,
  type OptimizerState,
  type ParameterSet,
} from "./src/train/optimizer.ts";
export {
  DivergenceError,
  initialTrainingState,
  train,
  type TrainerOptions,
  type TrainingTask,
  type Validation,
} from "./src/train/trainer.ts";
export {
  type Checkpoint,
  checkpointFromJson,
  type CheckpointStore,
  checkpointToJson,
  type ResumeRecord,
  type TrainingState,
  type TrainRecord,
  type ValidationRecord,
} from "./src/train/checkpoint.ts";
export {
  decisions,
  errorRate,
  evidenceAccumulationBatch,
  type EvidenceBatch,
  type EvidenceTaskOptions,
  evidenceTaskSteps,
} from "./src/tasks/evidence_accumulation.ts";
export {
  poissonPattern,
  sumOfSinesTarget,
  TARGET_PERIODS_MS,
} from "./src/tasks/pattern_generation.ts";
export { bernoulliSpikes } from "./src/tasks/spike_trains.ts";
export {
  activeSynapses,
  eligibilityTraces,
  type Synapse,
  type SynapseTraces,
} from "./src/grad/eligibility.ts";

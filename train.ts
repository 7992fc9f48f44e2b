/**
 * Training runs on top of the core: Adam (as TensorFlow 1) and gradient descent, the training
 * loop (fresh batches, validation, early stopping, progress line, checkpoints that resume bit for
 * bit), checkpoints as JSON (storage is the caller's: a file, IndexedDB, a KV store), and the
 * paper's tasks (evidence accumulation of Fig. 3, pattern generation of Fig. S7). No Deno API:
 * the Deno-only file store of checkpoints stays in `src/train/checkpoint_file.ts`.
 *
 * @example Two Adam steps on a parameter set
 * ```ts
 * import { createOptimizer } from "./train.ts";
 * import assert from "node:assert/strict";
 *
 * const params = { w: Float64Array.of(1, -1) };
 * const adam = createOptimizer("adam", { learningRate: 0.1 });
 * adam.step(params, { w: Float64Array.of(0.5, -0.5) });
 * adam.step(params, { w: Float64Array.of(0.5, -0.5) });
 * assert.ok(params.w[0] < 1 && params.w[1] > -1);
 * ```
 *
 * @module
 */
// The core types that the training API names, so that this entry documents itself.
export type * from "./src/engine/backend.ts";
export type {
  Batch,
  CrossEntropyLoss,
  LossConfig,
  MseLoss,
  Objective,
  RegularizationConfig,
} from "./src/model/objective.ts";
export type {
  InputScaling,
  NeuronParams,
  ReadoutFilter,
  ReadoutParams,
  ResolvedNetworkConfig,
} from "./src/model/config.ts";
export type { Matrix, Weights } from "./src/model/weights.ts";
export type { Feedback, FeedbackKind } from "./src/grad/feedback.ts";
export { Rng, type RngState } from "./src/util/rng.ts";
export {
  createOptimizer,
  type Optimizer,
  type OptimizerOptions,
  type OptimizerState,
} from "./src/train/optimizer.ts";
export { type ParameterSet } from "./src/net/parameter_set.ts";
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

/**
 * The training loop of composed networks (src/net/): a network on one core (`WasmNetwork`, any
 * {@linkcode NetworkBackend}) or split across workers (`ParallelNetwork`, awaited), its parameter
 * tree updated leaf by leaf (the leaf paths name the optimizer's arrays), Adam with a linear
 * learning-rate ramp from 0, e-prop feedback per head (symmetric, random, adaptive Kolen-Pollack
 * or global: one {@linkcode Feedback} rule per head), periodic validation, a progress line, and a
 * resumable state (parameters, optimizer, generators, feedback matrices) saved as JSON text that
 * reads back to the same float64 values. No Deno API: storage is the caller's.
 *
 * @module
 */
import type { EpropForm, GradientMethod } from "../engine/backend.ts";
import type { SequenceBatch } from "../net/batch.ts";
import type {
  NetworkEvaluation,
  NetworkGradientOptions,
  NetworkGradientResult,
} from "../engine/network_backend.ts";
import type { NetworkObjective } from "../net/objective.ts";
import { copyNetworkParams, mapParamTree, type NetworkParams, paramLeaves } from "../net/params.ts";
import { createFeedback, type Feedback, type FeedbackKind } from "../grad/feedback.ts";
import type { Matrix } from "../model/weights.ts";
import { Rng, type RngState } from "../util/rng.ts";
import type { Optimizer, OptimizerState } from "./optimizer.ts";
import type { ParameterSet } from "../net/parameter_set.ts";
import { checkpointHeader, type ResumeRecord } from "./checkpoint.ts";
import {
  decodeCheckpointState,
  encodeCheckpointText,
  savedFloats,
  savedMatrix,
} from "./checkpoint_codec.ts";
import { DivergenceError } from "./trainer.ts";
import { runIterationLoop } from "./iteration_loop.ts";

/** What the trainer needs to know of a network: its heads' shapes (feedback matrices). */
export interface TrainableHeads {
  /** One entry per head: features read (rows of w_out) and outputs. */
  readonly heads: readonly { readonly nFeat: number; readonly nOut: number }[];
}

/**
 * What the loop needs of a network: one core (sync) or several workers (async); the WebAssembly
 * LSNN assembly, its workers, or the LSTM baseline.
 */
export interface TrainableNetwork {
  /** The network (a resolved network for an LSNN). */
  readonly net: TrainableHeads;
  /** Replaces the parameters. */
  setParams(params: NetworkParams): void;
  /** Loss and gradients. */
  gradients(
    batch: SequenceBatch,
    objective: NetworkObjective,
    options: NetworkGradientOptions,
  ): NetworkGradientResult | Promise<NetworkGradientResult>;
  /** Forward pass and objective. */
  evaluate(
    batch: SequenceBatch,
    objective: NetworkObjective,
    options?: { rateEstimates?: Float64Array[] },
  ): NetworkEvaluation | Promise<NetworkEvaluation>;
}

/** A training batch with its objective (labels). */
export interface NetworkTrainingBatch {
  /** The inputs. */
  batch: SequenceBatch;
  /** The objective of this batch. */
  objective: NetworkObjective;
}

/** What a validation returns. */
export interface NetworkValidation {
  /** Loss. */
  loss: number;
  /** Task error (NaN when the task has none). */
  error: number;
  /** Mean firing rate in Hz. */
  rateHz: number;
  /** Further numbers (e.g. the error on 39 classes). */
  extra?: Record<string, number>;
}

/** The task-specific parts of a run. */
export interface NetworkTrainingTask {
  /**
   * The training batch of an iteration.
   * @param rng The run's training generator (saved in checkpoints).
   * @param index The batch's index from the start of the run (0-based).
   */
  trainBatch(rng: Rng, index: number): NetworkTrainingBatch;
  /** Validates the network (`rng`: the run's validation generator). */
  validate?(network: TrainableNetwork, rng: Rng): NetworkValidation | Promise<NetworkValidation>;
}

/** One iteration's record. */
export interface NetworkTrainRecord {
  /** Iteration (1-based). */
  iteration: number;
  /** Total loss. */
  loss: number;
  /** Sum of the heads' losses. */
  headLoss: number;
  /** Regularizer loss. */
  regularizationLoss: number;
  /** Mean firing rate in Hz over all populations. */
  rateHz: number;
  /** Learning rate used. */
  learningRate: number;
}

/** One validation's record. */
export interface NetworkValidationRecord extends NetworkValidation {
  /** Iteration after which it ran. */
  iteration: number;
}

/** The resumable state of a run. */
export interface NetworkTrainingState {
  /** Iterations completed. */
  iteration: number;
  /** Current parameters. */
  params: NetworkParams;
  /** Optimizer state (moments named by leaf path). */
  optimizer: OptimizerState;
  /** Training generator. */
  trainRng: RngState;
  /** Validation generator. */
  validRng: RngState;
  /** Per head: the feedback rule's own matrix (random, adaptive) or null. */
  feedback: (Matrix | null)[];
  /** Online regularizer estimates per population, or null. */
  rateEstimates: number[][] | null;
  /** Per-iteration records. */
  train: NetworkTrainRecord[];
  /** Validation records. */
  validation: NetworkValidationRecord[];
  /** Training time so far (s; not part of the computation). */
  seconds: number;
}

/** A checkpoint: the state and the flags of the run that wrote it. */
export interface NetworkCheckpoint {
  /** Format version. */
  version: 1;
  /** Always "network" (a composed-network run). */
  format: "network";
  /** Which experiment wrote it (e.g. "fig2"). */
  kind?: string;
  /** The run's flags. */
  flags: Record<string, unknown>;
  /** Flags changed on each resume, oldest first. */
  history: ResumeRecord[];
  /** The state. */
  state: NetworkTrainingState;
}

/** Feedback settings of e-prop. */
export interface NetworkFeedbackOptions {
  /** The variant, for every head. */
  kind: FeedbackKind;
  /** Kolen-Pollack decay (adaptive; default 0.01). */
  lambda?: number;
  /** Scale random draws by 1/sqrt(rows) (default false). */
  scaled?: boolean;
}

/**
 * One feedback rule per head.
 *
 * @param net The network.
 * @param options Variant, lambda, scaling.
 * @param rng Draws of random and adaptive matrices (in head order).
 * @param saved Matrices of a checkpoint, per head (used instead of draws).
 * @returns The rules, one per head.
 */
export function createHeadFeedback(
  net: TrainableHeads,
  options: NetworkFeedbackOptions,
  rng: Rng,
  saved?: (Matrix | null)[],
): Feedback[] {
  return net.heads.map((h, i) =>
    createFeedback(options.kind, {
      nRec: h.nFeat,
      nOut: h.nOut,
      rng,
      lambda: options.lambda,
      scaled: options.scaled,
      initial: saved?.[i] ?? undefined,
    })
  );
}

/**
 * The initial state of a run.
 * @param params Initial parameters (copied).
 * @param parts Seeds of the training and validation generators, the feedback rules, the optimizer.
 * @returns The state at iteration 0.
 */
export function initialNetworkTrainingState(
  params: NetworkParams,
  parts: { train: number; validation: number; feedback: Feedback[]; optimizer: Optimizer },
): NetworkTrainingState {
  return {
    iteration: 0,
    params: copyNetworkParams(params),
    optimizer: parts.optimizer.state(),
    trainRng: new Rng(parts.train).state(),
    validRng: new Rng(parts.validation).state(),
    feedback: parts.feedback.map((f) => f.state()),
    rateEstimates: null,
    train: [],
    validation: [],
    seconds: 0,
  };
}

/** How to train. */
export interface NetworkTrainerOptions {
  /** The network (its parameters are replaced by the state's). */
  network: TrainableNetwork;
  /** Gradient method. */
  method: GradientMethod;
  /** e-prop form on the WebAssembly core (default factorized). */
  form?: EpropForm;
  /** Feedback rules, one per head (used by e-prop). */
  feedback: Feedback[];
  /** The optimizer (its state is replaced by the state's). */
  optimizer: Optimizer;
  /** Base learning rate. */
  learningRate: number;
  /** Iterations of the linear ramp from 0 (lr t / K at iteration t <= K; 0: none). */
  rampIterations?: number;
  /** Iterations in total (including those of a resumed run). */
  iterations: number;
  /** Progress line every this many iterations (0: never). */
  printEvery: number;
  /** Validate every this many iterations (0: never); also after the last one. */
  validateEvery: number;
  /** Where and how often to checkpoint (also at iteration 0 of a fresh run and at the end). */
  checkpoint?: {
    store: (checkpoint: NetworkCheckpoint) => Promise<void>;
    every: number;
    flags: Record<string, unknown>;
    kind?: string;
    history?: ResumeRecord[];
  };
  /** Output of progress lines (default console.log). */
  log?: (line: string) => void;
  /** Clock in ms (default performance.now). */
  now?: () => number;
  /** Called after each validation with its record and the parameters it scored (not a copy). */
  onValidated?: (record: NetworkValidationRecord, params: NetworkParams) => void | Promise<void>;
}

/**
 * The learning rate of an iteration under a linear ramp.
 * @param lr Base rate.
 * @param iteration 1-based iteration.
 * @param ramp Ramp length K (0: none).
 * @returns lr min(1, iteration / K).
 */
export function rampedLearningRate(lr: number, iteration: number, ramp: number): number {
  return ramp > 0 ? lr * Math.min(1, iteration / ramp) : lr;
}

function parameterSet(p: NetworkParams): ParameterSet {
  return Object.fromEntries(paramLeaves(p).map((l) => [l.path, l.data]));
}

function meanRateHz(rates: Float64Array[]): number {
  let sum = 0, n = 0;
  for (const r of rates) for (const v of r) (sum += v, n++);
  return n > 0 ? 1000 * sum / n : 0;
}

/**
 * Runs (or continues) training until the iteration budget.
 * @param options How to train.
 * @param task What to train on.
 * @param state Where to start: {@linkcode initialNetworkTrainingState} or a checkpoint's state.
 * @returns The final state.
 * @throws {DivergenceError} When a loss or gradient is not finite (weights not updated).
 */
export async function trainNetwork(
  options: NetworkTrainerOptions,
  task: NetworkTrainingTask,
  state: NetworkTrainingState,
): Promise<NetworkTrainingState> {
  const { network, optimizer, feedback } = options;
  const log = options.log ?? console.log;
  const now = options.now ?? (() => performance.now());
  if (feedback.length !== network.net.heads.length) {
    throw new RangeError(
      `Cannot train network: feedback must have one rule per head (${network.net.heads.length}), got ${feedback.length}`,
    );
  }
  const s: NetworkTrainingState = {
    ...state,
    params: copyNetworkParams(state.params),
    train: [...state.train],
    validation: [...state.validation],
    feedback: [...state.feedback],
  };
  optimizer.restore(s.optimizer);
  const trainRng = Rng.fromState(s.trainRng);
  const validRng = Rng.fromState(s.validRng);
  let rateEstimates: Float64Array[] | undefined = s.rateEstimates?.map((r) => Float64Array.from(r));
  const params = s.params;
  network.setParams(params);
  const paramSet = parameterSet(params);
  const started = now();
  let lastValidation = s.validation.at(-1);
  let spiking = true;
  const snapshot = (): NetworkTrainingState => ({
    ...s,
    params: copyNetworkParams(params),
    optimizer: optimizer.state(),
    trainRng: trainRng.state(),
    validRng: validRng.state(),
    feedback: feedback.map((f) => f.state()),
    rateEstimates: rateEstimates ? rateEstimates.map((r) => Array.from(r)) : null,
    train: [...s.train],
    validation: [...s.validation],
    seconds: s.seconds + (now() - started) / 1000,
  });
  const validate = async (): Promise<boolean> => {
    const v = await task.validate!(network, validRng);
    lastValidation = { iteration: s.iteration, ...v };
    s.validation.push(lastValidation);
    await options.onValidated?.(lastValidation, params);
    return false;
  };
  const step = async () => {
    const { batch, objective } = task.trainBatch(trainRng, s.iteration);
    const useFeedback = options.method === "eprop" && feedback.some((f) => f.kind !== "symmetric");
    const result = await network.gradients(batch, objective, {
      method: options.method,
      ...(options.form ? { form: options.form } : {}),
      ...(useFeedback
        ? {
          feedback: feedback.map((f, i) =>
            f.kind === "symmetric" ? undefined : f.matrix(params.heads[i].wOut)
          ),
        }
        : {}),
      ...(rateEstimates ? { rateEstimates } : {}),
    });
    const leaves = paramLeaves(result.grads);
    const bad = !Number.isFinite(result.loss)
      ? `the loss (${result.loss})`
      : leaves.find((l) => l.data.some((v) => !Number.isFinite(v)))?.path;
    if (bad) {
      throw new DivergenceError(
        `Training diverged at iteration ${s.iteration + 1}: ${
          bad.startsWith("the loss") ? bad : `the gradient of ${bad}`
        } is not finite; the weights were not updated and the last checkpoint is intact (try a lower learning rate)`,
      );
    }
    rateEstimates = result.rateEstimates ?? rateEstimates;
    const learningRate = rampedLearningRate(
      options.learningRate,
      s.iteration + 1,
      options.rampIterations ?? 0,
    );
    optimizer.learningRate = learningRate;
    const before = params.heads.map((h) => Float64Array.from(h.wOut.data));
    optimizer.step(paramSet, Object.fromEntries(leaves.map((l) => [l.path, l.data])));
    feedback.forEach((f, i) => {
      const wOut = params.heads[i].wOut;
      const delta = { ...wOut, data: wOut.data.map((v, k) => v - before[i][k]) };
      f.afterReadoutUpdate(wOut, delta);
    });
    network.setParams(params);
    s.iteration++;
    s.train.push({
      iteration: s.iteration,
      loss: result.loss,
      headLoss: result.headLosses.reduce((a, v) => a + v, 0),
      regularizationLoss: result.regularizationLoss,
      rateHz: meanRateHz(result.rates),
      learningRate,
    });
    spiking = result.rates.length > 0;
  };
  const checkpoint = options.checkpoint;
  await runIterationLoop({
    total: options.iterations,
    printEvery: options.printEvery,
    validateEvery: options.validateEvery,
    validateAfterLast: true,
    checkpointEvery: checkpoint?.every ?? 0,
    now,
    done: () => s.iteration,
    step,
    ...(task.validate ? { validate } : {}),
    records: s.train,
    validationError: () => lastValidation?.error,
    spiking: () => spiking,
    log,
    ...(checkpoint
      ? {
        save: () =>
          checkpoint.store({
            version: 1,
            format: "network",
            ...(checkpoint.kind ? { kind: checkpoint.kind } : {}),
            flags: checkpoint.flags,
            history: checkpoint.history ?? [],
            state: snapshot(),
          }),
      }
      : {}),
  });
  return snapshot();
}

// Serialisation

/**
 * A parameter tree as plain JSON data (numbers written so that they read back exactly).
 * @param p The tree.
 * @returns Plain data.
 */
export function networkParamsToJson(p: NetworkParams): unknown {
  return mapParamTree(p, (data) => Array.from(data));
}

function fail(source: string, what: string): never {
  throw new Error(`Cannot resume: ${source}: ${what}`);
}

function matrixFrom(m: unknown, field: string, source: string): Matrix {
  return savedMatrix(m) ?? fail(source, `${field} is malformed`);
}

/**
 * Reads a parameter tree written by {@linkcode networkParamsToJson}.
 * @param json Plain data.
 * @param source Where it came from, for messages.
 * @returns The tree (shapes are checked against a network later).
 * @throws {Error} "Cannot resume: ..." naming the malformed field.
 */
// deno-lint-ignore no-explicit-any
export function networkParamsFromJson(json: any, source = "checkpoint"): NetworkParams {
  if (typeof json !== "object" || json === null) fail(source, "params must be an object");
  if (!Array.isArray(json.layers)) fail(source, "params.layers must be an array");
  if (!Array.isArray(json.heads)) fail(source, "params.heads must be an array");
  return {
    // deno-lint-ignore no-explicit-any
    layers: json.layers.map((l: any, i: number) => {
      // deno-lint-ignore no-explicit-any
      const pop = (x: any, dir: string) => {
        const wIn = matrixFrom(x?.wIn, `params.layers[${i}].${dir}.wIn`, source);
        const wRec = matrixFrom(x?.wRec, `params.layers[${i}].${dir}.wRec`, source);
        if (x?.bias === undefined || x?.bias === null) return { wIn, wRec };
        const bias = savedFloats(x.bias) ??
          fail(source, `params.layers[${i}].${dir}.bias is malformed`);
        return { wIn, wRec, bias };
      };
      return l?.backward
        ? { forward: pop(l?.forward, "forward"), backward: pop(l.backward, "backward") }
        : { forward: pop(l?.forward, "forward") };
    }),
    // deno-lint-ignore no-explicit-any
    heads: json.heads.map((h: any, i: number) => {
      const wOut = matrixFrom(h?.wOut, `params.heads[${i}].wOut`, source);
      if (h?.bOut === undefined || h?.bOut === null) return { wOut };
      const bOut = savedFloats(h.bOut) ?? fail(source, `params.heads[${i}].bOut is malformed`);
      return { wOut, bOut };
    }),
  };
}

/**
 * Serialises a checkpoint.
 * @param checkpoint Flags and state.
 * @returns JSON text; every float64 reads back exactly.
 */
export function networkCheckpointToJson(checkpoint: NetworkCheckpoint): string {
  return encodeCheckpointText(checkpoint);
}

/**
 * Reads a checkpoint back.
 * @param text JSON text written by {@linkcode networkCheckpointToJson}.
 * @param source Where it came from, for messages.
 * @param kind The experiment expected (a checkpoint of another one is refused).
 * @returns Flags and state.
 * @throws {Error} "Cannot resume: ..." naming the problem.
 */
export function networkCheckpointFromJson(
  text: string,
  source: string,
  kind?: string,
): NetworkCheckpoint {
  return networkCheckpointFromEnvelope(
    decodeCheckpointState(checkpointHeader(text, source, kind), source),
    source,
  );
}

/**
 * A composed network's checkpoint from its decoded envelope (e.g. `readCheckpointFile` of
 * ./checkpoint_file.ts, which reads a side file too), its state checked.
 * @param json The envelope.
 * @param source Where it came from, for messages.
 * @returns Flags and state.
 * @throws {Error} "Cannot resume: ..." naming the problem.
 */
// deno-lint-ignore no-explicit-any
export function networkCheckpointFromEnvelope(json: any, source: string): NetworkCheckpoint {
  if (json.format !== "network") fail(source, "is not a checkpoint of a composed network");
  const s = json.state;
  if (typeof s !== "object" || s === null) fail(source, "has no state");
  if (!Number.isInteger(s.iteration) || s.iteration < 0) {
    fail(source, "state.iteration must be an integer >= 0");
  }
  const opt = s.optimizer;
  if (typeof opt !== "object" || opt === null || !["adam", "sgd"].includes(opt.kind)) {
    fail(source, "state.optimizer must be an adam or sgd state");
  }
  for (const rng of ["trainRng", "validRng"]) {
    const r = s[rng];
    if (
      typeof r !== "object" || r === null || !Array.isArray(r.s) || r.s.length !== 4 ||
      !r.s.every((w: unknown) => Number.isInteger(w))
    ) fail(source, `state.${rng} must be a generator state`);
  }
  if (!Array.isArray(s.feedback)) fail(source, "state.feedback must be an array");
  if (!Array.isArray(s.train) || !Array.isArray(s.validation)) {
    fail(source, "state.train and state.validation must be arrays");
  }
  if (s.rateEstimates !== null && !Array.isArray(s.rateEstimates)) {
    fail(source, "state.rateEstimates must be null or an array");
  }
  return {
    version: 1,
    format: "network",
    ...(typeof json.kind === "string" ? { kind: json.kind } : {}),
    flags: typeof json.flags === "object" && json.flags !== null ? json.flags : {},
    history: Array.isArray(json.history) ? json.history : [],
    state: {
      ...s,
      seconds: typeof s.seconds === "number" ? s.seconds : 0,
      params: networkParamsFromJson(s.params, source),
      // deno-lint-ignore no-explicit-any
      feedback: s.feedback.map((m: any, i: number) =>
        m === null ? null : matrixFrom(m, `state.feedback[${i}]`, source)
      ),
    },
  };
}

/**
 * The training loop shared by the experiments: fresh batches, gradients by the chosen method,
 * an optimizer step (with the feedback rule's reaction to readout updates), periodic validation
 * with an optional stopping criterion, a progress line, and checkpoints from which a run resumes
 * exactly.
 *
 * @module
 */
import type {
  Backend,
  EpropForm,
  EpropImplementation,
  GradientMethod,
  GradientResult,
} from "../engine/backend.ts";
import type { Batch, Objective } from "../model/objective.ts";
import { copyWeights, type Weights } from "../model/weights.ts";
import type { Feedback } from "../grad/feedback.ts";
import { Rng } from "../util/rng.ts";
import type { Optimizer } from "./optimizer.ts";
import type { ParameterSet } from "../net/parameter_set.ts";
import type {
  Checkpoint,
  CheckpointStore,
  ResumeRecord,
  TrainingState,
  ValidationRecord,
} from "./checkpoint.ts";
import { runIterationLoop } from "./iteration_loop.ts";

/** What a validation returns. */
export interface Validation {
  /** Loss. */
  loss: number;
  /** Task error (NaN when the task has none). */
  error: number;
  /** Mean firing rate in Hz. */
  rateHz: number;
}

/** The task-specific parts of a run. */
export interface TrainingTask {
  /** The objective of every batch. */
  objective: Objective;
  /** Draws (or returns) the next training batch. */
  trainBatch(rng: Rng): Batch;
  /** Validates on fresh data drawn from `rng`. */
  validate?(backend: Backend, rng: Rng): Validation;
  /**
   * Decides after a validation whether to stop; may evaluate more fresh batches from `rng`.
   * @returns true to stop.
   */
  shouldStop?(validation: Validation, backend: Backend, rng: Rng): boolean;
}

/** How to train. */
export interface TrainerOptions {
  /** The backend holding the network. */
  backend: Backend;
  /** Gradient method. */
  method: GradientMethod;
  /** e-prop implementation (default hard-coded). */
  implementation?: EpropImplementation;
  /** e-prop computation on the wasm core (default factorized). */
  form?: EpropForm;
  /** Feedback rule for e-prop. */
  feedback: Feedback;
  /** The optimizer. */
  optimizer: Optimizer;
  /** Iterations to run in total (including those of a resumed run). */
  iterations: number;
  /** Print a progress line every this many iterations (0: never). */
  printEvery: number;
  /** Validate every this many iterations (0: never). */
  validateEvery: number;
  /**
   * Where (a store, e.g. a file's saveCheckpoint) and how often to checkpoint, with what to
   * store beside the state (flags, experiment kind, resume history). A fresh run is saved at
   * iteration 0 too, so that a run that diverges at once still leaves a checkpoint.
   */
  checkpoint?: {
    store: CheckpointStore;
    every: number;
    flags: Record<string, unknown>;
    kind?: string;
    history?: ResumeRecord[];
  };
  /** Output for progress lines (default console.log). */
  log?: (line: string) => void;
}

/**
 * The initial state of a run.
 * @param weights Initial weights.
 * @param parts Seeds of the training- and validation-batch generators, the feedback rule (whose
 *   matrix is saved) and the fresh optimizer.
 * @returns The state at iteration 0.
 */
export function initialTrainingState(
  weights: Weights,
  parts: { train: number; validation: number; feedback: Feedback; optimizer: Optimizer },
): TrainingState {
  const seeds = parts;
  return {
    iteration: 0,
    weights: copyWeights(weights),
    optimizer: parts.optimizer.state(),
    trainRng: new Rng(seeds.train).state(),
    validRng: new Rng(seeds.validation).state(),
    feedback: seeds.feedback.state(),
    rateEstimate: null,
    train: [],
    validation: [],
    stopped: false,
    seconds: 0,
  };
}

/** A run whose loss or gradient stopped being finite. */
export class DivergenceError extends Error {
  /**
   * Creates the error.
   * @param message What diverged, and where.
   */
  constructor(message: string) {
    super(message);
    this.name = "DivergenceError";
  }
}

function assertFinite(r: GradientResult, iteration: number): void {
  const bad = (what: string) => {
    throw new DivergenceError(
      `Training diverged at iteration ${iteration}: ${what} is not finite; the weights were not updated ` +
        "and the last checkpoint is intact (try a lower learning rate)",
    );
  };
  if (!Number.isFinite(r.loss)) bad(`the loss (${r.loss})`);
  const { wIn, wRec, wOut, bOut } = r.grads;
  for (
    const [name, data] of [["wIn", wIn.data], ["wRec", wRec.data], ["wOut", wOut.data], [
      "bOut",
      bOut,
    ]] as const
  ) {
    if (data?.some((v) => !Number.isFinite(v))) bad(`the gradient of ${name}`);
  }
}

function parameters(w: Weights): ParameterSet {
  const p: ParameterSet = { wIn: w.wIn.data, wRec: w.wRec.data, wOut: w.wOut.data };
  if (w.bOut) p.bOut = w.bOut;
  return p;
}

/**
 * Runs (or continues) training until the iteration budget or the stopping criterion.
 * @param options How to train.
 * @param task What to train on.
 * @param state Where to start: {@linkcode initialTrainingState} or a checkpoint's state.
 * @returns The final state.
 */
export async function train(
  options: TrainerOptions,
  task: TrainingTask,
  state: TrainingState,
): Promise<TrainingState> {
  const { backend, optimizer, feedback } = options;
  const log = options.log ?? console.log;
  const s: TrainingState = {
    ...state,
    weights: copyWeights(state.weights),
    train: [...state.train],
    validation: [...state.validation],
  };
  optimizer.restore(s.optimizer);
  const trainRng = Rng.fromState(s.trainRng);
  const validRng = Rng.fromState(s.validRng);
  let rateEstimate: Float64Array | undefined = s.rateEstimate
    ? Float64Array.from(s.rateEstimate)
    : undefined;
  const weights = s.weights;
  backend.setWeights(weights);
  const params = parameters(weights);
  const { nRec } = backend.config.neuron;
  const started = performance.now();
  let lastValidation: ValidationRecord | undefined = s.validation.at(-1);
  const snapshot = (): TrainingState => ({
    ...s,
    weights: copyWeights(weights),
    optimizer: optimizer.state(),
    trainRng: trainRng.state(),
    validRng: validRng.state(),
    feedback: feedback.state(),
    rateEstimate: rateEstimate ? Array.from(rateEstimate) : null,
    seconds: s.seconds + (performance.now() - started) / 1000,
  });
  const step = async () => {
    const batch = task.trainBatch(trainRng);
    const compute = backend.gradientsAsync?.bind(backend) ?? backend.gradients.bind(backend);
    const result = await compute(batch, task.objective, {
      method: options.method,
      implementation: options.implementation,
      form: options.form,
      feedback: options.method === "eprop" ? feedback.matrix(weights.wOut) : undefined,
      rateEstimate,
    });
    assertFinite(result, s.iteration + 1);
    rateEstimate = result.rateEstimate ?? rateEstimate;
    const before = Float64Array.from(weights.wOut.data);
    const grads: ParameterSet = {
      wIn: result.grads.wIn.data,
      wRec: result.grads.wRec.data,
      wOut: result.grads.wOut.data,
    };
    if (weights.bOut) grads.bOut = result.grads.bOut!;
    optimizer.step(params, grads);
    const delta = { ...weights.wOut, data: weights.wOut.data.map((v, i) => v - before[i]) };
    feedback.afterReadoutUpdate(weights.wOut, delta);
    backend.setWeights(weights);
    s.iteration++;
    const rateHz = result.spikes /
      (batch.batchSize * batch.steps * nRec * backend.config.neuron.dtMs) * 1000;
    s.train.push({
      iteration: s.iteration,
      loss: result.loss,
      readoutLoss: result.readoutLoss,
      regularizationLoss: result.regularizationLoss,
      rateHz,
    });
  };
  const validate = task.validate &&
    ((): Promise<boolean> => {
      const v = task.validate!(backend, validRng);
      lastValidation = { iteration: s.iteration, ...v };
      s.validation.push(lastValidation);
      if (task.shouldStop?.(v, backend, validRng)) s.stopped = true;
      return Promise.resolve(s.stopped);
    });
  const checkpoint = options.checkpoint;
  await runIterationLoop({
    total: options.iterations,
    printEvery: options.printEvery,
    validateEvery: options.validateEvery,
    validateAfterLast: false,
    checkpointEvery: checkpoint?.every ?? 0,
    now: () => performance.now(),
    stopped: s.stopped,
    done: () => s.iteration,
    step,
    ...(validate ? { validate } : {}),
    records: s.train,
    validationError: () => lastValidation?.error,
    log,
    ...(checkpoint
      ? {
        save: () =>
          checkpoint.store(
            {
              version: 1,
              ...(checkpoint.kind ? { kind: checkpoint.kind } : {}),
              flags: checkpoint.flags,
              history: checkpoint.history ?? [],
              state: snapshot(),
            } satisfies Checkpoint,
          ),
      }
      : {}),
  });
  return snapshot();
}

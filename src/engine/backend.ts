/**
 * The backend interface of the single-population network (Figs. 3/S7), implemented by the
 * WebAssembly core and by tfjs, each as an adapter over its composed network
 * (single_population.ts). A backend holds one network's weights and computes its trajectories and
 * gradients.
 *
 * @module
 */
import type { ResolvedNetworkConfig } from "../model/config.ts";
import type { Matrix, Weights } from "../model/weights.ts";
import type { Batch, Objective } from "../model/objective.ts";

export type {
  EpropForm,
  EpropImplementation,
  GradientMethod,
  Precision,
} from "../util/vocabulary.ts";
import type {
  EpropForm,
  EpropImplementation,
  GradientMethod,
  Precision,
} from "../util/vocabulary.ts";

/** Options of {@linkcode Backend.gradients}. */
export interface GradientOptions {
  /** Which gradient. */
  method: GradientMethod;
  /** e-prop feedback matrix B (nRec x nOut); default w_out (symmetric). */
  feedback?: Matrix;
  /**
   * Hard-coded e-prop: "factorized" (default) or "online" (per-synapse traces; on the wasm
   * backend the streaming learner).
   */
  form?: EpropForm;
  /** e-prop implementation (default "hardcoded"; "autodiff" needs the tfjs backend). */
  implementation?: EpropImplementation;
  /** Online regularizer: the rate estimate carried from the previous batch. */
  rateEstimate?: Float64Array;
}

/** Gradients with the shapes of the weights. */
export interface Gradients {
  /** dE/dw_in, nIn x nRec. */
  wIn: Matrix;
  /** dE/dw_rec, nRec x nRec, zero diagonal. */
  wRec: Matrix;
  /** dE/dw_out, nRec x nOut (exact for every method). */
  wOut: Matrix;
  /** dE/db_out, when the readout has a bias. */
  bOut?: Float64Array;
}

/** What {@linkcode Backend.gradients} returns. */
export interface GradientResult {
  /** Total loss E (readout loss + regularizer). */
  loss: number;
  /** The readout loss alone. */
  readoutLoss: number;
  /** The regularizer's loss alone. */
  regularizationLoss: number;
  /** Total number of recurrent spikes over batch and time. */
  spikes: number;
  /** The gradients. */
  grads: Gradients;
  /** Online regularizer: the updated rate estimate, to pass to the next call. */
  rateEstimate?: Float64Array;
}

/** Options of {@linkcode Backend.evaluate}. */
export interface EvaluateOptions {
  /** Online regularizer: the rate estimate carried from the previous batch. */
  rateEstimate?: Float64Array;
}

/** What {@linkcode Backend.evaluate} returns. */
export interface Evaluation {
  /** Total loss (readout + regularizer). */
  loss: number;
  /** Readout loss. */
  readoutLoss: number;
  /** Regularizer loss. */
  regularizationLoss: number;
  /** Total number of recurrent spikes. */
  spikes: number;
  /** Mean firing rate of each neuron over batch and time, in spikes per ms. */
  rates: Float64Array;
  /** Readout y, batch-major [B][T][nOut]. */
  y: Float64Array;
}

export type { Trajectory } from "../model/trajectory.ts";
import type { Trajectory } from "../model/trajectory.ts";

/** A compute backend for one network. */
export interface Backend {
  /** Backend name, e.g. "wasm" or "tfjs-cpu". */
  readonly name: string;
  /** Arithmetic precision. */
  readonly precision: Precision;
  /** The network it simulates. */
  readonly config: ResolvedNetworkConfig;
  /** Replaces the weights (validated; the diagonal of wRec is ignored). */
  setWeights(weights: Weights): void;
  /**
   * Returns a copy of the current weights.
   * @returns A copy of the current weights.
   */
  getWeights(): Weights;
  /** Runs the network on a batch from the zero state and records everything. */
  simulate(batch: Batch): Trajectory;
  /** Forward pass only: loss, readout and firing rates (validation and testing). */
  evaluate(batch: Batch, objective: Objective, options?: EvaluateOptions): Evaluation;
  /** Computes loss and gradients on a batch. */
  gradients(batch: Batch, objective: Objective, options: GradientOptions): GradientResult;
  /**
   * Computes loss and gradients with work outside this thread (a backend with workers); the
   * trainer prefers it when present. The result equals {@linkcode gradients}' to rounding.
   */
  gradientsAsync?(
    batch: Batch,
    objective: Objective,
    options: GradientOptions,
  ): Promise<GradientResult>;
  /** Frees the backend's memory. */
  dispose(): void;
}

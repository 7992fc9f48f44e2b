/**
 * What every backend computes for a composed network: the forward pass, the objective and its
 * gradients by BPTT, e-prop or eq. (1). The WebAssembly core and tfjs implement it; tests run
 * one suite against both.
 *
 * @module
 */
import type { EpropForm, GradientMethod, Precision } from "./backend.ts";
import type { Matrix } from "../model/weights.ts";
import type { SequenceBatch } from "../net/batch.ts";
import type { ResolvedNetwork } from "../net/network.ts";
import type { NetworkObjective } from "../net/objective.ts";
import type { NetworkParams } from "../net/params.ts";

/** Options of {@linkcode NetworkBackend.gradients}. */
export interface NetworkGradientOptions {
  /** "bptt" (exact), "eprop" (layer-local, feedback per head) or "eq1" (equals bptt). */
  method: GradientMethod;
  /**
   * e-prop feedback per head, each nFeat x nOut (the head's w_out shape); undefined entries (or
   * no array) mean symmetric feedback (B = w_out). Each population gets the rows of every head
   * that reads it.
   */
  feedback?: (Matrix | undefined)[];
  /** Hard-coded e-prop: "factorized" (default) or "online" (per-synapse traces). */
  form?: EpropForm;
  /**
   * How e-prop is computed: on the WebAssembly core always "hardcoded" (traces and learning
   * signals written out); on tfjs "autodiff" (default; the stop-gradient trick) or "hardcoded".
   */
  implementation?: "hardcoded" | "autodiff";
  /** Online regularizer: each population's rate estimate carried from the previous batch. */
  rateEstimates?: Float64Array[];
}

/** What {@linkcode NetworkBackend.gradients} and {@linkcode NetworkBackend.evaluate} return. */
export interface NetworkEvaluation {
  /** Total E: head losses + regularizer + L2. */
  loss: number;
  /** Loss of each head (0 for a head without one). */
  headLosses: number[];
  /** Firing-rate regularizer, summed over populations. */
  regularizationLoss: number;
  /** L2 term. */
  l2Loss: number;
  /** Spikes over all populations and valid steps. */
  spikes: number;
  /** Per population: mean rate of each neuron over batch and all steps (spikes per ms). */
  rates: Float64Array[];
  /** Per head: outputs y, batch-major [B][U][nOut]. */
  outputs: Float64Array[];
  /** Online regularizer: the updated estimates, to pass to the next call. */
  rateEstimates?: Float64Array[];
}

/**
 * Gradients and the evaluation they came with (`outputs` may be left empty: a gradient call need
 * not convert the outputs; {@linkcode NetworkBackend.evaluate} gives them).
 */
export interface NetworkGradientResult extends NetworkEvaluation {
  /** dE/dparams, with the shape of the parameter tree (zero diagonals in w_rec). */
  grads: NetworkParams;
}

/** A recorded forward pass: every population's records in input time, and the heads' outputs. */
export interface NetworkTrajectory {
  /** Per population: spikes [B][T][nRec] (1/dt per spike), in input time. */
  z: Float64Array[];
  /** Per population: membrane potentials [B][T][nRec], in input time. */
  v: Float64Array[];
  /** Per population: adaptive thresholds [B][T][nRec], in input time. */
  thr: Float64Array[];
  /** Per population: pseudo-derivatives psi [B][T][nRec], in input time. */
  psi: Float64Array[];
  /** Per head: outputs [B][U][nOut]. */
  outputs: Float64Array[];
}

/** A compute backend for one composed network. */
export interface NetworkBackend {
  /** Backend name, e.g. "wasm" or "tfjs-cpu". */
  readonly name: string;
  /** Arithmetic precision. */
  readonly precision: Precision;
  /** The network. */
  readonly net: ResolvedNetwork;
  /** Replaces the parameters (validated). */
  setParams(params: NetworkParams): void;
  /**
   * Returns a copy of the parameters.
   * @returns A copy of the parameters.
   */
  getParams(): NetworkParams;
  /** Forward pass with records of every population and head. */
  simulate(batch: SequenceBatch): NetworkTrajectory;
  /** Forward pass and objective, no gradients. */
  evaluate(
    batch: SequenceBatch,
    objective: NetworkObjective,
    options?: { rateEstimates?: Float64Array[] },
  ): NetworkEvaluation;
  /** Loss and gradients. */
  gradients(
    batch: SequenceBatch,
    objective: NetworkObjective,
    options: NetworkGradientOptions,
  ): NetworkGradientResult;
  /** Frees memory. */
  dispose(): void;
}

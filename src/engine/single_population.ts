/**
 * The single-population network of Figs. 3 and S7 (one LSNN and one leaky readout, the
 * {@linkcode ResolvedNetworkConfig} API) as an assembly of the composable parts: one
 * forward layer, one per-step head, inputs with repeat 1. Converts configs, weights, batches and
 * objectives both ways.
 *
 * @module
 */
import type { ResolvedNetworkConfig } from "../model/config.ts";
import type { Weights } from "../model/weights.ts";
import type { Batch, ResolvedObjective } from "../model/objective.ts";
import type { NetworkSpec } from "../net/network.ts";
import type { NetworkParams } from "../net/params.ts";
import type { SequenceBatch } from "../net/batch.ts";
import type { NetworkObjective } from "../net/objective.ts";
import type { LossSpec } from "../net/losses.ts";
import type { Matrix } from "../model/weights.ts";
import type {
  NetworkEvaluation,
  NetworkGradientOptions,
  NetworkGradientResult,
  NetworkTrajectory,
} from "./network_backend.ts";
import type {
  EpropForm,
  EpropImplementation,
  Evaluation,
  GradientMethod,
  GradientOptions,
  GradientResult,
  Trajectory,
} from "./backend.ts";
import { checkFeedbackMatrix } from "../grad/feedback.ts";
import { singlePopulationNetworkSpec } from "../net/presets.ts";
import { checkChoice } from "../util/errors.ts";

/**
 * @param config A single-population network.
 * @returns The same network as a composed spec.
 */
export function singlePopulationSpec(config: ResolvedNetworkConfig): NetworkSpec {
  return singlePopulationNetworkSpec(config);
}

/**
 * @param w Weights of a single-population network.
 * @returns The parameter tree (sharing the arrays).
 */
export function weightsToParams(w: Weights): NetworkParams {
  return {
    layers: [{ forward: { wIn: w.wIn, wRec: w.wRec } }],
    heads: [w.bOut ? { wOut: w.wOut, bOut: w.bOut } : { wOut: w.wOut }],
  };
}

/**
 * @param p The parameter tree (or gradients) of a single-population network.
 * @returns Its weights (sharing the arrays).
 */
export function paramsToWeights(p: NetworkParams): Weights {
  const { wIn, wRec } = p.layers[0].forward;
  const { wOut, bOut } = p.heads[0];
  return bOut ? { wIn, wRec, wOut, bOut } : { wIn, wRec, wOut };
}

/**
 * @param batch A batch of trials [B][T][nIn].
 * @returns The same data as sequences of T frames (repeat 1, all valid).
 */
export function batchToSequences(batch: Batch): SequenceBatch {
  return { batchSize: batch.batchSize, frames: batch.steps, inputs: batch.inputs };
}

/**
 * @param obj A validated single-population objective.
 * @param batch Its batch (targets, labels, mask).
 * @returns The same objective for the composed network.
 */
export function objectiveToNetwork(obj: ResolvedObjective, batch: Batch): NetworkObjective {
  const loss: LossSpec = obj.loss.type === "mse" ? { type: "mse", targets: batch.targets! } : {
    type: "ce",
    labels: batch.labels!,
    ...(batch.mask ? { mask: batch.mask } : { window: obj.loss.window }),
  };
  return obj.regularization
    ? { losses: [loss], regularization: obj.regularization }
    : { losses: [loss] };
}

/**
 * @param options Gradient options of the single-population API.
 * @returns The same request for the composed network (feedback for its one head).
 */
export function gradientOptionsToNetwork(options: GradientOptions): NetworkGradientOptions {
  return {
    method: options.method,
    feedback: options.method === "eprop" ? [options.feedback] : undefined,
    rateEstimates: options.rateEstimate ? [options.rateEstimate] : undefined,
  };
}

/**
 * @param r A composed network's gradient result.
 * @returns The same result in the single-population API.
 */
export function resultFromNetwork(r: NetworkGradientResult): GradientResult {
  return {
    loss: r.loss,
    readoutLoss: r.headLosses[0],
    regularizationLoss: r.regularizationLoss,
    spikes: r.spikes,
    grads: paramsToWeights(r.grads),
    ...(r.rateEstimates ? { rateEstimate: r.rateEstimates[0] } : {}),
  };
}

/**
 * @param estimate The online regularizer's rate estimate of the single population, if any.
 * @returns The same as the composed network's per-population estimates.
 */
export function estimatesToNetwork(estimate: Float64Array | undefined): Float64Array[] | undefined {
  return estimate ? [estimate] : undefined;
}

/**
 * @param batch The batch that was simulated (its size and length).
 * @param t The composed network's records.
 * @returns The single population's trajectory.
 */
export function trajectoryFromNetwork(batch: Batch, t: NetworkTrajectory): Trajectory {
  return {
    batchSize: batch.batchSize,
    steps: batch.steps,
    z: t.z[0],
    v: t.v[0],
    thr: t.thr[0],
    psi: t.psi[0],
    y: t.outputs[0],
  };
}

/**
 * @param r A composed network's evaluation.
 * @returns The same evaluation in the single-population API.
 */
export function evaluationFromNetwork(r: NetworkEvaluation): Evaluation {
  return {
    loss: r.loss,
    readoutLoss: r.headLosses[0],
    regularizationLoss: r.regularizationLoss,
    spikes: r.spikes,
    rates: r.rates[0],
    y: r.outputs[0],
  };
}

/** A gradient request of the single-population API, validated. */
export interface CheckedGradientOptions {
  /** The method. */
  method: GradientMethod;
  /** The hard-coded e-prop form (default "factorized"). */
  form: EpropForm;
  /** The e-prop implementation (default "hardcoded"). */
  implementation: EpropImplementation;
}

/**
 * Validates the options of `Backend.gradients` against a network: method, form and
 * implementation by name, and an e-prop feedback matrix by shape.
 *
 * @param config The network.
 * @param options The options.
 * @returns Method, form and implementation with their defaults.
 * @throws {RangeError} For an unknown method, form or implementation.
 * @throws {TypeError} For a feedback matrix of the wrong shape or with a non-finite value.
 */
export function checkGradientOptions(
  config: ResolvedNetworkConfig,
  options: GradientOptions,
): CheckedGradientOptions {
  const action = "compute gradients";
  const method = checkChoice(action, "method", options?.method, ["bptt", "eprop", "eq1"]);
  const form = checkChoice(action, "form", options.form ?? "factorized", [
    "online",
    "factorized",
  ]);
  const implementation = checkChoice(
    action,
    "implementation",
    options.implementation ?? "hardcoded",
    ["hardcoded", "autodiff"],
  );
  const feedback: Matrix | undefined = options.feedback;
  if (method === "eprop" && feedback) {
    checkFeedbackMatrix(feedback, { nRec: config.neuron.nRec, nOut: config.readout.nOut });
  }
  return { method, form, implementation };
}

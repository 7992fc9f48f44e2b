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
import type { NetworkGradientOptions, NetworkGradientResult } from "./network_backend.ts";
import type { GradientOptions, GradientResult } from "./backend.ts";

/**
 * @param config A single-population network.
 * @returns The same network as a composed spec.
 */
export function singlePopulationSpec(config: ResolvedNetworkConfig): NetworkSpec {
  const { neuron: n, readout: r } = config;
  return {
    nIn: n.nIn,
    dtMs: n.dtMs,
    repeat: 1,
    layers: [{
      neuron: {
        nRec: n.nRec,
        tauMMs: n.tauMMs,
        tauAMs: n.tauAMs,
        thr: n.thr,
        beta: n.beta,
        dampening: n.dampening,
        nRef: n.nRef,
        inputScaling: n.inputScaling,
      },
    }],
    heads: [{
      name: "readout",
      nOut: r.nOut,
      pool: "none",
      tauOut: r.tauOutMs,
      filter: r.filter,
      bias: r.bias,
    }],
  };
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

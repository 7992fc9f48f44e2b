/**
 * The network of the original numerical-verification scripts: 3 inputs, 4 LIF + 4 ALIF neurons
 * (tau_m 20 ms, tau_a 500 ms, thr 0.62, beta 0.07, gamma 0.3), Poisson input at 100 Hz, and an MSE
 * loss against a random target through a readout with kappa = exp(-1/20).
 *
 * @module
 */
import { type ResolvedNetworkConfig, resolveNetworkConfig } from "../model/config.ts";
import { normalMatrix, type Weights } from "../model/weights.ts";
import type { Batch, Objective } from "../model/objective.ts";
import { Rng } from "../util/rng.ts";

/** Options of {@linkcode verificationProblem}. */
export interface VerificationProblemOptions {
  /** Refractory steps (2 for the factorization script, 3 for the autodiff one). */
  nRef: number;
  /** Steps T (50 and 10). */
  steps: number;
  /** Trials in the batch. */
  batchSize: number;
  /** Random seed. */
  seed: number;
}

/** A network, its weights and a batch with its objective. */
export interface VerificationProblem {
  /** The network. */
  config: ResolvedNetworkConfig;
  /** Its weights. */
  weights: Weights;
  /** The data. */
  batch: Batch;
  /** MSE against the random target. */
  objective: Objective;
}

/**
 * Draws the verification problem: weights N(0,1)/sqrt(fan-in) (inputs N(0,1)), 100 Hz Poisson
 * inputs, uniform random targets.
 * @param options Refractoriness, length, batch size, seed.
 * @returns The problem.
 */
export function verificationProblem(options: VerificationProblemOptions): VerificationProblem {
  const rng = new Rng(options.seed);
  const nIn = 3, nRec = 8, nOut = 2;
  const config = resolveNetworkConfig({
    neuron: {
      nIn,
      nRec,
      tauMMs: 20,
      tauAMs: 500,
      thr: 0.62,
      beta: [0, 0, 0, 0, 0.07, 0.07, 0.07, 0.07],
      dampening: 0.3,
      nRef: options.nRef,
      dtMs: 1,
    },
    readout: { nOut, tauOutMs: 20, filter: "normalized" },
  });
  const weights: Weights = {
    wIn: normalMatrix([nIn, nRec], rng, { scale: 1 }),
    wRec: normalMatrix([nRec, nRec], rng),
    wOut: normalMatrix([nRec, nOut], rng),
  };
  for (let j = 0; j < nRec; j++) weights.wRec.data[j * nRec + j] = 0;
  const { batchSize: B, steps: T } = options;
  const inputs = new Float64Array(B * T * nIn).map(() => (rng.uniform() < 0.1 ? 1 : 0));
  const targets = new Float64Array(B * T * nOut).map(() => rng.uniform());
  return {
    config,
    weights,
    batch: { batchSize: B, steps: T, inputs, targets },
    objective: { loss: { type: "mse" } },
  };
}

/**
 * Eligibility traces of single synapses (EPROP.md 3.1), computed in float64 from a recorded
 * trajectory, for figures and as an independent reference:
 *
 *   eps_v(t) = alpha eps_v(t-1) + s pre(t)          pre = x_i(t) (input) or z_i(t-1) (recurrent)
 *   eps_a(t) = (rho - beta_j psi_j(t-1)) eps_a(t-1) + psi_j(t-1) eps_v(t-1)
 *   e(t)     = psi_j(t) (eps_v(t) - beta_j eps_a(t))          (e_jj = 0)
 *   ebar(t)  = kappa ebar(t-1) + c e(t)
 *
 * @module
 */
import type { ResolvedNetworkConfig } from "../model/config.ts";
import { deriveConstants } from "../model/constants.ts";
import type { Batch } from "../model/objective.ts";
import type { Trajectory } from "../model/trajectory.ts";

/** A synapse: input i -> neuron j, or neuron i -> neuron j. */
export interface Synapse {
  /** "in" (w_in) or "rec" (w_rec). */
  kind: "in" | "rec";
  /** Presynaptic index i. */
  pre: number;
  /** Postsynaptic neuron j. */
  post: number;
}

/** The traces of one synapse over one trial. */
export interface SynapseTraces {
  /** The synapse. */
  synapse: Synapse;
  /** Presynaptic term eps_v(t) (the filtered presynaptic spikes), T values. */
  presynaptic: Float64Array;
  /** Postsynaptic term psi_j(t), T values. */
  postsynaptic: Float64Array;
  /** e(t), T values. */
  e: Float64Array;
  /** ebar(t), T values. */
  ebar: Float64Array;
}

/**
 * Computes the traces of single synapses over one trial.
 * @param config The network.
 * @param record The batch and its recorded trajectory, and the trial to read.
 * @returns The traces of each synapse.
 * @throws {RangeError} For an index out of range.
 */
export function eligibilityTraces(
  config: ResolvedNetworkConfig,
  record: { batch: Batch; trajectory: Trajectory; trial: number; synapses: Synapse[] },
): SynapseTraces[] {
  const k = deriveConstants(config);
  const { nIn, nRec: n, beta } = config.neuron;
  const { batch, trajectory, trial: b, synapses } = record;
  const T = batch.steps;
  if (!(b >= 0 && b < batch.batchSize)) {
    throw new RangeError(
      `Cannot compute traces: trial must be in [0, ${batch.batchSize - 1}], got ${b}`,
    );
  }
  return synapses.map((syn) => {
    const limit = syn.kind === "in" ? nIn : n;
    if (!(syn.pre >= 0 && syn.pre < limit) || !(syn.post >= 0 && syn.post < n)) {
      throw new RangeError(
        `Cannot compute traces: synapse ${syn.kind} ${syn.pre}->${syn.post} is outside ${limit}x${n}`,
      );
    }
    const j = syn.post;
    const e = new Float64Array(T), ebar = new Float64Array(T);
    const presynaptic = new Float64Array(T), postsynaptic = new Float64Array(T);
    if (syn.kind === "rec" && syn.pre === j) {
      return { synapse: syn, presynaptic, postsynaptic, e, ebar };
    }
    let epsV = 0, epsA = 0, eb = 0, psiPrev = 0;
    for (let t = 0; t < T; t++) {
      const pre = syn.kind === "in"
        ? batch.inputs[(b * T + t) * nIn + syn.pre]
        : (t === 0 ? 0 : trajectory.z[(b * T + t - 1) * n + syn.pre]);
      const psi = trajectory.psi[(b * T + t) * n + j];
      epsA = (k.rho - beta[j] * psiPrev) * epsA + psiPrev * epsV;
      epsV = k.alpha * epsV + k.s * pre;
      presynaptic[t] = epsV;
      postsynaptic[t] = psi;
      e[t] = psi * (epsV - beta[j] * epsA);
      eb = k.kappa * eb + k.c * e[t];
      ebar[t] = eb;
      psiPrev = psi;
    }
    return { synapse: syn, presynaptic, postsynaptic, e, ebar };
  });
}

/**
 * Picks four synapses whose traces are not trivially zero in one trial: onto the neurons with the
 * most pseudo-derivative, from the most active inputs and neurons (for figures).
 * @param config The network.
 * @param record The batch, its trajectory and the trial.
 * @returns Two input and two recurrent synapses.
 */
export function activeSynapses(
  config: ResolvedNetworkConfig,
  record: { batch: Batch; trajectory: Trajectory; trial: number },
): Synapse[] {
  const { nIn, nRec: n } = config.neuron;
  const { batch, trajectory, trial: b } = record;
  const T = batch.steps;
  const total = (data: ArrayLike<number>, width: number, unit: number) => {
    let sum = 0;
    for (let t = 0; t < T; t++) sum += Math.abs(data[(b * T + t) * width + unit]);
    return sum;
  };
  const ranked = (width: number, data: ArrayLike<number>) =>
    Array.from({ length: width }, (_, u) => u).sort((x, y) =>
      total(data, width, y) - total(data, width, x)
    );
  const posts = ranked(n, trajectory.psi);
  const inputs = ranked(nIn, batch.inputs);
  const neurons = ranked(n, trajectory.z);
  const fromOther = (post: number) => neurons.find((i) => i !== post) ?? 0;
  return [
    { kind: "in", pre: inputs[0], post: posts[0] },
    { kind: "in", pre: inputs[Math.min(1, nIn - 1)], post: posts[Math.min(1, n - 1)] },
    { kind: "rec", pre: fromOther(posts[0]), post: posts[0] },
    { kind: "rec", pre: fromOther(posts[Math.min(2, n - 1)]), post: posts[Math.min(2, n - 1)] },
  ];
}

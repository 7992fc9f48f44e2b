/**
 * The firing-rate regularizer of a composed network (EPROP.md section 2) from spike counts: its
 * loss and the signal dE/dz it adds to every population at every step. Pure arithmetic on counts,
 * so that a batch split over workers is regularized exactly as a whole: the workers send their
 * counts, this sums them, and the signals go back.
 *
 * @module
 */
import { RateRegularizer } from "../grad/rate_regularizer.ts";
import type { RegularizationConfig } from "../model/objective.ts";
import type { ResolvedNetwork } from "./network.ts";

/** Spike counts of one population over a batch. */
export interface SpikeCounts {
  /** Per neuron, summed over batch and steps (of z, i.e. spikes / dt). */
  sums: Float64Array;
  /** Per step of the population's own time and neuron, summed over the batch: [T][n] (online type). */
  stepSums?: Float64Array;
}

/** The regularizer's part of a gradient. */
export interface RateRegularization {
  /** Per population: the signal [n] (stride 0, every step) or [T][n] (stride n, online type). */
  signals: { data: Float64Array; stride: number }[];
  /** E_reg summed over populations. */
  loss: number;
  /** Online type: each population's updated rate estimate. */
  estimates?: Float64Array[];
}

/**
 * Computes the regularizer's loss and signals from spike counts.
 *
 * @param net The network.
 * @param cfg The regularizer.
 * @param counts Batch size, steps T, each population's counts (with `stepSums` for the online
 *   type), and the online estimates carried from the previous batch.
 * @returns Signals, loss and updated estimates.
 * @throws {TypeError} When estimates or counts do not match the populations.
 */
export function rateRegularization(
  net: ResolvedNetwork,
  cfg: Required<RegularizationConfig>,
  counts: {
    batchSize: number;
    steps: number;
    populations: SpikeCounts[];
    estimates?: Float64Array[];
  },
): RateRegularization {
  const { batchSize, steps, estimates } = counts;
  if (estimates !== undefined && estimates.length !== net.populations.length) {
    throw new TypeError(
      `Cannot compute gradients: rateEstimates must have one entry per population (${net.populations.length}), got ${estimates.length}`,
    );
  }
  let loss = 0;
  const regs = net.populations.map((pop, i) =>
    new RateRegularizer(cfg, {
      nRec: pop.nRec,
      batchSize,
      steps,
      dt: pop.consts.dt,
      estimate: estimates?.[i],
    })
  );
  const signals = net.populations.map((pop, i) => {
    const n = pop.nRec;
    const c = counts.populations[i];
    const reg = regs[i];
    let out;
    if (reg.online) {
      if (!c.stepSums) throw new TypeError("Cannot regularize: the online type needs stepSums");
      const data = new Float64Array(steps * n);
      for (let t = 0; t < steps; t++) {
        reg.step(c.stepSums.subarray(t * n, (t + 1) * n), data.subarray(t * n, (t + 1) * n));
      }
      out = { data, stride: n };
    } else {
      const data = new Float64Array(n);
      reg.finish(c.sums, data);
      out = { data, stride: 0 };
    }
    loss += reg.loss(c.sums);
    return out;
  });
  return regs.some((r) => r.online)
    ? { signals, loss, estimates: regs.map((r) => Float64Array.from(r.estimate)) }
    : { signals, loss };
}

/**
 * Adds the counts of parts of a batch, in order.
 * @param parts Each part's counts per population.
 * @returns The counts of the whole batch.
 */
export function addSpikeCounts(parts: SpikeCounts[][]): SpikeCounts[] {
  return parts[0].map((first, i) => {
    const sums = new Float64Array(first.sums.length);
    const stepSums = first.stepSums ? new Float64Array(first.stepSums.length) : undefined;
    for (const part of parts) {
      part[i].sums.forEach((v, j) => (sums[j] += v));
      if (stepSums) part[i].stepSums!.forEach((v, j) => (stepSums[j] += v));
    }
    return stepSums ? { sums, stepSums } : { sums };
  });
}

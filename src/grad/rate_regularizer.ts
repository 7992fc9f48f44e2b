/**
 * Firing-rate regularizer (EPROP.md sections 2 and 3.3): its loss and its learning signal
 * L^reg_j = dE_reg/dz_j(b,t), which multiplies the UNFILTERED eligibility traces.
 *
 * simple: fbar_j = sum_{b,t} z_j / (B T dt), E = c sum_j (fbar_j - f)^2,
 *         L^reg_j = 2 c (fbar_j - f) / (B T dt), known after the last step.
 * online: r_j(t) = r_j(t-1) + lambda (mean_b z_j(t) / dt - r_j(t-1)), lambda = 1 - exp(-dt/tau),
 *         a running average along the concatenated trial timeline that starts from the estimate
 *         carried over from the previous batch (or f);
 *         L^reg_j(t) = 2 c (r_j(t) - f) / (B T dt), known at step t; E = c sum_j (r_j(T-1) - f)^2.
 *
 * @module
 */
import type { RegularizationConfig } from "../model/objective.ts";
import type { FloatArray } from "./readout_error.ts";
import type { ResolvedNetworkConfig } from "../model/config.ts";

/** The regularizer of one batch of B trials of T steps. */
export class RateRegularizer {
  readonly #cfg: Required<RegularizationConfig>;
  readonly #scale: number;
  readonly #dt: number;
  readonly #batchSize: number;
  readonly #lambda: number;
  /** The running rate estimate (online type), per neuron. */
  readonly estimate: Float64Array;

  /**
   * Prepares the regularizer of one batch.
   *
   * @param cfg A resolved regularizer.
   * @param sizes Neurons, batch size, steps, dt (ms), and for the online type the estimate carried
   *   from the previous batch (default fTarget).
   */
  constructor(
    cfg: Required<RegularizationConfig>,
    sizes: { nRec: number; batchSize: number; steps: number; dt: number; estimate?: Float64Array },
  ) {
    const { nRec, estimate } = sizes;
    this.#cfg = cfg;
    this.#dt = sizes.dt;
    this.#batchSize = sizes.batchSize;
    this.#scale = 1 / (sizes.batchSize * sizes.steps * sizes.dt);
    this.#lambda = 1 - Math.exp(-sizes.dt / cfg.tauMs);
    if (estimate !== undefined && estimate.length !== nRec) {
      throw new TypeError(
        `Cannot regularize: rateEstimate must have length ${nRec}, got ${estimate.length}`,
      );
    }
    this.estimate = estimate
      ? Float64Array.from(estimate)
      : new Float64Array(nRec).fill(cfg.fTarget);
  }

  /** Whether the signal is known at every step (online) or only after the last (simple). */
  get online(): boolean {
    return this.#cfg.type === "online";
  }

  /**
   * Online type: updates the estimate with one step's spike sums and writes L^reg(t).
   * @param stepSums sum over the batch of z_j at this step, per neuron.
   * @param out L^reg_j(t), per neuron.
   */
  step(stepSums: FloatArray, out: FloatArray): void {
    const { c, fTarget } = this.#cfg;
    for (let j = 0; j < this.estimate.length; j++) {
      const rate = stepSums[j] / this.#batchSize / this.#dt;
      this.estimate[j] += this.#lambda * (rate - this.estimate[j]);
      out[j] = 2 * c * (this.estimate[j] - fTarget) * this.#scale;
    }
  }

  /**
   * Simple type: writes L^reg from the total spike sums of the batch.
   * @param totalSums sum over batch and time of z_j, per neuron.
   * @param out L^reg_j.
   */
  finish(totalSums: FloatArray, out: FloatArray): void {
    const { c, fTarget } = this.#cfg;
    for (let j = 0; j < out.length; j++) {
      out[j] = 2 * c * (totalSums[j] * this.#scale - fTarget) * this.#scale;
    }
  }

  /**
   * The regularizer's loss.
   *
   * @param totalSums sum over batch and time of z_j (used by the simple type).
   * @returns The regularizer's loss.
   */
  loss(totalSums: FloatArray): number {
    const { c, fTarget } = this.#cfg;
    let e = 0;
    for (let j = 0; j < this.estimate.length; j++) {
      const f = this.online ? this.estimate[j] : totalSums[j] * this.#scale;
      e += c * (f - fTarget) ** 2;
    }
    return e;
  }
}

/**
 * The regularizer of one batch of a network, if the objective has one.
 * @param cfg The resolved regularizer, or undefined.
 * @param context The network, the batch's size and length, and the carried online estimate.
 * @returns The regularizer, or undefined.
 */
export function batchRegularizer(
  cfg: Required<RegularizationConfig> | undefined,
  context: {
    config: ResolvedNetworkConfig;
    batchSize: number;
    steps: number;
    estimate?: Float64Array;
  },
): RateRegularizer | undefined {
  if (!cfg) return undefined;
  const { nRec, dtMs } = context.config.neuron;
  return new RateRegularizer(cfg, {
    nRec,
    batchSize: context.batchSize,
    steps: context.steps,
    dt: dtMs,
    estimate: context.estimate,
  });
}

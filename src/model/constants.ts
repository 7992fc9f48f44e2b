/**
 * Derived constants of the model: the one place where decays are computed from time constants
 * (EPROP.md notation: alpha = exp(-dt/tau_m), rho = exp(-dt/tau_a), kappa = exp(-dt/tau_out)).
 *
 * @module
 */
import type { ResolvedNetworkConfig } from "./config.ts";

/** Per-step constants shared by every backend. */
export interface ModelConstants {
  /** Membrane decay exp(-dt/tau_m). */
  alpha: number;
  /** Adaptation decay exp(-dt/tau_a). */
  rho: number;
  /** Readout decay exp(-dt/tau_out). */
  kappa: number;
  /** Readout filter gain: 1 - kappa ("normalized") or 1 ("paper"). */
  c: number;
  /** Input scaling: 1 or 1 - alpha ("leaky"). */
  s: number;
  /** Base threshold. */
  thr: number;
  /** Dampening factor of the pseudo-derivative. */
  gamma: number;
  /** Time step in ms. */
  dt: number;
  /** Refractory steps. */
  nRef: number;
}

/**
 * Derives the per-step constants of a network.
 *
 * @param config A resolved configuration.
 * @returns Its per-step constants.
 */
export function deriveConstants(config: ResolvedNetworkConfig): ModelConstants {
  const { neuron, readout } = config;
  const alpha = Math.exp(-neuron.dtMs / neuron.tauMMs);
  const kappa = Math.exp(-neuron.dtMs / readout.tauOutMs);
  return {
    alpha,
    rho: Math.exp(-neuron.dtMs / neuron.tauAMs),
    kappa,
    c: readout.filter === "normalized" ? 1 - kappa : 1,
    s: neuron.inputScaling === "leaky" ? 1 - alpha : 1,
    thr: neuron.thr,
    gamma: neuron.dampening,
    dt: neuron.dtMs,
    nRef: neuron.nRef,
  };
}

/**
 * The Fig. 3 adaptation strength beta = factor (1 - rho) / (1 - alpha) (EPROP.md section 7).
 *
 * @param tauAMs Adaptation time constant (ms).
 * @param tauMMs Membrane time constant (ms).
 * @param options `factor` (default 1.7) and `dtMs` (default 1).
 * @returns beta; about 0.01742 for tau_a 2000, tau_m 20.
 *
 * @example
 * ```ts
 * import { adaptationBeta } from "./constants.ts";
 * import assert from "node:assert/strict";
 * assert.ok(Math.abs(adaptationBeta(2000, 20) - 0.01742) < 1e-5);
 * ```
 */
export function adaptationBeta(
  tauAMs: number,
  tauMMs: number,
  options: { factor?: number; dtMs?: number } = {},
): number {
  const dt = options.dtMs ?? 1;
  const factor = options.factor ?? 1.7;
  return factor * (1 - Math.exp(-dt / tauAMs)) / (1 - Math.exp(-dt / tauMMs));
}

/**
 * Network configurations of the paper's experiments (EPROP.md section 7).
 *
 * @module
 */
import type { NetworkConfig } from "./config.ts";
import { adaptationBeta } from "./constants.ts";

/** Options of {@linkcode fig3Network}. */
export interface Fig3NetworkOptions {
  /** Number of LIF neurons (default 50). */
  nRegular?: number;
  /** Number of ALIF neurons (default 50). */
  nAdaptive?: number;
  /** Adaptation time constant in ms (default 2000). */
  tauAMs?: number;
  /** Membrane time constant in ms (default 20). */
  tauMMs?: number;
  /** Readout time constant in ms (default 20). */
  tauOutMs?: number;
  /** Base threshold (default 0.6). */
  thr?: number;
  /** Refractory steps (default 5). */
  nRef?: number;
  /** Dampening factor (default 0.3). */
  dampening?: number;
  /** Time step in ms (default 1). */
  dtMs?: number;
}

/**
 * The Fig. 3 evidence-accumulation network: 40 inputs, 50 LIF + 50 ALIF neurons
 * (beta = 1.7 (1 - rho) / (1 - alpha)), two readouts with the normalized filter and no bias.
 *
 * @param options Overrides of the paper's values.
 * @returns The configuration.
 *
 * @example
 * ```ts
 * import { fig3Network } from "./presets.ts";
 * import assert from "node:assert/strict";
 * const c = fig3Network();
 * assert.equal(c.neuron.nRec, 100);
 * ```
 */
export function fig3Network(options: Fig3NetworkOptions = {}): NetworkConfig {
  const nRegular = options.nRegular ?? 50;
  const nAdaptive = options.nAdaptive ?? 50;
  const tauAMs = options.tauAMs ?? 2000;
  const tauMMs = options.tauMMs ?? 20;
  const dtMs = options.dtMs ?? 1;
  const beta = adaptationBeta(tauAMs, tauMMs, { dtMs });
  return {
    neuron: {
      nIn: 40,
      nRec: nRegular + nAdaptive,
      tauMMs,
      tauAMs,
      thr: options.thr ?? 0.6,
      beta: Array.from({ length: nRegular + nAdaptive }, (_, j) => (j < nRegular ? 0 : beta)),
      dampening: options.dampening ?? 0.3,
      nRef: options.nRef ?? 5,
      dtMs,
    },
    readout: { nOut: 2, tauOutMs: options.tauOutMs ?? 20, filter: "normalized", bias: false },
  };
}

/** Options of {@linkcode figS7Network}. */
export interface FigS7NetworkOptions {
  /** Input channels (default 100). */
  nIn?: number;
  /** LIF neurons (default 100). */
  nRec?: number;
  /** Outputs, one target each (default 1). */
  nOut?: number;
  /** Membrane and readout time constant in ms (default 30). */
  tauMs?: number;
  /** Threshold (default 0.03). */
  thr?: number;
  /** Dampening factor (default 0.3). */
  dampening?: number;
  /** Time step in ms (default 1). */
  dtMs?: number;
}

/**
 * The Fig. S7 pattern-generation network: 100 inputs, 100 LIF neurons (no adaptation, no
 * refractory period) with leaky input scaling, tau_m = tau_out = 30 ms, threshold 0.03, one
 * readout with the normalized filter and no bias.
 *
 * @param options Overrides of the paper's values.
 * @returns The configuration.
 *
 * @example
 * ```ts
 * import { figS7Network } from "./presets.ts";
 * import assert from "node:assert/strict";
 * const c = figS7Network();
 * assert.equal(c.neuron.inputScaling, "leaky");
 * assert.equal(c.readout.tauOutMs, 30);
 * ```
 */
export function figS7Network(options: FigS7NetworkOptions = {}): NetworkConfig {
  const tauMs = options.tauMs ?? 30;
  return {
    neuron: {
      nIn: options.nIn ?? 100,
      nRec: options.nRec ?? 100,
      tauMMs: tauMs,
      thr: options.thr ?? 0.03,
      beta: 0,
      dampening: options.dampening ?? 0.3,
      nRef: 0,
      dtMs: options.dtMs ?? 1,
      inputScaling: "leaky",
    },
    readout: { nOut: options.nOut ?? 1, tauOutMs: tauMs, filter: "normalized", bias: false },
  };
}

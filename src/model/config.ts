/**
 * Network configuration: plain typed objects with documented defaults and units, validated once
 * by {@linkcode resolveNetworkConfig}. Decays are derived in one place, `constants.ts`.
 *
 * @module
 */
import { checkChoice, checkFiniteArray, checkNumber } from "../util/errors.ts";

/** How the synaptic input enters the membrane (EPROP.md section 1). */
export type InputScaling = "one" | "leaky";
/** Readout filter gain c: "normalized" c = 1 - kappa, "paper" c = 1 (EPROP.md section 2). */
export type ReadoutFilter = "normalized" | "paper";

/**
 * The neurons of one LSNN population (EPROP.md section 1): LIF neurons (beta = 0) and ALIF neurons
 * (beta > 0) mixed freely. The single population of Figs. 3/S7 and every layer of a composed
 * network share these fields and defaults.
 */
export interface PopulationNeuronParams {
  /** Number of recurrent neurons. */
  nRec: number;
  /** Membrane time constant in ms (default 20). */
  tauMMs?: number;
  /** Threshold-adaptation time constant in ms (default 2000). */
  tauAMs?: number;
  /** Base threshold (default 0.6). */
  thr?: number;
  /** Adaptation strength per neuron, or one value for all (default 0: all LIF). */
  beta?: number | ArrayLike<number>;
  /** Dampening factor gamma of the pseudo-derivative (default 0.3). */
  dampening?: number;
  /** Refractory counter; 0 or 1 means none (default 0). */
  nRef?: number;
  /** "one": s = 1 (paper); "leaky": s = 1 - alpha (Fig. S7 tutorial). Default "one". */
  inputScaling?: InputScaling;
}

/** The single population of Figs. 3/S7: its neurons, inputs and time step. */
export interface NeuronParams extends PopulationNeuronParams {
  /** Number of input channels. */
  nIn: number;
  /** Time step in ms (default 1). */
  dtMs?: number;
}

/** The leaky readout y = zbar @ w_out (+ b). */
export interface ReadoutParams {
  /** Number of outputs. */
  nOut: number;
  /** Readout time constant in ms (default 20). */
  tauOutMs?: number;
  /** Filter gain (default "normalized"). */
  filter?: ReadoutFilter;
  /** Whether the readout has a trainable bias (default false). */
  bias?: boolean;
}

/** A whole network: one LSNN population and its readout. */
export interface NetworkConfig {
  /** The recurrent population. */
  neuron: NeuronParams;
  /** The readout. */
  readout: ReadoutParams;
}

/** A validated configuration with every default filled in. */
export interface ResolvedNetworkConfig {
  /** The population, with beta expanded to one value per neuron. */
  neuron: Required<Omit<NeuronParams, "beta">> & { beta: Float64Array };
  /** The readout. */
  readout: Required<ReadoutParams>;
}

const ACTION = "build network";

/**
 * Validates a configuration and fills in defaults.
 *
 * @param config The configuration.
 * @returns The resolved configuration.
 * @throws {TypeError} For a missing or non-numeric field, or a beta of the wrong length.
 * @throws {RangeError} For an out-of-range value, e.g. a negative time constant.
 *
 * @example Defaults
 * ```ts
 * import { resolveNetworkConfig } from "./config.ts";
 * import assert from "node:assert/strict";
 * const c = resolveNetworkConfig({ neuron: { nIn: 2, nRec: 3 }, readout: { nOut: 1 } });
 * assert.equal(c.neuron.tauMMs, 20);
 * assert.deepEqual([...c.neuron.beta], [0, 0, 0]);
 * ```
 */
export function resolveNetworkConfig(config: NetworkConfig): ResolvedNetworkConfig {
  if (typeof config !== "object" || config === null) {
    throw new TypeError(`Cannot ${ACTION}: config must be an object, got ${config}`);
  }
  const n = config.neuron;
  const r = config.readout;
  if (typeof n !== "object" || n === null) {
    throw new TypeError(`Cannot ${ACTION}: neuron must be an object, got ${n}`);
  }
  if (typeof r !== "object" || r === null) {
    throw new TypeError(`Cannot ${ACTION}: readout must be an object, got ${r}`);
  }
  const positiveInt = { min: 1, integer: true };
  const positive = { min: 0, exclusiveMin: true };
  const nRec = checkNumber(ACTION, "neuron.nRec", n.nRec, positiveInt);
  const betaIn = n.beta ?? 0;
  const beta = typeof betaIn === "number"
    ? new Float64Array(nRec).fill(checkNumber(ACTION, "neuron.beta", betaIn, { min: 0 }))
    : checkFiniteArray(ACTION, "neuron.beta", betaIn, nRec);
  beta.forEach((b, j) => checkNumber(ACTION, `neuron.beta[${j}]`, b, { min: 0 }));
  return {
    neuron: {
      nIn: checkNumber(ACTION, "neuron.nIn", n.nIn, positiveInt),
      nRec,
      tauMMs: checkNumber(ACTION, "neuron.tauMMs", n.tauMMs ?? 20, positive),
      tauAMs: checkNumber(ACTION, "neuron.tauAMs", n.tauAMs ?? 2000, positive),
      thr: checkNumber(ACTION, "neuron.thr", n.thr ?? 0.6, positive),
      beta,
      dampening: checkNumber(ACTION, "neuron.dampening", n.dampening ?? 0.3, { min: 0 }),
      nRef: checkNumber(ACTION, "neuron.nRef", n.nRef ?? 0, { min: 0, integer: true }),
      dtMs: checkNumber(ACTION, "neuron.dtMs", n.dtMs ?? 1, positive),
      inputScaling: checkChoice(ACTION, "neuron.inputScaling", n.inputScaling ?? "one", [
        "one",
        "leaky",
      ]),
    },
    readout: {
      nOut: checkNumber(ACTION, "readout.nOut", r.nOut, positiveInt),
      tauOutMs: checkNumber(ACTION, "readout.tauOutMs", r.tauOutMs ?? 20, positive),
      filter: checkChoice(ACTION, "readout.filter", r.filter ?? "normalized", [
        "normalized",
        "paper",
      ]),
      bias: typeof r.bias === "boolean" || r.bias === undefined ? r.bias ?? false : (() => {
        throw new TypeError(`Cannot ${ACTION}: readout.bias must be a boolean, got ${r.bias}`);
      })(),
    },
  };
}

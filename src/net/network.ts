/**
 * Composable networks: an input stage, stacked (optionally bidirectional) LSNN layers and any
 * number of leaky readout heads, described as plain data and resolved once into the populations
 * and heads that every backend computes (NETWORK_CASE.md).
 *
 * - Input stage: `nIn` real values (spikes or features) per frame, each frame presented for
 *   `repeat` steps; sequences have their own lengths (in frames).
 * - Layer: one LSNN population reading forward in time, or two (forward, then a backward one that
 *   runs on each sequence reversed within its valid length) whose spikes are concatenated,
 *   forward first. Layer l > 0 reads layer l-1's spikes of the same step.
 * - Head: zbar(u) = kappa zbar(u-1) + c s(u), y(u) = zbar(u) w_out + b, where s is the features of
 *   the last layer (`from: "last"`) or of all layers concatenated (`"all"`), per step (`pool:
 *   "none"`) or averaged over each frame's `repeat` steps (`"frame_mean"`, u counts frames).
 *
 * @module
 */
import type { PopulationNeuronParams, ReadoutFilter } from "../model/config.ts";
import { checkChoice, checkFiniteArray, checkNumber, describe } from "../util/errors.ts";

/** Neuron parameters of one layer: those of the single population (EPROP.md section 1). */
export type LayerNeuronSpec = PopulationNeuronParams;

/** One LSNN layer. */
export interface LayerSpec {
  /** Neuron parameters (shared by both directions of a bidirectional layer). */
  neuron: LayerNeuronSpec;
  /** Two populations, forward and time-reversed, features concatenated (default false). */
  bidirectional?: boolean;
}

/** How a head pools its features in time. */
export type HeadPool = "none" | "frame_mean";

/** Which layers a head reads. */
export type HeadSource = "last" | "all";

/** One leaky readout head. */
export interface HeadSpec {
  /** Name (default "head<i>"), e.g. "policy" or "value". */
  name?: string;
  /** Number of outputs. */
  nOut: number;
  /** Layers read: "last" (default) or "all" concatenated. */
  from?: HeadSource;
  /** Time axis: "none" (per step, default) or "frame_mean" (per frame). */
  pool?: HeadPool;
  /**
   * Filter time constant in units of the head's time axis: ms for pool "none"
   * (kappa = exp(-dt/tauOut)), frames for "frame_mean" (kappa = exp(-1/tauOut)). Default 20.
   */
  tauOut?: number;
  /** "normalized" (c = 1 - kappa, default) or "paper" (c = 1). */
  filter?: ReadoutFilter;
  /** Whether y has a bias (default false). */
  bias?: boolean;
}

/** A whole network. */
export interface NetworkSpec {
  /** Input values per frame. */
  nIn: number;
  /** Time step (ms), default 1. */
  dtMs?: number;
  /** Steps per input frame, default 1. */
  repeat?: number;
  /** Layers, bottom first (at least one). */
  layers: LayerSpec[];
  /** Heads (at least one). */
  heads: HeadSpec[];
}

/** Derived constants of one population. */
export interface PopulationConstants {
  /** exp(-dt/tau_m). */
  alpha: number;
  /** exp(-dt/tau_a). */
  rho: number;
  /** Base threshold. */
  thr: number;
  /** Pseudo-derivative dampening. */
  gamma: number;
  /** Input scaling s. */
  s: number;
  /** Time step (ms). */
  dt: number;
  /** Refractory steps. */
  nRef: number;
}

/** One LSNN population of a resolved network. */
export interface Population {
  /** Index in {@linkcode ResolvedNetwork.populations}. */
  index: number;
  /** Layer index. */
  layer: number;
  /** "forward" or "backward" (time-reversed within each sequence). */
  direction: "forward" | "backward";
  /** Inputs it reads: nIn for layer 0, the width of the layer below otherwise. */
  nIn: number;
  /** Neurons. */
  nRec: number;
  /** Adaptation strength per neuron. */
  beta: Float64Array;
  /** Derived constants. */
  consts: PopulationConstants;
  /** Offset of its spikes in its layer's features. */
  layerOffset: number;
  /** Offset of its spikes in all layers' features concatenated. */
  offset: number;
}

/** A resolved head. */
export interface ResolvedHead {
  /** Name. */
  name: string;
  /** Outputs. */
  nOut: number;
  /** Layers read. */
  from: HeadSource;
  /** Time axis. */
  pool: HeadPool;
  /** Filter decay per unit of the head's time axis. */
  kappa: number;
  /** Filter input factor. */
  c: number;
  /** Whether y has a bias. */
  bias: boolean;
  /** Features read (rows of w_out). */
  nFeat: number;
  /** Offset of the first feature read in all layers' features concatenated. */
  featureOffset: number;
  /** The spec, with defaults filled in. */
  spec: Required<HeadSpec>;
}

/** A network resolved into populations and heads. */
export interface ResolvedNetwork {
  /** Inputs per frame. */
  nIn: number;
  /** Time step (ms). */
  dtMs: number;
  /** Steps per frame. */
  repeat: number;
  /** Per layer: its populations and feature width. */
  layers: { populations: Population[]; width: number; bidirectional: boolean }[];
  /** All populations, bottom layer first, forward before backward. */
  populations: Population[];
  /** The heads. */
  heads: ResolvedHead[];
  /** Width of all layers' features concatenated. */
  featureWidth: number;
  /** The spec, with defaults filled in (what a checkpoint stores). */
  spec: NetworkSpec;
}

const ACTION = "build network";

/**
 * Validates a network description and derives its populations and heads.
 *
 * @param spec The network.
 * @returns The resolved network.
 * @throws {TypeError|RangeError} Naming the first invalid field.
 *
 * @example A bidirectional layer with a pooled head
 * ```ts
 * import { resolveNetwork } from "./network.ts";
 * import assert from "node:assert/strict";
 * const net = resolveNetwork({
 *   nIn: 3, repeat: 5,
 *   layers: [{ neuron: { nRec: 4 }, bidirectional: true }],
 *   heads: [{ nOut: 2, pool: "frame_mean", tauOut: 3, filter: "paper", bias: true }],
 * });
 * assert.equal(net.populations.length, 2);
 * assert.equal(net.heads[0].nFeat, 8);
 * ```
 */
export function resolveNetwork(spec: NetworkSpec): ResolvedNetwork {
  if (typeof spec !== "object" || spec === null) {
    throw new TypeError(`Cannot ${ACTION}: network must be an object, got ${describe(spec)}`);
  }
  const positiveInt = { min: 1, integer: true };
  const positive = { min: 0, exclusiveMin: true };
  const nIn = checkNumber(ACTION, "nIn", spec.nIn, positiveInt);
  const dtMs = checkNumber(ACTION, "dtMs", spec.dtMs ?? 1, positive);
  const repeat = checkNumber(ACTION, "repeat", spec.repeat ?? 1, positiveInt);
  if (!Array.isArray(spec.layers) || spec.layers.length === 0) {
    throw new TypeError(
      `Cannot ${ACTION}: layers must be a non-empty array, got ${describe(spec.layers)}`,
    );
  }
  if (!Array.isArray(spec.heads) || spec.heads.length === 0) {
    throw new TypeError(
      `Cannot ${ACTION}: heads must be a non-empty array, got ${describe(spec.heads)}`,
    );
  }
  const layers: ResolvedNetwork["layers"] = [];
  const populations: Population[] = [];
  const layerSpecs: LayerSpec[] = [];
  let width = nIn, offset = 0;
  spec.layers.forEach((layer, l) => {
    const field = `layers[${l}]`;
    if (typeof layer !== "object" || layer === null || typeof layer.neuron !== "object") {
      throw new TypeError(
        `Cannot ${ACTION}: ${field}.neuron must be an object, got ${describe(layer?.neuron)}`,
      );
    }
    const bi = layer.bidirectional ?? false;
    if (typeof bi !== "boolean") {
      throw new TypeError(
        `Cannot ${ACTION}: ${field}.bidirectional must be a boolean, got ${describe(bi)}`,
      );
    }
    const n = resolveNeuron(layer.neuron, `${field}.neuron`, dtMs);
    const pops: Population[] = (bi ? ["forward", "backward"] as const : ["forward"] as const)
      .map((direction, d) => ({
        index: populations.length + d,
        layer: l,
        direction,
        nIn: width,
        nRec: n.nRec,
        beta: Float64Array.from(n.beta),
        consts: { ...n.consts },
        layerOffset: d * n.nRec,
        offset: offset + d * n.nRec,
      }));
    populations.push(...pops);
    width = pops.length * n.nRec;
    offset += width;
    layers.push({ populations: pops, width, bidirectional: bi });
    layerSpecs.push({ neuron: n.spec, bidirectional: bi });
  });
  const lastOffset = offset - width;
  const heads = spec.heads.map((h, i) =>
    resolveHead(h, i, { repeat, dtMs, all: offset, last: width, lastOffset })
  );
  const names = new Set<string>();
  for (const h of heads) {
    if (names.has(h.name)) {
      throw new RangeError(`Cannot ${ACTION}: head names must be unique, "${h.name}" repeats`);
    }
    names.add(h.name);
  }
  return {
    nIn,
    dtMs,
    repeat,
    layers,
    populations,
    heads,
    featureWidth: offset,
    spec: { nIn, dtMs, repeat, layers: layerSpecs, heads: heads.map((h) => h.spec) },
  };
}

function resolveNeuron(n: LayerNeuronSpec, field: string, dt: number) {
  const positive = { min: 0, exclusiveMin: true };
  const nRec = checkNumber(ACTION, `${field}.nRec`, n.nRec, { min: 1, integer: true });
  const betaIn = n.beta ?? 0;
  const beta = typeof betaIn === "number"
    ? new Float64Array(nRec).fill(checkNumber(ACTION, `${field}.beta`, betaIn, { min: 0 }))
    : checkFiniteArray(ACTION, `${field}.beta`, betaIn, nRec);
  beta.forEach((b, j) => checkNumber(ACTION, `${field}.beta[${j}]`, b, { min: 0 }));
  const tauMMs = checkNumber(ACTION, `${field}.tauMMs`, n.tauMMs ?? 20, positive);
  const tauAMs = checkNumber(ACTION, `${field}.tauAMs`, n.tauAMs ?? 2000, positive);
  const thr = checkNumber(ACTION, `${field}.thr`, n.thr ?? 0.6, positive);
  const gamma = checkNumber(ACTION, `${field}.dampening`, n.dampening ?? 0.3, { min: 0 });
  const nRef = checkNumber(ACTION, `${field}.nRef`, n.nRef ?? 0, { min: 0, integer: true });
  const inputScaling = checkChoice(ACTION, `${field}.inputScaling`, n.inputScaling ?? "one", [
    "one",
    "leaky",
  ]);
  const alpha = Math.exp(-dt / tauMMs);
  return {
    nRec,
    beta,
    consts: {
      alpha,
      rho: Math.exp(-dt / tauAMs),
      thr,
      gamma,
      s: inputScaling === "leaky" ? 1 - alpha : 1,
      dt,
      nRef,
    },
    spec: {
      nRec,
      tauMMs,
      tauAMs,
      thr,
      beta: Array.from(beta),
      dampening: gamma,
      nRef,
      inputScaling,
    },
  };
}

function resolveHead(
  h: HeadSpec,
  i: number,
  ctx: { repeat: number; dtMs: number; all: number; last: number; lastOffset: number },
): ResolvedHead {
  const field = `heads[${i}]`;
  if (typeof h !== "object" || h === null) {
    throw new TypeError(`Cannot ${ACTION}: ${field} must be an object, got ${describe(h)}`);
  }
  const name = h.name ?? `head${i}`;
  if (typeof name !== "string" || name === "") {
    throw new TypeError(
      `Cannot ${ACTION}: ${field}.name must be a non-empty string, got ${describe(name)}`,
    );
  }
  const nOut = checkNumber(ACTION, `${field}.nOut`, h.nOut, { min: 1, integer: true });
  const from = checkChoice(ACTION, `${field}.from`, h.from ?? "last", ["last", "all"]);
  const pool = checkChoice(ACTION, `${field}.pool`, h.pool ?? "none", ["none", "frame_mean"]);
  if (pool === "none" && ctx.repeat !== 1) {
    throw new RangeError(
      `Cannot ${ACTION}: ${field}.pool "none" needs repeat 1 (one output per step), got repeat ${ctx.repeat}; use "frame_mean"`,
    );
  }
  const tauOut = checkNumber(ACTION, `${field}.tauOut`, h.tauOut ?? 20, {
    min: 0,
    exclusiveMin: true,
  });
  const filter = checkChoice(ACTION, `${field}.filter`, h.filter ?? "normalized", [
    "normalized",
    "paper",
  ]);
  const bias = h.bias ?? false;
  if (typeof bias !== "boolean") {
    throw new TypeError(`Cannot ${ACTION}: ${field}.bias must be a boolean, got ${describe(bias)}`);
  }
  const kappa = Math.exp(-(pool === "none" ? ctx.dtMs : 1) / tauOut);
  return {
    name,
    nOut,
    from,
    pool,
    kappa,
    c: filter === "normalized" ? 1 - kappa : 1,
    bias,
    nFeat: from === "all" ? ctx.all : ctx.last,
    featureOffset: from === "all" ? 0 : ctx.lastOffset,
    spec: { name, nOut, from, pool, tauOut, filter, bias },
  };
}

/**
 * Lists the populations a head reads.
 *
 * @param net The network.
 * @param head A head of it.
 * @returns The populations the head reads, with the rows of its w_out that read each one.
 */
export function headReads(
  net: ResolvedNetwork,
  head: ResolvedHead,
): { population: Population; row: number }[] {
  return net.populations
    .filter((p) => p.offset >= head.featureOffset && p.offset < head.featureOffset + head.nFeat)
    .map((population) => ({ population, row: population.offset - head.featureOffset }));
}

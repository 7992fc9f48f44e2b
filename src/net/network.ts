/**
 * Composable networks: an input stage, stacked layers of three kinds and any number of leaky
 * readout heads, described as plain data and resolved once into the populations and heads that
 * every backend computes (NETWORK_CASE.md).
 *
 * - Input stage: `nIn` real values (spikes or features) per frame, each frame presented for
 *   `repeat` steps; sequences have their own lengths (in frames).
 * - Layer kinds (`kind`, default "lsnn", so a spec without kinds is a stack of LSNN layers):
 *   "lsnn", a population of LIF/ALIF neurons (EPROP.md 1); "lstm", an LSTM layer of `nHidden`
 *   units (EPROP.md 7, the Fig. 2 baseline; its definition: lstm_spec.ts); "conv", a spiking
 *   convolutional front end (spiking_conv_spec.ts, the single definition of its stages), which
 *   reads the frames, so it can only be layer 0.
 * - Bidirectional is a wrapper around a recurrent layer (lsnn, lstm): two units, forward, then a
 *   backward one that runs on each sequence reversed within its valid length, whose features are
 *   concatenated, forward first. Layer l > 0 reads layer l-1's features of the same step.
 * - Which engine runs which kinds: {@linkcode checkLayerKinds} (each engine calls it).
 * - Head: zbar(u) = kappa zbar(u-1) + c s(u), y(u) = zbar(u) w_out + b, where s is the features of
 *   the last layer (`from: "last"`) or of all layers concatenated (`"all"`), per step (`pool:
 *   "none"`) or averaged over each frame's `repeat` steps (`"frame_mean"`, u counts frames).
 *
 * @module
 */
import type { PopulationNeuronParams, ReadoutFilter } from "../model/config.ts";
import { checkChoice, checkFiniteArray, checkNumber, describe } from "../util/errors.ts";
import { type HeadPoolSpec, type ResolvedHeadPool, resolveHeadPools } from "./head_pools.ts";
import {
  type ResolvedSpikingConvSpec,
  resolveSpikingConvSpec,
  type SpikingConvSpec,
} from "./spiking_conv_spec.ts";

/** Neuron parameters of one layer: those of the single population (EPROP.md section 1). */
export type LayerNeuronSpec = PopulationNeuronParams;

/** The kinds of layer a {@linkcode NetworkSpec} stacks. */
export type LayerKind = "lsnn" | "lstm" | "conv";

/** Every {@linkcode LayerKind}. */
export const LAYER_KINDS: readonly LayerKind[] = ["lsnn", "lstm", "conv"];

/** One LSNN layer (the kind a layer without `kind` has). */
export interface LsnnLayerSpec {
  /** "lsnn" (the default when omitted). */
  kind?: "lsnn";
  /** Neuron parameters (shared by both directions of a bidirectional layer). */
  neuron: LayerNeuronSpec;
  /** Two populations, forward and time-reversed, features concatenated (default false). */
  bidirectional?: boolean;
}

/**
 * One LSTM layer: `nHidden` units per direction, gates packed [i | f | g | o] with a bias
 * (lstm_spec.ts defines its parameters and initialisation).
 */
export interface LstmLayerSpec {
  /** "lstm". */
  kind: "lstm";
  /** LSTM units per direction (H). */
  nHidden: number;
  /** Two directions, forward and time-reversed, hidden states concatenated (default false). */
  bidirectional?: boolean;
}

/**
 * A spiking convolutional front end: all its stages in one layer, as one
 * {@linkcode SpikingConvSpec} (the single definition of the stages, their shared neuron
 * constants and geometry chain; a stage's `bias` is there too). It reads the frames: only layer 0,
 * with nIn = height x width x channels; its `stepsPerFrame` and `dtMs` default to the network's
 * `repeat` and `dtMs` and must equal them. The next layer reads its last stage's spikes.
 */
export interface ConvLayerSpec {
  /** "conv". */
  kind: "conv";
  /** The stages and their constants (every field defaults as in spiking_conv_spec.ts). */
  conv: SpikingConvSpec;
  /**
   * What heads read of it (as its features in "all"), shorthand: its first stage's spikes
   * average-pooled over non-overlapping pool x pool blocks (headPools [{layer 0, kernel pool,
   * stride pool}]). Not with `headPools`. Default (neither): its last stage's spikes.
   */
  pool?: number;
  /**
   * What heads read of it (as its features in "all"): stages' spikes average-pooled, each a
   * window of side `kernel` moved by `stride` with no padding (./head_pools.ts; the Atari
   * agent's heads: stage 0 8x8/4 and stage 1 4x4/2), the pools' features in order. Not with
   * `pool`.
   */
  headPools?: readonly HeadPoolSpec[];
}

/** One layer: a discriminated union by `kind` ("lsnn" when omitted). */
export type LayerSpec = LsnnLayerSpec | LstmLayerSpec | ConvLayerSpec;

/** How a head pools its features in time. */
export type HeadPool = "none" | "frame_mean" | "frame_last";

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
  /**
   * Time axis: "none" (per step, default), "frame_mean" (per frame, the features averaged over
   * the frame's steps) or "frame_last" (per frame: the filter runs every step and is read at the
   * frame's last step, as the Atari agent's heads; no whole-sequence engine runs it yet).
   */
  pool?: HeadPool;
  /**
   * Filter time constant in units of the head's filter: ms for pool "none" and "frame_last"
   * (kappa = exp(-dt/tauOut)), frames for "frame_mean" (kappa = exp(-1/tauOut)). Default 20.
   * 0 means no filter (kappa 0, c 1: y = s w_out + b, the LSTM's readout).
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

/** One unit of a recurrent layer: a direction of an LSNN or LSTM layer. */
export interface LayerUnit {
  /** Layer index. */
  layer: number;
  /** "forward" or "backward" (time-reversed within each sequence). */
  direction: "forward" | "backward";
  /** Inputs it reads. */
  nIn: number;
  /** Its features: neurons (lsnn) or hidden units (lstm). */
  size: number;
  /** Offset of its features in its layer's features. */
  layerOffset: number;
  /** Offset of its features in all layers' features concatenated. */
  offset: number;
}

/**
 * One resolved layer. An LSNN layer is `{ populations, width, bidirectional }` exactly as before
 * layer kinds (no `kind`); the other kinds say theirs and have no LSNN populations.
 */
export interface ResolvedLayer {
  /** "lstm" or "conv"; absent for an LSNN layer. */
  kind?: "lstm" | "conv";
  /** Its LSNN populations (none for lstm and conv). */
  populations: Population[];
  /** Features the next layer reads (both directions for a bidirectional layer). */
  width: number;
  /** Whether it runs in both directions. */
  bidirectional: boolean;
  /** lstm: units per direction. */
  nHidden?: number;
  /** lstm: its directions (forward, then backward). */
  units?: LayerUnit[];
  /** conv: the resolved stages. */
  conv?: ResolvedSpikingConvSpec;
  /** conv: the pooling side of the `pool` shorthand (0: not given). */
  pool?: number;
  /** conv: the pooled readouts heads read (none: the last stage's spikes). */
  headPools?: ResolvedHeadPool[];
  /** conv: the features heads read of it (its part of "all"). */
  headWidth?: number;
}

/** A network resolved into populations and heads. */
export interface ResolvedNetwork {
  /** Inputs per frame. */
  nIn: number;
  /** Time step (ms). */
  dtMs: number;
  /** Steps per frame. */
  repeat: number;
  /** Per layer: its populations (LSNN), units (LSTM) or stages (conv) and feature width. */
  layers: ResolvedLayer[];
  /** All LSNN populations, bottom layer first, forward before backward. */
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
  // width: what the next layer reads; offset: all layers' head features so far; last: the last
  // layer's head features
  let width = nIn, offset = 0, last = 0;
  spec.layers.forEach((layer, l) => {
    const field = `layers[${l}]`;
    if (typeof layer !== "object" || layer === null) {
      throw new TypeError(`Cannot ${ACTION}: ${field} must be an object, got ${describe(layer)}`);
    }
    const kind = checkChoice(ACTION, `${field}.kind`, layer.kind ?? "lsnn", LAYER_KINDS);
    if (kind === "conv") {
      const c = resolveConvLayer(layer as ConvLayerSpec, l, { width, dtMs, repeat });
      layers.push(c.layer);
      layerSpecs.push(c.spec);
      width = c.layer.width;
      offset += c.layer.headWidth!;
      last = c.layer.headWidth!;
      return;
    }
    const bi = (layer as LsnnLayerSpec | LstmLayerSpec).bidirectional ?? false;
    if (typeof bi !== "boolean") {
      throw new TypeError(
        `Cannot ${ACTION}: ${field}.bidirectional must be a boolean, got ${describe(bi)}`,
      );
    }
    const directions = bi ? ["forward", "backward"] as const : ["forward"] as const;
    if (kind === "lstm") {
      const nHidden = checkNumber(ACTION, `${field}.nHidden`, (layer as LstmLayerSpec).nHidden, {
        min: 1,
        integer: true,
      });
      const units = directions.map((direction, d): LayerUnit => ({
        layer: l,
        direction,
        nIn: width,
        size: nHidden,
        layerOffset: d * nHidden,
        offset: offset + d * nHidden,
      }));
      width = units.length * nHidden;
      offset += width;
      last = width;
      layers.push({ kind, populations: [], width, bidirectional: bi, nHidden, units });
      layerSpecs.push({ kind, nHidden, bidirectional: bi });
      return;
    }
    const neuron = (layer as LsnnLayerSpec).neuron;
    if (typeof neuron !== "object" || neuron === null) {
      throw new TypeError(
        `Cannot ${ACTION}: ${field}.neuron must be an object, got ${describe(neuron)}`,
      );
    }
    const n = resolveNeuron(neuron, `${field}.neuron`, dtMs);
    const pops: Population[] = directions.map((direction, d) => ({
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
    last = width;
    layers.push({ populations: pops, width, bidirectional: bi });
    layerSpecs.push({ neuron: n.spec, bidirectional: bi });
  });
  const lastOffset = offset - last;
  const heads = spec.heads.map((h, i) =>
    resolveHead(h, i, { repeat, dtMs, all: offset, last, lastOffset })
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

function resolveConvLayer(
  layer: ConvLayerSpec,
  l: number,
  ctx: { width: number; dtMs: number; repeat: number },
): { layer: ResolvedLayer; spec: ConvLayerSpec } {
  const field = `layers[${l}]`;
  if (
    "bidirectional" in layer && (layer as { bidirectional?: unknown }).bidirectional !== undefined
  ) {
    throw new TypeError(
      `Cannot ${ACTION}: ${field}.bidirectional applies to recurrent layers (lsnn, lstm); a conv layer is feed-forward in time and cannot be bidirectional`,
    );
  }
  if (l !== 0) {
    throw new RangeError(
      `Cannot ${ACTION}: ${field}.kind "conv" must be layer 0 (a spiking conv front end reads the frames), got it at layer ${l}`,
    );
  }
  const c = layer.conv;
  if (typeof c !== "object" || c === null) {
    throw new TypeError(`Cannot ${ACTION}: ${field}.conv must be an object, got ${describe(c)}`);
  }
  for (
    const [key, net, name] of [["stepsPerFrame", ctx.repeat, "repeat"], [
      "dtMs",
      ctx.dtMs,
      "dtMs",
    ]] as const
  ) {
    if (c[key] !== undefined && c[key] !== net) {
      throw new RangeError(
        `Cannot ${ACTION}: ${field}.conv.${key} must equal the network's ${name} ${net}, got ${
          describe(c[key])
        }`,
      );
    }
  }
  let conv: ResolvedSpikingConvSpec;
  try {
    conv = resolveSpikingConvSpec({ ...c, stepsPerFrame: ctx.repeat, dtMs: ctx.dtMs });
  } catch (e) {
    if (!(e instanceof Error)) throw e;
    const message = e.message.replace(/^Cannot [^:]*: /, `Cannot ${ACTION}: ${field}.conv.`);
    throw e instanceof RangeError ? new RangeError(message) : new TypeError(message);
  }
  const pixels = conv.height * conv.width * conv.channels;
  if (pixels !== ctx.width) {
    throw new RangeError(
      `Cannot ${ACTION}: ${field}.conv reads frames of ${conv.height}x${conv.width}x${conv.channels} = ${pixels} values, but nIn is ${ctx.width}`,
    );
  }
  const first = conv.layers[0], top = conv.layers[conv.layers.length - 1];
  let pool = 0, headWidth = top.units, headPools: ResolvedHeadPool[] | undefined;
  if (layer.pool !== undefined && layer.headPools !== undefined) {
    throw new TypeError(`Cannot ${ACTION}: ${field} takes headPools or pool, not both`);
  }
  if (layer.pool !== undefined) {
    pool = checkNumber(ACTION, `${field}.pool`, layer.pool, {
      min: 1,
      max: Math.min(first.height, first.width),
      integer: true,
    });
    headPools = resolveHeadPools(
      conv.layers,
      [{ layer: 0, kernel: pool, stride: pool }],
      ACTION,
      `${field}.pool`,
    );
  }
  if (layer.headPools !== undefined) {
    headPools = resolveHeadPools(conv.layers, layer.headPools, ACTION, `${field}.headPools`);
  }
  if (headPools) headWidth = headPools.reduce((a, p) => a + p.units, 0);
  const spec: ConvLayerSpec = {
    kind: "conv",
    conv: {
      height: conv.height,
      width: conv.width,
      channels: conv.channels,
      layers: conv.layers.map(({ filters, kernel, stride, bias }) => ({
        filters,
        kernel,
        stride,
        bias,
      })),
      stepsPerFrame: conv.stepsPerFrame,
      thr: conv.thr,
      tauMMs: conv.tauMMs,
      dtMs: conv.dtMs,
      dampening: conv.dampening,
      inputScaling: conv.inputScaling,
    },
  };
  if (pool > 0) spec.pool = pool;
  else if (headPools) {
    spec.headPools = headPools.map(({ layer, kernel, stride }) => ({ layer, kernel, stride }));
  }
  return {
    layer: {
      kind: "conv",
      populations: [],
      width: top.units,
      bidirectional: false,
      conv,
      pool,
      headPools,
      headWidth,
    },
    spec,
  };
}

/**
 * The units of a recurrent layer, forward first: its populations (lsnn) or directions (lstm).
 * @param layer A resolved layer.
 * @returns Its units (none for a conv layer).
 */
export function layerUnits(layer: ResolvedLayer): LayerUnit[] {
  if (layer.kind === "lstm") return layer.units!;
  if (layer.kind === "conv") return [];
  return layer.populations.map((p) => ({
    layer: p.layer,
    direction: p.direction,
    nIn: p.nIn,
    size: p.nRec,
    layerOffset: p.layerOffset,
    offset: p.offset,
  }));
}

/**
 * The kind of a layer, resolved or not.
 * @param layer A layer or a resolved layer.
 * @returns Its kind ("lsnn" for a layer without `kind`).
 */
export function layerKind(layer: ResolvedLayer | LayerSpec): LayerKind {
  return layer.kind ?? "lsnn";
}

/**
 * Refuses a network that an engine cannot run: a layer of a kind it does not run, or a head
 * pooling it does not compute.
 *
 * @param net The resolved network.
 * @param engine The engine's name, for the message (e.g. "wasm network (LSNN)").
 * @param kinds The layer kinds it runs.
 * @param pools The head poolings it computes (default "none" and "frame_mean").
 * @throws {RangeError} Naming the engine, the layer (or head) and its kind.
 *
 * @example An LSTM layer is not an LSNN engine's
 * ```ts
 * import { checkLayerKinds, resolveNetwork } from "./network.ts";
 * import assert from "node:assert/strict";
 * const net = resolveNetwork({ nIn: 2, layers: [{ kind: "lstm", nHidden: 3 }], heads: [{ nOut: 1 }] });
 * assert.throws(() => checkLayerKinds(net, "tfjs", ["lsnn"]), /engine tfjs: layers\[0\]\.kind "lstm"/);
 * ```
 */
export function checkLayerKinds(
  net: ResolvedNetwork,
  engine: string,
  kinds: readonly LayerKind[],
  pools: readonly HeadPool[] = ["none", "frame_mean"],
): void {
  net.layers.forEach((layer, l) => {
    const kind = layerKind(layer);
    if (!kinds.includes(kind)) {
      throw new RangeError(
        `Cannot run network on engine ${engine}: layers[${l}].kind "${kind}" is not one it runs (it runs ${
          kinds.map((k) => `"${k}"`).join(", ")
        }${
          kind === "lstm"
            ? "; the LSTM runs on the wasm engine, as a network of one lstm layer"
            : ""
        }${kind === "conv" ? "; the spiking conv runs on the step engines (agent)" : ""})`,
      );
    }
  });
  net.heads.forEach((h, i) => {
    if (!pools.includes(h.pool)) {
      throw new RangeError(
        `Cannot run network on engine ${engine}: heads[${i}].pool "${h.pool}" is not one it computes (it computes ${
          pools.map((p) => `"${p}"`).join(", ")
        })`,
      );
    }
  });
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
  const pool = checkChoice(ACTION, `${field}.pool`, h.pool ?? "none", [
    "none",
    "frame_mean",
    "frame_last",
  ]);
  if (pool === "none" && ctx.repeat !== 1) {
    throw new RangeError(
      `Cannot ${ACTION}: ${field}.pool "none" needs repeat 1 (one output per step), got repeat ${ctx.repeat}; use "frame_mean"`,
    );
  }
  const tauOut = checkNumber(ACTION, `${field}.tauOut`, h.tauOut ?? 20, { min: 0 });
  const filter = checkChoice(ACTION, `${field}.filter`, h.filter ?? "normalized", [
    "normalized",
    "paper",
  ]);
  const bias = h.bias ?? false;
  if (typeof bias !== "boolean") {
    throw new TypeError(`Cannot ${ACTION}: ${field}.bias must be a boolean, got ${describe(bias)}`);
  }
  // tauOut 0: no filter (exp(-x / 0) = 0 for x > 0)
  const kappa = tauOut === 0 ? 0 : Math.exp(-(pool === "frame_mean" ? 1 : ctx.dtMs) / tauOut);
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

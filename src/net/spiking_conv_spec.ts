/**
 * The spiking convolutional network's definition (the model layer): layer shapes, the resolved
 * geometry, parameters, their initialisation and checks, and the state carried between sequences.
 * The engines run it (engine/wasm/spiking_conv.ts, engine/tfjs/spiking_conv_graph.ts).
 *
 * @module
 */
import type { Rng } from "../util/rng.ts";
import { checkChoice, checkFiniteValues, checkNumber, describe } from "../util/errors.ts";

/**
 * One convolutional layer: `filters` output channels, square `kernel`, `stride` (no padding),
 * and optionally a bias per output channel added to its input current at every step.
 */
export interface SpikingConvLayerSpec {
  /** Output channels. */
  filters: number;
  /** Side of the square filter. */
  kernel: number;
  /** Stride in both directions. */
  stride: number;
  /**
   * Whether the layer has a bias b [filters], added to every output channel's input current at
   * every step: I_l(t) = conv(input, W_l) + b_l (default false: no bias, no parameter).
   */
  bias?: boolean;
}

/** The paper's layers (Figs. 4-5): 16 filters 8x8 stride 4, then 8 filters 4x4 stride 1. */
export const ATARI_CONV_LAYERS: readonly SpikingConvLayerSpec[] = Object.freeze([
  Object.freeze({ filters: 16, kernel: 8, stride: 4 }),
  Object.freeze({ filters: 8, kernel: 4, stride: 1 }),
]);

/** Shape and neuron parameters of a spiking CNN; every field defaults to the paper's value. */
export interface SpikingConvSpec {
  /** Frame rows (default 84). */
  height?: number;
  /** Frame columns (default 84). */
  width?: number;
  /** Frame channels (default 1, grey). */
  channels?: number;
  /** The layers, input first (default {@linkcode ATARI_CONV_LAYERS}). */
  layers?: readonly SpikingConvLayerSpec[];
  /** Network steps per frame, each with the frame's input current (default 5). */
  stepsPerFrame?: number;
  /** Threshold (default 0.1). */
  thr?: number;
  /** Membrane time constant in ms (default 1: one step, alpha = exp(-1)). */
  tauMMs?: number;
  /** Time step in ms (default 1); spikes are 1/dt. */
  dtMs?: number;
  /** Dampening factor gamma of the pseudo-derivative (default 1). */
  dampening?: number;
  /** Input scaling s: "one" (s = 1, default) or "leaky" (s = 1 - alpha). */
  inputScaling?: "one" | "leaky";
}

/** One layer's resolved geometry. */
export interface ConvLayerShape {
  /** Input rows, columns, channels. */
  inHeight: number;
  /** Input columns. */
  inWidth: number;
  /** Input channels. */
  inChannels: number;
  /** Filter side. */
  kernel: number;
  /** Stride. */
  stride: number;
  /** Output rows: (inHeight - kernel) / stride + 1, rounded down. */
  height: number;
  /** Output columns. */
  width: number;
  /** Output channels (filters). */
  channels: number;
  /** The same as channels (so that a resolved spec resolves to itself). */
  filters: number;
  /** Neurons per trial: height x width x channels. */
  units: number;
  /** Weights: kernel x kernel x inChannels x channels. */
  weights: number;
  /** Inputs per neuron: kernel x kernel x inChannels. */
  fanIn: number;
  /** Whether the layer has a bias [channels]. */
  bias: boolean;
}

/** A spiking CNN's resolved shape and neuron parameters. */
export interface ResolvedSpikingConvSpec {
  /** Frame rows. */
  height: number;
  /** Frame columns. */
  width: number;
  /** Frame channels. */
  channels: number;
  /** Per layer, input first. */
  layers: readonly ConvLayerShape[];
  /** Network steps per frame. */
  stepsPerFrame: number;
  /** Threshold. */
  thr: number;
  /** Membrane time constant (ms). */
  tauMMs: number;
  /** Time step (ms). */
  dtMs: number;
  /** Dampening factor. */
  dampening: number;
  /** Input scaling. */
  inputScaling: "one" | "leaky";
  /** Membrane decay exp(-dt / tau_m). */
  alpha: number;
  /** Input scaling factor: 1 or 1 - alpha. */
  s: number;
}

/** The action named in errors while building a spiking CNN. */
export const BUILD_SPIKING_CONV = "build spiking CNN";

function positiveInt(field: string, value: unknown, fallback?: number): number {
  const v = value === undefined && fallback !== undefined ? fallback : value;
  return checkNumber(BUILD_SPIKING_CONV, field, v, { min: 1, integer: true });
}

/**
 * Fills in the defaults and derives every layer's geometry.
 * @param spec The shape (default: the paper's).
 * @returns The resolved spec.
 * @throws {TypeError | RangeError} Naming the field, e.g. `layers[1].kernel`.
 *
 * @example The paper's front end
 * ```ts
 * import { resolveSpikingConvSpec } from "./spiking_conv_spec.ts";
 * import assert from "node:assert/strict";
 * const s = resolveSpikingConvSpec();
 * assert.deepEqual(s.layers.map((l) => [l.height, l.width, l.channels]), [[20, 20, 16], [17, 17, 8]]);
 * ```
 */
export function resolveSpikingConvSpec(spec: SpikingConvSpec = {}): ResolvedSpikingConvSpec {
  if (typeof spec !== "object" || spec === null) {
    throw new TypeError(
      `Cannot ${BUILD_SPIKING_CONV}: spec must be an object, got ${describe(spec)}`,
    );
  }
  const height = positiveInt("height", spec.height, 84);
  const width = positiveInt("width", spec.width, 84);
  const channels = positiveInt("channels", spec.channels, 1);
  const stepsPerFrame = positiveInt("stepsPerFrame", spec.stepsPerFrame, 5);
  const thr = checkNumber(BUILD_SPIKING_CONV, "thr", spec.thr ?? 0.1, {
    min: 0,
    exclusiveMin: true,
  });
  const tauMMs = checkNumber(BUILD_SPIKING_CONV, "tauMMs", spec.tauMMs ?? 1, {
    min: 0,
    exclusiveMin: true,
  });
  const dtMs = checkNumber(BUILD_SPIKING_CONV, "dtMs", spec.dtMs ?? 1, {
    min: 0,
    exclusiveMin: true,
  });
  const dampening = checkNumber(BUILD_SPIKING_CONV, "dampening", spec.dampening ?? 1, { min: 0 });
  const inputScaling = checkChoice(BUILD_SPIKING_CONV, "inputScaling", spec.inputScaling ?? "one", [
    "one",
    "leaky",
  ]);
  const raw = spec.layers ?? ATARI_CONV_LAYERS;
  if (!Array.isArray(raw) || raw.length < 1) {
    throw new TypeError(
      `Cannot ${BUILD_SPIKING_CONV}: layers must be a non-empty array of layers, got ${
        describe(raw)
      }`,
    );
  }
  const layers: ConvLayerShape[] = [];
  let inHeight = height, inWidth = width, inChannels = channels;
  raw.forEach((layer: SpikingConvLayerSpec, i: number) => {
    if (typeof layer !== "object" || layer === null) {
      throw new TypeError(
        `Cannot ${BUILD_SPIKING_CONV}: layers[${i}] must be an object, got ${describe(layer)}`,
      );
    }
    const filters = positiveInt(`layers[${i}].filters`, layer.filters);
    const kernel = positiveInt(`layers[${i}].kernel`, layer.kernel);
    const stride = positiveInt(`layers[${i}].stride`, layer.stride);
    const bias = layer.bias ?? false;
    if (typeof bias !== "boolean") {
      throw new TypeError(
        `Cannot ${BUILD_SPIKING_CONV}: layers[${i}].bias must be a boolean, got ${describe(bias)}`,
      );
    }
    if (kernel > Math.min(inHeight, inWidth)) {
      throw new RangeError(
        `Cannot ${BUILD_SPIKING_CONV}: layers[${i}].kernel must be <= ${
          Math.min(inHeight, inWidth)
        } (its input is ${inHeight}x${inWidth}), got ${kernel}`,
      );
    }
    const h = Math.floor((inHeight - kernel) / stride) + 1;
    const w = Math.floor((inWidth - kernel) / stride) + 1;
    const fanIn = kernel * kernel * inChannels;
    layers.push({
      inHeight,
      inWidth,
      inChannels,
      kernel,
      stride,
      height: h,
      width: w,
      channels: filters,
      filters,
      units: h * w * filters,
      weights: fanIn * filters,
      fanIn,
      bias,
    });
    inHeight = h, inWidth = w, inChannels = filters;
  });
  const alpha = Math.exp(-dtMs / tauMMs);
  return {
    height,
    width,
    channels,
    layers,
    stepsPerFrame,
    thr,
    tauMMs,
    dtMs,
    dampening,
    inputScaling,
    alpha,
    s: inputScaling === "leaky" ? 1 - alpha : 1,
  };
}

/**
 * The filters of every layer, input first, each [kernel][kernel][inChannels][filters], and the
 * biases of the layers that have one.
 */
export interface SpikingConvParams {
  /** One weight tensor per layer. */
  weights: Float64Array[];
  /**
   * Per layer, its bias [filters] when the layer has one (`bias: true`), undefined otherwise;
   * absent when no layer has a bias.
   */
  b?: (Float64Array | undefined)[];
}

/**
 * @param spec The resolved shape.
 * @returns Whether any layer has a bias (then the parameters carry `b`).
 */
export function spikingConvHasBias(spec: ResolvedSpikingConvSpec): boolean {
  return spec.layers.some((l) => l.bias);
}

/**
 * Default gain of {@linkcode initSpikingConvParams}. With N(0,1)/sqrt(fan_in) weights, a Pong
 * frame (orange background 0.34, walls, paddles, score) drives conv1's neurons to currents of
 * about 0.35 standard deviation, several thresholds (0.1); gain 1 keeps the paper's threshold
 * meaningful: on preprocessed TypeScript Pong frames, conv1 fires in about 40% of its
 * neuron-steps and conv2 in about 35% (tests/spiking_conv_test.ts measures and bounds both).
 */
export const SPIKING_CONV_INIT_GAIN = 1;

/**
 * Initial filters: w = gain N(0,1) / sqrt(fan_in) for every layer (fan_in = kernel^2 x inChannels),
 * drawn layer by layer in storage order; biases (of the layers that have one) zero, drawing
 * nothing, so that adding a bias leaves the filters' draws unchanged.
 * @param spec The shape.
 * @param rng Draws.
 * @param options `gain` (default {@linkcode SPIKING_CONV_INIT_GAIN}).
 * @returns The parameters.
 */
export function initSpikingConvParams(
  spec: SpikingConvSpec | ResolvedSpikingConvSpec,
  rng: Rng,
  options: { gain?: number } = {},
): SpikingConvParams {
  const s = resolveSpikingConvSpec(spec as SpikingConvSpec);
  const gain = checkNumber(
    "initialise spiking CNN",
    "gain",
    options.gain ?? SPIKING_CONV_INIT_GAIN,
  );
  const weights = s.layers.map((l) => {
    const w = new Float64Array(l.weights), scale = gain / Math.sqrt(l.fanIn);
    for (let i = 0; i < w.length; i++) w[i] = scale * rng.normal();
    return w;
  });
  if (!spikingConvHasBias(s)) return { weights };
  return { weights, b: s.layers.map((l) => l.bias ? new Float64Array(l.channels) : undefined) };
}

/**
 * Checks parameters against a shape.
 * @param spec The resolved shape.
 * @param params The parameters.
 * @throws {TypeError} Naming the first wrong field (`weights[1]`, `weights[0][7]`, `b[1]`).
 */
export function checkSpikingConvParams(
  spec: ResolvedSpikingConvSpec,
  params: SpikingConvParams,
): void {
  const action = "set spiking CNN parameters";
  if (
    typeof params !== "object" || params === null || !Array.isArray(params.weights) ||
    params.weights.length !== spec.layers.length
  ) {
    throw new TypeError(
      `Cannot ${action}: weights must be an array of ${spec.layers.length} tensors, got ${
        describe(params?.weights)
      }`,
    );
  }
  spec.layers.forEach((l, i) =>
    checkFiniteValues(action, `weights[${i}]`, params.weights[i], l.weights)
  );
  const b = params.b;
  if (!spikingConvHasBias(spec)) {
    if (b !== undefined) {
      throw new TypeError(`Cannot ${action}: b given, but no layer has a bias (layers[i].bias)`);
    }
    return;
  }
  if (!Array.isArray(b) || b.length !== spec.layers.length) {
    throw new TypeError(
      `Cannot ${action}: b must be an array of ${spec.layers.length} entries (a bias [filters] for each layer with bias: true, undefined for the others), got ${
        describe(b)
      }`,
    );
  }
  spec.layers.forEach((l, i) => {
    if (l.bias) checkFiniteValues(action, `b[${i}]`, b[i], l.channels);
    else if (b[i] !== undefined) {
      throw new TypeError(
        `Cannot ${action}: b[${i}] must be undefined (layer ${i} has no bias), got ${
          describe(b[i])
        }`,
      );
    }
  });
}

/**
 * Checks a field's kind and length (not its values).
 * @returns The value as an array-like.
 * @throws {TypeError} Naming the field and the expected length.
 */
export function checkShape(
  action: string,
  field: string,
  value: unknown,
  length: number,
): ArrayLike<number> {
  if (!Array.isArray(value) && !(ArrayBuffer.isView(value) && !(value instanceof DataView))) {
    throw new TypeError(
      `Cannot ${action}: ${field} must be an array of ${length} numbers, got ${describe(value)}`,
    );
  }
  const arr = value as ArrayLike<number>;
  if (arr.length !== length) {
    throw new TypeError(`Cannot ${action}: ${field} must have length ${length}, got ${arr.length}`);
  }
  return arr;
}

/** Membrane potentials and last spikes of every layer, each [B][units], to continue a sequence. */
export interface SpikingConvState {
  /** v per layer. */
  v: Float64Array[];
  /** The spikes of the last step per layer (they reset the next step's potential). */
  z: Float64Array[];
}

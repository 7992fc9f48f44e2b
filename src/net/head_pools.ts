/**
 * Average pooling of a spiking CNN layer's spikes for a readout (the agent's heads of Figs. 4-5
 * read, besides the LSNN's spikes, each CNN layer's spikes average-pooled): a square window of
 * side `kernel` moved by `stride` over the layer's [height][width][channels] spikes with no
 * padding (TensorFlow's "VALID"), one output per window position and channel:
 * ```
 * out[(oy * ow + ox) * C + c] = 1 / kernel^2 sum_{ky, kx < kernel} z[((oy s + ky) w + ox s + kx) C + c]
 * oh = floor((h - kernel) / stride) + 1,   ow = floor((w - kernel) / stride) + 1
 * ```
 * With kernel = stride the windows tile the layer (what `pool: p` meant before: floor(h/p) cells
 * a side). The authors' heads pool conv1 8x8/4 (20x20x16 -> 4x4x16 = 256) and conv2 4x4/2
 * (17x17x8 -> 7x7x8 = 392). {@linkcode poolSpikes} is the forward map, {@linkcode unpoolErrors}
 * its adjoint (the error at the pooled features sent back to the layer's spikes).
 *
 * @module
 */
import type { ConvLayerShape } from "./spiking_conv_spec.ts";
import { checkNumber } from "../util/errors.ts";

/** One pooled readout of a CNN layer. */
export interface HeadPoolSpec {
  /** Which CNN layer (0 = the first). */
  layer: number;
  /** Side of the square window. */
  kernel: number;
  /** Step of the window in both directions. */
  stride: number;
}

/** The authors' pooled readouts: conv1 spikes 8x8 stride 4, conv2 spikes 4x4 stride 2. */
export const AUTHORS_HEAD_POOLS: readonly HeadPoolSpec[] = Object.freeze([
  Object.freeze({ layer: 0, kernel: 8, stride: 4 }),
  Object.freeze({ layer: 1, kernel: 4, stride: 2 }),
]);

/** A pooled readout with its geometry. */
export interface ResolvedHeadPool extends HeadPoolSpec {
  /** The pooled layer's rows, columns, channels and units. */
  source: { height: number; width: number; channels: number; units: number };
  /** Pooled rows. */
  height: number;
  /** Pooled columns. */
  width: number;
  /** Pooled features: height x width x channels. */
  units: number;
  /** Where its features start among all the pooled features (pools in order). */
  offset: number;
}

/**
 * Checks the pooled readouts against the CNN's layers and computes their geometry.
 * @param layers The CNN's resolved layers.
 * @param pools The readouts.
 * @param action For messages ("build agent").
 * @param field The field's name for messages ("headPools").
 * @returns The readouts with their geometry and offsets.
 * @throws {TypeError | RangeError} Naming the field (`headPools[1].kernel must be ...`).
 */
export function resolveHeadPools(
  layers: readonly ConvLayerShape[],
  pools: readonly HeadPoolSpec[],
  action: string,
  field: string,
): ResolvedHeadPool[] {
  if (!Array.isArray(pools)) {
    throw new TypeError(`Cannot ${action}: ${field} must be an array of {layer, kernel, stride}`);
  }
  let offset = 0;
  return pools.map((p, i) => {
    const f = `${field}[${i}]`;
    if (typeof p !== "object" || p === null) {
      throw new TypeError(`Cannot ${action}: ${f} must be an object {layer, kernel, stride}`);
    }
    const layer = checkNumber(action, `${f}.layer`, p.layer, {
      min: 0,
      max: layers.length - 1,
      integer: true,
    });
    const src = layers[layer];
    const side = Math.min(src.height, src.width);
    const kernel = checkNumber(action, `${f}.kernel`, p.kernel, {
      min: 1,
      max: side,
      integer: true,
    });
    const stride = checkNumber(action, `${f}.stride`, p.stride, {
      min: 1,
      integer: true,
      max: 1e6,
    });
    const height = Math.floor((src.height - kernel) / stride) + 1;
    const width = Math.floor((src.width - kernel) / stride) + 1;
    const units = height * width * src.channels;
    const out: ResolvedHeadPool = {
      layer,
      kernel,
      stride,
      source: { height: src.height, width: src.width, channels: src.channels, units: src.units },
      height,
      width,
      units,
      offset,
    };
    offset += units;
    return out;
  });
}

/**
 * Adds a layer's average-pooled spikes (one episode, one step) to `out` at the pool's offset
 * plus `base`, scaled by `scale`.
 * @param p The pool.
 * @param z The layer's spikes [height][width][channels] (from `at`).
 * @param at Where they start in `z`.
 * @param out Features.
 * @param base Index in `out` of the first pooled feature (the pool's offset is added).
 * @param scale Factor (default 1).
 */
export function poolSpikes(
  p: ResolvedHeadPool,
  z: ArrayLike<number>,
  at: number,
  out: Float64Array,
  base: number,
  scale = 1,
): void {
  const { kernel: k, stride: s, width: ow, height: oh } = p;
  const { width: w, channels: C } = p.source;
  const f = scale / (k * k), o0 = base + p.offset;
  for (let oy = 0; oy < oh; oy++) {
    for (let ox = 0; ox < ow; ox++) {
      const cell = o0 + (oy * ow + ox) * C;
      for (let ky = 0; ky < k; ky++) {
        const row = at + ((oy * s + ky) * w + ox * s) * C;
        for (let kx = 0; kx < k; kx++) {
          const u = row + kx * C;
          for (let c = 0; c < C; c++) {
            const v = z[u + c];
            if (v !== 0) out[cell + c] += f * v;
          }
        }
      }
    }
  }
}

/**
 * The adjoint of {@linkcode poolSpikes}: adds to dE/dz of the layer's units the error at the
 * pooled features, dz[u] += scale / kernel^2 sum over the windows holding u of G[cell].
 * @param p The pool.
 * @param G Errors at the pooled features (from `base`; the pool's offset is added).
 * @param base Index in `G` of the first pooled feature.
 * @param dz The layer's errors [height][width][channels] (from `at`).
 * @param at Where they start in `dz`.
 * @param scale Factor (default 1).
 */
export function unpoolErrors(
  p: ResolvedHeadPool,
  G: ArrayLike<number>,
  base: number,
  dz: Float64Array,
  at: number,
  scale = 1,
): void {
  const { kernel: k, stride: s, width: ow, height: oh } = p;
  const { width: w, channels: C } = p.source;
  const f = scale / (k * k), o0 = base + p.offset;
  for (let oy = 0; oy < oh; oy++) {
    for (let ox = 0; ox < ow; ox++) {
      const cell = o0 + (oy * ow + ox) * C;
      for (let ky = 0; ky < k; ky++) {
        const row = at + ((oy * s + ky) * w + ox * s) * C;
        for (let kx = 0; kx < k; kx++) {
          const u = row + kx * C;
          for (let c = 0; c < C; c++) dz[u + c] += f * G[cell + c];
        }
      }
    }
  }
}

/**
 * Frame kernels of the Atari preprocessing, written to give bit for bit what the Arcade Learning
 * Environment's vector environment (ale-py 0.12, `AtariVectorEnv`) computes in C++:
 *
 * - grey: ALE's grey palette, `round(0.2989 r + 0.5870 g + 0.1140 b)` of the palette's RGB colour
 *   (src/ale/common/ColourPalette.cpp; checked on every colour seen in 16 games);
 * - max-pool: per-pixel maximum of the grey levels of the last two frames (grey first, then max,
 *   as ALE does; not the maximum of the RGB values);
 * - resize: OpenCV `cv::resize(..., INTER_AREA)` for a downscale by a non-integer factor
 *   (210x160 to 84x84): each output pixel is the area-weighted mean of the source pixels its cell
 *   covers, with OpenCV's weight tables (`computeResizeAreaTab`), float32 accumulation in
 *   OpenCV's order (a row at a time, then rows weighted) and round-half-to-even to uint8.
 *
 * No Deno API here.
 *
 * @module
 */

/**
 * The grey level ALE gives an RGB colour.
 * @param r Red, 0..255.
 * @param g Green, 0..255.
 * @param b Blue, 0..255.
 * @returns The grey level, 0..255.
 */
export function greyLevel(r: number, g: number, b: number): number {
  return Math.round(r * 0.2989 + g * 0.587 + b * 0.114);
}

/**
 * Grey levels of a frame.
 * @param src Pixels, channels last: RGB (3 channels) or already grey (1).
 * @param pixels Number of pixels (height x width).
 * @param channels 1 or 3.
 * @param out Receives `pixels` grey levels.
 */
export function toGrey(src: Uint8Array, pixels: number, channels: number, out: Uint8Array): void {
  if (channels === 1) {
    out.set(src.subarray(0, pixels));
    return;
  }
  for (let p = 0, q = 0; p < pixels; p++, q += 3) {
    out[p] = Math.round(src[q] * 0.2989 + src[q + 1] * 0.587 + src[q + 2] * 0.114);
  }
}

/**
 * Per-pixel maximum of two frames.
 * @param a First frame.
 * @param b Second frame (same length).
 * @param out Receives max(a, b); may be `a` or `b`.
 */
export function maxInto(a: Uint8Array, b: Uint8Array, out: Uint8Array): void {
  for (let i = 0; i < out.length; i++) out[i] = a[i] > b[i] ? a[i] : b[i];
}

/** OpenCV's INTER_AREA weights along one axis: entry k adds `alpha[k]` x source `src[k]` to `dst[k]`. */
export interface AreaTable {
  /** Source index of each entry. */
  src: Int32Array;
  /** Destination index of each entry (non-decreasing). */
  dst: Int32Array;
  /** Weight of each entry (float32, as OpenCV stores it). */
  alpha: Float32Array;
}

/**
 * OpenCV's `computeResizeAreaTab` for a downscale of `sourceSize` to `targetSize` along one axis.
 * @param sourceSize Source length.
 * @param targetSize Target length, at most `sourceSize`.
 * @returns The weight table.
 */
export function areaTable(sourceSize: number, targetSize: number): AreaTable {
  // cv::resize passes inv_scale = dsize / ssize and uses scale = 1 / inv_scale (not ssize / dsize:
  // the two can differ in the last bit).
  const scale = 1 / (targetSize / sourceSize);
  const src: number[] = [], dst: number[] = [], alpha: number[] = [];
  for (let dx = 0; dx < targetSize; dx++) {
    const fsx1 = dx * scale, fsx2 = fsx1 + scale;
    const cellWidth = Math.min(scale, sourceSize - fsx1);
    let sx1 = Math.ceil(fsx1), sx2 = Math.floor(fsx2);
    sx2 = Math.min(sx2, sourceSize - 1);
    sx1 = Math.min(sx1, sx2);
    if (sx1 - fsx1 > 1e-3) {
      src.push(sx1 - 1), dst.push(dx), alpha.push((sx1 - fsx1) / cellWidth);
    }
    for (let sx = sx1; sx < sx2; sx++) src.push(sx), dst.push(dx), alpha.push(1 / cellWidth);
    if (fsx2 - sx2 > 1e-3) {
      src.push(sx2), dst.push(dx), alpha.push(Math.min(fsx2 - sx2, 1, cellWidth) / cellWidth);
    }
  }
  return { src: Int32Array.from(src), dst: Int32Array.from(dst), alpha: Float32Array.from(alpha) };
}

/** Round half to even (cvRound of a float) and saturate to 0..255. */
function saturateU8(v: number): number {
  let r = Math.round(v);
  if (r - v === 0.5 && (r & 1) === 1) r -= 1;
  return r < 0 ? 0 : r > 255 ? 255 : r;
}

/**
 * A grey-frame resizer for one (source, target) shape with its weight tables precomputed:
 * OpenCV's general INTER_AREA path. (For a downscale by an integer factor along both axes, e.g.
 * 168x168 to 84x84, OpenCV takes a separate fast path whose rounding of exact halves can differ
 * by one level; ALE's 210x160 to 84x84 is not such a case.)
 */
export class AreaResizer {
  /** Source rows. */
  readonly sourceHeight: number;
  /** Source columns. */
  readonly sourceWidth: number;
  /** Target rows. */
  readonly targetHeight: number;
  /** Target columns. */
  readonly targetWidth: number;
  #x: AreaTable;
  #y: AreaTable;
  #buf: Float32Array;
  #sum: Float32Array;
  #identity: boolean;

  /**
   * Precomputes the weights.
   * @param sourceHeight Source rows.
   * @param sourceWidth Source columns.
   * @param targetHeight Target rows, in [1, sourceHeight].
   * @param targetWidth Target columns, in [1, sourceWidth].
   * @throws {RangeError} For sizes that are not a downscale.
   */
  constructor(
    sourceHeight: number,
    sourceWidth: number,
    targetHeight: number,
    targetWidth: number,
  ) {
    for (
      const [name, v, max] of [
        ["sourceHeight", sourceHeight, Infinity],
        ["sourceWidth", sourceWidth, Infinity],
        ["targetHeight", targetHeight, sourceHeight],
        ["targetWidth", targetWidth, sourceWidth],
      ] as const
    ) {
      if (!Number.isInteger(v) || v < 1 || v > max) {
        throw new RangeError(
          `Cannot resize frame: ${name} must be an integer in [1, ${max}], got ${v}`,
        );
      }
    }
    this.sourceHeight = sourceHeight;
    this.sourceWidth = sourceWidth;
    this.targetHeight = targetHeight;
    this.targetWidth = targetWidth;
    this.#identity = sourceHeight === targetHeight && sourceWidth === targetWidth;
    this.#x = areaTable(sourceWidth, targetWidth);
    this.#y = areaTable(sourceHeight, targetHeight);
    this.#buf = new Float32Array(targetWidth);
    this.#sum = new Float32Array(targetWidth);
  }

  /**
   * Resizes one grey frame.
   * @param src Grey levels [sourceHeight][sourceWidth].
   * @param out Receives [targetHeight][targetWidth] grey levels (uint8), or those levels / 255
   *   (float32).
   */
  run(src: Uint8Array, out: Uint8Array | Float32Array): void {
    const W = this.sourceWidth, w = this.targetWidth;
    const scaleOut = out instanceof Float32Array;
    const put = (row: number, sum: Float32Array) => {
      for (let dx = 0; dx < w; dx++) {
        const v = saturateU8(sum[dx]);
        out[row * w + dx] = scaleOut ? UNIT[v] : v;
      }
    };
    if (this.#identity) {
      for (let i = 0; i < W * this.sourceHeight; i++) out[i] = scaleOut ? UNIT[src[i]] : src[i];
      return;
    }
    const { src: xs, dst: xd, alpha: xa } = this.#x;
    const { src: ys, dst: yd, alpha: ya } = this.#y;
    const buf = this.#buf, sum = this.#sum, nx = xs.length;
    const fround = Math.fround;
    sum.fill(0);
    let prev = yd[0];
    for (let j = 0; j < ys.length; j++) {
      const beta = ya[j], dy = yd[j], row = ys[j] * W;
      buf.fill(0);
      for (let k = 0; k < nx; k++) buf[xd[k]] += fround(src[row + xs[k]] * xa[k]);
      if (dy !== prev) {
        put(prev, sum);
        for (let dx = 0; dx < w; dx++) sum[dx] = beta * buf[dx];
        prev = dy;
      } else {
        for (let dx = 0; dx < w; dx++) sum[dx] += fround(beta * buf[dx]);
      }
    }
    put(prev, sum);
  }
}

/** v / 255 as float32, for v in 0..255. */
const UNIT = Float32Array.from({ length: 256 }, (_, v) => v / 255);

const resizers = new Map<string, AreaResizer>();

/**
 * The shared resizer for a shape (created on first use).
 * @param sourceHeight Source rows.
 * @param sourceWidth Source columns.
 * @param targetHeight Target rows.
 * @param targetWidth Target columns.
 * @returns The resizer.
 */
export function areaResizer(
  sourceHeight: number,
  sourceWidth: number,
  targetHeight: number,
  targetWidth: number,
): AreaResizer {
  const key = `${sourceHeight}x${sourceWidth}:${targetHeight}x${targetWidth}`;
  let r = resizers.get(key);
  if (!r) {
    r = new AreaResizer(sourceHeight, sourceWidth, targetHeight, targetWidth);
    resizers.set(key, r);
  }
  return r;
}

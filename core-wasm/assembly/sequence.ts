// Layout kernels of composed networks: time reversal within each sequence's valid length, frame
// pooling and spreading, and copies of column blocks (a population's part of a layer's features).
// Arrays are time-major [T][B][n].
import { at, axpy, zero } from "./simd";

/**
 * dst[t][b] = src[len_b - 1 - t][b] for t < len_b, zeros past it. lens: [B] i32 lengths in units
 * of the time axis. An involution on the valid part: applying it twice gives the valid part back.
 */
export function reverseWithin<T>(steps: i32, B: i32, n: i32, lens: usize, src: usize, dst: usize): void {
  const rowBytes = <usize>n << alignof<T>();
  for (let b = 0; b < B; b++) {
    const len = load<i32>(lens + (<usize>b << 2));
    for (let t = 0; t < steps; t++) {
      const d = at<T>(dst, (t * B + b) * n);
      if (t < len) memory.copy(d, at<T>(src, ((len - 1 - t) * B + b) * n), rowBytes);
      else memory.fill(d, 0, rowBytes);
    }
  }
}

/** dst[f][b][j] = scale * sum over the `repeat` steps t of frame f of src[t][b][j]. */
export function poolFrames<T>(frames: i32, repeat: i32, B: i32, n: i32, src: usize, dst: usize, scale: T): void {
  const size = B * n;
  for (let f = 0; f < frames; f++) {
    const d = at<T>(dst, f * size);
    zero<T>(d, size);
    for (let r = 0; r < repeat; r++) axpy<T>(d, at<T>(src, (f * repeat + r) * size), scale, size);
  }
}

/** dst[t][b][j] += scale * src[floor(t / repeat)][b][j] for t < frames * repeat. */
export function spreadFrames<T>(frames: i32, repeat: i32, B: i32, n: i32, src: usize, dst: usize, scale: T): void {
  const size = B * n;
  for (let f = 0; f < frames; f++) {
    for (let r = 0; r < repeat; r++) axpy<T>(at<T>(dst, (f * repeat + r) * size), at<T>(src, f * size), scale, size);
  }
}

/**
 * For each of `rows` rows: dst[row][dstOff .. dstOff+count] (+)= src[row][srcOff .. srcOff+count],
 * with row widths nSrc and nDst; adds when `accumulate` is non-zero, copies otherwise.
 */
export function copyColumns<T>(
  rows: i32, count: i32, nSrc: i32, src: usize, srcOff: i32, nDst: i32, dst: usize, dstOff: i32, accumulate: i32,
): void {
  const bytes = <usize>count << alignof<T>();
  for (let r = 0; r < rows; r++) {
    const s = at<T>(src, r * nSrc + srcOff);
    const d = at<T>(dst, r * nDst + dstOff);
    if (accumulate != 0) axpy<T>(d, s, <T>1, count);
    else memory.copy(d, s, bytes);
  }
}

/** dst[t][b][j] += vec[t * stride + j]: a per-neuron vector (stride 0) or one per step (stride n). */
export function addRowVector<T>(steps: i32, B: i32, n: i32, vec: usize, stride: i32, dst: usize): void {
  for (let t = 0; t < steps; t++) {
    for (let b = 0; b < B; b++) axpy<T>(at<T>(dst, (t * B + b) * n), at<T>(vec, t * stride), <T>1, n);
  }
}

/**
 * dst[f][b] = src[b][f] (rows of n values) for f < len_b, zeros past it: batch-major input frames
 * to time-major, with padding cleared. lens: [B] i32, or 0 when every sequence has all F frames.
 */
export function toTimeMajor<T>(B: i32, F: i32, n: i32, lens: usize, src: usize, dst: usize): void {
  const rowBytes = <usize>n << alignof<T>();
  for (let b = 0; b < B; b++) {
    const len = lens != 0 ? load<i32>(lens + (<usize>b << 2)) : F;
    for (let f = 0; f < F; f++) {
      const d = at<T>(dst, (f * B + b) * n);
      if (f < len) memory.copy(d, at<T>(src, (b * F + f) * n), rowBytes);
      else memory.fill(d, 0, rowBytes);
    }
  }
}

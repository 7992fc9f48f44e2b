// Runs in browsers as well as in Deno: no Deno API in this file.
/**
 * Speech features exactly as python_speech_features computes them with its defaults
 * (docs/spec/TIMIT.md, "Features"): 16 kHz integer samples (no scaling), pre-emphasis 0.97 with
 * the first sample kept, frames of 400 samples every 160 (the last zero-padded), rectangular
 * window, power spectrum |rfft(512)|^2 / 512, triangular mel filters from 0 to 8 kHz, zero
 * energies replaced by machine epsilon; MFCC (26 filters, log, orthonormal DCT-II, 13
 * coefficients, lifter 22, c0 replaced by the log frame energy), log filter bank (40 filters)
 * plus the log frame energy, and deltas over +-2 frames with edge padding.
 *
 * The FFT is fft.js (radix-4, MIT).
 *
 * @example MFCC with deltas and delta-deltas of a short tone
 * ```ts
 * import { speechFeatures } from "./speech_features.ts";
 *
 * const signal = Int16Array.from({ length: 16000 }, (_, i) => 1000 * Math.sin(i / 5));
 * const { frames, dim } = speechFeatures(signal, "mfcc");
 * console.log(frames, dim); // 99 39 (1 + ceil((16000 - 400) / 160) frames)
 * ```
 *
 * @module
 */
// deno-lint-ignore no-import-prefix -- a full specifier keeps this module importable from a URL.
import FFT from "npm:fft.js@4.0.4";

/** Sample rate the features assume (Hz): the mel filters span 0 to half of it. */
export const SPEECH_SAMPLE_RATE = 16000;
/** Frame length in samples (25 ms at 16 kHz). */
export const SPEECH_FRAME_LENGTH = 400;
/** Frame step in samples (10 ms at 16 kHz). */
export const SPEECH_FRAME_STEP = 160;
/** FFT size; frames are zero-padded to it. */
export const SPEECH_NFFT = 512;

const BINS = SPEECH_NFFT / 2 + 1;
const PREEMPHASIS = 0.97;
const MFCC_FILTERS = 26;
const MFCC_COEFFICIENTS = 13;
const LIFTER = 22;
const FBANK_FILTERS = 40;
/** numpy.finfo(float).eps, python_speech_features' stand-in for a zero energy. */
const EPS = Number.EPSILON;

function fail(message: string): never {
  throw new RangeError(`Cannot compute speech features: ${message}`);
}

function checkLength(signal: ArrayLike<number>): number {
  const n = signal?.length;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0) {
    fail("the signal must be an array of samples");
  }
  if (n === 0) fail("the signal is empty");
  return n;
}

function checkSignal(signal: ArrayLike<number>): number {
  const n = checkLength(signal);
  for (let i = 0; i < n; i++) {
    const x = signal[i];
    if (typeof x !== "number" || !Number.isFinite(x)) {
      fail(`sample ${i} must be a finite number, got ${String(x)}`);
    }
  }
  return n;
}

function frameCount(n: number): number {
  return n <= SPEECH_FRAME_LENGTH
    ? 1
    : 1 + Math.ceil((n - SPEECH_FRAME_LENGTH) / SPEECH_FRAME_STEP);
}

/**
 * Number of feature frames of a signal: 1 + ceil((N - 400) / 160), and 1 when N <= 400.
 *
 * @param signal The samples (only the length is used).
 * @returns The frame count.
 * @throws {RangeError} When the signal is empty.
 */
export function speechFrames(signal: ArrayLike<number>): number {
  return frameCount(checkLength(signal));
}

let fft: FFT | undefined;

/**
 * Power spectrum of every frame of the pre-emphasised signal, |rfft(512)|^2 / 512, and the
 * frame energy (the sum of the power spectrum, zero replaced by machine epsilon).
 *
 * @param signal The samples at 16 kHz, as integers (no scaling).
 * @returns `power` as [frames][257] and `energy` as [frames] (not logarithmic).
 * @throws {RangeError} When the signal is empty or holds a non-finite sample.
 */
export function powerSpectrum(
  signal: ArrayLike<number>,
): { frames: number; power: Float64Array; energy: Float64Array } {
  const n = checkSignal(signal);
  const frames = frameCount(n);
  // Pre-emphasis (first sample kept), then zero padding to (frames - 1) * step + length.
  const padded = new Float64Array((frames - 1) * SPEECH_FRAME_STEP + SPEECH_FRAME_LENGTH);
  padded[0] = signal[0];
  for (let i = 1; i < n; i++) padded[i] = signal[i] - PREEMPHASIS * signal[i - 1];
  fft ??= new FFT(SPEECH_NFFT);
  const input = new Float64Array(SPEECH_NFFT);
  const out = new Float64Array(2 * SPEECH_NFFT);
  const power = new Float64Array(frames * BINS);
  const energy = new Float64Array(frames);
  for (let f = 0; f < frames; f++) {
    input.set(padded.subarray(f * SPEECH_FRAME_STEP, f * SPEECH_FRAME_STEP + SPEECH_FRAME_LENGTH));
    fft.realTransform(out, input);
    let sum = 0;
    for (let k = 0; k < BINS; k++) {
      const m = Math.hypot(out[2 * k], out[2 * k + 1]);
      const p = (1 / SPEECH_NFFT) * (m * m);
      power[f * BINS + k] = p;
      sum += p;
    }
    energy[f] = sum === 0 ? EPS : sum;
  }
  return { frames, power, energy };
}

function checkFilterCount(nFilters: number): void {
  if (!Number.isInteger(nFilters) || nFilters < 1 || nFilters > 128) {
    fail(`nFilters must be an integer from 1 to 128, got ${String(nFilters)}`);
  }
}

/**
 * FFT-bin edges of the mel filter bank: nFilters + 2 points evenly spaced in mel from 0 Hz to
 * 8 kHz (mel = 2595 log10(1 + f / 700)), each floor(513 * hz / 16000).
 *
 * @param nFilters Number of triangular filters (default 26).
 * @returns nFilters + 2 bin indices; filter j rises from edge j to j + 1 and falls to j + 2.
 * @throws {RangeError} When nFilters is not an integer from 1 to 128.
 */
export function melBinEdges(nFilters = MFCC_FILTERS): Int32Array {
  checkFilterCount(nFilters);
  const highMel = 2595 * Math.log10(1 + (SPEECH_SAMPLE_RATE / 2) / 700);
  const step = highMel / (nFilters + 1); // numpy.linspace(0, highMel, nFilters + 2)
  const edges = new Int32Array(nFilters + 2);
  for (let i = 0; i < nFilters + 2; i++) {
    const mel = i === nFilters + 1 ? highMel : i * step;
    const hz = 700 * (10 ** (mel / 2595) - 1);
    edges[i] = Math.floor(((SPEECH_NFFT + 1) * hz) / SPEECH_SAMPLE_RATE);
  }
  return edges;
}

interface FilterBank {
  edges: Int32Array;
  /** weights[j] holds filter j's weights on bins edges[j] .. edges[j + 2] - 1. */
  weights: Float64Array[];
}

const filterBanks = new Map<number, FilterBank>();

function filterBank(nFilters: number): FilterBank {
  let bank = filterBanks.get(nFilters);
  if (bank) return bank;
  const edges = melBinEdges(nFilters);
  const weights: Float64Array[] = [];
  for (let j = 0; j < nFilters; j++) {
    const [lo, mid, hi] = [edges[j], edges[j + 1], edges[j + 2]];
    const w = new Float64Array(Math.max(0, hi - lo));
    for (let i = lo; i < mid; i++) w[i - lo] = (i - lo) / (mid - lo);
    for (let i = mid; i < hi; i++) w[i - lo] = (hi - i) / (hi - mid);
    weights.push(w);
  }
  bank = { edges, weights };
  filterBanks.set(nFilters, bank);
  return bank;
}

/** Filter-bank energies (zero replaced by epsilon) of a power spectrum, [frames][nFilters]. */
function applyFilterBank(power: Float64Array, frames: number, nFilters: number): Float64Array {
  const { edges, weights } = filterBank(nFilters);
  const out = new Float64Array(frames * nFilters);
  for (let f = 0; f < frames; f++) {
    for (let j = 0; j < nFilters; j++) {
      const w = weights[j], base = f * BINS + edges[j];
      let sum = 0;
      for (let i = 0; i < w.length; i++) sum += power[base + i] * w[i];
      out[f * nFilters + j] = sum === 0 ? EPS : sum;
    }
  }
  return out;
}

/**
 * Log mel filter-bank energies and log frame energy (python_speech_features' `logfbank` and
 * the log of `fbank`'s energy).
 *
 * @param signal The samples at 16 kHz, as integers (no scaling).
 * @param options `nFilters`: number of mel filters (default 40).
 * @returns `fbank` as [frames][nFilters] and `energy` as [frames], both natural logarithms.
 * @throws {RangeError} When the signal is empty or holds a non-finite sample, or nFilters is bad.
 */
export function logFilterbank(
  signal: ArrayLike<number>,
  options: { nFilters?: number } = {},
): { frames: number; fbank: Float64Array; energy: Float64Array } {
  const nFilters = options.nFilters ?? FBANK_FILTERS;
  checkFilterCount(nFilters);
  const { frames, power, energy } = powerSpectrum(signal);
  const fbank = applyFilterBank(power, frames, nFilters);
  for (let i = 0; i < fbank.length; i++) fbank[i] = Math.log(fbank[i]);
  for (let i = 0; i < frames; i++) energy[i] = Math.log(energy[i]);
  return { frames, fbank, energy };
}

const dctMatrices = new Map<number, Float64Array>();

function dctMatrix(n: number): Float64Array {
  let m = dctMatrices.get(n);
  if (m) return m;
  m = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const scale = k === 0 ? Math.sqrt(1 / n) : Math.sqrt(2 / n);
    for (let i = 0; i < n; i++) {
      m[k * n + i] = scale * Math.cos((Math.PI * k * (2 * i + 1)) / (2 * n));
    }
  }
  dctMatrices.set(n, m);
  return m;
}

/**
 * Orthonormal DCT-II (scipy's `dct(x, type=2, norm="ortho")`): y_k = s_k sum_i x_i
 * cos(pi k (2i + 1) / (2n)), s_0 = sqrt(1/n), s_k = sqrt(2/n).
 *
 * @param x The input, length n >= 1.
 * @param count How many leading coefficients to return (default n).
 * @returns The first `count` coefficients.
 * @throws {RangeError} When x is empty or count is out of range.
 */
export function dctOrtho(x: ArrayLike<number>, count: number = x.length): Float64Array {
  const n = x.length;
  if (n < 1) fail("the DCT input is empty");
  if (!Number.isInteger(count) || count < 0 || count > n) {
    fail(`the DCT count must be an integer from 0 to ${n}, got ${String(count)}`);
  }
  const m = dctMatrix(n), y = new Float64Array(count);
  for (let k = 0; k < count; k++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += m[k * n + i] * x[i];
    y[k] = sum;
  }
  return y;
}

/**
 * MFCC (python_speech_features' `mfcc` with its defaults): 26 mel filters, log, orthonormal
 * DCT-II, first 13 coefficients, lifter 22, c0 replaced by the log frame energy.
 *
 * @param signal The samples at 16 kHz, as integers (no scaling).
 * @returns `mfcc` as [frames][13].
 * @throws {RangeError} When the signal is empty or holds a non-finite sample.
 */
export function mfcc(signal: ArrayLike<number>): { frames: number; mfcc: Float64Array } {
  const { frames, power, energy } = powerSpectrum(signal);
  const fb = applyFilterBank(power, frames, MFCC_FILTERS);
  const lift = new Float64Array(MFCC_COEFFICIENTS);
  for (let k = 0; k < MFCC_COEFFICIENTS; k++) {
    lift[k] = 1 + (LIFTER / 2) * Math.sin((Math.PI * k) / LIFTER);
  }
  const out = new Float64Array(frames * MFCC_COEFFICIENTS);
  const logs = new Float64Array(MFCC_FILTERS);
  for (let f = 0; f < frames; f++) {
    for (let j = 0; j < MFCC_FILTERS; j++) logs[j] = Math.log(fb[f * MFCC_FILTERS + j]);
    const c = dctOrtho(logs, MFCC_COEFFICIENTS);
    for (let k = 0; k < MFCC_COEFFICIENTS; k++) out[f * MFCC_COEFFICIENTS + k] = lift[k] * c[k];
    out[f * MFCC_COEFFICIENTS] = Math.log(energy[f]);
  }
  return { frames, mfcc: out };
}

/**
 * Delta features (python_speech_features' `delta`): d_t = sum_{k=1..n} k (x_{t+k} - x_{t-k}) /
 * (2 sum_{k=1..n} k^2), frames beyond either end repeating the edge frame.
 *
 * @param features The features, [frames][dim] row-major.
 * @param shape Frame count and feature dimension; frames * dim must equal features.length.
 * @param options `n`: frames on either side (default 2).
 * @returns The deltas, [frames][dim].
 * @throws {RangeError} When the shape does not match or n is not a positive integer.
 */
export function deltas(
  features: Float64Array,
  shape: { frames: number; dim: number },
  options: { n?: number } = {},
): Float64Array {
  const { frames, dim } = shape;
  const n = options.n ?? 2;
  if (!Number.isInteger(frames) || frames < 0) {
    fail(`shape.frames must be an integer >= 0, got ${String(frames)}`);
  }
  if (!Number.isInteger(dim) || dim < 1) fail(`shape.dim must be an integer >= 1, got ${dim}`);
  if (features.length !== frames * dim) {
    fail(`features has length ${features.length}, expected frames * dim = ${frames * dim}`);
  }
  if (!Number.isInteger(n) || n < 1) fail(`options.n must be an integer >= 1, got ${String(n)}`);
  let denominator = 0;
  for (let k = 1; k <= n; k++) denominator += k * k;
  denominator *= 2;
  const out = new Float64Array(frames * dim);
  for (let t = 0; t < frames; t++) {
    for (let d = 0; d < dim; d++) {
      let sum = 0;
      for (let k = -n; k <= n; k++) {
        const s = Math.min(frames - 1, Math.max(0, t + k));
        sum += k * features[s * dim + d];
      }
      out[t * dim + d] = sum / denominator;
    }
  }
  return out;
}

/**
 * The network's input features per frame, before any z-scoring:
 * - `"fbank"`: [40 log filter-bank energies, log frame energy], their deltas, their
 *   delta-deltas: 123 per frame (the paper's input size);
 * - `"mfcc"`: 13 MFCC, their deltas, their delta-deltas: 39 per frame.
 *
 * @param signal The samples at 16 kHz, as integers (no scaling).
 * @param kind `"fbank"` or `"mfcc"`.
 * @returns `data` as [frames][dim].
 * @throws {RangeError} When the signal is empty or holds a non-finite sample, or kind is unknown.
 */
export function speechFeatures(
  signal: ArrayLike<number>,
  kind: "fbank" | "mfcc",
): { frames: number; dim: number; data: Float64Array } {
  let frames: number, base: Float64Array, d: number;
  if (kind === "fbank") {
    const fb = logFilterbank(signal, { nFilters: FBANK_FILTERS });
    frames = fb.frames;
    d = FBANK_FILTERS + 1;
    base = new Float64Array(frames * d);
    for (let f = 0; f < frames; f++) {
      base.set(fb.fbank.subarray(f * FBANK_FILTERS, (f + 1) * FBANK_FILTERS), f * d);
      base[f * d + FBANK_FILTERS] = fb.energy[f];
    }
  } else if (kind === "mfcc") {
    const m = mfcc(signal);
    frames = m.frames;
    d = MFCC_COEFFICIENTS;
    base = m.mfcc;
  } else {
    fail(`kind must be one of "fbank", "mfcc", got ${JSON.stringify(kind)}`);
  }
  const d1 = deltas(base, { frames, dim: d });
  const d2 = deltas(d1, { frames, dim: d });
  const dim = 3 * d;
  const data = new Float64Array(frames * dim);
  for (let f = 0; f < frames; f++) {
    data.set(base.subarray(f * d, (f + 1) * d), f * dim);
    data.set(d1.subarray(f * d, (f + 1) * d), f * dim + d);
    data.set(d2.subarray(f * d, (f + 1) * d), f * dim + 2 * d);
  }
  return { frames, dim, data };
}

/**
 * Frame labels from time-aligned segments (a TIMIT `.PHN` file): frame f takes the label of
 * the segment that contains its centre sample f * 160 + 200 (start inclusive, end exclusive).
 * A centre past the last segment takes the last label, one before the first segment the
 * first label, one in a gap between segments the label of the segment that starts last before
 * it; where several segments contain the centre, the one that starts last.
 *
 * @param segments Segments in samples, in any order (sorted by start here).
 * @param frames Frame count (see {@linkcode speechFrames}).
 * @returns One label per frame.
 * @throws {RangeError} When there are frames but no segments, a bound is not a finite number,
 *   a segment ends before it starts, or frames is not an integer >= 0.
 */
export function frameLabels(
  segments: { start: number; end: number; label: string }[],
  frames: number,
): string[] {
  const bad = (message: string): never => {
    throw new RangeError(`Cannot label frames: ${message}`);
  };
  if (!Number.isInteger(frames) || frames < 0) {
    bad(`frames must be an integer >= 0, got ${String(frames)}`);
  }
  if (frames === 0) return [];
  if (!Array.isArray(segments) || segments.length === 0) bad("there are no segments");
  segments.forEach((s, i) => {
    if (!Number.isFinite(s?.start) || !Number.isFinite(s?.end)) {
      bad(`segment ${i} must have finite start and end, got ${s?.start} and ${s?.end}`);
    }
    if (s.end < s.start) bad(`segment ${i} ends (${s.end}) before it starts (${s.start})`);
    if (typeof s.label !== "string") bad(`segment ${i} has no label`);
  });
  const sorted = segments.map((s, i) => ({ s, i })).sort((a, b) =>
    a.s.start - b.s.start || a.i - b.i
  ).map((x) => x.s);
  const labels: string[] = new Array(frames);
  let j = 0; // the last segment starting at or before the centre (or the first)
  for (let f = 0; f < frames; f++) {
    const centre = f * SPEECH_FRAME_STEP + SPEECH_FRAME_LENGTH / 2;
    while (j + 1 < sorted.length && sorted[j + 1].start <= centre) j++;
    let k = j; // the latest-starting segment that contains the centre, if any does
    while (k >= 0 && !(sorted[k].start <= centre && centre < sorted[k].end)) k--;
    labels[f] = sorted[k >= 0 ? k : j].label;
  }
  return labels;
}

/**
 * Trainable parameters (kept apart from configuration and state) and their initialisers.
 * Weights are stored pre x post, row-major: `wIn[i][j]`, `wRec[i][j]`, `wOut[j][k]`.
 *
 * @module
 */
import type { ResolvedNetworkConfig } from "./config.ts";
import type { Rng } from "../util/rng.ts";
import { checkFiniteArray } from "../util/errors.ts";

/** A dense row-major matrix of float64. */
export interface Matrix {
  /** Number of rows. */
  rows: number;
  /** Number of columns. */
  cols: number;
  /** rows * cols values, row-major. */
  data: Float64Array;
}

/** The trainable weights of a network. */
export interface Weights {
  /** Input weights, nIn x nRec. */
  wIn: Matrix;
  /** Recurrent weights, nRec x nRec; the diagonal is ignored (no autapses). */
  wRec: Matrix;
  /** Readout weights, nRec x nOut. */
  wOut: Matrix;
  /** Readout bias (nOut), present when the readout has one. */
  bOut?: Float64Array;
}

/**
 * Creates a zero matrix.
 *
 * @param rows Number of rows.
 * @param cols Number of columns.
 * @returns A zero matrix.
 */
export function zeroMatrix(rows: number, cols: number): Matrix {
  return { rows, cols, data: new Float64Array(rows * cols) };
}

/**
 * Builds a matrix from nested rows.
 *
 * @param rows Nested arrays, one per row.
 * @returns The matrix they describe.
 * @throws {TypeError} If rows differ in length or hold a non-finite value.
 */
export function matrixFromRows(rows: readonly (readonly number[])[], field = "matrix"): Matrix {
  if (!Array.isArray(rows) || rows.length === 0 || !Array.isArray(rows[0])) {
    throw new TypeError(`Cannot read ${field}: expected a non-empty array of rows`);
  }
  const cols = rows[0].length;
  const m = zeroMatrix(rows.length, cols);
  rows.forEach((row, r) =>
    m.data.set(checkFiniteArray("read matrix", `${field}[${r}]`, row, cols), r * cols)
  );
  return m;
}

/**
 * Converts a matrix to nested rows.
 *
 * @param m A matrix.
 * @returns Its rows as nested arrays (for JSON).
 */
export function matrixToRows(m: Matrix): number[][] {
  const out: number[][] = [];
  for (let r = 0; r < m.rows; r++) {
    out.push(Array.from(m.data.subarray(r * m.cols, (r + 1) * m.cols)));
  }
  return out;
}

/**
 * Draws a matrix of scaled normal deviates.
 *
 * @param shape [rows (fan-in), cols].
 * @param rng Random source.
 * @param options `scale`: the standard deviation (default 1 / sqrt(rows)).
 * @returns A matrix of N(0, scale^2) entries.
 */
export function normalMatrix(
  shape: readonly [number, number],
  rng: Rng,
  options: { scale?: number } = {},
): Matrix {
  const [rows, cols] = shape;
  const scale = options.scale ?? 1 / Math.sqrt(rows);
  const m = zeroMatrix(rows, cols);
  for (let i = 0; i < m.data.length; i++) m.data[i] = rng.normal() * scale;
  return m;
}

/**
 * Glorot (Xavier) uniform: U(-l, l), l = sqrt(6 / (rows + cols)).
 * @param shape [rows, cols].
 * @param rng Random source.
 * @returns The initialised matrix.
 */
export function glorotUniformMatrix(shape: readonly [number, number], rng: Rng): Matrix {
  const [rows, cols] = shape;
  const limit = Math.sqrt(6 / (rows + cols));
  const m = zeroMatrix(rows, cols);
  for (let i = 0; i < m.data.length; i++) m.data[i] = (2 * rng.uniform() - 1) * limit;
  return m;
}

/** Which initialiser the readout uses. */
export type ReadoutInit = "glorot" | "normal";

/**
 * The Fig. 3 initialisation (EPROP.md section 7): w_in N(0,1)/sqrt(n_in), w_rec N(0,1)/sqrt(n_rec)
 * with zero diagonal, w_out Glorot-uniform (or N(0,1)/sqrt(n_rec) with `readout: "normal"`), zero bias.
 *
 * @param config A resolved configuration.
 * @param rng Random source.
 * @param options `readout` initialiser (default "glorot").
 * @returns Fresh weights.
 *
 * @example
 * ```ts
 * import { initWeights } from "./weights.ts";
 * import { resolveNetworkConfig } from "./config.ts";
 * import { Rng } from "../util/rng.ts";
 * import assert from "node:assert/strict";
 * const cfg = resolveNetworkConfig({ neuron: { nIn: 3, nRec: 4 }, readout: { nOut: 2 } });
 * const w = initWeights(cfg, new Rng(1));
 * assert.equal(w.wRec.data[0], 0);
 * ```
 */
export function initWeights(
  config: ResolvedNetworkConfig,
  rng: Rng,
  options: { readout?: ReadoutInit } = {},
): Weights {
  const { nIn, nRec } = config.neuron;
  const { nOut, bias } = config.readout;
  const wIn = normalMatrix([nIn, nRec], rng);
  const wRec = normalMatrix([nRec, nRec], rng);
  for (let j = 0; j < nRec; j++) wRec.data[j * nRec + j] = 0;
  const wOut = (options.readout ?? "glorot") === "glorot"
    ? glorotUniformMatrix([nRec, nOut], rng)
    : normalMatrix([nRec, nOut], rng);
  return bias ? { wIn, wRec, wOut, bOut: new Float64Array(nOut) } : { wIn, wRec, wOut };
}

/**
 * Checks that weights fit a configuration.
 * @throws {TypeError} Naming the first matrix of the wrong shape or with a non-finite value.
 */
export function checkWeights(config: ResolvedNetworkConfig, w: Weights): void {
  const { nIn, nRec } = config.neuron;
  const { nOut, bias } = config.readout;
  const shapes: [string, Matrix | undefined, number, number][] = [
    ["wIn", w?.wIn, nIn, nRec],
    ["wRec", w?.wRec, nRec, nRec],
    ["wOut", w?.wOut, nRec, nOut],
  ];
  for (const [name, m, rows, cols] of shapes) {
    if (!m || m.rows !== rows || m.cols !== cols) {
      throw new TypeError(
        `Cannot set weights: ${name} must be ${rows}x${cols}, got ${m ? `${m.rows}x${m.cols}` : m}`,
      );
    }
    checkFiniteArray("set weights", name, m.data, rows * cols);
  }
  if (bias) checkFiniteArray("set weights", "bOut", w.bOut, nOut);
}

/**
 * Deep-copies weights.
 * @param w The weights.
 * @returns An independent copy.
 */
export function copyWeights(w: Weights): Weights {
  const m = (x: Matrix): Matrix => ({
    rows: x.rows,
    cols: x.cols,
    data: Float64Array.from(x.data),
  });
  const out: Weights = { wIn: m(w.wIn), wRec: m(w.wRec), wOut: m(w.wOut) };
  if (w.bOut) out.bOut = Float64Array.from(w.bOut);
  return out;
}

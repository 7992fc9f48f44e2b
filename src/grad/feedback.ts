/**
 * Feedback matrices B[j][k] that turn readout errors into learning signals,
 * L_j(t) = sum_k B[j][k] dE/dy_k(t) (EPROP.md 3.2).
 *
 * - symmetric: B = w_out (tracks w_out as it learns);
 * - random: fixed N(0,1) draw, optionally scaled by 1/sqrt(n_rec);
 * - adaptive (Kolen-Pollack): starts random; every update of w_out is applied to B too, then both
 *   decay by (1 - lambda);
 * - global: B[j][k] = 1/sqrt(n_rec) for every j (one signal for all neurons; a baseline).
 *
 * @module
 */
import { type Matrix, normalMatrix, zeroMatrix } from "../model/weights.ts";
import type { Rng } from "../util/rng.ts";
import { checkChoice, checkNumber } from "../util/errors.ts";

/** The feedback variants. */
export type FeedbackKind = "symmetric" | "random" | "adaptive" | "global";

/** Options of {@linkcode createFeedback}. */
export interface FeedbackOptions {
  /** Number of recurrent neurons. */
  nRec: number;
  /** Number of outputs. */
  nOut: number;
  /** Random source (random and adaptive). */
  rng?: Rng;
  /** Scale random draws by 1/sqrt(n_rec) (default false). */
  scaled?: boolean;
  /** Kolen-Pollack decay lambda (adaptive; default 0.01). */
  lambda?: number;
  /** Random and adaptive: start from this matrix (e.g. a checkpoint) instead of a draw. */
  initial?: Matrix;
}

/** A feedback rule: the matrix for the current readout, and its reaction to readout updates. */
export interface Feedback {
  /** Which variant. */
  readonly kind: FeedbackKind;
  /**
   * The feedback matrix for the current readout.
   *
   * @param wOut The current readout weights (nRec x nOut).
   * @returns The feedback matrix B (nRec x nOut).
   */
  matrix(wOut: Matrix): Matrix;
  /**
   * Called after the optimizer changed w_out by `delta` (in place). Adaptive feedback applies the
   * same change to B and decays both B and w_out; the others do nothing.
   */
  afterReadoutUpdate(wOut: Matrix, delta: Matrix): void;
  /**
   * The rule's own matrix, for checkpoints (random and adaptive), or null (symmetric, global).
   * @returns A copy of B, or null.
   */
  state(): Matrix | null;
}

/**
 * Creates a feedback rule.
 *
 * @param kind The variant.
 * @param options Sizes, random source, scaling, lambda.
 * @returns The feedback rule.
 * @throws {RangeError} For an unknown kind or lambda outside [0, 1).
 * @throws {TypeError} When a random variant has no rng.
 *
 * @example Global feedback
 * ```ts
 * import { createFeedback } from "./feedback.ts";
 * import { zeroMatrix } from "../model/weights.ts";
 * import assert from "node:assert/strict";
 * const fb = createFeedback("global", { nRec: 4, nOut: 1 });
 * assert.deepEqual([...fb.matrix(zeroMatrix(4, 1)).data], [0.5, 0.5, 0.5, 0.5]);
 * ```
 */
export function createFeedback(kind: FeedbackKind, options: FeedbackOptions): Feedback {
  const action = "create feedback";
  const nRec = checkNumber(action, "nRec", options?.nRec, { min: 1, integer: true });
  const nOut = checkNumber(action, "nOut", options.nOut, { min: 1, integer: true });
  checkChoice(action, "kind", kind, ["symmetric", "random", "adaptive", "global"]);
  switch (kind) {
    case "symmetric":
      return { kind, matrix: (wOut) => wOut, afterReadoutUpdate: () => {}, state: () => null };
    case "global": {
      const b = zeroMatrix(nRec, nOut);
      b.data.fill(1 / Math.sqrt(nRec));
      return { kind, matrix: () => b, afterReadoutUpdate: () => {}, state: () => null };
    }
    case "random":
    case "adaptive": {
      let b: Matrix;
      if (options.initial) {
        const m = options.initial;
        if (m.rows !== nRec || m.cols !== nOut) {
          throw new TypeError(
            `Cannot ${action}: initial must be ${nRec}x${nOut}, got ${m.rows}x${m.cols}`,
          );
        }
        b = { rows: nRec, cols: nOut, data: Float64Array.from(m.data) };
      } else {
        if (!options.rng) {
          throw new TypeError(`Cannot ${action}: ${kind} feedback needs options.rng`);
        }
        b = normalMatrix([nRec, nOut], options.rng, {
          scale: options.scaled ? 1 / Math.sqrt(nRec) : 1,
        });
      }
      const state = () => ({ rows: nRec, cols: nOut, data: Float64Array.from(b.data) });
      if (kind === "random") return { kind, matrix: () => b, afterReadoutUpdate: () => {}, state };
      const lambda = checkNumber(action, "lambda", options.lambda ?? 0.01, {
        min: 0,
        max: 0.999999,
      });
      return {
        kind,
        matrix: () => b,
        state,
        afterReadoutUpdate(wOut, delta) {
          for (let i = 0; i < b.data.length; i++) {
            b.data[i] = (1 - lambda) * (b.data[i] + delta.data[i]);
            wOut.data[i] *= 1 - lambda;
          }
        },
      };
    }
  }
}

/**
 * Checks a feedback matrix B against the network's sizes.
 * @param m The matrix.
 * @param expected nRec, nOut, and the action for the message (default "compute gradients").
 * @throws {TypeError} On a wrong shape or a non-finite entry.
 */
export function checkFeedbackMatrix(
  m: Matrix,
  expected: { nRec: number; nOut: number; action?: string },
): void {
  const action = expected.action ?? "compute gradients";
  if (m.rows !== expected.nRec || m.cols !== expected.nOut) {
    throw new TypeError(
      `Cannot ${action}: feedback must be ${expected.nRec}x${expected.nOut}, got ${m.rows}x${m.cols}`,
    );
  }
  for (let i = 0; i < m.data.length; i++) {
    if (!Number.isFinite(m.data[i])) {
      throw new TypeError(`Cannot ${action}: feedback.data[${i}] must be finite, got ${m.data[i]}`);
    }
  }
}

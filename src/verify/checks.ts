/**
 * Comparisons of gradients for the numerical verifications: errors, tolerances, and the refusal
 * of degenerate runs (no spikes, an all-zero or non-finite gradient) that would pass vacuously.
 *
 * @module
 */
import type { GradientResult } from "../engine/backend.ts";

/** One comparison of two gradients. */
export interface Check {
  /** What is compared, e.g. "eq. (1) vs BPTT". */
  name: string;
  /** Where, e.g. "wasm-f64". */
  backend: string;
  /** Largest element-wise |a - b| over the compared matrices. */
  maxAbsError: number;
  /** maxAbsError / max|b|. */
  relativeError: number;
  /** Tolerance on the relative error. */
  tolerance: number;
  /** Whether the check passed; null when skipped (spike counts differ across precisions). */
  passed: boolean | null;
  /** Why it was skipped, if it was. */
  note?: string;
}

/** A run that would make a comparison meaningless. */
export class DegenerateRunError extends Error {
  /** @param message What is degenerate. */
  constructor(message: string) {
    super(message);
    this.name = "DegenerateRunError";
  }
}

/**
 * Refuses a degenerate gradient result.
 * @param r The result.
 * @param label Where it comes from, for the message.
 * @throws {DegenerateRunError} On no spikes, a non-finite value, or an all-zero gradient.
 */
export function assertNonDegenerate(r: GradientResult, label: string): void {
  if (!(r.spikes > 0)) throw new DegenerateRunError(`${label}: the network did not spike`);
  for (const key of ["wIn", "wRec"] as const) {
    const data = r.grads[key].data;
    if (data.some((v) => !Number.isFinite(v))) {
      throw new DegenerateRunError(`${label}: dE/d${key} has a non-finite value`);
    }
    if (!data.some((v) => v !== 0)) {
      throw new DegenerateRunError(`${label}: dE/d${key} is all zero`);
    }
  }
}

/**
 * Compares the input and recurrent weight gradients of two results.
 * @param a The result under test.
 * @param b The reference.
 * @param meta Name, backend and tolerance; `sameTrajectory` false skips the check when the
 *   spike counts differ (a float32 potential at threshold), true demands equal counts.
 * @returns The check.
 */
export function compareGradients(
  a: GradientResult,
  b: GradientResult,
  meta: { name: string; backend: string; tolerance: number; sameTrajectory?: boolean },
): Check {
  if (a.spikes !== b.spikes) {
    const note = `spike counts differ (${a.spikes} vs ${b.spikes})`;
    if (meta.sameTrajectory ?? true) {
      return { ...meta, maxAbsError: NaN, relativeError: NaN, passed: false, note };
    }
    return { ...meta, maxAbsError: NaN, relativeError: NaN, passed: null, note };
  }
  let diff = 0, scale = 0;
  for (const key of ["wIn", "wRec"] as const) {
    const x = a.grads[key].data, y = b.grads[key].data;
    for (let i = 0; i < y.length; i++) {
      diff = Math.max(diff, Math.abs(x[i] - y[i]));
      scale = Math.max(scale, Math.abs(y[i]));
    }
  }
  const relativeError = scale === 0 ? Infinity : diff / scale;
  return {
    name: meta.name,
    backend: meta.backend,
    tolerance: meta.tolerance,
    maxAbsError: diff,
    relativeError,
    passed: relativeError <= meta.tolerance,
  };
}

/** Formats checks as a Markdown table. */
export function formatChecks(checks: Check[]): string {
  const lines = [
    "| check | backend | max abs error | relative error | tolerance | result |",
    "|---|---|---:|---:|---:|---|",
  ];
  for (const c of checks) {
    const result = c.passed === null
      ? `skipped: ${c.note}`
      : c.passed
      ? "pass"
      : `FAIL${c.note ? `: ${c.note}` : ""}`;
    lines.push(
      `| ${c.name} | ${c.backend} | ${fmt(c.maxAbsError)} | ${fmt(c.relativeError)} | ${
        c.tolerance.toExponential(0)
      } | ${result} |`,
    );
  }
  return lines.join("\n");
}

function fmt(x: number): string {
  return Number.isNaN(x) ? "-" : x.toExponential(2);
}

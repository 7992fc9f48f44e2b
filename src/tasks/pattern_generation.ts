/**
 * The pattern-generation task of Fig. S7 (EPROP.md section 7): a frozen Poisson input pattern and,
 * per output, a target that is a sum of 4 sines (periods 1000, 500, 333 and 200 ms, amplitudes
 * U(0.5, 2), random phases), shifted to start at 0 and scaled to a maximum absolute value of 1.
 *
 * @module
 */
import type { Rng } from "../util/rng.ts";
import { checkNumber } from "../util/errors.ts";
import { bernoulliSpikes } from "./spike_trains.ts";

/** The periods of the target's sines, in ms. */
export const TARGET_PERIODS_MS: readonly number[] = [1000, 500, 333, 200];

/**
 * A sum-of-sines target.
 * @param rng Random source.
 * @param shape Steps T, outputs and dt (ms).
 * @returns [T][nOut], starting at 0, max |value| 1 per output.
 */
export function sumOfSinesTarget(
  rng: Rng,
  shape: { steps: number; nOut: number; dtMs?: number },
): Float64Array {
  const a = "generate target";
  const T = checkNumber(a, "steps", shape.steps, { min: 1, integer: true });
  const nOut = checkNumber(a, "nOut", shape.nOut, { min: 1, integer: true });
  const dt = shape.dtMs ?? 1;
  const out = new Float64Array(T * nOut);
  for (let k = 0; k < nOut; k++) {
    const amps = TARGET_PERIODS_MS.map(() => 0.5 + 1.5 * rng.uniform());
    const phases = TARGET_PERIODS_MS.map(() => 2 * Math.PI * rng.uniform());
    const value = (t: number) =>
      TARGET_PERIODS_MS.reduce(
        (s, p, i) => s + amps[i] * Math.sin(2 * Math.PI * t * dt / p + phases[i]),
        0,
      );
    const start = value(0);
    let max = 0;
    for (let t = 0; t < T; t++) {
      out[t * nOut + k] = value(t) - start;
      max = Math.max(max, Math.abs(out[t * nOut + k]));
    }
    for (let t = 0; t < T; t++) out[t * nOut + k] /= max || 1;
  }
  return out;
}

/**
 * A frozen Poisson spike pattern.
 * @param rng Random source.
 * @param shape Steps T, channels, rate (Hz) and dt (ms).
 * @returns [T][nIn] of 0/1.
 */
export function poissonPattern(
  rng: Rng,
  shape: { steps: number; nIn: number; rateHz: number; dtMs?: number },
): Float64Array {
  const a = "generate input pattern";
  checkNumber(a, "steps", shape.steps, { min: 1, integer: true });
  checkNumber(a, "nIn", shape.nIn, { min: 1, integer: true });
  checkNumber(a, "rateHz", shape.rateHz, { min: 0 });
  const p = shape.rateHz / 1000 * (shape.dtMs ?? 1);
  const out = new Float64Array(shape.steps * shape.nIn);
  for (let i = 0; i < shape.nIn; i++) {
    bernoulliSpikes(rng, p, {
      from: 0,
      to: shape.steps,
      spike: (t) => (out[t * shape.nIn + i] = 1),
    });
  }
  return out;
}

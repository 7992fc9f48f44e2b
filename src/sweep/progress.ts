/**
 * The progress of a running experiment, read from the progress lines it prints
 * (`iter 120/2000 | loss 0.5120 (reg 0.0031) | val err 31.2% | 12.3 Hz | ...`).
 *
 * @module
 */

/** What a progress line tells. */
export interface JobProgress {
  /** Iterations done. */
  iteration: number;
  /** Iteration budget. */
  total: number;
  /** Recent training loss. */
  loss: number;
  /** Latest validation error (a fraction), when the line shows one. */
  validationError?: number;
  /** Recent firing rate in Hz, when the line shows one. */
  rateHz?: number;
}

const NUMBER = String.raw`(-?[\d.]+(?:e[-+]?\d+)?|NaN|-?Infinity)`;
const LINE = new RegExp(String.raw`^iter (\d+)/(\d+) \| loss ${NUMBER}`);
const VALIDATION = new RegExp(String.raw`\| val err ${NUMBER}%`);
const RATE = new RegExp(String.raw`\| ${NUMBER} Hz`);

/**
 * Reads a progress line.
 * @param line One line of an experiment's output.
 * @returns The numbers, or undefined when the line is not a progress line.
 */
export function parseProgressLine(line: string): JobProgress | undefined {
  const m = LINE.exec(line.trim());
  if (!m) return undefined;
  const p: JobProgress = { iteration: Number(m[1]), total: Number(m[2]), loss: Number(m[3]) };
  const v = VALIDATION.exec(line);
  if (v) p.validationError = Number(v[1]) / 100;
  const r = RATE.exec(line);
  if (r) p.rateHz = Number(r[1]);
  return p;
}

/**
 * One short line for a progress report.
 * @param p The progress.
 * @returns E.g. "iter 120/2000 loss 0.512 val 31.2%".
 */
export function formatProgress(p: JobProgress): string {
  return `iter ${p.iteration}/${p.total} loss ${p.loss.toFixed(3)}` +
    (p.validationError !== undefined ? ` val ${(100 * p.validationError).toFixed(1)}%` : "");
}

/**
 * The progress of a running experiment, read from the progress lines it prints
 * (`iter 120/2000 | loss 0.5120 (reg 0.0031) | val err 31.2% | 12.3 Hz | ...`, or fig4/fig5's
 * `frames 70016/1000000  2410 frames/s  episodes 64  mean score (last 32) -4.81  ...  rate 66.9 Hz`).
 *
 * @module
 */

/** What a progress line tells. */
export interface JobProgress {
  /** Iterations (fig4/fig5: emulator frames) done. */
  iteration: number;
  /** Iteration (frame) budget. */
  total: number;
  /** Recent training loss (fig4/fig5: none). */
  loss?: number;
  /** Mean score of the recent episodes (fig4/fig5). */
  score?: number;
  /** Latest validation error (a fraction), when the line shows one. */
  validationError?: number;
  /** Recent firing rate in Hz, when the line shows one. */
  rateHz?: number;
}

const NUMBER = String.raw`(-?[\d.]+(?:e[-+]?\d+)?|NaN|-?Infinity)`;
const LINE = new RegExp(String.raw`^iter (\d+)/(\d+) \| loss ${NUMBER}`);
const VALIDATION = new RegExp(String.raw`\| val err ${NUMBER}%`);
const RATE = new RegExp(String.raw`\| ${NUMBER} Hz`);
const FRAMES_LINE = new RegExp(
  String.raw`^frames (\d+)/(\d+) .*mean score \(last \d+\) ${NUMBER}.* rate ${NUMBER} Hz`,
);

/**
 * Reads a progress line.
 * @param line One line of an experiment's output.
 * @returns The numbers, or undefined when the line is not a progress line.
 */
export function parseProgressLine(line: string): JobProgress | undefined {
  const f = FRAMES_LINE.exec(line.trim());
  if (f) {
    const p: JobProgress = { iteration: Number(f[1]), total: Number(f[2]), rateHz: Number(f[4]) };
    // no episode finished yet: "mean score (last 0) 0.00" says nothing
    if (!/\(last 0\)/.test(line)) p.score = Number(f[3]);
    return p;
  }
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
 * @returns E.g. "iter 120/2000 loss 0.512 val 31.2%" or "frames 70016/1000000 score -4.81".
 */
export function formatProgress(p: JobProgress): string {
  if (p.loss === undefined) {
    return `frames ${p.iteration}/${p.total}` +
      (p.score !== undefined ? ` score ${p.score.toFixed(2)}` : "");
  }
  return `iter ${p.iteration}/${p.total} loss ${p.loss.toFixed(3)}` +
    (p.validationError !== undefined ? ` val ${(100 * p.validationError).toFixed(1)}%` : "");
}

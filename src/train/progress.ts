/**
 * The progress line of long runs: iteration, losses, error, firing rate, speed and time left.
 *
 * @module
 */

/**
 * Formats seconds as "1h02m", "4m05s" or "12s".
 * @param seconds Duration.
 * @returns Short text.
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.max(0, Math.round(seconds));
  if (s >= 3600) {
    return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
  }
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${s}s`;
}

/** What the progress line shows. */
export interface ProgressInfo {
  /** Iterations done. */
  iteration: number;
  /** Iterations planned. */
  total: number;
  /** Recent training loss. */
  loss: number;
  /** Recent regularizer loss. */
  regularizationLoss: number;
  /** Latest validation error, if any. */
  validationError?: number;
  /** Recent firing rate in Hz. */
  rateHz: number;
  /** Iterations per second in this session. */
  iterationsPerSecond: number;
}

/**
 * @param p The numbers.
 * @returns One line, e.g. `iter 120/2000 | loss 0.5120 (reg 0.0031) | val err 31.2% | 12.3 Hz | 6.10 it/s | ETA 5m08s`.
 */
export function progressLine(p: ProgressInfo): string {
  const parts = [
    `iter ${p.iteration}/${p.total}`,
    `loss ${p.loss.toFixed(4)} (reg ${p.regularizationLoss.toFixed(4)})`,
  ];
  if (p.validationError !== undefined && Number.isFinite(p.validationError)) {
    parts.push(`val err ${(100 * p.validationError).toFixed(1)}%`);
  }
  parts.push(`${p.rateHz.toFixed(1)} Hz`);
  parts.push(`${p.iterationsPerSecond.toFixed(2)} it/s`);
  parts.push(`ETA ${formatDuration((p.total - p.iteration) / p.iterationsPerSecond)}`);
  return parts.join(" | ");
}

/**
 * The progress lines of long runs, one implementation of their format and timing: the supervised
 * trainers' (iteration, losses, error, firing rate, speed, time left) and the reward-based agent's
 * (frames, speed, episodes, recent score, updates, firing rate, time left).
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
  /** Whether the network spikes (default true); a non-spiking one (LSTM) shows no rate. */
  spiking?: boolean;
}

/**
 * @param p The numbers.
 * @returns One line, e.g. `iter 120/2000 | loss 0.5120 (reg 0.0031) | val err 31.2% | 12.3 Hz | 6.10 it/s | ETA 5m08s`.
 */
export function progressLine(p: ProgressInfo): string {
  const spiking = p.spiking ?? true;
  const parts = [
    `iter ${p.iteration}/${p.total}`,
    spiking
      ? `loss ${p.loss.toFixed(4)} (reg ${p.regularizationLoss.toFixed(4)})`
      : `loss ${p.loss.toFixed(4)}`,
  ];
  if (p.validationError !== undefined && Number.isFinite(p.validationError)) {
    parts.push(`val err ${(100 * p.validationError).toFixed(1)}%`);
  }
  if (spiking) parts.push(`${p.rateHz.toFixed(1)} Hz`);
  parts.push(`${p.iterationsPerSecond.toFixed(2)} it/s`);
  parts.push(`ETA ${formatDuration((p.total - p.iteration) / p.iterationsPerSecond)}`);
  return parts.join(" | ");
}

/** What a training run's progress line summarises: its records since it (re)started. */
export interface RunProgress {
  /** Iterations done. */
  iteration: number;
  /** Iteration budget. */
  total: number;
  /** Iteration at which this process started (or resumed) the run. */
  startIteration: number;
  /** Seconds since then. */
  seconds: number;
  /** How many recent records a line averages over. */
  window: number;
  /** The run's records (loss, regularizer loss, rate), oldest first. */
  records: readonly { loss: number; regularizationLoss: number; rateHz: number }[];
  /** The last validation error, if any. */
  validationError?: number;
  /** Whether the network spikes (default true). */
  spiking?: boolean;
}

/**
 * The progress line of a training run: means over the last `window` records (at most those
 * since the run started in this process), the last validation error and the speed.
 * @param p The run's state.
 * @returns The line.
 */
export function runProgressLine(p: RunProgress): string {
  const recent = p.records.slice(-Math.min(p.window, p.iteration - p.startIteration));
  const mean = (f: (r: RunProgress["records"][number]) => number) =>
    recent.reduce((a, r) => a + f(r), 0) / recent.length;
  return progressLine({
    iteration: p.iteration,
    total: p.total,
    loss: mean((r) => r.loss),
    regularizationLoss: mean((r) => r.regularizationLoss),
    validationError: p.validationError,
    rateHz: mean((r) => r.rateHz),
    iterationsPerSecond: speed(p.iteration, p.startIteration, p.seconds),
    spiking: p.spiking,
  });
}

/**
 * Work per second since a run (re)started in this process: the speed both progress lines show.
 * @param done Work done (iterations, frames).
 * @param start Work done when this process started or resumed the run.
 * @param seconds Seconds since then.
 * @returns The speed (finite: at least a nanosecond is counted).
 */
export function speed(done: number, start: number, seconds: number): number {
  return (done - start) / Math.max(seconds, 1e-9);
}

/** What the reward-based agent's progress line summarises (`deno task fig4`, `fig5`). */
export interface AgentProgress {
  /** Emulator frames trained. */
  frames: number;
  /** The frame budget. */
  total: number;
  /** Frames when this process started (or resumed) the run. */
  startFrames: number;
  /** Seconds since then. */
  seconds: number;
  /** Finished episodes of the whole run. */
  episodes: number;
  /** Scores of the most recent finished episodes (the line shows their mean). */
  recentScores: readonly number[];
  /** Updates so far. */
  updates: number;
  /** The last update's mean firing rate (spikes per 1 ms step; the line shows Hz). */
  rate: number;
  /** The last update's health in its compact form (src/agent/health.ts healthLine), if any. */
  health?: string;
}

/**
 * The agent's progress line: frames, speed, episodes, recent mean score, updates, firing rate
 * and time left, e.g. `frames 4000/10000  812 frames/s  episodes 12  mean score (last 4) -0.50
 * updates 40  rate 18.2 Hz  ETA 7s`.
 * @param p The run's state.
 * @returns The line.
 */
export function agentProgressLine(p: AgentProgress): string {
  const fps = speed(p.frames, p.startFrames, p.seconds);
  const n = p.recentScores.length;
  const mean = n ? (p.recentScores.reduce((a, s) => a + s, 0) / n).toFixed(2) : "none yet";
  return [
    `frames ${p.frames}/${p.total}`,
    `${fps.toFixed(0)} frames/s`,
    `episodes ${p.episodes}`,
    `mean score (last ${n}) ${mean}`,
    `updates ${p.updates}`,
    `rate ${(p.rate * 1000).toFixed(1)} Hz`,
    `ETA ${formatDuration((p.total - p.frames) / Math.max(fps, 1e-9))}`,
    ...(p.health ? [p.health] : []),
  ].join("  ");
}

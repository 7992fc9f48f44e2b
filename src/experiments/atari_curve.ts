/**
 * The learning curve of Figs. 4-5 over several runs, and the comparison the issue asks for: the
 * score per finished episode binned by frames (mean and sd over the runs' bin means), the random
 * policy's score measured the same way, and whether the agents' last stretch of frames scores
 * above the random policy by a margin and by standard errors. Pure functions over results.json
 * contents (no Deno API).
 *
 * @module
 */

/** A finished episode as results.json holds it. */
export interface CurveEpisode {
  /** Game score. */
  score: number;
  /** Emulator frames of the run when it ended. */
  atFrame: number;
}

/** One bin of the curve. */
export interface CurvePoint {
  /** The bin's end (frames). */
  frames: number;
  /** Mean over the runs of each run's mean score in the bin. */
  mean: number;
  /** Standard deviation over the runs of those means (0 with one run). */
  sd: number;
  /** Runs with an episode in the bin. */
  runs: number;
}

/**
 * Bins every run's episodes by frames and averages over the runs.
 * @param runs Each run's finished episodes.
 * @param bin Frames per bin.
 * @returns The curve, bins without any episode left out.
 */
export function binnedCurve(runs: readonly (readonly CurveEpisode[])[], bin: number): CurvePoint[] {
  if (!(bin > 0)) throw new RangeError(`Cannot bin the curve: bin must be > 0 frames, got ${bin}`);
  const last = Math.max(0, ...runs.flatMap((r) => r.map((e) => e.atFrame)));
  const out: CurvePoint[] = [];
  for (let lo = 0; lo < last; lo += bin) {
    const means: number[] = [];
    for (const r of runs) {
      const s = r.filter((e) => e.atFrame > lo && e.atFrame <= lo + bin).map((e) => e.score);
      if (s.length) means.push(s.reduce((a, x) => a + x, 0) / s.length);
    }
    if (means.length === 0) continue;
    const m = means.reduce((a, x) => a + x, 0) / means.length;
    const sd = means.length > 1
      ? Math.sqrt(means.reduce((a, x) => a + (x - m) ** 2, 0) / (means.length - 1))
      : 0;
    out.push({ frames: lo + bin, mean: m, sd, runs: means.length });
  }
  return out;
}

/** Mean, sd, count and standard error of scores. */
export interface ScoreStats {
  /** Mean. */
  mean: number;
  /** Sample standard deviation. */
  sd: number;
  /** Episodes. */
  n: number;
  /** Standard error of the mean, sd / sqrt(n). */
  se: number;
}

/**
 * Statistics of a set of scores.
 * @param scores The scores.
 * @returns Mean, sd, n, standard error (NaN mean without scores).
 */
export function scoreStats(scores: readonly number[]): ScoreStats {
  const n = scores.length;
  const mean = n ? scores.reduce((a, x) => a + x, 0) / n : NaN;
  const sd = n > 1 ? Math.sqrt(scores.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, sd, n, se: n ? sd / Math.sqrt(n) : NaN };
}

/** The agents' last stretch against the random policy. */
export interface LastStretchComparison {
  /** The stretch: the episodes that ended in the last `frames` frames of each run. */
  frames: number;
  /** The agents' episodes of the stretch, all runs pooled. */
  agent: ScoreStats;
  /** The random policy's episodes (all of them). */
  random: ScoreStats;
  /** agent.mean - random.mean. */
  difference: number;
  /** The difference in standard errors: difference / sqrt(se_agent^2 + se_random^2). */
  standardErrors: number;
  /** Whether the difference is at least `minPoints` and at least `minSe` standard errors. */
  above: boolean;
}

/**
 * Compares the agents' last stretch of frames with the random policy.
 * @param runs Each agent run's episodes.
 * @param random The random policy's episodes.
 * @param options The stretch (default 1M frames), the margins (default 1 point, 3 standard errors).
 * @returns The comparison.
 */
export function compareLastStretch(
  runs: readonly (readonly CurveEpisode[])[],
  random: readonly CurveEpisode[],
  options: { frames?: number; minPoints?: number; minSe?: number } = {},
): LastStretchComparison {
  const frames = options.frames ?? 1e6, minPoints = options.minPoints ?? 1;
  const minSe = options.minSe ?? 3;
  const last = runs.flatMap((r) => {
    const end = Math.max(0, ...r.map((e) => e.atFrame));
    return r.filter((e) => e.atFrame > end - frames).map((e) => e.score);
  });
  const agent = scoreStats(last), rand = scoreStats(random.map((e) => e.score));
  const difference = agent.mean - rand.mean;
  const se = Math.sqrt(agent.se ** 2 + rand.se ** 2);
  const standardErrors = se > 0 ? difference / se : difference > 0 ? Infinity : -Infinity;
  return {
    frames,
    agent,
    random: rand,
    difference,
    standardErrors,
    above: difference >= minPoints && standardErrors >= minSe,
  };
}

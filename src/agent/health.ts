/**
 * The agent's health between two updates, what says whether a run can learn before its score
 * does: the firing-rate distribution of the LSNN and of each CNN layer (median, the fractions
 * silent below 1 Hz and saturated above 150 Hz), the mean TD error, value and policy entropy of
 * the steps that counted, and the gradient's norm per parameter group. Network steps are 1 ms,
 * so a rate of r spikes per step is 1000 r Hz.
 *
 * @module
 */

/** Spike counts of the period (summed over episodes). */
export interface SpikeCounts {
  /** Per LSNN neuron. */
  lsnn: Float64Array;
  /** Per CNN layer, per unit. */
  cnn: Float64Array[];
  /** Network steps x episodes the counts cover (each unit was observed that often). */
  steps: number;
}

/** The actor-critic's sums over the period's counted steps. */
export interface LearnerStats {
  /** Sum of the TD errors (the unroll form: the n-step return minus V; online: delta). */
  td: number;
  /** Sum of V. */
  value: number;
  /** Sum of the policy's entropy (nats). */
  entropy: number;
  /** Agent steps (x episodes) summed. */
  count: number;
}

/** A population's firing-rate distribution. */
export interface RateSummary {
  /** Mean rate (Hz). */
  meanHz: number;
  /** Median of the units' rates (Hz). */
  medianHz: number;
  /** Fraction of units below 1 Hz. */
  below1Hz: number;
  /** Fraction of units above 150 Hz. */
  above150Hz: number;
}

/** What one update reports about the network's health. */
export interface AgentHealth {
  /** The LSNN's rates. */
  lsnn: RateSummary;
  /** Each CNN layer's rates. */
  cnn: RateSummary[];
  /** Mean TD error of the counted steps. */
  tdError: number;
  /** Mean value V of the counted steps. */
  value: number;
  /** Mean policy entropy of the counted steps (nats). */
  entropy: number;
  /** The update's gradient L2 norm per parameter. */
  gradNorms: Record<string, number>;
}

/**
 * The rate distribution of a population.
 * @param counts Spikes per unit.
 * @param steps Network steps x episodes observed.
 * @returns Mean, median, fractions below 1 Hz and above 150 Hz (zeros without steps).
 */
export function rateSummary(counts: ArrayLike<number>, steps: number): RateSummary {
  const n = counts.length;
  if (n === 0 || steps <= 0) return { meanHz: 0, medianHz: 0, below1Hz: 0, above150Hz: 0 };
  const hz = Float64Array.from(counts, (c) => (1000 * c) / steps).sort();
  const median = n % 2 ? hz[(n - 1) / 2] : (hz[n / 2 - 1] + hz[n / 2]) / 2;
  let sum = 0, low = 0, high = 0;
  for (const r of hz) {
    sum += r;
    if (r < 1) low++;
    if (r > 150) high++;
  }
  return { meanHz: sum / n, medianHz: median, below1Hz: low / n, above150Hz: high / n };
}

/**
 * Adds spike counts of several groups of episodes (the same network shape).
 * @param parts The groups' counts.
 * @returns Their sum, or undefined if none is given.
 */
export function sumSpikeCounts(
  parts: readonly (SpikeCounts | undefined)[],
): SpikeCounts | undefined {
  const given = parts.filter((p): p is SpikeCounts => p !== undefined);
  if (given.length === 0) return undefined;
  const out: SpikeCounts = {
    lsnn: new Float64Array(given[0].lsnn.length),
    cnn: given[0].cnn.map((c) => new Float64Array(c.length)),
    steps: 0,
  };
  for (const p of given) {
    for (let j = 0; j < p.lsnn.length; j++) out.lsnn[j] += p.lsnn[j];
    p.cnn.forEach((c, l) => {
      for (let q = 0; q < c.length; q++) out.cnn[l][q] += c[q];
    });
    out.steps += p.steps;
  }
  return out;
}

/**
 * The health of an update.
 * @param counts The period's spike counts.
 * @param stats The learners' sums (several groups: summed).
 * @param grads The update's gradient.
 * @returns The health record.
 */
export function agentHealth(
  counts: SpikeCounts | undefined,
  stats: readonly (LearnerStats | undefined)[],
  grads: Record<string, ArrayLike<number>>,
): AgentHealth {
  let td = 0, value = 0, entropy = 0, count = 0;
  for (const s of stats) {
    if (!s) continue;
    td += s.td, value += s.value, entropy += s.entropy, count += s.count;
  }
  const gradNorms: Record<string, number> = {};
  for (const [name, g] of Object.entries(grads)) {
    let sq = 0;
    for (let i = 0; i < g.length; i++) sq += g[i] * g[i];
    gradNorms[name] = Math.sqrt(sq);
  }
  const mean = (x: number) => count > 0 ? x / count : 0;
  return {
    lsnn: rateSummary(counts?.lsnn ?? [], counts?.steps ?? 0),
    cnn: (counts?.cnn ?? []).map((c) => rateSummary(c, counts!.steps)),
    tdError: mean(td),
    value: mean(value),
    entropy: mean(entropy),
    gradNorms,
  };
}

/**
 * The compact form of a health record for a progress line, e.g.
 * `LSNN 23 Hz (<1 4% >150 1%) conv1 12 Hz (<1 30% >150 0%) conv2 ... TD -0.012 V -0.31 H 1.08`.
 * @param h The record.
 * @returns One line.
 */
export function healthLine(h: AgentHealth): string {
  const pct = (f: number) => `${Math.round(100 * f)}%`;
  const rate = (name: string, r: RateSummary) =>
    `${name} ${r.medianHz.toFixed(0)} Hz (<1 ${pct(r.below1Hz)} >150 ${pct(r.above150Hz)})`;
  return [
    rate("LSNN", h.lsnn),
    ...h.cnn.map((r, l) => rate(`conv${l + 1}`, r)),
    `TD ${h.tdError.toFixed(3)} V ${h.value.toFixed(2)} H ${h.entropy.toFixed(2)}`,
  ].join(" ");
}

/**
 * Bernoulli spike trains (Poisson spikes at rate p per step) drawn by geometric gap sampling: the
 * gap to the next spike is floor(log(u) / log(1 - p)), so the work is proportional to the number
 * of spikes, not of steps, and the process is exactly a Bernoulli(p) process.
 *
 * @module
 */
import type { Rng } from "../util/rng.ts";

/**
 * Calls `spike(t)` for every step t in [from, to) where a Bernoulli(p) spike occurs.
 * @param rng Random source.
 * @param p Spike probability per step, in [0, 1].
 * @param range First step and end (exclusive), and the callback.
 */
export function bernoulliSpikes(
  rng: Rng,
  p: number,
  range: { from: number; to: number; spike: (t: number) => void },
): void {
  if (!(p > 0)) return;
  if (p >= 1) {
    for (let t = range.from; t < range.to; t++) range.spike(t);
    return;
  }
  const logQ = Math.log1p(-p);
  let t = range.from - 1;
  while (true) {
    const u = 1 - rng.uniform(); // in (0, 1]
    t += 1 + Math.floor(Math.log(u) / logQ);
    if (t >= range.to) return;
    range.spike(t);
  }
}

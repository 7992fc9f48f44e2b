import assert from "node:assert/strict";
import { binnedCurve, compareLastStretch, scoreStats } from "./atari_curve.ts";

Deno.test("binnedCurve: per-run bin means, then mean and sd over the runs", () => {
  const a = [{ score: 1, atFrame: 5 }, { score: 3, atFrame: 9 }, { score: 5, atFrame: 15 }];
  const b = [{ score: 4, atFrame: 2 }, { score: 9, atFrame: 19 }];
  assert.deepEqual(binnedCurve([a, b], 10), [
    { frames: 10, mean: 3, sd: Math.SQRT2, runs: 2 },
    { frames: 20, mean: 7, sd: Math.sqrt(8), runs: 2 },
  ]);
  assert.throws(() => binnedCurve([a], 0), /bin must be > 0 frames, got 0/);
});

Deno.test("compareLastStretch: the last frames of each run against the random policy, in points and SEs", () => {
  const run = (offset: number) =>
    Array.from(
      { length: 40 },
      (_, i) => ({ score: (i % 2) + (i >= 20 ? offset : 0), atFrame: i * 10 }),
    );
  const random = Array.from({ length: 30 }, (_, i) => ({ score: i % 2, atFrame: i * 10 }));
  const s = compareLastStretch([run(3), run(3)], random, { frames: 200 });
  // the last 200 frames of each run (which ends at 390): atFrame > 190, 20 episodes per run
  assert.equal(s.agent.n, 40);
  const want = scoreStats([...run(3).slice(20), ...run(3).slice(20)].map((e) => e.score));
  assert.deepEqual(s.agent, want);
  assert.ok(Math.abs(s.difference - (want.mean - 0.5)) < 1e-12);
  assert.ok(s.above && s.standardErrors > 3);
  assert.equal(compareLastStretch([run(0)], random, { frames: 200 }).above, false);
});

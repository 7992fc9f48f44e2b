import assert from "node:assert/strict";
import { agentProgressLine, formatDuration, progressLine, speed } from "./progress.ts";

Deno.test("progress line shows iteration, losses, error, rate, speed and ETA", () => {
  const line = progressLine({
    iteration: 120,
    total: 2000,
    loss: 0.51234,
    regularizationLoss: 0.00312,
    validationError: 0.3125,
    rateHz: 12.34,
    iterationsPerSecond: 6.1,
  });
  assert.equal(
    line,
    "iter 120/2000 | loss 0.5123 (reg 0.0031) | val err 31.3% | 12.3 Hz | 6.10 it/s | ETA 5m08s",
  );
});

Deno.test("durations are short and never negative", () => {
  assert.equal(formatDuration(12.4), "12s");
  assert.equal(formatDuration(308), "5m08s");
  assert.equal(formatDuration(3725), "1h02m");
  assert.equal(formatDuration(-3), "0s");
  assert.equal(formatDuration(Infinity), "?");
});

Deno.test("agentProgressLine: frames, speed, mean of the recent scores, rate in Hz, time left", () => {
  const line = agentProgressLine({
    frames: 4000,
    total: 10_000,
    startFrames: 1000,
    seconds: 6,
    episodes: 12,
    recentScores: [1, -2, 0.5, -1],
    updates: 40,
    rate: 0.0182,
  });
  // 3000 frames in 6 s: 500 frames/s; 6000 frames left: 12 s
  assert.equal(
    line,
    "frames 4000/10000  500 frames/s  episodes 12  mean score (last 4) -0.38  updates 40  rate 18.2 Hz  ETA 12s",
  );
  const none = agentProgressLine({
    frames: 0,
    total: 100,
    startFrames: 0,
    seconds: 0,
    episodes: 0,
    recentScores: [],
    updates: 0,
    rate: 0,
  });
  assert.match(
    none,
    /^frames 0\/100 {2}0 frames\/s {2}episodes 0 {2}mean score \(last 0\) none yet/,
  );
  assert.equal(speed(30, 10, 4), 5);
  assert.equal(formatDuration(3725), "1h02m");
});

import assert from "node:assert/strict";
import { formatDuration, progressLine } from "./progress.ts";

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

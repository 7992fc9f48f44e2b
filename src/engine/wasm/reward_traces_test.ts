/**
 * The online reward traces' queue: frames run in batches of queued episodes (one kernel call per
 * synapse group) give the gradient, traces and sums of one kernel call per frame, bit for bit, in
 * both precisions, with episodes that end (applyDelta, clear) between frames.
 */
import assert from "node:assert/strict";
import { initWasm } from "./module.ts";
import { WasmRewardTraces } from "./reward_traces.ts";
import type { RewardTraceSpec } from "../step_engine.ts";
import { Rng } from "../../util/rng.ts";

const spec: RewardTraceSpec = {
  nIn: 11,
  n: 7,
  nLif: 4,
  steps: 3,
  batch: 4,
  alpha: 0.9,
  rho: 0.97,
  beta: 0.5,
  kappa: 0.8,
  discount: 0.95,
  voltage: true,
};

for (const precision of ["f32", "f64"] as const) {
  Deno.test(`reward traces (${precision}): the batched queue = one kernel call per frame, bit for bit`, async () => {
    const module = await initWasm();
    const batched = new WasmRewardTraces(module, spec, precision);
    const single = new WasmRewardTraces(module, spec, precision);
    const rng = new Rng(3), { nIn, n, steps: S, batch: B } = spec;
    const row = (len: number, f: () => number) => Float64Array.from({ length: len }, f);
    for (let k = 0; k < 12; k++) {
      // episodes in a scrambled order, some skipped: the queue runs when an episode comes back
      const order = [...Array(B).keys()].filter(() => rng.uniform() < 0.8);
      if (k % 3 === 0) order.push(order[0] ?? 0);
      for (const b of order) {
        const frame = {
          x: row(S * nIn, () => rng.uniform() < 0.4 ? 1 : 0),
          zPrev: row(S * n, () => rng.uniform() < 0.2 ? 1 : 0),
          psi: row(S * n, () => rng.uniform()),
          psiPrev: row(S * n, () => rng.uniform()),
          L: row(n, () => rng.normal()),
          LH: row(n, () => rng.normal()),
          cv: row(S * n, () => rng.normal()),
          ca: row(S * n, () => rng.normal()),
        };
        const delta = rng.normal();
        batched.frame(b, frame, delta);
        single.frame(b, frame, delta);
        single.save(); // runs the queue: one frame per kernel call
      }
      if (k % 4 === 1) {
        const b = k % B, delta = rng.normal();
        for (const e of [batched, single]) {
          e.applyDelta(b, delta);
          e.clear(b);
        }
      }
    }
    assert.deepEqual(batched.save(), single.save());
    const signal = row(n, () => rng.normal());
    assert.deepEqual(batched.take(signal), single.take(signal));
  });
}

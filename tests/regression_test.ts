/**
 * Fig. 3 and Fig. S7 give the numbers recorded before the engine became composable
 * (tests/regression/fig_runs.json, written by tests/regression/record_fig_runs.ts): the losses
 * of every iteration and checksums of the final weights, for e-prop (random and symmetric
 * feedback, online regularizer, online form) and BPTT; and tests/regression/more_runs.json (recorded
 * before the network stacks became one): short Fig. 2 runs and agent runs on Catch in each form.
 */
import assert from "node:assert/strict";
import { regressionRuns, type RunSummary } from "./regression/fig_runs.ts";
import { moreRegressionRuns, type MoreRunSummary } from "./regression/more_runs.ts";

const recorded: Record<string, RunSummary> = JSON.parse(
  await Deno.readTextFile(new URL("./regression/fig_runs.json", import.meta.url)),
);

function close(name: string, got: number, want: number) {
  const err = Math.abs(got - want) / Math.max(Math.abs(want), 1e-300);
  assert.ok(
    err <= 1e-12,
    `${name}: got ${got}, recorded ${want} (relative ${err.toExponential(2)})`,
  );
}

for (const [name, run] of Object.entries(regressionRuns)) {
  Deno.test(`regression: ${name} equals the numbers recorded before the change`, async () => {
    const want = recorded[name];
    assert.ok(want, `no recorded numbers for ${name}`);
    const got = await run();
    assert.equal(got.losses.length, want.losses.length);
    got.losses.forEach((v, i) => close(`${name} loss[${i}]`, v, want.losses[i]));
    got.readoutLosses.forEach((v, i) =>
      close(`${name} readout loss[${i}]`, v, want.readoutLosses[i])
    );
    assert.deepEqual(Object.keys(got.weights).sort(), Object.keys(want.weights).sort());
    for (const [w, [sum, sq]] of Object.entries(got.weights)) {
      close(`${name} ${w} sum`, sum, want.weights[w][0]);
      close(`${name} ${w} sum of squares`, sq, want.weights[w][1]);
    }
  });
}

const moreRecorded: Record<string, MoreRunSummary> = JSON.parse(
  await Deno.readTextFile(new URL("./regression/more_runs.json", import.meta.url)),
);

for (const [name, run] of Object.entries(moreRegressionRuns)) {
  Deno.test(`regression: ${name} equals the numbers recorded before the stacks became one`, async () => {
    const want = moreRecorded[name];
    assert.ok(want, `no recorded numbers for ${name}`);
    const got = await run();
    assert.deepEqual(Object.keys(got.series), Object.keys(want.series));
    for (const [s, values] of Object.entries(got.series)) {
      assert.equal(values.length, want.series[s].length, `${name} ${s}: length`);
      values.forEach((v, i) => close(`${name} ${s}[${i}]`, v, want.series[s][i]));
    }
    assert.deepEqual(Object.keys(got.weights).sort(), Object.keys(want.weights).sort());
    for (const [w, [sum, sq]] of Object.entries(got.weights)) {
      close(`${name} ${w} sum`, sum, want.weights[w][0]);
      close(`${name} ${w} sum of squares`, sq, want.weights[w][1]);
    }
  });
}

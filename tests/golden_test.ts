/**
 * Every golden case of tests/golden (copies of shared/golden) (reference gradients from an independent float64 autodiff
 * implementation): f64 within 1e-9 relative max-abs error with identical spike counts; f32
 * within 1e-4 where the spike counts agree. Also checks `deno task grad` end to end.
 */
import assert from "node:assert/strict";
import { parseGradientCase, runGradientCase } from "../src/cases/gradient_case.ts";
import type { GradientCaseResult } from "../src/cases/gradient_case.ts";
import { WasmBackend } from "../src/engine/wasm/wasm_backend.ts";
import { relativeError } from "./_random_network.ts";
import { runGradCli } from "./_grad_cli.ts";

const GOLDEN = new URL("./golden/", import.meta.url);
const CASES = ["lif_mse", "alif_mse", "alif_ce_reg"];

async function readJson(name: string): Promise<unknown> {
  return JSON.parse(await Deno.readTextFile(new URL(name, GOLDEN)));
}

/** Largest relative error over every gradient matrix of the result. */
function compare(actual: GradientCaseResult, expected: GradientCaseResult): Map<string, number> {
  const errors = new Map<string, number>();
  for (const method of ["bptt", "eprop", "eq1"] as const) {
    for (const [key, rows] of Object.entries(expected[method])) {
      const got = (actual[method] as Record<string, number[][]>)[key];
      errors.set(`${method}.${key}`, relativeError(got.flat(), (rows as number[][]).flat()));
    }
  }
  return errors;
}

for (const name of CASES) {
  for (const precision of ["f64", "f32"] as const) {
    for (const form of ["factorized", "online"] as const) {
      Deno.test(`wasm-${precision} golden ${name} (e-prop ${form})`, async () => {
        const c = parseGradientCase(await readJson(`${name}.case.json`));
        const expected = await readJson(`${name}.expected.json`) as GradientCaseResult;
        const backend = await WasmBackend.create(c.config, c.weights, { precision });
        const result = runGradientCase(backend, c, { form });
        // In f32 a potential within ~1e-6 of threshold could flip a spike; none of these cases
        // has one, so the counts must agree in both precisions.
        assert.equal(result.spikes, expected.spikes);
        if (precision === "f64") {
          assert.ok(Math.abs(result.loss - expected.loss) <= 1e-9 * Math.abs(expected.loss));
        }
        const tol = precision === "f64" ? 1e-9 : 1e-4;
        for (const [key, err] of compare(result, expected)) {
          assert.ok(err < tol, `${key}: relative error ${err} >= ${tol}`);
        }
      });
    }
  }
}

Deno.test("deno task grad prints only the result JSON, matching every golden case", async () => {
  for (const name of CASES) {
    const result = await runGradCli([
      new URL(`${name}.case.json`, GOLDEN).pathname,
    ]) as GradientCaseResult;
    const expected = await readJson(`${name}.expected.json`) as GradientCaseResult;
    assert.equal(result.spikes, expected.spikes);
    for (const [key, err] of compare(result, expected)) {
      assert.ok(err < 1e-9, `${name} ${key}: ${err}`);
    }
  }
});

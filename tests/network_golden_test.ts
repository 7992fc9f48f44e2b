/**
 * The format-2 golden cases (tests/golden/*.v2.*, reference gradients of stacked, bidirectional,
 * frame-pooled networks from an independent float64 autodiff implementation) on the WebAssembly
 * core: f64 within 1e-9 relative max-abs error for every matrix, f32 within 1e-4, spikes
 * identical, both e-prop forms; and `deno task grad` end to end.
 */
import assert from "node:assert/strict";
import {
  type NetworkCaseResult,
  parseNetworkCase,
  runNetworkCase,
} from "../src/cases/network_case.ts";
import { WasmNetwork } from "../src/engine/wasm/wasm_network.ts";
import { compareNested } from "./_result_compare.ts";
import { runGradCli } from "./_grad_cli.ts";

const GOLDEN = new URL("./golden/", import.meta.url);
const CASES = ["stacked", "timit_bidir"];

async function readJson(name: string): Promise<unknown> {
  return JSON.parse(await Deno.readTextFile(new URL(name, GOLDEN)));
}

function assertMatches(result: NetworkCaseResult, expected: NetworkCaseResult, tol: number) {
  assert.equal(result.spikes, expected.spikes);
  assert.ok(
    Math.abs(result.loss - expected.loss) <= Math.max(tol, 1e-7) * Math.abs(expected.loss),
    `loss ${result.loss} vs ${expected.loss}`,
  );
  const errors = compareNested(
    { bptt: result.bptt, eprop: result.eprop, eq1: result.eq1 },
    { bptt: expected.bptt, eprop: expected.eprop, eq1: expected.eq1 },
  );
  // Every matrix of the reference is compared: 2 populations per bidirectional layer, w_in and
  // w_rec each, for three methods, and w_out, b_out for two.
  assert.ok(errors.size >= 16, `only ${errors.size} matrices compared`);
  for (const [key, err] of errors) assert.ok(err < tol, `${key}: relative error ${err} >= ${tol}`);
}

for (const name of CASES) {
  for (const precision of ["f64", "f32"] as const) {
    for (const form of ["factorized", "online"] as const) {
      Deno.test(`wasm-${precision} golden ${name}.v2 (e-prop ${form})`, async () => {
        const c = parseNetworkCase(await readJson(`${name}.v2.case.json`));
        const expected = await readJson(`${name}.v2.expected.json`) as NetworkCaseResult;
        const backend = await WasmNetwork.create(c.net, c.params, { precision });
        assertMatches(
          runNetworkCase(backend, c, { form }),
          expected,
          precision === "f64" ? 1e-9 : 1e-4,
        );
      });
    }
  }
}

for (const [backend, tol] of [["wasm", 1e-9], ["tfjs", 1e-4]] as const) {
  Deno.test(`deno task grad --backend ${backend} reads format 2 and matches both golden cases (${tol})`, async () => {
    for (const name of CASES) {
      const result = await runGradCli([
        "--backend",
        backend,
        new URL(`${name}.v2.case.json`, GOLDEN).pathname,
      ]) as NetworkCaseResult;
      assertMatches(result, await readJson(`${name}.v2.expected.json`) as NetworkCaseResult, tol);
    }
  });
}

/**
 * Gradients of a gradient case (docs/spec/GRADIENT_CASE.md) through the public API: parse the
 * JSON, run it on the WebAssembly core in float64, and compare e-prop and eq. (1) with BPTT.
 * `deno task grad CASE.json` prints the whole result object.
 *
 *   deno run --allow-read examples/case_gradients.ts [examples/cases/lsnn_ce.case.json]
 *
 * @module
 */
import { parseGradientCase, runGradientCase, WasmBackend } from "../mod.ts";

const file = Deno.args[0] ?? new URL("./cases/lsnn_ce.case.json", import.meta.url);
const c = parseGradientCase(JSON.parse(await Deno.readTextFile(file)));
const backend = await WasmBackend.create(c.config, c.weights, { precision: "f64" });
const result = runGradientCase(backend, c);
backend.dispose();

const flat = (m: number[][]) => m.flat();
const cosine = (a: number[], b: number[]) => {
  const dot = a.reduce((s, x, i) => s + x * b[i], 0);
  return dot / Math.hypot(...a) / Math.hypot(...b);
};
const maxDiff = (a: number[], b: number[]) => Math.max(...a.map((x, i) => Math.abs(x - b[i])));
console.log(`loss ${result.loss.toFixed(6)}, ${result.spikes} spikes`);
for (const key of ["w_in", "w_rec"] as const) {
  const bptt = flat(result.bptt[key]);
  console.log(
    `${key}: |eq. (1) - BPTT| <= ${maxDiff(flat(result.eq1[key]), bptt).toExponential(1)}, ` +
      `cosine(e-prop, BPTT) = ${cosine(flat(result.eprop[key]), bptt).toFixed(3)}`,
  );
}

/**
 * Writes a gradient case (docs/spec/GRADIENT_CASE.md) for a small random LSNN, to feed
 * `deno task grad` or another implementation.
 *
 *   deno task make-case [--seed N] [--loss mse|ce] [--steps T] [--batch B] [--out FILE]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { Rng } from "../src/util/rng.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    seed: { type: "string", default: "1" },
    loss: { type: "string", default: "ce" },
    steps: { type: "string", default: "80" },
    batch: { type: "string", default: "2" },
    out: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log(
    "usage: deno task make-case [--seed N] [--loss mse|ce] [--steps T] [--batch B] [--out FILE]",
  );
  Deno.exit(0);
}
if (values.loss !== "mse" && values.loss !== "ce") {
  console.error(`make-case: --loss must be mse or ce, got "${values.loss}"`);
  Deno.exit(2);
}
const rng = new Rng(Number(values.seed));
const nIn = 4, nRec = 10, nOut = 2;
const T = Number(values.steps), B = Number(values.batch);
const round = (x: number) => Math.round(x * 1e6) / 1e6;
const matrix = (rows: number, cols: number, scale: number) =>
  Array.from(
    { length: rows },
    () => Array.from({ length: cols }, () => round(rng.normal() * scale)),
  );
const wRec = matrix(nRec, nRec, 0.4);
wRec.forEach((row, j) => (row[j] = 0));
const c: Record<string, unknown> = {
  neuron: {
    n_in: nIn,
    n_rec: nRec,
    tau_m: 20,
    tau_a: 500,
    thr: 0.5,
    beta: Array.from({ length: nRec }, (_, j) => (j < nRec / 2 ? 0 : 0.07)),
    dampening: 0.3,
    n_ref: 2,
    dt: 1,
  },
  readout: { n_out: nOut, tau_out: 20, filter: "normalized" },
  w_in: matrix(nIn, nRec, 1.2),
  w_rec: wRec,
  w_out: matrix(nRec, nOut, 1),
  inputs: Array.from(
    { length: B },
    () =>
      Array.from(
        { length: T },
        () => Array.from({ length: nIn }, () => (rng.uniform() < 0.15 ? 1 : 0)),
      ),
  ),
  targets: Array.from(
    { length: B },
    () =>
      Array.from(
        { length: T },
        (_, t) => Array.from({ length: nOut }, (_, k) => round(Math.sin(t / 10 + k))),
      ),
  ),
  loss: values.loss === "ce" ? { type: "ce", window: Math.ceil(T / 4) } : { type: "mse" },
  regularization: { c: 0.5, f_target: 0.01 },
};
if (values.loss === "ce") c.labels = Array.from({ length: B }, () => rng.int(nOut));
const text = JSON.stringify(c) + "\n";
if (values.out) await Deno.writeTextFile(values.out, text);
else await Deno.stdout.write(new TextEncoder().encode(text));

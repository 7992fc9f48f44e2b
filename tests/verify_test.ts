/**
 * The numerical verifications pass with the measured errors well inside tolerance, refuse
 * degenerate runs, and `deno task verify` writes its figures and exits 0 (or 2 on bad flags).
 */
import assert from "node:assert/strict";
import { verifyAutodiff, verifyFactorization } from "../src/verify/verifications.ts";
import { assertNonDegenerate, compareGradients, DegenerateRunError } from "../src/verify/checks.ts";
import { verificationProblem } from "../src/verify/problem.ts";
import { WasmBackend } from "../src/engine/wasm/wasm_backend.ts";

Deno.test("verify: eq. (1) equals BPTT on every backend", async () => {
  const report = await verifyFactorization({ seed: 8 });
  assert.equal(report.checks.length, 5);
  for (const c of report.checks) {
    assert.equal(c.passed, true, `${c.name} ${c.backend}: ${c.relativeError}`);
  }
  assert.ok(report.checks[0].relativeError < 1e-12);
  assert.ok(report.spikes > 20);
});

Deno.test("verify: hard-coded e-prop equals autodiff e-prop", async () => {
  const report = await verifyAutodiff({ seed: 8 });
  assert.equal(report.checks.length, 10);
  for (const c of report.checks) {
    assert.equal(c.passed, true, `${c.name} ${c.backend}: ${c.relativeError}`);
  }
});

Deno.test("verify: degenerate runs are refused and mismatches fail", async () => {
  const p = verificationProblem({ nRef: 2, steps: 20, batchSize: 1, seed: 8 });
  const backend = await WasmBackend.create(p.config, p.weights, { precision: "f64" });
  const silent = backend.gradients(
    { ...p.batch, inputs: new Float64Array(p.batch.inputs.length) },
    p.objective,
    {
      method: "bptt",
    },
  );
  assert.throws(() => assertNonDegenerate(silent, "silent"), DegenerateRunError);
  const bptt = backend.gradients(p.batch, p.objective, { method: "bptt" });
  const eprop = backend.gradients(p.batch, p.objective, { method: "eprop" });
  const check = compareGradients(eprop, bptt, {
    name: "e-prop vs BPTT",
    backend: "wasm-f64",
    tolerance: 1e-10,
  });
  assert.equal(check.passed, false);
  const nan = {
    ...bptt,
    grads: { ...bptt.grads, wIn: { ...bptt.grads.wIn, data: bptt.grads.wIn.data.map(() => NaN) } },
  };
  assert.throws(() => assertNonDegenerate(nan, "nan"), {
    message: "nan: dE/dwIn has a non-finite value",
  });
});

Deno.test("deno task verify writes SVG and PNG figures and results.json", async () => {
  const dir = await Deno.makeTempDir();
  const run = (args: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read", "--allow-write", "src/apps/verify.ts", ...args],
      cwd: new URL("..", import.meta.url),
      stdout: "piped",
      stderr: "piped",
    }).output();
  try {
    const out = await run(["--out", dir]);
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const stdout = new TextDecoder().decode(out.stdout);
    assert.match(stdout, /all 15 checks passed/);
    for (
      const name of [
        "factorization_gradients",
        "factorization_activity",
        "autodiff_gradients",
        "autodiff_activity",
      ]
    ) {
      const png = await Deno.readFile(`${dir}/${name}.png`);
      assert.deepEqual([...png.subarray(1, 4)], [80, 78, 71]);
      assert.ok((await Deno.stat(`${dir}/${name}.svg`)).size > 1000);
    }
    const results = JSON.parse(await Deno.readTextFile(`${dir}/results.json`));
    assert.equal(results.reports.length, 2);
    const bad = await run(["--only", "everything"]);
    assert.equal(bad.code, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

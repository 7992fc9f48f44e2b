/**
 * Bad input gets a clear error naming the field: weights, batches, objectives and gradient cases
 * (through the API and through `deno task grad`). Config errors: src/model/config_test.ts.
 */
import assert from "node:assert/strict";
import { resolveNetworkConfig } from "../src/model/config.ts";
import { parseGradientCase } from "../src/cases/gradient_case.ts";
import { WasmBackend } from "../src/engine/wasm/wasm_backend.ts";
import { initWeights } from "../src/model/weights.ts";
import { createFeedback } from "../src/grad/feedback.ts";
import { Rng } from "../src/util/rng.ts";

const base = { neuron: { nIn: 2, nRec: 3 }, readout: { nOut: 2 } };

Deno.test("backend rejects bad weights, batches, objectives and options", async () => {
  const config = resolveNetworkConfig(base);
  const weights = initWeights(config, new Rng(1));
  await assert.rejects(
    WasmBackend.create(config, {
      ...weights,
      wRec: { rows: 2, cols: 3, data: new Float64Array(6) },
    }),
    { name: "TypeError", message: "Cannot set weights: wRec must be 3x3, got 2x3" },
  );
  const nanIn = {
    ...weights,
    wIn: { ...weights.wIn, data: weights.wIn.data.map((v, i) => (i === 1 ? NaN : v)) },
  };
  await assert.rejects(WasmBackend.create(config, nanIn), {
    message: "Cannot set weights: wIn[1] must be a finite number, got NaN",
  });
  await assert.rejects(WasmBackend.create(config, weights, { precision: "f16" as never }), {
    message: 'Cannot create backend: precision must be one of "f32", "f64", got "f16"',
  });
  const backend = await WasmBackend.create(config, weights, { precision: "f64" });
  const good = {
    batchSize: 1,
    steps: 3,
    inputs: new Float64Array(6),
    targets: new Float64Array(6),
  };
  const mse = { loss: { type: "mse" as const } };
  assert.throws(
    () => backend.gradients({ ...good, inputs: new Float64Array(5) }, mse, { method: "bptt" }),
    {
      message:
        "Cannot evaluate objective: inputs must have shape [1][3][2] (6 values), got a typed array of length 5",
    },
  );
  assert.throws(() => backend.gradients({ ...good, targets: undefined }, mse, { method: "bptt" }), {
    message:
      "Cannot evaluate objective: targets must have shape [1][3][2] (6 values), got undefined",
  });
  assert.throws(
    () =>
      backend.gradients({ ...good, inputs: new Float64Array([0, 0, Infinity, 0, 0, 0]) }, mse, {
        method: "bptt",
      }),
    { message: "Cannot evaluate objective: inputs[2] must be finite, got Infinity" },
  );
  assert.throws(
    () => backend.gradients(good, { loss: { type: "hinge" } } as never, { method: "bptt" }),
    {
      message: 'Cannot evaluate objective: loss.type must be one of "mse", "ce", got "hinge"',
    },
  );
  assert.throws(() => backend.gradients(good, mse, { method: "rtrl" } as never), {
    message: 'Cannot compute gradients: method must be one of "bptt", "eprop", "eq1", got "rtrl"',
  });
  assert.throws(() => backend.gradients(good, mse, { method: "eprop", form: "fast" } as never), {
    message: 'Cannot compute gradients: form must be one of "online", "factorized", got "fast"',
  });
  const ce = { loss: { type: "ce" as const, window: 2 } };
  assert.throws(
    () => backend.gradients({ ...good, labels: Int32Array.of(2) }, ce, { method: "bptt" }),
    {
      message: "Cannot evaluate objective: labels[0] must be in [0, 1], got 2",
    },
  );
  assert.throws(
    () =>
      backend.gradients(
        { ...good, labels: Int32Array.of(0) },
        { loss: { type: "ce", window: 4 } },
        { method: "bptt" },
      ),
    {
      message: "Cannot evaluate objective: loss.window must be <= 3, got 4",
    },
  );
  assert.throws(
    () =>
      backend.gradients(good, { ...mse, regularization: { c: -1, fTarget: 0.01 } }, {
        method: "bptt",
      }),
    { message: "Cannot evaluate objective: regularization.c must be >= 0, got -1" },
  );
  const disposed = await WasmBackend.create(config, weights);
  disposed.dispose();
  assert.throws(() => disposed.gradients(good, mse, { method: "bptt" }), {
    message: "Cannot use a disposed WasmBackend",
  });
  const wrongFeedback = createFeedback("global", { nRec: 4, nOut: 2 }).matrix(weights.wOut);
  assert.throws(() => backend.gradients(good, mse, { method: "eprop", feedback: wrongFeedback }), {
    message: "Cannot compute gradients: feedback must be 3x2, got 4x2",
  });
});

async function golden(): Promise<Record<string, unknown>> {
  return JSON.parse(
    await Deno.readTextFile(new URL("./golden/alif_ce_reg.case.json", import.meta.url)),
  );
}

Deno.test("gradient cases: malformed fields are named", async () => {
  // deno-lint-ignore no-explicit-any
  const mutate = async (f: (c: Record<string, any>) => void) => {
    const c = await golden();
    f(c);
    return c;
  };
  const cases: [Record<string, unknown>, string][] = [
    [
      await mutate((c) => (c.neuron.tau_m = -20)),
      "Cannot read gradient case: neuron.tau_m must be > 0, got -20",
    ],
    [
      await mutate((c) => (c.neuron.tau_a = -1)),
      "Cannot read gradient case: neuron.tau_a must be > 0, got -1",
    ],
    [
      await mutate((c) => (c.loss = { type: "hinge" })),
      'Cannot read gradient case: loss.type must be one of "mse", "ce", got "hinge"',
    ],
    [
      await mutate((c) => c.w_rec.pop()),
      "Cannot read gradient case: w_rec must have n_rec (8) rows, got an array of length 7",
    ],
    [
      await mutate((c) => (c.w_in[1][2] = "x")),
      'Cannot read gradient case: w_in[1][2] must be a finite number, got "x"',
    ],
    [
      await mutate((c) => (c.inputs[1][5] = [0, 1])),
      "Cannot read gradient case: inputs[1][5] must have length 4, got 2",
    ],
    [
      await mutate((c) => (c.inputs[0][0][0] = null)),
      "Cannot read gradient case: inputs[0][0][0] must be a finite number, got null",
    ],
    [
      await mutate((c) => (c.neuron.beta = [0.1])),
      "Cannot read gradient case: neuron.beta must have length 8, got 1",
    ],
    [
      await mutate((c) => (c.labels = [0, 5])),
      "Cannot read gradient case: labels[1] must be an integer in [0, 1], got 5",
    ],
    [
      await mutate((c) => (c.loss.window = 0)),
      "Cannot read gradient case: loss.window must be an integer in [1, 60], got 0",
    ],
    [
      await mutate((c) => (c.regularization.c = -2)),
      "Cannot read gradient case: regularization.c must be >= 0, got -2",
    ],
    [
      await mutate((c) => (c.readout.filter = "box")),
      'Cannot read gradient case: readout.filter must be one of "normalized", "paper", got "box"',
    ],
    [
      await mutate((c) => (c.neuron.tau_x = 1)),
      "Cannot read gradient case: neuron.tau_x is not a known field",
    ],
    [
      await mutate((c) => delete c.readout),
      "Cannot read gradient case: readout must be an object, got undefined",
    ],
  ];
  for (const [c, message] of cases) assert.throws(() => parseGradientCase(c), { message });
});

Deno.test("deno task grad exits 2 with the field named on stderr and nothing on stdout", async () => {
  const c = await golden();
  (c.neuron as Record<string, unknown>).tau_m = -20;
  const file = await Deno.makeTempFile({ suffix: ".json" });
  await Deno.writeTextFile(file, JSON.stringify(c));
  const run = (args: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read", "src/apps/grad.ts", ...args],
      cwd: new URL("..", import.meta.url),
      stdout: "piped",
      stderr: "piped",
    }).output();
  try {
    for (
      const [args, expected] of [
        [[file], "neuron.tau_m must be > 0, got -20"],
        [[file, "--precision", "f16"], "--precision must be one of auto, f64, f32"],
        [["/nonexistent/case.json"], "cannot read /nonexistent/case.json"],
        [[], "expected CASE.json, got 0"],
      ] as const
    ) {
      const out = await run([...args]);
      assert.equal(out.code, 2);
      assert.equal(out.stdout.length, 0);
      assert.match(
        new TextDecoder().decode(out.stderr),
        new RegExp(expected.replace(/[[\]().-]/g, "\\$&")),
      );
    }
  } finally {
    await Deno.remove(file);
  }
});

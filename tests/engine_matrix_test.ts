/**
 * One test suite for every engine: layer kinds (one LSNN population, composed LSNN networks,
 * the LSTM, the spiking CNN, the step-wise LSNN engine) x engines (the WebAssembly core on one
 * thread, split across workers, tfjs-cpu, tfjs-wasm) x precisions (f64, f32) x checks: the golden cases (reference
 * gradients of an independent float64 autodiff program), the invariants (eq. (1) = BPTT, online
 * = factorized e-prop, hard-coded = autodiff e-prop, e-prop differs from BPTT, padding changes
 * nothing) and engine against engine. Cells are named, listed and skipped in
 * tests/_engine_matrix.ts; every tolerance comes from its `tolerance(precision, agreement)`.
 */
import assert from "node:assert/strict";
import {
  type Cell,
  lower,
  matrixTest,
  matrixTests,
  MAX_FLIP_FRACTION,
  objectiveFor,
  openLsnn,
  openNetwork,
  type Precision,
  sameGraphSkip,
  tfBackendOf,
  tolerance,
  type Variant,
} from "./_engine_matrix.ts";
import {
  type GradientCase,
  type GradientCaseResult,
  parseGradientCase,
  runGradientCase,
} from "../src/cases/gradient_case.ts";
import {
  type NetworkCase,
  type NetworkCaseResult,
  parseNetworkCase,
  runNetworkCase,
} from "../src/cases/network_case.ts";
import type { Backend, GradientOptions, GradientResult } from "../src/engine/backend.ts";
import type {
  NetworkBackend,
  NetworkGradientOptions,
  NetworkGradientResult,
} from "../src/engine/network_backend.ts";
import { WasmBackend } from "../src/engine/wasm/wasm_backend.ts";
import { WasmNetwork } from "../src/engine/wasm/wasm_network.ts";
import { LstmNetwork } from "../src/engine/wasm/lstm_network.ts";
import { SpikingConv } from "../src/engine/wasm/spiking_conv.ts";
import { TfjsBackend } from "../src/engine/tfjs/tfjs_backend.ts";
import { tf } from "../src/engine/tfjs/tf.ts";
import { useTfBackend } from "../src/engine/tfjs/tf.ts";
import { spikingConvGraphGradients } from "../src/engine/tfjs/spiking_conv_graph.ts";
import { createFeedback } from "../src/grad/feedback.ts";
import type { EpropForm } from "../src/util/vocabulary.ts";
import { normalMatrix } from "../src/model/weights.ts";
import { initNetworkParams, type NetworkParams, paramLeaves } from "../src/net/params.ts";
import { resolveNetwork } from "../src/net/network.ts";
import type { LossSpec } from "../src/net/losses.ts";
import type { SequenceBatch } from "../src/net/batch.ts";
import type { NetworkObjective } from "../src/net/objective.ts";
import { initSpikingConvParams, resolveSpikingConvSpec } from "../src/net/spiking_conv_spec.ts";
import { Rng } from "../src/util/rng.ts";
import {
  invariantSpecs,
  type RandomNetworkSpec,
  randomProblem,
  relativeError,
  specName,
} from "./_random_network.ts";
import { type ComposedProblem, randomComposed } from "./_random_composed.ts";
import { compareNested } from "./_result_compare.ts";
import { runGradCli } from "./_grad_cli.ts";
import { LSTM_SPEC, lstmProblem } from "./_engine_matrix_lstm.ts";
import {
  convProblem,
  mismatches,
  pongSequence,
  randomDEdv,
  relNorm,
  SMALL,
} from "./_engine_matrix_conv.ts";
import {
  bpttTangents,
  epropTraces,
  joinRecords,
  openStep,
  runSteps,
  sliceErrors,
  type StepProblem,
  stepProblem,
  thresholdMargin,
} from "./_engine_matrix_step.ts";
import type { StepRecord } from "../src/engine/step_engine.ts";

// ---------------------------------------------------------------------------------------------
// Problems.

const GOLDEN = new URL("./golden/", import.meta.url);
/** Format-1 golden cases: one population with a readout. */
const V1 = ["lif_mse", "alif_mse", "alif_ce_reg"] as const;
/** Format-2 golden cases: stacked, bidirectional, frame-pooled networks. */
const V2 = ["stacked", "timit_bidir"] as const;

async function readJson(name: string): Promise<unknown> {
  return JSON.parse(await Deno.readTextFile(new URL(name, GOLDEN)));
}

interface V1Golden {
  c: GradientCase;
  expected: GradientCaseResult;
}

interface V2Golden {
  c: NetworkCase;
  expected: NetworkCaseResult;
}

const v1: Record<string, V1Golden> = {};
for (const name of V1) {
  v1[name] = {
    c: parseGradientCase(await readJson(`${name}.case.json`)),
    expected: await readJson(`${name}.expected.json`) as GradientCaseResult,
  };
}
const v2: Record<string, V2Golden> = {};
for (const name of V2) {
  v2[name] = {
    c: parseNetworkCase(await readJson(`${name}.v2.case.json`)),
    expected: await readJson(`${name}.v2.expected.json`) as NetworkCaseResult,
  };
}

/** The random LSNN problems run on float32 cells (a larger population, 24 neurons). */
const F32_SPECS: RandomNetworkSpec[] = (["lif-first", "mixed", "alif"] as const).map((mix) => ({
  seed: 31,
  mix,
  nRef: 2,
  loss: "ce",
  regularization: "simple",
  nRec: 24,
}));

/** The random LSNN problems every engine runs against the float64 core. */
const CROSS_SPECS: RandomNetworkSpec[] = [
  { seed: 301, mix: "mixed", nRef: 3, loss: "ce", regularization: "simple" },
  { seed: 302, mix: "alif", nRef: 0, loss: "mse", regularization: "online", bias: true },
  { seed: 303, mix: "lif", nRef: 2, loss: "mse", inputScaling: "leaky", filter: "paper" },
  { seed: 304, mix: "lif-first", nRef: 5, loss: "ce", bias: true },
];

const specVariant = (s: RandomNetworkSpec): Variant<RandomNetworkSpec> => ({
  label: specName(s),
  value: s,
});

/**
 * The random LSNN problems of a cell: every combination on the float64 core; fewer where each
 * costs more (workers start per problem) or the arithmetic is float32.
 */
function lsnnSpecs(cell: Cell): Variant<RandomNetworkSpec>[] {
  if (cell.engine.startsWith("tfjs")) return CROSS_SPECS.map(specVariant);
  if (cell.precision === "f32") return F32_SPECS.map(specVariant);
  const all = invariantSpecs();
  // Workers: the regularizer types, the bias, the paper's filter and leaky input scaling.
  return (cell.engine === "workers" ? [all[1], all[12], all[13], all[19]] : all).map(specVariant);
}

/** Seeds of the random composed networks of a cell. */
function composedSeeds(cell: Cell): Variant<number>[] {
  const seeds = cell.engine === "wasm" && cell.precision === "f64"
    ? Array.from({ length: 16 }, (_, i) => i)
    : cell.engine === "workers"
    ? [0, 3, 5]
    : [0, 1, 2, 4, 6, 7, 9, 12];
  return seeds.map((seed) => ({ label: randomComposed(seed).name, value: seed }));
}

const TFJS = ["tfjs-cpu", "tfjs-wasm"] as const;
const WASM = ["wasm", "workers"] as const;

// ---------------------------------------------------------------------------------------------
// Golden cases.

/**
 * The e-prop variant of a golden run: the core's two forms, or tfjs's two implementations
 * ("factorized" on tfjs is its hard-coded implementation).
 */
type EpropVariant = "factorized" | "online" | "autodiff";

function epropOptions(cell: Cell, variant: EpropVariant): {
  form?: EpropForm;
  implementation?: "hardcoded" | "autodiff";
} {
  if (cell.engine.startsWith("tfjs")) {
    return { implementation: variant === "autodiff" ? "autodiff" : "hardcoded" };
  }
  return { form: variant as EpropForm };
}

function variantSkip(cell: Cell, variant: EpropVariant): string | undefined {
  if (sameGraphSkip(cell)) return sameGraphSkip(cell);
  const tfjs = cell.engine.startsWith("tfjs");
  if (variant === "online" && tfjs) return "tfjs has no online form";
  if (variant === "autodiff" && !tfjs) return "the core computes e-prop hard-coded only";
  return undefined;
}

/** Runs the three gradients of a case on any engine, then formats them as the case runner does. */
async function runV1(cell: Cell, g: V1Golden, variant: EpropVariant): Promise<GradientCaseResult> {
  const engine = await openLsnn(cell, g.c.config, g.c.weights);
  try {
    const options = epropOptions(cell, variant);
    const done = new Map<string, GradientResult>();
    for (const o of [{ method: "bptt" }, { method: "eprop", ...options }, { method: "eq1" }]) {
      done.set(o.method, await engine.gradients(g.c.batch, g.c.objective, o as GradientOptions));
    }
    const recorded = {
      gradients: (_b: unknown, _o: unknown, o: GradientOptions) => done.get(o.method)!,
    };
    return runGradientCase(recorded as unknown as Backend, g.c, options);
  } finally {
    engine.dispose();
  }
}

async function runV2(cell: Cell, g: V2Golden, variant: EpropVariant): Promise<NetworkCaseResult> {
  const engine = await openNetwork(cell, g.c.net, g.c.params);
  try {
    const options = epropOptions(cell, variant);
    const done = new Map<string, NetworkGradientResult>();
    for (const o of [{ method: "bptt" }, { method: "eprop", ...options }, { method: "eq1" }]) {
      const objective = objectiveFor(cell, g.c.objective);
      done.set(o.method, await engine.gradients(g.c.batch, objective, o as NetworkGradientOptions));
    }
    const recorded = {
      gradients: (_b: unknown, _o: unknown, o: NetworkGradientOptions) => done.get(o.method)!,
    };
    return runNetworkCase(recorded as unknown as NetworkBackend, g.c, options);
  } finally {
    engine.dispose();
  }
}

/**
 * A result against the golden reference: identical spike counts (no potential of these cases lies
 * within float32 rounding of the threshold), the loss and every matrix within the reference
 * tolerance of the precision.
 */
function assertGolden(
  result: GradientCaseResult | NetworkCaseResult,
  expected: GradientCaseResult | NetworkCaseResult,
  precision: Precision,
  minMatrices: number,
): void {
  const tol = tolerance(precision, "reference");
  assert.equal(result.spikes, expected.spikes);
  const scale = precision === "f64"
    ? Math.abs(expected.loss)
    : Math.max(1, Math.abs(expected.loss));
  assert.ok(
    Math.abs(result.loss - expected.loss) <= tol * scale,
    `loss ${result.loss} vs ${expected.loss}`,
  );
  const errors = compareNested(
    { bptt: result.bptt, eprop: result.eprop, eq1: result.eq1 },
    { bptt: expected.bptt, eprop: expected.eprop, eq1: expected.eq1 },
  );
  // Every matrix of the reference is compared.
  assert.ok(errors.size >= minMatrices, `only ${errors.size} matrices compared`);
  for (const [key, err] of errors) assert.ok(err < tol, `${key}: relative error ${err} >= ${tol}`);
}

for (const variant of ["factorized", "online", "autodiff"] as const) {
  for (const name of V1) {
    matrixTest(`golden ${name} (e-prop ${variant})`, {
      kinds: ["lsnn"],
      skip: (cell) => variantSkip(cell, variant),
    }, async (cell) => {
      const g = v1[name];
      // w_in, w_rec, w_out of BPTT and e-prop, w_in, w_rec of eq. (1).
      assertGolden(await runV1(cell, g, variant), g.expected, cell.precision, 8);
    });
  }
  for (const name of V2) {
    matrixTest(`golden ${name}.v2 (e-prop ${variant})`, {
      kinds: ["network"],
      skip: (cell) => variantSkip(cell, variant),
    }, async (cell) => {
      const g = v2[name];
      // 2 populations per bidirectional layer, w_in and w_rec each, for three methods, and
      // w_out, b_out for two.
      assertGolden(await runV2(cell, g, variant), g.expected, cell.precision, 16);
    });
  }
}
matrixTest("golden cases", {
  kinds: ["lstm", "conv"],
  skip: () => "tests/golden holds LSNN cases only",
}, () => {});

// `deno task grad` end to end: its default engine (wasm, f64) on both formats, and tfjs.
matrixTest("golden cases through deno task grad", {
  kinds: ["lsnn", "network"],
  engines: ["wasm"],
  precisions: ["f64"],
}, async (cell) => {
  if (cell.kind === "lsnn") {
    for (const name of V1) {
      const result = await runGradCli([new URL(`${name}.case.json`, GOLDEN).pathname]);
      assertGolden(result as GradientCaseResult, v1[name].expected, "f64", 8);
    }
    return;
  }
  for (const name of V2) {
    const result = await runGradCli([
      "--backend",
      "wasm",
      new URL(`${name}.v2.case.json`, GOLDEN).pathname,
    ]);
    assertGolden(result as NetworkCaseResult, v2[name].expected, "f64", 16);
  }
});
matrixTest("golden cases through deno task grad --backend tfjs", {
  kinds: ["network"],
  engines: ["tfjs-cpu"],
}, async (cell) => {
  for (const name of V2) {
    const result = await runGradCli([
      "--backend",
      "tfjs",
      new URL(`${name}.v2.case.json`, GOLDEN).pathname,
    ]);
    assertGolden(result as NetworkCaseResult, v2[name].expected, cell.precision, 16);
  }
});

// ---------------------------------------------------------------------------------------------
// Invariants: eq. (1) = BPTT.

function assertClose(a: GradientResult, b: GradientResult, what: string, tol: number): void {
  for (const key of ["wIn", "wRec", "wOut"] as const) {
    const err = relativeError(a.grads[key].data, b.grads[key].data);
    assert.ok(err < tol, `${what} ${key}: relative error ${err} >= ${tol}`);
  }
  if (b.grads.bOut) assert.ok(relativeError(a.grads.bOut!, b.grads.bOut) < tol, `${what} bOut`);
}

/** Worst relative error over the leaves of two gradient trees, with the leaf's path. */
function worst(a: NetworkParams, b: NetworkParams, only?: RegExp): [string, number] {
  const lb = paramLeaves(b);
  let out: [string, number] = ["", 0];
  paramLeaves(a).forEach((leaf, i) => {
    if (only && !only.test(leaf.path)) return;
    const err = relativeError(leaf.data, lb[i].data);
    if (err >= out[1]) out = [leaf.path, err];
  });
  return out;
}

matrixTests("bptt = eq1", { kinds: ["lsnn"], skip: sameGraphSkip }, lsnnSpecs, async (cell, s) => {
  const p = randomProblem(s);
  const engine = await openLsnn(cell, p.config, p.weights);
  try {
    const bptt = await engine.gradients(p.batch, p.objective, { method: "bptt" });
    assert.ok(bptt.spikes > 10, `too few spikes (${bptt.spikes}) for a meaningful test`);
    const eq1 = await engine.gradients(p.batch, p.objective, { method: "eq1" });
    for (const key of ["wIn", "wRec"] as const) {
      const err = relativeError(eq1.grads[key].data, bptt.grads[key].data);
      assert.ok(err < tolerance(cell.precision, "reordered"), `eq1 vs bptt ${key}: ${err}`);
    }
    assert.equal(eq1.loss, bptt.loss);
    assert.equal(eq1.spikes, bptt.spikes);
  } finally {
    engine.dispose();
  }
});

matrixTests("bptt = eq1", { kinds: ["network"] }, composedSeeds, async (cell, seed) => {
  const p = randomComposed(seed);
  const objective = objectiveFor(cell, p.objective);
  const engine = await openNetwork(cell, p.net, p.params);
  try {
    const bptt = await engine.gradients(p.batch, objective, { method: "bptt" });
    bptt.rates.forEach((r, i) =>
      assert.ok(r.some((v) => v > 0), `population ${i} never spikes: the test would be empty`)
    );
    const eq1 = await engine.gradients(p.batch, objective, { method: "eq1" });
    const [path, err] = worst(eq1.grads, bptt.grads, /^layers/);
    assert.ok(err < tolerance(cell.precision, "reordered"), `eq1 vs bptt ${path}: ${err}`);
    assert.equal(eq1.loss, bptt.loss);
  } finally {
    engine.dispose();
  }
});

matrixTest("bptt = eq1", {
  kinds: ["lstm", "conv"],
  skip: (cell) =>
    cell.kind === "lstm"
      ? "eq. (1) factorizes the LSNN's gradient; the LSTM refuses it (lstm_test.ts)"
      : "eq. (1) factorizes the LSNN's gradient; the spiking CNN's BPTT is checked against a reverse pass in spiking_conv_test.ts",
}, () => {});

matrixTest("online regularizer carries its rate estimate between calls (bptt = eq1)", {
  kinds: ["lsnn"],
  engines: WASM,
}, async (cell) => {
  const p = randomProblem({
    seed: 7,
    mix: "mixed",
    nRef: 2,
    loss: "mse",
    regularization: "online",
  });
  const engine = await openLsnn(cell, p.config, p.weights);
  try {
    const first = await engine.gradients(p.batch, p.objective, { method: "bptt" });
    const again = await engine.gradients(p.batch, p.objective, {
      method: "bptt",
      rateEstimate: first.rateEstimate,
    });
    assert.notDeepEqual(first.rateEstimate, again.rateEstimate);
    const eq1 = await engine.gradients(p.batch, p.objective, {
      method: "eq1",
      rateEstimate: first.rateEstimate,
    });
    const err = relativeError(eq1.grads.wRec.data, again.grads.wRec.data);
    assert.ok(err < tolerance(cell.precision, "reordered"), `${err}`);
  } finally {
    engine.dispose();
  }
});

// ---------------------------------------------------------------------------------------------
// Invariants: online = factorized e-prop (and hard-coded = autodiff on tfjs).

const onlineSkip = (cell: Cell) =>
  cell.engine.startsWith("tfjs") ? "tfjs has no online form" : undefined;

matrixTests(
  "online e-prop = factorized e-prop",
  {
    kinds: ["lsnn"],
    skip: onlineSkip,
  },
  lsnnSpecs,
  async (cell, s) => {
    const p = randomProblem(s);
    const engine = await openLsnn(cell, p.config, p.weights);
    const tol = tolerance(cell.precision, "reordered");
    try {
      const fb = createFeedback("random", {
        nRec: p.config.neuron.nRec,
        nOut: p.config.readout.nOut,
        rng: p.rng,
      });
      const feedbacks = cell.precision === "f64"
        ? [undefined, fb.matrix(p.weights.wOut)]
        : [undefined];
      for (const feedback of feedbacks) {
        const what = feedback ? "random feedback" : "symmetric feedback";
        const fact = await engine.gradients(p.batch, p.objective, {
          method: "eprop",
          feedback,
          form: "factorized",
        });
        const online = await engine.gradients(p.batch, p.objective, {
          method: "eprop",
          feedback,
          form: "online",
        });
        assertClose(online, fact, `${what}: online vs factorized`, tol);
        assert.equal(online.spikes, fact.spikes);
        const lossTol = tolerance(cell.precision, "grouping");
        assert.ok(
          Math.abs(online.loss - fact.loss) <= lossTol * Math.abs(fact.loss),
          `${what}: loss`,
        );
        if (p.objective.regularization?.type === "online") {
          const err = relativeError(online.rateEstimate!, fact.rateEstimate!);
          assert.ok(err < tolerance(cell.precision, "rounding"), `${what}: rate estimate ${err}`);
        }
      }
      // w_out's gradient is exact for every method.
      const bptt = await engine.gradients(p.batch, p.objective, { method: "bptt" });
      const eprop = await engine.gradients(p.batch, p.objective, { method: "eprop" });
      const err = relativeError(eprop.grads.wOut.data, bptt.grads.wOut.data);
      assert.ok(err < tolerance(cell.precision, "rounding"), `e-prop w_out is not exact: ${err}`);
    } finally {
      engine.dispose();
    }
  },
);

matrixTests(
  "online e-prop = factorized e-prop",
  {
    kinds: ["network"],
    skip: onlineSkip,
  },
  composedSeeds,
  async (cell, seed) => {
    const p = randomComposed(seed);
    const engine = await openNetwork(cell, p.net, p.params);
    try {
      const bptt = await engine.gradients(p.batch, p.objective, { method: "bptt" });
      const random = p.net.heads.map((h) => normalMatrix([h.nFeat, h.nOut], p.rng));
      for (const feedback of [undefined, random]) {
        const fact = await engine.gradients(p.batch, p.objective, { method: "eprop", feedback });
        const online = await engine.gradients(p.batch, p.objective, {
          method: "eprop",
          feedback,
          form: "online",
        });
        const [where, e] = worst(online.grads, fact.grads);
        assert.ok(
          e < tolerance(cell.precision, "reordered"),
          `online vs factorized ${where}: ${e}`,
        );
        assert.equal(online.spikes, fact.spikes);
        // Heads get their exact gradient whatever the feedback.
        const [head, eh] = worst(fact.grads, bptt.grads, /^heads/);
        assert.ok(eh < tolerance(cell.precision, "rounding"), `e-prop ${head} is not exact: ${eh}`);
      }
    } finally {
      engine.dispose();
    }
  },
);

matrixTest("online e-prop = factorized e-prop", {
  kinds: ["lstm", "conv"],
  skip: () => "one e-prop form (checked against forward-mode eligibility traces in its own suite)",
}, () => {});

matrixTests("hard-coded e-prop = autodiff e-prop", {
  kinds: ["lsnn"],
  engines: TFJS,
  skip: sameGraphSkip,
}, () => [
  ...V1.map((name) => ({ label: name, value: () => v1[name].c })),
  ...CROSS_SPECS.map((s) => ({ label: specName(s), value: () => randomProblem(s) })),
], async (cell, problem) => {
  const p = problem();
  const engine = await openLsnn(cell, p.config, p.weights);
  try {
    const feedback = createFeedback("random", {
      nRec: p.config.neuron.nRec,
      nOut: p.config.readout.nOut,
      rng: new Rng(7),
    }).matrix(p.weights.wOut);
    const auto = await engine.gradients(p.batch, p.objective, {
      method: "eprop",
      implementation: "autodiff",
      feedback,
    });
    const hard = await engine.gradients(p.batch, p.objective, {
      method: "eprop",
      implementation: "hardcoded",
      feedback,
    });
    const tol = tolerance(cell.precision, "reordered");
    assertClose(hard, auto, "hard-coded vs autodiff", tol);
    assert.ok(Math.abs(hard.loss - auto.loss) <= tol * Math.max(1, Math.abs(auto.loss)), "loss");
  } finally {
    engine.dispose();
  }
});

// ---------------------------------------------------------------------------------------------
// Invariants: e-prop is not BPTT (a property of the maths, checked on the float64 core).

/**
 * Symmetric e-prop drops the recurrent and reset paths of the exact gradient: on these networks
 * it must differ from BPTT by more than this relative max-abs error (never by rounding only).
 */
const EPROP_IS_NOT_BPTT = 1e-3;

const mathsOnce = (cell: Cell) =>
  cell.engine === "wasm" && cell.precision === "f64"
    ? undefined
    : "a property of the maths, checked once on the float64 core";

matrixTest("symmetric e-prop is not bptt on recurrent networks", {
  kinds: ["lsnn", "network", "lstm", "conv"],
  skip: (cell) =>
    cell.kind === "conv"
      ? "the spiking CNN takes external errors; spiking_conv_test.ts finds its e-prop off BPTT"
      : mathsOnce(cell),
}, async (cell) => {
  if (cell.kind === "lsnn") {
    for (const s of invariantSpecs()) {
      const p = randomProblem(s);
      const backend = await WasmBackend.create(p.config, p.weights, { precision: "f64" });
      const bptt = backend.gradients(p.batch, p.objective, { method: "bptt" });
      const eprop = backend.gradients(p.batch, p.objective, { method: "eprop" });
      const err = relativeError(eprop.grads.wRec.data, bptt.grads.wRec.data);
      assert.ok(err > EPROP_IS_NOT_BPTT, `${specName(s)}: e-prop equals BPTT to ${err}`);
      backend.dispose();
    }
  } else if (cell.kind === "network") {
    for (let seed = 0; seed < 16; seed++) {
      const p = randomComposed(seed);
      const backend = await WasmNetwork.create(p.net, p.params, { precision: "f64" });
      const bptt = backend.gradients(p.batch, p.objective, { method: "bptt" });
      const eprop = backend.gradients(p.batch, p.objective, { method: "eprop" });
      const [, diff] = worst(eprop.grads, bptt.grads, /^layers/);
      assert.ok(diff > EPROP_IS_NOT_BPTT, `${p.name}: e-prop equals BPTT to ${diff}`);
      backend.dispose();
    }
  } else {
    const { params, batch, objective } = lstmProblem(2);
    const net = await LstmNetwork.create(LSTM_SPEC, params, { precision: "f64" });
    const b = paramLeaves(net.gradients(batch, objective, { method: "bptt" }).grads);
    const e = paramLeaves(net.gradients(batch, objective, { method: "eprop" }).grads);
    // The readout's gradient is exact under e-prop; the recurrent weights' is not.
    assert.deepEqual(e[6].data, b[6].data);
    const err = relativeError(e[1].data, b[1].data);
    assert.ok(err > EPROP_IS_NOT_BPTT, `e-prop equals BPTT to ${err}`);
    net.dispose();
  }
});

// ---------------------------------------------------------------------------------------------
// Invariants: padding frames hold arbitrary values and change nothing.

/** The batch and objective with every padding frame (input, label, target) overwritten. */
function padded(p: ComposedProblem, objective: NetworkObjective, huge: boolean) {
  const { batchSize: B, frames: F, lengths } = p.batch;
  const nIn = p.net.nIn;
  assert.ok(lengths!.some((l) => l < F), "no padding in this batch");
  const inputs = Float64Array.from(p.batch.inputs);
  // Values a float32 engine can hold (Number.MAX_VALUE / 1e10 overflows float32).
  const fill = huge ? [1e6, -3, Number.MAX_VALUE / 1e10] : [1e6, -3, 3e30];
  for (let b = 0; b < B; b++) {
    for (let i = (b * F + lengths![b]) * nIn; i < (b + 1) * F * nIn; i++) inputs[i] = fill[i % 3];
  }
  const losses = (objective.losses as LossSpec[]).map((l): LossSpec => {
    if (l.type === "mse") {
      const targets = Float64Array.from(l.targets);
      const nOut = targets.length / (B * F);
      for (let b = 0; b < B; b++) {
        targets.fill(1e9, (b * F + lengths![b]) * nOut, (b + 1) * F * nOut);
      }
      return { ...l, targets };
    }
    if (l.type === "ce_frames") {
      const labels = Int32Array.from(l.labels);
      for (let b = 0; b < B; b++) labels.fill(-7, b * F + lengths![b], (b + 1) * F);
      return { ...l, labels };
    }
    return l;
  });
  return { batch: { ...p.batch, inputs }, objective: { ...objective, losses } };
}

matrixTests(
  "padding invariance",
  { kinds: ["network"] },
  (cell) =>
    (cell.engine === "wasm" && cell.precision === "f64" ? [0, 3, 5, 10] : [0, 5]).map((seed) => ({
      label: `seed ${seed}`,
      value: seed,
    })),
  async (cell, seed) => {
    const p = randomComposed(seed);
    const objective = objectiveFor(cell, p.objective);
    const other = padded(p, objective, cell.precision === "f64");
    const engine = await openNetwork(cell, p.net, p.params);
    try {
      for (const method of ["bptt", "eprop", "eq1"] as const) {
        const a = await engine.gradients(p.batch, objective, { method });
        const b = await engine.gradients(other.batch, other.objective, { method });
        assert.equal(b.loss, a.loss);
        assert.equal(b.spikes, a.spikes);
        assert.deepEqual(paramLeaves(b.grads), paramLeaves(a.grads), `${method} changed`);
      }
    } finally {
      engine.dispose();
    }
  },
);

matrixTest("padding invariance", { kinds: ["lstm"] }, async (cell) => {
  const { params, batch, objective } = lstmProblem(3);
  const net = await LstmNetwork.create(LSTM_SPEC, params, { precision: cell.precision });
  try {
    const inputs = Float64Array.from(batch.inputs);
    const { frames: F, lengths } = batch, nIn = LSTM_SPEC.nIn;
    for (let b = 0; b < batch.batchSize; b++) {
      for (let i = (b * F + lengths![b]) * nIn; i < (b + 1) * F * nIn; i++) inputs[i] = 1e6;
    }
    for (const method of ["bptt", "eprop"] as const) {
      const a = net.gradients(batch, objective, { method });
      const p = net.gradients({ ...batch, inputs }, objective, { method });
      assert.equal(p.loss, a.loss);
      paramLeaves(p.grads).forEach((leaf, i) =>
        assert.deepEqual(leaf.data, paramLeaves(a.grads)[i].data, leaf.path)
      );
    }
  } finally {
    net.dispose();
  }
});

matrixTest("padding invariance", {
  kinds: ["lsnn", "conv"],
  skip: (cell) =>
    cell.kind === "lsnn"
      ? "a single-population batch has one length"
      : "the spiking CNN's frames are never padded",
}, () => {});

// ---------------------------------------------------------------------------------------------
// Engine against engine: LSNN population.

const FLOAT64_CORE = "= wasm f64";

matrixTest(`${FLOAT64_CORE} on golden and random cases (bptt, eq1, e-prop)`, {
  kinds: ["lsnn"],
  skip: (cell) => cell.engine === "wasm" && cell.precision === "f64" ? "the reference" : undefined,
}, async (cell) => {
  let compared = 0, skipped = 0;
  const problems = [
    ...V1.map((name) => ({ name, golden: true, ...v1[name].c })),
    ...(cell.engine === "workers" ? [] : CROSS_SPECS).map((s) => ({
      name: specName(s),
      golden: false,
      ...randomProblem(s),
    })),
  ];
  const tol = tolerance(
    lower(cell.precision, "f64"),
    cell.precision === "f64" ? "grouping" : "reference",
  );
  for (const p of problems) {
    const ref = await WasmBackend.create(p.config, p.weights, { precision: "f64" });
    const engine = await openLsnn(cell, p.config, p.weights);
    try {
      const feedback = createFeedback("random", {
        nRec: p.config.neuron.nRec,
        nOut: p.config.readout.nOut,
        rng: new Rng(7),
      }).matrix(p.weights.wOut);
      const tfjs = cell.engine.startsWith("tfjs");
      const goldenCells = cell.precision === "f32" && !sameGraphSkip(cell);
      const runs: [string, GradientOptions, GradientOptions][] = [
        ["bptt", { method: "bptt" }, { method: "bptt" }],
        ["eq1", { method: "eq1" }, { method: "eq1" }],
        ["eprop hardcoded", { method: "eprop" }, { method: "eprop" }],
        ["eprop, random feedback", { method: "eprop", feedback }, { method: "eprop", feedback }],
      ];
      if (tfjs) {
        runs.push(["eprop autodiff", { method: "eprop", implementation: "autodiff" }, {
          method: "eprop",
        }], ["eprop autodiff, random feedback", {
          method: "eprop",
          implementation: "autodiff",
          feedback,
        }, { method: "eprop", feedback }]);
      }
      for (const [what, options, refOptions] of runs) {
        // The golden cells check symmetric e-prop, BPTT and eq. (1) against the reference.
        if (p.golden && goldenCells && !refOptions.feedback) continue;
        const a = await engine.gradients(p.batch, p.objective, options);
        const b = ref.gradients(p.batch, p.objective, refOptions);
        if (a.spikes !== b.spikes && cell.precision === "f32") {
          skipped++; // a potential within float32 rounding of threshold
          continue;
        }
        assert.equal(a.spikes, b.spikes, `${p.name} ${what}: spikes`);
        assertClose(a, b, `${p.name} ${what}`, tol);
        assert.ok(
          Math.abs(a.loss - b.loss) <= tol * Math.max(1, Math.abs(b.loss)),
          `${p.name} ${what} loss`,
        );
        compared++;
      }
    } finally {
      engine.dispose();
      ref.dispose();
    }
  }
  // Spike counts differ only by float32 rounding at threshold: rare, never the rule.
  assert.ok(compared >= 0.8 * (compared + skipped), `compared ${compared}, skipped ${skipped}`);
});

matrixTest("repeated gradient calls leave numTensors unchanged", {
  kinds: ["lsnn"],
  engines: TFJS,
}, async (cell) => {
  const p = randomProblem(CROSS_SPECS[0]);
  const tfb = await TfjsBackend.create(p.config, p.weights, {
    tfBackend: tfBackendOf(cell.engine),
  });
  tfb.gradients(p.batch, p.objective, { method: "bptt" });
  const before = tf.memory().numTensors;
  for (const method of ["bptt", "eprop", "eq1"] as const) {
    for (const implementation of ["autodiff", "hardcoded"] as const) {
      if (method !== "eprop" && implementation === "autodiff") continue;
      tfb.gradients(p.batch, p.objective, { method, implementation });
    }
  }
  tfb.simulate(p.batch);
  assert.equal(tf.memory().numTensors, before);
  tfb.dispose();
  assert.equal(tf.memory().numTensors, before - 5);
});

matrixTest(`simulate ${FLOAT64_CORE} (spikes identical, v, thr, psi, y)`, {
  kinds: ["lsnn"],
  engines: ["workers", ...TFJS],
}, async (cell) => {
  const p = randomProblem(CROSS_SPECS[0]);
  const engine = await openLsnn(cell, p.config, p.weights);
  const ref = await WasmBackend.create(p.config, p.weights, { precision: "f64" });
  const a = engine.backend.simulate(p.batch), b = ref.simulate(p.batch);
  assert.deepEqual(a.z, b.z);
  const tol = tolerance(lower(cell.precision, "f64"), "reference");
  for (const key of ["v", "thr", "psi", "y"] as const) {
    assert.ok(relativeError(a[key], b[key]) < tol, key);
  }
  engine.dispose();
  ref.dispose();
});

matrixTest("tfjs rejects a wrong feedback shape and use after dispose", {
  kinds: ["lsnn"],
  engines: TFJS,
}, async (cell) => {
  const p = randomProblem(CROSS_SPECS[0]);
  const tfb = await TfjsBackend.create(p.config, p.weights, {
    tfBackend: tfBackendOf(cell.engine),
  });
  assert.throws(
    () =>
      tfb.gradients(p.batch, p.objective, {
        method: "eprop",
        feedback: { rows: 1, cols: 1, data: new Float64Array(1) },
      }),
    {
      message:
        `Cannot compute gradients: feedback must be ${p.config.neuron.nRec}x${p.config.readout.nOut}, got 1x1`,
    },
  );
  tfb.dispose();
  assert.throws(() => tfb.gradients(p.batch, p.objective, { method: "bptt" }), {
    message: "Cannot use a disposed TfjsBackend",
  });
});

matrixTest(`evaluate: the gradient call's loss and spikes; ${FLOAT64_CORE}`, {
  kinds: ["lsnn"],
  skip: sameGraphSkip,
}, async (cell) => {
  let compared = 0;
  for (const s of CROSS_SPECS) {
    const p = randomProblem(s);
    const ref = await WasmBackend.create(p.config, p.weights, { precision: "f64" });
    const engine = await openLsnn(cell, p.config, p.weights);
    try {
      const a = engine.backend.evaluate(p.batch, p.objective);
      if (!cell.engine.startsWith("tfjs")) {
        const g = await engine.gradients(p.batch, p.objective, { method: "bptt" });
        // One core: the same computation; workers sum the parts' losses in another grouping.
        if (cell.engine === "wasm") assert.equal(a.loss, g.loss);
        const lossTol = tolerance(cell.precision, "grouping");
        assert.ok(
          Math.abs(a.loss - g.loss) <= lossTol * Math.abs(g.loss),
          `${a.loss} vs ${g.loss}`,
        );
        assert.equal(a.spikes, g.spikes);
        const meanRate = a.rates.reduce((x, r) => x + r, 0) / a.rates.length;
        const expected = a.spikes / (p.batch.batchSize * p.batch.steps * p.config.neuron.nRec);
        assert.ok(
          Math.abs(meanRate - expected) <= tolerance(cell.precision, "rounding") * expected,
        );
      }
      const b = ref.evaluate(p.batch, p.objective);
      if (a.spikes === b.spikes) { // else a potential within float32 rounding of threshold
        const tol = tolerance(lower(cell.precision, "f64"), "reference");
        assert.ok(Math.abs(a.loss - b.loss) <= tol * Math.max(1, b.loss), specName(s));
        assert.ok(relativeError(a.y, b.y) < tol, specName(s));
        compared++;
      }
    } finally {
      engine.dispose();
      ref.dispose();
    }
  }
  assert.ok(
    compared >= CROSS_SPECS.length - 1,
    `only ${compared} of ${CROSS_SPECS.length} compared`,
  );
});

// ---------------------------------------------------------------------------------------------
// Engine against engine: composed networks.

matrixTests(
  `${FLOAT64_CORE}: e-prop (tfjs autodiff) and bptt, spikes`,
  {
    kinds: ["network"],
    skip: (cell) =>
      cell.engine === "wasm" && cell.precision === "f64" ? "the reference" : undefined,
  },
  (
    cell,
  ) => [{ label: `seeds ${composedSeeds(cell).map((s) => s.value)}`, value: composedSeeds(cell) }],
  async (cell, seeds) => {
    let compared = 0;
    const skipped: number[] = [];
    const tfjs = cell.engine.startsWith("tfjs");
    const tol = tolerance(
      lower(cell.precision, "f64"),
      cell.precision === "f64" ? "grouping" : "reference",
    );
    for (const { value: seed } of seeds) {
      const p = randomComposed(seed);
      const objective = objectiveFor(cell, p.objective);
      const wasm = await WasmNetwork.create(p.net, p.params, { precision: "f64" });
      const engine = await openNetwork(cell, p.net, p.params);
      try {
        const feedback = p.net.heads.map((h) => normalMatrix([h.nFeat, h.nOut], p.rng));
        const a = wasm.gradients(p.batch, objective, { method: "eprop", feedback });
        const b = await engine.gradients(p.batch, objective, {
          method: "eprop",
          feedback,
          ...(tfjs ? { implementation: "autodiff" as const } : {}),
        });
        if (a.spikes !== b.spikes && cell.precision === "f32") {
          skipped.push(seed); // a potential within float32 rounding of threshold
          continue;
        }
        assert.equal(b.spikes, a.spikes, `seed ${seed}: spikes`);
        const [where, e] = worst(b.grads, a.grads);
        assert.ok(e < tol, `seed ${seed} e-prop ${where}: ${e}`);
        const c = wasm.gradients(p.batch, objective, { method: "bptt" });
        const d = await engine.gradients(p.batch, objective, { method: "bptt" });
        const [wb, eb] = worst(d.grads, c.grads);
        assert.ok(eb < tol, `seed ${seed} bptt ${wb}: ${eb}`);
        const lossTol = tolerance(lower(cell.precision, "f64"), "grouping");
        assert.ok(Math.abs(a.loss - b.loss) <= lossTol * Math.abs(a.loss), `seed ${seed}: loss`);
        if (engine.simulate) {
          const sa = wasm.simulate(p.batch), sb = engine.simulate(p.batch);
          sa.z.forEach((z, i) => assert.deepEqual(Array.from(sb.z[i]), Array.from(z)));
        }
        compared++;
      } finally {
        wasm.dispose();
        engine.dispose();
      }
    }
    // Float32 can flip a spike that sits on the threshold; most networks must still be compared.
    assert.ok(compared >= seeds.length - 2, `only ${compared} compared; skipped ${skipped}`);
  },
);

matrixTest(
  `simulate a bidirectional network on full-length sequences (no lengths) ${FLOAT64_CORE}`,
  {
    kinds: ["network"],
    skip: (cell) =>
      cell.engine === "workers"
        ? "workers return gradients only"
        : cell.engine === "wasm" && cell.precision === "f64"
        ? "the reference"
        : undefined,
  },
  async (cell) => {
    const net = resolveNetwork({
      nIn: 4,
      repeat: 2,
      layers: [{ neuron: { nRec: 6, thr: 0.3, beta: 0.05, nRef: 2 }, bidirectional: true }],
      heads: [{ nOut: 2, pool: "frame_mean", tauOut: 3 }],
    });
    const rng = new Rng(21);
    const params = initNetworkParams(net, rng);
    const batch: SequenceBatch = {
      batchSize: 3,
      frames: 10,
      inputs: new Float64Array(3 * 10 * 4).map(() => 2 * rng.normal() + 0.5),
    };
    const wasm = await WasmNetwork.create(net, params, { precision: "f64" });
    const engine = await openNetwork(cell, net, params);
    try {
      const a = wasm.simulate(batch), b = engine.simulate!(batch);
      const spikes = a.z.reduce((s, z) => s + z.reduce((x, v) => x + v, 0), 0);
      assert.ok(spikes > 10, `too few spikes (${spikes})`);
      a.z.forEach((z, i) => assert.deepEqual(Array.from(b.z[i]), Array.from(z), `population ${i}`));
    } finally {
      wasm.dispose();
      engine.dispose();
    }
  },
);

// ---------------------------------------------------------------------------------------------
// Engine against engine: LSTM.

matrixTest(`${FLOAT64_CORE} (bptt, e-prop)`, {
  kinds: ["lstm"],
  skip: (cell) => cell.precision === "f64" ? "the reference" : undefined,
}, async (cell) => {
  const { params, batch, objective } = lstmProblem(3);
  const n64 = await LstmNetwork.create(LSTM_SPEC, params, { precision: "f64" });
  const other = await LstmNetwork.create(LSTM_SPEC, params, { precision: cell.precision });
  try {
    for (const method of ["bptt", "eprop"] as const) {
      const a = n64.gradients(batch, objective, { method });
      const s = other.gradients(batch, objective, { method });
      paramLeaves(s.grads).forEach((leaf, i) => {
        const err = relativeError(leaf.data, paramLeaves(a.grads)[i].data);
        assert.ok(err < tolerance(cell.precision, "reference"), `${method} ${leaf.path}: ${err}`);
      });
    }
  } finally {
    n64.dispose();
    other.dispose();
  }
});

// ---------------------------------------------------------------------------------------------
// Engine against engine: spiking CNN.

function firstMismatch(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i] + 0, b[i] + 0)) return i;
  return -1;
}

matrixTest(`${FLOAT64_CORE}: spikes, potentials, bptt and e-prop with and without dEdv`, {
  kinds: ["conv"],
  engines: ["wasm"],
  skip: (cell) => cell.precision === "f64" ? "the reference" : undefined,
}, async (cell) => {
  const { params, frames, B, F, T, dEdz, spec, rng } = convProblem(SMALL, 5);
  const dEdv = randomDEdv(spec, T, B, rng);
  const nets = await Promise.all(
    ([cell.precision, "f64"] as const).map((precision) =>
      SpikingConv.create(SMALL, params, { precision })
    ),
  );
  const passes = nets.map((net) => net.forward(frames, B, F, { recordPotentials: true }));
  spec.layers.forEach((_, l) => {
    assert.equal(firstMismatch(passes[0].spikes(l), passes[1].spikes(l)), -1, `layer ${l}`);
    const err = relativeError(passes[0].potentials(l), passes[1].potentials(l));
    assert.ok(err < tolerance(cell.precision, "grouping"), `potentials of layer ${l}: ${err}`);
  });
  const tol = tolerance(cell.precision, "reference");
  for (const method of ["bptt", "eprop"] as const) {
    const [g32, g64] = nets.map((net, i) => net.gradients(passes[i], dEdz, { method }));
    g32.forEach((g, l) => {
      const err = relativeError(g, g64[l]);
      assert.ok(err < tol, `${method} layer ${l}: ${err}`);
    });
    const [v32, v64] = nets.map((net, i) => net.gradients(passes[i], dEdz, { method, dEdv }));
    v32.forEach((g, l) => {
      const err = relativeError(g, v64[l]);
      assert.ok(err < tol, `${method} with dEdv, layer ${l}: ${err}`);
    });
  }
  nets.forEach((n) => n.dispose());
});

matrixTests(
  "= wasm f32 on Pong frames, the paper's layers: spikes, bptt gradients",
  {
    kinds: ["conv"],
    engines: TFJS,
  },
  () => [36, 84].map((size) => ({ label: `${size}x${size}`, value: size })),
  async (cell, size) => {
    await useTfBackend(tfBackendOf(cell.engine));
    const B = 2, F = 3;
    const spec = resolveSpikingConvSpec({ height: size, width: size });
    const T = F * spec.stepsPerFrame;
    const rng = new Rng(11);
    const params = initSpikingConvParams(spec, rng);
    const frames = await pongSequence(B, F, size);
    const dEdz = spec.layers.map((l) =>
      Float64Array.from({ length: T * B * l.units }, () => rng.normal())
    );
    const net = await SpikingConv.create(spec, params, { precision: "f32" });
    const pass = net.forward(frames, B, F);
    const wasmSpikes = spec.layers.map((_, l) => pass.spikes(l));
    const wasmGrads = net.gradients(pass, dEdz, { method: "bptt" });
    const rates = pass.rates();
    assert.ok(rates.every((r) => r > 0.05 && r < 0.9), `both layers fire: ${rates}`);

    // Free-running tfjs: count the spikes that differ.
    const free = spikingConvGraphGradients(spec, params.weights, frames, B, F, { dEdz });
    const flips = wasmSpikes.map((z, l) => mismatches(free.spikes[l], z));
    // Each flip is a tie at the threshold in float32: the potential within rounding of thr.
    for (let l = 0; l < flips.length; l++) {
      for (let i = 0; i < wasmSpikes[l].length; i++) {
        if (free.spikes[l][i] === wasmSpikes[l][i]) continue;
        if (l > 0 && flips[0] > 0) continue; // downstream of a flip in layer 0, anything goes
        const gap = Math.abs(free.v[l][i] - spec.thr);
        assert.ok(gap < tolerance("f32", "rounding"), `layer ${l} spike ${i}: |v - thr| = ${gap}`);
      }
    }
    // Teacher-forced on the WebAssembly spikes: the same trajectory, gradients from tfjs's v.
    const forced = spikingConvGraphGradients(spec, params.weights, frames, B, F, {
      dEdz,
      forcedSpikes: wasmSpikes,
    });
    const errors = wasmGrads.map((g, l) => relNorm(forced.grads[l], g));
    console.log(
      `${size}x${size}: rates ${rates.map((r) => r.toFixed(3))}; free-running spike mismatches ` +
        `${flips}; BPTT gradient relative error (norm), teacher-forced ${
          errors.map((e) => e.toExponential(2))
        }`,
    );
    flips.forEach((f, l) =>
      assert.ok(f <= wasmSpikes[l].length * MAX_FLIP_FRACTION, `layer ${l}: ${f} flips`)
    );
    errors.forEach((e, l) =>
      assert.ok(e < tolerance("f32", "grouping"), `layer ${l}: gradient ${e}`)
    );
    for (const g of wasmGrads) assert.ok(g.some((v) => Math.abs(v) > 1e-3));
    pass.release();
    net.dispose();
  },
);

matrixTest("with a bias per channel, teacher-forced = wasm f32 (filter and bias gradients)", {
  kinds: ["conv"],
  engines: TFJS,
}, async (cell) => {
  await useTfBackend(tfBackendOf(cell.engine));
  const specIn = { ...SMALL, layers: SMALL.layers!.map((l) => ({ ...l, bias: true })) };
  const { spec, params, frames, B, F, dEdz, rng } = convProblem(specIn, 13);
  const b = spec.layers.map((l) =>
    Float64Array.from({ length: l.channels }, () => 0.3 * rng.normal())
  );
  const net = await SpikingConv.create(specIn, { weights: params.weights, b }, {
    precision: "f32",
  });
  const pass = net.forward(frames, B, F);
  const wasmSpikes = spec.layers.map((_, l) => pass.spikes(l));
  const wasm = net.parameterGradients(pass, dEdz, { method: "bptt" });
  const tfjs = spikingConvGraphGradients(spec, params.weights, frames, B, F, {
    dEdz,
    forcedSpikes: wasmSpikes,
    bias: b,
  });
  const errors = spec.layers.map((_, l) => [
    relNorm(tfjs.grads[l], wasm.weights[l]),
    relNorm(tfjs.biasGrads[l]!, wasm.b![l]!),
  ]);
  console.log(
    `bias: teacher-forced tfjs vs wasm f32, relative error (norm) [filters, bias] per layer: ${
      errors.map((e) => e.map((x) => x.toExponential(2)).join("/"))
    }`,
  );
  errors.forEach(([w, bias], l) => {
    assert.ok(w < tolerance("f32", "grouping"), `layer ${l}: filters ${w}`);
    assert.ok(bias < tolerance("f32", "grouping"), `layer ${l}: bias ${bias}`);
  });
  // the free-running tfjs graph with the bias fires as the core does (ties at thr aside)
  const free = spikingConvGraphGradients(spec, params.weights, frames, B, F, { dEdz, bias: b });
  assert.ok(mismatches(free.spikes[0], wasmSpikes[0]) <= wasmSpikes[0].length * MAX_FLIP_FRACTION);
  pass.release();
  net.dispose();
});

matrixTest("started from a wasm pass's state, = wasm f32's continuation (spikes)", {
  kinds: ["conv"],
  engines: TFJS,
}, async (cell) => {
  await useTfBackend(tfBackendOf(cell.engine));
  const B = 2, F = 3, size = 36;
  const spec = resolveSpikingConvSpec({ height: size, width: size });
  const params = initSpikingConvParams(spec, new Rng(12));
  const frames = await pongSequence(B, F, size);
  const net = await SpikingConv.create(spec, params, { precision: "f32" });
  const first = net.forward(frames.subarray(0, 2 * B * size * size), B, 2);
  const state = first.state();
  first.release();
  const rest = net.forward(frames.subarray(2 * B * size * size), B, 1, { state });
  const restSpikes = spec.layers.map((_, l) => rest.spikes(l));
  const tfRest = spikingConvGraphGradients(
    spec,
    params.weights,
    frames.subarray(2 * B * size * size),
    B,
    1,
    { dEdz: [], state },
  );
  restSpikes.forEach((z, l) => assert.equal(mismatches(tfRest.spikes[l], z), 0, `layer ${l}`));
  rest.release();
  net.dispose();
});

// ---------------------------------------------------------------------------------------------
// The step-wise LSNN engine: every engine against the float64 core and two float64 references.

/** The step problems: LIF only and mixed LIF/ALIF, two seeds each (B = 3, 4 calls, 16 steps). */
const STEP_PROBLEMS: Variant<StepProblem>[] = (["lif", "alif"] as const).flatMap((mix) =>
  [1, 3].map((seed) => {
    const p = stepProblem(mix, seed);
    return { label: p.name, value: p };
  })
);

/** The spans a reverse pass runs over: every call, and the last three (truncated at call 1). */
const SPANS = [{ label: "whole run", from: 0 }, { label: "from call 1", from: 1 }] as const;

function stepSpan(p: StepProblem, records: StepRecord[], from: number) {
  const start = p.calls.slice(0, from).reduce((t, c) => t + c.steps, 0);
  const steps = p.calls.slice(from).reduce((t, c) => t + c.steps, 0);
  return {
    span: records.slice(from),
    errors: sliceErrors(p.errors, p.batch * p.spec.n, p.batch, start, steps),
  };
}

function newGrads(p: StepProblem) {
  return {
    wIn: new Float64Array(p.spec.nIn * p.spec.n),
    wRec: new Float64Array(p.spec.n * p.spec.n),
  };
}

function assertRel(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): void {
  const err = relativeError(a, b);
  assert.ok(err <= tol, `${what}: relative error ${err} > ${tol}`);
  assert.ok(Array.prototype.some.call(b, (v: number) => v !== 0), `${what}: all zero`);
}

matrixTests(
  `${FLOAT64_CORE}: records over calls with resets (spikes, potentials, thresholds, psi, state)`,
  {
    kinds: ["step"],
    skip: (cell) =>
      cell.engine === "wasm" && cell.precision === "f64" ? "the reference" : undefined,
  },
  () => STEP_PROBLEMS,
  async (cell, p) => {
    const ref = await openStep({ ...cell, engine: "wasm", precision: "f64" }, p.spec);
    const engine = await openStep(cell, p.spec);
    try {
      const a = runSteps(ref, p), b = runSteps(engine, p);
      // No decision within 1e-4 of the threshold: float32 cannot flip a spike of this run.
      const margin = thresholdMargin(a);
      assert.ok(margin > 1e-4, `${p.name}: a potential lies ${margin} from its threshold`);
      const ja = joinRecords(a), jb = joinRecords(b);
      const spikes = ja.z.reduce((s, z) => s + z, 0);
      assert.ok(spikes > 30 && spikes < ja.z.length / 2, `${p.name}: ${spikes} spikes`);
      assert.deepEqual(Array.from(jb.z), Array.from(ja.z));
      const tol = tolerance(cell.precision, "grouping");
      assertRel(jb.v, ja.v, tol, "potentials");
      assertRel(jb.thr, ja.thr, tol, "thresholds");
      assertRel(jb.psi, ja.psi, tol, "pseudo-derivatives");
      a.forEach((r, k) => {
        assert.deepEqual(Array.from(b[k].x), Array.from(r.x), `call ${k}: x`);
        assert.deepEqual(Array.from(b[k].zBefore), Array.from(r.zBefore), `call ${k}: zBefore`);
        const e = relativeError(b[k].psiBefore, r.psiBefore); // call 0: the zero state
        assert.ok(e <= tol, `call ${k}: psiBefore: relative error ${e}`);
      });
      // The state after the last call (it carries on into the next one).
      const sa = ref.initState(p.batch), sb = engine.initState(p.batch);
      const last = p.calls.length - 1;
      for (const [e, s] of [[ref, sa], [engine, sb]] as const) {
        p.calls.forEach((c, k) => {
          e.step(c.x, s, c.steps);
          if (c.resetAfter && k < last) e.reset(s, c.resetAfter);
        });
      }
      assert.deepEqual(Array.from(sb.r), Array.from(sa.r));
      assert.deepEqual(Array.from(sb.z), Array.from(sa.z));
      assertRel(sb.v, sa.v, tol, "state v");
      assertRel(sb.a, sa.a, tol, "state a");
    } finally {
      ref.dispose();
      engine.dispose();
    }
  },
);

matrixTests(
  `${FLOAT64_CORE}: reverse over a span (D, dE/dw_in, dE/dw_rec; bptt, e-prop; cuts, dE/dv, dE/da), inputSignal`,
  {
    kinds: ["step"],
    skip: (cell) =>
      cell.engine === "wasm" && cell.precision === "f64" ? "the reference" : undefined,
  },
  () =>
    STEP_PROBLEMS.flatMap((v) =>
      SPANS.map((s) => ({ label: `${v.label}, ${s.label}`, value: { p: v.value, from: s.from } }))
    ),
  async (cell, { p, from }) => {
    const ref = await openStep({ ...cell, engine: "wasm", precision: "f64" }, p.spec);
    const engine = await openStep(cell, p.spec);
    try {
      const a = stepSpan(p, runSteps(ref, p), from), b = stepSpan(p, runSteps(engine, p), from);
      const tol = tolerance(cell.precision, "reference");
      for (const method of ["bptt", "eprop"] as const) {
        const ga = newGrads(p), gb = newGrads(p);
        const Da = ref.reverse(a.span, a.errors, method, ga).D;
        const Db = engine.reverse(b.span, b.errors, method, gb).D;
        assertRel(Db, Da, tol, `${method} D`);
        assertRel(gb.wIn, ga.wIn, tol, `${method} dE/dw_in`);
        assertRel(gb.wRec, ga.wRec, tol, `${method} dE/dw_rec`);
        const rows = Da.length / p.spec.n;
        assertRel(engine.inputSignal(Da, rows), ref.inputSignal(Da, rows), tol, "inputSignal");
      }
      // The two methods differ here (the test is not blind to the method).
      const g1 = newGrads(p), g2 = newGrads(p);
      engine.reverse(b.span, b.errors, "bptt", g1);
      engine.reverse(b.span, b.errors, "eprop", g2);
      assert.ok(relativeError(g2.wRec, g1.wRec) > 0.01, "e-prop = BPTT: the span is too easy");
    } finally {
      ref.dispose();
      engine.dispose();
    }
  },
);

matrixTests(
  "bptt reverse = float64 forward-mode tangents; e-prop reverse = float64 eligibility traces",
  { kinds: ["step"], skip: sameGraphSkip },
  () =>
    STEP_PROBLEMS.flatMap((v) =>
      SPANS.map((s) => ({ label: `${v.label}, ${s.label}`, value: { p: v.value, from: s.from } }))
    ),
  async (cell, { p, from }) => {
    const engine = await openStep(cell, p.spec);
    try {
      // The references differentiate the engine's own records (its spikes and psi) in float64.
      const { span, errors } = stepSpan(p, runSteps(engine, p), from);
      const tol = tolerance(cell.precision, "reordered");
      const bptt = newGrads(p);
      const D = engine.reverse(span, errors, "bptt", bptt).D;
      const tangents = bpttTangents(p.spec, p.weights, span, errors);
      assertRel(D, tangents.D, tol, "bptt D");
      assertRel(bptt.wIn, tangents.wIn, tol, "bptt dE/dw_in");
      assertRel(bptt.wRec, tangents.wRec, tol, "bptt dE/dw_rec");
      // `into` is added to, not overwritten.
      const twice = { wIn: bptt.wIn.slice(), wRec: bptt.wRec.slice() };
      engine.reverse(span, errors, "bptt", twice);
      assertRel(twice.wIn, bptt.wIn.map((v) => 2 * v), tol, "bptt added twice");
      const eprop = newGrads(p);
      engine.reverse(span, errors, "eprop", eprop);
      const traces = epropTraces(p.spec, span, errors);
      assertRel(eprop.wIn, traces.wIn, tol, "e-prop dE/dw_in");
      assertRel(eprop.wRec, traces.wRec, tol, "e-prop dE/dw_rec");
    } finally {
      engine.dispose();
    }
  },
);

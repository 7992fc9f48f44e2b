/**
 * The step-wise LSNN engine on tfjs (float32): S steps in one call equal S calls of one step;
 * reset zeroes only the masked episodes; the factory builds it by name; "f64", bad shapes and
 * bad arguments are refused naming the field. Its numbers against the WebAssembly core and two
 * float64 references: tests/engine_matrix_test.ts (kind "step").
 */
import assert from "node:assert/strict";
import { TfjsLsnnStepEngine } from "./tfjs_step_engine.ts";
import { tf, useTfBackend } from "./tf.ts";
import { createLsnnStepEngine } from "../factory/step_engines.ts";
import type { StepPopulationSpec } from "../step_engine.ts";
import { Rng } from "../../util/rng.ts";

const nIn = 4, n = 5, B = 3;
const spec: StepPopulationSpec = {
  nIn,
  n,
  alpha: 0.9,
  rho: 0.95,
  thr: 0.5,
  dampening: 0.3,
  nRef: 2,
  beta: [0, 0, 0.3, 0.3, 0.3],
};

function weights(seed: number) {
  const rng = new Rng(seed);
  return {
    wIn: Float64Array.from({ length: nIn * n }, () => 0.7 * rng.normal()),
    wRec: Float64Array.from({ length: n * n }, () => 0.3 * rng.normal()),
  };
}

function inputs(seed: number, steps: number): Float64Array {
  const rng = new Rng(seed);
  return Float64Array.from({ length: steps * B * nIn }, () => rng.uniform() < 0.4 ? 1 : 0);
}

async function engine(): Promise<TfjsLsnnStepEngine> {
  const e = await TfjsLsnnStepEngine.create(spec, { tfBackend: "cpu" });
  e.setWeights(weights(1));
  return e;
}

Deno.test("tfjs LSNN step engine: S steps at once = S single steps; reset masks episodes; no leak", async () => {
  const e = await engine();
  const before = tf.memory().numTensors;
  const S = 10, x = inputs(2, S);
  const all = e.step(x, e.initState(B), S);
  const state = e.initState(B);
  const z: number[] = [], v: number[] = [];
  for (let s = 0; s < S; s++) {
    const r = e.step(x.subarray(s * B * nIn, (s + 1) * B * nIn), state);
    z.push(...r.z);
    v.push(...r.v);
  }
  assert.deepEqual(Array.from(all.z), z);
  assert.deepEqual(Array.from(all.v), v); // the same float32 operations, step by step
  assert.ok(z.some((s) => s === 1) && z.some((s) => s === 0), "the population spikes, not always");
  assert.deepEqual(Array.from(state.z), Array.from(all.z.subarray((S - 1) * B * n)));
  e.reset(state, [0, 1, 0]);
  for (const key of ["v", "a", "r", "z", "psi"] as const) {
    assert.ok(state[key].subarray(n, 2 * n).every((s) => s === 0), key);
  }
  assert.ok(state.v.subarray(0, n).some((s) => s !== 0));
  assert.ok(state.v.subarray(2 * n).some((s) => s !== 0));
  const into = { wIn: new Float64Array(nIn * n), wRec: new Float64Array(n * n) };
  const dEdz = Float64Array.from({ length: S * B * n }, (_, i) => Math.sin(i));
  for (const method of ["bptt", "eprop"] as const) {
    const { D } = e.reverse([all], { dEdz }, method, into);
    e.inputSignal(D, S * B);
  }
  assert.equal(tf.memory().numTensors, before, "every call frees its tensors");
  e.dispose();
});

Deno.test("tfjs LSNN step engine: the factory builds it by name; f64 is refused", async () => {
  const e = await createLsnnStepEngine(spec, { engine: "tfjs" });
  assert.ok(e instanceof TfjsLsnnStepEngine);
  assert.equal(e.precision, "f32");
  e.dispose();
  await assert.rejects(
    () => createLsnnStepEngine(spec, { engine: "tfjs", precision: "f64" }),
    /engine "tfjs" computes in float32, so precision must be "f32", got "f64"/,
  );
  await assert.rejects(
    () => createLsnnStepEngine(spec, { engine: "torch" as "tfjs" }),
    /engine must be one of "wasm", "tfjs", got "torch"/,
  );
  await assert.rejects(
    () => TfjsLsnnStepEngine.create(spec, { precision: "f64" }),
    /precision must be "f32", got "f64"/,
  );
  assert.throws(() => new TfjsLsnnStepEngine(spec, "f64"), /precision must be "f32", got "f64"/);
});

Deno.test("tfjs LSNN step engine: bad input names the field", async () => {
  await useTfBackend("cpu");
  const what = /Cannot build the tfjs LSNN step engine/;
  assert.throws(
    () => new TfjsLsnnStepEngine({ ...spec, beta: [0] }),
    /spec.beta must hold n = 5 values, got 1/,
  );
  assert.throws(() => new TfjsLsnnStepEngine({ ...spec, n: 0 }), /spec.n must be >= 1, got 0/);
  assert.throws(
    () => new TfjsLsnnStepEngine({ ...spec, nRef: 1.5 }),
    /spec.nRef must be an integer/,
  );
  assert.throws(() => new TfjsLsnnStepEngine({ ...spec, thr: 0 }), /spec.thr must be > 0, got 0/);
  assert.throws(() => new TfjsLsnnStepEngine({ ...spec, alpha: NaN }), what);
  assert.throws(
    () => new TfjsLsnnStepEngine({ ...spec, beta: [0, 0, 0, 0, Infinity] }),
    /spec.beta\[4\] must be a finite number/,
  );

  const e = new TfjsLsnnStepEngine(spec);
  assert.throws(() => e.step(new Float64Array(nIn), e.initState(1)), /no weights loaded/);
  assert.throws(() => e.inputSignal(new Float64Array(n), 1), /no weights loaded/);
  assert.throws(() => e.setWeights({ wIn: [1], wRec: [] }), /wIn must hold 20 values, got 1/);
  e.setWeights(weights(3));
  assert.throws(
    () => e.setWeights({ wIn: weights(3).wIn, wRec: [1] }),
    /wRec must hold 25 values, got 1/,
  );
  assert.throws(() => e.initState(0), /batch must be an integer >= 1, got 0/);
  assert.throws(
    () => e.step(new Float64Array(3), e.initState(1)),
    /input must hold steps x B x nIn = 4 values, got 3/,
  );
  assert.throws(
    () => e.step(new Float64Array(2 * nIn), e.initState(1), 0),
    /steps must be an integer >= 1, got 0/,
  );
  const bad = { ...e.initState(2), v: new Float64Array(3) };
  assert.throws(
    () => e.step(new Float64Array(2 * nIn), bad),
    /state.v must be a Float64Array of B x n = 10 values/,
  );
  assert.throws(
    () => e.reset(e.initState(2), [1]),
    /mask must hold one flag per episode \(2\), got 1/,
  );

  const r = e.step(new Float64Array(2 * nIn), e.initState(1), 2);
  const into = { wIn: new Float64Array(nIn * n), wRec: new Float64Array(n * n) };
  const dEdz = new Float64Array(2 * n);
  assert.throws(
    () => e.reverse([r], { dEdz: new Float64Array(3) }, "bptt", into),
    /errors.dEdz must hold T x B x n = 10 values, got 3/,
  );
  assert.throws(
    () => e.reverse([r], { dEdz, dEda: new Float64Array(1) }, "bptt", into),
    /errors.dEda must hold T x B x n = 10 values, got 1/,
  );
  assert.throws(
    () => e.reverse([r], { dEdz, cut: new Uint8Array(5) }, "eprop", into),
    /errors.cut must hold T x B = 2 flags, got 5/,
  );
  assert.throws(
    () => e.reverse([r], { dEdz }, "eprp" as "eprop", into),
    /method must be "bptt" or "eprop", got "eprp"/,
  );
  assert.throws(() => e.reverse([], { dEdz }, "bptt", into), /the span holds no records/);
  assert.throws(
    () => e.reverse([r, e.step(new Float64Array(2 * nIn), e.initState(2))], { dEdz }, "bptt", into),
    /every record of the span must hold 1 episodes/,
  );
  assert.throws(
    () => e.reverse([{ ...r, psi: new Float64Array(1) }], { dEdz }, "bptt", into),
    /span\[0\].psi must hold 10 values, got 1/,
  );
  assert.throws(
    () => e.reverse([r], { dEdz }, "bptt", { wIn: into.wIn, wRec: new Float64Array(2) }),
    /into.wRec must hold 25 values, got 2/,
  );
  assert.throws(
    () => e.inputSignal(new Float64Array(3), 1),
    /D must hold rows x n = 5 values, got 3/,
  );
  e.dispose();
  assert.throws(
    () => e.step(new Float64Array(nIn), e.initState(1)),
    /the engine has been disposed/,
  );
});

/**
 * The step-wise LSNN engine on the WebAssembly core, f32 and f64: S steps in one call equal S
 * calls of one step; reset zeroes only the masked episodes; f32 follows f64; the reverse pass
 * (BPTT and e-prop) with a cut equals the passes over the two episodes' spans apart; its BPTT
 * gradient of a linear function of the potentials matches a central difference; bad input names
 * the field.
 */
import assert from "node:assert/strict";
import { initWasm } from "./module.ts";
import { WasmLsnnStepEngine } from "./lsnn_step_engine.ts";
import type { StepPopulationSpec, StepRecord } from "../step_engine.ts";
import { Rng } from "../../util/rng.ts";

const nIn = 5, n = 6, B = 2;
const spec: StepPopulationSpec = {
  nIn,
  n,
  alpha: 0.9,
  rho: 0.95,
  thr: 0.6,
  dampening: 0.3,
  nRef: 1,
  beta: [0, 0, 0, 0.4, 0.4, 0.4],
};

function weights(seed: number) {
  const rng = new Rng(seed);
  return {
    wIn: Float64Array.from({ length: nIn * n }, () => 0.6 * rng.normal()),
    wRec: Float64Array.from({ length: n * n }, () => 0.3 * rng.normal()),
  };
}

function inputs(seed: number, steps: number, batch = B): Float64Array {
  const rng = new Rng(seed);
  return Float64Array.from({ length: steps * batch * nIn }, () => rng.uniform() < 0.4 ? 1 : 0);
}

async function engine(precision: "f32" | "f64", seed = 1) {
  const e = new WasmLsnnStepEngine(await initWasm(), spec, precision);
  e.setWeights(weights(seed));
  return e;
}

for (const precision of ["f32", "f64"] as const) {
  Deno.test(`LSNN step engine (${precision}): S steps at once = S single steps; reset masks episodes`, async () => {
    const e = await engine(precision);
    const S = 12, x = inputs(2, S);
    const all = e.step(x, e.initState(B), S);
    const state = e.initState(B), z: number[] = [];
    for (let s = 0; s < S; s++) {
      z.push(...e.step(x.subarray(s * B * nIn, (s + 1) * B * nIn), state).z);
    }
    assert.deepEqual(Array.from(all.z), z);
    assert.ok(z.some((v) => v === 1), "the population spikes");
    e.reset(state, [0, 1]);
    assert.ok(state.v.subarray(n).every((v) => v === 0));
    assert.ok(state.v.subarray(0, n).some((v) => v !== 0));
    e.dispose();
  });
}

Deno.test("LSNN step engine: f32 follows f64 (same spikes, potentials within 1e-5)", async () => {
  const [a, b] = [await engine("f32"), await engine("f64")];
  const x = inputs(3, 20);
  const ra = a.step(x, a.initState(B), 20), rb = b.step(x, b.initState(B), 20);
  assert.deepEqual(Array.from(ra.z), Array.from(rb.z));
  for (let i = 0; i < ra.v.length; i++) assert.ok(Math.abs(ra.v[i] - rb.v[i]) < 1e-5);
});

for (const method of ["bptt", "eprop"] as const) {
  Deno.test(`LSNN step engine: ${method} with a cut = the two episodes' spans apart`, async () => {
    const e = await engine("f64");
    const T1 = 7, T2 = 5, rng = new Rng(4);
    // one episode slot (B = 1) running two episodes: reset after T1 steps
    const state = e.initState(1);
    const first = e.step(inputs(5, T1, 1), state, T1);
    e.reset(state, [1]);
    const second = e.step(inputs(6, T2, 1), state, T2);
    const T = T1 + T2;
    const dEdz = Float64Array.from({ length: T * n }, () => rng.normal());
    const dEdv = Float64Array.from({ length: T * n }, () => rng.normal());
    const cut = new Uint8Array(T);
    cut[T1 - 1] = 1;
    const joint = { wIn: new Float64Array(nIn * n), wRec: new Float64Array(n * n) };
    const D = e.reverse([first, second], { dEdz, dEdv, cut }, method, joint).D;
    const apart = { wIn: new Float64Array(nIn * n), wRec: new Float64Array(n * n) };
    const D1 = e.reverse(
      [first],
      {
        dEdz: dEdz.slice(0, T1 * n),
        dEdv: dEdv.slice(0, T1 * n),
      },
      method,
      apart,
    ).D;
    const D2 = e.reverse(
      [second],
      {
        dEdz: dEdz.slice(T1 * n),
        dEdv: dEdv.slice(T1 * n),
      },
      method,
      apart,
    ).D;
    const close = (a: ArrayLike<number>, b: ArrayLike<number>, what: string) => {
      for (let i = 0; i < a.length; i++) {
        assert.ok(Math.abs(a[i] - b[i]) <= 1e-12 * (1 + Math.abs(b[i])), `${what}[${i}]`);
      }
    };
    close(D, [...D1, ...D2], "D");
    close(joint.wIn, apart.wIn, "wIn");
    close(joint.wRec, apart.wRec, "wRec");
    assert.ok(joint.wIn.some((v) => v !== 0));
  });
}

Deno.test("LSNN step engine: BPTT of E = sum c v with the spikes held = the derivative through v", async () => {
  // With dE/dz = 0 and dE/dv = c, and psi = 0 (dampening 0: no path through the spikes), the
  // exact gradient by w_in is sum_t c(t) dv(t)/dw_in, a linear recursion checked here by a
  // central difference on the potentials.
  const flat = { ...spec, dampening: 0 };
  const e = new WasmLsnnStepEngine(await initWasm(), flat, "f64");
  const w = weights(7), T = 9, x = inputs(8, T, 1), rng = new Rng(9);
  const c = Float64Array.from({ length: T * n }, () => rng.normal());
  const energy = (wIn: Float64Array) => {
    e.setWeights({ wIn, wRec: w.wRec });
    const r: StepRecord = e.step(x, e.initState(1), T);
    return { E: r.v.reduce((s, v, i) => s + c[i] * v, 0), r };
  };
  const { r } = energy(w.wIn);
  const g = { wIn: new Float64Array(nIn * n), wRec: new Float64Array(n * n) };
  e.reverse([r], { dEdz: new Float64Array(T * n), dEdv: c }, "bptt", g);
  const h = 1e-6;
  for (const q of [0, 7, 13, 29]) {
    const up = w.wIn.slice(), down = w.wIn.slice();
    up[q] += h;
    down[q] -= h;
    const fd = (energy(up).E - energy(down).E) / (2 * h);
    assert.ok(
      Math.abs(fd - g.wIn[q]) < 1e-6 * (1 + Math.abs(fd)),
      `wIn[${q}]: ${fd} vs ${g.wIn[q]}`,
    );
  }
});

Deno.test("LSNN step engine: bad input names the field", async () => {
  const e = new WasmLsnnStepEngine(await initWasm(), spec, "f64");
  assert.throws(() => e.step(new Float64Array(nIn), e.initState(1)), /no weights loaded/);
  e.setWeights(weights(1));
  assert.throws(() => e.setWeights({ wIn: [1], wRec: [] }), /wIn must hold 30 values, got 1/);
  assert.throws(
    () => e.step(new Float64Array(3), e.initState(1)),
    /input must hold .* 5 values, got 3/,
  );
  assert.throws(() => e.initState(0), /batch must be an integer >= 1, got 0/);
  const r = e.step(new Float64Array(nIn), e.initState(1));
  const into = { wIn: new Float64Array(nIn * n), wRec: new Float64Array(n * n) };
  assert.throws(
    () => e.reverse([r], { dEdz: new Float64Array(2) }, "bptt", into),
    /errors.dEdz must hold T x B x n = 6 values, got 2/,
  );
  assert.throws(
    () => e.reverse([r], { dEdz: new Float64Array(n) }, "eprp" as "eprop", into),
    /method must be "bptt" or "eprop"/,
  );
  assert.throws(
    () =>
      new WasmLsnnStepEngine(
        new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])),
        { ...spec, beta: [0] },
        "f64",
      ),
    /beta must hold n = 6 values, got 1/,
  );
});

Deno.test("LSNN step engine: the f32 reverse pass (weight gradients from D) follows f64 on the same records, cuts and voltage terms included", async () => {
  const [f32, f64] = [await engine("f32"), await engine("f64")];
  const S = 7, K = 6, T = S * K, rng = new Rng(5);
  const state = f64.initState(B);
  // records of several calls (spans of S steps), the second episode cut twice
  const span: StepRecord[] = Array.from(
    { length: K },
    (_, k) => f64.step(inputs(30 + k, S), state, S),
  );
  const dEdz = Float64Array.from({ length: T * B * n }, () => rng.normal());
  const dEdv = Float64Array.from({ length: T * B * n }, () => 0.3 * rng.normal());
  const dEda = Float64Array.from({ length: T * B * n }, () => 0.3 * rng.normal());
  const cut = new Uint8Array(T * B);
  cut[9 * B + 1] = 1;
  cut[25 * B + 1] = 1;
  for (const method of ["bptt", "eprop"] as const) {
    const grads = (e: WasmLsnnStepEngine) => {
      const into = { wIn: new Float64Array(nIn * n), wRec: new Float64Array(n * n) };
      const { D } = e.reverse(span, { dEdz, dEdv, dEda, cut }, method, into);
      return { ...into, D };
    };
    const want = grads(f64), got = grads(f32);
    for (const name of ["wIn", "wRec", "D"] as const) {
      let num = 0, den = 0;
      for (let i = 0; i < want[name].length; i++) {
        num = Math.max(num, Math.abs(got[name][i] - want[name][i]));
        den = Math.max(den, Math.abs(want[name][i]));
      }
      assert.ok(den > 0.1, `${method} ${name} is not zero`);
      assert.ok(num / den < 1e-5, `${method} ${name}: relative error ${num / den}`);
    }
  }
  f32.dispose();
  f64.dispose();
});

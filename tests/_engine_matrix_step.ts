/**
 * Step-engine problems of the engine matrix (tests/engine_matrix_test.ts, kind "step"): an LSNN
 * population run by `LsnnStepEngine` over several calls of B = 3 episodes with resets between
 * calls, the errors of a reverse pass over the span (dE/dz, dE/dv, dE/da, cuts where an episode
 * ended), and two float64 references for the reverse pass that share no code with the engines:
 *
 * - BPTT by forward-mode differentiation (tangents) of
 *   E = sum_t dEdz(t) z(t) + dEdv(t) v(t) + dEda(t) a(t) (dEda on ALIF columns only) over the
 *   recorded span, with dz = psi (dv - beta da) (the recorded pseudo-derivative, 0 while
 *   refractory), truncated at the span's start, the tangents zeroed after a cut: each entry of
 *   dE/dw_in, dE/dw_rec (diagonal kept) and of D = dE/dv(t) is one directional derivative.
 * - e-prop by the forward eligibility traces of EPROP.md 3.1 per synapse, restarting after a cut:
 *   dE/dw_ji = sum_t dEdz_j(t) e_ji(t) + dEdv_j(t) eps_v_i(t) + dEda_j(t) eps_a_ji(t).
 *
 * @module
 */
import type {
  LsnnStepEngine,
  SpanErrors,
  SpanRecord,
  StepPopulationSpec,
  StepRecord,
  StepWeights,
} from "../src/engine/step_engine.ts";
import { Rng } from "../src/util/rng.ts";
import { createLsnnStepEngine } from "../src/engine/factory/step_engines.ts";
import { type Cell, tfBackendOf } from "./_engine_matrix.ts";

/** A step-engine problem: population, weights, the calls with their resets, the span's errors. */
export interface StepProblem {
  /** Label for test names. */
  name: string;
  /** The population. */
  spec: StepPopulationSpec;
  /** Its weights. */
  weights: StepWeights;
  /** Episodes B. */
  batch: number;
  /** The calls of `step`: inputs [S][B][nIn], S, and the reset mask applied after the call. */
  calls: { x: Float64Array; steps: number; resetAfter?: number[] }[];
  /** Errors over all the calls' steps (T = sum S); cuts where a reset follows, and one more. */
  errors: SpanErrors;
}

/** Population kinds of the step rows: all LIF (beta = 0), or LIF and ALIF columns mixed. */
export type StepMix = "lif" | "alif";

/**
 * @param mix LIF only or mixed LIF/ALIF.
 * @param seed Selects weights, inputs and errors.
 * @returns The problem (the same arguments give the same problem).
 */
export function stepProblem(mix: StepMix, seed: number): StepProblem {
  const nIn = 6, n = 8, batch = 3;
  const spec: StepPopulationSpec = {
    nIn,
    n,
    alpha: 0.9,
    rho: 0.96,
    thr: 0.5,
    dampening: 0.3,
    nRef: mix === "lif" ? 1 : 2,
    beta: Array.from({ length: n }, (_, j) => mix === "alif" && j >= 3 ? 0.3 + 0.05 * j : 0),
  };
  const rng = new Rng(seed);
  const weights = {
    wIn: Float64Array.from({ length: nIn * n }, () => 0.5 * rng.normal()),
    wRec: Float64Array.from({ length: n * n }, () => 0.4 * rng.normal()),
  };
  const sizes = [5, 1, 4, 6];
  const resets: (number[] | undefined)[] = [[0, 1, 0], undefined, [1, 0, 1], undefined];
  const calls = sizes.map((steps, k) => ({
    steps,
    x: Float64Array.from({ length: steps * batch * nIn }, () => rng.uniform() < 0.35 ? 1 : 0),
    resetAfter: resets[k],
  }));
  const T = sizes.reduce((a, b) => a + b, 0), all = T * batch * n;
  const normal = () => Float64Array.from({ length: all }, () => rng.normal());
  const cut = new Uint8Array(T * batch);
  let t = 0;
  for (const c of calls) {
    t += c.steps;
    c.resetAfter?.forEach((m, b) => cut[(t - 1) * batch + b] = m);
  }
  cut[12 * batch + 1] = 1; // an episode end inside a call (no reset: only the flow is cut)
  return {
    name: `${mix}/seed${seed}`,
    spec,
    weights,
    batch,
    calls,
    errors: { dEdz: normal(), dEdv: normal(), dEda: normal(), cut },
  };
}

/**
 * @param cell The cell ("step" kind).
 * @param spec The population.
 * @returns The cell's step engine, built by the factory the learners use.
 */
export function openStep(cell: Cell, spec: StepPopulationSpec): Promise<LsnnStepEngine> {
  if (cell.engine === "wasm") return createLsnnStepEngine(spec, { precision: cell.precision });
  return createLsnnStepEngine(spec, { engine: "tfjs", tfBackend: tfBackendOf(cell.engine) });
}

/**
 * Runs the problem's calls on an engine (weights loaded here), resetting after the calls that
 * say so.
 * @returns The records of the calls.
 */
export function runSteps(engine: LsnnStepEngine, p: StepProblem): StepRecord[] {
  engine.setWeights(p.weights);
  const state = engine.initState(p.batch);
  return p.calls.map((c) => {
    const r = engine.step(c.x, state, c.steps);
    if (c.resetAfter) engine.reset(state, c.resetAfter);
    return r;
  });
}

/** The records joined along time: [T][B][...] each. */
export function joinRecords(
  span: readonly StepRecord[],
): Record<"z" | "psi" | "v" | "thr", Float64Array> {
  const join = (key: "z" | "psi" | "v" | "thr") => {
    const out = new Float64Array(span.reduce((s, r) => s + r[key].length, 0));
    let at = 0;
    for (const r of span) {
      out.set(r[key], at);
      at += r[key].length;
    }
    return out;
  };
  return { z: join("z"), psi: join("psi"), v: join("v"), thr: join("thr") };
}

/** The smallest |v - A| over a run's records: how far every decision lies from the threshold. */
export function thresholdMargin(span: readonly StepRecord[]): number {
  const { v, thr } = joinRecords(span);
  let m = Infinity;
  for (let i = 0; i < v.length; i++) m = Math.min(m, Math.abs(v[i] - thr[i]));
  return m;
}

/**
 * The errors of a sub-span: the rows [from, from + T') of every array.
 * @param errors Errors over the whole run.
 * @param rowSize B x n.
 * @param B Episodes.
 * @param from First step.
 * @param steps Steps T'.
 */
export function sliceErrors(
  errors: SpanErrors,
  rowSize: number,
  B: number,
  from: number,
  steps: number,
): SpanErrors {
  const cut = (a: Float64Array | undefined) => a?.slice(from * rowSize, (from + steps) * rowSize);
  return {
    dEdz: cut(errors.dEdz)!,
    dEdv: cut(errors.dEdv),
    dEda: cut(errors.dEda),
    cut: errors.cut?.slice(from * B, (from + steps) * B),
  };
}

/** A span's per-step values, flattened: x [T][B][nIn], pre (z(t-1)), z, psi [T][B][n]. */
function flatten(span: readonly SpanRecord[], nIn: number, n: number) {
  const B = span[0].batch, size = B * n;
  const T = span.reduce((t, r) => t + r.steps, 0);
  const x = new Float64Array(T * B * nIn), pre = new Float64Array(T * size);
  const z = new Float64Array(T * size), psi = new Float64Array(T * size);
  let t = 0;
  for (const r of span) {
    x.set(r.x, t * B * nIn);
    z.set(r.z, t * size);
    psi.set(r.psi, t * size);
    pre.set(r.zBefore, t * size);
    pre.set(r.z.subarray(0, (r.steps - 1) * size), (t + 1) * size);
    t += r.steps;
  }
  return { T, B, x, pre, z, psi };
}

/** The BPTT reference: gradients and D, every entry one float64 directional derivative. */
export function bpttTangents(
  spec: StepPopulationSpec,
  weights: StepWeights,
  span: readonly SpanRecord[],
  errors: SpanErrors,
): { wIn: Float64Array; wRec: Float64Array; D: Float64Array } {
  const { nIn, n, alpha, rho, thr, beta } = spec;
  const { T, B, x, pre, psi } = flatten(span, nIn, n);
  const size = B * n;
  const w0 = Float64Array.from(weights.wRec);
  for (let j = 0; j < n; j++) w0[j * n + j] = 0;
  const ea = (q: number) => beta[q % n] !== 0 ? errors.dEda?.[q] ?? 0 : 0;
  /** dE along a direction: a weight (dIn or dRec entry) or a unit tangent on v(t0, b0, j0). */
  const along = (dir: { wIn?: number; wRec?: number; v?: number }): number => {
    const dv = new Float64Array(size), da = new Float64Array(size);
    let dzPrev = new Float64Array(size);
    let dE = 0;
    for (let t = 0; t < T; t++) {
      if (t > 0) {
        for (let b = 0; b < B; b++) {
          if (!errors.cut?.[(t - 1) * B + b]) continue;
          dv.fill(0, b * n, (b + 1) * n);
          da.fill(0, b * n, (b + 1) * n);
          dzPrev.fill(0, b * n, (b + 1) * n);
        }
      }
      const dz = new Float64Array(size);
      for (let b = 0; b < B; b++) {
        for (let j = 0; j < n; j++) {
          const q = b * n + j, at = t * size + q;
          let dcur = 0;
          if (dir.wIn !== undefined && dir.wIn % n === j) {
            dcur += x[(t * B + b) * nIn + Math.floor(dir.wIn / n)];
          }
          if (dir.wRec !== undefined && dir.wRec % n === j) {
            dcur += pre[t * size + b * n + Math.floor(dir.wRec / n)];
          }
          for (let i = 0; i < n; i++) dcur += dzPrev[b * n + i] * w0[i * n + j];
          da[q] = rho * da[q] + dzPrev[q];
          dv[q] = alpha * dv[q] + dcur - thr * dzPrev[q] + (dir.v === at ? 1 : 0);
          dz[q] = psi[at] * (dv[q] - beta[j] * da[q]);
          dE += errors.dEdz[at] * dz[q] + (errors.dEdv?.[at] ?? 0) * dv[q] + ea(at) * da[q];
        }
      }
      dzPrev = dz;
    }
    return dE;
  };
  return {
    wIn: Float64Array.from({ length: nIn * n }, (_, q) => along({ wIn: q })),
    wRec: Float64Array.from({ length: n * n }, (_, q) => along({ wRec: q })),
    D: Float64Array.from({ length: T * size }, (_, q) => along({ v: q })),
  };
}

/** The e-prop reference: the gradients from forward eligibility traces (EPROP.md 3.1). */
export function epropTraces(
  spec: StepPopulationSpec,
  span: readonly SpanRecord[],
  errors: SpanErrors,
): { wIn: Float64Array; wRec: Float64Array } {
  const { nIn, n, alpha, rho, beta } = spec;
  const { T, B, x, pre, psi } = flatten(span, nIn, n);
  const size = B * n;
  const group = (nPre: number, input: (t: number, b: number, i: number) => number) => {
    const g = new Float64Array(nPre * n);
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < nPre; i++) {
        for (let j = 0; j < n; j++) {
          let epsV = 0, epsA = 0, sum = 0;
          for (let t = 0; t < T; t++) {
            const at = t * size + b * n + j;
            epsV = alpha * epsV + input(t, b, i);
            const p = psi[at];
            const e = p * (epsV - beta[j] * epsA);
            sum += errors.dEdz[at] * e + (errors.dEdv?.[at] ?? 0) * epsV;
            if (beta[j] !== 0) sum += (errors.dEda?.[at] ?? 0) * epsA;
            // eps_a(t+1) from psi(t), eps_v(t); both restart after an episode's end
            epsA = (rho - beta[j] * p) * epsA + p * epsV;
            if (errors.cut?.[t * B + b]) epsV = epsA = 0;
          }
          g[i * n + j] += sum;
        }
      }
    }
    return g;
  };
  return {
    wIn: group(nIn, (t, b, i) => x[(t * B + b) * nIn + i]),
    wRec: group(n, (t, b, i) => pre[t * size + b * n + i]),
  };
}

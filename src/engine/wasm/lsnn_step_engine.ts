/**
 * The step-wise LSNN engine (../step_engine.ts) on one WebAssembly core instance: the forward
 * steps on the population kernel `lsnnForwardFrames` (the recurrence by the SIMD products), with
 * the input currents of all the call's steps and episodes computed before it in one event-driven
 * product (`gemmNNEventRows`, w_in streamed once per call); the reverse pass over a recorded span
 * on `lsnnSpanBackward` (BPTT or e-prop's trace adjoint, cut at episode ends) and the weight
 * gradients, in float64, on the traces filtered in the core (`traceFilter`) and the event-driven
 * SIMD product `gemmTNEventStrided`, episode by episode (so that every sum runs in the order of a
 * plain loop and float64 results are those of one, bit for bit); in float32, the fast path, on
 * the event-driven product of the binary presynaptic values with the trace adjoint D over all the
 * span's rows (the same gradient within float32 rounding).
 *
 * The state lives in the caller's plain arrays between calls; the core holds the constants and
 * the weights, and every call releases what it allocated.
 *
 * @module
 */
import type {
  LsnnStepEngine,
  SpanErrors,
  SpanRecord,
  SpanReverse,
  StepPopulationSpec,
  StepRecord,
  StepState,
  StepWeights,
} from "../step_engine.ts";
import { resetStepState, zeroStepState } from "../step_engine.ts";
import type { Precision } from "../../util/vocabulary.ts";
import { CONSTANT_ORDER, CoreMemory } from "./core_instance.ts";
import { EVENT_ROWS_CHUNK } from "./kernels.ts";

/** An LSNN population stepped on a WebAssembly core. */
export class WasmLsnnStepEngine implements LsnnStepEngine {
  /** The population. */
  readonly spec: StepPopulationSpec;
  /** Arithmetic precision. */
  readonly precision: Precision;
  readonly #core: CoreMemory;
  readonly #cst: number;
  readonly #beta: number;
  readonly #wIn: number;
  readonly #wInT: number;
  readonly #wRec: number;
  readonly #wRecT: number;
  readonly #base: number;
  #loaded = false;

  /**
   * @param module The compiled core.
   * @param spec The population.
   * @param precision f32 or f64.
   */
  constructor(module: WebAssembly.Module, spec: StepPopulationSpec, precision: Precision) {
    const what = "Cannot build the LSNN step engine";
    for (const key of ["nIn", "n", "nRef"] as const) {
      if (!Number.isInteger(spec[key]) || spec[key] < (key === "nRef" ? 0 : 1)) {
        throw new RangeError(`${what}: ${key} must be an integer >= 1, got ${spec[key]}`);
      }
    }
    if (spec.beta?.length !== spec.n) {
      throw new RangeError(
        `${what}: beta must hold n = ${spec.n} values, got ${spec.beta?.length}`,
      );
    }
    this.spec = spec;
    this.precision = precision;
    const core = this.#core = new CoreMemory(module, precision);
    const values: Record<(typeof CONSTANT_ORDER)[number], number> = {
      alpha: spec.alpha,
      rho: spec.rho,
      thr: spec.thr,
      gamma: spec.dampening,
      s: 1,
      dt: 1,
      nRef: spec.nRef,
      kappa: 0,
      c: 1,
    };
    this.#cst = core.constants(CONSTANT_ORDER.map((key) => values[key]));
    const { nIn, n } = spec;
    this.#beta = core.alloc(n);
    core.write(this.#beta, spec.beta);
    this.#wIn = core.alloc(nIn * n);
    this.#wInT = core.alloc(nIn * n);
    this.#wRec = core.alloc(n * n);
    this.#wRecT = core.alloc(n * n);
    this.#base = core.arena.mark();
  }

  setWeights(w: StepWeights): void {
    const { nIn, n } = this.spec, core = this.#core;
    for (const [name, want] of [["wIn", nIn * n], ["wRec", n * n]] as const) {
      if (w?.[name]?.length !== want) {
        throw new RangeError(
          `Cannot load LSNN weights: ${name} must hold ${want} values, got ${w?.[name]?.length}`,
        );
      }
    }
    core.write(this.#wIn, w.wIn);
    core.k.transpose(nIn, n, this.#wIn, this.#wInT);
    const rec = Float64Array.from(w.wRec);
    for (let j = 0; j < n; j++) rec[j * n + j] = 0;
    core.write(this.#wRec, rec);
    core.k.transpose(n, n, this.#wRec, this.#wRecT);
    this.#loaded = true;
  }

  initState(batch: number): StepState {
    return zeroStepState(batch, this.spec.n);
  }

  reset(state: StepState, mask: ArrayLike<number>): void {
    resetStepState(state, mask, this.spec.n);
  }

  step(input: ArrayLike<number>, state: StepState, steps = 1): StepRecord {
    const { nIn, n } = this.spec, B = state.batch, size = B * n, core = this.#core;
    if (!this.#loaded) throw new Error("Cannot step the LSNN: no weights loaded (setWeights)");
    if (!Number.isInteger(steps) || steps < 1) {
      throw new RangeError(`Cannot step the LSNN: steps must be an integer >= 1, got ${steps}`);
    }
    if (input?.length !== steps * B * nIn) {
      throw new RangeError(
        `Cannot step the LSNN: input must hold steps x B x nIn = ${
          steps * B * nIn
        } values, got ${input?.length}`,
      );
    }
    const mark = core.arena.mark();
    try {
      const x = core.alloc(steps * B * nIn, false);
      core.write(x, input);
      const [v, a, r, cur, zInit] = [0, 0, 0, 0, 0].map(() => core.alloc(size, false));
      core.write(v, state.v);
      core.write(a, state.a);
      core.write(r, state.r);
      core.write(zInit, state.z);
      const all = steps * size;
      const [z, psi, vRec, thr] = [0, 0, 0, 0].map(() => core.alloc(all, false));
      // the input currents of every step and episode at once (w_in read once from memory),
      // each summed as the step kernel would: from 0, over the non-zero inputs in order
      const I = core.alloc(all);
      const idx = core.arena.alloc(Math.min(steps * B, EVENT_ROWS_CHUNK) * (nIn + 2), 4, false);
      core.k.gemmNNEventRows(steps * B, nIn, n, x, this.#wIn, I, idx);
      core.k.lsnnForwardFrames(
        ...[steps, 1, B, nIn, n, this.#cst, x, this.#wIn, I, this.#wRec, this.#beta, 0],
        ...[zInit, v, a, r, cur, z, psi, vRec, thr],
      );
      const record: StepRecord = {
        steps,
        batch: B,
        x: Float64Array.from(input),
        zBefore: state.z.slice(),
        psiBefore: state.psi.slice(),
        z: core.read(z, all),
        psi: core.read(psi, all),
        v: core.read(vRec, all),
        thr: core.read(thr, all),
      };
      state.v.set(core.view(v, size));
      state.a.set(core.view(a, size));
      state.r.set(core.view(r, size));
      state.z.set(record.z.subarray(all - size));
      state.psi.set(record.psi.subarray(all - size));
      return record;
    } finally {
      core.arena.release(mark);
    }
  }

  reverse(
    span: readonly SpanRecord[],
    errors: SpanErrors,
    method: "bptt" | "eprop",
    into?: { wIn: Float64Array; wRec: Float64Array },
  ): SpanReverse {
    const what = "Cannot run the LSNN reverse pass";
    if (method !== "bptt" && method !== "eprop") {
      throw new RangeError(`${what}: method must be "bptt" or "eprop", got ${method}`);
    }
    if (!this.#loaded) throw new Error(`${what}: no weights loaded (setWeights)`);
    if (span.length === 0) throw new RangeError(`${what}: the span holds no records`);
    const { nIn, n } = this.spec, B = span[0].batch, size = B * n, core = this.#core;
    const T = span.reduce((t, r) => t + r.steps, 0), all = T * size;
    if (span.some((r) => r.batch !== B)) {
      throw new RangeError(`${what}: every record of the span must hold ${B} episodes`);
    }
    for (const key of ["dEdz", "dEdv", "dEda"] as const) {
      const e = errors[key];
      if ((key === "dEdz" || e !== undefined) && e?.length !== all) {
        throw new RangeError(
          `${what}: errors.${key} must hold T x B x n = ${all} values, got ${e?.length}`,
        );
      }
    }
    if (errors.cut !== undefined && errors.cut.length !== T * B) {
      throw new RangeError(
        `${what}: errors.cut must hold T x B = ${T * B} flags, got ${errors.cut.length}`,
      );
    }
    const checkInto = (name: "wIn" | "wRec", want: number) => {
      if (into?.[name]?.length !== want) {
        throw new RangeError(
          `${what}: into.${name} must hold ${want} values, got ${into?.[name]?.length}`,
        );
      }
    };
    if (into !== undefined) {
      checkInto("wIn", nIn * n);
      checkInto("wRec", n * n);
    }
    const mark = core.arena.mark();
    try {
      const put = (data: ArrayLike<number> | undefined, count: number) => {
        if (data === undefined) return 0;
        const ptr = core.alloc(count, false);
        core.write(ptr, data);
        return ptr;
      };
      const psi = core.alloc(all, false);
      let t0 = 0;
      for (const r of span) {
        core.write(core.at(psi, t0 * size), r.psi);
        t0 += r.steps;
      }
      const G = put(errors.dEdz, all), ev = put(errors.dEdv, all);
      let ea = 0;
      if (errors.dEda) {
        // LIF neurons have no adaptation: their dE/da reaches nothing
        const masked = Float64Array.from(errors.dEda);
        for (let q = 0; q < masked.length; q++) if (this.spec.beta[q % n] === 0) masked[q] = 0;
        ea = put(masked, all);
      }
      let cut = 0;
      if (errors.cut) {
        cut = core.arena.alloc(T * B, 1, false);
        core.arena.u8(cut, T * B).set(errors.cut);
      }
      const M = core.alloc(all, false);
      const D = method === "eprop" ? core.alloc(all, false) : 0;
      const [la, next, rec] = [0, 0, 0].map(() => core.alloc(size, false));
      core.k.lsnnSpanBackward(
        ...[T, B, n, this.#cst, method === "bptt" ? 0 : 1, G, ev, ea, cut, psi, this.#wRecT],
        ...[this.#beta, M, D, la, next, rec],
      );
      const out = core.read(D || M, all);
      if (into !== undefined && this.precision === "f32") {
        this.#weightGradientsFromD(span, D || M, into);
      } else if (into !== undefined) {
        this.#weightGradients(span, M, errors.cut, method === "eprop" ? this.spec.alpha : 0, into);
      }
      return { D: out };
    } finally {
      core.arena.release(mark);
    }
  }

  /**
   * dE/dw += sum_{b,t} eps(t) M(t), eps(t) = alpha eps(t-1) + pre(t) restarting after each cut
   * (alpha 0: the presynaptic values themselves), pre = x (input) or z(t-1) (recurrent); per
   * episode the traces filtered in the core (`traceFilter`, float64) and one event-driven product
   * over its steps reading its rows of M [T][B][n] where the reverse pass left them
   * (`gemmTNEventStrided`): every sum in the order of the plain loop over b, then t.
   */
  #weightGradients(
    span: readonly SpanRecord[],
    M: number,
    cut: Uint8Array | undefined,
    alpha: number,
    into: { wIn: Float64Array; wRec: Float64Array },
  ): void {
    const { nIn, n } = this.spec, core = this.#core, B = span[0].batch;
    const T = span.reduce((t, r) => t + r.steps, 0);
    for (const [name, nPre] of [["wIn", nIn], ["wRec", n]] as const) {
      const mark = core.arena.mark();
      const P = core.alloc(T * nPre, false), G = core.alloc(nPre * n, false);
      const eps = core.arena.alloc(nPre, 8, false);
      const cutB = cut ? core.arena.alloc(T, 1, false) : 0;
      core.write(G, into[name]);
      for (let b = 0; b < B; b++) {
        const pre = core.view(P, T * nPre);
        let t = 0;
        for (const r of span) {
          for (let s = 0; s < r.steps; s++, t++) {
            pre.set(
              name === "wIn"
                ? r.x.subarray((s * B + b) * nIn, (s * B + b + 1) * nIn)
                : s === 0
                ? r.zBefore.subarray(b * n, (b + 1) * n)
                : r.z.subarray(((s - 1) * B + b) * n, ((s - 1) * B + b) * n + n),
              t * nPre,
            );
          }
        }
        if (cut) {
          const c = core.arena.u8(cutB, T);
          for (let q = 0; q < T; q++) c[q] = cut[q * B + b];
        }
        core.k.traceFilter(T, nPre, alpha, P, cutB, eps);
        core.k.gemmTNEventStrided(T, nPre, n, P, core.at(M, b * n), B * n, G, 1);
      }
      into[name].set(core.view(G, nPre * n));
      core.arena.release(mark);
    }
  }

  /**
   * The float32 path: dE/dw += sum_{t,b} pre(t) D(t), the same gradient as
   * {@linkcode #weightGradients} written with the trace adjoint D (EPROP.md 3.3; BPTT: D = M),
   * so that the product is event-driven over the binary presynaptic values themselves and runs
   * over the span's rows [T][B] in a few calls (the records' inputs copied as they are, no
   * per-episode traces). The terms are summed in another order than the float64 path's (t, then
   * b, and D's filter in place of eps's): equal within float32 rounding, not bit for bit.
   */
  #weightGradientsFromD(
    span: readonly SpanRecord[],
    D: number,
    into: { wIn: Float64Array; wRec: Float64Array },
  ): void {
    const { nIn, n } = this.spec, core = this.#core, B = span[0].batch, size = B * n;
    for (const [name, nPre] of [["wIn", nIn], ["wRec", n]] as const) {
      const mark = core.arena.mark();
      const G = core.alloc(nPre * n, false);
      core.write(G, into[name]);
      // records per product: about 2^20 presynaptic values at a time (at least one record)
      const limit = Math.max(1 << 20, ...span.map((r) => r.steps * B * nPre));
      const P = core.alloc(limit, false);
      let t0 = 0, rows = 0;
      const flush = () => {
        if (rows > 0) core.k.gemmTNEvent(rows, nPre, n, P, core.at(D, t0 * n), G, 1);
        t0 += rows;
        rows = 0;
      };
      for (const r of span) {
        if ((rows + r.steps * B) * nPre > limit) flush();
        const at = core.at(P, rows * nPre);
        if (name === "wIn") {
          core.write(at, r.x);
        } else {
          core.write(at, r.zBefore);
          if (r.steps > 1) core.write(core.at(at, size), r.z.subarray(0, (r.steps - 1) * size));
        }
        rows += r.steps * B;
      }
      flush();
      into[name].set(core.view(G, nPre * n));
      core.arena.release(mark);
    }
  }

  inputSignal(D: Float64Array, rows: number): Float64Array {
    const { nIn, n } = this.spec, core = this.#core;
    if (D?.length !== rows * n) {
      throw new RangeError(
        `Cannot send the LSNN's error to its inputs: D must hold rows x n = ${
          rows * n
        } values, got ${D?.length}`,
      );
    }
    const mark = core.arena.mark();
    try {
      const d = core.alloc(rows * n, false), out = core.alloc(rows * nIn);
      core.write(d, D);
      // event-driven over D's non-zeros, w_in^T kept in cache over chunks of rows (the sums of
      // gemmNN's kernels, bit for bit)
      const idx = core.arena.alloc(Math.min(rows, EVENT_ROWS_CHUNK) * (n + 2), 4, false);
      core.k.gemmNNEventRows(rows, n, nIn, d, this.#wInT, out, idx);
      return core.read(out, rows * nIn);
    } finally {
      core.arena.release(mark);
    }
  }

  dispose(): void {
    this.#core.arena.release(this.#base);
  }
}

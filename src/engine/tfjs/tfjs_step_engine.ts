/**
 * The step-wise LSNN engine (../step_engine.ts) on TensorFlow.js, in float32: the forward steps
 * unroll the neuron step of lsnn_graph.ts (EPROP.md section 1: strict threshold, reset by thr,
 * adaptation, refractory period, pseudo-derivative with dampening; LIF columns have beta = 0);
 * the reverse pass over a recorded span is, for BPTT, tfjs autodiff of
 * ```
 * E = sum_t sum_{b,j} dEdz(t) z(t) + dEdv(t) v(t) + dEda(t) a(t)
 * ```
 * over the span re-run on its recorded inputs and spikes, and, for e-prop, the trace adjoint
 * (EPROP.md 3.3 with the voltage terms) written with tf ops:
 * ```
 * M_j(t)  = psi_j(t) G_j(t) + ev_j(t) + psi_j(t) la_j(t+1)
 * la_j(t) = -beta_j psi_j(t) G_j(t) + ea_j(t) + (rho - beta_j psi_j(t)) la_j(t+1)   (beta_j != 0)
 * D_j(t)  = M_j(t) + alpha D_j(t+1)
 * ```
 * Either way the weight gradients are sum_t pre(t)^T D(t), pre = x(t) (input) or z(t-1)
 * (recurrent), with D(t) = dE/dv(t) along the method; a cut at (t, b) stops everything flowing
 * back from step t+1 of episode b into step t.
 *
 * The state lives in the caller's plain arrays between calls (float64 arrays holding float32
 * values); every call frees the tensors it made.
 *
 * @module
 */
import { tf, type TfBackendName, useTfBackend } from "./tf.ts";
import { customOp, neuronStep } from "./lsnn_graph.ts";
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
import { checkStepState, resetStepState, zeroStepState } from "../step_engine.ts";
import type { Precision } from "../../util/vocabulary.ts";
import { checkNumber, describe } from "../../util/errors.ts";

/** Options of {@linkcode TfjsLsnnStepEngine.create}. */
export interface TfjsStepEngineOptions {
  /** Arithmetic: "f32" only (the default); "f64" is refused. */
  precision?: Precision;
  /** The TensorFlow.js backend to activate (default "cpu"). */
  tfBackend?: TfBackendName;
}

/**
 * z(t) in the re-run span: the recorded spikes as its value, dz/du = psi (the recorded
 * pseudo-derivative) as its derivative by u = v - A.
 */
const recordedSpike: (u: tf.Tensor, z: tf.Tensor, psi: tf.Tensor) => tf.Tensor = customOp((
  [_u, z, psi],
) => ({
  value: tf.clone(z),
  gradFunc: (dy) => [tf.mul(dy, psi), tf.zerosLike(z), tf.zerosLike(psi)],
}));

/**
 * The value `value`, with the derivative going on to `prev` times `keep` (0 at a cut: nothing
 * flows back from the next episode).
 */
const carried: (prev: tf.Tensor, value: tf.Tensor, keep: tf.Tensor) => tf.Tensor = customOp((
  [_prev, value, keep],
) => ({
  value: tf.clone(value),
  gradFunc: (dy) => [tf.mul(dy, keep), tf.zerosLike(value), tf.zerosLike(keep)],
}));

/**
 * @throws {RangeError} For a precision other than "f32", or a spec of the wrong shape.
 * @throws {TypeError} For a constant that is not a finite number.
 */
function checkStepSpec(spec: StepPopulationSpec, precision: Precision): void {
  const action = "build the tfjs LSNN step engine";
  if (precision !== "f32") {
    throw new RangeError(
      `Cannot ${action}: tfjs computes in float32, so precision must be "f32", got ${
        describe(precision)
      }`,
    );
  }
  if (spec === null || typeof spec !== "object") {
    throw new TypeError(`Cannot ${action}: spec must be an object, got ${describe(spec)}`);
  }
  for (const key of ["nIn", "n"] as const) {
    checkNumber(action, `spec.${key}`, spec[key], { integer: true, min: 1 });
  }
  checkNumber(action, "spec.nRef", spec.nRef, { integer: true, min: 0 });
  for (const key of ["alpha", "rho", "dampening"] as const) {
    checkNumber(action, `spec.${key}`, spec[key]);
  }
  checkNumber(action, "spec.thr", spec.thr, { min: 0, exclusiveMin: true });
  if (spec.beta?.length !== spec.n) {
    throw new RangeError(
      `Cannot ${action}: spec.beta must hold n = ${spec.n} values, got ${spec.beta?.length}`,
    );
  }
  for (let j = 0; j < spec.n; j++) checkNumber(action, `spec.beta[${j}]`, spec.beta[j]);
}

/** An LSNN population stepped on TensorFlow.js in float32. */
export class TfjsLsnnStepEngine implements LsnnStepEngine {
  /** The population. */
  readonly spec: StepPopulationSpec;
  /** Arithmetic precision: always "f32". */
  readonly precision: Precision = "f32";
  readonly #beta: tf.Tensor1D;
  /** 1 for the ALIF columns (beta != 0), 0 for LIF. */
  readonly #adaptive: tf.Tensor1D;
  #wIn: tf.Tensor2D | undefined;
  /** w_rec with its diagonal set to zero. */
  #wRec: tf.Tensor2D | undefined;
  #disposed = false;

  /**
   * Builds the engine on the active TensorFlow.js backend ({@linkcode TfjsLsnnStepEngine.create}
   * activates one first).
   *
   * @param spec The population.
   * @param precision "f32" (default); "f64" is refused.
   * @throws {RangeError} For a precision other than "f32", or a spec of the wrong shape.
   * @throws {TypeError} For a constant that is not a finite number.
   */
  constructor(spec: StepPopulationSpec, precision: Precision = "f32") {
    checkStepSpec(spec, precision);
    this.spec = spec;
    const beta = Float32Array.from(spec.beta);
    this.#beta = tf.tensor1d(beta);
    this.#adaptive = tf.tensor1d(beta.map((b) => b !== 0 ? 1 : 0));
  }

  /**
   * Activates a TensorFlow.js backend and builds the engine on it.
   *
   * @param spec The population.
   * @param options Precision ("f32" only) and the TensorFlow.js backend (default "cpu").
   * @returns The engine (no weights loaded yet).
   * @throws {RangeError} For "f64", an unknown backend or a spec of the wrong shape.
   */
  static async create(
    spec: StepPopulationSpec,
    options: TfjsStepEngineOptions = {},
  ): Promise<TfjsLsnnStepEngine> {
    checkStepSpec(spec, options.precision ?? "f32"); // before a backend is started
    await useTfBackend(options.tfBackend ?? "cpu");
    return new TfjsLsnnStepEngine(spec, "f32");
  }

  /** Loads weights (copied to float32 tensors; the diagonal of w_rec set to zero). */
  setWeights(w: StepWeights): void {
    this.#alive("load LSNN weights");
    const { nIn, n } = this.spec;
    for (const [name, want] of [["wIn", nIn * n], ["wRec", n * n]] as const) {
      if (w?.[name]?.length !== want) {
        throw new RangeError(
          `Cannot load LSNN weights: ${name} must hold ${want} values, got ${w?.[name]?.length}`,
        );
      }
    }
    const rec = Float32Array.from(w.wRec);
    for (let j = 0; j < n; j++) rec[j * n + j] = 0;
    this.#wIn?.dispose();
    this.#wRec?.dispose();
    this.#wIn = tf.tensor2d(Float32Array.from(w.wIn), [nIn, n]);
    this.#wRec = tf.tensor2d(rec, [n, n]);
  }

  /** @returns B episodes at the zero state. */
  initState(batch: number): StepState {
    return zeroStepState(batch, this.spec.n);
  }

  /** Sets the episodes where `mask[b]` is non-zero back to the zero state. */
  reset(state: StepState, mask: ArrayLike<number>): void {
    resetStepState(state, mask, this.spec.n);
  }

  /** Runs S steps of B episodes with tf ops; the record holds float32 values. */
  step(input: ArrayLike<number>, state: StepState, steps = 1): StepRecord {
    const what = "step the LSNN";
    const [wIn, wRec] = this.#weights(what);
    checkStepState(what, state, this.spec.n);
    const { nIn, n } = this.spec, B = state.batch, size = B * n;
    if (!Number.isInteger(steps) || steps < 1) {
      throw new RangeError(`Cannot ${what}: steps must be an integer >= 1, got ${steps}`);
    }
    if (input?.length !== steps * B * nIn) {
      throw new RangeError(
        `Cannot ${what}: input must hold steps x B x nIn = ${
          steps * B * nIn
        } values, got ${input?.length}`,
      );
    }
    const x = Float64Array.from(input);
    const run = neuronStep({ ...this.#constants(), gamma: this.spec.dampening, dt: 1 });
    const out = tf.tidy(() => {
      const X = tf.tensor3d(Float32Array.from(x), [steps, B, nIn]);
      const at = (arr: Float64Array): tf.Tensor => tf.tensor2d(Float32Array.from(arr), [B, n]);
      let s = { v: at(state.v), a: at(state.a), r: at(state.r), z: at(state.z) };
      const z: tf.Tensor[] = [], psi: tf.Tensor[] = [], v: tf.Tensor[] = [], A: tf.Tensor[] = [];
      for (let t = 0; t < steps; t++) {
        const xt = tf.reshape(tf.slice(X, [t, 0, 0], [1, B, nIn]), [B, nIn]) as tf.Tensor2D;
        const next = run(
          { v: s.v, a: s.a, r: s.r, zRecPrev: s.z, zAdaptPrev: s.z },
          { current: tf.matMul(xt, wIn), wRec, beta: this.#beta },
        );
        s = { v: next.v, a: next.a, r: next.r, z: next.z };
        z.push(next.z);
        psi.push(next.psi);
        v.push(next.v);
        A.push(next.A);
      }
      return [tf.stack(z), tf.stack(psi), tf.stack(v), tf.stack(A), s.v, s.a, s.r];
    });
    try {
      const [z, psi, v, thr, vEnd, aEnd, rEnd] = out.map((t) => Float64Array.from(t.dataSync()));
      const record: StepRecord = {
        steps,
        batch: B,
        x,
        zBefore: state.z.slice(),
        psiBefore: state.psi.slice(),
        z,
        psi,
        v,
        thr,
      };
      const all = steps * size;
      state.v.set(vEnd);
      state.a.set(aEnd);
      state.r.set(rEnd);
      state.z.set(z.subarray(all - size));
      state.psi.set(psi.subarray(all - size));
      return record;
    } finally {
      out.forEach((t) => t.dispose());
    }
  }

  /** BPTT (autodiff) or e-prop (trace adjoint) over a recorded span; adds to `into` if given. */
  reverse(
    span: readonly SpanRecord[],
    errors: SpanErrors,
    method: "bptt" | "eprop",
    into?: { wIn: Float64Array; wRec: Float64Array },
  ): SpanReverse {
    const what = "Cannot run the LSNN reverse pass";
    if (method !== "bptt" && method !== "eprop") {
      throw new RangeError(`${what}: method must be "bptt" or "eprop", got ${describe(method)}`);
    }
    const [wIn, wRec] = this.#weights("run the LSNN reverse pass");
    if (!Array.isArray(span) || span.length === 0) {
      throw new RangeError(`${what}: the span holds no records`);
    }
    const { nIn, n } = this.spec, B = span[0].batch, size = B * n;
    if (span.some((r) => r?.batch !== B)) {
      throw new RangeError(`${what}: every record of the span must hold ${B} episodes`);
    }
    span.forEach((r, k) => {
      if (!Number.isInteger(r.steps) || r.steps < 1) {
        throw new RangeError(`${what}: span[${k}].steps must be an integer >= 1, got ${r.steps}`);
      }
      for (
        const [key, want] of [
          ["x", r.steps * B * nIn],
          ["zBefore", size],
          ["z", r.steps * size],
          ["psi", r.steps * size],
        ] as const
      ) {
        if (r[key]?.length !== want) {
          throw new RangeError(
            `${what}: span[${k}].${key} must hold ${want} values, got ${r[key]?.length}`,
          );
        }
      }
    });
    const T = span.reduce((t, r) => t + r.steps, 0), all = T * size;
    for (const key of ["dEdz", "dEdv", "dEda"] as const) {
      const e = errors?.[key];
      if ((key === "dEdz" || e !== undefined) && e?.length !== all) {
        throw new RangeError(
          `${what}: errors.${key} must hold T x B x n = ${all} values, got ${e?.length}`,
        );
      }
    }
    if (errors.cut !== undefined && errors.cut?.length !== T * B) {
      throw new RangeError(
        `${what}: errors.cut must hold T x B = ${T * B} flags, got ${errors.cut?.length}`,
      );
    }
    for (const [name, want] of [["wIn", nIn * n], ["wRec", n * n]] as const) {
      if (into !== undefined && into?.[name]?.length !== want) {
        throw new RangeError(
          `${what}: into.${name} must hold ${want} values, got ${into?.[name]?.length}`,
        );
      }
    }
    // Per step of the span: the inputs, the presynaptic spikes of the recurrence, the recorded
    // spikes and pseudo-derivatives, and the 0/1 column [B][1] that is 0 where a cut stops the
    // flow from step t+1 into step t.
    const x: Float32Array[] = [], pre: Float32Array[] = [], z: Float32Array[] = [];
    const psi: Float32Array[] = [];
    for (const r of span) {
      for (let s = 0; s < r.steps; s++) {
        x.push(Float32Array.from(r.x.subarray(s * B * nIn, (s + 1) * B * nIn)));
        pre.push(Float32Array.from(s === 0 ? r.zBefore : r.z.subarray((s - 1) * size, s * size)));
        z.push(Float32Array.from(r.z.subarray(s * size, (s + 1) * size)));
        psi.push(Float32Array.from(r.psi.subarray(s * size, (s + 1) * size)));
      }
    }
    const keep = Array.from(
      { length: T },
      (_, t) => Float32Array.from({ length: B }, (_, b) => errors.cut?.[t * B + b] ? 0 : 1),
    );
    const rows = (arr: Float64Array | undefined, t: number) =>
      arr === undefined ? undefined : Float32Array.from(arr.subarray(t * size, (t + 1) * size));
    const steps = Array.from({ length: T }, (_, t) => ({
      x: x[t],
      pre: pre[t],
      z: z[t],
      psi: psi[t],
      keep: keep[t],
      G: rows(errors.dEdz, t)!,
      ev: rows(errors.dEdv, t),
      ea: rows(errors.dEda, t),
    }));
    const out = tf.tidy(() =>
      method === "bptt" ? this.#bptt(steps, B, wIn, wRec) : this.#eprop(steps, B)
    );
    try {
      const [D, gIn, gRec] = out.map((t) => t.dataSync());
      if (into !== undefined) {
        for (let q = 0; q < gIn.length; q++) into.wIn[q] += gIn[q];
        for (let q = 0; q < gRec.length; q++) into.wRec[q] += gRec[q];
      }
      return { D: Float64Array.from(D) };
    } finally {
      out.forEach((t) => t.dispose());
    }
  }

  /** @returns dE/dx = D w_in^T [rows][nIn]. */
  inputSignal(D: Float64Array, rows: number): Float64Array {
    const [wIn] = this.#weights("send the LSNN's error to its inputs");
    const { n } = this.spec;
    if (!Number.isInteger(rows) || rows < 1 || D?.length !== rows * n) {
      throw new RangeError(
        `Cannot send the LSNN's error to its inputs: D must hold rows x n = ${
          rows * n
        } values, got ${D?.length}`,
      );
    }
    const out = tf.tidy(() =>
      tf.matMul(tf.tensor2d(Float32Array.from(D), [rows, n]), wIn, false, true)
    );
    try {
      return Float64Array.from(out.dataSync());
    } finally {
      out.dispose();
    }
  }

  /** Frees the weight tensors (a second call does nothing). */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#beta.dispose();
    this.#adaptive.dispose();
    this.#wIn?.dispose();
    this.#wRec?.dispose();
    this.#wIn = this.#wRec = undefined;
  }

  /**
   * BPTT by autodiff: the span re-run on its recorded inputs and spikes (from a zero state before
   * its first step; the state's value does not enter the gradient, since every spike and
   * pseudo-derivative is the recorded one), a zero probe added to each v(t) so that dE/dprobe(t)
   * = dE/dv(t), and tf.grads by w_in, w_rec (diagonal zero in value, its gradient kept) and the
   * probes.
   * @returns D [T][B][n], dE/dw_in [nIn][n], dE/dw_rec [n][n].
   */
  #bptt(steps: SpanStep[], B: number, wIn: tf.Tensor2D, wRec: tf.Tensor2D): tf.Tensor[] {
    const { nIn, n, alpha, rho, thr } = this.spec, T = steps.length;
    const beta = this.#beta;
    const t2 = (arr: Float32Array, cols: number) => tf.tensor2d(arr, [B, cols]);
    const c = steps.map((st) => ({
      x: t2(st.x, nIn),
      pre: t2(st.pre, n),
      z: t2(st.z, n),
      psi: t2(st.psi, n),
      keep: tf.tensor2d(st.keep, [B, 1]),
      G: t2(st.G, n),
      ev: st.ev && t2(st.ev, n),
      ea: st.ea && tf.mul(t2(st.ea, n), this.#adaptive),
    }));
    const energy = (w: tf.Tensor2D, r: tf.Tensor2D, ...probes: tf.Tensor[]) => {
      let v = tf.zeros([B, n]), a = tf.zeros([B, n]), zPrev: tf.Tensor | undefined;
      let E: tf.Tensor = tf.scalar(0);
      for (let t = 0; t < T; t++) {
        const k = c[t], keepPrev = t > 0 ? c[t - 1].keep : undefined;
        // the presynaptic spikes: recorded values, derivative to z(t-1) unless a cut intervenes
        const zIn = zPrev && keepPrev ? carried(zPrev, k.pre, keepPrev) : k.pre;
        const vIn = keepPrev ? tf.mul(v, keepPrev) : v;
        const aIn = keepPrev ? tf.mul(a, keepPrev) : a;
        a = tf.add(tf.mul(rho, aIn), zIn);
        const current = tf.add(tf.matMul(k.x, w), tf.matMul(zIn as tf.Tensor2D, r));
        v = tf.add(tf.sub(tf.add(tf.mul(alpha, vIn), current), tf.mul(thr, zIn)), probes[t]);
        const A = tf.add(thr, tf.mul(beta, a));
        const zt = recordedSpike(tf.sub(v, A), k.z, k.psi);
        E = tf.add(E, tf.sum(tf.mul(k.G, zt)));
        if (k.ev) E = tf.add(E, tf.sum(tf.mul(k.ev, v)));
        if (k.ea) E = tf.add(E, tf.sum(tf.mul(k.ea, a)));
        zPrev = zt;
      }
      return E as tf.Scalar;
    };
    const probes = Array.from({ length: T }, () => tf.zeros([B, n]));
    const grads = tf.grads(energy as (...args: tf.Tensor[]) => tf.Scalar)([wIn, wRec, ...probes]);
    return [tf.stack(grads.slice(2)), grads[0], grads[1]];
  }

  /**
   * The e-prop trace adjoint (the module's equations) from the span's last step back to its
   * first, then dE/dw = sum_t pre(t)^T D(t).
   * @returns D [T][B][n], dE/dw_in [nIn][n], dE/dw_rec [n][n].
   */
  #eprop(steps: SpanStep[], B: number): tf.Tensor[] {
    const { nIn, n, alpha, rho } = this.spec, T = steps.length;
    const beta = this.#beta, adaptive = this.#adaptive;
    let la: tf.Tensor = tf.zeros([B, n]), next: tf.Tensor = tf.zeros([B, n]);
    const D: tf.Tensor[] = new Array(T);
    for (let t = T - 1; t >= 0; t--) {
      const st = steps[t];
      if (st.keep.some((k) => k === 0)) {
        const keep = tf.tensor2d(st.keep, [B, 1]);
        la = tf.mul(la, keep);
        next = tf.mul(next, keep);
      }
      const p = tf.tensor2d(st.psi, [B, n]), g = tf.tensor2d(st.G, [B, n]);
      const pg = tf.mul(p, g);
      let m = tf.add(pg, tf.mul(p, la));
      if (st.ev) m = tf.add(m, tf.tensor2d(st.ev, [B, n]));
      let laNew = tf.add(tf.neg(tf.mul(beta, pg)), tf.mul(tf.sub(rho, tf.mul(beta, p)), la));
      if (st.ea) laNew = tf.add(laNew, tf.tensor2d(st.ea, [B, n]));
      la = tf.mul(adaptive, laNew);
      next = D[t] = tf.add(m, tf.mul(alpha, next));
    }
    const Dall = tf.reshape(tf.stack(D), [T * B, n]) as tf.Tensor2D;
    const stacked = (arr: Float32Array[], cols: number) => {
      const flat = new Float32Array(T * B * cols);
      arr.forEach((a, t) => flat.set(a, t * B * cols));
      return tf.tensor2d(flat, [T * B, cols]);
    };
    const gIn = tf.matMul(stacked(steps.map((s) => s.x), nIn), Dall, true, false);
    const gRec = tf.matMul(stacked(steps.map((s) => s.pre), n), Dall, true, false);
    return [tf.reshape(Dall, [T, B, n]), gIn, gRec];
  }

  /** The constants of lsnn_graph.ts's neuron step that the spec gives (s = 1). */
  #constants() {
    const { alpha, rho, thr, nRef } = this.spec;
    return { alpha, rho, thr, nRef, s: 1 };
  }

  #alive(action: string): void {
    if (this.#disposed) throw new Error(`Cannot ${action}: the engine has been disposed`);
  }

  #weights(action: string): [tf.Tensor2D, tf.Tensor2D] {
    this.#alive(action);
    if (!this.#wIn || !this.#wRec) {
      throw new Error(`Cannot ${action}: no weights loaded (setWeights)`);
    }
    return [this.#wIn, this.#wRec];
  }
}

/** One step of a span as the reverse passes read it (float32 rows [B][...]). */
interface SpanStep {
  x: Float32Array;
  pre: Float32Array;
  z: Float32Array;
  psi: Float32Array;
  keep: Float32Array;
  G: Float32Array;
  ev?: Float32Array;
  ea?: Float32Array;
}

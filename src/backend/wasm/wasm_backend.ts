/**
 * The WebAssembly backend: the LSNN, BPTT and both forms of e-prop computed by the SIMD core
 * (core-wasm/), in float32 (fast path) or float64 (verification).
 *
 * @module
 */
import type {
  Backend,
  EvaluateOptions,
  Evaluation,
  GradientOptions,
  GradientResult,
  Precision,
  Trajectory,
} from "../backend.ts";
import {
  type NetworkConfig,
  type ResolvedNetworkConfig,
  resolveNetworkConfig,
} from "../../model/config.ts";
import { checkWeights, copyWeights, type Matrix, type Weights } from "../../model/weights.ts";
import {
  type Batch,
  checkBatch,
  type Objective,
  type RegularizationConfig,
  type ResolvedObjective,
  resolveObjective,
  resolveRegularization,
} from "../../model/objective.ts";
import { ReadoutError } from "../../grad/readout_error.ts";
import { batchRegularizer, type RateRegularizer } from "../../grad/rate_regularizer.ts";
import { checkFeedbackMatrix } from "../../grad/feedback.ts";
import { checkChoice, checkNumber } from "../../util/errors.ts";
import { CoreInstance } from "./core_instance.ts";
import { initWasm, type WasmSource } from "./module.ts";
import { OnlineEprop, type StepError } from "./online_eprop.ts";
import { gradientMatrices } from "./gradient_readback.ts";

/** Options of {@linkcode WasmBackend.create}. */
export interface WasmBackendOptions {
  /** "f32" (default, fast) or "f64" (verification). */
  precision?: Precision;
  /** Where the core comes from (default: the embedded module). */
  module?: WasmSource;
}

/**
 * The WebAssembly backend.
 *
 * @example Gradients of a tiny network
 * ```ts
 * import { WasmBackend } from "./wasm_backend.ts";
 * import { initWeights } from "../../model/weights.ts";
 * import { resolveNetworkConfig } from "../../model/config.ts";
 * import { Rng } from "../../util/rng.ts";
 * import assert from "node:assert/strict";
 * const config = resolveNetworkConfig({ neuron: { nIn: 2, nRec: 3 }, readout: { nOut: 1 } });
 * const backend = await WasmBackend.create(config, initWeights(config, new Rng(0)), { precision: "f64" });
 * const batch = { batchSize: 1, steps: 4, inputs: new Float64Array(8).fill(1), targets: new Float64Array(4) };
 * const r = backend.gradients(batch, { loss: { type: "mse" } }, { method: "bptt" });
 * assert.equal(r.grads.wIn.rows, 2);
 * ```
 */
export class WasmBackend implements Backend {
  /** Backend name. */
  readonly name = "wasm";
  /** Arithmetic precision. */
  readonly precision: Precision;
  /** The network. */
  readonly config: ResolvedNetworkConfig;
  readonly #module: WebAssembly.Module;
  #instance: CoreInstance | undefined;
  #weights: Weights;

  private constructor(
    module: WebAssembly.Module,
    config: ResolvedNetworkConfig,
    weights: Weights,
    precision: Precision,
  ) {
    this.#module = module;
    this.config = config;
    this.precision = precision;
    this.#instance = new CoreInstance(module, config, precision);
    this.#weights = copyWeights(weights);
    this.setWeights(weights);
  }

  /**
   * Creates a backend for a network, compiling the core on first use.
   *
   * @param config The network (validated here).
   * @param weights Its initial weights.
   * @param options Precision and module source.
   * @returns A ready backend.
   * @throws {TypeError|RangeError} For an invalid config or weights.
   */
  static async create(
    config: NetworkConfig | ResolvedNetworkConfig,
    weights: Weights,
    options: WasmBackendOptions = {},
  ): Promise<WasmBackend> {
    const resolved = resolveNetworkConfig(config);
    const precision = checkChoice("create backend", "precision", options.precision ?? "f32", [
      "f32",
      "f64",
    ]);
    checkWeights(resolved, weights);
    return new WasmBackend(await initWasm(options.module), resolved, weights, precision);
  }

  /** Replaces the weights. */
  setWeights(weights: Weights): void {
    checkWeights(this.config, weights);
    this.#weights = copyWeights(weights);
    this.#core.loadWeights(weights);
  }

  /**
   * Returns a copy of the current weights.
   * @returns A copy of the current weights.
   */
  getWeights(): Weights {
    return copyWeights(this.#weights);
  }

  /** Runs the batch from the zero state and records spikes, voltages, thresholds, psi and y. */
  simulate(batch: Batch): Trajectory {
    checkBatch(this.config, batch);
    const core = this.#core;
    const mark = core.arena.mark();
    try {
      const { batchSize: B, steps: T } = batch;
      const n = this.config.neuron.nRec;
      const rec = this.#forward(batch, true);
      return {
        batchSize: B,
        steps: T,
        z: this.#batchMajor(rec.z, B, T, n),
        v: this.#batchMajor(rec.v, B, T, n),
        thr: this.#batchMajor(rec.thr, B, T, n),
        psi: this.#batchMajor(rec.psi, B, T, n),
        y: this.#batchMajor(rec.y, B, T, this.config.readout.nOut),
      };
    } finally {
      core.arena.release(mark);
    }
  }

  /** Forward pass only: loss, readout y (batch-major) and per-neuron rates. */
  evaluate(batch: Batch, objective: Objective, options: EvaluateOptions = {}): Evaluation {
    const obj = resolveObjective(objective, { config: this.config, batch });
    const core = this.#core;
    const mark = core.arena.mark();
    try {
      const { batchSize: B, steps: T } = batch;
      const fwd = this.#forward(batch, false);
      const readoutLoss = this.#readoutError(batch, obj, fwd.y).loss;
      const reg = this.#regularize(
        this.#regularizer(obj, batch, options.rateEstimate),
        fwd.z,
        batch,
      );
      return {
        loss: readoutLoss + reg.loss,
        readoutLoss,
        regularizationLoss: reg.loss,
        spikes: reg.sums.reduce((a, v) => a + v, 0) * this.config.neuron.dtMs,
        rates: reg.sums.map((v) => v / (B * T)),
        y: this.#batchMajor(fwd.y, B, T, this.config.readout.nOut),
      };
    } finally {
      core.arena.release(mark);
    }
  }

  /** Loss and gradients of the batch by the chosen method. */
  gradients(batch: Batch, objective: Objective, options: GradientOptions): GradientResult {
    const action = "compute gradients";
    const obj = resolveObjective(objective, { config: this.config, batch });
    const method = checkChoice(action, "method", options?.method, ["bptt", "eprop", "eq1"]);
    const form = checkChoice(action, "form", options.form ?? "factorized", [
      "online",
      "factorized",
    ]);
    const implementation = checkChoice(
      action,
      "implementation",
      options.implementation ?? "hardcoded",
      [
        "hardcoded",
        "autodiff",
      ],
    );
    if (implementation === "autodiff") {
      throw new RangeError(
        `Cannot ${action}: the wasm backend computes e-prop from its traces (implementation "hardcoded"); ` +
          "automatic differentiation needs the tfjs backend",
      );
    }
    const core = this.#core;
    const mark = core.arena.mark();
    try {
      core.loadFeedback(method === "eprop" ? options.feedback : undefined);
      const reg = this.#regularizer(obj, batch, options.rateEstimate);
      if (method === "eprop" && form === "online") return this.#online(batch, obj, reg);
      return this.#sequence(batch, obj, method, reg);
    } finally {
      core.arena.release(mark);
    }
  }

  /**
   * Per-neuron learning signals of a batch, batch-major [B][T][nRec].
   *
   * @param batch The batch.
   * @param objective Loss and regularizer.
   * @param options `kind` "true": dE/dz_j(t) of eq. (1), through everything outside the neuron's own
   *   adaptation (readout, regularizer, recurrence, reset); "feedback": L_j(t) = sum_k B[j][k]
   *   dE/dy_k(t) for `feedback` (default w_out), without the regularizer.
   * @returns The signals.
   */
  learningSignals(
    batch: Batch,
    objective: Objective,
    options: { kind: "true" | "feedback"; feedback?: Matrix; rateEstimate?: Float64Array },
  ): Float64Array {
    const obj = resolveObjective(objective, { config: this.config, batch });
    const kind = checkChoice("compute learning signals", "kind", options?.kind, [
      "true",
      "feedback",
    ]);
    const core = this.#core;
    const { batchSize: B, steps: T } = batch;
    const n = this.config.neuron.nRec;
    const nOut = this.config.readout.nOut;
    const mark = core.arena.mark();
    try {
      if (kind === "true") {
        const reg = this.#regularizer(obj, batch, options.rateEstimate);
        return this.#batchMajor(this.#neuronSignals(batch, obj, "eq1", reg).D, B, T, n);
      }
      const fb = options.feedback ?? this.#weights.wOut;
      checkFeedbackMatrix(fb, { nRec: n, nOut, action: "compute learning signals" });
      const dy = this.#batchMajor(
        this.#readoutError(batch, obj, this.#forward(batch, false).y).dEdy,
        B,
        T,
        nOut,
      );
      const out = new Float64Array(B * T * n);
      for (let r = 0; r < B * T; r++) {
        for (let j = 0; j < n; j++) {
          let acc = 0;
          for (let o = 0; o < nOut; o++) acc += fb.data[j * nOut + o] * dy[r * nOut + o];
          out[r * n + j] = acc;
        }
      }
      return out;
    } finally {
      core.arena.release(mark);
    }
  }

  /**
   * A step-by-step e-prop learner on its own core instance (a snapshot of the current weights).
   *
   * @param batchSize Number of parallel streams.
   * @param options Feedback matrix (default w_out), and a regularizer with the number of steps
   *   it averages over (`steps`, needed by the simple type).
   * @returns The learner.
   */
  onlineEprop(
    batchSize: number,
    options: { feedback?: Matrix; regularization?: RegularizationConfig; steps?: number } = {},
  ): OnlineEprop {
    const action = "create online e-prop";
    checkNumber(action, "batchSize", batchSize, { min: 1, integer: true });
    const core = new CoreInstance(this.#module, this.config, this.precision);
    core.loadWeights(this.#weights);
    core.loadFeedback(options.feedback);
    const reg = options.regularization
      ? batchRegularizer(resolveRegularization(options.regularization), {
        config: this.config,
        batchSize,
        steps: checkNumber(action, "steps", options.steps, { min: 1, integer: true }),
      })
      : undefined;
    return new OnlineEprop(core, { batchSize, regularizer: reg });
  }

  /** Releases the core instance and its memory; later calls throw. */
  dispose(): void {
    this.#instance = undefined;
  }

  get #core(): CoreInstance {
    if (!this.#instance) throw new Error("Cannot use a disposed WasmBackend");
    return this.#instance;
  }

  #regularizer(obj: ResolvedObjective, batch: Batch, estimate?: Float64Array) {
    const { batchSize, steps } = batch;
    return batchRegularizer(obj.regularization, {
      config: this.config,
      batchSize,
      steps,
      estimate,
    });
  }

  /** Copies the batch-major inputs into core memory, time-major. */
  #inputs(batch: Batch): number {
    const core = this.#core;
    const { batchSize: B, steps: T } = batch;
    const nIn = this.config.neuron.nIn;
    const ptr = core.alloc(T * B * nIn, false);
    const view = core.view(ptr, T * B * nIn);
    const src = batch.inputs;
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        view.set(src.subarray((b * T + t) * nIn, (b * T + t + 1) * nIn), (t * B + b) * nIn);
      }
    }
    return ptr;
  }

  #forward(batch: Batch, record: boolean) {
    const core = this.#core;
    const { k, ptr } = core;
    const { batchSize: B, steps: T } = batch;
    const { nIn, nRec: n } = this.config.neuron;
    const size = B * n;
    const x = this.#inputs(batch);
    const [v, a, r, cur, zInit] = [0, 0, 0, 0, 0].map(() => core.alloc(size));
    const z = core.alloc(T * size, false);
    const psi = core.alloc(T * size, false);
    const vRec = record ? core.alloc(T * size, false) : 0;
    const thr = record ? core.alloc(T * size, false) : 0;
    k.lsnnForward(
      T,
      B,
      nIn,
      n,
      ptr.cst,
      x,
      ptr.wIn,
      ptr.wRec,
      ptr.beta,
      zInit,
      v,
      a,
      r,
      cur,
      z,
      psi,
      vRec,
      thr,
    );
    const nOut = this.config.readout.nOut;
    const zbar = core.alloc(T * size, false);
    const y = core.alloc(T * B * nOut, false);
    k.readoutForward(T, B, n, nOut, ptr.cst, z, zbar, y, ptr.wOutT, ptr.bias);
    return { x, z, psi, v: vRec, thr, zbar, y };
  }

  /** Writes dE/dy of every step into a new buffer; returns it with the readout loss. */
  #readoutError(batch: Batch, obj: ResolvedObjective, y: number): { dEdy: number; loss: number } {
    const core = this.#core;
    const { batchSize: B, steps: T } = batch;
    const nOut = this.config.readout.nOut;
    const dEdy = core.alloc(T * B * nOut, false);
    const error = new ReadoutError(obj, { batch, nOut });
    const yView = core.view(y, T * B * nOut);
    const dView = core.view(dEdy, T * B * nOut);
    let loss = 0;
    for (let t = 0; t < T; t++) {
      const range = [t * B * nOut, (t + 1) * B * nOut] as const;
      loss += error.step(t, { y: yView.subarray(...range), dEdy: dView.subarray(...range) });
    }
    return { dEdy, loss };
  }

  /**
   * Spike totals per neuron, and the regularizer's signal: per step ([T][n], online type) or per
   * neuron ([n], simple type) at `signal` (0 without a regularizer).
   */
  #regularize(reg: RateRegularizer | undefined, z: number, batch: Batch) {
    const core = this.#core;
    const { k } = core;
    const { batchSize: B, steps: T } = batch;
    const n = this.config.neuron.nRec;
    const sumsPtr = core.alloc(n);
    k.addColumnSums(T * B, n, z, sumsPtr);
    const sums = core.read(sumsPtr, n);
    let signal = 0, stride = 0;
    if (reg?.online) {
      signal = core.alloc(T * n);
      stride = n;
      const step = core.alloc(n);
      for (let t = 0; t < T; t++) {
        core.view(step, n).fill(0);
        k.addColumnSums(B, n, core.at(z, t * B * n), step);
        reg.step(core.view(step, n), core.view(core.at(signal, t * n), n));
      }
    } else if (reg) {
      signal = core.alloc(n);
      reg.finish(sums, core.view(signal, n));
    }
    return { sums, signal, stride, loss: reg ? reg.loss(sums) : 0 };
  }

  /**
   * Forward pass, readout error, regularizer, and the per-neuron signal D [T][B][n] that the
   * traces multiply: the filtered learning signal (e-prop), dE/dv (BPTT) or the true learning
   * signal (eq. 1), before the trace adjoint.
   */
  #neuronSignals(
    batch: Batch,
    obj: ResolvedObjective,
    method: "bptt" | "eprop" | "eq1",
    reg: RateRegularizer | undefined,
  ) {
    const core = this.#core;
    const { k, ptr } = core;
    const { batchSize: B, steps: T } = batch;
    const n = this.config.neuron.nRec;
    const nOut = this.config.readout.nOut;
    const size = B * n;
    const fwd = this.#forward(batch, false);
    const { dEdy, loss: readoutLoss } = this.#readoutError(batch, obj, fwd.y);
    const regularization = this.#regularize(reg, fwd.z, batch);
    const G = core.alloc(T * size, false);
    const scratch = core.alloc(size);
    const feedback = method === "eprop" ? ptr.fbT : ptr.wOutT;
    k.learningSignal(
      T,
      B,
      n,
      nOut,
      ptr.cst,
      dEdy,
      feedback,
      regularization.signal,
      regularization.stride,
      G,
      scratch,
    );
    let D = G;
    if (method !== "eprop") {
      const gv = core.alloc(T * size, false);
      const ltrue = method === "eq1" ? core.alloc(T * size, false) : 0;
      k.bpttBackward(
        T,
        B,
        n,
        ptr.cst,
        G,
        fwd.psi,
        ptr.wRecT,
        ptr.beta,
        gv,
        ltrue,
        scratch,
        core.alloc(size),
      );
      D = method === "bptt" ? gv : ltrue;
    }
    return { fwd, dEdy, readoutLoss, regularization, D, scratch };
  }

  #sequence(
    batch: Batch,
    obj: ResolvedObjective,
    method: "bptt" | "eprop" | "eq1",
    reg: RateRegularizer | undefined,
  ): GradientResult {
    const core = this.#core;
    const { k, ptr } = core;
    const { batchSize: B, steps: T } = batch;
    const { nIn, nRec: n, dtMs } = this.config.neuron;
    const nOut = this.config.readout.nOut;
    const size = B * n;
    const s = core.consts.s;
    const { fwd, dEdy, readoutLoss, regularization, D, scratch } = this.#neuronSignals(
      batch,
      obj,
      method,
      reg,
    );
    const { sums, loss: regularizationLoss } = regularization;
    if (method !== "bptt") k.traceAdjoint(T, B, n, ptr.cst, D, fwd.psi, ptr.beta, D, scratch);

    const gIn = core.alloc(nIn * n);
    k.gemmTN(T * B, nIn, n, fwd.x, D, gIn, s);
    const gRec = core.alloc(n * n);
    if (T > 1) k.gemmTN((T - 1) * B, n, n, fwd.z, core.at(D, size), gRec, s);
    const gOutT = core.alloc(n * nOut);
    k.gemmTN(T * B, nOut, n, dEdy, fwd.zbar, gOutT, 1);
    const gBias = core.alloc(nOut);
    k.addColumnSums(T * B, nOut, dEdy, gBias);
    return {
      loss: readoutLoss + regularizationLoss,
      readoutLoss,
      regularizationLoss,
      spikes: sums.reduce((acc, v) => acc + v, 0) * dtMs,
      grads: gradientMatrices(core, { wIn: gIn, wRec: gRec, wOutT: gOutT, bias: gBias }),
      ...(reg?.online ? { rateEstimate: Float64Array.from(reg.estimate) } : {}),
    };
  }

  #online(batch: Batch, obj: ResolvedObjective, reg: RateRegularizer | undefined): GradientResult {
    const core = this.#core;
    const { batchSize: B, steps: T } = batch;
    const nIn = this.config.neuron.nIn;
    const x = this.#inputs(batch);
    const error = new ReadoutError(obj, { batch, nOut: this.config.readout.nOut });
    const learner = new OnlineEprop(core, { batchSize: B, regularizer: reg });
    const stepError: StepError = (t, io) => error.step(t, io);
    for (let t = 0; t < T; t++) learner.stepAt(core.at(x, t * B * nIn), stepError);
    const r = learner.finish();
    return {
      loss: r.readoutLoss + r.regularizationLoss,
      readoutLoss: r.readoutLoss,
      regularizationLoss: r.regularizationLoss,
      spikes: r.spikes,
      grads: r.grads,
      ...(reg?.online ? { rateEstimate: Float64Array.from(reg.estimate) } : {}),
    };
  }

  #batchMajor(ptr: number, B: number, T: number, C: number): Float64Array {
    const view = this.#core.view(ptr, T * B * C);
    const out = new Float64Array(T * B * C);
    for (let t = 0; t < T; t++) {
      for (let b = 0; b < B; b++) {
        out.set(view.subarray((t * B + b) * C, (t * B + b + 1) * C), (b * T + t) * C);
      }
    }
    return out;
  }
}

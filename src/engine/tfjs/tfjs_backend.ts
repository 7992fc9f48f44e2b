/**
 * The TensorFlow.js backend: the same model as the WebAssembly core, in tensor ops, with BPTT and
 * e-prop by automatic differentiation (the autodiff reference) and e-prop hard-coded with tensor
 * ops. Runs on the tfjs "cpu" and "wasm" backends in Deno and on "webgl"/"webgpu" in a browser.
 * Arithmetic is float32.
 *
 * @module
 */
import { tf, type TfBackendName, useTfBackend } from "./tf.ts";
import { type GraphRecord, type GraphWeights, runGraph } from "./lsnn_graph.ts";
import { objectiveTensors, readoutLossGraph, simpleRegularizerGraph } from "./objective_graph.ts";
import { traceGradient } from "./hardcoded_eprop.ts";
import type {
  Backend,
  EvaluateOptions,
  Evaluation,
  GradientOptions,
  GradientResult,
  Gradients,
  Precision,
  Trajectory,
} from "../backend.ts";
import {
  type NetworkConfig,
  type ResolvedNetworkConfig,
  resolveNetworkConfig,
} from "../../model/config.ts";
import { deriveConstants, type ModelConstants } from "../../model/constants.ts";
import { checkWeights, copyWeights, type Matrix, type Weights } from "../../model/weights.ts";
import { type Batch, checkBatch, type Objective, resolveObjective } from "../../model/objective.ts";
import { batchRegularizer, type RateRegularizer } from "../../grad/rate_regularizer.ts";
import { checkFeedbackMatrix } from "../../grad/feedback.ts";
import { checkChoice } from "../../util/errors.ts";

/** Options of {@linkcode TfjsBackend.create}. */
export interface TfjsBackendOptions {
  /** TensorFlow.js backend (default "cpu"). */
  tfBackend?: TfBackendName;
}

interface WeightTensors {
  wIn: tf.Tensor2D;
  wRec: tf.Tensor2D;
  wOut: tf.Tensor2D;
  bOut?: tf.Tensor1D;
  beta: tf.Tensor1D;
  mask: tf.Tensor2D;
}

/**
 * The TensorFlow.js backend. TensorFlow.js has one active backend per process; `create` activates
 * the requested one and every call checks it is still active.
 *
 * @example BPTT by autodiff
 * ```ts
 * import { TfjsBackend } from "./tfjs_backend.ts";
 * import { initWeights } from "../../model/weights.ts";
 * import { resolveNetworkConfig } from "../../model/config.ts";
 * import { Rng } from "../../util/rng.ts";
 * import assert from "node:assert/strict";
 * const config = resolveNetworkConfig({ neuron: { nIn: 2, nRec: 3 }, readout: { nOut: 1 } });
 * const backend = await TfjsBackend.create(config, initWeights(config, new Rng(0)));
 * const batch = { batchSize: 1, steps: 4, inputs: new Float64Array(8).fill(1), targets: new Float64Array(4) };
 * const r = backend.gradients(batch, { loss: { type: "mse" } }, { method: "bptt" });
 * assert.equal(r.grads.wRec.rows, 3);
 * backend.dispose();
 * ```
 */
export class TfjsBackend implements Backend {
  /** "tfjs-" and the TensorFlow.js backend. */
  readonly name: string;
  /** Always float32. */
  readonly precision: Precision = "f32";
  /** The network. */
  readonly config: ResolvedNetworkConfig;
  readonly #tfBackend: TfBackendName;
  readonly #k: ModelConstants;
  #weights: Weights;
  #tensors: WeightTensors | undefined;

  private constructor(config: ResolvedNetworkConfig, weights: Weights, tfBackend: TfBackendName) {
    this.config = config;
    this.#tfBackend = tfBackend;
    this.name = `tfjs-${tfBackend}`;
    this.#k = deriveConstants(config);
    this.#weights = weights;
    this.setWeights(weights);
  }

  /**
   * Creates a backend, activating the TensorFlow.js backend.
   * @param config The network.
   * @param weights Its weights.
   * @param options Which TensorFlow.js backend.
   * @returns The backend.
   * @throws {TypeError|RangeError} For an invalid config, weights or backend name.
   */
  static async create(
    config: NetworkConfig | ResolvedNetworkConfig,
    weights: Weights,
    options: TfjsBackendOptions = {},
  ): Promise<TfjsBackend> {
    const resolved = resolveNetworkConfig(config);
    checkWeights(resolved, weights);
    const tfBackend = options.tfBackend ?? "cpu";
    await useTfBackend(tfBackend);
    return new TfjsBackend(resolved, weights, tfBackend);
  }

  /** Replaces the weights. */
  setWeights(weights: Weights): void {
    checkWeights(this.config, weights);
    this.#weights = copyWeights(weights);
    this.#disposeTensors();
    const { nIn, nRec: n, beta } = this.config.neuron;
    const nOut = this.config.readout.nOut;
    this.#tensors = tf.tidy(() => {
      const mask = tf.sub(1, tf.eye(n)) as tf.Tensor2D;
      const t: WeightTensors = {
        wIn: tf.tensor2d(Float32Array.from(weights.wIn.data), [nIn, n]),
        wRec: tf.tensor2d(Float32Array.from(weights.wRec.data), [n, n]),
        wOut: tf.tensor2d(Float32Array.from(weights.wOut.data), [n, nOut]),
        beta: tf.tensor1d(Float32Array.from(beta)),
        mask,
      };
      if (this.config.readout.bias) t.bOut = tf.tensor1d(Float32Array.from(weights.bOut!));
      return t as unknown as tf.TensorContainerObject;
    }) as unknown as WeightTensors;
  }

  /**
   * Returns a copy of the current weights.
   * @returns The weights.
   */
  getWeights(): Weights {
    return copyWeights(this.#weights);
  }

  /** Runs the batch from the zero state and records spikes, voltages, thresholds, psi and y. */
  simulate(batch: Batch): Trajectory {
    checkBatch(this.config, batch);
    const w = this.#active();
    const { batchSize: B, steps: T } = batch;
    let out: Trajectory | undefined;
    tf.tidy(() => {
      const rec = runGraph(this.#k, graphWeights(w), inputsTensor(batch, this.config.neuron.nIn), {
        mode: "bptt",
      });
      out = {
        batchSize: B,
        steps: T,
        z: batchMajor(rec.z),
        v: batchMajor(rec.v),
        thr: batchMajor(rec.thr),
        psi: batchMajor(rec.psi),
        y: batchMajor(rec.y),
      };
    });
    return out!;
  }

  /** Forward pass only: loss, readout y (batch-major) and per-neuron rates. */
  evaluate(batch: Batch, objective: Objective, options: EvaluateOptions = {}): Evaluation {
    const obj = resolveObjective(objective, { config: this.config, batch });
    const w = this.#active();
    const { nIn, nRec: n, dtMs } = this.config.neuron;
    const nOut = this.config.readout.nOut;
    const { batchSize: B, steps: T } = batch;
    let out: Evaluation | undefined;
    tf.tidy(() => {
      const rec = runGraph(this.#k, graphWeights(w), inputsTensor(batch, nIn), { mode: "bptt" });
      const readoutLoss =
        readoutLossGraph(obj, objectiveTensors(obj, { batch, nOut }), rec.y).dataSync()[0];
      const { sums, loss: regularizationLoss } = regularize(
        batchRegularizer(obj.regularization, {
          config: this.config,
          batchSize: B,
          steps: T,
          estimate: options.rateEstimate,
        }),
        rec.z.dataSync(),
        { B, T, n },
      );
      out = {
        loss: readoutLoss + regularizationLoss,
        readoutLoss,
        regularizationLoss,
        spikes: sums.reduce((a, v) => a + v, 0) * dtMs,
        rates: sums.map((v) => v / (B * T)),
        y: batchMajor(rec.y),
      };
    });
    return out!;
  }

  /** Loss and gradients by BPTT (autodiff), e-prop (autodiff or hard-coded) or eq. (1). */
  gradients(batch: Batch, objective: Objective, options: GradientOptions): GradientResult {
    const action = "compute gradients";
    const obj = resolveObjective(objective, { config: this.config, batch });
    const method = checkChoice(action, "method", options?.method, ["bptt", "eprop", "eq1"]);
    const implementation = checkChoice(
      action,
      "implementation",
      options.implementation ?? "hardcoded",
      [
        "hardcoded",
        "autodiff",
      ],
    );
    if (options.form !== undefined) {
      checkChoice(action, "form", options.form, ["online", "factorized"]);
    }
    const w = this.#active();
    const k = this.#k;
    const { nIn, nRec: n, dtMs } = this.config.neuron;
    const nOut = this.config.readout.nOut;
    const { batchSize: B, steps: T } = batch;
    const feedback = method === "eprop" ? this.#feedback(options.feedback) : undefined;
    let result: GradientResult | undefined;
    tf.tidy(() => {
      const x = inputsTensor(batch, nIn);
      const c = objectiveTensors(obj, { batch, nOut });
      const fwd = runGraph(k, graphWeights(w), x, { mode: "bptt" });
      const reg = batchRegularizer(obj.regularization, {
        config: this.config,
        batchSize: B,
        steps: T,
        estimate: options.rateEstimate,
      });
      const { sums, signal, loss: regularizationLoss } = regularize(reg, fwd.z.dataSync(), {
        B,
        T,
        n,
      });
      // [T, 1, n]: the regularizer's signal, which multiplies unfiltered traces.
      const regSignal = signal ? tf.tensor3d(signal, [T, 1, n]) : undefined;
      const lossOf = (rec: GraphRecord): tf.Scalar => {
        let loss = readoutLossGraph(obj, c, rec.y);
        if (reg && !reg.online) {
          loss = tf.add(loss, simpleRegularizerGraph(obj.regularization!, rec.z, dtMs));
        }
        if (reg?.online) loss = tf.add(loss, tf.sum(tf.mul(regSignal!, rec.z)));
        return loss;
      };
      const readoutLoss = readoutLossGraph(obj, c, fwd.y).dataSync()[0];
      let grads: Gradients;
      if (method === "bptt" || (method === "eprop" && implementation === "autodiff")) {
        const mode = method === "bptt" ? "bptt" : "eprop";
        const vars = [w.wIn, w.wRec, w.wOut, ...(w.bOut ? [w.bOut] : [])];
        const g = tf.grads((...args: tf.Tensor[]) => {
          const [wIn, wRec, wOut, bOut] = args;
          const gw: GraphWeights = {
            wIn: wIn as tf.Tensor2D,
            wRec: tf.mul(wRec, w.mask) as tf.Tensor2D,
            wOut: wOut as tf.Tensor2D,
            bOut: bOut as tf.Tensor1D | undefined,
            beta: w.beta,
          };
          return lossOf(runGraph(k, gw, x, { mode, feedback }));
        })(vars);
        grads = this.#toGradients(g[0], g[1], g[2], g[3]);
      } else {
        const dEdy = tf.grad((y: tf.Tensor) => readoutLossGraph(obj, c, y))(fwd.y);
        const flatDy = dEdy.reshape([T * B, nOut]) as tf.Tensor2D;
        const gOut = tf.matMul(fwd.zbar.reshape([T * B, n]) as tf.Tensor2D, flatDy, true, false);
        const gBias = tf.sum(flatDy, 0);
        let traces: tf.Tensor2D;
        if (method === "eprop") {
          const fb = feedback ?? w.wOut;
          const filtered = tf.matMul(flatDy, fb, false, true).reshape([T, B, n]) as tf.Tensor3D;
          traces = traceGradient(k, {
            x,
            z: fwd.z,
            psi: fwd.psi,
            beta: w.beta,
            filtered,
            unfiltered: regSignal,
          });
        } else {
          const probes = tf.zeros([T, B, n]) as tf.Tensor3D;
          const ltrue = tf.grad((p: tf.Tensor) =>
            lossOf(runGraph(k, graphWeights(w), x, { mode: "bptt", probes: p as tf.Tensor3D }))
          )(
            probes,
          ) as tf.Tensor3D;
          traces = traceGradient(k, { x, z: fwd.z, psi: fwd.psi, beta: w.beta, unfiltered: ltrue });
        }
        const gIn = traces.slice([0, 0], [nIn, n]);
        const gRec = tf.mul(traces.slice([nIn, 0], [n, n]), w.mask);
        grads = this.#toGradients(gIn, gRec, gOut, gBias);
        traces.dispose();
      }
      result = {
        loss: readoutLoss + regularizationLoss,
        readoutLoss,
        regularizationLoss,
        spikes: sums.reduce((a, s) => a + s, 0) * dtMs,
        grads,
        ...(reg?.online ? { rateEstimate: Float64Array.from(reg.estimate) } : {}),
      };
    });
    return result!;
  }

  /** Frees the weight tensors; later calls throw. */
  dispose(): void {
    this.#disposeTensors();
  }

  #disposeTensors(): void {
    if (!this.#tensors) return;
    for (const t of Object.values(this.#tensors)) t?.dispose();
    this.#tensors = undefined;
  }

  #active(): WeightTensors {
    if (!this.#tensors) throw new Error("Cannot use a disposed TfjsBackend");
    if (tf.getBackend() !== this.#tfBackend) {
      throw new Error(
        `Cannot use TfjsBackend: it was created on tfjs backend "${this.#tfBackend}" but "${tf.getBackend()}" is active`,
      );
    }
    return this.#tensors;
  }

  #feedback(m: Matrix | undefined): tf.Tensor2D | undefined {
    if (m === undefined) return undefined;
    const { nRec } = this.config.neuron;
    const nOut = this.config.readout.nOut;
    checkFeedbackMatrix(m, { nRec, nOut });
    return tf.tensor2d(Float32Array.from(m.data), [nRec, nOut]);
  }

  #toGradients(gIn: tf.Tensor, gRec: tf.Tensor, gOut: tf.Tensor, gBias?: tf.Tensor): Gradients {
    const { nIn, nRec: n } = this.config.neuron;
    const { nOut, bias } = this.config.readout;
    const read = (t: tf.Tensor) => Float64Array.from(t.dataSync());
    const grads: Gradients = {
      wIn: { rows: nIn, cols: n, data: read(gIn) },
      wRec: { rows: n, cols: n, data: read(gRec) },
      wOut: { rows: n, cols: nOut, data: read(gOut) },
    };
    if (bias && gBias) grads.bOut = read(gBias);
    return grads;
  }
}

/**
 * Spike totals per neuron from time-major spikes [T][B][n], and the regularizer's signal per step
 * ([T][n]: the online estimate's, or the simple type's end-of-batch signal repeated).
 */
function regularize(
  reg: RateRegularizer | undefined,
  z: ArrayLike<number>,
  shape: { B: number; T: number; n: number },
): { sums: Float64Array; signal?: Float32Array; loss: number } {
  const { B, T, n } = shape;
  const sums = new Float64Array(n);
  for (let i = 0; i < z.length; i++) sums[i % n] += z[i];
  if (!reg) return { sums, loss: 0 };
  const signal = new Float32Array(T * n);
  const out = new Float64Array(n);
  if (reg.online) {
    const step = new Float64Array(n);
    for (let t = 0; t < T; t++) {
      step.fill(0);
      for (let i = t * B * n; i < (t + 1) * B * n; i++) step[i % n] += z[i];
      reg.step(step, out);
      signal.set(out, t * n);
    }
  } else {
    reg.finish(sums, out);
    for (let t = 0; t < T; t++) signal.set(out, t * n);
  }
  return { sums, signal, loss: reg.loss(sums) };
}

function graphWeights(w: WeightTensors): GraphWeights {
  return {
    wIn: w.wIn,
    wRec: tf.mul(w.wRec, w.mask) as tf.Tensor2D,
    wOut: w.wOut,
    bOut: w.bOut,
    beta: w.beta,
  };
}

function inputsTensor(batch: Batch, nIn: number): tf.Tensor3D {
  const { batchSize: B, steps: T } = batch;
  const tm = new Float32Array(T * B * nIn);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      for (let i = 0; i < nIn; i++) tm[(t * B + b) * nIn + i] = batch.inputs[(b * T + t) * nIn + i];
    }
  }
  return tf.tensor3d(tm, [T, B, nIn]);
}

function batchMajor(t: tf.Tensor): Float64Array {
  return Float64Array.from(tf.transpose(t, [1, 0, 2]).dataSync());
}

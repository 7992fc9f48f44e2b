/**
 * The WebAssembly backend of the single-population network (Figs. 3 and S7): a convenience over
 * {@linkcode WasmNetwork}, which computes it as one forward layer and one per-step head. The
 * online e-prop form runs the streaming learner ({@linkcode OnlineEprop}), which filters the
 * traces with the readout's filter as the signal arrives.
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
import { batchRegularizer } from "../../grad/rate_regularizer.ts";
import { checkFeedbackMatrix } from "../../grad/feedback.ts";
import { checkChoice, checkNumber } from "../../util/errors.ts";
import { CoreInstance } from "./core_instance.ts";
import { initWasm, type WasmSource } from "./module.ts";
import { OnlineEprop, type StepError } from "./online_eprop.ts";
import { WasmNetwork } from "./wasm_network.ts";
import {
  batchToSequences,
  checkGradientOptions,
  evaluationFromNetwork,
  gradientOptionsToNetwork,
  objectiveToNetwork,
  resultFromNetwork,
  singlePopulationSpec,
  trajectoryFromNetwork,
  weightsToParams,
} from "../single_population.ts";

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
  #network: WasmNetwork | undefined;
  #online: CoreInstance | undefined;
  #weights: Weights;

  private constructor(
    module: WebAssembly.Module,
    network: WasmNetwork,
    config: ResolvedNetworkConfig,
    weights: Weights,
  ) {
    this.#module = module;
    this.#network = network;
    this.config = config;
    this.precision = network.precision;
    this.#weights = copyWeights(weights);
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
    const module = await initWasm(options.module);
    const network = await WasmNetwork.create(
      singlePopulationSpec(resolved),
      weightsToParams(weights),
      { precision, module },
    );
    return new WasmBackend(module, network, resolved, weights);
  }

  /** Replaces the weights. */
  setWeights(weights: Weights): void {
    checkWeights(this.config, weights);
    this.#net.setParams(weightsToParams(weights));
    this.#weights = copyWeights(weights);
    this.#online?.loadWeights(weights);
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
    return trajectoryFromNetwork(batch, this.#net.simulate(batchToSequences(batch)));
  }

  /** Forward pass only: loss, readout y (batch-major) and per-neuron rates. */
  evaluate(batch: Batch, objective: Objective, options: EvaluateOptions = {}): Evaluation {
    const obj = resolveObjective(objective, { config: this.config, batch });
    return evaluationFromNetwork(
      this.#net.evaluate(batchToSequences(batch), objectiveToNetwork(obj, batch), {
        rateEstimates: estimates(options.rateEstimate),
      }),
    );
  }

  /** Loss and gradients of the batch by the chosen method. */
  gradients(batch: Batch, objective: Objective, options: GradientOptions): GradientResult {
    const action = "compute gradients";
    const obj = resolveObjective(objective, { config: this.config, batch });
    const { method, form, implementation } = checkGradientOptions(this.config, options);
    if (implementation === "autodiff") {
      throw new RangeError(
        `Cannot ${action}: the wasm backend computes e-prop from its traces (implementation "hardcoded"); ` +
          "automatic differentiation needs the tfjs backend",
      );
    }
    if (method === "eprop" && form === "online") return this.#onlineGradients(batch, obj, options);
    return resultFromNetwork(
      this.#net.gradients(
        batchToSequences(batch),
        objectiveToNetwork(obj, batch),
        gradientOptionsToNetwork(options),
      ),
    );
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
    if (options?.feedback) {
      checkFeedbackMatrix(options.feedback, {
        nRec: this.config.neuron.nRec,
        nOut: this.config.readout.nOut,
        action: "compute learning signals",
      });
    }
    return this.#net.learningSignals(batchToSequences(batch), objectiveToNetwork(obj, batch), {
      kind: options?.kind,
      feedback: [options.feedback],
      rateEstimates: estimates(options.rateEstimate),
    })[0];
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

  /** Releases the core instances and their memory; later calls throw. */
  dispose(): void {
    this.#network?.dispose();
    this.#network = undefined;
    this.#online = undefined;
  }

  get #net(): WasmNetwork {
    if (!this.#network) throw new Error("Cannot use a disposed WasmBackend");
    return this.#network;
  }

  /** Online e-prop of a whole batch: the streaming learner stepped through it. */
  #onlineGradients(batch: Batch, obj: ResolvedObjective, options: GradientOptions): GradientResult {
    void this.#net;
    if (!this.#online) {
      this.#online = new CoreInstance(this.#module, this.config, this.precision);
      this.#online.loadWeights(this.#weights);
    }
    const core = this.#online;
    const mark = core.arena.mark();
    try {
      core.loadFeedback(options.feedback);
      const { batchSize: B, steps: T } = batch;
      const reg = batchRegularizer(obj.regularization, {
        config: this.config,
        batchSize: B,
        steps: T,
        estimate: options.rateEstimate,
      });
      const nIn = this.config.neuron.nIn;
      const x = core.alloc(T * B * nIn, false);
      const view = core.view(x, T * B * nIn);
      for (let b = 0; b < B; b++) {
        for (let t = 0; t < T; t++) {
          view.set(
            batch.inputs.subarray((b * T + t) * nIn, (b * T + t + 1) * nIn),
            (t * B + b) * nIn,
          );
        }
      }
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
    } finally {
      core.arena.release(mark);
    }
  }
}

function estimates(estimate: Float64Array | undefined): Float64Array[] | undefined {
  return estimate ? [estimate] : undefined;
}

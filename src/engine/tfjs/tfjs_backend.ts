/**
 * The TensorFlow.js backend of the single-population network (Figs. 3 and S7): a convenience over
 * {@linkcode TfjsNetwork}, which computes it as one forward layer and one per-step head, as
 * the WebAssembly backend is over the WebAssembly network. BPTT and e-prop by automatic
 * differentiation (the autodiff reference), e-prop also hard-coded (factorized or with
 * per-synapse traces), eq. (1). Runs on the tfjs "cpu" and "wasm" backends in Deno and on
 * "webgl"/"webgpu" in a browser. Arithmetic is float32.
 *
 * @module
 */
import type { TfBackendName } from "./tf.ts";
import { TfjsNetwork } from "./tfjs_network.ts";
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
import { checkWeights, type Weights } from "../../model/weights.ts";
import { type Batch, checkBatch, type Objective, resolveObjective } from "../../model/objective.ts";
import {
  batchToSequences,
  checkGradientOptions,
  estimatesToNetwork,
  evaluationFromNetwork,
  gradientOptionsToNetwork,
  objectiveToNetwork,
  paramsToWeights,
  resultFromNetwork,
  singlePopulationSpec,
  trajectoryFromNetwork,
  weightsToParams,
} from "../single_population.ts";

/** Options of {@linkcode TfjsBackend.create}. */
export interface TfjsBackendOptions {
  /** TensorFlow.js backend (default "cpu"). */
  tfBackend?: TfBackendName;
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
  #network: TfjsNetwork | undefined;

  private constructor(network: TfjsNetwork, config: ResolvedNetworkConfig) {
    this.#network = network;
    this.config = config;
    this.name = network.name;
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
    const network = await TfjsNetwork.create(
      singlePopulationSpec(resolved),
      weightsToParams(weights),
      { tfBackend: options.tfBackend ?? "cpu" },
    );
    return new TfjsBackend(network, resolved);
  }

  /** Replaces the weights. */
  setWeights(weights: Weights): void {
    checkWeights(this.config, weights);
    this.#net.setParams(weightsToParams(weights));
  }

  /**
   * Returns a copy of the current weights.
   * @returns The weights.
   */
  getWeights(): Weights {
    return paramsToWeights(this.#net.getParams());
  }

  /** Runs the batch from the zero state and records spikes, voltages, thresholds, psi and y. */
  simulate(batch: Batch): Trajectory {
    checkBatch(this.config, batch);
    return trajectoryFromNetwork(batch, this.#net.simulate(batchToSequences(batch)));
  }

  /** Forward pass only: loss, readout y (batch-major) and per-neuron rates. */
  evaluate(batch: Batch, objective: Objective, options: EvaluateOptions = {}): Evaluation {
    const obj = resolveObjective(objective, { config: this.config, batch });
    const net = this.#net;
    return evaluationFromNetwork(
      net.evaluate(batchToSequences(batch), objectiveToNetwork(obj, batch), {
        rateEstimates: estimatesToNetwork(options.rateEstimate),
      }),
    );
  }

  /**
   * Loss and gradients by BPTT (autodiff), e-prop (hard-coded, the default, or autodiff; form
   * "factorized", the default, or "online": per-synapse traces) or eq. (1).
   */
  gradients(batch: Batch, objective: Objective, options: GradientOptions): GradientResult {
    const obj = resolveObjective(objective, { config: this.config, batch });
    const { form, implementation } = checkGradientOptions(this.config, options);
    const net = this.#net;
    return resultFromNetwork(
      net.gradients(batchToSequences(batch), objectiveToNetwork(obj, batch), {
        ...gradientOptionsToNetwork(options),
        implementation,
        form,
      }),
    );
  }

  /** Frees the weight tensors; later calls throw. */
  dispose(): void {
    this.#network?.dispose();
    this.#network = undefined;
  }

  get #net(): TfjsNetwork {
    if (!this.#network) throw new Error("Cannot use a disposed TfjsBackend");
    return this.#network;
  }
}

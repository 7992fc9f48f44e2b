/**
 * The single-population network of Figs. 3 and S7 with its gradients split across workers
 * ({@linkcode ParallelNetwork}); everything that is not a batch gradient (simulation, evaluation,
 * learning signals, the streaming online form) runs on a core in the calling thread.
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
import type { Matrix, Weights } from "../../model/weights.ts";
import { type Batch, type Objective, resolveObjective } from "../../model/objective.ts";
import {
  batchToSequences,
  gradientOptionsToNetwork,
  objectiveToNetwork,
  resultFromNetwork,
  singlePopulationSpec,
  weightsToParams,
} from "../single_population.ts";
import { checkChoice } from "../../util/errors.ts";
import { WasmBackend } from "./wasm_backend.ts";
import { ParallelNetwork } from "./parallel_network.ts";

/** Options of {@linkcode ParallelBackend.create}. */
export interface ParallelBackendOptions {
  /** Number of workers (at least 2; fewer is just a {@linkcode WasmBackend}). */
  workers: number;
  /** "f32" (default) or "f64". */
  precision?: Precision;
}

/** A WebAssembly backend whose batch gradients run on several workers. */
export class ParallelBackend implements Backend {
  /** Backend name. */
  readonly name = "wasm";
  /** Arithmetic precision. */
  readonly precision: Precision;
  /** The network. */
  readonly config: ResolvedNetworkConfig;
  /** Number of workers. */
  readonly workers: number;
  readonly #local: WasmBackend;
  readonly #parallel: ParallelNetwork;

  private constructor(local: WasmBackend, parallel: ParallelNetwork) {
    this.#local = local;
    this.#parallel = parallel;
    this.config = local.config;
    this.precision = local.precision;
    this.workers = parallel.workers;
  }

  /**
   * Starts the workers and a core in this thread.
   *
   * @param config The network.
   * @param weights Its weights.
   * @param options Workers and precision.
   * @returns The backend.
   * @throws {TypeError|RangeError} For an invalid network, weights or options.
   */
  static async create(
    config: NetworkConfig | ResolvedNetworkConfig,
    weights: Weights,
    options: ParallelBackendOptions,
  ): Promise<ParallelBackend> {
    const resolved = resolveNetworkConfig(config);
    const precision = checkChoice("create backend", "precision", options.precision ?? "f32", [
      "f32",
      "f64",
    ]);
    const local = await WasmBackend.create(resolved, weights, { precision });
    const parallel = await ParallelNetwork.create(
      singlePopulationSpec(resolved),
      weightsToParams(weights),
      { workers: options.workers, precision },
    );
    return new ParallelBackend(local, parallel);
  }

  /** Replaces the weights (here and, with the next gradient, on every worker). */
  setWeights(weights: Weights): void {
    this.#local.setWeights(weights);
    this.#parallel.setParams(weightsToParams(weights));
  }

  /**
   * Returns a copy of the current weights.
   * @returns A copy of the current weights.
   */
  getWeights(): Weights {
    return this.#local.getWeights();
  }

  /** Simulates on the core of this thread. */
  simulate(batch: Batch): Trajectory {
    return this.#local.simulate(batch);
  }

  /** Evaluates on the core of this thread. */
  evaluate(batch: Batch, objective: Objective, options?: EvaluateOptions): Evaluation {
    return this.#local.evaluate(batch, objective, options);
  }

  /** Gradients on the core of this thread (use {@linkcode gradientsAsync} for the workers). */
  gradients(batch: Batch, objective: Objective, options: GradientOptions): GradientResult {
    return this.#local.gradients(batch, objective, options);
  }

  /**
   * Gradients with the batch split across the workers; the streaming online form runs here.
   *
   * @param batch The batch.
   * @param objective Loss and regularizer.
   * @param options As {@linkcode WasmBackend.gradients}.
   * @returns The result, equal to a single core's to rounding.
   */
  async gradientsAsync(
    batch: Batch,
    objective: Objective,
    options: GradientOptions,
  ): Promise<GradientResult> {
    if (options?.method === "eprop" && options.form === "online") {
      return this.#local.gradients(batch, objective, options);
    }
    const obj = resolveObjective(objective, { config: this.config, batch });
    if ((options?.implementation ?? "hardcoded") !== "hardcoded") {
      return this.#local.gradients(batch, objective, options); // throws the backend's message
    }
    return resultFromNetwork(
      await this.#parallel.gradients(
        batchToSequences(batch),
        objectiveToNetwork(obj, batch),
        gradientOptionsToNetwork(options),
      ),
    );
  }

  /** Learning signals on the core of this thread (see {@linkcode WasmBackend.learningSignals}). */
  learningSignals(
    batch: Batch,
    objective: Objective,
    options: { kind: "true" | "feedback"; feedback?: Matrix; rateEstimate?: Float64Array },
  ): Float64Array {
    return this.#local.learningSignals(batch, objective, options);
  }

  /** Stops the workers and frees the cores. */
  dispose(): void {
    this.#parallel.dispose();
    this.#local.dispose();
  }
}

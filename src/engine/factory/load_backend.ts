/**
 * The one place that turns a backend name into a backend, and where learners and apps get every
 * engine they run (the network split across workers, the LSTM baseline, the default number of
 * workers) without importing an engine's modules. The WebAssembly backends are imported
 * statically; TensorFlow.js is loaded only when "tfjs" is asked for, through a specifier built at
 * run time, so that neither Deno (which prefetches dynamic imports with literal specifiers) nor a
 * bundler pulls TensorFlow.js into a program that runs on the WebAssembly core alone.
 *
 * In Deno, loading "tfjs" this way reads a local module at run time (`--allow-read`) or, when
 * this library is imported from a URL, imports from that host (`--allow-import`).
 *
 * @module
 */
import type { Backend, Precision } from "../backend.ts";
import type { NetworkConfig, ResolvedNetworkConfig } from "../../model/config.ts";
import type { Weights } from "../../model/weights.ts";
import type { NetworkBackend } from "../network_backend.ts";
import {
  layerKind,
  type NetworkSpec,
  type ResolvedNetwork,
  resolveNetwork,
} from "../../net/network.ts";
import type { NetworkParams } from "../../net/params.ts";
import { checkChoice, checkNumber } from "../../util/errors.ts";
import { WasmBackend } from "../wasm/wasm_backend.ts";
import { WasmNetwork } from "../wasm/wasm_network.ts";
import { ParallelBackend } from "../wasm/parallel_backend.ts";
import { defaultWorkers, ParallelNetwork } from "../wasm/parallel_network.ts";
import { LstmNetwork } from "../wasm/lstm_network.ts";
import type { LstmSpec } from "../../net/lstm_spec.ts";
import type { WasmSource } from "../wasm/module.ts";
import type { TfBackendName } from "../tfjs/backend_names.ts";
import { importTfjs } from "./import_tfjs.ts";

export type { TfBackendName };

/** What the lazily loaded tfjs modules provide (named structurally: no static tfjs import). */
interface TfjsModules {
  TfjsBackend: {
    create(
      config: NetworkConfig | ResolvedNetworkConfig,
      weights: Weights,
      options: { tfBackend?: TfBackendName },
    ): Promise<Backend>;
  };
  TfjsNetwork: {
    create(
      net: NetworkSpec | ResolvedNetwork,
      params: NetworkParams,
      options: { tfBackend?: TfBackendName },
    ): Promise<NetworkBackend>;
  };
}

/** A compute backend: "wasm" (the WebAssembly core) or "tfjs" (TensorFlow.js). */
export type BackendName = "wasm" | "tfjs";

/** Every {@linkcode BackendName}, in the order a command line lists them. */
export const BACKEND_NAMES: readonly BackendName[] = ["wasm", "tfjs"];

/**
 * Options of {@linkcode createBackend}; each applies to one backend and the other ignores it,
 * except that "tfjs" refuses `precision: "f64"`, which it cannot honour.
 */
export interface CreateBackendOptions {
  /** "wasm" (default) or "tfjs". */
  backend?: BackendName;
  /** "f32" (default) or "f64" (wasm only; tfjs always computes in float32). */
  precision?: Precision;
  /** wasm: workers for batch gradients (default 1: this thread only). */
  workers?: number;
  /** wasm: where the core comes from (default: the embedded module). */
  module?: WasmSource;
  /** tfjs: the TensorFlow.js backend (default "cpu"). */
  tfBackend?: TfBackendName;
}

/** Options of {@linkcode createNetworkBackend}: those of {@linkcode createBackend} and profiling. */
export interface CreateNetworkBackendOptions extends Omit<CreateBackendOptions, "workers"> {
  /** wasm: each kernel's wall time accumulates here (milliseconds by kernel name). */
  profile?: Map<string, number>;
}

/** The precision a backend will run at; "tfjs" only has float32. */
function checkPrecision(action: string, name: BackendName, precision: unknown): void {
  if (name === "tfjs" && precision !== undefined && precision !== "f32") {
    throw new RangeError(
      `Cannot ${action}: backend "tfjs" computes in float32, so precision must be "f32", got ${
        JSON.stringify(precision)
      }`,
    );
  }
}

/**
 * Creates the single-population backend chosen by name: a {@linkcode WasmBackend}, or a
 * TensorFlow.js backend, whose code (and TensorFlow.js) is loaded on first use.
 *
 * @example A WebAssembly backend by name
 * ```ts
 * import { createBackend } from "./load_backend.ts";
 * import { initWeights } from "../../model/weights.ts";
 * import { resolveNetworkConfig } from "../../model/config.ts";
 * import { Rng } from "../../util/rng.ts";
 * import assert from "node:assert/strict";
 * const config = resolveNetworkConfig({ neuron: { nIn: 2, nRec: 3 }, readout: { nOut: 1 } });
 * const backend = await createBackend(config, initWeights(config, new Rng(0)), {
 *   backend: "wasm",
 *   precision: "f64",
 * });
 * assert.equal(`${backend.name}-${backend.precision}`, "wasm-f64");
 * backend.dispose();
 * ```
 *
 * @param config The network (validated by the backend).
 * @param weights Its initial weights.
 * @param options Which backend ("wasm" or "tfjs"), precision (wasm), module source (wasm),
 *   TensorFlow.js backend (tfjs).
 * @returns A ready backend.
 * @throws {RangeError} For an unknown name, or "tfjs" with a precision other than "f32".
 * @throws {TypeError|RangeError} For an invalid config or weights.
 */
export async function createBackend(
  config: NetworkConfig | ResolvedNetworkConfig,
  weights: Weights,
  options: CreateBackendOptions = {},
): Promise<Backend> {
  const action = "create backend";
  const which = checkChoice(action, "backend", options.backend ?? "wasm", BACKEND_NAMES);
  checkPrecision(action, which, options.precision);
  if (which === "wasm") {
    const workers = checkNumber(action, "workers", options.workers ?? 1, {
      min: 1,
      max: 256,
      integer: true,
    });
    if (workers > 1) {
      return await ParallelBackend.create(config, weights, {
        workers,
        precision: options.precision,
      });
    }
    return await WasmBackend.create(config, weights, {
      precision: options.precision,
      module: options.module,
    });
  }
  const tfjs = await importTfjs<Pick<TfjsModules, "TfjsBackend">>("tfjs_backend.ts");
  return await tfjs.TfjsBackend.create(config, weights, { tfBackend: options.tfBackend });
}

/**
 * Creates the composed-network backend chosen by name and by the network's layer kinds: for LSNN
 * layers a {@linkcode WasmNetwork} or a TensorFlow.js network, whose code (and TensorFlow.js) is
 * loaded on first use; for a network of one lstm layer the LSTM engine ({@linkcode LstmNetwork},
 * wasm only). Kinds an engine does not run (lstm on tfjs, lstm stacked or mixed with lsnn, conv
 * in a whole-sequence network) are refused, naming the engine and the layer's kind.
 *
 * @example A WebAssembly network by name
 * ```ts
 * import { createNetworkBackend } from "./load_backend.ts";
 * import { initNetworkParams } from "../../net/params.ts";
 * import { resolveNetwork } from "../../net/network.ts";
 * import { Rng } from "../../util/rng.ts";
 * import assert from "node:assert/strict";
 * const net = resolveNetwork({
 *   nIn: 2,
 *   layers: [{ neuron: { nRec: 3 } }],
 *   heads: [{ nOut: 2, pool: "frame_mean" }],
 * });
 * const backend = await createNetworkBackend(net, initNetworkParams(net, new Rng(0)));
 * assert.equal(`${backend.name}-${backend.precision}`, "wasm-f32");
 * backend.dispose();
 * ```
 *
 * @param net The network, as a spec or already resolved.
 * @param params Its parameters.
 * @param options Which backend ("wasm" or "tfjs"), precision, module source and profiling
 *   (wasm), TensorFlow.js backend (tfjs).
 * @returns The ready network.
 * @throws {RangeError} For an unknown name, "tfjs" with a precision other than "f32", or a
 *   layer kind the engine does not run.
 * @throws {TypeError|RangeError} For an invalid network or parameters.
 *
 * @example An LSTM network by its spec
 * ```ts
 * import { createNetworkBackend } from "./load_backend.ts";
 * import { initNetworkParams } from "../../net/params.ts";
 * import { resolveNetwork } from "../../net/network.ts";
 * import { lstmNetworkSpec } from "../../net/lstm_spec.ts";
 * import { Rng } from "../../util/rng.ts";
 * import assert from "node:assert/strict";
 * const net = resolveNetwork(lstmNetworkSpec({ nIn: 2, nHidden: 3, nOut: 2 }));
 * const backend = await createNetworkBackend(net, initNetworkParams(net, new Rng(0)));
 * assert.equal(backend.net.layers[0].kind, "lstm");
 * backend.dispose();
 * ```
 */
export async function createNetworkBackend(
  net: NetworkSpec | ResolvedNetwork,
  params: NetworkParams,
  options: CreateNetworkBackendOptions = {},
): Promise<NetworkBackend> {
  const action = "create network backend";
  const which = checkChoice(action, "backend", options.backend ?? "wasm", BACKEND_NAMES);
  checkPrecision(action, which, options.precision);
  const resolved = "populations" in net ? net : resolveNetwork(net);
  const lstm = resolved.layers.findIndex((l) => layerKind(l) === "lstm");
  if (lstm >= 0) {
    if (which !== "wasm") {
      throw new RangeError(
        `Cannot ${action}: engine ${which} does not run layers[${lstm}].kind "lstm" (the LSTM runs on the wasm engine)`,
      );
    }
    return await LstmNetwork.create(resolved, params, {
      precision: options.precision,
      module: options.module,
      profile: options.profile,
    });
  }
  if (which === "wasm") {
    return await WasmNetwork.create(resolved, params, {
      precision: options.precision,
      module: options.module,
      profile: options.profile,
    });
  }
  const tfjs = await importTfjs<Pick<TfjsModules, "TfjsNetwork">>("tfjs_network.ts");
  return await tfjs.TfjsNetwork.create(resolved, params, { tfBackend: options.tfBackend });
}

/** Options of {@linkcode createParallelNetwork}. */
export interface CreateParallelNetworkOptions {
  /** Gradient workers (default {@linkcode defaultWorkerCount}). */
  workers?: number;
  /** "f32" (default) or "f64". */
  precision?: Precision;
}

/**
 * Creates a composed network on the WebAssembly core whose gradients are split across workers
 * (each worker computes a part of the batch; the parts are summed).
 *
 * @param net The network, as a spec or already resolved.
 * @param params Its parameters.
 * @param options Number of workers and precision.
 * @returns The ready network (its `workers` says how many; `dispose()` ends them).
 * @throws {TypeError|RangeError} For an invalid network, parameters or options.
 */
export function createParallelNetwork(
  net: NetworkSpec | ResolvedNetwork,
  params: NetworkParams,
  options: CreateParallelNetworkOptions = {},
): Promise<ParallelNetwork> {
  return ParallelNetwork.create(net, params, options);
}

/** Options of {@linkcode createLstmNetwork}. */
export interface CreateLstmNetworkOptions {
  /** "f32" (default) or "f64". */
  precision?: Precision;
  /** Where the core comes from (default: the embedded module). */
  module?: WasmSource;
  /** Each kernel's wall time accumulates here (milliseconds by kernel name). */
  profile?: Map<string, number>;
}

/**
 * Creates the LSTM baseline of Fig. 2 on one WebAssembly core (also what
 * {@linkcode createNetworkBackend} returns for a network of one lstm layer).
 *
 * @param spec The LSTM's shape, or a network of one lstm layer.
 * @param params Its parameters (`initLstmParams`).
 * @param options Precision, module source, profiling.
 * @returns The ready network.
 * @throws {TypeError|RangeError} For an invalid shape, parameters or precision.
 */
export function createLstmNetwork(
  spec: LstmSpec | NetworkSpec | ResolvedNetwork,
  params: NetworkParams,
  options: CreateLstmNetworkOptions = {},
): Promise<LstmNetwork> {
  return LstmNetwork.create(spec, params, options);
}

/**
 * The number of gradient workers a run uses when it is not told: one per core.
 *
 * @example
 * ```ts
 * import { defaultWorkerCount } from "./load_backend.ts";
 * import assert from "node:assert/strict";
 * assert.ok(defaultWorkerCount() >= 1);
 * ```
 *
 * @returns The number of cores the runtime reports (1 where it reports none).
 */
export function defaultWorkerCount(): number {
  return defaultWorkers();
}

/** Options of {@linkcode createWasmBackend}. */
export interface CreateWasmBackendOptions {
  /** "f32" (default) or "f64". */
  precision?: Precision;
  /** Where the core comes from (default: the embedded module). */
  module?: WasmSource;
}

/**
 * Creates the single-population backend on one WebAssembly core, with what only it offers
 * besides the {@linkcode Backend} interface: the learning signals of a batch (for figures) and a
 * step-by-step online e-prop learner.
 *
 * @param config The network (validated by the backend).
 * @param weights Its weights.
 * @param options Precision and module source.
 * @returns The ready backend.
 * @throws {TypeError|RangeError} For an invalid config, weights or precision.
 */
export function createWasmBackend(
  config: NetworkConfig | ResolvedNetworkConfig,
  weights: Weights,
  options: CreateWasmBackendOptions = {},
): Promise<WasmBackend> {
  return WasmBackend.create(config, weights, options);
}

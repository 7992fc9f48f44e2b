/**
 * Builds the step-wise engines of ../step_engine.ts: the LSNN population on the WebAssembly core
 * or on TensorFlow.js, the spiking CNN and the reward traces on the WebAssembly core. Learners get
 * their engines here, never from an engine's folder. TensorFlow.js is loaded only when the tfjs
 * LSNN engine is asked for, through a specifier built at run time (as in ./load_backend.ts), so
 * that a program on the WebAssembly core alone never loads it.
 *
 * @module
 */
import type { Precision } from "../../util/vocabulary.ts";
import { checkChoice, describe } from "../../util/errors.ts";
import type { SpikingConvParams, SpikingConvSpec } from "../../net/spiking_conv_spec.ts";
import type {
  EngineSource,
  LsnnStepEngine,
  RewardTraceEngine,
  RewardTraceSpec,
  SpikingConvEngine,
  StepPopulationSpec,
} from "../step_engine.ts";
import type { TfBackendName } from "../tfjs/backend_names.ts";
import { initWasm } from "../wasm/module.ts";
import { WasmLsnnStepEngine } from "../wasm/lsnn_step_engine.ts";
import { SpikingConv } from "../wasm/spiking_conv.ts";
import { WasmRewardTraces } from "../wasm/reward_traces.ts";
import { importTfjs } from "./import_tfjs.ts";

/** Options of the step-wise engines. */
export interface StepEngineOptions {
  /** Arithmetic (default f32). */
  precision?: Precision;
  /** The compiled core (default: the bundled one). */
  module?: EngineSource;
}

/** The engines an LSNN step engine runs on. */
export type StepEngineName = "wasm" | "tfjs";

/** Every {@linkcode StepEngineName}. */
export const STEP_ENGINE_NAMES: readonly StepEngineName[] = ["wasm", "tfjs"];

/** Options of {@linkcode createLsnnStepEngine}. */
export interface LsnnStepEngineOptions extends StepEngineOptions {
  /** "wasm" (default: the WebAssembly core) or "tfjs" (TensorFlow.js, float32 only). */
  engine?: StepEngineName;
  /** tfjs: the TensorFlow.js backend (default "cpu"). */
  tfBackend?: TfBackendName;
}

/** What the lazily loaded tfjs step engine module provides (named structurally). */
interface TfjsStepModule {
  TfjsLsnnStepEngine: {
    create(
      spec: StepPopulationSpec,
      options: { precision?: Precision; tfBackend?: TfBackendName },
    ): Promise<LsnnStepEngine>;
  };
}

/**
 * @param spec The population.
 * @param options Engine ("wasm" default, or "tfjs"), precision (default f32; tfjs refuses f64),
 *   module (wasm), TensorFlow.js backend (tfjs).
 * @returns An LSNN population stepped on the engine (no weights loaded yet).
 * @throws {RangeError} For an unknown engine, or "tfjs" with a precision other than "f32".
 */
export async function createLsnnStepEngine(
  spec: StepPopulationSpec,
  options: LsnnStepEngineOptions = {},
): Promise<LsnnStepEngine> {
  const action = "create LSNN step engine";
  const engine = checkChoice(action, "engine", options.engine ?? "wasm", STEP_ENGINE_NAMES);
  if (engine === "wasm") {
    const module = await initWasm(options.module);
    return new WasmLsnnStepEngine(module, spec, options.precision ?? "f32");
  }
  if (options.precision !== undefined && options.precision !== "f32") {
    throw new RangeError(
      `Cannot ${action}: engine "tfjs" computes in float32, so precision must be "f32", got ${
        describe(options.precision)
      }`,
    );
  }
  const tfjs = await importTfjs<TfjsStepModule>("tfjs_step_engine.ts");
  return await tfjs.TfjsLsnnStepEngine.create(spec, { tfBackend: options.tfBackend });
}

/**
 * @param spec The CNN's shape.
 * @param params Its filters.
 * @param options Precision (default f32) and module.
 * @returns The spiking CNN on a WebAssembly core.
 */
export async function createSpikingConvEngine(
  spec: SpikingConvSpec,
  params: SpikingConvParams,
  options: StepEngineOptions = {},
): Promise<SpikingConvEngine> {
  const conv = await SpikingConv.create(spec, params, options);
  return conv;
}

/**
 * @param spec The traces' shape.
 * @param options Precision (default f32) and module.
 * @returns The online reward traces of B episodes on a WebAssembly core, every one at zero.
 */
export async function createRewardTraceEngine(
  spec: RewardTraceSpec,
  options: StepEngineOptions = {},
): Promise<RewardTraceEngine> {
  const module = await initWasm(options.module);
  return new WasmRewardTraces(module, spec, options.precision ?? "f32");
}

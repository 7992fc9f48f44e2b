/**
 * Builds the step-wise engines of ../step_engine.ts: the LSNN population and the spiking CNN on
 * the WebAssembly core. Learners get their engines here, never from an engine's folder.
 *
 * @module
 */
import type { Precision } from "../../util/vocabulary.ts";
import type { SpikingConvParams, SpikingConvSpec } from "../../net/spiking_conv_spec.ts";
import type {
  EngineSource,
  LsnnStepEngine,
  RewardTraceEngine,
  RewardTraceSpec,
  SpikingConvEngine,
  StepPopulationSpec,
} from "../step_engine.ts";
import { initWasm } from "../wasm/module.ts";
import { WasmLsnnStepEngine } from "../wasm/lsnn_step_engine.ts";
import { SpikingConv } from "../wasm/spiking_conv.ts";
import { WasmRewardTraces } from "../wasm/reward_traces.ts";

/** Options of the step-wise engines. */
export interface StepEngineOptions {
  /** Arithmetic (default f32). */
  precision?: Precision;
  /** The compiled core (default: the bundled one). */
  module?: EngineSource;
}

/**
 * @param spec The population.
 * @param options Precision (default f32) and module.
 * @returns An LSNN population stepped on a WebAssembly core (no weights loaded yet).
 */
export async function createLsnnStepEngine(
  spec: StepPopulationSpec,
  options: StepEngineOptions = {},
): Promise<LsnnStepEngine> {
  const module = await initWasm(options.module);
  return new WasmLsnnStepEngine(module, spec, options.precision ?? "f32");
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

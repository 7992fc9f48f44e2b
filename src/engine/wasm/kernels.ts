/**
 * The kernel list of the core, bound to one precision. Every kernel is named here once; the
 * AssemblyScript exports carry the suffix `_f32` or `_f64`. Pointers are byte addresses.
 *
 * @module
 */
import type { Precision } from "../backend.ts";
import type { CoreExports } from "./module.ts";

type Kernel = (...args: number[]) => void;

/** Names of the precision-specific kernels (core-wasm/assembly/index.ts). */
export const KERNEL_NAMES = [
  "lsnnStep",
  "lsnnForwardFrames",
  "reverseWithin",
  "poolFrames",
  "spreadFrames",
  "copyColumns",
  "addRowVector",
  "toTimeMajor",
  "readoutStep",
  "readoutForward",
  "projectError",
  "learningSignal",
  "bpttBackward",
  "traceAdjoint",
  "onlineTraceStep",
  "gemmNN",
  "gemmTN",
  "gemmNNEvent",
  "gemmNNEventRows",
  "gemmNNDense",
  "gemmTNEvent",
  "gemmTNEventStrided",
  "traceFilter",
  "gemmTNDense",
  "transpose",
  "addColumnSums",
  "lstmForward",
  "lstmBackward",
  "convForward",
  "convForwardDense",
  "convForwardEvent",
  "convWeightGrad",
  "convWeightGradDense",
  "convWeightGradEvent",
  "convInputGrad",
  "lifForward",
  "lifBackward",
  "rewardTraceFrame",
  "rewardTraceFrames",
  "lsnnSpanBackward",
] as const;

/**
 * Rows of A that `gemmNNEventRows` lists at a time (EVENT_ROWS_CHUNK of
 * core-wasm/assembly/linalg.ts): its i32 scratch holds min(M, this) x (K + 2) values.
 */
export const EVENT_ROWS_CHUNK = 256;

/** Names of the precision-specific kernels that return a count. */
export const COUNT_KERNEL_NAMES = ["countNonFinite"] as const;

/** One kernel name. */
export type KernelName = typeof KERNEL_NAMES[number];

/** The kernels of one precision, and the counting ones. */
export type Kernels =
  & Record<KernelName, Kernel>
  & Record<typeof COUNT_KERNEL_NAMES[number], (...args: number[]) => number>;

/**
 * @param core The instantiated core.
 * @param precision Which instantiation.
 * @returns The kernels.
 * @throws {Error} If the core lacks one (a stale build).
 */
export function bindKernels(core: CoreExports, precision: Precision): Kernels {
  const out = {} as Kernels;
  for (const name of [...KERNEL_NAMES, ...COUNT_KERNEL_NAMES]) {
    const fn = core[`${name}_${precision}`];
    if (typeof fn !== "function") {
      throw new Error(`Cannot bind the e-prop core: export ${name}_${precision} is missing`);
    }
    (out as Record<string, unknown>)[name] = fn;
  }
  return out;
}

/**
 * Wraps every kernel so that its wall time accumulates in `totals` (milliseconds by kernel name);
 * for profiling (`deno task bench`), not for production use.
 *
 * @param k The kernels.
 * @param totals Accumulated milliseconds per kernel.
 * @returns The wrapped kernels.
 */
export function profiledKernels(k: Kernels, totals: Map<string, number>): Kernels {
  const out = { ...k };
  for (const name of KERNEL_NAMES) {
    const fn = k[name];
    out[name] = (...args: number[]) => {
      const start = performance.now();
      fn(...args);
      totals.set(name, (totals.get(name) ?? 0) + performance.now() - start);
    };
  }
  return out;
}

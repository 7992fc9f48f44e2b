/**
 * A fresh core instance for kernel tests: the kernels of one precision, and helpers that copy
 * float64 data into its memory and back.
 */
import { initWasm, instantiateCore } from "../src/engine/wasm/module.ts";
import { Arena } from "../src/engine/wasm/arena.ts";
import { bindKernels, type Kernels } from "../src/engine/wasm/kernels.ts";

const module = await initWasm();

/**
 * @param precision The kernels' precision.
 * @returns The kernels, `put` (allocate and fill; returns the address) and `get` (read back).
 */
export function kernelSetup(precision: "f32" | "f64"): {
  k: Kernels;
  put: (data: Float64Array) => number;
  get: (ptr: number, n: number) => Float64Array;
} {
  const core = instantiateCore(module);
  const arena = new Arena(core.memory, core.heapBase());
  const k = bindKernels(core, precision);
  const bytes = precision === "f32" ? 4 : 8;
  const put = (data: Float64Array) => {
    const ptr = arena.alloc(data.length, bytes);
    arena.floats(ptr, data.length, precision).set(data);
    return ptr;
  };
  const get = (ptr: number, n: number) => Float64Array.from(arena.floats(ptr, n, precision));
  return { k, put, get };
}

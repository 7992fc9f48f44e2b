/**
 * Loading the WebAssembly core. By default the module is decoded from the bytes embedded in
 * `core-wasm/generated/core_wasm.ts` (no file fetch, so it works from a URL import, in browsers
 * and in edge runtimes); a precompiled `WebAssembly.Module` (Cloudflare Workers forbid compiling
 * from bytes), raw bytes or a URL can be given instead. Concurrent calls share one promise.
 *
 * @module
 */
import { WASM_BASE64 } from "../../../core-wasm/generated/core_wasm.ts";

/** Where the core comes from. */
export type WasmSource = WebAssembly.Module | BufferSource | URL;

let pending: Promise<WebAssembly.Module> | undefined;

/** A tiny module using one v128 instruction, to detect SIMD support. */
const SIMD_PROBE = new Uint8Array([
  0,
  97,
  115,
  109,
  1,
  0,
  0,
  0,
  1,
  5,
  1,
  96,
  0,
  1,
  123,
  3,
  2,
  1,
  0,
  10,
  10,
  1,
  8,
  0,
  65,
  0,
  253,
  15,
  253,
  98,
  11,
]);

/**
 * Detects WebAssembly SIMD support.
 * @returns Whether this runtime supports WebAssembly SIMD.
 */
export function simdSupported(): boolean {
  return WebAssembly.validate(SIMD_PROBE);
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const bin = atob(text);
  const bytes = new Uint8Array(new ArrayBuffer(bin.length));
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

/**
 * Compiles (once) the core module.
 *
 * @param source Optional module, bytes or URL; default: the embedded bytes.
 * @returns The compiled module.
 * @throws {Error} If the runtime lacks WebAssembly SIMD.
 */
export function initWasm(source?: WasmSource): Promise<WebAssembly.Module> {
  if (pending && source === undefined) return pending;
  if (!simdSupported()) {
    return Promise.reject(
      new Error("Cannot load the e-prop core: this runtime does not support WebAssembly SIMD"),
    );
  }
  const load = async (): Promise<WebAssembly.Module> => {
    if (source instanceof WebAssembly.Module) return source;
    if (source instanceof URL) {
      const response = await fetch(source);
      return await WebAssembly.compile(await response.arrayBuffer());
    }
    return await WebAssembly.compile(source ?? decodeBase64(WASM_BASE64));
  };
  pending = load();
  return pending;
}

/** Raw exports of the core (see core-wasm/assembly/index.ts). */
export type CoreExports = Record<string, (...args: number[]) => number> & {
  memory: WebAssembly.Memory;
  heapBase(): number;
};

/**
 * Instantiates the core with its own memory.
 * @param module A compiled core, from {@linkcode initWasm}.
 * @returns Its exports.
 */
export function instantiateCore(module: WebAssembly.Module): CoreExports {
  const instance = new WebAssembly.Instance(module, {
    env: {
      abort(msg: number, file: number, line: number, col: number) {
        throw new Error(`e-prop core aborted at ${file}:${line}:${col} (message ${msg})`);
      },
    },
  });
  return instance.exports as unknown as CoreExports;
}

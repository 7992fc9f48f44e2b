/**
 * How the factory loads the tfjs engine: by a specifier built at run time, so that no static
 * analysis (Deno's prefetch of dynamic imports, a bundler) follows it into TensorFlow.js, and a
 * program that runs on the WebAssembly core alone never loads it.
 *
 * @module
 */

/**
 * Imports a module of the tfjs engine (`src/engine/tfjs/<file>`).
 * @param file The module's file name, e.g. "tfjs_network.ts".
 * @returns The module, typed by the caller.
 */
export function importTfjs<T>(file: string): Promise<T> {
  const specifier = new URL(`../tfjs/${file}`, import.meta.url).href;
  return import(specifier) as Promise<T>;
}

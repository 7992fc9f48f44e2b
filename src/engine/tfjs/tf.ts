// deno-lint-ignore-file no-import-prefix -- full npm: specifiers keep this module importable from a URL, where deno.json import maps do not apply.
/**
 * The one place that imports TensorFlow.js, and selection of its compute backend. The full
 * specifiers keep this module importable from a URL; a browser bundle maps them to the packages.
 * The wasm backend's binaries ship inside its npm package and are read from there (no network).
 *
 * @module
 */
import * as tf from "npm:@tensorflow/tfjs@4.22.0";
import { TF_BACKENDS, type TfBackendName } from "./backend_names.ts";

export { tf };
export { TF_BACKENDS, type TfBackendName };

/**
 * Activates a TensorFlow.js backend, loading its package on first use.
 *
 * @param name Backend name.
 * @throws {RangeError} For an unknown name.
 * @throws {Error} When the backend cannot start in this runtime (e.g. webgl without a GPU).
 */
export async function useTfBackend(name: TfBackendName): Promise<void> {
  if (!TF_BACKENDS.includes(name)) {
    throw new RangeError(
      `Cannot select tfjs backend: name must be one of ${
        TF_BACKENDS.map((b) => `"${b}"`).join(", ")
      }, got "${name}"`,
    );
  }
  // Quiet the "running in Node.js" banner; it goes to stderr and means nothing here.
  tf.env().set("PROD", true);
  if (name === "wasm") await import("npm:@tensorflow/tfjs-backend-wasm@4.22.0");
  if (name === "webgpu") await import("npm:@tensorflow/tfjs-backend-webgpu@4.22.0");
  if (tf.getBackend() === name) return;
  const ok = await tf.setBackend(name);
  if (!ok) {
    throw new Error(`Cannot select tfjs backend: "${name}" failed to initialise in this runtime`);
  }
  await tf.ready();
}

/**
 * The TensorFlow.js backends this library can run on, as names only: importing this module loads
 * no TensorFlow.js code (the backend loader names them without pulling tfjs into a module graph).
 *
 * @module
 */

/** A TensorFlow.js backend name. */
export type TfBackendName = "cpu" | "wasm" | "webgl" | "webgpu";

/** The backends, in order of preference on a CPU-only machine. */
export const TF_BACKENDS: readonly TfBackendName[] = ["cpu", "wasm", "webgl", "webgpu"];

/**
 * A gradient case of either format (GRADIENT_CASE.md, or NETWORK_CASE.md with `"format": 2`),
 * parsed once and run on a backend chosen by name: what `deno task grad` and the edge worker do.
 * Parsing and running are separate steps, so that a caller can tell a bad case (the client's
 * error, naming the field) from a failure while computing.
 *
 * @module
 */
import { parseGradientCase, runGradientCase } from "./gradient_case.ts";
import type { GradientCaseResult } from "./gradient_case.ts";
import { isNetworkCase, parseNetworkCase, runNetworkCase } from "./network_case.ts";
import type { NetworkCaseResult } from "./network_case.ts";
import {
  createBackend,
  type CreateBackendOptions,
  createNetworkBackend,
} from "../engine/factory/load_backend.ts";
import type { EpropForm, EpropImplementation } from "../engine/backend.ts";

/** How to run a case: the backend (by name, precision, module source) and the e-prop variant. */
export interface RunCaseOptions extends Omit<CreateBackendOptions, "workers"> {
  /** e-prop form of the WebAssembly core (default "factorized"). */
  form?: EpropForm;
  /** e-prop implementation (default "hardcoded"; "autodiff" on tfjs). */
  implementation?: EpropImplementation;
}

/** A parsed case, ready to run. */
export interface ParsedCase {
  /** 1 (one population) or 2 (a composed network). */
  format: 1 | 2;
  /**
   * Computes BPTT, symmetric e-prop and eq. (1) on a new backend (disposed afterwards).
   * @param options Backend and e-prop variant.
   * @returns The result object of the case's format.
   */
  run(options?: RunCaseOptions): Promise<GradientCaseResult | NetworkCaseResult>;
}

/**
 * Parses a case of either format.
 *
 * @param json The parsed JSON.
 * @returns The case, ready to run.
 * @throws {TypeError|RangeError} Naming the first invalid field, as the case spells it.
 */
export function parseCase(json: unknown): ParsedCase {
  if (isNetworkCase(json)) {
    const c = parseNetworkCase(json);
    return {
      format: 2,
      run: (options = {}) =>
        disposing(
          createNetworkBackend(c.net, c.params, options),
          (b) => runNetworkCase(b, c, options),
        ),
    };
  }
  const c = parseGradientCase(json);
  return {
    format: 1,
    run: (options = {}) =>
      disposing(createBackend(c.config, c.weights, options), (b) => runGradientCase(b, c, options)),
  };
}

/** Runs `use` on a new backend and disposes the backend afterwards, also when `use` throws. */
async function disposing<B extends { dispose(): void }, R>(
  created: Promise<B>,
  use: (backend: B) => R,
): Promise<R> {
  const backend = await created;
  try {
    return use(backend);
  } finally {
    backend.dispose();
  }
}

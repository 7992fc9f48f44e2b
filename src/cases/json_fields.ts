/**
 * Reading the JSON of gradient cases: typed fields with messages that name the field as the case
 * spells it ("Cannot read gradient case: layers[0].neuron.tau_m must be a finite number, got
 * undefined").
 *
 * @module
 */
import type { Matrix } from "../model/weights.ts";
import type { PopulationNeuronParams } from "../model/config.ts";
import { describe } from "../util/errors.ts";

const ACTION = "read gradient case";

/**
 * Throws the error of a bad case.
 * @param message What is wrong.
 * @param range A RangeError (value out of range) instead of a TypeError (wrong type or shape).
 */
export function fail(message: string, range = false): never {
  throw range
    ? new RangeError(`Cannot ${ACTION}: ${message}`)
    : new TypeError(`Cannot ${ACTION}: ${message}`);
}

/**
 * @returns The value, checked to be a JSON object.
 * @throws {TypeError} Naming the field.
 */
export function object(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    fail(`${field} must be an object, got ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}

/**
 * @returns The value, checked to be a finite number.
 * @throws {TypeError} Naming the field.
 */
export function num(value: unknown, field: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    fail(`${field} must be a finite number, got ${describe(value)}`);
  }
  return value;
}

/**
 * Reads a nested array of the given shape into a flat Float64Array.
 * @throws {TypeError} Naming the first element of the wrong length or value.
 */
export function readTensor(
  value: unknown,
  spec: { shape: readonly number[]; field: string },
): Float64Array {
  const { shape, field } = spec;
  const out = new Float64Array(shape.reduce((a, b) => a * b, 1));
  let offset = 0;
  const walk = (v: unknown, depth: number, path: string) => {
    if (depth === shape.length) {
      out[offset++] = num(v, path);
      return;
    }
    if (!Array.isArray(v)) {
      fail(`${path} must be an array of length ${shape[depth]}, got ${describe(v)}`);
    }
    if (v.length !== shape[depth]) {
      fail(`${path} must have length ${shape[depth]}, got ${v.length}`);
    }
    v.forEach((item, i) => walk(item, depth + 1, `${path}[${i}]`));
  };
  walk(value, 0, field);
  return out;
}

/**
 * @returns A rows x cols matrix read from nested arrays.
 * @throws {TypeError} Naming the first bad element.
 */
export function matrix(value: unknown, rows: number, cols: number, field: string): Matrix {
  return { rows, cols, data: readTensor(value, { shape: [rows, cols], field }) };
}

/** The neuron fields a case may give for one LSNN population (EPROP.md section 1). */
export const CASE_NEURON_FIELDS: readonly string[] = [
  "n_rec",
  "tau_m",
  "tau_a",
  "thr",
  "beta",
  "dampening",
  "n_ref",
  "input_scaling",
];

/**
 * Reads one population's neuron fields (beside {@linkcode CASE_NEURON_FIELDS} the caller's own,
 * e.g. format 1's `n_in` and `dt`).
 * @param n The case's neuron object.
 * @param field Its name in messages, e.g. "neuron" or "layers[0].neuron".
 * @param nRec The population's size (n_rec, read by the caller).
 * @param options `dampening`: the default when the case leaves it out (none: required);
 *   `betaLength`: the length a beta array must have (default: its own, checked later).
 * @returns The population's neuron parameters.
 * @throws {TypeError} Naming the field.
 */
export function caseNeuron(
  n: Record<string, unknown>,
  field: string,
  nRec: number,
  options: { dampening?: number; betaLength?: number } = {},
): PopulationNeuronParams {
  return {
    nRec,
    tauMMs: num(n.tau_m, `${field}.tau_m`),
    tauAMs: num(n.tau_a, `${field}.tau_a`),
    thr: num(n.thr, `${field}.thr`),
    beta: Array.isArray(n.beta)
      ? readTensor(n.beta, { shape: [options.betaLength ?? n.beta.length], field: `${field}.beta` })
      : num(n.beta, `${field}.beta`),
    dampening: num(n.dampening ?? options.dampening, `${field}.dampening`),
    nRef: num(n.n_ref ?? 0, `${field}.n_ref`),
    inputScaling: (n.input_scaling ?? "one") as "one",
  };
}

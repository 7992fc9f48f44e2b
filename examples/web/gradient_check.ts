/**
 * The page's gradient check, shared with the build: a golden gradient case computed on the
 * WebAssembly core, recorded as the exact bits of every float64 value (hex, little-endian), so
 * that a result computed in a browser can be compared with the one recorded in Deno bit for bit
 * (JSON numbers would lose the sign of zero). No DOM, no Deno API.
 *
 * @module
 */
import {
  type GradientCaseResult,
  parseGradientCase,
  type Precision,
  runGradientCase,
  WasmBackend,
} from "../../mod.ts";

/** The golden case the page checks (tests/golden). */
export const GOLDEN_CASE = "alif_ce_reg";

/** A gradient case's result as exact bits. */
export interface CaseBits {
  /** Precision of the core that computed it. */
  precision: Precision;
  /** The loss, as a number (for reading). */
  loss: number;
  /** Total recurrent spikes. */
  spikes: number;
  /** Every value by path ("loss", "bptt.w_in", ...): float64 bits as hex, row-major. */
  bits: Record<string, string>;
}

/** How one array of a result compares with its reference. */
export interface ArrayComparison {
  /** Path, e.g. "eprop.w_rec". */
  key: string;
  /** Number of values. */
  values: number;
  /** How many have identical bits. */
  identical: number;
  /** max |a - b|. */
  maxAbs: number;
  /** max |a - b| / max |b|. */
  maxRel: number;
}

/** A whole result against its reference. */
export interface Comparison {
  /** Every value bit-identical (and the same spike count). */
  identical: boolean;
  /** Spike counts (computed, reference). */
  spikes: [number, number];
  /** Largest relative error over the arrays. */
  maxRel: number;
  /** Largest absolute difference over the arrays. */
  maxAbs: number;
  /** Values compared. */
  values: number;
  /** Values with identical bits. */
  identicalValues: number;
  /** Per array. */
  arrays: ArrayComparison[];
}

/**
 * Float64 bits of values, as hex (little-endian bytes of each value in turn).
 * @param values The values.
 * @returns 16 hex digits per value.
 */
export function toBits(values: ArrayLike<number>): string {
  const bytes = new Uint8Array(Float64Array.from(values).buffer);
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

/**
 * Values from {@linkcode toBits}.
 * @param hex 16 hex digits per value.
 * @returns The values.
 */
export function fromBits(hex: string): Float64Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return new Float64Array(bytes.buffer);
}

/**
 * The arrays of a gradient case result by path, in a fixed order.
 * @param r The result.
 * @returns [path, row-major values] pairs, starting with the loss.
 */
export function resultArrays(r: GradientCaseResult): [string, number[]][] {
  const out: [string, number[]][] = [["loss", [r.loss]]];
  for (const method of ["bptt", "eprop", "eq1"] as const) {
    for (const [key, rows] of Object.entries(r[method])) {
      out.push([`${method}.${key}`, (rows as number[][]).flat()]);
    }
  }
  return out;
}

/**
 * Records a gradient case result's bits.
 * @param r The result.
 * @param precision Recorded with the bits.
 * @returns The bits.
 */
export function resultBits(r: GradientCaseResult, precision: Precision): CaseBits {
  return {
    precision,
    loss: r.loss,
    spikes: r.spikes,
    bits: Object.fromEntries(resultArrays(r).map(([k, v]) => [k, toBits(v)])),
  };
}

/**
 * Computes a gradient case on the WebAssembly core.
 * @param caseJson The parsed case file (format 1).
 * @param precision "f64" or "f32".
 * @returns The result.
 */
export async function runWasmCase(
  caseJson: unknown,
  precision: Precision,
): Promise<GradientCaseResult> {
  const c = parseGradientCase(caseJson);
  const backend = await WasmBackend.create(c.config, c.weights, { precision });
  try {
    return runGradientCase(backend, c);
  } finally {
    backend.dispose();
  }
}

/**
 * Computes a gradient case on the WebAssembly core and records the result's bits.
 * @param caseJson The parsed case file (format 1).
 * @param precision "f64" or "f32".
 * @returns The bits.
 */
export async function wasmCaseBits(caseJson: unknown, precision: Precision): Promise<CaseBits> {
  return resultBits(await runWasmCase(caseJson, precision), precision);
}

/**
 * Compares arrays by path with reference arrays of the same paths.
 * @param actual Computed values by path.
 * @param expected Reference values by path (its paths are the ones compared).
 * @param spikes Spike counts (computed, reference).
 * @returns The comparison.
 * @throws {Error} When a path is missing or has the wrong length.
 */
export function compareArrays(
  actual: Map<string, Float64Array>,
  expected: Map<string, Float64Array>,
  spikes: [number, number],
): Comparison {
  const arrays: ArrayComparison[] = [];
  for (const [key, b] of expected) {
    const a = actual.get(key);
    if (!a || a.length !== b.length) {
      throw new Error(
        `Cannot compare results: ${key} has ${a?.length ?? 0} values, expected ${b.length}`,
      );
    }
    const ab = new Uint32Array(a.buffer, a.byteOffset, 2 * a.length);
    const bb = new Uint32Array(b.buffer, b.byteOffset, 2 * b.length);
    let identical = 0, maxAbs = 0, scale = 0;
    for (let i = 0; i < b.length; i++) {
      if (ab[2 * i] === bb[2 * i] && ab[2 * i + 1] === bb[2 * i + 1]) identical++;
      maxAbs = Math.max(maxAbs, Math.abs(a[i] - b[i]));
      scale = Math.max(scale, Math.abs(b[i]));
    }
    arrays.push({
      key,
      values: b.length,
      identical,
      maxAbs,
      maxRel: scale === 0 ? maxAbs : maxAbs / scale,
    });
  }
  const values = arrays.reduce((s, a) => s + a.values, 0);
  const identicalValues = arrays.reduce((s, a) => s + a.identical, 0);
  return {
    identical: identicalValues === values && spikes[0] === spikes[1],
    spikes,
    maxRel: Math.max(...arrays.map((a) => a.maxRel)),
    maxAbs: Math.max(...arrays.map((a) => a.maxAbs)),
    values,
    identicalValues,
    arrays,
  };
}

/**
 * Compares two recorded results.
 * @param actual The computed one.
 * @param reference The reference (e.g. recorded in Deno).
 * @returns The comparison.
 */
export function compareBits(actual: CaseBits, reference: CaseBits): Comparison {
  const decode = (b: CaseBits) =>
    new Map(Object.entries(b.bits).map(([k, hex]) => [k, fromBits(hex)]));
  return compareArrays(decode(actual), decode(reference), [actual.spikes, reference.spikes]);
}

/**
 * Compares a result with a golden expected file (gradients only, like the golden cells of
 * tests/engine_matrix_test.ts).
 * @param actual The computed result.
 * @param expected The parsed `.expected.json`.
 * @returns The comparison (relative max-abs error per matrix).
 */
export function compareWithExpected(
  actual: GradientCaseResult,
  expected: GradientCaseResult,
): Comparison {
  const arrays = (r: GradientCaseResult) =>
    new Map(
      resultArrays(r).filter(([k]) => k !== "loss").map(([k, v]) => [k, Float64Array.from(v)]),
    );
  return compareArrays(arrays(actual), arrays(expected), [actual.spikes, expected.spikes]);
}

/**
 * Saved states as JSON plus one binary block: every typed array in a tree of plain data becomes a
 * reference `{ "$typed": "Float32Array", "at": byte offset, "length": n }` into the block, which
 * holds its bytes as they are (f64 stays f64, f32 stays f32: exact). Numbers JSON cannot write
 * (NaN, +-Infinity, -0) become `{ "$num": "NaN" }`. No Deno API here.
 *
 * @example A round trip
 * ```ts
 * import { decodeState, encodeState } from "./state_codec.ts";
 * import assert from "node:assert/strict";
 * const { json, binary } = encodeState({ a: new Float32Array([0.1, 2]), n: -0 });
 * const back = decodeState(JSON.parse(JSON.stringify(json)), binary) as { a: Float32Array };
 * assert.deepEqual(back.a, new Float32Array([0.1, 2]));
 * ```
 *
 * @module
 */

const TYPES = {
  Float64Array,
  Float32Array,
  Int32Array,
  Uint32Array,
  Int16Array,
  Uint16Array,
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
} as const;

type TypedName = keyof typeof TYPES;
type Typed = InstanceType<(typeof TYPES)[TypedName]>;

/** A tree of plain data encoded by {@linkcode encodeState}. */
export interface EncodedState {
  /** The tree with typed arrays replaced by references (JSON-safe). */
  json: unknown;
  /** The typed arrays' bytes, each at an offset that is a multiple of 8. */
  binary: Uint8Array;
}

function typedName(v: unknown): TypedName | undefined {
  if (!ArrayBuffer.isView(v) || v instanceof DataView) return undefined;
  const name = v.constructor.name as TypedName;
  return name in TYPES ? name : undefined;
}

/**
 * Encodes a tree of plain data (objects, arrays, numbers, strings, booleans, null, typed arrays).
 * @param tree The state.
 * @returns The JSON-safe tree and the binary block.
 * @throws {TypeError} For a value it cannot encode (a function, a Map, a BigInt typed array...),
 *   naming its path.
 */
export function encodeState(tree: unknown): EncodedState {
  const parts: Typed[] = [];
  let size = 0;
  const walk = (v: unknown, path: string): unknown => {
    if (v === null || typeof v === "string" || typeof v === "boolean") return v;
    if (v === undefined) return undefined;
    if (typeof v === "number") {
      if (Number.isFinite(v) && !Object.is(v, -0)) return v;
      return { $num: Object.is(v, -0) ? "-0" : String(v) };
    }
    const name = typedName(v);
    if (name) {
      const a = v as Typed;
      const at = size;
      parts.push(a);
      size += Math.ceil(a.byteLength / 8) * 8;
      return { $typed: name, at, length: a.length };
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, `${path}[${i}]`) ?? null);
    if (typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = walk(x, `${path}.${k}`);
      return out;
    }
    throw new TypeError(`Cannot encode state: ${path} is a ${typeof v} (${String(v)})`);
  };
  const json = walk(tree, "state");
  const binary = new Uint8Array(size);
  let at = 0;
  for (const a of parts) {
    binary.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at);
    at += Math.ceil(a.byteLength / 8) * 8;
  }
  return { json, binary };
}

/**
 * Decodes what {@linkcode encodeState} wrote (after a JSON round trip).
 * @param json The tree with references.
 * @param binary The binary block.
 * @returns The state, typed arrays copied out of the block.
 * @throws {RangeError} For a reference outside the block (or of an unknown type, or a length that
 *   is not a whole number >= 0), naming its path.
 */
export function decodeState(json: unknown, binary: Uint8Array): unknown {
  const walk = (v: unknown, path: string): unknown => {
    if (v === null || typeof v !== "object") return v;
    if (Array.isArray(v)) return v.map((x, i) => walk(x, `${path}[${i}]`));
    const o = v as Record<string, unknown>;
    if (typeof o.$num === "string") return o.$num === "-0" ? -0 : Number(o.$num);
    if (typeof o.$typed === "string") {
      const make = TYPES[o.$typed as TypedName];
      const at = o.at as number, length = o.length as number;
      const bytes = make && Number.isInteger(length) && length >= 0
        ? length * make.BYTES_PER_ELEMENT
        : NaN;
      if (!make || !Number.isInteger(at) || at < 0 || !(at + bytes <= binary.length)) {
        throw new RangeError(
          `Cannot decode state: ${path} (${o.$typed} of ${length} at byte ${at}) does not fit the binary block of ${binary.length} bytes`,
        );
      }
      const out = new make(length);
      new Uint8Array(out.buffer).set(binary.subarray(at, at + bytes));
      return out;
    }
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) out[k] = walk(x, `${path}.${k}`);
    return out;
  };
  return walk(json, "state");
}

import assert from "node:assert/strict";
import { decodeState, encodeState } from "./state_codec.ts";

/** Encodes, sends the JSON part through text (as a file would) and decodes. */
function roundTrip(tree: unknown): unknown {
  const { json, binary } = encodeState(tree);
  return decodeState(JSON.parse(JSON.stringify(json)), binary.slice());
}

/** The bytes of a typed array, for bit-for-bit comparisons. */
function bytesOf(a: ArrayBufferView): number[] {
  return [...new Uint8Array(a.buffer, a.byteOffset, a.byteLength)];
}

Deno.test("state codec: every typed array kind in a nested tree comes back with its type and bytes", () => {
  const tree = {
    f64: Float64Array.of(0.1, -2.5e300, 5e-324),
    f32: Float32Array.of(0.1, 1 / 3, -7),
    i32: Int32Array.of(-(2 ** 31), 2 ** 31 - 1, 0),
    u32: Uint32Array.of(2 ** 32 - 1, 1),
    i16: Int16Array.of(-32768, 32767, -1),
    u16: Uint16Array.of(65535),
    i8: Int8Array.of(-128, 127, 3, -4, 5),
    u8: Uint8Array.of(255, 0, 7),
    u8c: Uint8ClampedArray.of(255, 1),
    nested: {
      list: [Float32Array.of(2.5), { deeper: [Int8Array.of(-1), "text", true, null] }],
      empty: new Float64Array(0),
    },
    scalars: { n: 3, s: "x", b: false, z: null },
  };
  const back = roundTrip(tree) as typeof tree;
  for (const key of ["f64", "f32", "i32", "u32", "i16", "u16", "i8", "u8", "u8c"] as const) {
    assert.equal(back[key].constructor, tree[key].constructor, key);
    assert.deepEqual(bytesOf(back[key]), bytesOf(tree[key]), key);
  }
  assert.ok(back.nested.list[0] instanceof Float32Array);
  assert.deepEqual(back.nested.list[0], Float32Array.of(2.5));
  assert.deepEqual(back.nested.list[1], { deeper: [Int8Array.of(-1), "text", true, null] });
  assert.deepEqual(back.nested.empty, new Float64Array(0));
  assert.deepEqual(back.scalars, tree.scalars);
});

Deno.test("state codec: f32 stays f32 bit for bit (never widened through a float64 number)", () => {
  // Values whose float32 bits a detour through JSON numbers would still keep, and NaN payloads
  // and -0 that only a byte copy keeps.
  const raw = new Uint32Array([0x3dcccccd, 0x7fc00001, 0xff800001, 0x80000000, 0x00000001]);
  const f32 = new Float32Array(raw.buffer);
  const back = roundTrip({ f32 }) as { f32: Float32Array };
  assert.deepEqual([...new Uint32Array(back.f32.buffer)], [...raw]);
  const rawF64 = new Uint32Array([1, 0x7ff80000, 0, 0x80000000]); // a NaN payload, then -0
  const back64 = roundTrip({ a: new Float64Array(rawF64.buffer) }) as { a: Float64Array };
  assert.deepEqual([...new Uint32Array(back64.a.buffer)], [...rawF64]);
});

Deno.test("state codec: NaN, +-Infinity and -0 numbers are preserved (documented)", () => {
  const { json } = encodeState({ a: NaN, b: Infinity, c: -Infinity, d: -0, e: 0, f: [NaN] });
  assert.deepEqual(json, {
    a: { $num: "NaN" },
    b: { $num: "Infinity" },
    c: { $num: "-Infinity" },
    d: { $num: "-0" },
    e: 0,
    f: [{ $num: "NaN" }],
  });
  const back = roundTrip({ a: NaN, b: Infinity, c: -Infinity, d: -0, e: 0 }) as Record<
    string,
    number
  >;
  assert.ok(Number.isNaN(back.a));
  assert.equal(back.b, Infinity);
  assert.equal(back.c, -Infinity);
  assert.ok(Object.is(back.d, -0));
  assert.ok(Object.is(back.e, 0));
});

Deno.test("state codec: the block holds each array at a multiple of 8, views copied without their buffer", () => {
  const big = new Uint8Array(16).map((_, i) => i);
  const view = big.subarray(3, 6); // a view into a larger buffer, at an odd offset
  const { json, binary } = encodeState({ v: view, w: Float64Array.of(1.5), x: Int16Array.of(9) });
  const refs = json as Record<string, { $typed: string; at: number; length: number }>;
  assert.deepEqual(refs.v, { $typed: "Uint8Array", at: 0, length: 3 });
  assert.deepEqual(refs.w, { $typed: "Float64Array", at: 8, length: 1 });
  assert.deepEqual(refs.x, { $typed: "Int16Array", at: 16, length: 1 });
  assert.equal(binary.length, 24);
  assert.deepEqual([...binary.subarray(0, 3)], [3, 4, 5]);
  assert.equal(new DataView(binary.buffer).getFloat64(8, true), 1.5);
  const back = decodeState(json, binary) as { v: Uint8Array };
  assert.deepEqual([...back.v], [3, 4, 5]);
  assert.equal(back.v.buffer.byteLength, 3, "a fresh array, not the block");
  // Decoding copies out of the block: changing the block afterwards changes nothing.
  binary[0] = 99;
  assert.equal(back.v[0], 3);
});

Deno.test("state codec: undefined object fields vanish, undefined array entries become null", () => {
  const back = roundTrip({ a: undefined, b: [1, undefined, 2] });
  assert.deepEqual(back, { b: [1, null, 2] });
});

Deno.test("state codec: values it cannot encode are refused naming their path", () => {
  const cases: [unknown, RegExp][] = [
    [{ a: { f: () => 1 } }, /state\.a\.f is a function/],
    [{ m: new Map() }, /state\.m is a object/],
    [{ list: [1, 2n] }, /state\.list\[1\] is a bigint/],
    [{ big: new BigInt64Array(2) }, /state\.big is a object/],
    [{ dv: new DataView(new ArrayBuffer(4)) }, /state\.dv is a object/],
    [{ d: new Date(0) }, /state\.d is a object/],
  ];
  for (const [tree, message] of cases) {
    assert.throws(
      () => encodeState(tree),
      (e: Error) => e instanceof TypeError && message.test(e.message),
    );
  }
});

Deno.test("state codec: a reference outside the block, of an unknown type or a bad length is refused naming its path", () => {
  const binary = new Uint8Array(16);
  const cases: [unknown, RegExp][] = [
    [
      { a: { $typed: "Float64Array", at: 8, length: 2 } },
      /state\.a \(Float64Array of 2 at byte 8\)/,
    ],
    [{ a: [{ $typed: "Float32Array", at: -4, length: 1 }] }, /state\.a\[0\]/],
    [{ a: { $typed: "Float32Array", at: 0.5, length: 1 } }, /state\.a /],
    [{ a: { $typed: "Float16Array", at: 0, length: 1 } }, /state\.a \(Float16Array/],
    [{ a: { $typed: "Float64Array", at: 0 } }, /state\.a /],
    [{ a: { $typed: "Float64Array", at: 0, length: -1 } }, /state\.a \(Float64Array of -1/],
    [{ a: { $typed: "Int8Array", at: 0, length: 1.5 } }, /state\.a \(Int8Array of 1\.5/],
  ];
  for (const [json, message] of cases) {
    assert.throws(
      () => decodeState(json, binary),
      (e: Error) =>
        e instanceof RangeError && message.test(e.message) &&
        /binary block of 16 bytes/.test(e.message),
      JSON.stringify(json),
    );
  }
  // The last element that fits is accepted.
  const fits = decodeState({ a: { $typed: "Float64Array", at: 8, length: 1 } }, binary);
  assert.deepEqual(fits, { a: new Float64Array(1) });
});

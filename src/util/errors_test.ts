import assert from "node:assert/strict";
import {
  checkChoice,
  checkFiniteArray,
  checkFiniteValues,
  checkNumber,
  copyExactLength,
  describe,
} from "./errors.ts";

/** Asserts that `fn` throws an error of class `kind` with exactly `message`. */
function throwsExactly(fn: () => unknown, kind: ErrorConstructor, message: string): void {
  assert.throws(fn, (e: Error) => {
    assert.ok(e instanceof kind, `expected a ${kind.name}, got ${e.constructor.name}`);
    assert.equal(e.message, message);
    return true;
  });
}

Deno.test("describe: strings quoted, arrays and typed arrays by length, objects and null by kind", () => {
  assert.equal(describe('a"b'), '"a\\"b"');
  assert.equal(describe([1, 2, 3]), "an array of length 3");
  assert.equal(describe(new Float32Array(5)), "a typed array of length 5");
  assert.equal(describe(new DataView(new ArrayBuffer(4))), "an object");
  assert.equal(describe(null), "null");
  assert.equal(describe({ x: 1 }), "an object");
  assert.equal(describe(undefined), "undefined");
  assert.equal(describe(NaN), "NaN");
  assert.equal(describe(true), "true");
});

Deno.test("checkNumber: returns valid values, bounds inclusive unless exclusiveMin", () => {
  assert.equal(checkNumber("a", "f", 3), 3);
  assert.equal(checkNumber("a", "f", 0, { min: 0 }), 0);
  assert.equal(checkNumber("a", "f", 5, { max: 5 }), 5);
  assert.equal(checkNumber("a", "f", 1e-300, { min: 0, exclusiveMin: true }), 1e-300);
  assert.equal(checkNumber("a", "f", -0, { min: 0, integer: true }), -0);
  assert.equal(checkNumber("a", "f", 2.5, { integer: false }), 2.5);
});

Deno.test("checkNumber: rejects with the action, the field and the expectation", () => {
  const A = "build network", F = "layers[0].neuron.nRec";
  throwsExactly(
    () => checkNumber(A, F, "4"),
    TypeError,
    `Cannot build network: ${F} must be a finite number, got "4"`,
  );
  for (const bad of [NaN, Infinity, -Infinity]) {
    throwsExactly(
      () => checkNumber(A, F, bad),
      TypeError,
      `Cannot build network: ${F} must be a finite number, got ${bad}`,
    );
  }
  throwsExactly(
    () => checkNumber(A, F, undefined),
    TypeError,
    `Cannot build network: ${F} must be a finite number, got undefined`,
  );
  throwsExactly(
    () => checkNumber(A, F, 2.5, { integer: true }),
    TypeError,
    `Cannot build network: ${F} must be an integer, got 2.5`,
  );
  throwsExactly(
    () => checkNumber(A, F, -1, { min: 0 }),
    RangeError,
    `Cannot build network: ${F} must be >= 0, got -1`,
  );
  throwsExactly(
    () => checkNumber(A, F, 0, { min: 0, exclusiveMin: true }),
    RangeError,
    `Cannot build network: ${F} must be > 0, got 0`,
  );
  throwsExactly(
    () => checkNumber(A, F, 7, { min: 0, max: 6 }),
    RangeError,
    `Cannot build network: ${F} must be <= 6, got 7`,
  );
});

Deno.test("checkChoice: returns an allowed value, else lists the valid ones", () => {
  assert.equal(checkChoice("x", "precision", "f32", ["f32", "f64"]), "f32");
  throwsExactly(
    () => checkChoice("create backend", "precision", "f16", ["f32", "f64"]),
    RangeError,
    'Cannot create backend: precision must be one of "f32", "f64", got "f16"',
  );
  throwsExactly(
    () => checkChoice("create backend", "precision", 32, ["f32", "f64"]),
    RangeError,
    'Cannot create backend: precision must be one of "f32", "f64", got 32',
  );
  // A String object is not a string.
  assert.throws(() => checkChoice("a", "f", new String("f32"), ["f32"]), RangeError);
});

Deno.test("checkFiniteValues: accepts arrays and typed arrays of the length, names the bad index", () => {
  checkFiniteValues("a", "f", [1, -2, 0], 3);
  checkFiniteValues("a", "f", Float32Array.of(1, 2), 2);
  checkFiniteValues("a", "f", [], 0);
  throwsExactly(
    () => checkFiniteValues("set weights", "wIn", { length: 2, 0: 1, 1: 2 }, 2),
    TypeError,
    "Cannot set weights: wIn must be an array of 2 numbers, got an object",
  );
  throwsExactly(
    () => checkFiniteValues("set weights", "wIn", new DataView(new ArrayBuffer(8)), 1),
    TypeError,
    "Cannot set weights: wIn must be an array of 1 numbers, got an object",
  );
  throwsExactly(
    () => checkFiniteValues("set weights", "wIn", [1, 2], 3),
    TypeError,
    "Cannot set weights: wIn must have length 3, got 2",
  );
  throwsExactly(
    () => checkFiniteValues("set weights", "wIn", [1, NaN, Infinity], 3),
    TypeError,
    "Cannot set weights: wIn[1] must be a finite number, got NaN",
  );
  throwsExactly(
    () => checkFiniteValues("set weights", "wIn", Float64Array.of(0, 1, -Infinity), 3),
    TypeError,
    "Cannot set weights: wIn[2] must be a finite number, got -Infinity",
  );
  throwsExactly(
    () => checkFiniteValues("set weights", "wIn", [0, "1"], 2),
    TypeError,
    'Cannot set weights: wIn[1] must be a finite number, got "1"',
  );
  // A hole is undefined.
  throwsExactly(
    () => checkFiniteValues("a", "f", [1, , 3], 3),
    TypeError,
    "Cannot a: f[1] must be a finite number, got undefined",
  );
});

Deno.test("checkFiniteArray: a Float64Array copy of valid values, the same errors otherwise", () => {
  const src = Float32Array.of(0.1, -3);
  const out = checkFiniteArray("a", "f", src, 2);
  assert.ok(out instanceof Float64Array);
  assert.deepEqual([...out], [Math.fround(0.1), -3]);
  src[0] = 9;
  assert.equal(out[0], Math.fround(0.1), "a copy, not a view");
  const plain = [1, 2];
  const copy = checkFiniteArray("a", "f", plain, 2);
  plain[0] = 5;
  assert.deepEqual([...copy], [1, 2]);
  throwsExactly(
    () => checkFiniteArray("read case", "inputs", [1, NaN], 2),
    TypeError,
    "Cannot read case: inputs[1] must be a finite number, got NaN",
  );
});

Deno.test("copyExactLength: copies equal lengths, refuses others naming the field", () => {
  const to = new Float64Array(3);
  copyExactLength("load state", "eps", to, [1, 2, 3]);
  assert.deepEqual([...to], [1, 2, 3]);
  throwsExactly(
    () => copyExactLength("load online learner state", "traces.eps", to, [1, 2]),
    RangeError,
    "Cannot load online learner state: traces.eps must hold 3 values, got 2",
  );
  throwsExactly(
    () => copyExactLength("load state", "eps", to, undefined as unknown as number[]),
    RangeError,
    "Cannot load state: eps must hold 3 values, got undefined",
  );
  assert.deepEqual([...to], [1, 2, 3], "unchanged after a refusal");
});

import assert from "node:assert/strict";
import { createOptimizer } from "./optimizer.ts";

Deno.test("Adam follows TF1's update, step by step, against hand-computed values", () => {
  const adam = createOptimizer("adam", {
    learningRate: 0.01,
    beta1: 0.9,
    beta2: 0.999,
    epsilon: 1e-8,
  });
  const w = { a: Float64Array.of(0.5, -1) };
  const grads = [Float64Array.of(0.2, -0.4), Float64Array.of(-0.1, 0.3)];
  // Step 1: m = 0.1 g, v = 0.001 g^2, lr_t = 0.01 sqrt(0.001) / 0.1 -> w -= 0.01 * sign(g) (up to eps).
  adam.step(w, { a: grads[0] });
  const lr1 = 0.01 * Math.sqrt(1 - 0.999) / (1 - 0.9);
  const m1 = [0.02, -0.04], v1 = [0.001 * 0.04, 0.001 * 0.16];
  const w1 = [
    0.5 - lr1 * m1[0] / (Math.sqrt(v1[0]) + 1e-8),
    -1 - lr1 * m1[1] / (Math.sqrt(v1[1]) + 1e-8),
  ];
  assert.ok(Math.abs(w.a[0] - w1[0]) < 1e-15 && Math.abs(w.a[1] - w1[1]) < 1e-15);
  assert.ok(Math.abs(w.a[0] - 0.49) < 1e-7); // about lr * sign(g), up to epsilon
  // Step 2.
  adam.step(w, { a: grads[1] });
  const lr2 = 0.01 * Math.sqrt(1 - 0.999 ** 2) / (1 - 0.9 ** 2);
  const m2 = [0.9 * m1[0] + 0.1 * -0.1, 0.9 * m1[1] + 0.1 * 0.3];
  const v2 = [0.999 * v1[0] + 0.001 * 0.01, 0.999 * v1[1] + 0.001 * 0.09];
  const w2 = [
    w1[0] - lr2 * m2[0] / (Math.sqrt(v2[0]) + 1e-8),
    w1[1] - lr2 * m2[1] / (Math.sqrt(v2[1]) + 1e-8),
  ];
  assert.ok(Math.abs(w.a[0] - w2[0]) < 1e-15 && Math.abs(w.a[1] - w2[1]) < 1e-15);
});

Deno.test("Adam epsilon is added to sqrt(v) without bias correction (TF1 'epsilon hat')", () => {
  const adam = createOptimizer("adam", { learningRate: 1, epsilon: 1 });
  const w = { a: Float64Array.of(0) };
  adam.step(w, { a: Float64Array.of(1) });
  // lr_t = sqrt(0.001)/0.1; m = 0.1; sqrt(v) = sqrt(0.001): w = -lr_t * 0.1 / (sqrt(0.001) + 1).
  const expected = -(Math.sqrt(0.001) / 0.1) * 0.1 / (Math.sqrt(0.001) + 1);
  assert.ok(Math.abs(w.a[0] - expected) < 1e-15);
});

Deno.test("gradient descent is w -= lr g", () => {
  const sgd = createOptimizer("sgd", { learningRate: 0.5 });
  const w = { a: Float64Array.of(1, 2) };
  sgd.step(w, { a: Float64Array.of(0.2, -4) });
  assert.deepEqual([...w.a], [0.9, 4]);
});

Deno.test("optimizer state round-trips through JSON and continues identically", () => {
  const a = createOptimizer("adam", { learningRate: 0.003 });
  const wa = { x: Float64Array.of(0.1, 0.2, 0.3) };
  for (let i = 0; i < 3; i++) a.step(wa, { x: Float64Array.of(Math.sin(i), Math.cos(i), i / 7) });
  const b = createOptimizer("adam", { learningRate: 0.003 });
  b.restore(JSON.parse(JSON.stringify(a.state())));
  const wb = { x: Float64Array.from(wa.x) };
  a.step(wa, { x: Float64Array.of(0.4, -0.2, 0.9) });
  b.step(wb, { x: Float64Array.of(0.4, -0.2, 0.9) });
  assert.deepEqual(wa.x, wb.x);
});

Deno.test("optimizers reject bad settings and mismatched gradients", () => {
  assert.throws(() => createOptimizer("adam", { learningRate: 0 }), {
    message: "Cannot create optimizer: learningRate must be > 0, got 0",
  });
  assert.throws(() => createOptimizer("rmsprop" as never, { learningRate: 1 }), {
    message: 'Cannot create optimizer: kind must be one of "adam", "sgd", got "rmsprop"',
  });
  const sgd = createOptimizer("sgd", { learningRate: 1 });
  assert.throws(() => sgd.step({ a: new Float64Array(2) }, { a: new Float64Array(3) }), {
    message: "Cannot apply optimizer: gradient a must have length 2, got 3",
  });
});

import assert from "node:assert/strict";
import {
  createLoss,
  type LossContext,
  type LossSpec,
  type SequenceLoss,
  sliceLoss,
} from "./losses.ts";
import { Rng } from "../util/rng.ts";

function context(B: number, U: number, nOut: number, lengths?: number[]): LossContext {
  return {
    batchSize: B,
    units: U,
    nOut,
    lengths: Int32Array.from(lengths ?? new Array(B).fill(U)),
    field: "losses[0]",
  };
}

function randomY(n: number, seed: number): Float64Array {
  const rng = new Rng(seed);
  return Float64Array.from({ length: n }, () => rng.normal());
}

/** log-sum-exp of y[base .. base + n) minus y[base + label] (naive, no shift). */
function naiveCe(y: ArrayLike<number>, base: number, n: number, label: number): number {
  let z = 0;
  for (let k = 0; k < n; k++) z += Math.exp(y[base + k]);
  return Math.log(z) - y[base + label];
}

/** Central differences of the loss against its returned dE/dy at every output. */
function checkGradient(loss: SequenceLoss, y: Float64Array, ctx: LossContext, tol = 1e-7): void {
  const g = new Float64Array(y.length);
  loss.evaluate(y, g, ctx);
  const scratch = new Float64Array(y.length);
  const h = 1e-5;
  for (let i = 0; i < y.length; i++) {
    const yp = y.slice(), ym = y.slice();
    yp[i] += h;
    ym[i] -= h;
    const fd = (loss.evaluate(yp, scratch, ctx) - loss.evaluate(ym, scratch, ctx)) / (2 * h);
    assert.ok(Math.abs(fd - g[i]) < tol, `dE/dy[${i}] = ${g[i]}, central difference ${fd}`);
  }
}

Deno.test("mse: 0.5 sum of squares over valid units only (hand values), dE/dy = y - target", () => {
  // B 2, U 3, nOut 1; sequence 1 has 2 valid units. Targets batch-major, y time-major.
  const targets = Float64Array.of(1, 2, 3, 10, 20, 30);
  const loss = createLoss({ type: "mse", targets });
  const ctx = context(2, 3, 1, [3, 2]);
  loss.check(ctx);
  const y = Float64Array.of(0, 11, 2, 18, 3, 999); // [u][b]
  const g = new Float64Array(6).fill(7);
  const e = loss.evaluate(y, g, ctx);
  // b0: (0-1), (2-2), (3-3) ; b1: (11-10), (18-20); unit 2 of b1 ignored.
  assert.equal(e, 0.5 * (1 + 0 + 0 + 1 + 4));
  assert.deepEqual([...g], [-1, 1, 0, -2, 0, 0]);
  assert.equal(loss.normalizer, undefined, "a plain sum");
  checkGradient(
    createLoss({ type: "mse", targets: randomY(12, 8) }),
    randomY(12, 1),
    context(2, 3, 2, [3, 1]),
    1e-6,
  );
});

Deno.test("ce with one label per sequence: mean over batch and window (naive reference, hand value)", () => {
  const B = 2, U = 4, nOut = 3;
  // Equal logits: CE = log 3 at every unit, whatever the label.
  const loss = createLoss({ type: "ce", labels: Int32Array.of(0, 2) });
  const ctx = context(B, U, nOut);
  loss.check(ctx);
  assert.ok(
    Math.abs(
      loss.evaluate(new Float64Array(U * B * nOut), new Float64Array(U * B * nOut), ctx) -
        Math.log(3),
    ) < 1e-15,
  );
  // Window 2 over lengths 4 and 3: units 2, 3 of b0 and 1, 2 of b1, each weighted 1 / (B W).
  const win = createLoss({ type: "ce", labels: Int32Array.of(1, 0), window: 2 });
  const ctx2 = context(B, U, nOut, [4, 3]);
  win.check(ctx2);
  assert.equal(win.normalizer!(ctx2), 4);
  const y = randomY(U * B * nOut, 2);
  const at = (u: number, b: number) => (u * B + b) * nOut;
  const want = (naiveCe(y, at(2, 0), nOut, 1) + naiveCe(y, at(3, 0), nOut, 1) +
    naiveCe(y, at(1, 1), nOut, 0) + naiveCe(y, at(2, 1), nOut, 0)) / 4;
  const g = new Float64Array(y.length);
  assert.ok(Math.abs(win.evaluate(y, g, ctx2) - want) < 1e-14);
  // Nothing outside the window: units 0, 1 of b0, 0 and 3 of b1.
  for (const [u, b] of [[0, 0], [1, 0], [0, 1], [3, 1]]) {
    for (let k = 0; k < nOut; k++) assert.equal(g[at(u, b) + k], 0);
  }
  checkGradient(win, y, ctx2);
});

Deno.test("ce with labels per unit and a mask: the weighted mean (naive reference), central differences", () => {
  const B = 2, U = 3, nOut = 4;
  const labels = Int32Array.of(0, 1, 2, 3, 3, 0); // [B][U]
  const mask = Float64Array.of(1, 0, 2, 0.5, 0.5, 9); // b1's unit 2 is past its length
  const loss = createLoss({ type: "ce", labels, mask });
  const ctx = context(B, U, nOut, [3, 2]);
  loss.check(ctx);
  assert.equal(loss.normalizer!(ctx), 1 + 0 + 2 + 0.5 + 0.5);
  const y = randomY(U * B * nOut, 3);
  let want = 0;
  for (let b = 0; b < B; b++) {
    for (let u = 0; u < ctx.lengths[b]; u++) {
      want += mask[b * U + u] * naiveCe(y, (u * B + b) * nOut, nOut, labels[b * U + u]);
    }
  }
  want /= 4;
  assert.ok(Math.abs(loss.evaluate(y, new Float64Array(y.length), ctx) - want) < 1e-14);
  checkGradient(loss, y, ctx);
  // Per-unit labels without a mask or window (equal lengths): the mean over all B U units.
  const all = createLoss({ type: "ce", labels });
  const full = context(B, U, nOut);
  let mean = 0;
  for (let b = 0; b < B; b++) {
    for (let u = 0; u < U; u++) mean += naiveCe(y, (u * B + b) * nOut, nOut, labels[b * U + u]);
  }
  assert.ok(Math.abs(all.evaluate(y, new Float64Array(y.length), full) - mean / (B * U)) < 1e-14);
});

Deno.test("ce_frames: mean over the batch of (sum of CE over valid units) / length", () => {
  const B = 2, U = 3, nOut = 2;
  const labels = Int32Array.of(1, 0, 1, 0, 1, 5); // b1's unit 2 is past its length: ignored
  const loss = createLoss({ type: "ce_frames", labels });
  const ctx = context(B, U, nOut, [3, 2]);
  loss.check(ctx);
  assert.equal(loss.type, "ce_frames");
  assert.equal(loss.normalizer!(ctx), B);
  const y = randomY(U * B * nOut, 4);
  const ce = (u: number, b: number) => naiveCe(y, (u * B + b) * nOut, nOut, labels[b * U + u]);
  const want = ((ce(0, 0) + ce(1, 0) + ce(2, 0)) / 3 + (ce(0, 1) + ce(1, 1)) / 2) / 2;
  assert.ok(Math.abs(loss.evaluate(y, new Float64Array(y.length), ctx) - want) < 1e-14);
  checkGradient(loss, y, ctx);
});

Deno.test("sliceLoss: the parts of a batch, each with the whole batch's normalizer, add up to the whole", () => {
  const B = 4, U = 3, nOut = 2;
  const lengths = [3, 2, 3, 1];
  const rng = new Rng(5);
  const labelsPerUnit = Int32Array.from({ length: B * U }, () => rng.int(nOut));
  const specs: LossSpec[] = [
    { type: "mse", targets: randomY(B * U * nOut, 6) },
    { type: "ce", labels: Int32Array.of(0, 1, 1, 0), window: 1 },
    {
      type: "ce",
      labels: labelsPerUnit,
      mask: Float64Array.from({ length: B * U }, (_, i) => i % 3),
    },
    { type: "ce_frames", labels: labelsPerUnit },
  ];
  const whole = context(B, U, nOut, lengths);
  const y = randomY(U * B * nOut, 7);
  for (const spec of specs) {
    const loss = createLoss(spec);
    loss.check(whole);
    const gWhole = new Float64Array(y.length);
    const eWhole = loss.evaluate(y, gWhole, whole);
    const normalizer = loss.normalizer?.(whole);
    let eParts = 0;
    for (const [from, to] of [[0, 1], [1, 4]]) {
      const part = createLoss(sliceLoss(spec, { from, to, batchSize: B, units: U }));
      const b = to - from;
      const ctx = { ...context(b, U, nOut, lengths.slice(from, to)), normalizer };
      part.check(ctx);
      const yPart = new Float64Array(U * b * nOut), gPart = new Float64Array(U * b * nOut);
      for (let u = 0; u < U; u++) {
        yPart.set(y.subarray((u * B + from) * nOut, (u * B + to) * nOut), u * b * nOut);
      }
      eParts += part.evaluate(yPart, gPart, ctx);
      for (let u = 0; u < U; u++) {
        for (let i = 0; i < b * nOut; i++) {
          assert.ok(Math.abs(gPart[u * b * nOut + i] - gWhole[(u * B + from) * nOut + i]) < 1e-15);
        }
      }
    }
    assert.ok(Math.abs(eParts - eWhole) < 1e-13, `${spec.type}: ${eParts} vs ${eWhole}`);
  }
});

Deno.test("createLoss: a ready loss passes through; bad specs are refused naming the field", () => {
  const ready: SequenceLoss = { type: "custom", check() {}, evaluate: () => 1 };
  assert.equal(createLoss(ready), ready);
  assert.throws(
    () => createLoss(null as unknown as LossSpec, "losses[1]"),
    { name: "TypeError", message: "Cannot build loss: losses[1] must be an object, got null" },
  );
  assert.throws(
    () => createLoss({ type: "ctc" } as unknown as LossSpec, "losses[0]"),
    {
      name: "TypeError",
      message:
        'Cannot build loss: losses[0].type must be one of "mse", "ce", "ce_frames", got "ctc"',
    },
  );
});

Deno.test("check: shapes, labels, masks and windows are refused naming the field", () => {
  const ctx = context(2, 3, 2, [3, 2]);
  const cases: [LossSpec, string, string][] = [
    [
      { type: "mse", targets: new Float64Array(11) },
      "TypeError",
      "Cannot evaluate loss: losses[0].targets must have shape [2][3][2] (12 values), got a typed array of length 11",
    ],
    [
      { type: "ce", labels: Int32Array.of(0, 1, 0), window: 1 },
      "TypeError",
      "Cannot evaluate loss: losses[0].labels must be an Int32Array of shape [2] or [2][3], got a typed array of length 3",
    ],
    [
      { type: "ce", labels: [0, 1] as unknown as Int32Array, window: 1 },
      "TypeError",
      "Cannot evaluate loss: losses[0].labels must be an Int32Array of shape [2] or [2][3], got an array of length 2",
    ],
    [
      { type: "ce_frames", labels: Int32Array.of(0, 1) },
      "TypeError",
      "Cannot evaluate loss: losses[0].labels must be an Int32Array of shape [2][3], got a typed array of length 2",
    ],
    [
      { type: "ce", labels: Int32Array.of(0, 2), window: 1 },
      "RangeError",
      "Cannot evaluate loss: losses[0].labels[1] must be in [0, 1], got 2",
    ],
    [
      { type: "ce_frames", labels: Int32Array.of(0, 1, 1, 1, -1, 0) },
      "RangeError",
      "Cannot evaluate loss: losses[0].labels[1][1] must be in [0, 1], got -1",
    ],
    [
      { type: "ce", labels: Int32Array.of(0, 1), mask: new Float64Array(5) },
      "TypeError",
      "Cannot evaluate loss: losses[0].mask must have shape [2][3], got a typed array of length 5",
    ],
    [
      { type: "ce", labels: Int32Array.of(0, 1), mask: new Float64Array(6) },
      "RangeError",
      "Cannot evaluate loss: losses[0].mask must have at least one active unit",
    ],
    [
      { type: "ce", labels: Int32Array.of(0, 1), window: 3 },
      "RangeError",
      "Cannot evaluate loss: losses[0].window must be <= 2, got 3",
    ],
    [
      { type: "ce", labels: Int32Array.of(0, 1), window: 0 },
      "RangeError",
      "Cannot evaluate loss: losses[0].window must be >= 1, got 0",
    ],
    [
      { type: "ce", labels: Int32Array.of(0, 1) },
      "RangeError",
      "Cannot evaluate loss: losses[0].window is needed when sequences have different lengths",
    ],
  ];
  for (const [spec, name, message] of cases) {
    assert.throws(() => createLoss(spec).check(ctx), { name, message });
  }
  // A label past a sequence's length is not looked at.
  createLoss({ type: "ce_frames", labels: Int32Array.of(0, 1, 1, 1, 0, 9) }).check(ctx);
});

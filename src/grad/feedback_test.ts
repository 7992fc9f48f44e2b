import assert from "node:assert/strict";
import { createFeedback } from "./feedback.ts";
import { normalMatrix, zeroMatrix } from "../model/weights.ts";
import { Rng } from "../util/rng.ts";

Deno.test("symmetric feedback is w_out itself", () => {
  const wOut = normalMatrix([5, 2], new Rng(1));
  assert.equal(createFeedback("symmetric", { nRec: 5, nOut: 2 }).matrix(wOut), wOut);
});

Deno.test("random feedback is a fixed N(0,1) draw, optionally scaled by 1/sqrt(n_rec)", () => {
  const fb = createFeedback("random", { nRec: 400, nOut: 2, rng: new Rng(2) });
  const b = fb.matrix(zeroMatrix(400, 2));
  assert.equal(fb.matrix(normalMatrix([400, 2], new Rng(3))), b);
  const variance = b.data.reduce((s, v) => s + v * v, 0) / b.data.length;
  assert.ok(Math.abs(variance - 1) < 0.1, `variance ${variance}`);
  const scaled = createFeedback("random", { nRec: 400, nOut: 2, rng: new Rng(2), scaled: true })
    .matrix(
      zeroMatrix(400, 2),
    );
  assert.ok(Math.abs(scaled.data[7] - b.data[7] / 20) < 1e-15);
});

Deno.test("adaptive (Kolen-Pollack) feedback gets w_out's update, then both decay", () => {
  const fb = createFeedback("adaptive", { nRec: 3, nOut: 1, rng: new Rng(4), lambda: 0.1 });
  const wOut = normalMatrix([3, 1], new Rng(5));
  const b0 = Float64Array.from(fb.matrix(wOut).data);
  const w0 = Float64Array.from(wOut.data);
  const delta = { rows: 3, cols: 1, data: Float64Array.of(0.5, -1, 2) };
  for (let i = 0; i < 3; i++) wOut.data[i] += delta.data[i];
  fb.afterReadoutUpdate(wOut, delta);
  for (let i = 0; i < 3; i++) {
    assert.ok(Math.abs(fb.matrix(wOut).data[i] - 0.9 * (b0[i] + delta.data[i])) < 1e-15);
    assert.ok(Math.abs(wOut.data[i] - 0.9 * (w0[i] + delta.data[i])) < 1e-15);
  }
  // Repeated updates make B converge to w_out (the point of Kolen-Pollack).
  const gap0 = Math.max(...b0.map((v, i) => Math.abs(v - w0[i])));
  for (let it = 0; it < 100; it++) fb.afterReadoutUpdate(wOut, zeroMatrix(3, 1));
  const gap = Math.max(...fb.matrix(wOut).data.map((v, i) => Math.abs(v - wOut.data[i])));
  assert.ok(gap < 1e-4 * gap0);
});

Deno.test("feedback rejects unknown kinds and missing rng", () => {
  assert.throws(() => createFeedback("mirror" as never, { nRec: 2, nOut: 1 }), {
    message:
      'Cannot create feedback: kind must be one of "symmetric", "random", "adaptive", "global", got "mirror"',
  });
  assert.throws(() => createFeedback("random", { nRec: 2, nOut: 1 }), {
    message: "Cannot create feedback: random feedback needs options.rng",
  });
});

import assert from "node:assert/strict";
import { AreaResizer, areaResizer, areaTable, greyLevel, maxInto, toGrey } from "./frame_ops.ts";
import { Rng } from "../util/rng.ts";

Deno.test("greyLevel: round(0.2989 r + 0.5870 g + 0.1140 b), hand values", () => {
  assert.equal(greyLevel(0, 0, 0), 0);
  assert.equal(greyLevel(255, 255, 255), 255); // 254.97
  assert.equal(greyLevel(255, 0, 0), 76); // 76.22
  assert.equal(greyLevel(0, 255, 0), 150); // 149.69
  assert.equal(greyLevel(0, 0, 255), 29); // 29.07
  assert.equal(greyLevel(100, 50, 200), 82); // 29.89 + 29.35 + 22.8 = 82.04
});

Deno.test("toGrey: RGB through greyLevel, one channel copied", () => {
  const rgb = Uint8Array.of(255, 0, 0, 0, 255, 0, 100, 50, 200, 9, 9, 9);
  const out = new Uint8Array(4);
  toGrey(rgb, 4, 3, out);
  assert.deepEqual([...out], [76, 150, 82, greyLevel(9, 9, 9)]);
  const grey = Uint8Array.of(1, 2, 3, 4, 5);
  const copy = new Uint8Array(3);
  toGrey(grey, 3, 1, copy);
  assert.deepEqual([...copy], [1, 2, 3]);
});

Deno.test("maxInto: per-pixel maximum, in place too", () => {
  const a = Uint8Array.of(1, 200, 3, 0), b = Uint8Array.of(5, 100, 3, 255);
  const out = new Uint8Array(4);
  maxInto(a, b, out);
  assert.deepEqual([...out], [5, 200, 3, 255]);
  maxInto(a, b, a);
  assert.deepEqual([...a], [5, 200, 3, 255]);
});

Deno.test("areaTable: each target's weights sum to 1; each source spreads target/source in all", () => {
  for (const [s, t] of [[210, 84], [160, 84], [4, 2], [7, 3], [5, 5], [9, 1]]) {
    const tab = areaTable(s, t);
    const perTarget = new Float64Array(t), perSource = new Float64Array(s);
    for (let k = 0; k < tab.src.length; k++) {
      perTarget[tab.dst[k]] += tab.alpha[k];
      perSource[tab.src[k]] += tab.alpha[k];
      if (k > 0) assert.ok(tab.dst[k] >= tab.dst[k - 1], "dst non-decreasing");
    }
    perTarget.forEach((w, d) => assert.ok(Math.abs(w - 1) < 1e-6, `${s}->${t}: target ${d} ${w}`));
    perSource.forEach((w, i) =>
      assert.ok(Math.abs(w - t / s) < 1e-6, `${s}->${t}: source ${i} ${w}`)
    );
  }
  // 4 -> 2: two sources of weight 1/2 each.
  const half = areaTable(4, 2);
  assert.deepEqual([...half.src], [0, 1, 2, 3]);
  assert.deepEqual([...half.dst], [0, 0, 1, 1]);
  assert.deepEqual([...half.alpha], [0.5, 0.5, 0.5, 0.5]);
});

/** The exact area-weighted mean of a downscale in float64 (each target cell's overlap). */
function naiveArea(src: Uint8Array, H: number, W: number, h: number, w: number): Float64Array {
  const out = new Float64Array(h * w);
  const overlap = (lo: number, hi: number, i: number) =>
    Math.max(0, Math.min(hi, i + 1) - Math.max(lo, i));
  const sy = H / h, sx = W / w;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let sum = 0;
      for (let i = Math.floor(y * sy); i < Math.min(H, Math.ceil((y + 1) * sy)); i++) {
        const wy = overlap(y * sy, (y + 1) * sy, i);
        for (let j = Math.floor(x * sx); j < Math.min(W, Math.ceil((x + 1) * sx)); j++) {
          sum += wy * overlap(x * sx, (x + 1) * sx, j) * src[i * W + j];
        }
      }
      out[y * w + x] = sum / (sy * sx);
    }
  }
  return out;
}

Deno.test("AreaResizer: 210x160 to 84x84 is the area-weighted mean (within rounding of a float64 reference)", () => {
  const rng = new Rng(11);
  const H = 210, W = 160;
  const src = Uint8Array.from({ length: H * W }, () => rng.int(256));
  const out = new Uint8Array(84 * 84);
  new AreaResizer(H, W, 84, 84).run(src, out);
  const ref = naiveArea(src, H, W, 84, 84);
  for (let i = 0; i < out.length; i++) {
    assert.ok(Math.abs(out[i] - ref[i]) <= 0.5 + 1e-3, `pixel ${i}: ${out[i]} vs ${ref[i]}`);
  }
  // The float32 output is the uint8 levels / 255.
  const unit = new Float32Array(84 * 84);
  areaResizer(H, W, 84, 84).run(src, unit);
  for (let i = 0; i < out.length; i++) assert.equal(unit[i], Math.fround(out[i] / 255));
  // A constant frame stays constant.
  const flat = new Uint8Array(H * W).fill(173);
  areaResizer(H, W, 84, 84).run(flat, out);
  assert.ok(out.every((v) => v === 173));
});

Deno.test("AreaResizer: exact halves round to even; the same shape copies", () => {
  const r = new AreaResizer(1, 8, 1, 4);
  const out = new Uint8Array(4);
  r.run(Uint8Array.of(1, 2, 2, 3, 4, 5, 254, 255), out);
  assert.deepEqual([...out], [2, 2, 4, 254]); // 1.5, 2.5, 4.5, 254.5
  const same = new AreaResizer(2, 3, 2, 3);
  const copy = new Float32Array(6);
  same.run(Uint8Array.of(0, 51, 102, 153, 204, 255), copy);
  assert.deepEqual([...copy], [0, 0.2, 0.4, 0.6, 0.8, 1].map(Math.fround));
});

Deno.test("AreaResizer: sizes that are no downscale are refused naming the size; shared resizers are cached", () => {
  const cases: [number[], string][] = [
    [[0, 5, 1, 1], "Cannot resize frame: sourceHeight must be an integer in [1, Infinity], got 0"],
    [
      [5, 2.5, 1, 1],
      "Cannot resize frame: sourceWidth must be an integer in [1, Infinity], got 2.5",
    ],
    [[5, 5, 6, 1], "Cannot resize frame: targetHeight must be an integer in [1, 5], got 6"],
    [[5, 5, 5, 0], "Cannot resize frame: targetWidth must be an integer in [1, 5], got 0"],
  ];
  for (const [[a, b, c, d], message] of cases) {
    assert.throws(() => new AreaResizer(a, b, c, d), { name: "RangeError", message });
  }
  assert.equal(areaResizer(10, 10, 3, 4), areaResizer(10, 10, 3, 4));
  assert.notEqual(areaResizer(10, 10, 3, 4), areaResizer(10, 10, 4, 3));
});

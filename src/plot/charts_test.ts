import assert from "node:assert/strict";
import { type ChartSpec, heatmap, lines, raster, row, stack } from "./charts.ts";
import { renderSvg } from "./render.ts";

// deno-lint-ignore no-explicit-any
type Any = any;

/** The marks of one chart of a rendered stack: each mark's aria label and path. */
function marks(svg: string, chart: number): { label: string; d: string }[] {
  const start = svg.indexOf(`concat_${chart}_marks"`);
  assert.ok(start >= 0, `chart ${chart} has no marks`);
  const end = svg.indexOf("</g>", start);
  return [...svg.slice(start, end).matchAll(/<path aria-label="([^"]*)"[^>]* d="([^"]*)"/g)]
    .map((m) => ({ label: m[1], d: m[2] }));
}

Deno.test("heatmap: one value per cell, a symmetric colour domain (own or shared), sizes", () => {
  const m = { rows: 2, cols: 3, data: Float64Array.of(1, -4, 0, 0.5, 2, -2) };
  const h = heatmap(m, { title: "g", rowTitle: "r", colTitle: "c" }) as Any;
  assert.deepEqual(h.data.values, [
    { row: 0, col: 0, value: 1 },
    { row: 0, col: 1, value: -4 },
    { row: 0, col: 2, value: 0 },
    { row: 1, col: 0, value: 0.5 },
    { row: 1, col: 1, value: 2 },
    { row: 1, col: 2, value: -2 },
  ]);
  assert.deepEqual(h.encoding.color.scale.domain, [-4, 4]);
  assert.deepEqual([h.width, h.height, h.title], [54, 36, "g"]);
  assert.deepEqual([h.encoding.x.title, h.encoding.y.title], ["c", "r"]);
  const shared = heatmap(m, { extent: 10, width: 7, height: 8 }) as Any;
  assert.deepEqual(shared.encoding.color.scale.domain, [-10, 10]);
  assert.deepEqual([shared.width, shared.height], [7, 8]);
  // All zeros: a unit domain instead of an empty one.
  const zeros = heatmap({ rows: 1, cols: 2, data: new Float64Array(2) }) as Any;
  assert.deepEqual(zeros.encoding.color.scale.domain, [-1, 1]);
});

Deno.test("raster: one point per spike at t dt, groups by unit range, height from n", () => {
  // [T=3][n=2]
  const r = raster(Float64Array.of(1, 0, 0, 2, 1, 1), {
    n: 2,
    steps: 3,
    dtMs: 5,
    groups: [{ name: "LIF", from: 0, to: 1 }],
  }) as Any;
  assert.deepEqual(r.data.values, [
    { t: 0, unit: 0, group: "LIF" },
    { t: 5, unit: 1, group: "unit" },
    { t: 10, unit: 0, group: "LIF" },
    { t: 10, unit: 1, group: "unit" },
  ]);
  assert.deepEqual(r.encoding.x.scale.domain, [0, 15]);
  assert.deepEqual(r.encoding.y.scale.domain, [-0.5, 1.5]);
  assert.equal(r.encoding.color.field, "group");
  assert.equal(r.height, 60, "at least 60");
  assert.equal((raster(new Float64Array(100), { n: 100, steps: 1 }) as Any).height, 240);
  assert.equal((raster(new Float64Array(30), { n: 30, steps: 1 }) as Any).height, 120);
  assert.deepEqual((raster(new Float64Array(2), { n: 2, steps: 1 }) as Any).encoding.color, {
    value: "black",
  });
});

Deno.test("lines: x from dt or given positions; non-finite values and, on a log scale, non-positive ones left out", () => {
  const l = lines([
    { name: "a", values: [1, NaN, 3] },
    { name: "b", values: [0, -1, 2], x: [10, 20, 30] },
  ], { dtMs: 2, logY: true, xTitle: "iteration", yTitle: "loss" }) as Any;
  assert.deepEqual(l.data.values, [
    { x: 0, y: 1, series: "a" },
    { x: 4, y: 3, series: "a" },
    { x: 30, y: 2, series: "b" },
  ]);
  assert.deepEqual(l.encoding.y.scale, { type: "log" });
  assert.deepEqual([l.encoding.x.title, l.encoding.y.title], ["iteration", "loss"]);
  const linear = lines([{ name: "b", values: [0, -1, Infinity] }]) as Any;
  assert.deepEqual(linear.data.values.map((v: Any) => v.y), [0, -1]);
  assert.deepEqual(linear.encoding.y.scale, { zero: false });
});

Deno.test("row and stack: concatenations with independent colour scales", () => {
  const a: ChartSpec = { mark: "point" }, b: ChartSpec = { mark: "line" };
  assert.deepEqual(row([a, b]), { hconcat: [a, b], resolve: { scale: { color: "independent" } } });
  const v = stack([a, b], { title: "t" }) as Any;
  assert.deepEqual([v.vconcat, v.hconcat, v.title], [[a, b], undefined, "t"]);
  assert.match(v.$schema, /vega-lite\/v6/);
  const h = stack([a], { direction: "horizontal" }) as Any;
  assert.deepEqual([h.hconcat, h.vconcat], [[a], undefined]);
});

Deno.test("rendered SVG: one rect per heatmap cell at 18 px per cell, one tick per spike at its time", async () => {
  const svg = await renderSvg(stack([
    heatmap({ rows: 2, cols: 3, data: Float64Array.of(1, -1, 0, 0.5, 2, -2) }),
    raster(Float64Array.of(1, 0, 0, 1, 1, 0), { n: 2, steps: 3 }),
  ]));
  const cells = marks(svg, 0);
  assert.equal(cells.length, 6);
  for (let r = 0; r < 2; r++) {
    for (let c = 0; c < 3; c++) {
      const cell = cells.find((m) => m.label.includes(`row: ${r}; col: ${c}`));
      assert.ok(cell, `cell ${r},${c}`);
      assert.equal(cell.d, `M${18 * c},${18 * r}h18v18h-18Z`);
    }
  }
  // Ticks: width 420 over [0, 3] ms, height 60 over [-0.5, 1.5]; a tick is 1.5 px wide.
  const ticks = marks(svg, 1);
  assert.equal(ticks.length, 3);
  const centres = ticks.map((t) => {
    const [, x, y] = t.d.match(/^M(-?[\d.]+),(-?[\d.]+)/)!.map(Number);
    return [x + 0.75, y + 2.5];
  });
  const want = [[0, 0], [1, 1], [2, 0]].map(([t, u]) => [420 * t / 3, 60 * (1.5 - u) / 2]);
  centres.forEach(([x, y], i) => {
    assert.ok(Math.abs(x - want[i][0]) < 1e-6 && Math.abs(y - want[i][1]) < 1e-6, `tick ${i}`);
  });
});

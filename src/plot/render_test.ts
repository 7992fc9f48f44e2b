import assert from "node:assert/strict";
import { rasterise, renderSvg, saveFigure } from "./render.ts";
import { heatmap, lines, raster, stack } from "./charts.ts";

const PNG_SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

/** Fraction of pixels darker than light grey in the given rows. */
function inkFraction(img: { width: number; pixels: Uint8Array }, rows: [number, number]): number {
  let dark = 0, total = 0;
  for (let y = rows[0]; y < rows[1]; y++) {
    for (let x = 0; x < img.width; x++) {
      const i = 4 * (y * img.width + x);
      if (img.pixels[i] < 128 && img.pixels[i + 1] < 128 && img.pixels[i + 2] < 128) dark++;
      total++;
    }
  }
  return dark / total;
}

Deno.test("text renders in rasterised figures (the bundled font reaches resvg)", async () => {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40">` +
    `<text x="5" y="30" font-family="DejaVu Sans" font-size="24">e-prop 123</text></svg>`;
  const img = await rasterise(svg, { scale: 1 });
  assert.equal(img.width, 200);
  assert.ok(inkFraction(img, [0, 40]) > 0.02, "no text pixels: fonts were not loaded");
  const blank = await rasterise(svg.replace("e-prop 123", ""), { scale: 1 });
  assert.equal(inkFraction(blank, [0, 40]), 0);
});

Deno.test("charts render to SVG with their titles and to PNG files", async () => {
  const spec = stack([
    heatmap({ rows: 2, cols: 3, data: Float64Array.of(1, -1, 0, 0.5, 2, -2) }, {
      title: "gradient map",
    }),
    raster(Float64Array.of(1, 0, 0, 1, 1, 0), { n: 2, steps: 3, title: "spike raster" }),
    lines([{ name: "loss", values: [3, 2, 1] }], { title: "loss curve", logY: true }),
  ], { title: "test figure" });
  const svg = await renderSvg(spec);
  for (const title of ["test figure", "gradient map", "spike raster", "loss curve"]) {
    assert.ok(svg.includes(title), `${title} missing from SVG`);
  }
  const dir = await Deno.makeTempDir();
  try {
    const paths = await saveFigure(spec, { dir, name: "fig" });
    const png = await Deno.readFile(paths.png);
    assert.deepEqual([...png.subarray(0, 8)], PNG_SIGNATURE);
    assert.ok((await Deno.readTextFile(paths.svg)).startsWith("<svg"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

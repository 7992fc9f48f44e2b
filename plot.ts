/**
 * Figures: Vega-Lite spec builders (heatmaps of weight gradients, spike rasters, line charts,
 * rows and stacks of them) and their rendering to SVG by Vega and to PNG by resvg (WebAssembly)
 * with the DejaVu Sans font from its npm package, so text renders offline.
 *
 * This entry loads npm packages (Vega, Vega-Lite, resvg, DejaVu fonts: about 47 MB in a fresh
 * cache) and reads resvg's WebAssembly and the fonts from the local npm cache with Deno's file
 * API, so it is for Deno; the spec builders alone (`heatmap`, `raster`, `lines`, `row`, `stack`)
 * return plain Vega-Lite objects that any Vega-Lite renderer (a browser's vega-embed) can show.
 *
 * @example A heatmap of a small matrix as SVG
 * ```ts
 * import { heatmap, renderSvg, stack } from "./plot.ts";
 * import { matrixFromRows } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const spec = stack([heatmap(matrixFromRows([[1, -1], [0.5, 0]]), { title: "dW" })]);
 * const svg = await renderSvg(spec);
 * assert.ok(svg.startsWith("<svg"));
 * ```
 *
 * @module
 */
export {
  type ChartSize,
  type ChartSpec,
  heatmap,
  lines,
  raster,
  row,
  type Series,
  stack,
} from "./src/plot/charts.ts";
export {
  FIGURE_FONT,
  type FigureSpec,
  type Raster,
  rasterise,
  renderSvg,
  saveFigure,
  svgToPng,
} from "./src/plot/render.ts";
export type { Matrix } from "./src/model/weights.ts";

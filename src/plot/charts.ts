/**
 * Vega-Lite spec builders for the figures of the paper's experiments: heatmaps of weight
 * gradients, spike rasters, and line charts of time series. Each returns a unit spec that
 * {@linkcode stack} combines into one figure.
 *
 * @module
 */
import type { FigureSpec } from "./render.ts";
import type { Matrix } from "../model/weights.ts";

/** A single-view spec (to place in a stack). */
export type ChartSpec = Record<string, unknown>;

/** Common sizing. */
export interface ChartSize {
  /** Chart title. */
  title?: string;
  /** Width in pixels (default 420). */
  width?: number;
  /** Height in pixels (default 160). */
  height?: number;
}

/**
 * A heatmap of a matrix with a diverging colour scale symmetric around 0.
 * @param m The matrix (rows: presynaptic, columns: postsynaptic).
 * @param options Title, size, axis titles, and a shared colour `extent` for side-by-side maps.
 * @returns The chart.
 */
export function heatmap(
  m: Matrix,
  options: ChartSize & { rowTitle?: string; colTitle?: string; extent?: number } = {},
): ChartSpec {
  const values = [];
  let extent = options.extent ?? 0;
  for (let r = 0; r < m.rows; r++) {
    for (let c = 0; c < m.cols; c++) {
      const value = m.data[r * m.cols + c];
      values.push({ row: r, col: c, value });
      if (options.extent === undefined) extent = Math.max(extent, Math.abs(value));
    }
  }
  return {
    title: options.title,
    width: options.width ?? 18 * m.cols,
    height: options.height ?? 18 * m.rows,
    data: { values },
    mark: "rect",
    encoding: {
      x: { field: "col", type: "ordinal", title: options.colTitle ?? "post j" },
      y: { field: "row", type: "ordinal", title: options.rowTitle ?? "pre i" },
      color: {
        field: "value",
        type: "quantitative",
        title: "value",
        scale: { scheme: "redblue", reverse: true, domain: [-extent || -1, extent || 1] },
      },
      tooltip: [{ field: "row" }, { field: "col" }, { field: "value", format: ".3e" }],
    },
  };
}

/**
 * A spike raster of one trial.
 * @param spikes [T][n] values, non-zero where a unit spikes.
 * @param options `n` units, `steps` T, `dtMs`, optional `groups` (colour by name for unit ranges),
 *   title, size.
 * @returns The chart.
 */
export function raster(
  spikes: ArrayLike<number>,
  options: ChartSize & {
    n: number;
    steps: number;
    dtMs?: number;
    groups?: { name: string; from: number; to: number }[];
    unitTitle?: string;
  },
): ChartSpec {
  const { n, steps } = options;
  const dt = options.dtMs ?? 1;
  const groupOf = (j: number) =>
    options.groups?.find((g) => j >= g.from && j < g.to)?.name ?? "unit";
  const values = [];
  for (let t = 0; t < steps; t++) {
    for (let j = 0; j < n; j++) {
      if (spikes[t * n + j] !== 0) values.push({ t: t * dt, unit: j, group: groupOf(j) });
    }
  }
  return {
    title: options.title,
    width: options.width ?? 420,
    height: options.height ?? Math.max(60, Math.min(240, 4 * n)),
    data: { values },
    mark: { type: "tick", orient: "vertical", thickness: 1.5 },
    encoding: {
      x: {
        field: "t",
        type: "quantitative",
        title: "time (ms)",
        scale: { domain: [0, steps * dt] },
      },
      y: {
        field: "unit",
        type: "quantitative",
        title: options.unitTitle ?? "neuron",
        scale: { domain: [-0.5, n - 0.5] },
      },
      color: options.groups ? { field: "group", type: "nominal", title: null } : { value: "black" },
    },
  };
}

/** One named time series. */
export interface Series {
  /** Legend name. */
  name: string;
  /** Values, one per step (or per `x`). */
  values: ArrayLike<number>;
  /** x positions (default: step index times dt). */
  x?: ArrayLike<number>;
}

/**
 * A line chart of several series.
 * @param series The series.
 * @param options Title, size, axis titles, dt, log-scale y.
 * @returns The chart.
 */
export function lines(
  series: Series[],
  options: ChartSize & { xTitle?: string; yTitle?: string; dtMs?: number; logY?: boolean } = {},
): ChartSpec {
  const dt = options.dtMs ?? 1;
  const values = [];
  for (const s of series) {
    for (let i = 0; i < s.values.length; i++) {
      const y = s.values[i];
      if (!Number.isFinite(y) || (options.logY && y <= 0)) continue;
      values.push({ x: s.x ? s.x[i] : i * dt, y, series: s.name });
    }
  }
  return {
    title: options.title,
    width: options.width ?? 420,
    height: options.height ?? 160,
    data: { values },
    mark: { type: "line", strokeWidth: 1.5 },
    encoding: {
      x: { field: "x", type: "quantitative", title: options.xTitle ?? "time (ms)" },
      y: {
        field: "y",
        type: "quantitative",
        title: options.yTitle ?? "",
        scale: options.logY ? { type: "log" } : { zero: false },
      },
      color: { field: "series", type: "nominal", title: null, legend: { labelLimit: 400 } },
    },
  };
}

/**
 * Places charts side by side, as one chart of a larger stack.
 * @param charts The charts, left to right.
 * @returns The row.
 */
export function row(charts: ChartSpec[]): ChartSpec {
  return { hconcat: charts, resolve: { scale: { color: "independent" } } };
}

/**
 * Stacks charts into one figure.
 * @param charts The charts, top to bottom (or left to right).
 * @param options Figure title and direction (default vertical).
 * @returns The figure spec.
 */
export function stack(
  charts: ChartSpec[],
  options: { title?: string; direction?: "vertical" | "horizontal" } = {},
): FigureSpec {
  const key = (options.direction ?? "vertical") === "vertical" ? "vconcat" : "hconcat";
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: options.title,
    [key]: charts,
    resolve: { scale: { color: "independent" } },
    config: { view: { stroke: "#ddd" }, axis: { labelFontSize: 10, titleFontSize: 11 } },
  } as unknown as FigureSpec;
}

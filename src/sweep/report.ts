/**
 * The report of a sweep: its finished runs' numbers (the experiment's metrics from each
 * results.json), one row per run and one per setting with the mean and spread over the
 * averaged-over flag (the seeds), as Markdown tables, JSON, and a figure of the first metric.
 *
 * @module
 */
import type { FigureSpec } from "../plot/render.ts";
import { metricValue, type SweepMetric } from "./experiments.ts";
import type { SweepRun } from "./runs.ts";

/** Mean and spread of a list of numbers. */
export interface Spread {
  /** How many. */
  n: number;
  /** Mean (NaN for none). */
  mean: number;
  /** Sample standard deviation (n - 1; NaN for fewer than two). */
  sd: number;
  /** Smallest. */
  min: number;
  /** Largest. */
  max: number;
}

/**
 * Mean, sample standard deviation, minimum and maximum.
 * @param xs The numbers.
 * @returns Their spread.
 */
export function spread(xs: readonly number[]): Spread {
  const n = xs.length;
  if (n === 0) return { n, mean: NaN, sd: NaN, min: NaN, max: NaN };
  let sum = 0;
  for (const x of xs) sum += x;
  const mean = sum / n;
  let ss = 0;
  for (const x of xs) ss += (x - mean) ** 2;
  return {
    n,
    mean,
    sd: n > 1 ? Math.sqrt(ss / (n - 1)) : NaN,
    min: Math.min(...xs),
    max: Math.max(...xs),
  };
}

/**
 * A number as the metric prints it.
 * @param x The number.
 * @param format The metric's format.
 * @returns Text ("-" for a missing number).
 */
export function formatMetric(x: number | undefined, format: SweepMetric["format"]): string {
  if (x === undefined || !Number.isFinite(x)) return "-";
  if (format === "percent") return `${(100 * x).toFixed(2)}%`;
  if (format === "integer") return Number.isInteger(x) ? String(x) : x.toFixed(1);
  return x.toPrecision(4);
}

/** One setting's numbers. */
export interface SettingSummary {
  /** The setting (the varying flags but the averaged-over one). */
  setting: string;
  /** Runs of the setting in the sweep. */
  planned: number;
  /** Spread of each metric over the finished runs, by metric name. */
  metrics: Record<string, Spread>;
}

/** A sweep's report. */
export interface SweepReport {
  /** One line per run: label, job id and metrics (undefined where not finished). */
  runs: {
    label: string;
    setting: string;
    jobId: string;
    values?: Record<string, number | null>;
  }[];
  /** One entry per setting, in the sweep's order. */
  settings: SettingSummary[];
}

/**
 * Collects the numbers of the finished runs.
 * @param runs The sweep's runs.
 * @param results results.json of the finished runs, by job id.
 * @param metrics The experiment's metrics.
 * @returns The report.
 */
export function sweepReport(
  runs: readonly SweepRun[],
  results: ReadonlyMap<string, unknown>,
  metrics: readonly SweepMetric[],
): SweepReport {
  const report: SweepReport = { runs: [], settings: [] };
  const bySetting = new Map<string, { planned: number; values: Record<string, number[]> }>();
  for (const run of runs) {
    let group = bySetting.get(run.setting);
    if (!group) {
      group = { planned: 0, values: Object.fromEntries(metrics.map((m) => [m.name, []])) };
      bySetting.set(run.setting, group);
    }
    group.planned++;
    const r = results.get(run.jobId);
    if (r === undefined) {
      report.runs.push({ label: run.label, setting: run.setting, jobId: run.jobId });
      continue;
    }
    const values: Record<string, number | null> = {};
    for (const m of metrics) {
      const x = metricValue(r, m.path);
      values[m.name] = x ?? null;
      if (x !== undefined) group.values[m.name].push(x);
    }
    report.runs.push({ label: run.label, setting: run.setting, jobId: run.jobId, values });
  }
  for (const [setting, g] of bySetting) {
    report.settings.push({
      setting,
      planned: g.planned,
      metrics: Object.fromEntries(metrics.map((m) => [m.name, spread(g.values[m.name])])),
    });
  }
  return report;
}

/**
 * The report as two Markdown tables: per setting (mean ± sample sd over the finished runs, and
 * how many finished), then per run.
 * @param report The report.
 * @param metrics The experiment's metrics.
 * @returns The lines.
 */
export function formatSweepReport(report: SweepReport, metrics: readonly SweepMetric[]): string[] {
  const head = ["setting", "runs", ...metrics.map((m) => `${m.name} (mean ± sd)`)];
  const lines = [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`];
  for (const s of report.settings) {
    const n = Math.max(0, ...metrics.map((m) => s.metrics[m.name].n));
    const cells = metrics.map((m) => {
      const x = s.metrics[m.name];
      if (x.n === 0) return "-";
      const format = m.format;
      const sd = Number.isFinite(x.sd) ? ` ± ${formatMetric(x.sd, format)}` : "";
      return `${formatMetric(x.mean, format)}${sd}`;
    });
    lines.push(`| ${[s.setting || "(all)", `${n}/${s.planned}`, ...cells].join(" | ")} |`);
  }
  const runHead = ["run", "job id", ...metrics.map((m) => m.name)];
  lines.push("", `| ${runHead.join(" | ")} |`, `|${runHead.map(() => "---").join("|")}|`);
  for (const r of report.runs) {
    const cells = metrics.map((m) =>
      r.values ? formatMetric(r.values[m.name] ?? undefined, m.format) : "not finished"
    );
    lines.push(`| ${[r.label || "(the run)", r.jobId, ...cells].join(" | ")} |`);
  }
  return lines;
}

/**
 * A figure of the first metric: per setting, the mean with ± 1 sd and each run as a dot.
 * @param report The report.
 * @param metric The metric.
 * @param title Title line.
 * @returns The figure.
 */
export function sweepFigure(report: SweepReport, metric: SweepMetric, title: string): FigureSpec {
  const scale = metric.format === "percent" ? 100 : 1;
  const label = metric.format === "percent" ? `${metric.name} (%)` : metric.name;
  const means = report.settings.filter((s) => s.metrics[metric.name].n > 0).map((s) => {
    const x = s.metrics[metric.name];
    const sd = Number.isFinite(x.sd) ? x.sd : 0;
    return {
      setting: s.setting || "(all)",
      mean: scale * x.mean,
      lo: scale * (x.mean - sd),
      hi: scale * (x.mean + sd),
    };
  });
  const dots = report.runs.filter((r) => r.values?.[metric.name] != null).map((r) => ({
    setting: r.setting || "(all)",
    value: scale * (r.values![metric.name] as number),
  }));
  const x = {
    field: "setting",
    type: "nominal",
    title: null,
    sort: null,
    axis: { labelAngle: -20, labelLimit: 400 },
  };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title,
    width: Math.max(120, 90 * means.length),
    height: 220,
    layer: [
      {
        data: { values: means },
        mark: { type: "bar", color: "#9ecae1" },
        encoding: { x, y: { field: "mean", type: "quantitative", title: label } },
      },
      {
        data: { values: means },
        mark: { type: "rule", color: "black" },
        encoding: { x, y: { field: "lo", type: "quantitative" }, y2: { field: "hi" } },
      },
      {
        data: { values: dots },
        mark: { type: "point", color: "black", filled: true, size: 25 },
        encoding: { x, y: { field: "value", type: "quantitative" } },
      },
    ],
  } as FigureSpec;
}

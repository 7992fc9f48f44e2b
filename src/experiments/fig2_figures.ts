/**
 * Figures of Fig. 2 as Vega-Lite specs: the confusion matrix of the 39 scoring classes, one test
 * utterance (features with phone labels, spike rasters of both directions, phone posteriors over
 * time with the true labels), and the learning curves of several runs on one plot.
 *
 * @module
 */
import type { FigureSpec } from "../plot/render.ts";
import { type ChartSpec, stack } from "../plot/charts.ts";

/** A confusion matrix of frame classifications. */
export interface ConfusionData {
  /** Class names. */
  classes: readonly string[];
  /** Frame counts [true][predicted], classes x classes. */
  counts: Float64Array;
  /** Title line. */
  title: string;
}

/**
 * The confusion matrix, each row normalised by its true class's frames (a perfect classifier is
 * the diagonal); classes without frames are left out.
 * @param d Counts and names.
 * @returns The figure.
 */
export function confusionFigure(d: ConfusionData): FigureSpec {
  const n = d.classes.length;
  if (d.counts.length !== n * n) {
    throw new RangeError(`Cannot draw confusion matrix: counts must hold ${n}x${n} values`);
  }
  const present = d.classes.filter((_, i) => {
    let s = 0;
    for (let j = 0; j < n; j++) s += d.counts[i * n + j];
    return s > 0;
  });
  const values = [];
  for (let i = 0; i < n; i++) {
    let total = 0;
    for (let j = 0; j < n; j++) total += d.counts[i * n + j];
    if (total === 0) continue;
    for (let j = 0; j < n; j++) {
      const c = d.counts[i * n + j];
      if (c > 0) values.push({ truth: d.classes[i], predicted: d.classes[j], p: c / total, c });
    }
  }
  const chart: ChartSpec = {
    width: 13 * present.length,
    height: 13 * present.length,
    data: { values },
    mark: "rect",
    encoding: {
      x: { field: "predicted", type: "nominal", sort: present, title: "predicted class" },
      y: { field: "truth", type: "nominal", sort: present, title: "true class" },
      color: {
        field: "p",
        type: "quantitative",
        title: "fraction",
        scale: { scheme: "blues", domain: [0, 1] },
      },
      tooltip: [{ field: "truth" }, { field: "predicted" }, { field: "p", format: ".3f" }, {
        field: "c",
      }],
    },
  };
  return stack([chart], { title: d.title });
}

/** One spike raster of a population over an utterance. */
export interface PopulationRaster {
  /** Panel title (e.g. "forward direction: 40 of 400 neurons"). */
  title: string;
  /** Spikes [steps][n] (non-zero where a neuron spikes). */
  spikes: ArrayLike<number>;
  /** Neurons shown. */
  n: number;
  /** Steps. */
  steps: number;
}

/** What the utterance figure shows. */
export interface Fig2UtteranceData {
  /** Figure title (utterance id, frame error). */
  title: string;
  /** Features [frames][dim] (z-scored). */
  features: ArrayLike<number>;
  /** Features per frame. */
  dim: number;
  /** Features drawn: the first `shown` of each frame (the static ones, before the deltas). */
  shown: number;
  /** Frames. */
  frames: number;
  /** True phone id per frame. */
  labels: ArrayLike<number>;
  /** Phone names (id -> name). */
  phones: readonly string[];
  /** Posterior probabilities [frames][phones]. */
  posteriors: ArrayLike<number>;
  /** Spike rasters (LSNN), in input time; none for an LSTM. */
  rasters: PopulationRaster[];
  /** Network steps per frame (the rasters' time axis). */
  repeat: number;
  /** Width in pixels (default 900). */
  width?: number;
}

/**
 * The utterance figure: features with the phone segments, spike rasters, posteriors with the
 * true phone of each frame marked, all on one time axis in seconds (frames of 10 ms).
 * @param d The utterance.
 * @returns The figure.
 */
export function fig2UtteranceFigure(d: Fig2UtteranceData): FigureSpec {
  const width = d.width ?? 900, F = d.frames, P = d.phones.length;
  const seconds = F / 100;
  const time = (title: string | null = null) => ({
    field: "t",
    type: "quantitative",
    title,
    scale: { domain: [0, seconds], nice: false },
  });
  const feat = [];
  for (let f = 0; f < F; f++) {
    for (let i = 0; i < d.shown; i++) {
      feat.push({ t: f / 100, t2: (f + 1) / 100, i, v: d.features[f * d.dim + i] });
    }
  }
  const features: ChartSpec = {
    title: `input features (the first ${d.shown} of ${d.dim} per frame)`,
    width,
    height: 110,
    data: { values: feat },
    mark: "rect",
    encoding: {
      x: time(),
      x2: { field: "t2" },
      y: { field: "i", type: "ordinal", title: "feature", axis: null },
      color: {
        field: "v",
        type: "quantitative",
        title: "z-score",
        scale: { scheme: "viridis", domain: [-2.5, 2.5], clamp: true },
      },
    },
  };
  const segments: { start: number; end: number; phone: string }[] = [];
  for (let f = 0; f < F; f++) {
    const phone = d.phones[d.labels[f]];
    const last = segments.at(-1);
    if (last && last.phone === phone && last.end === f) last.end = f + 1;
    else segments.push({ start: f, end: f + 1, phone });
  }
  const labelRow: ChartSpec = {
    title: "true phones",
    width,
    height: 26,
    data: {
      values: segments.map((s) => ({
        t: s.start / 100,
        t2: s.end / 100,
        mid: (s.start + s.end) / 200,
        phone: s.phone,
      })),
    },
    layer: [
      {
        mark: { type: "rect", stroke: "#999", fill: "#f4f4f4" },
        encoding: { x: time(), x2: { field: "t2" } },
      },
      {
        mark: { type: "text", fontSize: 9, angle: 270 },
        encoding: {
          x: { field: "mid", type: "quantitative", scale: { domain: [0, seconds], nice: false } },
          text: { field: "phone" },
        },
      },
    ],
  };
  const rasters: ChartSpec[] = d.rasters.map((r) => {
    const values = [];
    for (let s = 0; s < r.steps; s++) {
      for (let j = 0; j < r.n; j++) {
        if (r.spikes[s * r.n + j] !== 0) values.push({ t: s / (100 * d.repeat), unit: j });
      }
    }
    return {
      title: r.title,
      width,
      height: Math.max(60, Math.min(160, 3 * r.n)),
      data: { values },
      mark: { type: "tick", orient: "vertical", thickness: 1, size: 2.5 },
      encoding: {
        x: time(),
        y: {
          field: "unit",
          type: "quantitative",
          title: "neuron",
          scale: { domain: [-0.5, r.n - 0.5] },
        },
        color: { value: "black" },
      },
    };
  });
  const post = [], truth = [];
  for (let f = 0; f < F; f++) {
    for (let k = 0; k < P; k++) {
      const p = d.posteriors[f * P + k];
      if (p >= 0.02) post.push({ t: f / 100, t2: (f + 1) / 100, phone: d.phones[k], p });
    }
    truth.push({ t: (f + 0.5) / 100, phone: d.phones[d.labels[f]] });
  }
  const posteriors: ChartSpec = {
    title: "phone posteriors (shade) and the true phone of each frame (red)",
    width,
    height: 5 * P,
    layer: [
      {
        data: { values: post },
        mark: "rect",
        encoding: {
          x: time("time (s)"),
          x2: { field: "t2" },
          y: { field: "phone", type: "nominal", sort: d.phones, title: "phone" },
          color: {
            field: "p",
            type: "quantitative",
            title: "posterior",
            scale: { scheme: "greys", domain: [0, 1] },
          },
        },
      },
      {
        data: { values: truth },
        mark: { type: "point", shape: "circle", size: 4, color: "#d62728", filled: true },
        encoding: {
          x: time("time (s)"),
          y: { field: "phone", type: "nominal", sort: d.phones },
        },
      },
    ],
    resolve: { scale: { y: "shared" } },
  };
  return stack([features, labelRow, ...rasters, posteriors], { title: d.title });
}

/** One run's learning curve. */
export interface LearningCurve {
  /** Legend name (method). */
  name: string;
  /** Epoch of each point. */
  epochs: number[];
  /** Validation frame error (39 classes) per point, in [0, 1]. */
  validation: number[];
  /** Test frame error (39 classes) per point. */
  test: number[];
}

/**
 * The learning curves of several runs: validation and test frame error (39 classes, %) against
 * epochs, one line per run, side by side.
 * @param curves The runs.
 * @param title Figure title.
 * @returns The figure.
 */
export function learningCurvesFigure(curves: LearningCurve[], title: string): FigureSpec {
  let lowest = 100;
  for (const c of curves) {
    for (const e of [...c.validation, ...c.test]) lowest = Math.min(lowest, 100 * e);
  }
  const ticks = [1, 2, 5, 10, 15, 20, 30, 40, 60, 80, 100];
  const floor = ticks.filter((t) => t <= lowest).at(-1) ?? 0.5;
  const panel = (which: "validation" | "test"): ChartSpec => {
    const values = [];
    for (const c of curves) {
      for (let i = 0; i < c.epochs.length; i++) {
        values.push({ epoch: c.epochs[i], error: 100 * c[which][i], run: c.name });
      }
    }
    return {
      title: `${which} frame error (39 classes)`,
      width: 380,
      height: 240,
      data: { values },
      mark: { type: "line", point: true, strokeWidth: 1.5 },
      encoding: {
        x: { field: "epoch", type: "quantitative", title: "epoch" },
        y: {
          field: "error",
          type: "quantitative",
          title: "frame error (%, log scale)",
          scale: { type: "log", domain: [floor, 100] },
          axis: { values: ticks.filter((t) => t >= floor) },
        },
        color: {
          field: "run",
          type: "nominal",
          title: null,
          sort: curves.map((c) => c.name),
          legend: { labelLimit: 400 },
        },
      },
    };
  };
  return stack([{ hconcat: [panel("validation"), panel("test")] }], { title });
}

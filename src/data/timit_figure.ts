/**
 * A figure of one utterance: the waveform, the log mel filter bank (40 bands, a heatmap) and the
 * frame labels (the phone each 10 ms frame is trained on, names along the time axis), on one time
 * axis. A Vega-Lite spec for the project's plotting module (src/plot/render.ts `saveFigure`).
 *
 * @module
 */
import type { FigureSpec } from "../plot/render.ts";
import type { ChartSpec } from "../plot/charts.ts";
import { stack } from "../plot/charts.ts";
import { frameLabels, logFilterbank, SPEECH_FRAME_STEP } from "./speech_features.ts";
import type { Segment } from "./timit_corpus.ts";
import { foldPhone } from "./timit_corpus.ts";

/** What {@linkcode utteranceFigure} shows. */
export interface UtteranceFigureData {
  /** Title (e.g. the utterance id and its text). */
  title: string;
  /** The samples at 16 kHz. */
  samples: Int16Array;
  /** The phone segments (`.PHN`). */
  phones: readonly Segment[];
  /** Width of the panels in pixels (default 900). */
  width?: number;
}

/**
 * The figure.
 * @param d The utterance.
 * @returns The Vega-Lite spec.
 */
export function utteranceFigure(d: UtteranceFigureData): FigureSpec {
  const rate = 16000;
  const width = d.width ?? 900;
  const seconds = d.samples.length / rate;
  const time = {
    field: "t",
    type: "quantitative",
    title: null,
    scale: { domain: [0, seconds], nice: false },
  };
  // Waveform: the min and max of each pixel column.
  const columns = Math.min(width * 2, d.samples.length);
  const wave = [];
  for (let c = 0; c < columns; c++) {
    const a = Math.floor((c * d.samples.length) / columns);
    const b = Math.max(a + 1, Math.floor(((c + 1) * d.samples.length) / columns));
    let lo = Infinity, hi = -Infinity;
    for (let i = a; i < b; i++) {
      lo = Math.min(lo, d.samples[i]);
      hi = Math.max(hi, d.samples[i]);
    }
    wave.push({ t: a / rate, lo, hi });
  }
  const waveform: ChartSpec = {
    title: "waveform",
    width,
    height: 90,
    data: { values: wave },
    mark: { type: "area", color: "#335", opacity: 0.9 },
    encoding: {
      x: time,
      y: { field: "lo", type: "quantitative", title: "amplitude" },
      y2: { field: "hi" },
    },
  };
  // Filter bank.
  const fb = logFilterbank(d.samples);
  const bands = fb.fbank.length / fb.frames;
  const step = SPEECH_FRAME_STEP / rate;
  const cells = [];
  for (let f = 0; f < fb.frames; f++) {
    for (let b = 0; b < bands; b++) {
      // Frame f covers samples f*160 .. f*160+400; drawn over its 10 ms hop, centred.
      const t0 = f * step + 0.0075;
      cells.push({ t: t0, t2: t0 + step, b, b2: b + 1, v: fb.fbank[f * bands + b] });
    }
  }
  const filterbank: ChartSpec = {
    title: `log mel filter bank (${bands} bands, ${fb.frames} frames of 25 ms every 10 ms)`,
    width,
    height: 160,
    data: { values: cells },
    mark: { type: "rect", strokeWidth: 0 },
    encoding: {
      x: time,
      x2: { field: "t2" },
      y: { field: "b", type: "quantitative", title: "mel band", scale: { domain: [0, bands] } },
      y2: { field: "b2" },
      color: {
        field: "v",
        type: "quantitative",
        title: "log energy",
        scale: { scheme: "viridis" },
      },
    },
  };
  // Frame labels, as runs of equal labels.
  const labels = frameLabels([...d.phones], fb.frames);
  const runs: { t: number; t2: number; mid: number; phone: string; shade: number }[] = [];
  for (let f = 0; f < labels.length;) {
    let g = f;
    while (g + 1 < labels.length && labels[g + 1] === labels[f]) g++;
    const t = f * step + 0.0075, t2 = (g + 1) * step + 0.0075;
    runs.push({ t, t2, mid: (t + t2) / 2, phone: labels[f], shade: runs.length % 2 });
    f = g + 1;
  }
  const phoneStrip: ChartSpec = {
    title: "frame labels (61 TIMIT phones; grey: silence or closure in the 39-class folding)",
    width,
    height: 44,
    data: {
      values: runs.map((r) => ({ ...r, sil: foldPhone(r.phone) === "sil" ? 1 : 0 })),
    },
    layer: [
      {
        mark: { type: "rect", stroke: "white", strokeWidth: 0.5 },
        encoding: {
          x: { ...time, title: "time (s)" },
          x2: { field: "t2" },
          color: {
            condition: { test: "datum.sil === 1", value: "#d9d9d9" },
            value: "#9ecae1",
          },
        },
      },
      {
        mark: { type: "text", fontSize: 9, angle: 0, baseline: "middle" },
        encoding: { x: { field: "mid", type: "quantitative" }, text: { field: "phone" } },
      },
    ],
  };
  const spec = stack([waveform, filterbank, phoneStrip], { title: d.title });
  const top = spec as unknown as Record<string, unknown>;
  top.resolve = { scale: { color: "independent", x: "shared" } };
  return spec;
}

/// <reference lib="dom" />
/**
 * The live page's figures, drawn on plain canvases: the learning curve, and one trial's input
 * and recurrent spike rasters, softmax readout and learning signals on a shared time axis (the
 * panels of Fig. 3).
 *
 * @module
 */
import type { IterationRecord, Snapshot, ValidationRecord } from "./session.ts";

const FONT = "11px system-ui, sans-serif";
const AXIS = "#444";
const GRID = "#e4e4e4";
/** Colours of the input groups: left cue, right cue, recall, noise. */
const INPUT_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#999999"];
const LIF = "#222222";
const ALIF = "#8e44ad";

/** A rectangle of a canvas in CSS pixels. */
interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/**
 * Sizes a canvas for the device pixel ratio and returns its context in CSS pixels.
 * @param canvas The canvas (its CSS size is its layout size).
 * @returns The context and the CSS size.
 */
function prepare(
  canvas: HTMLCanvasElement,
): { ctx: CanvasRenderingContext2D; w: number; h: number } {
  const ratio = globalThis.devicePixelRatio || 1;
  const w = canvas.clientWidth || canvas.width, h = canvas.clientHeight || canvas.height;
  if (canvas.width !== Math.round(w * ratio) || canvas.height !== Math.round(h * ratio)) {
    canvas.width = Math.round(w * ratio);
    canvas.height = Math.round(h * ratio);
  }
  const ctx = canvas.getContext("2d")!;
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, w, h);
  ctx.font = FONT;
  return { ctx, w, h };
}

function niceTicks(lo: number, hi: number, count: number): number[] {
  const span = hi - lo || 1;
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9 * span; v += step) {
    ticks.push(Math.abs(v) < 1e-12 ? 0 : v);
  }
  return ticks;
}

function label(ctx: CanvasRenderingContext2D, text: string, box: Box): void {
  ctx.fillStyle = "#111";
  ctx.textAlign = "left";
  ctx.textBaseline = "bottom";
  ctx.font = "bold " + FONT;
  ctx.fillText(text, box.x, box.y - 3);
  ctx.font = FONT;
}

function yAxis(
  ctx: CanvasRenderingContext2D,
  box: Box,
  lo: number,
  hi: number,
  format: (v: number) => string,
): (v: number) => number {
  const y = (v: number) => box.y + box.h - (v - lo) / (hi - lo || 1) * box.h;
  ctx.strokeStyle = GRID;
  ctx.fillStyle = AXIS;
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  ctx.lineWidth = 1;
  for (const v of niceTicks(lo, hi, 4)) {
    ctx.beginPath();
    ctx.moveTo(box.x, Math.round(y(v)) + 0.5);
    ctx.lineTo(box.x + box.w, Math.round(y(v)) + 0.5);
    ctx.stroke();
    ctx.fillText(format(v), box.x - 4, y(v));
  }
  ctx.strokeStyle = AXIS;
  ctx.strokeRect(box.x + 0.5, box.y + 0.5, box.w, box.h);
  return y;
}

function xAxis(
  ctx: CanvasRenderingContext2D,
  box: Box,
  lo: number,
  hi: number,
  title: string,
): (v: number) => number {
  const x = (v: number) => box.x + (v - lo) / (hi - lo || 1) * box.w;
  ctx.fillStyle = AXIS;
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  for (const v of niceTicks(lo, hi, 8)) ctx.fillText(String(v), x(v), box.y + box.h + 3);
  ctx.fillText(title, box.x + box.w / 2, box.y + box.h + 16);
  return x;
}

function polyline(
  ctx: CanvasRenderingContext2D,
  points: [number, number][],
  color: string,
  width = 1.5,
): void {
  if (points.length === 0) return;
  ctx.strokeStyle = color;
  ctx.lineWidth = width;
  ctx.beginPath();
  points.forEach(([px, py], i) => (i === 0 ? ctx.moveTo(px, py) : ctx.lineTo(px, py)));
  ctx.stroke();
  ctx.lineWidth = 1;
}

function legend(ctx: CanvasRenderingContext2D, box: Box, items: [string, string][]): void {
  let x = box.x + box.w;
  ctx.textBaseline = "bottom";
  ctx.textAlign = "right";
  for (const [text, color] of [...items].reverse()) {
    ctx.fillStyle = "#333";
    ctx.fillText(text, x, box.y - 3);
    x -= ctx.measureText(text).width + 4;
    ctx.fillStyle = color;
    ctx.fillRect(x - 10, box.y - 9, 10, 3);
    x -= 22;
  }
}

/**
 * The learning curve: training loss (each batch, and its running mean), validation loss, and
 * validation error with the 7% criterion.
 * @param canvas Where to draw.
 * @param iterations Training iterations so far.
 * @param validations Validations so far.
 */
export function drawLearningCurve(
  canvas: HTMLCanvasElement,
  iterations: IterationRecord[],
  validations: ValidationRecord[],
): void {
  const { ctx, w, h } = prepare(canvas);
  const left = 44, right = 10;
  const top: Box = { x: left, y: 22, w: w - left - right, h: h * 0.5 - 40 };
  const bottom: Box = { x: left, y: h * 0.5 + 14, w: w - left - right, h: h * 0.5 - 46 };
  const last = Math.max(
    20,
    iterations.at(-1)?.iteration ?? 0,
    validations.at(-1)?.iteration ?? 0,
  );
  const losses = [...iterations.map((r) => r.loss), ...validations.map((v) => v.loss)];
  const hi = Math.max(0.8, ...losses.filter(Number.isFinite));
  label(ctx, "loss", top);
  legend(ctx, top, [["batch", "#bbb"], ["batch, mean of 10", "#1f77b4"], [
    "validation",
    "#ff7f0e",
  ]]);
  const yl = yAxis(ctx, top, 0, hi, (v) => v.toFixed(1));
  const xl = xAxis(ctx, top, 0, last, "");
  ctx.save();
  ctx.beginPath();
  ctx.rect(top.x, top.y, top.w, top.h);
  ctx.clip();
  polyline(ctx, iterations.map((r) => [xl(r.iteration), yl(r.loss)]), "#bbb", 1);
  const mean: [number, number][] = [];
  let sum = 0;
  iterations.forEach((r, i) => {
    sum += r.loss - (i >= 10 ? iterations[i - 10].loss : 0);
    mean.push([xl(r.iteration), yl(sum / Math.min(i + 1, 10))]);
  });
  polyline(ctx, mean, "#1f77b4", 2);
  polyline(ctx, validations.map((v) => [xl(v.iteration), yl(v.loss)]), "#ff7f0e", 2);
  ctx.restore();

  label(ctx, "validation error (%)", bottom);
  legend(ctx, bottom, [["7% criterion", "#2ca02c"]]);
  const ye = yAxis(ctx, bottom, 0, 60, (v) => v.toFixed(0));
  const xe = xAxis(ctx, bottom, 0, last, "iteration");
  ctx.save();
  ctx.beginPath();
  ctx.rect(bottom.x, bottom.y, bottom.w, bottom.h);
  ctx.clip();
  ctx.setLineDash([4, 3]);
  polyline(ctx, [[bottom.x, ye(7)], [bottom.x + bottom.w, ye(7)]], "#2ca02c", 1);
  ctx.setLineDash([]);
  polyline(ctx, validations.map((v) => [xe(v.iteration), ye(100 * v.error)]), "#ff7f0e", 2);
  ctx.fillStyle = "#ff7f0e";
  for (const v of validations) ctx.fillRect(xe(v.iteration) - 2, ye(100 * v.error) - 2, 4, 4);
  ctx.restore();
}

function raster(
  ctx: CanvasRenderingContext2D,
  box: Box,
  data: Uint8Array,
  shape: { steps: number; rows: number },
  color: (row: number) => string,
): void {
  const { steps: T, rows } = shape;
  const rowH = box.h / rows;
  const colW = Math.max(box.w / T, 1);
  const mark = Math.max(rowH * 0.8, 1);
  for (let j = 0; j < rows; j++) {
    ctx.fillStyle = color(j);
    const y = box.y + j * rowH + (rowH - mark) / 2;
    for (let t = 0; t < T; t++) {
      if (data[t * rows + j]) ctx.fillRect(box.x + t / T * box.w, y, colW, mark);
    }
  }
  ctx.strokeStyle = AXIS;
  ctx.strokeRect(box.x + 0.5, box.y + 0.5, box.w, box.h);
}

function diverging(v: number): [number, number, number] {
  // Blue (negative), white (0), red (positive); v in [-1, 1].
  const a = Math.min(1, Math.abs(v));
  return v < 0
    ? [255 * (1 - a) + 33 * a, 255 * (1 - a) + 102 * a, 255 * (1 - a) + 172 * a]
    : [255 * (1 - a) + 178 * a, 255 * (1 - a) + 24 * a, 255 * (1 - a) + 43 * a];
}

function heatmap(ctx: CanvasRenderingContext2D, box: Box, s: Snapshot): number {
  const { steps: T, nRec } = s;
  let scale = 0;
  for (const v of s.signals) scale = Math.max(scale, Math.abs(v));
  const cols = Math.max(1, Math.round(box.w)), rows = nRec;
  const image = ctx.createImageData(cols, rows);
  for (let j = 0; j < rows; j++) {
    for (let c = 0; c < cols; c++) {
      // Each pixel column shows the value of largest magnitude in its time bin.
      const from = Math.floor(c / cols * T),
        to = Math.max(from + 1, Math.floor((c + 1) / cols * T));
      let v = 0;
      for (let t = from; t < to; t++) {
        const x = s.signals[t * nRec + j];
        if (Math.abs(x) > Math.abs(v)) v = x;
      }
      const [r, g, b] = diverging(scale > 0 ? v / scale : 0);
      const k = 4 * (j * cols + c);
      image.data[k] = r;
      image.data[k + 1] = g;
      image.data[k + 2] = b;
      image.data[k + 3] = 255;
    }
  }
  const tmp = new OffscreenCanvas(cols, rows);
  tmp.getContext("2d")!.putImageData(image, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(tmp, box.x, box.y, box.w, box.h);
  ctx.strokeStyle = AXIS;
  ctx.strokeRect(box.x + 0.5, box.y + 0.5, box.w, box.h);
  return scale;
}

/**
 * One trial: input spikes by group, recurrent spikes (LIF, ALIF), the softmax readout with the
 * recall period shaded, and the learning signals as a map (blue negative, red positive).
 * @param canvas Where to draw.
 * @param s The snapshot.
 */
export function drawTrial(canvas: HTMLCanvasElement, s: Snapshot): void {
  const { ctx, w, h } = prepare(canvas);
  const left = 44, right = 10, gap = 26;
  const width = w - left - right;
  const heights = [0.17, 0.33, 0.22, 0.28].map((f) => f * (h - 4 * gap - 30));
  const boxes: Box[] = [];
  let y = gap;
  for (const hh of heights) {
    boxes.push({ x: left, y, w: width, h: hh });
    y += hh + gap;
  }
  const [inBox, recBox, outBox, sigBox] = boxes;
  const T = s.steps, C = s.nIn / 4;
  const recallStart = T - s.recallSteps;
  const side = (k: number) => (k === 0 ? "left" : "right");

  label(ctx, `input spikes (trial of iteration ${s.iteration})`, inBox);
  legend(ctx, inBox, [["left cue", INPUT_COLORS[0]], ["right cue", INPUT_COLORS[1]], [
    "recall",
    INPUT_COLORS[2],
  ], ["noise", INPUT_COLORS[3]]]);
  raster(ctx, inBox, s.inputs, { steps: T, rows: s.nIn }, (j) => INPUT_COLORS[Math.floor(j / C)]);

  label(ctx, `recurrent spikes (${s.nRegular} LIF, ${s.nRec - s.nRegular} ALIF)`, recBox);
  legend(ctx, recBox, [["LIF", LIF], ["ALIF", ALIF]]);
  raster(ctx, recBox, s.spikes, { steps: T, rows: s.nRec }, (j) => (j < s.nRegular ? LIF : ALIF));

  label(
    ctx,
    `readout (softmax): answer ${side(s.label)}, network says ${side(s.decision)}`,
    outBox,
  );
  legend(ctx, outBox, [["p(left)", INPUT_COLORS[0]], ["p(right)", INPUT_COLORS[1]]]);
  const x = (t: number) => outBox.x + t / T * outBox.w;
  ctx.fillStyle = "rgba(44, 160, 44, 0.12)";
  ctx.fillRect(x(recallStart), outBox.y, x(T) - x(recallStart), outBox.h);
  const yo = yAxis(ctx, outBox, 0, 1, (v) => v.toFixed(1));
  for (const k of [0, 1]) {
    const pts: [number, number][] = [];
    for (let t = 0; t < T; t += Math.max(1, Math.floor(T / outBox.w / 2))) {
      pts.push([x(t), yo(s.probabilities[2 * t + k])]);
    }
    polyline(ctx, pts, INPUT_COLORS[k], 1.5);
  }

  const kind = s.signalKind === "feedback"
    ? "learning signals L_j(t) = sum_k B_jk dE/dy_k(t) (e-prop)"
    : "true learning signals dE/dz_j(t) (BPTT)";
  label(ctx, kind, sigBox);
  const scale = heatmap(ctx, sigBox, s);
  legend(ctx, sigBox, [[`-${scale.toPrecision(2)}`, "rgb(33,102,172)"], [
    `+${scale.toPrecision(2)}`,
    "rgb(178,24,43)",
  ]]);
  xAxis(ctx, sigBox, 0, T, "time (ms)");
}

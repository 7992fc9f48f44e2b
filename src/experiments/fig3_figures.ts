/**
 * The figures of a Fig. 3 run, like the authors' tutorial: input raster, spike raster of LIF and
 * ALIF neurons, softmax output, ALIF thresholds, learning signals and eligibility traces of a few
 * synapses on one test trial, and the learning curve.
 *
 * @module
 */
import { createWasmBackend } from "../engine/factory/load_backend.ts";
import type { Matrix, Weights } from "../model/weights.ts";
import type { ResolvedNetworkConfig } from "../model/config.ts";
import type { Objective } from "../model/objective.ts";
import type { EvidenceBatch } from "../tasks/evidence_accumulation.ts";
import { activeSynapses, eligibilityTraces } from "../grad/eligibility.ts";
import { lines, raster, stack } from "../plot/charts.ts";
import type { FigureSpec } from "../plot/render.ts";
import type { TrainingState } from "../train/checkpoint.ts";

/** Inputs of {@linkcode fig3ActivityFigure}. */
export interface Fig3FigureData {
  /** The network. */
  config: ResolvedNetworkConfig;
  /** Trained weights. */
  weights: Weights;
  /** The feedback matrix used by e-prop (w_out for symmetric feedback). */
  feedback: Matrix;
  /** A batch whose first trial is shown. */
  batch: EvidenceBatch;
  /** The objective. */
  objective: Objective;
  /** Number of LIF neurons (they come first). */
  nRegular: number;
}

/**
 * One test trial: rasters, output, thresholds, learning signals, eligibility traces.
 * @param d The trained network and a batch.
 * @returns The figure.
 */
export async function fig3ActivityFigure(d: Fig3FigureData): Promise<FigureSpec> {
  const backend = await createWasmBackend(d.config, d.weights, { precision: "f64" });
  const trajectory = backend.simulate(d.batch);
  const signals = backend.learningSignals(d.batch, d.objective, {
    kind: "feedback",
    feedback: d.feedback,
  });
  const { nIn, nRec: n } = d.config.neuron;
  const T = d.batch.steps;
  const dt = d.config.neuron.dtMs;
  const first = (data: ArrayLike<number>, width: number) =>
    Array.from({ length: T * width }, (_, i) => data[i]);
  const series = (
    data: ArrayLike<number>,
    width: number,
    units: number[],
    name: (u: number) => string,
  ) =>
    units.map((u) => ({
      name: name(u),
      values: Array.from({ length: T }, (_, t) => data[t * width + u]),
    }));
  const probs = Array.from({ length: T }, (_, t) => {
    const a = trajectory.y[t * 2], b = trajectory.y[t * 2 + 1];
    const m = Math.max(a, b);
    return Math.exp(a - m) / (Math.exp(a - m) + Math.exp(b - m));
  });
  const alif = Array.from({ length: Math.min(5, n - d.nRegular) }, (_, i) => d.nRegular + i);
  const shown = [0, 1, d.nRegular, d.nRegular + 1].filter((j) => j < n);
  const traces = eligibilityTraces(d.config, {
    batch: d.batch,
    trajectory,
    trial: 0,
    synapses: activeSynapses(d.config, { batch: d.batch, trajectory, trial: 0 }),
  });
  const label = d.batch.labels[0] === 1 ? "right" : "left";
  const C = nIn / 4;
  return stack([
    raster(first(d.batch.inputs, nIn), {
      n: nIn,
      steps: T,
      dtMs: dt,
      title: `input spikes (label: ${label})`,
      unitTitle: "input channel",
      groups: [
        { name: "left cue", from: 0, to: C },
        { name: "right cue", from: C, to: 2 * C },
        { name: "recall", from: 2 * C, to: 3 * C },
        { name: "noise", from: 3 * C, to: 4 * C },
      ],
      height: 120,
    }),
    raster(first(trajectory.z, n), {
      n,
      steps: T,
      dtMs: dt,
      title: "network spikes",
      groups: [{ name: "LIF", from: 0, to: d.nRegular }, { name: "ALIF", from: d.nRegular, to: n }],
      height: 160,
    }),
    lines([
      { name: "p(left)", values: probs },
      { name: "p(right)", values: probs.map((p) => 1 - p) },
    ], { title: "softmax output", yTitle: "probability", dtMs: dt, height: 100 }),
    lines(series(trajectory.thr, n, alif, (j) => `ALIF ${j}`), {
      title: "adaptive thresholds A_j(t)",
      yTitle: "A_j",
      dtMs: dt,
      height: 110,
    }),
    lines(series(signals, n, shown, (j) => `${j < d.nRegular ? "LIF" : "ALIF"} ${j}`), {
      title: "learning signals L_j(t) = sum_k B_jk dE/dy_k(t)",
      yTitle: "L_j",
      dtMs: dt,
      height: 110,
    }),
    lines(
      traces.map((tr) => ({
        name: `${tr.synapse.kind} ${tr.synapse.pre}->${tr.synapse.post}`,
        values: tr.ebar,
      })),
      { title: "filtered eligibility traces ebar_ji(t)", yTitle: "ebar", dtMs: dt, height: 110 },
    ),
  ], { title: "Fig. 3: evidence accumulation, one test trial" });
}

/**
 * The learning curve: training loss and validation error against iterations.
 * @param state The final training state.
 * @param stopCrit The stopping criterion, drawn as a reference.
 * @returns The figure.
 */
export function learningCurveFigure(state: TrainingState, stopCrit?: number): FigureSpec {
  const iters = state.train.map((r) => r.iteration);
  const smooth = (values: number[], k = 10) =>
    values.map((_, i) => {
      const from = Math.max(0, i - k + 1);
      return values.slice(from, i + 1).reduce((a, v) => a + v, 0) / (i + 1 - from);
    });
  const charts = [
    lines([
      { name: "training loss", values: state.train.map((r) => r.loss), x: iters },
      {
        name: "10-iteration mean",
        values: smooth(state.train.map((r) => r.loss)),
        x: iters,
      },
    ], { title: "loss", xTitle: "iteration", yTitle: "loss", logY: true }),
  ];
  if (state.validation.some((v) => Number.isFinite(v.error))) {
    const vIters = state.validation.map((v) => v.iteration);
    const curves = [{
      name: "validation error",
      values: state.validation.map((v) => v.error),
      x: vIters,
    }];
    if (stopCrit !== undefined) {
      curves.push({ name: "stopping criterion", values: vIters.map(() => stopCrit), x: vIters });
    }
    charts.push(lines(curves, { title: "validation error", xTitle: "iteration", yTitle: "error" }));
  }
  charts.push(lines([{ name: "firing rate", values: state.train.map((r) => r.rateHz), x: iters }], {
    title: "mean firing rate",
    xTitle: "iteration",
    yTitle: "Hz",
    height: 100,
  }));
  return stack(charts, { title: "learning curve" });
}

/**
 * Figures of the Atari experiments (Figs. 4-5): one recorded episode of the agent, its LSNN's
 * spike raster (a subset of LIF and ALIF neurons), its action probabilities, value and score.
 *
 * @module
 */
import type { AgentEpisode } from "../agent/agent_episode.ts";
import { lines, raster } from "../plot/charts.ts";
import { stack } from "../plot/charts.ts";
import type { FigureSpec } from "../plot/render.ts";
import type { AgentHealth } from "../agent/health.ts";

/**
 * The episode figure.
 * @param ep The recorded episode.
 * @param o Neurons (nLif, nAlif), steps per frame, action names, title; at most `maxSteps` agent
 *   steps and `maxNeurons` neurons of each kind are drawn.
 * @returns The figure.
 */
export function agentEpisodeFigure(
  ep: AgentEpisode,
  o: {
    nLif: number;
    nAlif: number;
    stepsPerFrame: number;
    actions: readonly string[];
    title: string;
    maxSteps?: number;
    maxNeurons?: number;
  },
): FigureSpec {
  const K = Math.min(ep.steps, o.maxSteps ?? 200), S = o.stepsPerFrame, n = o.nLif + o.nAlif;
  const per = o.maxNeurons ?? 40;
  const lif = Array.from({ length: Math.min(per, o.nLif) }, (_, i) => i);
  const alif = Array.from({ length: Math.min(per, o.nAlif) }, (_, i) => o.nLif + i);
  const shown = [...lif, ...alif], m = shown.length;
  const sub = new Float64Array(K * S * m);
  for (let t = 0; t < K * S; t++) {
    shown.forEach((j, k) => sub[t * m + k] = ep.spikes[t * n + j]);
  }
  const A = o.actions.length, steps = Array.from({ length: K }, (_, k) => k);
  let score = 0;
  const cumulative = steps.map((k) => score += ep.rewards[k]);
  return stack([
    raster(sub, {
      n: m,
      steps: K * S,
      title: `LSNN spikes (${lif.length} of ${o.nLif} LIF, ${alif.length} of ${o.nAlif} ALIF)`,
      groups: [
        { name: "LIF", from: 0, to: lif.length },
        { name: "ALIF", from: lif.length, to: m },
      ],
      unitTitle: "neuron",
      width: 640,
      height: 160,
    }),
    lines(
      o.actions.map((name, a) => ({
        name,
        values: steps.map((k) => ep.pi[k * A + a]),
        x: steps,
      })),
      {
        title: "action probabilities",
        xTitle: "agent step",
        yTitle: "pi",
        width: 640,
        height: 120,
      },
    ),
    lines([
      { name: "value V", values: steps.map((k) => ep.value[k]), x: steps },
      { name: "score so far", values: cumulative, x: steps },
    ], { title: "value and score", xTitle: "agent step", width: 640, height: 100 }),
  ], { title: o.title });
}

/**
 * The network's health over a run, one point per update: median firing rate of the LSNN and of
 * each CNN layer, the fractions of LSNN neurons silent (< 1 Hz) and saturated (> 150 Hz), the
 * mean TD error, value and policy entropy, and the gradient norm per parameter (log scale).
 * @param updates The run's updates (each with its health).
 * @param title The figure's title.
 * @returns The figure.
 */
export function agentHealthFigure(
  updates: readonly { frames: number; health?: AgentHealth }[],
  title: string,
): FigureSpec {
  const us = updates.filter((u): u is { frames: number; health: AgentHealth } => !!u.health);
  const x = us.map((u) => u.frames);
  const layers = us[0]?.health.cnn.length ?? 0;
  const names = Object.keys(us[0]?.health.gradNorms ?? {});
  // points as well as lines: a run of a few updates still shows them
  const dotted = (c: ReturnType<typeof lines>) => ({
    ...c,
    mark: { type: "line", strokeWidth: 1.5, point: { size: 12 } },
  } as ReturnType<typeof lines>);
  return stack([
    dotted(lines([
      { name: "LSNN median", values: us.map((u) => u.health.lsnn.medianHz), x },
      ...Array.from({ length: layers }, (_, l) => ({
        name: `conv${l + 1} median`,
        values: us.map((u) => u.health.cnn[l].medianHz),
        x,
      })),
      { name: "LSNN mean", values: us.map((u) => u.health.lsnn.meanHz), x },
    ], { title: "firing rates", xTitle: "frames", yTitle: "Hz" })),
    dotted(lines([
      { name: "LSNN > 150 Hz", values: us.map((u) => u.health.lsnn.above150Hz), x },
      { name: "LSNN < 1 Hz", values: us.map((u) => u.health.lsnn.below1Hz), x },
      ...Array.from({ length: layers }, (_, l) => ({
        name: `conv${l + 1} < 1 Hz`,
        values: us.map((u) => u.health.cnn[l].below1Hz),
        x,
      })),
    ], { title: "silent and saturated units", xTitle: "frames", yTitle: "fraction" })),
    dotted(lines([
      { name: "TD error", values: us.map((u) => u.health.tdError), x },
      { name: "value", values: us.map((u) => u.health.value), x },
      { name: "entropy (nats)", values: us.map((u) => u.health.entropy), x },
    ], { title: "actor-critic", xTitle: "frames" })),
    dotted(lines(
      names.map((n) => ({ name: n, values: us.map((u) => u.health.gradNorms[n]), x })),
      { title: "gradient norm per parameter", xTitle: "frames", logY: true },
    )),
  ], { title });
}

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

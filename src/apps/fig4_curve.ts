/**
 * `deno task fig4:curve`: the Fig. 4 (or Fig. 5) learning curve over several fig4/fig5 runs with
 * the random baseline (a `--policy random` run): score per episode binned by frames (mean and sd
 * over the runs), the random policy's mean and its band, and a summary (curve.json) of the last
 * stretch against the random policy: means, standard errors, the difference and whether it is at
 * least 1 point and 3 standard errors above.
 *
 *   deno task fig4:curve --runs out/a,out/b --random out/random --out docs/figures/fig4_pong
 *
 * @module
 */
import { commandMain, fileError, InputError } from "../cli/command.ts";
import type { FlagSpecs } from "../cli/flags.ts";
import { writeOutput } from "../cli/outputs.ts";
import { binnedCurve, compareLastStretch, type CurveEpisode } from "../experiments/atari_curve.ts";
import { type FigureSpec, renderSvg, svgToPng } from "../plot/render.ts";

/** The flags of fig4:curve. */
export const CURVE_FLAGS: FlagSpecs = {
  runs: { type: "string", default: "", help: "comma-separated fig4/fig5 run folders (the agent)" },
  random: {
    type: "string",
    default: "",
    help:
      "the random baseline's run folder (fig4 --policy random, same environment and curriculum)",
  },
  out: {
    type: "string",
    default: "out/fig4_curve",
    help: "prefix of the outputs: <out>.png, <out>.svg, <out>.json",
  },
  bin: { type: "number", default: 1e6, min: 1, help: "frames per point of the curve" },
  last: {
    type: "number",
    default: 1e6,
    min: 1,
    help: "the last stretch (frames) compared with the random policy",
  },
};

async function episodesOf(
  dir: string,
): Promise<{ episodes: CurveEpisode[]; results: Record<string, unknown> }> {
  let results;
  try {
    results = JSON.parse(await Deno.readTextFile(`${dir}/results.json`));
  } catch (e) {
    if (e instanceof SyntaxError) {
      throw new InputError(`${dir}/results.json is not JSON (${e.message})`);
    }
    throw fileError(e, `read ${dir}/results.json`);
  }
  if (!Array.isArray(results?.episodes)) {
    throw new InputError(`${dir}/results.json is not a fig4/fig5 run's (no episodes)`);
  }
  return { episodes: results.episodes, results };
}

/**
 * Runs the command.
 * @param args Command-line arguments.
 * @returns The exit code.
 */
export function main(args: string[]): Promise<number> {
  return commandMain(
    {
      name: "fig4:curve",
      usage:
        "usage: deno task fig4:curve --runs DIR[,DIR...] --random DIR [--out PREFIX]\n\nThe learning curve of fig4/fig5 runs (mean +- sd over runs) with the random baseline, and\nthe last stretch's comparison with it (curve.json).",
      flags: CURVE_FLAGS,
      check: (v) => {
        if (!v.runs) throw new InputError("--runs must name at least one run folder");
        if (!v.random) throw new InputError("--random must name the random baseline's run folder");
      },
    },
    args,
    async ({ values: v }) => {
      const dirs = String(v.runs).split(",").map((d) => d.trim()).filter((d) => d);
      const runs = await Promise.all(dirs.map(episodesOf));
      const random = await episodesOf(v.random as string);
      const bin = v.bin as number;
      const curve = binnedCurve(runs.map((r) => r.episodes), bin);
      const base = binnedCurve([random.episodes], bin);
      const cmp = compareLastStretch(runs.map((r) => r.episodes), random.episodes, {
        frames: v.last as number,
      });
      const env = String((runs[0].results.flags as Record<string, unknown>)?.env ?? "");
      const band = (p: { frames: number; mean: number; sd: number }[], name: string) =>
        p.map((q) => ({
          x: q.frames,
          lo: q.mean - q.sd,
          hi: q.mean + q.sd,
          mean: q.mean,
          series: name,
        }));
      const agentName = `agent (${dirs.length} run${dirs.length > 1 ? "s" : ""}, mean +- sd)`;
      const rows = [...band(curve, agentName), ...band(base, "random policy")];
      const spec = {
        $schema: "https://vega.github.io/schema/vega-lite/v6.json",
        title: `${env}: score per episode during training`,
        width: 520,
        height: 260,
        data: { values: rows },
        layer: [
          {
            mark: { type: "area", opacity: 0.2 },
            encoding: {
              x: { field: "x", type: "quantitative", title: "frames" },
              y: { field: "lo", type: "quantitative", title: "episode score" },
              y2: { field: "hi" },
              color: { field: "series", type: "nominal", title: null, legend: { labelLimit: 400 } },
            },
          },
          {
            mark: { type: "line", point: { size: 14 } },
            encoding: {
              x: { field: "x", type: "quantitative" },
              y: { field: "mean", type: "quantitative", scale: { zero: false } },
              color: { field: "series", type: "nominal", title: null, legend: { labelLimit: 400 } },
            },
          },
        ],
      } as unknown as FigureSpec;
      const out = v.out as string;
      const svg = await renderSvg(spec);
      await writeOutput(`${out}.svg`, svg, { task: "fig4:curve" });
      await writeOutput(`${out}.png`, await svgToPng(svg), { task: "fig4:curve" });
      const summary = {
        runs: dirs,
        random: v.random,
        framesPerRun: runs.map((r) => Math.max(0, ...r.episodes.map((e) => e.atFrame))),
        framesPerSecond: runs.map((r) => r.results.framesPerSecond ?? null),
        curve,
        randomCurve: base,
        lastStretch: cmp,
      };
      await writeOutput(`${out}.json`, JSON.stringify(summary, null, 1), { task: "fig4:curve" });
      console.log(
        `fig4:curve: last ${cmp.frames} frames: agent ${cmp.agent.mean.toFixed(2)} +- ${
          cmp.agent.se.toFixed(2)
        } (${cmp.agent.n} episodes), random ${cmp.random.mean.toFixed(2)} +- ${
          cmp.random.se.toFixed(2)
        } (${cmp.random.n}): ${cmp.difference >= 0 ? "+" : ""}${
          cmp.difference.toFixed(2)
        } points, ${cmp.standardErrors.toFixed(1)} standard errors: ${
          cmp.above ? "above" : "not above"
        } the random policy by 1 point and 3 standard errors`,
      );
      console.log(`fig4:curve: wrote ${out}.png, ${out}.svg, ${out}.json`);
    },
  );
}

if (import.meta.main) Deno.exit(await main(Deno.args));

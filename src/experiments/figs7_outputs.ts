/**
 * What a Fig. S7 run leaves behind: results.json and figures (rasters, output against target,
 * presynaptic and postsynaptic terms, eligibility trace, learning signal, loss curve).
 *
 * @module
 */
import type { FigS7Run } from "./figs7.ts";
import { figS7Objective } from "./figs7.ts";
import { createWasmBackend } from "../engine/factory/load_backend.ts";
import { activeSynapses, eligibilityTraces } from "../grad/eligibility.ts";
import { lines, raster, stack } from "../plot/charts.ts";
import { type FigureSpec, saveFigure } from "../plot/render.ts";
import { learningCurveFigure } from "./fig3_figures.ts";

async function activityFigure(run: FigS7Run): Promise<FigureSpec> {
  const config = run.backend.config;
  const weights = run.backend.getWeights();
  const backend = await createWasmBackend(config, weights, { precision: "f64" });
  const batch = { ...run.batch, batchSize: 1 };
  const { nIn, nRec: n } = config.neuron;
  const nOut = config.readout.nOut;
  const T = batch.steps;
  batch.inputs = batch.inputs.subarray(0, T * nIn);
  batch.targets = batch.targets!.subarray(0, T * nOut);
  const trajectory = backend.simulate(batch);
  const feedback = run.state.feedback ?? weights.wOut;
  const signals = backend.learningSignals(batch, figS7Objective(run.flags), {
    kind: "feedback",
    feedback,
  });
  const [syn] = activeSynapses(config, { batch, trajectory, trial: 0 }).filter((s) =>
    s.kind === "rec"
  );
  const [tr] = eligibilityTraces(config, { batch, trajectory, trial: 0, synapses: [syn] });
  const dt = config.neuron.dtMs;
  const out = Array.from({ length: nOut }, (_, k) => [
    {
      name: `output ${k}`,
      values: Array.from({ length: T }, (_, t) => trajectory.y[t * nOut + k]),
    },
    {
      name: `target ${k}`,
      values: Array.from({ length: T }, (_, t) => batch.targets![t * nOut + k]),
    },
  ]).flat();
  const label = `w_rec ${syn.pre}->${syn.post}`;
  const small = { dtMs: dt, height: 90 };
  return stack([
    raster(batch.inputs, {
      n: nIn,
      steps: T,
      dtMs: dt,
      title: "frozen Poisson input",
      unitTitle: "input",
      height: 110,
    }),
    raster(trajectory.z, { n, steps: T, dtMs: dt, title: "network spikes (LIF)", height: 130 }),
    lines(out, { title: "output and target", yTitle: "y", dtMs: dt, height: 130 }),
    lines([{ name: label, values: tr.presynaptic }], {
      ...small,
      title: "presynaptic term eps_v(t)",
      yTitle: "eps_v",
    }),
    lines([{ name: label, values: tr.postsynaptic }], {
      ...small,
      title: "postsynaptic term psi_j(t)",
      yTitle: "psi",
    }),
    lines([{ name: label, values: tr.e }], {
      ...small,
      title: "eligibility trace e_ji(t)",
      yTitle: "e",
    }),
    lines([{
      name: `neuron ${syn.post}`,
      values: Array.from({ length: T }, (_, t) => signals[t * n + syn.post]),
    }], {
      ...small,
      title: "learning signal L_j(t)",
      yTitle: "L_j",
    }),
  ], { title: "Fig. S7: pattern generation after training" });
}

/**
 * Writes results.json and the figures to the run's folder.
 * @param run The finished run.
 * @returns A summary to print.
 */
export async function writeFigS7Outputs(run: FigS7Run): Promise<string> {
  const out = run.flags.out as string;
  const s = run.state;
  const final = run.backend.evaluate(run.batch, figS7Objective(run.flags));
  const initial = s.train[0];
  const results = {
    task: "figS7_pattern_generation",
    flags: run.flags,
    resumes: run.history,
    iterations: s.iteration,
    initialMse: initial?.readoutLoss ?? null,
    finalMse: final.readoutLoss,
    mseReduction: initial ? initial.readoutLoss / final.readoutLoss : null,
    finalRateHz: final.rates.reduce((a, r) => a + r, 0) / final.rates.length * 1000,
    gradientCheck: run.check ?? null,
    trainingTimeSeconds: s.seconds,
    secondsPerIteration: s.seconds / Math.max(1, s.iteration),
    train: s.train,
  };
  await Deno.writeTextFile(`${out}/results.json`, JSON.stringify(results, null, 1) + "\n");
  const written = [];
  written.push(
    (await saveFigure(await activityFigure(run), { dir: out, name: "figS7_activity" })).png,
  );
  written.push(
    (await saveFigure(learningCurveFigure(s), { dir: out, name: "figS7_learning_curve" })).png,
  );
  return [
    `figS7: 0.5 sum (y - y*)^2 went from ${results.initialMse?.toFixed(3)} to ${
      final.readoutLoss.toFixed(3)
    } ` +
    `(${results.mseReduction?.toFixed(1)}x) in ${s.iteration} iterations; mean rate ${
      results.finalRateHz.toFixed(1)
    } Hz`,
    `${results.secondsPerIteration.toFixed(4)} s per iteration; results in ${out}/results.json`,
    `figures: ${written.join(", ")} (and .svg)`,
  ].join("\n");
}

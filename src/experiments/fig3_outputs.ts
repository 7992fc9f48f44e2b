/**
 * What a Fig. 3 run leaves behind: results.json and the figures.
 *
 * @module
 */
import { fig3Objective, type Fig3Run, fig3Seeds } from "./fig3.ts";
import { fig3ActivityFigure, learningCurveFigure } from "./fig3_figures.ts";
import { saveFigure } from "../plot/render.ts";
import { evidenceAccumulationBatch } from "../tasks/evidence_accumulation.ts";
import { Rng } from "../util/rng.ts";

/**
 * Writes results.json (and figures) to the run's folder.
 * @param run The finished run.
 * @returns A summary to print.
 */
export async function writeFig3Outputs(run: Fig3Run): Promise<string> {
  const out = run.flags.out as string;
  const s = run.state;
  const firstBelow = s.validation.find((v) => v.error < (run.flags["stop-crit"] as number));
  const results = {
    task: "fig3_evidence_accumulation",
    flags: run.flags,
    resumes: run.history,
    iterations: s.iteration,
    stoppedEarly: s.stopped,
    iterationsToCriterion: s.stopped ? s.iteration : null,
    firstValidationBelowCriterion: firstBelow?.iteration ?? null,
    test: run.test,
    trainingTimeSeconds: s.seconds,
    secondsPerIteration: s.seconds / Math.max(1, s.iteration),
    validation: s.validation,
    train: s.train,
  };
  await Deno.writeTextFile(`${out}/results.json`, JSON.stringify(results, null, 1) + "\n");
  const weights = run.backend.getWeights();
  const batch = evidenceAccumulationBatch(
    new Rng(fig3Seeds(run.flags.seed as number).test + 1),
    1,
    {
      dtMs: run.flags.dt as number,
    },
  );
  const figures = {
    fig3_trial: await fig3ActivityFigure({
      config: run.backend.config,
      weights,
      feedback: s.feedback ?? weights.wOut,
      batch,
      objective: fig3Objective(run.flags, batch.recallSteps),
      nRegular: run.flags["n-regular"] as number,
    }),
    fig3_learning_curve: learningCurveFigure(s, run.flags["stop-crit"] as number),
  };
  const written = [];
  for (const [name, spec] of Object.entries(figures)) {
    written.push((await saveFigure(spec, { dir: out, name })).png);
  }
  return [
    `fig3: ${
      s.stopped
        ? `reached the criterion after ${s.iteration} iterations`
        : `stopped at the budget of ${s.iteration} iterations`
    }`,
    `test error ${(100 * run.test.error).toFixed(1)}% +- ${
      (100 * run.test.errorStd).toFixed(1)
    }% over ${run.test.trials} trials`,
    `${
      (s.seconds / Math.max(1, s.iteration)).toFixed(3)
    } s per iteration; results in ${out}/results.json`,
    `figures: ${written.join(", ")} (and .svg)`,
  ].join("\n");
}

/**
 * `deno task sweep:report --spec SWEEP.json [--queue redis://HOST:PORT]`: the table of a sweep:
 * each setting's mean and spread over the seeds (the spec's "over" flag) of the experiment's
 * numbers, and every run's, from the local run folders or the queue's results; written to
 * `<out>/report/` as table.md, table.json and a figure.
 *
 * @module
 */
import type { FlagSpecs } from "../cli/flags.ts";
import { commandMain, fileError } from "../cli/command.ts";
import { QUEUE_FLAG, queueOf, readSweep, SPEC_FLAG, TIMEOUT_FLAG } from "./_sweep_common.ts";
import { localResults } from "../sweep/local.ts";
import { queueResults } from "../sweep/queue.ts";
import { SWEEP_EXPERIMENTS } from "../sweep/experiments.ts";
import { formatSweepReport, sweepFigure, sweepReport } from "../sweep/report.ts";
import { saveFigure } from "../plot/render.ts";
import { FlagError } from "../cli/flags.ts";
import { checkReplaceable, recordOutput, writeOutput } from "../cli/outputs.ts";

const FLAGS: FlagSpecs = {
  spec: SPEC_FLAG,
  queue: { ...QUEUE_FLAG, help: "read the results from this queue, not the local run folders" },
  out: { type: "string", default: "", help: "folder of the report (default <spec out>/report)" },
  "no-figure": { type: "boolean", default: false, help: "write no figure" },
  force: {
    type: "boolean",
    default: false,
    help:
      "replace table.md, table.json or the figure in --out even if this task did not write them",
  },
  timeout: TIMEOUT_FLAG,
};

const USAGE = `usage: deno task sweep:report --spec SWEEP.json [--queue redis://HOST:PORT]

Collects the finished runs of a sweep (its local run folders, or with --queue the results of its
jobs) into one table: per setting the mean ± sample standard deviation over the seeds of the
experiment's numbers, then every run (an interrupted run, or one whose folder holds results of
other flags, counts as not finished). Writes table.md, table.json and a figure to --out; a file
there that this task did not write is refused unless --force.`;

/**
 * Runs `deno task sweep:report`.
 * @param args Command-line arguments.
 * @returns The exit code.
 */
export function main(args: string[]): Promise<number> {
  return commandMain(
    {
      name: "sweep:report",
      usage: USAGE,
      flags: FLAGS,
      check: (v, given) => {
        if (given.has("timeout") && v.queue === "") {
          throw new FlagError("--timeout applies only with --queue");
        }
      },
    },
    args,
    async ({ values }) => {
      const { spec, runs } = await readSweep(values.spec as string);
      let results: Map<string, unknown>;
      if (values.queue === "") results = await localResults(spec, runs);
      else {
        const queue = await queueOf(values.queue as string, values.timeout as number);
        try {
          results = await queueResults(queue, runs);
        } finally {
          await queue.close();
        }
      }
      const metrics = SWEEP_EXPERIMENTS[spec.experiment].metrics;
      const report = sweepReport(runs, results, metrics);
      const lines = formatSweepReport(report, metrics);
      const out = (values.out as string) || `${spec.out}/report`;
      const task = "sweep:report", force = values.force as boolean;
      const withFigure = !values["no-figure"] && results.size > 0;
      // refuse before writing anything: a user's file in --out stays as it is
      for (const name of ["table.md", "table.json"]) {
        await checkReplaceable(`${out}/${name}`, { task, force });
      }
      if (withFigure) {
        for (const ext of ["svg", "png"]) {
          await checkReplaceable(`${out}/${spec.name}.${ext}`, { task, force });
        }
      }
      try {
        await Deno.mkdir(out, { recursive: true });
      } catch (e) {
        throw fileError(e, `write the report into --out ${out}`);
      }
      const source = values.queue === "" ? `${spec.out}/runs` : `the queue at ${values.queue}`;
      console.log(
        `sweep:report ${spec.name}: ${results.size} of ${runs.length} runs finished (${source}); mean ± sd over --${spec.over}\n`,
      );
      for (const line of lines) console.log(line);
      await writeOutput(`${out}/table.md`, lines.join("\n") + "\n", { task, force });
      await writeOutput(
        `${out}/table.json`,
        JSON.stringify(
          { sweep: spec.name, experiment: spec.experiment, over: spec.over, ...report },
          (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v),
          1,
        ) + "\n",
        { task, force },
      );
      let figure = "";
      if (withFigure) {
        const fig = await saveFigure(
          sweepFigure(
            report,
            metrics[0],
            `${spec.name}: ${metrics[0].name}, mean ± sd over ${spec.over}`,
          ),
          { dir: out, name: spec.name },
        );
        await recordOutput(fig.svg);
        await recordOutput(fig.png);
        figure = `, ${fig.png}`;
      }
      console.log(`\nsweep:report: ${out}/table.md, table.json${figure}`);
    },
  );
}

if (import.meta.main) Deno.exit(await main(Deno.args));

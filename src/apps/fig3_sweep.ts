/**
 * `deno task fig3:sweep`: the Fig. 3 acceptance measurement: trains one run per seed (default
 * seeds 0-4, at most 500 iterations) and prints, per seed, the iterations to the stopping
 * criterion, the test error and the time per iteration. Every Fig. 3 flag applies to each run
 * (e.g. `--method bptt`, `--n-adaptive 0 --n-regular 100`); runs go to `--out`/seed<N>.
 *
 * @module
 */
import { FlagError, type FlagSpecs, intList, MAX_SEED } from "../cli/flags.ts";
import { commandMain } from "../cli/command.ts";
import { checkFig3Flags, FIG3_FLAGS, runFig3 } from "../experiments/fig3.ts";
import { prepareRunDir } from "../experiments/run_dir.ts";
import { writeFig3Outputs } from "../experiments/fig3_outputs.ts";

const { seed: _seed, resume: _resume, ...runFlags } = FIG3_FLAGS;

/** The sweep's flags: the seeds, and every Fig. 3 flag but --seed and --resume. */
export const SWEEP_FLAGS: FlagSpecs = {
  seeds: {
    type: "ints",
    default: "0,1,2,3,4",
    min: 0,
    max: MAX_SEED,
    help: "seeds, one run each",
  },
  ...runFlags,
  "n-iter": { ...FIG3_FLAGS["n-iter"], default: 500 },
  out: { ...FIG3_FLAGS.out, default: "out/fig3_sweep", help: "folder of the runs (seed<N>/ each)" },
};

const USAGE = `usage: deno task fig3:sweep [options]

Trains one Fig. 3 run per seed and prints a table of iterations to the stopping criterion, test
error and seconds per iteration. Each run goes to --out/seed<N> (a new or empty folder).`;

/**
 * Runs the sweep.
 * @param args Command-line arguments.
 * @returns The exit code.
 */
export function main(args: string[]): Promise<number> {
  return commandMain(
    { name: "fig3:sweep", usage: USAGE, flags: SWEEP_FLAGS, check: (v) => checkFig3Flags(v) },
    args,
    async ({ values, given }) => {
      const seeds = intList(values.seeds);
      const twice = seeds.find((s, i) => seeds.indexOf(s) !== i);
      if (twice !== undefined) throw new FlagError(`--seeds lists seed ${twice} twice`);
      // Every run folder is checked before the first one trains.
      const runs = [];
      for (const seed of seeds) {
        const out = `${values.out}/seed${seed}`;
        runs.push(
          await prepareRunDir(out, {
            kind: "fig3",
            values: { ...values, seed, resume: false, out },
            given,
            resume: false,
            mutable: [],
          }),
        );
      }
      const rows: string[] = [];
      for (const [i, prepared] of runs.entries()) {
        console.log(`fig3:sweep: seed ${seeds[i]} (${i + 1} of ${seeds.length})`);
        const run = await runFig3(prepared.values);
        console.log(await writeFig3Outputs(run));
        run.backend.dispose();
        const s = run.state;
        rows.push(
          `| ${seeds[i]} | ${s.stopped ? s.iteration : `not within ${s.iteration}`} | ${
            (100 * run.test.error).toFixed(1)
          }% | ${(s.seconds / s.iteration).toFixed(3)} |`,
        );
      }
      console.log(
        "\n| seed | iterations to criterion | test error | s / iteration |\n|---:|---:|---:|---:|",
      );
      console.log(rows.join("\n"));
    },
  );
}

if (import.meta.main) Deno.exit(await main(Deno.args));

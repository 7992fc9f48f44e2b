/**
 * `deno task fig3:sweep`: the Fig. 3 acceptance measurement: trains one run per seed (default
 * seeds 0-4, at most 500 iterations) and prints, per seed, the iterations to the stopping
 * criterion, the test error and the time per iteration. Every other flag is passed to each run
 * (e.g. `--method bptt`, `--n-adaptive 0 --n-regular 100`); runs go to `--out`/seed<N>.
 *
 *   deno task fig3:sweep [--seeds 0,1,2,3,4] [--out out/fig3_sweep] [fig3 flags...]
 *
 * @module
 */
import { FlagError } from "../src/cli/flags.ts";
import { checkFig3Flags, FIG3_FLAGS, runFig3 } from "../src/experiments/fig3.ts";
import { startRun } from "../src/experiments/run_dir.ts";
import { writeFig3Outputs } from "../src/experiments/fig3_outputs.ts";

async function main(args: string[]): Promise<number> {
  let seeds = [0, 1, 2, 3, 4];
  let out = "out/fig3_sweep";
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--seeds") seeds = args[++i].split(",").map(Number);
    else if (args[i] === "--out") out = args[++i];
    else rest.push(args[i]);
  }
  if (seeds.some((s) => !Number.isInteger(s))) {
    console.error(`fig3:sweep: --seeds must be integers separated by commas`);
    return 2;
  }
  if (!rest.includes("--n-iter")) rest.push("--n-iter", "500");
  const rows: string[] = [];
  try {
    for (const seed of seeds) {
      const { values } = await startRun([
        ...rest,
        "--seed",
        String(seed),
        "--out",
        `${out}/seed${seed}`,
      ], {
        flags: FIG3_FLAGS,
        mutable: [],
        check: checkFig3Flags,
      });
      const run = await runFig3(values);
      console.log(await writeFig3Outputs(run));
      const s = run.state;
      rows.push(
        `| ${seed} | ${s.stopped ? s.iteration : `not within ${s.iteration}`} | ${
          (100 * run.test.error).toFixed(1)
        }% | ${(s.seconds / s.iteration).toFixed(3)} |`,
      );
    }
  } catch (e) {
    if (e instanceof FlagError) {
      console.error(`fig3:sweep: ${e.message}`);
      return 2;
    }
    throw e;
  }
  console.log(
    "\n| seed | iterations to criterion | test error | s / iteration |\n|---:|---:|---:|---:|",
  );
  console.log(rows.join("\n"));
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));

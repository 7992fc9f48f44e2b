/**
 * The regression configurations: short Fig. 3 and Fig. S7 training runs (e-prop with random and
 * symmetric feedback, BPTT, online regularizer, online e-prop form) summarised as numbers.
 */
import { parseFlags } from "../../src/cli/flags.ts";
import { FIG3_FLAGS, runFig3 } from "../../src/experiments/fig3.ts";
import { FIGS7_FLAGS, runFigS7 } from "../../src/experiments/figs7.ts";
import type { TrainingState } from "../../src/train/checkpoint.ts";

/** Numbers that summarise a run. */
export interface RunSummary {
  /** Total loss of every iteration. */
  losses: number[];
  /** Readout loss of every iteration. */
  readoutLosses: number[];
  /** Sum and sum of squares of each final weight matrix. */
  weights: Record<string, [number, number]>;
}

function summary(state: TrainingState): RunSummary {
  const weights: Record<string, [number, number]> = {};
  for (const [name, m] of Object.entries(state.weights)) {
    if (!m) continue;
    const data: ArrayLike<number> = "data" in m ? m.data : m;
    let sum = 0, sq = 0;
    for (let i = 0; i < data.length; i++) (sum += data[i]), (sq += data[i] * data[i]);
    weights[name] = [sum, sq];
  }
  return {
    losses: state.train.map((r) => r.loss),
    readoutLosses: state.train.map((r) => r.readoutLoss),
    weights,
  };
}

const quiet = () => {};
const fig3 = (args: string[]) => async () => {
  const { values } = parseFlags(
    [
      ...["--n-batch", "4", "--n-iter", "4", "--print-every", "0", "--validate-every", "100"],
      // The numbers were recorded on one core; tests/parallel_test.ts covers the workers.
      ...["--workers", "1"],
      ...["--out", Deno.makeTempDirSync(), ...args],
    ],
    FIG3_FLAGS,
  );
  const run = await runFig3(values, { log: quiet });
  run.backend.dispose();
  return summary(run.state);
};
const figS7 = (args: string[]) => async () => {
  const { values } = parseFlags(
    [
      "--seq-len",
      "300",
      "--n-iter",
      "5",
      "--print-every",
      "0",
      "--out",
      Deno.makeTempDirSync(),
      ...args,
    ],
    FIGS7_FLAGS,
  );
  const run = await runFigS7(values, { log: quiet });
  run.backend.dispose();
  return summary(run.state);
};

/** Each configuration, by name. */
export const regressionRuns: Record<string, () => Promise<RunSummary>> = {
  fig3_eprop_random: fig3(["--seed", "11"]),
  fig3_eprop_symmetric: fig3(["--seed", "12", "--feedback", "symmetric"]),
  fig3_bptt: fig3(["--seed", "13", "--method", "bptt"]),
  fig3_online_reg: fig3(["--seed", "14", "--reg-type", "online"]),
  figS7_eprop: figS7(["--seed", "21"]),
  figS7_bptt: figS7(["--seed", "22", "--method", "bptt"]),
};

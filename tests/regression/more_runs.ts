/**
 * More regression configurations, recorded before the network stacks became one (issue 22): a
 * short Fig. 2 run (tiny TIMIT-layout corpus, bidirectional LSNN, e-prop and BPTT, f64) and short
 * agent runs on the TypeScript Catch for each reward form (online, unroll, bptt), summarised as
 * numbers: losses, episode scores, update statistics and checksums of the final parameters.
 */
import { main as fig2Main } from "../../src/apps/fig2.ts";
import { main as timitPrepare } from "../../src/apps/timit_prepare.ts";
import {
  atariMain,
  EARLIER_AGENT_FLAGS,
  EARLIER_UNROLL_FLAGS,
} from "../../src/experiments/atari.ts";
import { readAgentCheckpoint } from "../../src/experiments/agent_checkpoint.ts";
import { networkCheckpointFromJson } from "../../src/train/network_trainer.ts";
import { paramLeaves } from "../../src/net/params.ts";
import { writeTinyTimit } from "../_tiny_timit.ts";

/** Numbers that summarise a run. */
export interface MoreRunSummary {
  /** Per-iteration (Fig. 2) or per-update (agent) numbers, by series name. */
  series: Record<string, number[]>;
  /** Sum and sum of squares of each final parameter. */
  weights: Record<string, [number, number]>;
}

function checksum(data: ArrayLike<number>): [number, number] {
  let sum = 0, sq = 0;
  for (let i = 0; i < data.length; i++) (sum += data[i]), (sq += data[i] * data[i]);
  return [sum, sq];
}

/** Runs a command's main quietly; a nonzero exit throws with what it printed. */
async function silently(f: () => Promise<number>): Promise<void> {
  const log = console.log, error = console.error;
  const said: string[] = [];
  console.log = (...a: unknown[]) => said.push(a.join(" "));
  console.error = (...a: unknown[]) => said.push(a.join(" "));
  try {
    const code = await f();
    if (code !== 0) throw new Error(`exit code ${code}: ${said.join("\n")}`);
  } finally {
    console.log = log;
    console.error = error;
  }
}

let cache: Promise<string> | undefined;
/** The tiny corpus' training cache (made once per process). */
function tinyCache(): Promise<string> {
  cache ??= (async () => {
    const dir = await Deno.makeTempDir();
    await writeTinyTimit(`${dir}/corpus`);
    await silently(() =>
      timitPrepare(["--timit", `${dir}/corpus`, "--out", `${dir}/cache`, "--no-figure"])
    );
    return `${dir}/cache`;
  })();
  return cache;
}

const fig2 = (args: string[]) => async (): Promise<MoreRunSummary> => {
  const out = await Deno.makeTempDir();
  const data = await tinyCache();
  await silently(() =>
    fig2Main(
      [
        ...["--data", data, "--out", out, "--n-iter", "6", "--validate-every", "3"],
        ...["--n-batch", "4"],
        ...["--ramp", "2", "--learning-rate", "0.02", "--print-every", "0", "--precision", "f64"],
        ...["--no-figures", ...args],
      ],
      { log: () => {} },
    )
  );
  const { state } = networkCheckpointFromJson(
    await Deno.readTextFile(`${out}/checkpoint.json`),
    out,
    "fig2",
  );
  const weights: Record<string, [number, number]> = {};
  for (const leaf of paramLeaves(state.params)) weights[leaf.path] = checksum(leaf.data);
  return {
    series: {
      loss: state.train.map((r) => r.loss),
      validation: state.validation.map((r) => r.loss),
    },
    weights,
  };
};

const catchRun = (form: string, seed: number) => async (): Promise<MoreRunSummary> => {
  const out = await Deno.makeTempDir();
  await silently(() =>
    atariMain(
      [
        ...["--env", "catch", "--size", "24", "--n-lif", "8", "--n-alif", "4"],
        ...["--episodes-parallel", "4", "--update", "every-unroll", "--unroll-length", "10"],
        ...["--print-every", "0", "--record-steps", "30", "--frames", "8000"],
        ...["--form", form, "--seed", String(seed), "--out", out],
        // the agent these numbers were recorded with
        ...["--pool", "4", ...EARLIER_AGENT_FLAGS],
        ...(form === "online" ? [] : EARLIER_UNROLL_FLAGS),
      ],
      "fig4",
    )
  );
  const results = JSON.parse(await Deno.readTextFile(`${out}/results.json`));
  const checkpoint = await readAgentCheckpoint(out);
  const weights: Record<string, [number, number]> = {};
  for (const [name, p] of Object.entries(checkpoint.params)) weights[name] = checksum(p);
  return {
    series: {
      score: results.episodes.map((e: { score: number }) => e.score),
      steps: results.episodes.map((e: { steps: number }) => e.steps),
      rate: results.updates.map((u: { rate: number }) => u.rate),
      rateLoss: results.updates.map((u: { rateLoss: number }) => u.rateLoss),
      voltageLoss: results.updates.map((u: { voltageLoss: number }) => u.voltageLoss),
    },
    weights,
  };
};

const LSNN = ["--n-regular", "6", "--n-adaptive", "2", "--workers", "1"];

/** Each configuration, by name. */
export const moreRegressionRuns: Record<string, () => Promise<MoreRunSummary>> = {
  fig2_lsnn_eprop: fig2(["--seed", "31", "--method", "eprop", ...LSNN]),
  fig2_lsnn_bptt: fig2(["--seed", "32", "--method", "bptt", ...LSNN]),
  fig2_lstm_bptt: fig2(["--seed", "33", "--method", "bptt", "--model", "lstm", "--n-lstm", "6"]),
  catch_online: catchRun("online", 41),
  catch_unroll: catchRun("unroll", 42),
  catch_bptt: catchRun("bptt", 43),
};

if (import.meta.main) {
  const out: Record<string, unknown> = {};
  for (const [name, run] of Object.entries(moreRegressionRuns)) out[name] = await run();
  console.log(JSON.stringify(out, null, 1));
}

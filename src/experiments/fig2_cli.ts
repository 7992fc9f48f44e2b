/**
 * `deno task fig2`: the command around a Fig. 2 run (src/experiments/fig2.ts): flags, the run
 * folder (new, or --resume), checkpoints and the validation-selected parameters written as the
 * run goes, results.json and the run's figures at the end.
 *
 * @module
 */
import type { FlagValues } from "../cli/flags.ts";
import { commandMain, fileError, InputError } from "../cli/command.ts";
import type { TimitCache } from "../data/timit_cache.ts";
import {
  type NetworkCheckpoint,
  networkCheckpointFromJson,
  networkCheckpointToJson,
  networkParamsToJson,
  type NetworkTrainingState,
} from "../train/network_trainer.ts";
import { DivergenceError } from "../train/trainer.ts";
import type { ResumeRecord } from "../train/checkpoint.ts";
import { formatDuration } from "../train/progress.ts";
import { checkpointPath, prepareRunDir } from "./run_dir.ts";
import {
  checkFig2Flags,
  FIG2_BEST_FILE,
  FIG2_FLAGS,
  FIG2_MUTABLE_FLAGS,
  FIG2_RECORDED_FLAGS,
  fig2Results,
  loadFig2Data,
  runFig2,
} from "./fig2.ts";
import { readFig2Run, writeFig2Figures } from "./fig2_report.ts";

async function writeAtomic(path: string, text: string): Promise<void> {
  await Deno.writeTextFile(`${path}.tmp`, text);
  await Deno.rename(`${path}.tmp`, path);
}

/** Prepares the run folder and the flags, data and state to run with. */
async function startFig2(parsed: { values: FlagValues; given: Set<string> }): Promise<{
  values: FlagValues;
  cache: TimitCache;
  state?: NetworkTrainingState;
  history: ResumeRecord[];
}> {
  const out = parsed.values.out as string;
  if (!parsed.values.resume) {
    checkFig2Flags(parsed.values);
    const cache = await loadFig2Data(parsed.values); // before the run folder is made
    const prepared = await prepareRunDir(out, {
      kind: "fig2",
      values: parsed.values,
      given: parsed.given,
      resume: false,
      mutable: FIG2_MUTABLE_FLAGS,
    });
    return { values: prepared.values, cache, history: [] };
  }
  const path = checkpointPath(out);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new InputError(`--resume: no checkpoint at ${path}`);
    }
    throw fileError(e, `read ${path}`);
  }
  let checkpoint: NetworkCheckpoint;
  try {
    checkpoint = networkCheckpointFromJson(text, path, "fig2");
  } catch (e) {
    throw new InputError((e as Error).message.replace(/^Cannot resume/, "--resume"));
  }
  const saved = checkpoint.flags as FlagValues;
  const values: FlagValues = { ...parsed.values, ...saved };
  const changed: Record<string, [unknown, unknown]> = {};
  for (const name of parsed.given) {
    if (FIG2_MUTABLE_FLAGS.includes(name)) {
      if (FIG2_RECORDED_FLAGS.includes(name) && saved[name] !== parsed.values[name]) {
        changed[name] = [saved[name], parsed.values[name]];
      }
      values[name] = parsed.values[name];
    } else if (name in saved && saved[name] !== parsed.values[name]) {
      throw new InputError(
        `--${name} ${
          parsed.values[name]
        } contradicts the checkpoint, which was run with --${name} ${saved[name]}`,
      );
    }
  }
  checkFig2Flags(values);
  const cache = await loadFig2Data(values);
  const history = [...checkpoint.history];
  if (Object.keys(changed).length > 0) {
    history.push({ iteration: checkpoint.state.iteration, changed });
  }
  return { values, cache, state: checkpoint.state, history };
}

/** Usage of `deno task fig2`. */
export const FIG2_USAGE = `usage: deno task fig2 --data DIR [options]

Trains a bidirectional LSNN (per direction 300 LIF + 100 ALIF) on frame-wise phoneme recognition
with the TIMIT cache in --data (deno task timit:prepare), by e-prop (symmetric, random, adaptive or
global feedback) or BPTT, as in Fig. 2 of the e-prop paper. Validates once per epoch, reports the
frame error on 61 phones and on 39 folded classes for the validation and test splits, and writes
results.json and checkpoints to --out (a new or empty folder; --resume continues a run there).`;

/**
 * Runs `deno task fig2`.
 * @param args Command-line arguments.
 * @param options Where to print.
 * @returns The exit code (0 done, 1 diverged or failed, 2 bad input).
 */
export function fig2Main(
  args: string[],
  options: { log?: (line: string) => void } = {},
): Promise<number> {
  const log = options.log ?? console.log;
  return commandMain({ name: "fig2", usage: FIG2_USAGE, flags: FIG2_FLAGS }, args, async (ctx) => {
    const { values, cache, state, history } = await startFig2(ctx);
    const out = values.out as string;
    try {
      const run = await runFig2(values, cache, {
        state,
        history,
        log,
        store: (cp) => writeAtomic(checkpointPath(out), networkCheckpointToJson(cp)),
        onBest: (record, params) =>
          writeAtomic(
            `${out}/${FIG2_BEST_FILE}`,
            JSON.stringify({ record, params: networkParamsToJson(params) }) + "\n",
          ),
      });
      try {
        await writeAtomic(`${out}/results.json`, JSON.stringify(fig2Results(run), null, 1) + "\n");
        if (!values["no-figures"]) {
          const summary = await readFig2Run(out);
          const files = await writeFig2Figures(out, summary!, cache, log);
          log(`fig2: figures ${files.join(", ")}`);
        }
        const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
        const b = run.best;
        log(
          `fig2: ${run.state.iteration} iterations in ${formatDuration(run.state.seconds)}; ` +
            `selected on validation at epoch ${+(b.iteration / run.batchesPerEpoch).toFixed(
              2,
            )}: frame error validation ${pct(b.error39)} (39) / ${pct(b.error)} (61), test ${
              pct(b.test.error39)
            } (39) / ${pct(b.test.error)} (61); results in ${out}/results.json`,
        );
      } finally {
        run.network.dispose();
      }
    } catch (e) {
      if (e instanceof DivergenceError) {
        const lr = values["learning-rate"] as number;
        e.message += `\nTo continue from the last checkpoint with a lower learning rate: ` +
          `deno task fig2 --resume --out ${out} --learning-rate ${lr / 2}`;
      }
      throw e;
    }
  });
}

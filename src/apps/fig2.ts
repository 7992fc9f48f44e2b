/**
 * `deno task fig2`: the command around a Fig. 2 run (src/experiments/fig2.ts): flags, the run
 * folder (new, or --resume), checkpoints and the validation-selected parameters written as the
 * run goes, results.json and the run's figures at the end.
 *
 * - The data is checked when it is opened (sizes, and the manifest's SHA-256 of small files
 *   whole and of 64 chunks of each large one; every byte with `--verify-data`), and the run
 *   records the cache's content hash: a resume on other data is refused naming `--data`.
 * - Resume means the run's own flags ({@linkcode resumeFlags}); only {@linkcode FIG2_MUTABLE_FLAGS}
 *   may change, those of {@linkcode FIG2_RECORDED_FLAGS} recorded in the run's history.
 * - A run that would not fit in memory is refused before anything is allocated.
 * - The first checkpoint is written after the first update, then every --checkpoint-every
 *   iterations and at the end; Ctrl-C says where the run resumes.
 *
 * @module
 */
import { FlagError, type FlagValues } from "../cli/flags.ts";
import { commandMain, InputError, readTextInput } from "../cli/command.ts";
import { resumeFlags } from "../cli/resume_flags.ts";
import { probeWritable, writeFileAtomic } from "../cli/outputs.ts";
import { onInterrupt } from "../cli/interrupt.ts";
import type { TimitCache } from "../data/timit_cache.ts";
import {
  type NetworkCheckpoint,
  networkCheckpointFromEnvelope,
  networkParamsToJson,
  type NetworkTrainingState,
} from "../train/network_trainer.ts";
import { DivergenceError } from "../train/trainer.ts";
import { checkpointFromFileText, writeCheckpointFile } from "../train/checkpoint_file.ts";
import type { ResumeRecord } from "../train/checkpoint.ts";
import { formatDuration } from "../train/progress.ts";
import {
  checkpointError,
  checkpointPath,
  findCheckpoint,
  prepareRunDir,
} from "../experiments/run_dir.ts";
import {
  checkFig2Flags,
  checkFig2Memory,
  FIG2_BEST_FILE,
  FIG2_DATA_HASH,
  FIG2_FLAGS,
  FIG2_MUTABLE_FLAGS,
  FIG2_RECORDED_FLAGS,
  fig2Results,
  loadFig2Data,
  longestUtterance,
  runFig2,
} from "../experiments/fig2.ts";
import { readFig2Run, writeFig2Figures } from "../experiments/fig2_report.ts";

/** The data of the flags, checked against the memory the run needs; records its content hash. */
async function openData(values: FlagValues): Promise<TimitCache> {
  const cache = await loadFig2Data(values);
  checkFig2Memory(values, cache.splits.train.dim, longestUtterance(cache));
  return cache;
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
    const cache = await openData(parsed.values); // before the run folder is made
    const prepared = await prepareRunDir(out, {
      kind: "fig2",
      values: parsed.values,
      given: parsed.given,
      resume: false,
      mutable: FIG2_MUTABLE_FLAGS,
    });
    const values = { ...prepared.values, [FIG2_DATA_HASH]: cache.manifest.contentHash };
    return { values, cache, history: [] };
  }
  const path = await findCheckpoint(out);
  const text = await readTextInput(path);
  let checkpoint: NetworkCheckpoint;
  try {
    checkpoint = networkCheckpointFromEnvelope(
      await checkpointFromFileText(text, path, { kind: "fig2" }),
      path,
    );
  } catch (e) {
    throw checkpointError(e, path);
  }
  const saved = checkpoint.flags as FlagValues;
  if (typeof saved.data !== "string" || saved.data === "") {
    throw new InputError(
      `cannot resume from ${path}: it records no --data; this run cannot continue: start a new one in another --out`,
    );
  }
  const { values, change } = resumeFlags({
    saved,
    values: parsed.values,
    given: parsed.given,
    mutable: FIG2_MUTABLE_FLAGS,
    recorded: FIG2_RECORDED_FLAGS,
    iteration: checkpoint.state.iteration,
  });
  if (parsed.given.has("n-epochs") && (values["n-iter"] as number) > 0) {
    throw new FlagError(
      `--n-epochs would be ignored: the run in ${out} was started with --n-iter ${
        saved["n-iter"]
      }, which sets its length; give --n-iter to change it`,
    );
  }
  checkFig2Flags(values);
  const cache = await openData(values);
  const recorded = saved[FIG2_DATA_HASH];
  if (typeof recorded === "string" && recorded !== cache.manifest.contentHash) {
    throw new InputError(
      `--data ${values.data} holds other data (content ${
        cache.manifest.contentHash.slice(0, 16)
      }) than the run in ${out} was trained on (content ${
        recorded.slice(0, 16)
      }); resume with the cache it was started with, or start a new run in another --out`,
    );
  }
  values[FIG2_DATA_HASH] = cache.manifest.contentHash;
  const batchesPerEpoch = Math.max(
    1,
    Math.floor(cache.splits.train.lengths.length / (values["n-batch"] as number)),
  );
  const planned = (values["n-iter"] as number) > 0
    ? values["n-iter"] as number
    : (values["n-epochs"] as number) * batchesPerEpoch;
  const done = checkpoint.state.iteration;
  if (planned < done) {
    const which = (values["n-iter"] as number) > 0
      ? `--n-iter ${values["n-iter"]}`
      : `--n-epochs ${values["n-epochs"]} (${planned} iterations)`;
    throw new FlagError(
      `${which} is less than the ${done} iterations the run in ${out} has done; give at least that many to continue it`,
    );
  }
  await probeWritable(out, `write into --out ${out}`);
  const history = [...checkpoint.history];
  if (change) history.push(change);
  return { values, cache, state: checkpoint.state, history };
}

/** Usage of `deno task fig2`. */
export const FIG2_USAGE = `usage: deno task fig2 --data DIR [options]

Trains a bidirectional LSNN (per direction 300 LIF + 100 ALIF) on frame-wise phoneme recognition
with the TIMIT cache in --data (deno task timit:prepare), by e-prop (symmetric, random, adaptive or
global feedback) or BPTT, as in Fig. 2 of the e-prop paper. Validates once per epoch, reports the
frame error on 61 phones and on 39 folded classes for the validation and test splits, and writes
results.json and checkpoints to --out (a new or empty folder; --resume continues a run there with
its own flags and data: only ${
  FIG2_MUTABLE_FLAGS.filter((m) => m !== "resume" && m !== "out").map((m) => `--${m}`).join(", ")
} may be given again with a new value, --data only for the same content).`;

/**
 * Runs `deno task fig2`.
 * @param args Command-line arguments.
 * @param options Where to print.
 * @returns The exit code (0 done, 1 diverged or failed, 2 bad input).
 */
export function main(
  args: string[],
  options: { log?: (line: string) => void } = {},
): Promise<number> {
  const log = options.log ?? console.log;
  const spec = {
    name: "fig2",
    usage: FIG2_USAGE,
    flags: FIG2_FLAGS,
    check: (v: FlagValues, given: Set<string>) => {
      if (given.has("n-epochs") && given.has("n-iter") && (v["n-iter"] as number) > 0) {
        throw new FlagError(
          "--n-iter sets the run's length, --n-epochs would be ignored; give one of them",
        );
      }
    },
  };
  return commandMain(spec, args, async (ctx) => {
    const { values, cache, state, history } = await startFig2(ctx);
    const out = values.out as string;
    let saved = state?.iteration;
    const resumeLine = `deno task fig2 --resume --out ${out}`;
    const removeHandler = onInterrupt(() =>
      saved === undefined
        ? `no checkpoint was written yet; start again: deno task fig2 ${ctx.args.join(" ")}`
        : `the last checkpoint, at iteration ${saved}, resumes with: ${resumeLine}`
    );
    try {
      const run = await runFig2(values, cache, {
        state,
        history,
        log,
        store: async (cp) => {
          await writeCheckpointFile(checkpointPath(out), cp, { tag: cp.state.iteration });
          saved = cp.state.iteration;
        },
        onBest: (record, params) =>
          writeFileAtomic(
            `${out}/${FIG2_BEST_FILE}`,
            JSON.stringify({ record, params: networkParamsToJson(params) }) + "\n",
          ),
      });
      try {
        await writeFileAtomic(
          `${out}/results.json`,
          JSON.stringify(fig2Results(run), null, 1) + "\n",
        );
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
          `${resumeLine} --learning-rate ${lr / 2}`;
      }
      throw e;
    } finally {
      removeHandler();
    }
  });
}

if (import.meta.main) Deno.exit(await main(Deno.args));

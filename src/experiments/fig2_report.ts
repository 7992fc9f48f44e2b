/**
 * What a Fig. 2 run folder tells: its summary (from results.json, or from the checkpoint of a run
 * still going), the score of its initial network, and its figures (confusion matrix of the test
 * split, one test utterance, the learning curve), all from the parameters selected on validation.
 *
 * @module
 */
import type { FlagValues } from "../cli/flags.ts";
import { fileError, InputError } from "../cli/command.ts";
import { writeFileAtomic } from "../cli/outputs.ts";
import type { TimitCache } from "../data/timit_cache.ts";
import { Rng } from "../util/rng.ts";
import { saveFigure } from "../plot/render.ts";
import { networkCheckpointFromEnvelope, networkParamsFromJson } from "../train/network_trainer.ts";
import { checkpointFromFileText } from "../train/checkpoint_file.ts";
import type { NetworkParams } from "../net/params.ts";
import type { NetworkBackend } from "../engine/network_backend.ts";
import {
  bestValidation,
  createFig2Model,
  FIG2_BEST_FILE,
  fig2Seeds,
  type Fig2ValidationRecord,
  scoreSplit,
  splitBatch,
  type SplitSummary,
  splitSummary,
} from "./fig2.ts";
import {
  confusionFigure,
  fig2UtteranceFigure,
  type LearningCurve,
  learningCurvesFigure,
  type PopulationRaster,
} from "./fig2_figures.ts";

/** One epoch's (or the selected point's) scores. */
export interface EpochSummary {
  /** Iteration after which it was scored. */
  iteration: number;
  /** Epochs done then. */
  epoch: number;
  /** Validation split. */
  validation: SplitSummary;
  /** Test split. */
  test: SplitSummary;
}

/** What a run folder holds. */
export interface Fig2RunSummary {
  /** The run's flags. */
  flags: FlagValues;
  /** Whether results.json was written (the run finished its iterations). */
  complete: boolean;
  /** Epochs trained. */
  epochs: number;
  /** Epochs planned. */
  plannedEpochs: number;
  /** Training seconds per epoch. */
  secondsPerEpoch: number;
  /** The point selected on validation. */
  best: EpochSummary;
  /** Every scored epoch. */
  history: EpochSummary[];
}

/**
 * Reads a run folder: results.json when the run finished, else its checkpoint (whose iterations
 * are converted to epochs with the training split's size from the manifest of the run's --data).
 * @param dir The folder.
 * @returns The summary, or undefined when the folder holds neither or nothing was scored yet.
 */
export async function readFig2Run(dir: string): Promise<Fig2RunSummary | undefined> {
  const read = async (name: string) => {
    try {
      return await Deno.readTextFile(`${dir}/${name}`);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) {
        return undefined;
      }
      throw fileError(e, `read ${dir}/${name}`);
    }
  };
  const results = await read("results.json");
  if (results !== undefined) {
    let r;
    try {
      r = JSON.parse(results);
    } catch {
      r = undefined;
    }
    if (
      typeof r !== "object" || r === null || r.task !== "fig2" || typeof r.flags !== "object" ||
      r.flags === null || typeof r.best !== "object" || !Array.isArray(r.epochsHistory) ||
      typeof r.epochs !== "number"
    ) {
      throw new InputError(
        `${dir}/results.json is not the results of a fig2 run (damaged or edited); move the folder away to run it again`,
      );
    }
    const planned = r.flags["n-iter"] > 0 ? r.epochs : r.flags["n-epochs"];
    return {
      flags: r.flags,
      complete: true,
      epochs: r.epochs,
      plannedEpochs: planned,
      secondsPerEpoch: r.secondsPerEpoch,
      best: r.best,
      history: r.epochsHistory,
    };
  }
  const text = await read("checkpoint.json");
  if (text === undefined) return undefined;
  let cp;
  try {
    const path = `${dir}/checkpoint.json`;
    cp = networkCheckpointFromEnvelope(
      await checkpointFromFileText(text, path, { kind: "fig2" }),
      path,
    );
  } catch (e) {
    throw new InputError(
      `${(e as Error).message.replace(/^Cannot resume: /, "cannot read the run ")}` +
        "; this run cannot continue: move the folder away to run it again",
    );
  }
  const f = cp.flags as FlagValues;
  let utterances: number;
  try {
    const manifest = JSON.parse(await Deno.readTextFile(`${f.data}/manifest.json`));
    utterances = manifest.splits.train.utterances;
    if (!Number.isInteger(utterances) || utterances < 1) throw new Error("no training utterances");
  } catch (e) {
    throw new InputError(
      `${dir}: the run is still going (no results.json), and its data folder ${f.data} cannot tell its epochs: ${
        (e as Error).message
      }`,
    );
  }
  const batchesPerEpoch = Math.max(1, Math.floor(utterances / (f["n-batch"] as number)));
  const records = cp.state.validation as Fig2ValidationRecord[];
  const best = bestValidation(records);
  if (!best) return undefined;
  const epoch = (r: Fig2ValidationRecord): EpochSummary => ({
    iteration: r.iteration,
    epoch: r.iteration / batchesPerEpoch,
    validation: splitSummary(r),
    test: splitSummary(r.test),
  });
  const epochs = cp.state.iteration / batchesPerEpoch;
  return {
    flags: f,
    complete: false,
    epochs,
    plannedEpochs: (f["n-iter"] as number) > 0
      ? (f["n-iter"] as number) / batchesPerEpoch
      : f["n-epochs"] as number,
    secondsPerEpoch: cp.state.seconds / Math.max(epochs, 1e-9),
    best: epoch(best),
    history: records.filter((r) => r.test).map(epoch),
  };
}

/**
 * Validation and test scores of the run's initial network (drawn from its seed), cached in
 * `<dir>/initial.json`.
 * @param dir The run folder.
 * @param flags The run's flags.
 * @param cache The data.
 * @returns The scores.
 */
export async function initialScores(
  dir: string,
  flags: FlagValues,
  cache: TimitCache,
): Promise<{ validation: SplitSummary; test: SplitSummary }> {
  const path = `${dir}/initial.json`;
  try {
    const saved = JSON.parse(await Deno.readTextFile(path));
    if (saved?.validation?.frameError39 !== undefined && saved?.test?.frameError39 !== undefined) {
      return saved;
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound) && !(e instanceof SyntaxError)) {
      throw fileError(e, `read ${path}`);
    }
  } // missing or damaged: scored again
  const f: FlagValues = { ...flags, workers: 1 };
  const model = await createFig2Model(
    f,
    cache.splits.train.dim,
    new Rng(fig2Seeds(f.seed as number).init),
  );
  try {
    const out = {
      validation: splitSummary(await scoreSplit(model.network, cache, "validation", f)),
      test: splitSummary(await scoreSplit(model.network, cache, "test", f)),
    };
    await writeFileAtomic(path, JSON.stringify(out, null, 1) + "\n");
    return out;
  } finally {
    model.network.dispose();
  }
}

/** A display name of a run's method, e.g. "LSNN e-prop (random)". */
export function fig2RunLabel(flags: FlagValues): string {
  const model = flags.model === "lstm" ? "LSTM" : "LSNN";
  return flags.method === "bptt" ? `${model} BPTT` : `${model} e-prop (${flags.feedback})`;
}

/**
 * The learning curve of a run (epoch 0: the initial network, when scored).
 * @param name Legend name.
 * @param run The run.
 * @param initial Initial scores.
 * @returns The curve.
 */
export function learningCurve(
  name: string,
  run: Fig2RunSummary,
  initial?: { validation: SplitSummary; test: SplitSummary },
): LearningCurve {
  const points = [
    ...(initial ? [{ epoch: 0, validation: initial.validation, test: initial.test }] : []),
    ...run.history,
  ];
  return {
    name,
    epochs: points.map((p) => p.epoch),
    validation: points.map((p) => p.validation.frameError39),
    test: points.map((p) => p.test.frameError39),
  };
}

/** Picks the figure's utterance: the first test utterance of 2 to 3.5 s (else the first). */
/** Whether a network can run its forward pass alone and return the spikes (a one-core LSNN). */
function canSimulate(network: object): network is NetworkBackend {
  return typeof (network as Partial<NetworkBackend>).simulate === "function";
}

function pickUtterance(cache: TimitCache): number {
  const lengths = cache.splits.test.lengths;
  const i = lengths.findIndex((l) => l >= 200 && l <= 350);
  return i >= 0 ? i : 0;
}

/**
 * Writes `confusion`, `utterance` and `learning_curve` (.png and .svg) into a run folder, from
 * the parameters selected on validation (best.json).
 * @param dir The run folder.
 * @param run Its summary.
 * @param cache The data.
 * @param log Progress output.
 * @returns The PNG paths.
 */
export async function writeFig2Figures(
  dir: string,
  run: Fig2RunSummary,
  cache: TimitCache,
  log: (line: string) => void = console.log,
): Promise<string[]> {
  let params: NetworkParams;
  try {
    const best = JSON.parse(await Deno.readTextFile(`${dir}/${FIG2_BEST_FILE}`));
    params = networkParamsFromJson(best.params, `${dir}/${FIG2_BEST_FILE}`);
  } catch (e) {
    throw new InputError(
      `cannot draw the figures of ${dir}: ${dir}/${FIG2_BEST_FILE} is missing or damaged (${
        (e as Error).message.replace(/^Cannot resume: /, "")
      })`,
    );
  }
  const f: FlagValues = { ...run.flags, workers: 1 };
  const label = fig2RunLabel(f);
  const model = await createFig2Model(f, cache.splits.train.dim, new Rng(0), params);
  const written: string[] = [];
  try {
    model.network.setParams(params);
    log(`fig2: figures of ${dir} (parameters of epoch ${+run.best.epoch.toFixed(2)})`);
    const confusion = new Float64Array(39 * 39);
    const test = await scoreSplit(model.network, cache, "test", f, confusion);
    written.push(
      (await saveFigure(
        confusionFigure({
          classes: cache.classes39,
          counts: confusion,
          title: `${label}: test confusion matrix, 39 classes (frame error ${
            (100 * test.error39).toFixed(1)
          }%)`,
        }),
        { dir, name: "confusion" },
      )).png,
    );
    // One test utterance.
    const u = pickUtterance(cache);
    const { batch, objective, labels } = splitBatch(cache, "test", [u], f);
    const frames = batch.frames, repeat = f.model === "lstm" ? 1 : f.repeat as number;
    const rasters: PopulationRaster[] = [];
    let logits: Float64Array;
    if (canSimulate(model.network)) {
      const traj = model.network.simulate(batch);
      logits = traj.outputs[0];
      const shown = 60;
      traj.z.forEach((z, p) => {
        const n = z.length / (frames * repeat);
        const step = Math.max(1, Math.floor(n / shown));
        const cols = Array.from({ length: Math.min(shown, n) }, (_, k) => k * step);
        const spikes = new Float64Array(frames * repeat * cols.length);
        for (let t = 0; t < frames * repeat; t++) {
          cols.forEach((j, c) => (spikes[t * cols.length + c] = z[t * n + j]));
        }
        rasters.push({
          title: `${
            p % 2 === 0 ? "forward" : "backward"
          } direction: spikes of ${cols.length} of ${n} neurons`,
          spikes,
          n: cols.length,
          steps: frames * repeat,
        });
      });
    } else {
      logits = (await model.network.evaluate(batch, objective)).outputs[0];
    }
    const posteriors = new Float64Array(frames * 61);
    let wrong = 0;
    for (let t = 0; t < frames; t++) {
      const row = logits.subarray(t * 61, (t + 1) * 61);
      const m = Math.max(...row);
      let z = 0, arg = 0;
      for (let k = 0; k < 61; k++) {
        posteriors[t * 61 + k] = Math.exp(row[k] - m);
        z += posteriors[t * 61 + k];
        if (row[k] > row[arg]) arg = k;
      }
      for (let k = 0; k < 61; k++) posteriors[t * 61 + k] /= z;
      if (cache.folding[arg] !== cache.folding[labels[t]]) wrong++;
    }
    const s = cache.splits.test;
    written.push(
      (await saveFigure(
        fig2UtteranceFigure({
          title: `${label}: test utterance ${s.ids[u]} (frame error ${
            (100 * wrong / frames).toFixed(1)
          }%, 39 classes)`,
          features: s.features.subarray(s.offsets[u] * s.dim, s.offsets[u + 1] * s.dim),
          dim: s.dim,
          shown: Math.min(s.dim, cache.manifest.features.kind === "fbank" ? 41 : 13),
          frames,
          labels,
          phones: cache.phones,
          posteriors,
          rasters,
          repeat,
        }),
        { dir, name: "utterance" },
      )).png,
    );
    written.push(
      (await saveFigure(
        learningCurvesFigure(
          [learningCurve(label, run)],
          `${label}: frame error per epoch (selected at epoch ${+run.best.epoch.toFixed(2)})`,
        ),
        { dir, name: "learning_curve" },
      )).png,
    );
    return written;
  } finally {
    model.network.dispose();
  }
}

/**
 * Fig. 2, frame-wise phoneme recognition on TIMIT with a bidirectional LSNN (EPROP.md section 7):
 * per direction 300 LIF + 100 ALIF neurons, each 10 ms frame of 123 features presented for 5 steps,
 * a readout averaging each frame's steps (paper filter, tau 3 frames, bias) over 61 phones, CE per
 * frame, firing-rate regularization and L2, Adam (lr 0.01, epsilon 1e-5, ramp over 100
 * iterations), batch 32, trained by BPTT or e-prop (symmetric, random, adaptive or global
 * feedback). Batches come from the cache's training split, shuffled per epoch from the seed; the
 * frame error is measured on 61 phones and on the 39 folded classes.
 *
 * @module
 */
import { FlagError, type FlagSpecs, type FlagValues, MAX_SEED } from "../cli/flags.ts";
import { checkMemory, InputError } from "../cli/command.ts";
import {
  type CacheCheck,
  FEATURE_DIMS,
  type FeatureKind,
  readTimitCache,
  type TimitCache,
} from "../data/timit_cache.ts";
import type { SplitName } from "../data/timit_corpus.ts";
import { type ResolvedNetwork, resolveNetwork } from "../net/network.ts";
import { checkNetworkParams, initNetworkParams, type NetworkParams } from "../net/params.ts";
import type { NetworkObjective } from "../net/objective.ts";
import type { SequenceBatch } from "../net/batch.ts";
import { createNetworkBackend, createParallelNetwork } from "../engine/factory/load_backend.ts";
import { checkLstmParams, lstmSpecOf } from "../net/lstm_spec.ts";
import { fig2LsnnNetwork, fig2LstmNetwork } from "../net/presets.ts";
import { Rng } from "../util/rng.ts";
import { createOptimizer } from "../train/optimizer.ts";
import {
  createHeadFeedback,
  initialNetworkTrainingState,
  type NetworkCheckpoint,
  type NetworkTrainingState,
  type NetworkValidation,
  type NetworkValidationRecord,
  type TrainableNetwork,
  trainNetwork,
} from "../train/network_trainer.ts";
import type { ResumeRecord } from "../train/checkpoint.ts";
import { gradientWorkers } from "./workers.ts";

/** The flags of `deno task fig2`. */
export const FIG2_FLAGS: FlagSpecs = {
  data: { type: "string", default: "", help: "TIMIT cache folder (deno task timit:prepare)" },
  "verify-data": {
    type: "boolean",
    default: false,
    help:
      "check the SHA-256 of every byte of the cache before training (without it: sizes, small files whole and 64 chunks of each large file)",
  },
  features: {
    type: "string",
    default: "fbank",
    choices: ["fbank", "mfcc"],
    help: "features the cache must hold: fbank (123, the paper's) or mfcc (39)",
  },
  model: {
    type: "string",
    default: "lsnn",
    choices: ["lsnn", "lstm"],
    help: "network: the paper's LSNN or the LSTM baseline",
  },
  "n-lstm": {
    type: "int",
    default: 200,
    min: 1,
    max: 100_000,
    help: "LSTM units per direction",
    appliesWhen: { model: ["lstm"] },
  },
  method: { type: "string", default: "eprop", choices: ["eprop", "bptt"], help: "learning rule" },
  feedback: {
    type: "string",
    default: "symmetric",
    choices: ["symmetric", "random", "adaptive", "global"],
    help: "e-prop feedback per head",
    appliesWhen: { method: ["eprop"] },
  },
  "kp-lambda": {
    type: "number",
    default: 0.01,
    min: 0,
    max: 0.999999,
    help: "decay of adaptive (Kolen-Pollack) feedback",
    appliesWhen: { feedback: ["adaptive"] },
  },
  "n-epochs": { type: "int", default: 80, min: 1, max: 1_000_000, help: "epochs of training" },
  "n-iter": {
    type: "int",
    default: 0,
    min: 0,
    max: 100_000_000,
    help: "iterations in total (0: --n-epochs epochs)",
  },
  "n-batch": { type: "int", default: 32, min: 1, max: 100_000, help: "utterances per batch" },
  "learning-rate": {
    type: "number",
    default: 0.01,
    min: 0,
    exclusiveMin: true,
    help: "Adam learning rate",
  },
  epsilon: { type: "number", default: 1e-5, min: 0, exclusiveMin: true, help: "Adam epsilon" },
  beta1: { type: "number", default: 0.9, min: 0, max: 0.999999, help: "Adam beta1" },
  ramp: {
    type: "int",
    default: 100,
    min: 0,
    max: 100_000_000,
    help: "iterations of the linear learning-rate ramp from 0",
  },
  "n-regular": {
    type: "int",
    default: 300,
    min: 0,
    max: 100_000,
    help: "LIF per direction",
    appliesWhen: { model: ["lsnn"] },
  },
  "n-adaptive": {
    type: "int",
    default: 100,
    min: 0,
    max: 100_000,
    help: "ALIF per direction",
    appliesWhen: { model: ["lsnn"] },
  },
  "n-layers": {
    type: "int",
    default: 1,
    min: 1,
    max: 16,
    help: "bidirectional layers",
    appliesWhen: { model: ["lsnn"] },
  },
  "tau-m": {
    type: "number",
    default: 20,
    min: 0,
    exclusiveMin: true,
    help: "tau_m (ms)",
    appliesWhen: { model: ["lsnn"] },
  },
  "tau-a": {
    type: "number",
    default: 200,
    min: 0,
    exclusiveMin: true,
    help: "tau_a (ms)",
    appliesWhen: { model: ["lsnn"] },
  },
  thr: {
    type: "number",
    default: 0.205,
    min: 0,
    exclusiveMin: true,
    help: "base threshold",
    appliesWhen: { model: ["lsnn"] },
  },
  beta: {
    type: "number",
    default: 0.184,
    min: 0,
    help: "adaptation strength of ALIF",
    appliesWhen: { model: ["lsnn"] },
  },
  "n-ref": {
    type: "int",
    default: 2,
    min: 0,
    max: 10_000,
    help: "refractory steps",
    appliesWhen: { model: ["lsnn"] },
  },
  "dampening-factor": {
    type: "number",
    default: 0.3,
    min: 0,
    help: "pseudo-derivative gamma",
    appliesWhen: { model: ["lsnn"] },
  },
  repeat: {
    type: "int",
    default: 5,
    min: 1,
    max: 1000,
    help: "steps per 10 ms frame",
    appliesWhen: { model: ["lsnn"] },
  },
  "tau-out": {
    type: "number",
    default: 3,
    min: 0,
    exclusiveMin: true,
    help: "readout filter time constant (frames)",
    appliesWhen: { model: ["lsnn"] },
  },
  "reg-f": {
    type: "number",
    default: 50,
    min: 0,
    help: "firing-rate regularization c_reg",
    appliesWhen: { model: ["lsnn"] },
  },
  "reg-rate": {
    type: "number",
    default: 10,
    min: 0,
    max: 1000,
    help: "target rate (Hz)",
    appliesWhen: { model: ["lsnn"] },
  },
  l2: { type: "number", default: 1e-5, min: 0, help: "L2 coefficient" },
  precision: { type: "string", default: "f32", choices: ["f32", "f64"], help: "arithmetic" },
  workers: {
    type: "int",
    default: 0,
    min: 0,
    max: 256,
    help: "gradient workers (0: one per core, at most one per utterance of a batch)",
    appliesWhen: { model: ["lsnn"] },
  },
  seed: { type: "int", default: 0, min: 0, max: MAX_SEED, help: "random seed" },
  "print-every": { type: "int", default: 10, min: 0, help: "iterations between progress lines" },
  "validate-every": {
    type: "int",
    default: 0,
    min: 0,
    max: 100_000_000,
    help: "iterations between validations (0: once per epoch)",
  },
  "checkpoint-every": {
    type: "int",
    default: 50,
    min: 0,
    max: 100_000_000,
    help: "iterations between checkpoints (0: only at the end)",
  },
  out: { type: "string", default: "out/fig2", help: "output folder (results, checkpoints)" },
  resume: { type: "boolean", default: false, help: "continue the run in --out" },
  "no-figures": {
    type: "boolean",
    default: false,
    help: "do not draw the run's figures at the end (confusion matrix, utterance, learning curve)",
  },
};

/** The parameters selected on the validation split, in the run folder. */
export const FIG2_BEST_FILE = "best.json";

/** Flags that may differ when resuming. */
export const FIG2_MUTABLE_FLAGS: readonly string[] = [
  "data",
  "verify-data",
  "n-epochs",
  "n-iter",
  "learning-rate",
  "print-every",
  "checkpoint-every",
  "workers",
  "out",
  "resume",
  "no-figures",
];

/** Flags whose change on resume is recorded in the history. */
export const FIG2_RECORDED_FLAGS: readonly string[] = ["n-epochs", "n-iter", "learning-rate"];

/**
 * The entry of a run's recorded flags that holds the content hash of its data (the cache
 * manifest's `contentHash`, which covers the SHA-256 of every data file): a resume on other data
 * is refused, whatever folder --data names.
 */
export const FIG2_DATA_HASH = "data-sha256";

/** Seeds of the separate random streams. */
export function fig2Seeds(seed: number): { init: number; shuffle: number; validation: number } {
  return { init: seed, shuffle: seed + 1_000_003, validation: seed + 2_000_003 };
}

/**
 * Checks flag combinations.
 * @param f The flags.
 * @throws {FlagError} Naming the conflict.
 */
export function checkFig2Flags(f: FlagValues): void {
  if (f.data === "") {
    throw new FlagError("--data is required: the TIMIT cache folder (deno task timit:prepare)");
  }
  if ((f["n-regular"] as number) + (f["n-adaptive"] as number) < 1) {
    throw new FlagError("--n-regular plus --n-adaptive must be at least 1");
  }
  checkFig2Memory(f, FEATURE_DIMS[f.features as FeatureKind] ?? 123, 0);
}

/**
 * Estimated bytes of a run: per wasm core (each holds one direction's weights twice, their
 * gradients, about eight [steps][batch][neurons] records of a pass, e-prop's two
 * [batch][inputs + neurons][neurons] traces) and in all (every gradient worker's core, and the
 * parameters, Adam moments, gradients and feedback on the host in float64).
 * @param f The flags.
 * @param nIn Features per frame.
 * @param frames The longest utterance (frames; 0 when the data is not read yet).
 * @returns Bytes per core and in total.
 */
export function fig2MemoryBytes(
  f: FlagValues,
  nIn: number,
  frames: number,
): { perCore: number; total: number } {
  const elt = f.precision === "f64" ? 8 : 4;
  const workers = f.model === "lstm" ? 1 : Math.max(1, gradientWorkers(f));
  const B = Math.ceil((f["n-batch"] as number) / workers);
  const eprop = f.method === "eprop";
  let core = 0, params = 0;
  if (f.model === "lstm") {
    const H = f["n-lstm"] as number, G = 4 * H, T = Math.max(1, frames);
    params = 2 * ((nIn + H) * G + G) + 2 * H * 61 + 61;
    core = 2 * (3 * (nIn + H) * G + 8 * T * B * H + (eprop ? 3 * B * (nIn + H) * H : 0)) +
      4 * T * B * (2 * H + 61);
  } else {
    const n = (f["n-regular"] as number) + (f["n-adaptive"] as number);
    const T = Math.max(1, frames) * (f.repeat as number);
    for (let l = 0; l < (f["n-layers"] as number); l++) {
      const nPre = (l === 0 ? nIn : 2 * n) + n;
      params += 2 * nPre * n;
      core += 2 * (6 * nPre * n + 8 * T * B * n + (eprop ? 2 * B * nPre * n : 0));
    }
    params += 2 * n * 61 + 61;
    core += 4 * Math.max(1, frames) * B * (2 * n + 61) + 2 * T * B * nIn;
  }
  const perCore = elt * core;
  return { perCore, total: workers * perCore + 8 * 6 * params };
}

/** Names the flags that size a run, for a memory refusal. */
function sizeFlags(f: FlagValues, frames: number): string {
  const net = f.model === "lstm"
    ? `--n-lstm ${f["n-lstm"]}`
    : `--n-regular ${f["n-regular"]} --n-adaptive ${f["n-adaptive"]} --n-layers ${f["n-layers"]}${
      frames > 0 ? ` --repeat ${f.repeat}` : ""
    }`;
  return `${net} with --n-batch ${f["n-batch"]} (--method ${f.method}, --precision ${f.precision}${
    frames > 0 ? `, utterances of up to ${frames} frames in --data` : ""
  })`;
}

/**
 * Refuses a run that would not fit in memory, before anything is allocated: a wasm core holds
 * at most 4 GiB, the whole run at most 80% of the machine's memory.
 * @param f The flags.
 * @param nIn Features per frame.
 * @param frames The longest utterance (0: before the data is read; sizes without the records).
 * @throws {FlagError} Naming the flags that size the run.
 */
export function checkFig2Memory(f: FlagValues, nIn: number, frames: number): void {
  const { perCore, total } = fig2MemoryBytes(f, nIn, frames);
  checkMemory(perCore, { what: `one wasm core for ${sizeFlags(f, frames)}` });
  checkMemory(total, { what: sizeFlags(f, frames), limit: Number.POSITIVE_INFINITY });
}

/**
 * The network of the flags.
 * @param f The flags.
 * @param nIn Features per frame.
 * @returns The resolved network.
 */
export function fig2Network(f: FlagValues, nIn: number): ResolvedNetwork {
  return resolveNetwork(fig2LsnnNetwork({
    nIn,
    nRegular: f["n-regular"] as number,
    nAdaptive: f["n-adaptive"] as number,
    nLayers: f["n-layers"] as number,
    tauMMs: f["tau-m"] as number,
    tauAMs: f["tau-a"] as number,
    thr: f.thr as number,
    beta: f.beta as number,
    dampening: f["dampening-factor"] as number,
    nRef: f["n-ref"] as number,
    repeat: f.repeat as number,
    tauOut: f["tau-out"] as number,
  }));
}

/** A batch of utterances of a split, with its objective. */
export function splitBatch(
  cache: TimitCache,
  split: SplitName,
  indices: readonly number[],
  f: FlagValues,
): { batch: SequenceBatch; objective: NetworkObjective; labels: Int32Array } {
  const s = cache.splits[split];
  const B = indices.length, dim = s.dim;
  let F = 1;
  for (const i of indices) F = Math.max(F, s.lengths[i]);
  const inputs = new Float32Array(B * F * dim);
  const labels = new Int32Array(B * F);
  const lengths = new Int32Array(B);
  indices.forEach((u, b) => {
    const len = s.lengths[u], at = s.offsets[u];
    lengths[b] = len;
    inputs.set(s.features.subarray(at * dim, (at + len) * dim), b * F * dim);
    for (let t = 0; t < len; t++) labels[b * F + t] = s.labels[at + t];
  });
  return {
    batch: { batchSize: B, frames: F, inputs, lengths },
    labels,
    objective: {
      losses: [{ type: "ce_frames", labels }],
      ...(f.model === "lstm" ? {} : {
        regularization: {
          c: f["reg-f"] as number,
          fTarget: (f["reg-rate"] as number) / 1000,
        },
      }),
      l2: f.l2 as number,
    },
  };
}

/** Frame errors of a split. */
export interface SplitScore extends NetworkValidation {
  /** Frame error on 61 phones. */
  error: number;
  /** Frame error on the 39 folded classes. */
  error39: number;
  /** Frames scored. */
  frames: number;
}

/**
 * Loss, frame error (61 and 39 classes) and rate of a whole split, in batches of --n-batch.
 * @param network The network.
 * @param cache The cache.
 * @param split Which split.
 * @param f The flags.
 * @param confusion Frame counts [true][predicted] of the 39 classes, added to (optional).
 * @returns The score.
 */
export async function scoreSplit(
  network: TrainableNetwork,
  cache: TimitCache,
  split: SplitName,
  f: FlagValues,
  confusion?: Float64Array,
): Promise<SplitScore> {
  const n = cache.splits[split].lengths.length;
  const size = f["n-batch"] as number;
  let loss = 0, rate = 0, frames = 0, wrong61 = 0, wrong39 = 0;
  for (let start = 0; start < n; start += size) {
    const indices = Array.from({ length: Math.min(size, n - start) }, (_, k) => start + k);
    const { batch, objective, labels } = splitBatch(cache, split, indices, f);
    const ev = await network.evaluate(batch, objective);
    const y = ev.outputs[0], F = batch.frames;
    for (let b = 0; b < batch.batchSize; b++) {
      for (let t = 0; t < batch.lengths![b]; t++) {
        const at = (b * F + t) * 61;
        let best = 0;
        for (let k = 1; k < 61; k++) if (y[at + k] > y[at + best]) best = k;
        const label = labels[b * F + t];
        if (best !== label) wrong61++;
        if (cache.folding[best] !== cache.folding[label]) wrong39++;
        if (confusion) confusion[cache.folding[label] * 39 + cache.folding[best]]++;
        frames++;
      }
    }
    loss += ev.loss * indices.length;
    let sum = 0, count = 0;
    for (const r of ev.rates) for (const v of r) (sum += v, count++);
    rate += (count > 0 ? 1000 * sum / count : 0) * indices.length;
  }
  return {
    loss: loss / n,
    error: wrong61 / frames,
    error39: wrong39 / frames,
    rateHz: rate / n,
    frames,
    extra: { error39: wrong39 / frames },
  };
}

/** A validation record of a Fig. 2 run: the validation split's scores and the test split's. */
export interface Fig2ValidationRecord extends SplitScore {
  /** Iteration after which it ran. */
  iteration: number;
  /** The test split at the same point. */
  test: SplitScore;
}

/**
 * The validation of one epoch: the validation split's score with the test split's beside it.
 * @param validation Validation split.
 * @param test Test split.
 * @returns What the trainer records.
 */
export function fig2Validation(validation: SplitScore, test: SplitScore): NetworkValidation {
  const { extra: _v, ...v } = validation;
  const { extra: _t, ...t } = test;
  return { ...v, test: t, extra: { error39: v.error39 } } as NetworkValidation;
}

/**
 * The model selected on the validation split: the record of the lowest 39-class validation frame
 * error (the earliest on ties). The test split never takes part.
 * @param records Validation records.
 * @returns The best, or undefined for none.
 */
export function bestValidation(
  records: readonly NetworkValidationRecord[],
): Fig2ValidationRecord | undefined {
  let best: Fig2ValidationRecord | undefined;
  for (const r of records as readonly Fig2ValidationRecord[]) {
    if (typeof r.error39 !== "number" || !r.test) continue;
    if (!best || r.error39 < best.error39) best = r;
  }
  return best;
}

/** A Fig. 2 model ready to train. */
export interface Fig2Model {
  /** The network (disposed by the caller). */
  network: TrainableNetwork & { dispose(): void };
  /** Its initial parameters (drawn from the seed even when resuming, to keep the streams). */
  params: NetworkParams;
  /** One line for the log. */
  describe: string;
}

/**
 * The network of the flags: the LSNN (on one core or --workers workers) or the LSTM.
 * @param f The flags.
 * @param nIn Features per frame.
 * @param initRng Initialisation draws (the feedback draws follow them).
 * @param saved Parameters of a checkpoint, checked against the network.
 * @returns The model.
 */
export async function createFig2Model(
  f: FlagValues,
  nIn: number,
  initRng: Rng,
  saved?: NetworkParams,
): Promise<Fig2Model> {
  const precision = f.precision as "f32" | "f64";
  if (f.model === "lstm") {
    const net = resolveNetwork(fig2LstmNetwork({ nIn, nHidden: f["n-lstm"] as number }));
    const spec = lstmSpecOf(net);
    const params = initNetworkParams(net, initRng);
    if (saved) checkLstmParams(spec, saved);
    const network = await createNetworkBackend(net, params, { precision });
    return {
      network,
      params,
      describe:
        `wasm-${precision} (one core), a bidirectional LSTM of 2 x ${spec.nHidden} units, ${nIn} inputs per frame, per-frame linear readout`,
    };
  }
  const net = fig2Network(f, nIn);
  const params = initNetworkParams(net, initRng);
  if (saved) checkNetworkParams(net, saved);
  const workers = gradientWorkers(f);
  const network = workers > 1
    ? await createParallelNetwork(net, params, { workers, precision })
    : await createNetworkBackend(net, params, { precision });
  return {
    network,
    params,
    describe: `wasm-${precision}${workers > 1 ? ` (${workers} gradient workers)` : ""}, ${
      f["n-layers"]
    } bidirectional layer(s) of 2 x (${f["n-regular"]} LIF + ${
      f["n-adaptive"]
    } ALIF), ${nIn} inputs x ${f.repeat} steps`,
  };
}

/** A split's scores as results.json writes them. */
export interface SplitSummary {
  /** Loss. */
  loss: number;
  /** Frame error on 61 phones. */
  frameError61: number;
  /** Frame error on 39 classes. */
  frameError39: number;
  /** Mean firing rate (Hz; 0 for the LSTM). */
  rateHz: number;
  /** Frames scored. */
  frames: number;
}

/**
 * A split's scores in the form of results.json.
 * @param x The score.
 * @returns Its summary.
 */
export function splitSummary(x: SplitScore): SplitSummary {
  return {
    loss: x.loss,
    frameError61: x.error,
    frameError39: x.error39,
    rateHz: x.rateHz,
    frames: x.frames,
  };
}

/** Everything a run produced. */
export interface Fig2Run {
  /** Flags used. */
  flags: FlagValues;
  /** Flags changed on resumes. */
  history: ResumeRecord[];
  /** Final state. */
  state: NetworkTrainingState;
  /** Iterations per epoch. */
  batchesPerEpoch: number;
  /** Validation and test scores after the last iteration. */
  last: Fig2ValidationRecord;
  /** The model selected on the validation split, with its test score. */
  best: Fig2ValidationRecord;
  /** The network (disposed by the caller). */
  network: TrainableNetwork & { dispose(): void };
}

/**
 * Reads the cache of --data and checks it against the flags: sizes and hashes against its
 * manifest (every byte with `--verify-data`, else small files whole and a sample of large ones),
 * the feature kind, non-empty splits.
 * @param f The flags (`features` undefined: accept the kind the cache holds).
 * @param options `check` overrides the depth of the hash check.
 * @returns The cache.
 * @throws {InputError} One line naming the folder, the file and the problem.
 */
export async function loadFig2Data(
  f: FlagValues,
  options: { check?: CacheCheck } = {},
): Promise<TimitCache> {
  const dir = f.data as string;
  let cache: TimitCache;
  try {
    cache = await readTimitCache(dir, {
      check: options.check ?? (f["verify-data"] ? "full" : "sample"),
    });
  } catch (e) {
    throw new InputError(
      `--data ${dir}: ${(e as Error).message.replace(/^Cannot read TIMIT cache: /, "")}`,
    );
  }
  const kind = f.features as FeatureKind | undefined;
  if (kind !== undefined && cache.manifest.features.kind !== kind) {
    throw new InputError(
      `--data ${dir} holds ${cache.manifest.features.kind} features (${cache.manifest.features.dim} per frame), the run expects ${kind}; pass --features ${cache.manifest.features.kind} or prepare the cache with --features ${kind}`,
    );
  }
  for (const split of ["train", "validation", "test"] as const) {
    if (cache.splits[split].lengths.length === 0) {
      throw new InputError(`--data ${dir}: the ${split} split holds no utterances`);
    }
  }
  return cache;
}

/**
 * The longest utterance of a cache, in frames (a batch is as long as its longest utterance).
 * @param cache The cache.
 * @returns Frames.
 */
export function longestUtterance(cache: TimitCache): number {
  let most = 0;
  for (const s of Object.values(cache.splits)) for (const n of s.lengths) most = Math.max(most, n);
  return most;
}

/**
 * Trains (or resumes) a Fig. 2 run.
 * @param f The flags.
 * @param cache The data.
 * @param options State to resume from, history, where to print, checkpoint store.
 * @returns The run.
 */
export async function runFig2(
  f: FlagValues,
  cache: TimitCache,
  options: {
    state?: NetworkTrainingState;
    history?: ResumeRecord[];
    log?: (line: string) => void;
    /** Writes a checkpoint: after the first update, every --checkpoint-every and at the end. */
    store?: (checkpoint: NetworkCheckpoint) => Promise<void>;
    onBest?: (record: Fig2ValidationRecord, params: NetworkParams) => void | Promise<void>;
  } = {},
): Promise<Fig2Run> {
  const log = options.log ?? console.log;
  const train = cache.splits.train;
  const seeds = fig2Seeds(f.seed as number);
  const initRng = new Rng(seeds.init);
  const method = f.method as "eprop" | "bptt";
  const model = await createFig2Model(f, train.dim, initRng, options.state?.params);
  const { network, params } = model;
  const feedback = createHeadFeedback(
    network.net,
    {
      kind: method === "eprop"
        ? f.feedback as "symmetric" | "random" | "adaptive" | "global"
        : "symmetric",
      lambda: f["kp-lambda"] as number,
    },
    initRng,
    options.state?.feedback,
  );
  const optimizer = createOptimizer("adam", {
    learningRate: f["learning-rate"] as number,
    beta1: f.beta1 as number,
    epsilon: f.epsilon as number,
  });
  try {
    const nUtt = train.lengths.length, B = f["n-batch"] as number;
    const batchesPerEpoch = Math.max(1, Math.floor(nUtt / B));
    const iterations = (f["n-iter"] as number) > 0
      ? f["n-iter"] as number
      : (f["n-epochs"] as number) * batchesPerEpoch;
    let shuffled: { epoch: number; order: number[] } | undefined;
    const order = (epoch: number) => {
      if (shuffled?.epoch !== epoch) {
        const rng = new Rng(seeds.shuffle + 7919 * epoch);
        const o = Array.from({ length: nUtt }, (_, i) => i);
        for (let i = nUtt - 1; i > 0; i--) {
          const j = rng.int(i + 1);
          [o[i], o[j]] = [o[j], o[i]];
        }
        shuffled = { epoch, order: o };
      }
      return shuffled.order;
    };
    let best = bestValidation(options.state?.validation ?? []);
    const state = options.state ?? initialNetworkTrainingState(params, {
      train: seeds.shuffle,
      validation: seeds.validation,
      feedback,
      optimizer,
    });
    log(
      `fig2: ${
        method === "eprop" ? `e-prop (${f.feedback} feedback)` : "BPTT"
      } on ${model.describe}, batch ${B}, ${batchesPerEpoch} batches per epoch, ${iterations} iterations` +
        (state.iteration > 0 ? `; resuming at iteration ${state.iteration}` : ""),
    );
    const final = await trainNetwork(
      {
        network,
        method,
        feedback,
        optimizer,
        learningRate: f["learning-rate"] as number,
        rampIterations: f.ramp as number,
        iterations,
        printEvery: f["print-every"] as number,
        validateEvery: (f["validate-every"] as number) || batchesPerEpoch,
        checkpoint: options.store
          ? {
            // Offered after every update; written after the first, every --checkpoint-every-th
            // and the last (--checkpoint-every 0: only the last).
            store: (cp) => {
              const i = cp.state.iteration, every = f["checkpoint-every"] as number;
              if (i >= iterations || (every > 0 && (i === 1 || i % every === 0))) {
                return options.store!(cp);
              }
              return Promise.resolve();
            },
            every: 1,
            flags: f,
            kind: "fig2",
            history: options.history,
          }
          : undefined,
        log,
        onValidated: (record, current) => {
          const r = record as Fig2ValidationRecord;
          if (best && !(r.error39 < best.error39)) return;
          best = r;
          return options.onBest?.(r, current);
        },
      },
      {
        trainBatch: (_rng, index) => {
          const epoch = Math.floor(index / batchesPerEpoch), k = index % batchesPerEpoch;
          const o = order(epoch);
          const indices = Array.from({ length: Math.min(B, nUtt) }, (_, i) => o[k * B + i]);
          return splitBatch(cache, "train", indices, f);
        },
        validate: async (n) =>
          fig2Validation(
            await scoreSplit(n, cache, "validation", f),
            await scoreSplit(n, cache, "test", f),
          ),
      },
      state,
    );
    const last = final.validation.at(-1) as Fig2ValidationRecord;
    return {
      flags: f,
      history: options.history ?? [],
      state: final,
      batchesPerEpoch,
      last,
      best: bestValidation(final.validation) ?? last,
      network,
    };
  } catch (e) {
    network.dispose();
    throw e;
  }
}

/**
 * The results of a run as JSON data.
 * @param run The run.
 * @returns results.json's content.
 */
export function fig2Results(run: Fig2Run): Record<string, unknown> {
  const s = run.state;
  const score = splitSummary;
  const record = (r: Fig2ValidationRecord) => ({
    iteration: r.iteration,
    epoch: r.iteration / run.batchesPerEpoch,
    validation: score(r),
    test: score(r.test),
  });
  return {
    task: "fig2",
    model: run.flags.model ?? "lsnn",
    method: run.flags.method,
    feedback: run.flags.method === "eprop" ? run.flags.feedback : null,
    flags: run.flags,
    history: run.history,
    iterations: s.iteration,
    epochs: s.iteration / run.batchesPerEpoch,
    seconds: s.seconds,
    secondsPerEpoch: s.seconds / Math.max(1e-9, s.iteration / run.batchesPerEpoch),
    best: record(run.best),
    last: record(run.last),
    epochsHistory: (s.validation as Fig2ValidationRecord[]).filter((r) => r.test).map(record),
    train: s.train,
  };
}

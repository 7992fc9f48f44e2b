/**
 * Fig. 3, evidence accumulation with an LSNN of 50 LIF + 50 ALIF neurons (EPROP.md section 7),
 * trained by e-prop (or BPTT) as in the authors' tutorial: Adam, cross-entropy over the recall
 * period, firing-rate regularization, early stopping at 7% error.
 *
 * @module
 */
import { createFeedback } from "../grad/feedback.ts";
import { fig3Network } from "../model/presets.ts";
import { resolveNetworkConfig } from "../model/config.ts";
import { initWeights } from "../model/weights.ts";
import type { Objective } from "../model/objective.ts";
import type { Backend } from "../engine/backend.ts";
import { type BackendName, createBackend } from "../engine/factory/load_backend.ts";
import { gradientWorkers, workerNote } from "./workers.ts";
import { TRAINING_MUTABLE_FLAGS, trainingFlags } from "./training_flags.ts";
import { Rng } from "../util/rng.ts";
import { createOptimizer } from "../train/optimizer.ts";
import {
  initialTrainingState,
  train,
  type TrainingTask,
  type Validation,
} from "../train/trainer.ts";
import type { ResumeRecord, TrainingState } from "../train/checkpoint.ts";
import {
  decisions,
  errorRate,
  evidenceAccumulationBatch,
  evidenceTaskSteps,
} from "../tasks/evidence_accumulation.ts";
import { FlagError, type FlagSpecs, type FlagValues, MAX_SEED } from "../cli/flags.ts";
import { checkMemory } from "../cli/command.ts";
import { runCheckpoint } from "./run_dir.ts";

/** The flags of `deno task fig3` (the original's, in kebab case). */
export const FIG3_FLAGS: FlagSpecs = {
  "n-batch": { type: "int", default: 32, min: 1, help: "trials per batch", max: 100_000 },
  "n-iter": {
    type: "int",
    default: 2000,
    min: 1,
    help: "maximum number of iterations",
    max: 10_000_000,
  },
  "learning-rate": {
    type: "number",
    default: 5e-3,
    min: 0,
    exclusiveMin: true,
    help: "Adam learning rate",
  },
  "stop-crit": {
    type: "number",
    default: 0.07,
    min: 0,
    help: "stop when a validation batch's error and the mean of 8 fresh batches are below this",
    max: 1,
  },
  "validate-every": {
    type: "int",
    default: 10,
    min: 1,
    help: "iterations between validations",
    max: 10_000_000,
  },
  "eprop-impl": {
    type: "string",
    default: "hardcoded",
    choices: ["hardcoded", "autodiff"],
    help: "e-prop implementation (autodiff needs --backend tfjs)",
    appliesWhen: { method: ["eprop"] },
  },
  "reg-type": {
    type: "string",
    default: "simple",
    choices: ["simple", "online"],
    help: "firing-rate regularizer",
  },
  "tau-a": {
    type: "number",
    default: 2000,
    min: 0,
    exclusiveMin: true,
    help: "adaptation time constant (ms)",
  },
  thr: { type: "number", default: 0.6, min: 0, exclusiveMin: true, help: "base threshold" },
  "tau-v": {
    type: "number",
    default: 20,
    min: 0,
    exclusiveMin: true,
    help: "membrane time constant (ms)",
  },
  "tau-out": {
    type: "number",
    default: 20,
    min: 0,
    exclusiveMin: true,
    help: "readout time constant (ms)",
  },
  "reg-f": {
    type: "number",
    default: 1,
    min: 0,
    help: "firing-rate regularization strength c_reg",
  },
  "n-ref": { type: "int", default: 5, min: 0, help: "refractory steps", max: 10_000 },
  dt: { type: "number", default: 1, min: 0, exclusiveMin: true, help: "time step (ms)", max: 150 },
  "n-regular": { type: "int", default: 50, min: 0, help: "LIF neurons", max: 100_000 },
  "n-adaptive": { type: "int", default: 50, min: 0, help: "ALIF neurons", max: 100_000 },
  seed: {
    type: "int",
    default: 0,
    help: "random seed (weights, feedback, data)",
    min: 0,
    max: MAX_SEED,
  },
  ...trainingFlags({ out: "out/fig3", printEvery: 20, checkpointEvery: 50 }),
};

/** Flags that may differ when resuming. */
export const FIG3_MUTABLE_FLAGS: readonly string[] = TRAINING_MUTABLE_FLAGS;

/**
 * Checks combinations of flags that each look valid alone.
 * @param f The flags.
 * @throws {FlagError} Naming the conflict.
 */
export function checkFig3Flags(f: FlagValues): void {
  if ((f["n-regular"] as number) + (f["n-adaptive"] as number) < 1) {
    throw new FlagError("--n-regular plus --n-adaptive must be at least 1");
  }
  if (f["eprop-impl"] === "autodiff" && f.backend !== "tfjs") {
    throw new FlagError("--eprop-impl autodiff needs --backend tfjs");
  }
  const n = (f["n-regular"] as number) + (f["n-adaptive"] as number);
  const steps = evidenceTaskSteps({ dtMs: f.dt as number });
  // A gradient keeps about eight [T][B][n] records in the core (f32), and n^2 weights.
  checkMemory(4 * (8 * steps * (f["n-batch"] as number) * (n + 5) + 4 * n * n), {
    what: `--n-batch ${f["n-batch"]} with ${n} neurons over ${steps} steps`,
  });
}

/** Test error of the trained network. */
export interface TestStatistics {
  /** Mean error over the test batches. */
  error: number;
  /** Standard deviation across batches. */
  errorStd: number;
  /** Number of test trials. */
  trials: number;
}

/** Everything a run produced. */
export interface Fig3Run {
  /** The flags used. */
  flags: FlagValues;
  /** Flags changed on resumes (learning rate, iteration budget), oldest first. */
  history: ResumeRecord[];
  /** The final training state. */
  state: TrainingState;
  /** Test statistics. */
  test: TestStatistics;
  /** The backend, holding the trained weights. */
  backend: Backend;
}

/** Seeds of the separate random streams of a run. */
export function fig3Seeds(
  seed: number,
): { init: number; train: number; validation: number; test: number } {
  return {
    init: seed,
    train: seed + 1_000_003,
    validation: seed + 2_000_003,
    test: seed + 3_000_017,
  };
}

/** @returns The network configuration the flags describe. */
export function fig3Config(f: FlagValues) {
  return resolveNetworkConfig(fig3Network({
    nRegular: f["n-regular"] as number,
    nAdaptive: f["n-adaptive"] as number,
    tauAMs: f["tau-a"] as number,
    tauMMs: f["tau-v"] as number,
    tauOutMs: f["tau-out"] as number,
    thr: f.thr as number,
    nRef: f["n-ref"] as number,
    dampening: f["dampening-factor"] as number,
    dtMs: f.dt as number,
  }));
}

/** @returns The objective: CE over the recall period plus the rate regularizer. */
export function fig3Objective(f: FlagValues, recallSteps: number): Objective {
  return {
    loss: { type: "ce", window: recallSteps },
    regularization: {
      type: f["reg-type"] as "simple" | "online",
      c: f["reg-f"] as number,
      fTarget: (f["reg-rate"] as number) / 1000,
    },
  };
}

/**
 * Error of the network on a fresh batch: decisions from the readout averaged over the recall
 * period.
 * @param backend The network.
 * @param rng Generator of the batch.
 * @param options The run's flags, and an array to generate the batch's inputs into.
 * @returns Loss, error and rate.
 */
export function fig3Validate(
  backend: Backend,
  rng: Rng,
  options: { flags: FlagValues; into?: Float32Array },
): Validation {
  const f = options.flags;
  const batch = evidenceAccumulationBatch(rng, f["n-batch"] as number, {
    dtMs: f.dt as number,
    into: options.into,
  });
  const ev = backend.evaluate(batch, fig3Objective(f, batch.recallSteps));
  const predicted = decisions(ev.y, {
    batchSize: batch.batchSize,
    steps: batch.steps,
    nOut: 2,
    window: batch.recallSteps,
  });
  const rateHz = ev.rates.reduce((a, r) => a + r, 0) / ev.rates.length * 1000;
  return { loss: ev.loss, error: errorRate(predicted, batch.labels), rateHz };
}

/**
 * Trains (or resumes) a Fig. 3 run.
 * @param f The flags.
 * @param options Where to resume from, and where to print.
 * @returns The run.
 */
export async function runFig3(
  f: FlagValues,
  options: { state?: TrainingState; history?: ResumeRecord[]; log?: (line: string) => void } = {},
): Promise<Fig3Run> {
  const log = options.log ?? console.log;
  const config = fig3Config(f);
  const seeds = fig3Seeds(f.seed as number);
  const initRng = new Rng(seeds.init);
  const weights = initWeights(config, initRng);
  const nRec = config.neuron.nRec;
  const feedback = createFeedback(f.feedback as "random" | "symmetric", {
    nRec,
    nOut: 2,
    rng: initRng,
    initial: options.state?.feedback ?? undefined,
  });
  const backend = await createBackend(config, weights, {
    backend: f.backend as BackendName,
    precision: "f32",
    workers: f.backend === "wasm" ? gradientWorkers(f) : 1,
  });
  const optimizer = createOptimizer("adam", { learningRate: f["learning-rate"] as number });
  const stopCrit = f["stop-crit"] as number;
  const recallSteps = Math.round(150 / (f.dt as number));
  // One input array for every training batch and one for validation (0/1 spikes: float32 holds
  // them exactly; fresh arrays of this size are slow to touch).
  const inputSize = (f["n-batch"] as number) * evidenceTaskSteps({ dtMs: f.dt as number }) *
    config.neuron.nIn;
  const trainInputs = new Float32Array(inputSize);
  const validInputs = new Float32Array(inputSize);
  const task: TrainingTask = {
    objective: fig3Objective(f, recallSteps),
    trainBatch: (rng) =>
      evidenceAccumulationBatch(rng, f["n-batch"] as number, {
        dtMs: f.dt as number,
        into: trainInputs,
      }),
    validate: (b, rng) => fig3Validate(b, rng, { flags: f, into: validInputs }),
    shouldStop: (v, b, rng) => {
      if (!(v.error < stopCrit)) return false;
      let sum = 0;
      for (let i = 0; i < 8; i++) {
        sum += fig3Validate(b, rng, { flags: f, into: validInputs }).error;
      }
      return sum / 8 < stopCrit;
    },
  };
  const state = options.state ?? initialTrainingState(weights, {
    train: seeds.train,
    validation: seeds.validation,
    feedback,
    optimizer,
  });
  const method = f.method as "eprop" | "bptt";
  log(
    `fig3: ${
      method === "eprop" ? `e-prop (${f["eprop-impl"]}, ${f.feedback} feedback)` : "BPTT"
    } on ` +
      `${backend.name}-${backend.precision}${workerNote(backend)}, ${f["n-regular"]} LIF + ${
        f["n-adaptive"]
      } ALIF, batch ${f["n-batch"]}, ` +
      `up to ${f["n-iter"]} iterations, stop below ${
        (100 * stopCrit).toFixed(1)
      }% validation error` +
      (state.iteration > 0 ? `; resuming at iteration ${state.iteration}` : ""),
  );
  const final = await train(
    {
      backend,
      method,
      implementation: f["eprop-impl"] as "hardcoded" | "autodiff",
      feedback,
      optimizer,
      iterations: f["n-iter"] as number,
      printEvery: f["print-every"] as number,
      validateEvery: f["validate-every"] as number,
      checkpoint: runCheckpoint(f, "fig3", options.history),
      log,
    },
    task,
    state,
  );
  const testRng = new Rng(seeds.test);
  const errors = Array.from(
    { length: 8 },
    () => fig3Validate(backend, testRng, { flags: f, into: validInputs }).error,
  );
  const mean = errors.reduce((a, e) => a + e, 0) / errors.length;
  const std = Math.sqrt(errors.reduce((a, e) => a + (e - mean) ** 2, 0) / errors.length);
  return {
    flags: f,
    history: options.history ?? [],
    state: final,
    test: { error: mean, errorStd: std, trials: errors.length * (f["n-batch"] as number) },
    backend,
  };
}

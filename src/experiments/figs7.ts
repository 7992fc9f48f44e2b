/**
 * Fig. S7, pattern generation (EPROP.md section 7): 100 LIF neurons with leaky input scaling learn
 * to reproduce a sum of sines from a frozen Poisson input, by e-prop (random feedback scaled by
 * 1/sqrt(n_rec), or symmetric) or BPTT, with plain gradient descent on
 * 0.5 sum (y - y*)^2 + reg * 0.5 * sum_j (fbar_j - f0)^2.
 *
 * @module
 */
import { createFeedback } from "../grad/feedback.ts";
import { type ResolvedNetworkConfig, resolveNetworkConfig } from "../model/config.ts";
import { figS7Network } from "../model/presets.ts";
import { initWeights } from "../model/weights.ts";
import type { Batch, Objective } from "../model/objective.ts";
import type { Backend, GradientResult } from "../engine/backend.ts";
import { type BackendName, createBackend } from "../engine/factory/load_backend.ts";
import { gradientWorkers, workerNote } from "./workers.ts";
import { TRAINING_MUTABLE_FLAGS, trainingFlags } from "./training_flags.ts";
import { Rng } from "../util/rng.ts";
import { createOptimizer } from "../train/optimizer.ts";
import { initialTrainingState, train } from "../train/trainer.ts";
import type { ResumeRecord, TrainingState } from "../train/checkpoint.ts";
import { poissonPattern, sumOfSinesTarget } from "../tasks/pattern_generation.ts";
import { FlagError, type FlagSpecs, type FlagValues, MAX_SEED } from "../cli/flags.ts";
import { checkMemory } from "../cli/command.ts";
import { runCheckpoint } from "./run_dir.ts";
import { compareGradients } from "../verify/checks.ts";

/** The flags of `deno task figS7` (the original's, in kebab case). */
export const FIGS7_FLAGS: FlagSpecs = {
  "n-batch": {
    type: "int",
    default: 1,
    min: 1,
    help: "trials per batch (all see the frozen pattern)",
    max: 100_000,
  },
  "n-out": { type: "int", default: 1, min: 1, help: "outputs, one target each", max: 10_000 },
  "n-in": { type: "int", default: 100, min: 1, help: "input channels", max: 100_000 },
  "n-rec": { type: "int", default: 100, min: 1, help: "LIF neurons", max: 100_000 },
  f0: { type: "number", default: 50, min: 0, help: "input rate (Hz)", max: 1000 },
  "n-iter": { type: "int", default: 2000, min: 1, help: "iterations", max: 10_000_000 },
  "seq-len": {
    type: "int",
    default: 1000,
    min: 1,
    help: "sequence length (steps)",
    max: 10_000_000,
  },
  "learning-rate": {
    type: "number",
    default: 1e-4,
    min: 0,
    exclusiveMin: true,
    help: "gradient-descent step",
  },
  reg: {
    type: "number",
    default: 300,
    min: 0,
    help: "firing-rate regularization (loss term reg * 0.5 * sum)",
  },
  dt: { type: "number", default: 1, min: 0, exclusiveMin: true, help: "time step (ms)" },
  thr: { type: "number", default: 0.03, min: 0, exclusiveMin: true, help: "threshold" },
  "gradient-check": {
    type: "boolean",
    default: false,
    help: "before training, compare e-prop and eq. (1) with BPTT (needs --seq-len <= 20)",
  },
  seed: {
    type: "int",
    default: 0,
    help: "random seed (weights, feedback, input, target)",
    min: 0,
    max: MAX_SEED,
  },
  ...trainingFlags({ out: "out/figS7", printEvery: 100, checkpointEvery: 200 }),
};

/** Flags that may differ when resuming. */
export const FIGS7_MUTABLE_FLAGS: readonly string[] = [...TRAINING_MUTABLE_FLAGS, "gradient-check"];

/**
 * Checks combinations of flags that each look valid alone.
 * @param f The flags.
 * @throws {FlagError} Naming the conflict.
 */
export function checkFigS7Flags(f: FlagValues): void {
  const [B, T, nIn, n] = [f["n-batch"], f["seq-len"], f["n-in"], f["n-rec"]] as number[];
  // Online e-prop keeps two [B][nIn + n][n] trace tensors; a sequence gradient [T][B][n] records.
  checkMemory(4 * (2 * B * (nIn + n) * n + 8 * T * B * (n + nIn) + 2 * n * n), {
    what: `--n-batch ${B} with --n-in ${nIn}, --n-rec ${n} over --seq-len ${T}`,
  });
  if (f["gradient-check"] && (f["seq-len"] as number) > 20) {
    throw new FlagError(
      `--gradient-check compares with BPTT on short sequences only: use --seq-len <= 20, got ${
        f["seq-len"]
      }`,
    );
  }
}

/** Membrane and readout time constants of the task (ms). */
export const FIGS7_TAU_MS = 30;

/** @returns The network the flags describe. */
export function figS7Config(f: FlagValues): ResolvedNetworkConfig {
  return resolveNetworkConfig(figS7Network({
    nIn: f["n-in"] as number,
    nRec: f["n-rec"] as number,
    nOut: f["n-out"] as number,
    tauMs: FIGS7_TAU_MS,
    thr: f.thr as number,
    dampening: f["dampening-factor"] as number,
    dtMs: f.dt as number,
  }));
}

/** @returns The objective: 0.5 sum (y - y*)^2 + reg * 0.5 * sum_j (fbar_j - f0)^2. */
export function figS7Objective(f: FlagValues): Objective {
  return {
    loss: { type: "mse" },
    regularization: {
      type: "simple",
      c: 0.5 * (f.reg as number),
      fTarget: (f["reg-rate"] as number) / 1000,
    },
  };
}

/** @returns The frozen batch: the same input pattern and target in every trial. */
export function figS7Batch(f: FlagValues, rng: Rng): Batch {
  const B = f["n-batch"] as number, T = f["seq-len"] as number;
  const nIn = f["n-in"] as number, nOut = f["n-out"] as number;
  const pattern = poissonPattern(rng, {
    steps: T,
    nIn,
    rateHz: f.f0 as number,
    dtMs: f.dt as number,
  });
  const target = sumOfSinesTarget(rng, { steps: T, nOut, dtMs: f.dt as number });
  const inputs = new Float64Array(B * T * nIn), targets = new Float64Array(B * T * nOut);
  for (let b = 0; b < B; b++) {
    inputs.set(pattern, b * T * nIn);
    targets.set(target, b * T * nOut);
  }
  return { batchSize: B, steps: T, inputs, targets };
}

/** The comparison printed by --gradient-check. */
export interface GradientCheck {
  /** Relative error of eq. (1) against BPTT. */
  eq1VsBptt: number;
  /** Cosine similarity of the e-prop gradient with BPTT's. */
  epropCosine: number;
  /** Relative error of online against factorized e-prop. */
  onlineVsFactorized: number;
  /** Spikes in the check. */
  spikes: number;
}

function flat(r: GradientResult): Float64Array {
  return Float64Array.of(...r.grads.wIn.data, ...r.grads.wRec.data);
}

/** Everything a run produced. */
export interface FigS7Run {
  /** The flags used. */
  flags: FlagValues;
  /** Flags changed on resumes (learning rate, iteration budget), oldest first. */
  history: ResumeRecord[];
  /** The final state. */
  state: TrainingState;
  /** The frozen batch. */
  batch: Batch;
  /** The backend holding the trained network. */
  backend: Backend;
  /** The gradient check, when requested. */
  check?: GradientCheck;
}

/**
 * Trains (or resumes) a Fig. S7 run.
 * @param f The flags.
 * @param options State to resume from, and where to print.
 * @returns The run.
 */
export async function runFigS7(
  f: FlagValues,
  options: { state?: TrainingState; history?: ResumeRecord[]; log?: (line: string) => void } = {},
): Promise<FigS7Run> {
  const log = options.log ?? console.log;
  const config = figS7Config(f);
  const rng = new Rng(f.seed as number);
  const weights = initWeights(config, rng, { readout: "normal" });
  const nRec = config.neuron.nRec;
  const feedback = createFeedback(f.feedback as "random" | "symmetric", {
    nRec,
    nOut: config.readout.nOut,
    rng,
    scaled: true,
    initial: options.state?.feedback ?? undefined,
  });
  // The frozen pattern has its own stream, so that it is the same when a run resumes.
  const batch = figS7Batch(f, new Rng((f.seed as number) + 7_000_001));
  const objective = figS7Objective(f);
  const backend = await createBackend(config, weights, {
    backend: f.backend as BackendName,
    precision: "f32",
    workers: f.backend === "wasm" ? gradientWorkers(f) : 1,
  });
  let check: GradientCheck | undefined;
  if (f["gradient-check"]) {
    const ref = await createBackend(config, options.state?.weights ?? weights, {
      precision: "f64",
    });
    const fb = feedback.matrix(weights.wOut);
    const bptt = ref.gradients(batch, objective, { method: "bptt" });
    const eq1 = ref.gradients(batch, objective, { method: "eq1" });
    const eprop = ref.gradients(batch, objective, { method: "eprop", feedback: fb });
    const online = ref.gradients(batch, objective, {
      method: "eprop",
      feedback: fb,
      form: "online",
    });
    const a = flat(eprop), b = flat(bptt);
    const dot = (x: Float64Array, y: Float64Array) => x.reduce((s, v, i) => s + v * y[i], 0);
    check = {
      eq1VsBptt: compareGradients(eq1, bptt, { name: "eq1", backend: "wasm-f64", tolerance: 1e-10 })
        .relativeError,
      epropCosine: dot(a, b) / Math.sqrt(dot(a, a) * dot(b, b)),
      onlineVsFactorized:
        compareGradients(online, eprop, { name: "online", backend: "wasm-f64", tolerance: 1e-10 })
          .relativeError,
      spikes: bptt.spikes,
    };
    log(
      `gradient check (f64, T = ${batch.steps}, ${check.spikes} spikes): eq. (1) vs BPTT relative error ` +
        `${check.eq1VsBptt.toExponential(2)}; online vs factorized e-prop ${
          check.onlineVsFactorized.toExponential(2)
        }; ` +
        `cosine(e-prop, BPTT) ${check.epropCosine.toFixed(4)}`,
    );
  }
  const optimizer = createOptimizer("sgd", { learningRate: f["learning-rate"] as number });
  const state = options.state ??
    initialTrainingState(weights, { train: 1, validation: 2, feedback, optimizer });
  log(
    `figS7: ${
      f.method === "eprop" ? `e-prop (${f.feedback} feedback)` : "BPTT"
    } on ${backend.name}-${backend.precision}${workerNote(backend)}, ` +
      `${nRec} LIF, T = ${batch.steps}, ${f["n-iter"]} iterations of gradient descent (lr ${
        f["learning-rate"]
      })` +
      (state.iteration > 0 ? `; resuming at iteration ${state.iteration}` : ""),
  );
  const final = await train(
    {
      backend,
      method: f.method as "eprop" | "bptt",
      feedback,
      optimizer,
      iterations: f["n-iter"] as number,
      printEvery: f["print-every"] as number,
      validateEvery: 0,
      checkpoint: runCheckpoint(f, "figS7", options.history),
      log,
    },
    { objective, trainBatch: () => batch },
    state,
  );
  return { flags: f, history: options.history ?? [], state: final, batch, backend, check };
}

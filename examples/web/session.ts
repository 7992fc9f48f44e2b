/**
 * A Fig. 3 training run taken one iteration at a time, for the live page's worker (and for Deno:
 * nothing here touches the DOM or a Deno API). The loop is the one of `train` in
 * `src/train/trainer.ts` (fresh batch, gradient by e-prop or BPTT, Adam as TensorFlow 1, the
 * feedback rule's reaction to readout updates), cut into steps so that the worker can answer
 * "stop" and report between iterations; validation uses one fixed batch, so that its loss is
 * comparable from one point of the learning curve to the next.
 *
 * @module
 */
import {
  type Batch,
  createFeedback,
  createOptimizer,
  decisions,
  errorRate,
  evidenceAccumulationBatch,
  type EvidenceBatch,
  evidenceTaskSteps,
  type Feedback,
  fig3Network,
  initWeights,
  type Objective,
  type Optimizer,
  type ParameterSet,
  type ResolvedNetworkConfig,
  resolveNetworkConfig,
  Rng,
  WasmBackend,
  type Weights,
} from "../../mod.ts";

/** A network size and task timing the page can train. */
export interface Preset {
  /** Shown in the page's menu. */
  label: string;
  /** LIF neurons. */
  nRegular: number;
  /** ALIF neurons. */
  nAdaptive: number;
  /** Trials per batch. */
  batchSize: number;
  /** Delay between the last cue and the recall cue (ms; the paper: 1050). */
  delayMs: number;
  /** Adam learning rate. */
  learningRate: number;
  /** Iteration budget. */
  iterations: number;
}

/** The presets: a small network that learns in seconds, and the paper's Fig. 3 network. */
export const PRESETS: Readonly<Record<"small" | "fig3", Preset>> = {
  small: {
    label: "small: 20 LIF + 20 ALIF, batch 16, delay 500 ms",
    nRegular: 20,
    nAdaptive: 20,
    batchSize: 16,
    delayMs: 500,
    learningRate: 1e-2,
    iterations: 1000,
  },
  fig3: {
    label: "Fig. 3: 50 LIF + 50 ALIF, batch 32, delay 1050 ms",
    nRegular: 50,
    nAdaptive: 50,
    batchSize: 32,
    delayMs: 1050,
    learningRate: 5e-3,
    iterations: 2000,
  },
};

/** What the page lets the user choose. */
export interface SessionSettings {
  /** Which preset. */
  preset: keyof typeof PRESETS;
  /** Learning rule. */
  method: "eprop" | "bptt";
  /** e-prop feedback (ignored by BPTT). */
  feedback: "random" | "symmetric";
  /** Seed of weights, feedback and data. */
  seed: number;
}

/** One training iteration. */
export interface IterationRecord {
  /** Iterations done. */
  iteration: number;
  /** Loss of the batch (readout plus regularizer). */
  loss: number;
  /** Its firing-rate regularization part. */
  regularizationLoss: number;
  /** Mean firing rate (Hz). */
  rateHz: number;
}

/** A validation on the fixed validation batch. */
export interface ValidationRecord {
  /** Iterations done. */
  iteration: number;
  /** Loss. */
  loss: number;
  /** Fraction of wrong decisions. */
  error: number;
}

/** One trial's inputs, spikes, readout and learning signals, for the figures. */
export interface Snapshot {
  /** Iterations done. */
  iteration: number;
  /** Steps T. */
  steps: number;
  /** Input channels. */
  nIn: number;
  /** Recurrent neurons (LIF first, then ALIF). */
  nRec: number;
  /** LIF neurons among them. */
  nRegular: number;
  /** Recall period length (steps). */
  recallSteps: number;
  /** The trial's label (0 left, 1 right). */
  label: number;
  /** The network's decision. */
  decision: number;
  /** Input spikes [T][nIn], 0/1. */
  inputs: Uint8Array;
  /** Recurrent spikes [T][nRec], 0/1. */
  spikes: Uint8Array;
  /** Softmax of the readout [T][2]. */
  probabilities: Float32Array;
  /** Learning signals [T][nRec]: B dE/dy for e-prop, the true dE/dz for BPTT. */
  signals: Float32Array;
  /** Which signals these are. */
  signalKind: "feedback" | "true";
}

/** Trials of the fixed validation batch. */
export const VALIDATION_TRIALS = 32;

/** Seeds of the separate random streams, as `deno task fig3` derives them. */
function seeds(seed: number) {
  return {
    init: seed,
    train: seed + 1_000_003,
    validation: seed + 2_000_003,
    confirm: seed + 3_000_017,
  };
}

function parameters(w: Weights): ParameterSet {
  return { wIn: w.wIn.data, wRec: w.wRec.data, wOut: w.wOut.data };
}

/** A Fig. 3 run on the WebAssembly core (f32), one iteration per {@linkcode step}. */
export class TrainingSession {
  /** The settings. */
  readonly settings: SessionSettings;
  /** The preset's values. */
  readonly preset: Preset;
  /** The network. */
  readonly config: ResolvedNetworkConfig;
  /** Steps of a trial. */
  readonly steps: number;
  /** Iterations done. */
  iteration = 0;
  readonly #backend: WasmBackend;
  readonly #weights: Weights;
  readonly #params: ParameterSet;
  readonly #feedback: Feedback;
  readonly #optimizer: Optimizer;
  readonly #trainRng: Rng;
  readonly #confirmRng: Rng;
  readonly #inputs: Float32Array;
  readonly #confirmInputs: Float32Array;
  readonly #validation: EvidenceBatch;
  readonly #trial: EvidenceBatch;

  private constructor(
    settings: SessionSettings,
    config: ResolvedNetworkConfig,
    backend: WasmBackend,
    weights: Weights,
    feedback: Feedback,
  ) {
    this.settings = settings;
    this.preset = PRESETS[settings.preset];
    this.config = config;
    this.#backend = backend;
    this.#weights = weights;
    this.#params = parameters(weights);
    this.#feedback = feedback;
    this.#optimizer = createOptimizer("adam", { learningRate: this.preset.learningRate });
    const s = seeds(settings.seed);
    this.#trainRng = new Rng(s.train);
    this.#confirmRng = new Rng(s.confirm);
    const validRng = new Rng(s.validation);
    const task = { delayMs: this.preset.delayMs };
    const steps = evidenceTaskSteps(task);
    this.#validation = evidenceAccumulationBatch(validRng, VALIDATION_TRIALS, {
      ...task,
      into: new Float32Array(VALIDATION_TRIALS * steps * 40),
    });
    // The trial shown in the figures: the same one at every snapshot.
    this.#trial = evidenceAccumulationBatch(validRng, 1, task);
    this.#inputs = new Float32Array(this.preset.batchSize * steps * 40);
    this.#confirmInputs = new Float32Array(VALIDATION_TRIALS * steps * 40);
    this.steps = steps;
  }

  /**
   * Builds the network, its weights and feedback from the seed, and compiles the core.
   * @param settings Preset, method, feedback and seed.
   * @returns The session at iteration 0.
   */
  static async create(settings: SessionSettings): Promise<TrainingSession> {
    const preset = PRESETS[settings.preset];
    if (!preset) throw new RangeError(`Cannot start training: unknown preset ${settings.preset}`);
    const config = resolveNetworkConfig(
      fig3Network({ nRegular: preset.nRegular, nAdaptive: preset.nAdaptive }),
    );
    const rng = new Rng(seeds(settings.seed).init);
    const weights = initWeights(config, rng);
    const feedback = createFeedback(settings.feedback, { nRec: config.neuron.nRec, nOut: 2, rng });
    const backend = await WasmBackend.create(config, weights, { precision: "f32" });
    return new TrainingSession(settings, config, backend, weights, feedback);
  }

  /** The objective of a batch: cross-entropy over the recall period, rate regularization. */
  objective(recallSteps: number): Objective {
    return {
      loss: { type: "ce", window: recallSteps },
      regularization: { type: "simple", c: 1, fTarget: 0.01 },
    };
  }

  /**
   * One iteration: a fresh batch, its gradient, an Adam step.
   * @returns The batch's loss and rate.
   * @throws {Error} When the loss or a gradient is not finite (the weights are not updated).
   */
  step(): IterationRecord {
    const batch = evidenceAccumulationBatch(this.#trainRng, this.preset.batchSize, {
      delayMs: this.preset.delayMs,
      into: this.#inputs,
    });
    const eprop = this.settings.method === "eprop";
    const r = this.#backend.gradients(batch, this.objective(batch.recallSteps), {
      method: this.settings.method,
      feedback: eprop ? this.#feedback.matrix(this.#weights.wOut) : undefined,
    });
    const grads = { wIn: r.grads.wIn.data, wRec: r.grads.wRec.data, wOut: r.grads.wOut.data };
    if (!Number.isFinite(r.loss) || Object.values(grads).some((g) => g.some((v) => !isFinite(v)))) {
      throw new Error(
        `Training diverged at iteration ${this.iteration + 1}: loss or gradient not finite`,
      );
    }
    const before = Float64Array.from(this.#weights.wOut.data);
    this.#optimizer.step(this.#params, grads);
    const wOut = this.#weights.wOut;
    this.#feedback.afterReadoutUpdate(wOut, {
      ...wOut,
      data: wOut.data.map((v, i) => v - before[i]),
    });
    this.#backend.setWeights(this.#weights);
    this.iteration++;
    const { nRec, dtMs } = this.config.neuron;
    return {
      iteration: this.iteration,
      loss: r.loss,
      regularizationLoss: r.regularizationLoss,
      rateHz: r.spikes / (batch.batchSize * batch.steps * nRec * dtMs) * 1000,
    };
  }

  /**
   * Loss and error on the fixed validation batch ({@linkcode VALIDATION_TRIALS} trials).
   * @returns The validation.
   */
  validate(): ValidationRecord {
    const v = this.#validation;
    const ev = this.#backend.evaluate(v, this.objective(v.recallSteps));
    const predicted = decisions(ev.y, {
      batchSize: v.batchSize,
      steps: v.steps,
      nOut: 2,
      window: v.recallSteps,
    });
    return { iteration: this.iteration, loss: ev.loss, error: errorRate(predicted, v.labels) };
  }

  /**
   * The mean error over fresh batches (the authors' confirmation of the stopping criterion:
   * `deno task fig3` stops when a validation batch and the mean of 8 fresh ones are below 7%).
   * @param batches How many fresh batches of {@linkcode VALIDATION_TRIALS} trials (default 8).
   * @returns The mean error.
   */
  confirm(batches = 8): number {
    let sum = 0;
    for (let i = 0; i < batches; i++) {
      const v = evidenceAccumulationBatch(this.#confirmRng, VALIDATION_TRIALS, {
        delayMs: this.preset.delayMs,
        into: this.#confirmInputs,
      });
      const ev = this.#backend.evaluate(v, this.objective(v.recallSteps));
      const predicted = decisions(ev.y, {
        batchSize: v.batchSize,
        steps: v.steps,
        nOut: 2,
        window: v.recallSteps,
      });
      sum += errorRate(predicted, v.labels);
    }
    return sum / batches;
  }

  /**
   * The shown trial: inputs, spikes, softmax readout and learning signals.
   * @returns The snapshot (its arrays can be transferred).
   */
  snapshot(): Snapshot {
    const trial: Batch & { labels: Int32Array; recallSteps: number } = this.#trial;
    const T = trial.steps;
    const { nIn, nRec } = this.config.neuron;
    const traj = this.#backend.simulate(trial);
    const spikes = new Uint8Array(T * nRec);
    for (let i = 0; i < spikes.length; i++) spikes[i] = traj.z[i] !== 0 ? 1 : 0;
    const inputs = new Uint8Array(T * nIn);
    for (let i = 0; i < inputs.length; i++) inputs[i] = trial.inputs[i] !== 0 ? 1 : 0;
    const probabilities = new Float32Array(T * 2);
    for (let t = 0; t < T; t++) {
      const a = traj.y[2 * t], b = traj.y[2 * t + 1];
      const m = Math.max(a, b);
      const ea = Math.exp(a - m), eb = Math.exp(b - m);
      probabilities[2 * t] = ea / (ea + eb);
      probabilities[2 * t + 1] = eb / (ea + eb);
    }
    const eprop = this.settings.method === "eprop";
    const signals = Float32Array.from(
      this.#backend.learningSignals(trial, this.objective(trial.recallSteps), {
        kind: eprop ? "feedback" : "true",
        feedback: eprop ? this.#feedback.matrix(this.#weights.wOut) : undefined,
      }),
    );
    const decision = decisions(traj.y, {
      batchSize: 1,
      steps: T,
      nOut: 2,
      window: trial.recallSteps,
    });
    return {
      iteration: this.iteration,
      steps: T,
      nIn,
      nRec,
      nRegular: this.preset.nRegular,
      recallSteps: trial.recallSteps,
      label: trial.labels[0],
      decision: decision[0],
      inputs,
      spikes,
      probabilities,
      signals,
      signalKind: eprop ? "feedback" : "true",
    };
  }

  /** Releases the core. */
  dispose(): void {
    this.#backend.dispose();
  }
}

/**
 * The validations of a run's first iterations, as the page records them (for comparing a run in
 * a browser with one in Deno).
 * @param settings The run.
 * @param options Iterations to run and how often to validate.
 * @returns Validations at iteration 0 and every `every` iterations.
 */
export async function validationTrace(
  settings: SessionSettings,
  options: { iterations: number; every: number },
): Promise<ValidationRecord[]> {
  const session = await TrainingSession.create(settings);
  try {
    const out = [session.validate()];
    while (session.iteration < options.iterations) {
      session.step();
      if (session.iteration % options.every === 0) out.push(session.validate());
    }
    return out;
  } finally {
    session.dispose();
  }
}

/**
 * Training checkpoints: everything needed to resume a run exactly (weights, optimizer state,
 * random generator states, feedback matrix, regularizer estimate, history), as JSON text. Numbers
 * are written in the shortest form that reads back to the same float64, so a resumed run
 * continues bit for bit. Storage is the caller's (a file in Deno: checkpoint_file.ts; anything in
 * a browser), so this module runs everywhere.
 *
 * @module
 */
import type { Matrix, Weights } from "../model/weights.ts";
import type { OptimizerState } from "./optimizer.ts";
import type { RngState } from "../util/rng.ts";
import {
  decodeCheckpointState,
  encodeCheckpointText,
  savedFloats,
  savedMatrix,
} from "./checkpoint_codec.ts";

/** One training iteration's record. */
export interface TrainRecord {
  /** Iteration (1-based). */
  iteration: number;
  /** Total loss of the training batch. */
  loss: number;
  /** Readout loss. */
  readoutLoss: number;
  /** Regularizer loss. */
  regularizationLoss: number;
  /** Mean firing rate in Hz. */
  rateHz: number;
}

/** One validation's record. */
export interface ValidationRecord {
  /** Iteration after which it ran. */
  iteration: number;
  /** Validation loss. */
  loss: number;
  /** Validation error (task-specific; NaN when the task has none). */
  error: number;
  /** Mean firing rate in Hz. */
  rateHz: number;
}

/** The resumable state of a run. */
export interface TrainingState {
  /** Iterations completed. */
  iteration: number;
  /** Current weights. */
  weights: Weights;
  /** Optimizer state. */
  optimizer: OptimizerState;
  /** Generator of training batches. */
  trainRng: RngState;
  /** Generator of validation batches. */
  validRng: RngState;
  /** Feedback matrix of random or adaptive feedback, or null. */
  feedback: Matrix | null;
  /** Online regularizer estimate, or null. */
  rateEstimate: number[] | null;
  /** Per-iteration records. */
  train: TrainRecord[];
  /** Validation records. */
  validation: ValidationRecord[];
  /** Whether the stopping criterion was met. */
  stopped: boolean;
  /** Training time so far in seconds (not part of the computation). */
  seconds: number;
}

/** A flag changed when a run was resumed (learning rate, iteration budget). */
export interface ResumeRecord {
  /** Iteration at which the run was resumed. */
  iteration: number;
  /** Each changed flag with its value before and after. */
  changed: Record<string, [unknown, unknown]>;
}

/** A checkpoint file: the state and the flags of the run that wrote it. */
export interface Checkpoint {
  /** Format version. */
  version: 1;
  /** Which experiment wrote it (e.g. "fig3"); absent in checkpoints of earlier versions. */
  kind?: string;
  /** The run's flags. */
  flags: Record<string, unknown>;
  /** Flags changed on each resume, oldest first. */
  history?: ResumeRecord[];
  /** The state. */
  state: TrainingState;
}

function matrixFromJson(m: unknown, field: string): Matrix {
  const matrix = savedMatrix(m);
  if (!matrix) throw new TypeError(`Cannot read checkpoint: ${field} is malformed`);
  return matrix;
}

/** Where a trainer puts its checkpoints (a file, browser storage, memory). */
export type CheckpointStore = (checkpoint: Checkpoint) => Promise<void>;

/**
 * Serialises a checkpoint.
 *
 * @param checkpoint Flags and state.
 * @returns The checkpoint as JSON text.
 */
export function checkpointToJson(checkpoint: Checkpoint): string {
  return encodeCheckpointText(checkpoint);
}

/**
 * Reads a checkpoint back.
 *
 * @param text JSON text written by {@linkcode checkpointToJson}.
 * @param source Where it came from, for messages.
 * @param kind The experiment expected (a checkpoint of another one is refused).
 * @returns Flags and state.
 * @throws {Error} When the text is malformed, naming the problem.
 */
export function checkpointFromJson(text: string, source: string, kind?: string): Checkpoint {
  return checkpointFromEnvelope(
    decodeCheckpointState(checkpointHeader(text, source, kind), source),
    source,
  );
}

/**
 * A checkpoint from its decoded envelope (the state's typed arrays back, e.g. from
 * `readCheckpointFile` of ./checkpoint_file.ts), its state checked.
 * @param json The envelope.
 * @param source Where it came from, for messages.
 * @returns Flags and state.
 * @throws {Error} "Cannot resume: ..." naming the first field that does not fit.
 */
// deno-lint-ignore no-explicit-any
export function checkpointFromEnvelope(json: any, source: string): Checkpoint {
  checkStateFields(json.state, source);
  const s = json.state;
  const weights: Weights = {
    wIn: matrixFromJson(s.weights?.wIn, "weights.wIn"),
    wRec: matrixFromJson(s.weights?.wRec, "weights.wRec"),
    wOut: matrixFromJson(s.weights?.wOut, "weights.wOut"),
  };
  const bOut = savedFloats(s.weights.bOut);
  if (bOut) weights.bOut = bOut;
  return {
    version: 1,
    ...(typeof json.kind === "string" ? { kind: json.kind } : {}),
    flags: typeof json.flags === "object" && json.flags !== null ? json.flags : {},
    history: Array.isArray(json.history) ? json.history : [],
    state: {
      ...s,
      weights,
      feedback: s.feedback ? matrixFromJson(s.feedback, "feedback") : null,
    },
  };
}

/** Checks the parts of a saved state that resuming reads, naming the first one missing. */
// deno-lint-ignore no-explicit-any
function checkStateFields(s: any, source: string): void {
  const bad = (field: string, want: string) => {
    throw new Error(`Cannot resume: ${source}: state.${field} must be ${want}`);
  };
  if (typeof s !== "object" || s === null) throw new Error(`Cannot resume: ${source} has no state`);
  if (!Number.isInteger(s.iteration) || s.iteration < 0) bad("iteration", "an integer >= 0");
  if (typeof s.weights !== "object" || s.weights === null) bad("weights", "an object");
  const opt = s.optimizer;
  if (typeof opt !== "object" || opt === null || !["adam", "sgd"].includes(opt.kind)) {
    bad("optimizer", "an adam or sgd state");
  }
  if (!Number.isInteger(opt.t) || opt.t < 0) bad("optimizer.t", "an integer >= 0");
  for (const rng of ["trainRng", "validRng"]) {
    const r = s[rng];
    if (
      typeof r !== "object" || r === null || !Array.isArray(r.s) || r.s.length !== 4 ||
      !r.s.every((w: unknown) => Number.isInteger(w))
    ) bad(rng, "a generator state");
  }
  if (!Array.isArray(s.train)) bad("train", "an array");
  if (!Array.isArray(s.validation)) bad("validation", "an array");
  if (typeof s.stopped !== "boolean") bad("stopped", "a boolean");
  if (typeof s.seconds !== "number") bad("seconds", "a number");
  if (s.rateEstimate !== null && !Array.isArray(s.rateEstimate)) {
    bad("rateEstimate", "null or an array");
  }
}

/**
 * Parses checkpoint JSON and checks what every checkpoint shares: version 1, and (when `kind` is
 * given) that it is a run of that experiment.
 *
 * @param text The JSON text.
 * @param source Where it came from, for messages.
 * @param kind The experiment expected.
 * @param parsed The text already parsed (then `text` is not parsed again).
 * @returns The parsed object, for the caller to check its state.
 * @throws {Error} "Cannot resume: ..." naming the problem.
 */
// deno-lint-ignore no-explicit-any
export function checkpointHeader(text: string, source: string, kind?: string, parsed?: any): any {
  // deno-lint-ignore no-explicit-any
  let json: any = parsed;
  if (parsed === undefined) {
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new Error(`Cannot resume: ${source} is not valid JSON (${(e as Error).message})`);
    }
  }
  if (typeof json !== "object" || json === null || json.version !== 1) {
    throw new Error(`Cannot resume: ${source} is not a version-1 checkpoint`);
  }
  if (kind !== undefined && typeof json.kind === "string" && json.kind !== kind) {
    throw new Error(
      `Cannot resume: ${source} is a ${json.kind} run, not ${kind}; resume it with deno task ${json.kind}`,
    );
  }
  return json;
}

/**
 * The flags that the single-population experiments (Fig. 3 and Fig. S7) share: the learning rule
 * and its feedback, the pseudo-derivative, the target rate, the engine and its workers, and the
 * run folder with its progress and checkpoint intervals. Each experiment spreads them into its
 * own table beside the flags of its task.
 *
 * @module
 */
import type { FlagSpecs } from "../cli/flags.ts";

/** What differs between the experiments among the shared flags: the defaults. */
export interface TrainingFlagDefaults {
  /** Default output folder. */
  out: string;
  /** Default iterations between progress lines. */
  printEvery: number;
  /** Default iterations between checkpoints. */
  checkpointEvery: number;
}

/**
 * The shared flags of a single-population training run.
 *
 * @example
 * ```ts
 * import { trainingFlags } from "./training_flags.ts";
 * import assert from "node:assert/strict";
 * const flags = trainingFlags({ out: "out/x", printEvery: 10, checkpointEvery: 50 });
 * assert.equal(flags.out.default, "out/x");
 * assert.deepEqual(flags.feedback.appliesWhen, { method: ["eprop"] });
 * ```
 *
 * @param defaults The experiment's defaults of the run-folder flags.
 * @returns The flags (a new table each call).
 */
export function trainingFlags(defaults: TrainingFlagDefaults): FlagSpecs {
  return {
    "print-every": {
      type: "int",
      default: defaults.printEvery,
      min: 0,
      help: "iterations between progress lines",
    },
    "checkpoint-every": {
      type: "int",
      default: defaults.checkpointEvery,
      min: 1,
      max: 10_000_000,
      help: "iterations between checkpoints (also written at iteration 0 and at the end)",
    },
    method: { type: "string", default: "eprop", choices: ["eprop", "bptt"], help: "learning rule" },
    feedback: {
      type: "string",
      default: "random",
      choices: ["random", "symmetric"],
      help: "e-prop feedback",
      appliesWhen: { method: ["eprop"] },
    },
    "dampening-factor": {
      type: "number",
      default: 0.3,
      min: 0,
      help: "pseudo-derivative dampening gamma",
    },
    "reg-rate": { type: "number", default: 10, min: 0, help: "target firing rate (Hz)", max: 1000 },
    backend: {
      type: "string",
      default: "wasm",
      choices: ["wasm", "tfjs"],
      help: "compute backend",
    },
    workers: {
      type: "int",
      default: 0,
      min: 0,
      max: 256,
      help: "workers for batch gradients (0: one per core, at most one per trial)",
      appliesWhen: { backend: ["wasm"] },
    },
    out: {
      type: "string",
      default: defaults.out,
      help: "output folder (figures, results, checkpoints)",
    },
    resume: {
      type: "boolean",
      default: false,
      help: "continue the run in --out from its checkpoint",
    },
  };
}

/** Flags that may differ when resuming, in both experiments. */
export const TRAINING_MUTABLE_FLAGS: readonly string[] = [
  "n-iter",
  "learning-rate",
  "print-every",
  "checkpoint-every",
  "out",
  "resume",
];

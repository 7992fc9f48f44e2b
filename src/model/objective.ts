/**
 * What a network is trained on: the loss on the readout and an optional firing-rate regularizer
 * (EPROP.md section 2), and the batch of data they are evaluated on.
 *
 * @module
 */
import type { ResolvedNetworkConfig } from "./config.ts";
import { checkChoice, checkNumber, describe } from "../util/errors.ts";

/** 0.5 * sum (y - y*)^2 over batch, time and outputs. */
export interface MseLoss {
  /** Discriminant. */
  type: "mse";
}

/**
 * Softmax cross-entropy averaged over the active steps and the batch. Active steps are the last
 * `window` steps of every trial (default: all), or those where the batch's `mask` is 1.
 */
export interface CrossEntropyLoss {
  /** Discriminant. */
  type: "ce";
  /** Number of final steps on which the loss is active. */
  window?: number;
}

/** The loss on the readout. */
export type LossConfig = MseLoss | CrossEntropyLoss;

/**
 * Firing-rate regularizer E_reg = c * sum_j (fbar_j - fTarget)^2, rates in spikes per ms.
 * "simple": fbar is the mean over batch and time of z / dt.
 * "online": fbar is replaced by an exponential running average of the batch-mean rate along the
 * concatenated trial timeline (time constant `tauMs`), so its learning signal is known at every
 * step; the estimate is carried from one call to the next.
 */
export interface RegularizationConfig {
  /** "simple" (default) or "online". */
  type?: "simple" | "online";
  /** Strength c_reg (>= 0). */
  c: number;
  /** Target rate in spikes per ms (10 Hz = 0.01). */
  fTarget: number;
  /** Time constant of the online running average in ms (default 1000). */
  tauMs?: number;
}

/** Loss plus optional regularizer. */
export interface Objective {
  /** The readout loss. */
  loss: LossConfig;
  /** The firing-rate regularizer, if any. */
  regularization?: RegularizationConfig;
}

/** A batch of trials, batch-major as users hold them. */
export interface Batch {
  /** Number of trials B. */
  batchSize: number;
  /** Number of time steps T. */
  steps: number;
  /** Inputs [B][T][nIn]. */
  inputs: Float64Array | Float32Array;
  /** Regression targets [B][T][nOut] (MSE). */
  targets?: Float64Array | Float32Array;
  /** Class labels (CE): one per trial [B], or one per step [B][T]. */
  labels?: Int32Array;
  /** Active steps (CE), [B][T] of 0/1; overrides the loss window. */
  mask?: Float64Array | Float32Array;
}

/** A validated objective with defaults filled in. */
export interface ResolvedObjective {
  /** The readout loss (window resolved for CE). */
  loss: MseLoss | Required<CrossEntropyLoss>;
  /** The regularizer, if any. */
  regularization?: Required<RegularizationConfig>;
}

const ACTION = "evaluate objective";

/**
 * Validates an objective against a batch and a network.
 * @param objective The loss and regularizer.
 * @param context The network and the batch it is evaluated on.
 * @returns The resolved objective.
 * @throws {TypeError|RangeError} Naming the offending field.
 */
export function resolveObjective(
  objective: Objective,
  context: { config: ResolvedNetworkConfig; batch: Batch },
): ResolvedObjective {
  const { config, batch } = context;
  if (typeof objective !== "object" || objective === null) {
    throw new TypeError(
      `Cannot ${ACTION}: objective must be an object, got ${describe(objective)}`,
    );
  }
  checkBatch(config, batch);
  const type = checkChoice(ACTION, "loss.type", objective.loss?.type, ["mse", "ce"]);
  const { batchSize: B, steps: T } = batch;
  const nOut = config.readout.nOut;
  let loss: ResolvedObjective["loss"];
  if (type === "mse") {
    checkLength("targets", batch.targets, B * T * nOut, `[${B}][${T}][${nOut}]`);
    loss = { type: "mse" };
  } else {
    const window = (objective.loss as CrossEntropyLoss).window ?? T;
    checkNumber(ACTION, "loss.window", window, { min: 1, max: T, integer: true });
    const labels = batch.labels;
    if (!(labels instanceof Int32Array) || (labels.length !== B && labels.length !== B * T)) {
      throw new TypeError(
        `Cannot ${ACTION}: labels must be an Int32Array of length ${B} or ${B * T}, got ${
          describe(labels)
        }`,
      );
    }
    labels.forEach((l, i) => {
      if (l < 0 || l >= nOut) {
        throw new RangeError(
          `Cannot ${ACTION}: labels[${i}] must be in [0, ${nOut - 1}], got ${l}`,
        );
      }
    });
    if (batch.mask !== undefined) {
      checkLength("mask", batch.mask, B * T, `[${B}][${T}]`);
      if (!batch.mask.some((m) => m !== 0)) {
        throw new RangeError(`Cannot ${ACTION}: mask must have at least one active step`);
      }
    }
    loss = { type: "ce", window };
  }
  const reg = objective.regularization;
  if (reg === undefined) return { loss };
  return { loss, regularization: resolveRegularization(reg) };
}

/**
 * Validates a regularizer and fills in defaults.
 * @param reg The regularizer.
 * @returns It, resolved.
 * @throws {TypeError|RangeError} Naming the offending field.
 */
export function resolveRegularization(
  reg: RegularizationConfig,
): Required<RegularizationConfig> {
  if (typeof reg !== "object" || reg === null) {
    throw new TypeError(`Cannot ${ACTION}: regularization must be an object, got ${describe(reg)}`);
  }
  return {
    type: checkChoice(ACTION, "regularization.type", reg.type ?? "simple", ["simple", "online"]),
    c: checkNumber(ACTION, "regularization.c", reg.c, { min: 0 }),
    fTarget: checkNumber(ACTION, "regularization.fTarget", reg.fTarget, { min: 0 }),
    tauMs: checkNumber(ACTION, "regularization.tauMs", reg.tauMs ?? 1000, {
      min: 0,
      exclusiveMin: true,
    }),
  };
}

function checkLength(
  field: string,
  value: ArrayLike<number> | undefined,
  length: number,
  shape: string,
) {
  if (value === undefined || value.length !== length) {
    throw new TypeError(
      `Cannot ${ACTION}: ${field} must have shape ${shape} (${length} values), got ${
        describe(value)
      }`,
    );
  }
  for (let i = 0; i < value.length; i++) {
    if (!Number.isFinite(value[i])) {
      throw new TypeError(`Cannot ${ACTION}: ${field}[${i}] must be finite, got ${value[i]}`);
    }
  }
}

/**
 * Checks a batch's sizes and that its inputs are finite.
 * @throws {TypeError|RangeError} Naming the offending field.
 */
export function checkBatch(config: ResolvedNetworkConfig, batch: Batch): void {
  if (typeof batch !== "object" || batch === null) {
    throw new TypeError(`Cannot ${ACTION}: batch must be an object, got ${describe(batch)}`);
  }
  const B = checkNumber(ACTION, "batch.batchSize", batch.batchSize, { min: 1, integer: true });
  const T = checkNumber(ACTION, "batch.steps", batch.steps, { min: 1, integer: true });
  const nIn = config.neuron.nIn;
  checkLength("inputs", batch.inputs, B * T * nIn, `[${B}][${T}][${nIn}]`);
}

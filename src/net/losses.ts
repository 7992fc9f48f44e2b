/**
 * Sequence losses: each maps one head's outputs y (time-major [U][B][nOut], U the head's time
 * axis) to a value and dE/dy, looking only at each sequence's valid units. The gradient methods
 * route dE/dy back without knowing which loss produced it, so a new loss (CTC, an actor-critic
 * objective) is one more {@linkcode SequenceLoss}.
 *
 * @module
 */
import { type FloatArray, weightedCrossEntropy } from "../grad/readout_error.ts";
import { checkNumber, describe } from "../util/errors.ts";

/** What a loss is evaluated on. */
export interface LossContext {
  /** Sequences B. */
  batchSize: number;
  /** Length U of the head's time axis (frames, or steps when repeat is 1). */
  units: number;
  /** Outputs of the head. */
  nOut: number;
  /** Valid units of each sequence. */
  lengths: Int32Array;
  /** Field name for messages, e.g. "losses[0]". */
  field: string;
  /**
   * The loss's normalizer over the whole batch, when this is a part of it (a worker's share):
   * the value {@linkcode SequenceLoss.normalizer} gives for the whole batch.
   */
  normalizer?: number;
}

/** A loss over a head's output sequence. */
export interface SequenceLoss {
  /** Kind, for messages. */
  readonly type: string;
  /**
   * Checks that the loss fits the head and batch.
   * @param ctx The head and batch.
   * @throws {TypeError|RangeError} Naming the field.
   */
  check(ctx: LossContext): void;
  /**
   * The number the loss divides by (e.g. B W for a window average), computed from its own data
   * for the batch in `ctx`; undefined for a plain sum. A batch split into parts evaluates each
   * part with the whole batch's normalizer (`ctx.normalizer`), so the parts add up exactly.
   */
  normalizer?(ctx: LossContext): number | undefined;
  /**
   * Computes the loss and dE/dy.
   * @param y Outputs, time-major [U][B][nOut].
   * @param dEdy Written: dE/dy, same layout (zero where the loss does not look).
   * @param ctx The head and batch.
   * @returns The loss.
   */
  evaluate(y: FloatArray, dEdy: FloatArray, ctx: LossContext): number;
}

/** E = 0.5 sum over valid units of (y - target)^2. */
export interface MseLossSpec {
  /** Kind. */
  type: "mse";
  /** Targets, batch-major [B][U][nOut]. */
  targets: Float64Array | Float32Array;
}

/**
 * Softmax cross-entropy averaged over the batch and over the last `window` valid units of each
 * sequence (default: all of them when lengths are equal), or over a `mask`.
 */
export interface CrossEntropyLossSpec {
  /** Kind. */
  type: "ce";
  /** One label per sequence [B], or per unit [B][U]. */
  labels: Int32Array;
  /** Units at the end of each sequence that the loss averages over. */
  window?: number;
  /** Per-unit weights [B][U]; the loss is their weighted mean (instead of `window`). */
  mask?: Float64Array | Float32Array;
}

/** Cross-entropy per frame: mean over the batch of (sum over valid units of CE) / length. */
export interface FrameCrossEntropyLossSpec {
  /** Kind. */
  type: "ce_frames";
  /** Label per unit [B][U]; labels past a sequence's length are ignored. */
  labels: Int32Array;
}

/** A loss given as data. */
export type LossSpec = MseLossSpec | CrossEntropyLossSpec | FrameCrossEntropyLossSpec;

/**
 * Builds a loss from its description.
 *
 * @param spec A loss as data, or a ready {@linkcode SequenceLoss}.
 * @param field Field name for messages.
 * @returns The loss.
 * @throws {TypeError} For an unknown type.
 */
export function createLoss(spec: LossSpec | SequenceLoss, field = "loss"): SequenceLoss {
  if (typeof spec !== "object" || spec === null) {
    throw new TypeError(`Cannot build loss: ${field} must be an object, got ${describe(spec)}`);
  }
  if (typeof (spec as SequenceLoss).evaluate === "function") return spec as SequenceLoss;
  const s = spec as LossSpec;
  switch (s.type) {
    case "mse":
      return new MseLoss(s.targets);
    case "ce":
      return new CrossEntropyLoss(s);
    case "ce_frames":
      return new CrossEntropyLoss({ type: "ce", labels: s.labels }, true);
    default:
      throw new TypeError(
        `Cannot build loss: ${field}.type must be one of "mse", "ce", "ce_frames", got ${
          describe((s as { type: unknown }).type)
        }`,
      );
  }
}

class MseLoss implements SequenceLoss {
  readonly type = "mse";
  constructor(readonly targets: Float64Array | Float32Array) {}

  check(ctx: LossContext): void {
    const { batchSize: B, units: U, nOut } = ctx;
    if (
      !(this.targets instanceof Float64Array || this.targets instanceof Float32Array) ||
      this.targets.length !== B * U * nOut
    ) {
      throw new TypeError(
        `Cannot evaluate loss: ${ctx.field}.targets must have shape [${B}][${U}][${nOut}] (${
          B * U * nOut
        } values), got ${describe(this.targets)}`,
      );
    }
  }

  evaluate(y: FloatArray, dEdy: FloatArray, ctx: LossContext): number {
    const { batchSize: B, units: U, nOut, lengths } = ctx;
    let loss = 0;
    dEdy.fill(0);
    for (let u = 0; u < U; u++) {
      for (let b = 0; b < B; b++) {
        if (u >= lengths[b]) continue;
        for (let k = 0; k < nOut; k++) {
          const i = (u * B + b) * nOut + k;
          const d = y[i] - this.targets[(b * U + u) * nOut + k];
          dEdy[i] = d;
          loss += 0.5 * d * d;
        }
      }
    }
    return loss;
  }
}

class CrossEntropyLoss implements SequenceLoss {
  readonly type: string;
  constructor(readonly spec: CrossEntropyLossSpec, readonly perFrame = false) {
    this.type = perFrame ? "ce_frames" : "ce";
  }

  check(ctx: LossContext): void {
    const { batchSize: B, units: U, nOut, lengths, field } = ctx;
    const { labels, window, mask } = this.spec;
    const perUnit = this.perFrame || labels?.length === B * U;
    if (
      !(labels instanceof Int32Array) ||
      (labels.length !== B * U && (perUnit || labels.length !== B))
    ) {
      throw new TypeError(
        `Cannot evaluate loss: ${field}.labels must be an Int32Array of shape ${
          this.perFrame ? `[${B}][${U}]` : `[${B}] or [${B}][${U}]`
        }, got ${describe(labels)}`,
      );
    }
    for (let b = 0; b < B; b++) {
      const count = perUnit ? lengths[b] : 1;
      for (let u = 0; u < count; u++) {
        const l = labels[perUnit ? b * U + u : b];
        if (!Number.isInteger(l) || l < 0 || l >= nOut) {
          const at = perUnit ? `[${b}][${u}]` : `[${b}]`;
          throw new RangeError(
            `Cannot evaluate loss: ${field}.labels${at} must be in [0, ${nOut - 1}], got ${l}`,
          );
        }
      }
    }
    if (mask !== undefined) {
      if (
        !(mask instanceof Float64Array || mask instanceof Float32Array) || mask.length !== B * U
      ) {
        throw new TypeError(
          `Cannot evaluate loss: ${field}.mask must have shape [${B}][${U}], got ${describe(mask)}`,
        );
      }
      if (!mask.some((m) => m !== 0)) {
        throw new RangeError(
          `Cannot evaluate loss: ${field}.mask must have at least one active unit`,
        );
      }
    } else if (window !== undefined) {
      const shortest = Math.min(...lengths);
      checkNumber("evaluate loss", `${field}.window`, window, {
        min: 1,
        max: shortest,
        integer: true,
      });
    } else if (!this.perFrame && lengths.some((l) => l !== U)) {
      throw new RangeError(
        `Cannot evaluate loss: ${field}.window is needed when sequences have different lengths`,
      );
    }
  }

  normalizer(ctx: LossContext): number {
    const { batchSize: B, units: U, lengths } = ctx;
    const { window, mask } = this.spec;
    if (this.perFrame) return B;
    if (mask) {
      let total = 0;
      for (let b = 0; b < B; b++) for (let u = 0; u < lengths[b]; u++) total += mask[b * U + u];
      return total;
    }
    return B * (window ?? U);
  }

  /** Weight of each (unit, sequence), time-major [U][B]. */
  weights(ctx: LossContext): Float64Array {
    const { batchSize: B, units: U, lengths } = ctx;
    const { window, mask } = this.spec;
    const norm = ctx.normalizer ?? this.normalizer(ctx);
    const w = new Float64Array(U * B);
    if (this.perFrame) {
      for (let b = 0; b < B; b++) {
        for (let u = 0; u < lengths[b]; u++) w[u * B + b] = 1 / (norm * lengths[b]);
      }
    } else if (mask) {
      for (let b = 0; b < B; b++) {
        for (let u = 0; u < lengths[b]; u++) w[u * B + b] = mask[b * U + u] / norm;
      }
    } else {
      const W = window ?? U;
      for (let b = 0; b < B; b++) {
        for (let u = lengths[b] - W; u < lengths[b]; u++) w[u * B + b] = 1 / norm;
      }
    }
    return w;
  }

  evaluate(y: FloatArray, dEdy: FloatArray, ctx: LossContext): number {
    const { batchSize: B, units: U, nOut } = ctx;
    const labels = this.spec.labels;
    const perUnit = this.perFrame || labels.length === B * U;
    const weight = this.weights(ctx);
    let loss = 0;
    dEdy.fill(0);
    for (let u = 0; u < U; u++) {
      for (let b = 0; b < B; b++) {
        const w = weight[u * B + b];
        if (w === 0) continue;
        const base = (u * B + b) * nOut;
        const label = perUnit ? labels[b * U + u] : labels[b];
        loss += weightedCrossEntropy(y, dEdy, { base, nOut, label, weight: w });
      }
    }
    return loss;
  }
}

/**
 * The part of a loss's data that belongs to sequences [from, to) of a batch (for a worker that
 * computes those sequences).
 *
 * @param spec The loss of the whole batch.
 * @param part Sequences [from, to), the batch size and the head's time-axis length.
 * @returns The loss of the part.
 */
export function sliceLoss(
  spec: LossSpec,
  part: { from: number; to: number; batchSize: number; units: number },
): LossSpec {
  const { from, to, batchSize: B, units: U } = part;
  const rows = <T extends Float64Array | Float32Array | Int32Array>(a: T, width: number): T =>
    a.slice(from * width, to * width) as T;
  switch (spec.type) {
    case "mse":
      return { type: "mse", targets: rows(spec.targets, spec.targets.length / B) };
    case "ce_frames":
      return { type: "ce_frames", labels: rows(spec.labels, U) };
    case "ce":
      return {
        type: "ce",
        labels: rows(spec.labels, spec.labels.length === B ? 1 : U),
        ...(spec.window !== undefined ? { window: spec.window } : {}),
        ...(spec.mask !== undefined ? { mask: rows(spec.mask, U) } : {}),
      };
  }
}

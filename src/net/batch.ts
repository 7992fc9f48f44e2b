/**
 * A batch of sequences for a composed network: input frames batch-major [B][F][nIn] and the valid
 * length of each sequence in frames. Padding frames past a length may hold anything; every
 * backend ignores them.
 *
 * @module
 */
import type { ResolvedNetwork } from "./network.ts";
import { describe } from "../util/errors.ts";

/** A batch of sequences. */
export interface SequenceBatch {
  /** Number of sequences B. */
  batchSize: number;
  /** Frames F of the longest sequence (the padded length). */
  frames: number;
  /** Input frames, batch-major [B][F][nIn]. */
  inputs: Float64Array | Float32Array;
  /** Valid frames per sequence (1..F); default F for every sequence. */
  lengths?: Int32Array;
}

/**
 * Checks a batch against a network.
 *
 * @param net The network.
 * @param batch The batch.
 * @param options `finite`: also check that every valid input is finite (default true; a caller
 *   that checks its own copy, as the WebAssembly core does, passes false and calls
 *   {@linkcode checkFiniteInputs} only when its copy holds a non-finite value).
 * @returns The lengths in frames (all F when the batch gives none).
 * @throws {TypeError|RangeError} Naming the first invalid field.
 */
export function checkSequenceBatch(
  net: Pick<ResolvedNetwork, "nIn">,
  batch: SequenceBatch,
  options: { finite?: boolean } = {},
): Int32Array {
  const action = "check batch";
  if (typeof batch !== "object" || batch === null) {
    throw new TypeError(`Cannot ${action}: batch must be an object, got ${describe(batch)}`);
  }
  const { batchSize: B, frames: F } = batch;
  if (!Number.isInteger(B) || B < 1) {
    throw new RangeError(`Cannot ${action}: batchSize must be an integer >= 1, got ${B}`);
  }
  if (!Number.isInteger(F) || F < 1) {
    throw new RangeError(`Cannot ${action}: frames must be an integer >= 1, got ${F}`);
  }
  const want = B * F * net.nIn;
  if (
    !(batch.inputs instanceof Float64Array || batch.inputs instanceof Float32Array) ||
    batch.inputs.length !== want
  ) {
    throw new TypeError(
      `Cannot ${action}: inputs must be a Float64Array or Float32Array of shape [${B}][${F}][${net.nIn}] (${want} values), got ${
        describe(batch.inputs)
      }`,
    );
  }
  const lengths = batch.lengths ?? new Int32Array(B).fill(F);
  if (!(lengths instanceof Int32Array) || lengths.length !== B) {
    throw new TypeError(
      `Cannot ${action}: lengths must be an Int32Array of length ${B}, got ${describe(lengths)}`,
    );
  }
  lengths.forEach((l, b) => {
    if (l < 1 || l > F) {
      throw new RangeError(`Cannot ${action}: lengths[${b}] must be in [1, ${F}], got ${l}`);
    }
  });
  if (options.finite ?? true) checkFiniteInputs(batch, lengths);
  return lengths;
}

/**
 * Checks that every input of the valid frames is finite (padding frames may hold anything).
 *
 * @param batch The batch (shape already checked).
 * @param lengths Valid frames per sequence.
 * @throws {RangeError} Naming the first non-finite input.
 */
export function checkFiniteInputs(batch: SequenceBatch, lengths: Int32Array): void {
  const { batchSize: B, frames: F, inputs } = batch;
  const nIn = inputs.length / (B * F);
  for (let b = 0; b < B; b++) {
    const end = (b * F + lengths[b]) * nIn;
    for (let i = b * F * nIn; i < end; i++) {
      if (!Number.isFinite(inputs[i])) {
        const f = Math.floor((i - b * F * nIn) / nIn);
        throw new RangeError(
          `Cannot check batch: inputs[${b}][${f}][${i % nIn}] must be finite, got ${inputs[i]}`,
        );
      }
    }
  }
}

/**
 * Writes the inputs time-major [F][B][nIn] into `out`, zero past each sequence's length (so that
 * whatever padding frames hold never reaches a computation).
 *
 * @param batch The batch.
 * @param out Destination of F * B * nIn values.
 * @param lengths Valid frames per sequence.
 */
export function writeTimeMajorInputs(
  batch: SequenceBatch,
  out: Float64Array | Float32Array,
  lengths: Int32Array,
): void {
  const { batchSize: B, frames: F } = batch;
  const nIn = batch.inputs.length / (B * F);
  for (let b = 0; b < B; b++) {
    for (let f = 0; f < F; f++) {
      const at = (f * B + b) * nIn;
      if (f < lengths[b]) {
        out.set(batch.inputs.subarray((b * F + f) * nIn, (b * F + f + 1) * nIn), at);
      } else out.fill(0, at, at + nIn);
    }
  }
}

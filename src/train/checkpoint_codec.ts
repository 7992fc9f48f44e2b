/**
 * The one checkpoint format of every learner (the supervised trainers of Figs. 3, S7 and 2, the
 * LSTM baseline, and the reward-based agent of Figs. 4-5): the envelope (version, format, kind,
 * flags, resume history) as JSON, and the state through the state codec
 * (`../util/state_codec.ts`): every typed array — weights, parameters, feedback matrices, traces —
 * is a reference into one binary block that holds its bytes as they are (f64 stays f64, f32
 * stays f32), so a resumed run continues bit for bit. A small block travels base64-encoded in the
 * JSON text (`"binary"`); a large one (the agent's episodes, a paper-sized network) goes to a side
 * file named in the text (`"binaryFile"`, with its length `"binaryBytes"`), which the storage
 * writes first (`./checkpoint_file.ts` in Deno). Text written before the codec (version 1 without
 * `"codec"`: numbers as JSON) still reads. No Deno API here.
 *
 * @module
 */
import type { Matrix } from "../model/weights.ts";
import { decodeState, encodeState } from "../util/state_codec.ts";

/** The envelope every checkpoint shares. */
export interface CheckpointEnvelope {
  /** Schema version (1). */
  version: 1;
  /** The state's shape, when not the single population's (e.g. "network"). */
  format?: string;
  /** Which experiment wrote it. */
  kind?: string;
  /** The run's flags. */
  flags: Record<string, unknown>;
  /** Flags changed on resumes. */
  history?: unknown[];
  /** The learner's state (typed arrays included). */
  state: unknown;
}

/** The value of `"codec"` in text written by {@linkcode encodeCheckpointText}. */
export const CHECKPOINT_CODEC = "state-codec";

/** Blocks of at least this many bytes go to a side file when the storage names one. */
export const SIDE_FILE_BYTES = 4 * 1024 * 1024;

/** Side files are plain names beside their checkpoint (no folders). */
const SIDE_FILE_NAME = /^[A-Za-z0-9._-]+\.bin$/;

/** A checkpoint encoded for storage: its text, and the side file it names, if any. */
export interface EncodedCheckpoint {
  /** The JSON text. */
  text: string;
  /** The binary block as a file beside the text, when it went there. */
  side?: { name: string; bytes: Uint8Array };
}

/** Where {@linkcode encodeCheckpoint} may put the binary block. */
export interface EncodeCheckpointOptions {
  /** The side file's name (beside the checkpoint; `<name>.bin`); without it the block is inline. */
  sideFile?: string;
  /** Blocks of at least this many bytes go to the side file (default {@linkcode SIDE_FILE_BYTES}). */
  sideFileBytes?: number;
}

/**
 * Encodes a checkpoint for storage: the block inline as base64, or, when it is large and the
 * storage names a side file, in that file.
 * @param checkpoint The envelope and state.
 * @param options The side file and from which size on it is used.
 * @returns The text, and the side file to write first.
 * @throws {TypeError} For a side file name that is not a plain `<name>.bin`.
 */
export function encodeCheckpoint(
  checkpoint: CheckpointEnvelope,
  options: EncodeCheckpointOptions = {},
): EncodedCheckpoint {
  const { json, binary } = encodeState(checkpoint.state);
  const name = options.sideFile;
  if (name !== undefined && !SIDE_FILE_NAME.test(name)) {
    throw new TypeError(
      `Cannot write checkpoint: sideFile must be a plain file name ending in .bin, got ${
        JSON.stringify(name)
      }`,
    );
  }
  if (name !== undefined && binary.length >= (options.sideFileBytes ?? SIDE_FILE_BYTES)) {
    const text = JSON.stringify({
      ...checkpoint,
      codec: CHECKPOINT_CODEC,
      state: json,
      binaryFile: name,
      binaryBytes: binary.length,
    });
    return { text, side: { name, bytes: binary } };
  }
  const text = JSON.stringify({
    ...checkpoint,
    codec: CHECKPOINT_CODEC,
    state: json,
    binary: toBase64(binary),
  });
  return { text };
}

/**
 * The side file a parsed checkpoint text names, if any.
 * @param json The parsed text.
 * @param source Where it came from, for messages.
 * @returns The file's name and expected length, or undefined when the block is inline.
 * @throws {Error} "Cannot resume: ..." for a malformed name or length.
 */
export function checkpointSideFile(
  // deno-lint-ignore no-explicit-any
  json: any,
  source: string,
): { name: string; bytes: number } | undefined {
  if (json?.binaryFile === undefined) return undefined;
  if (typeof json.binaryFile !== "string" || !SIDE_FILE_NAME.test(json.binaryFile)) {
    throw new Error(
      `Cannot resume: ${source}: "binaryFile" must be a plain file name ending in .bin`,
    );
  }
  if (!Number.isSafeInteger(json.binaryBytes) || json.binaryBytes < 0) {
    throw new Error(`Cannot resume: ${source}: "binaryBytes" must be an integer >= 0`);
  }
  return { name: json.binaryFile, bytes: json.binaryBytes };
}

/**
 * Encodes a checkpoint as one JSON text.
 * @param checkpoint The envelope and state.
 * @returns JSON text: the state's plain fields as JSON, its typed arrays in `"binary"` (base64).
 */
export function encodeCheckpointText(checkpoint: CheckpointEnvelope): string {
  return encodeCheckpoint(checkpoint).text;
}

/**
 * Decodes the state of a parsed checkpoint text: text of {@linkcode encodeCheckpointText} gets
 * its typed arrays back; older text (no `"codec"`) is returned as it is.
 * A text whose block is in a side file ({@linkcode checkpointSideFile}) needs that file's bytes.
 * @param json The parsed text (its header already checked).
 * @param source Where it came from, for messages.
 * @param side The side file's bytes, when the text names one.
 * @returns The same object with `state` decoded and `codec`/`binary`/`binaryFile`/`binaryBytes`
 *   removed.
 * @throws {Error} "Cannot resume: ..." when the block is missing or does not match the state.
 */
// deno-lint-ignore no-explicit-any
export function decodeCheckpointState(json: any, source: string, side?: Uint8Array): any {
  if (json.codec === undefined) return json;
  const file = checkpointSideFile(json, source);
  if (file && json.codec === CHECKPOINT_CODEC) {
    if (!side) {
      throw new Error(
        `Cannot resume: ${source} keeps its state in ${file.name}, which was not read`,
      );
    }
    if (side.length !== file.bytes) {
      throw new Error(
        `Cannot resume: ${file.name} holds ${side.length} bytes, ${source} expects ${file.bytes}`,
      );
    }
    const { codec: _c, binaryFile: _f, binaryBytes: _b, ...rest } = json;
    try {
      return { ...rest, state: decodeState(rest.state, side) };
    } catch (e) {
      throw new Error(`Cannot resume: ${source}: ${(e as Error).message}`);
    }
  }
  if (json.codec !== CHECKPOINT_CODEC || typeof json.binary !== "string") {
    throw new Error(
      `Cannot resume: ${source} has codec ${JSON.stringify(json.codec)} with ${
        typeof json.binary === "string" ? "a" : "no"
      } binary block; expected "${CHECKPOINT_CODEC}" and a base64 "binary"`,
    );
  }
  const { codec: _c, binary, ...rest } = json;
  let bytes: Uint8Array;
  try {
    bytes = fromBase64(binary);
  } catch {
    throw new Error(`Cannot resume: ${source}: "binary" is not base64`);
  }
  try {
    return { ...rest, state: decodeState(rest.state, bytes) };
  } catch (e) {
    throw new Error(`Cannot resume: ${source}: ${(e as Error).message}`);
  }
}

const CHUNK = 0x8000;

function toBase64(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += CHUNK) {
    text += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  }
  return btoa(text);
}

function fromBase64(text: string): Uint8Array {
  const raw = atob(text);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

/**
 * A saved float64 array as a fresh copy: a number[] (text written before the codec, or plain
 * JSON files such as best.json) or the codec's Float64Array.
 * @param v The saved value.
 * @returns The copy, or undefined when `v` is neither.
 */
export function savedFloats(v: unknown): Float64Array | undefined {
  if (v instanceof Float64Array) return Float64Array.from(v);
  if (Array.isArray(v) && v.every((x) => typeof x === "number")) return Float64Array.from(v);
  return undefined;
}

/**
 * A saved matrix `{ rows, cols, data }` as a fresh one.
 * @param m The saved value.
 * @returns The matrix, or undefined when `m` is not one (sizes and data length checked).
 */
export function savedMatrix(m: unknown): Matrix | undefined {
  if (typeof m !== "object" || m === null) return undefined;
  const { rows, cols, data } = m as { rows: unknown; cols: unknown; data: unknown };
  if (!Number.isInteger(rows) || !Number.isInteger(cols)) return undefined;
  const floats = savedFloats(data);
  if (!floats || floats.length !== (rows as number) * (cols as number)) return undefined;
  return { rows: rows as number, cols: cols as number, data: floats };
}

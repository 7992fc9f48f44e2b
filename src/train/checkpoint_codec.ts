/**
 * The one checkpoint encoding of every learner: the envelope (version, format, kind, flags,
 * resume history) as JSON, and the state through the state codec (`../util/state_codec.ts`):
 * every typed array — weights, parameters, feedback matrices, traces — is a reference into one
 * binary block that holds its bytes as they are (f64 stays f64, f32 stays f32), so a resumed run
 * continues bit for bit. The block travels base64-encoded in the JSON text (`"binary"`) for the
 * supervised runs, whose states are small; the agent's large state keeps it in a file beside
 * its checkpoint.json. Text written before the codec (version 1 without `"codec"`: numbers as
 * JSON) still reads. No Deno API here.
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

/**
 * Encodes a checkpoint as one JSON text.
 * @param checkpoint The envelope and state.
 * @returns JSON text: the state's plain fields as JSON, its typed arrays in `"binary"` (base64).
 */
export function encodeCheckpointText(checkpoint: CheckpointEnvelope): string {
  const { json, binary } = encodeState(checkpoint.state);
  return JSON.stringify({
    ...checkpoint,
    codec: CHECKPOINT_CODEC,
    state: json,
    binary: toBase64(binary),
  });
}

/**
 * Decodes the state of a parsed checkpoint text: text of {@linkcode encodeCheckpointText} gets
 * its typed arrays back; older text (no `"codec"`) is returned as it is.
 * @param json The parsed text (its header already checked).
 * @param source Where it came from, for messages.
 * @returns The same object with `state` decoded and `codec`/`binary` removed.
 * @throws {Error} "Cannot resume: ..." when the block is missing or does not match the state.
 */
// deno-lint-ignore no-explicit-any
export function decodeCheckpointState(json: any, source: string): any {
  if (json.codec === undefined) return json;
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

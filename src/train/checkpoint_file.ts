/**
 * Checkpoints as files (Deno only), in the one format of every learner (`./checkpoint_codec.ts`):
 * checkpoint.json, and for a large state a binary side file `<name>-<tag>.bin` beside it. Each
 * is written to a temporary file and renamed into place, the side file first under a new name,
 * so an interrupted write leaves the previous checkpoint whole; older side files are removed
 * after the text points to the new one.
 *
 * @module
 */
import { type Checkpoint, checkpointFromEnvelope, checkpointHeader } from "./checkpoint.ts";
import {
  type CheckpointEnvelope,
  checkpointSideFile,
  decodeCheckpointState,
  encodeCheckpoint,
} from "./checkpoint_codec.ts";

async function writeAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${path}.tmp`;
  if (typeof data === "string") await Deno.writeTextFile(tmp, data);
  else await Deno.writeFile(tmp, data);
  await Deno.rename(tmp, path);
}

function split(path: string): { dir: string; base: string } {
  const at = path.lastIndexOf("/");
  const dir = at < 0 ? "." : path.slice(0, at) || "/";
  const name = at < 0 ? path : path.slice(at + 1);
  return { dir, base: name.replace(/\.json$/, "") };
}

/** Where {@linkcode writeCheckpointFile} puts a large state. */
export interface CheckpointFileOptions {
  /** Tags the side file (`<name>-<tag>.bin`, e.g. the iteration or frame count). */
  tag?: number;
  /** States of at least this many bytes go to the side file (default: the codec's 4 MiB). */
  sideFileBytes?: number;
}

/**
 * Writes a checkpoint atomically (side file first, then the text, then old side files removed).
 * @param path The checkpoint's text file (e.g. `out/checkpoint.json`).
 * @param checkpoint Envelope and state.
 * @param options The side file's tag and from which size on it is used.
 * @returns The bytes written (text and side file).
 */
export async function writeCheckpointFile(
  path: string,
  checkpoint: CheckpointEnvelope,
  options: CheckpointFileOptions = {},
): Promise<{ jsonBytes: number; binaryBytes: number }> {
  const { dir, base } = split(path);
  const encoded = encodeCheckpoint(checkpoint, {
    sideFile: `${base}-${options.tag ?? 0}.bin`,
    sideFileBytes: options.sideFileBytes,
  });
  const keep = encoded.side?.name;
  if (encoded.side) await writeAtomic(`${dir}/${encoded.side.name}`, encoded.side.bytes);
  await writeAtomic(path, encoded.text);
  const stale = new RegExp(`^${base.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}-\\d+\\.bin(\\.tmp)?$`);
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && stale.test(e.name) && e.name !== keep) {
      await Deno.remove(`${dir}/${e.name}`).catch(() => {});
    }
  }
  return { jsonBytes: encoded.text.length, binaryBytes: encoded.side?.bytes.length ?? 0 };
}

/** What {@linkcode readCheckpointFile} checks and how it reads older files. */
export interface ReadCheckpointOptions {
  /** The experiment expected (a checkpoint of another one is refused). */
  kind?: string;
  /**
   * Reads text of a learner's older format (no `version`): returns its checkpoint, or undefined
   * to refuse it as not a version-1 checkpoint.
   */
  legacy?: (json: Record<string, unknown>, dir: string) => Promise<unknown> | unknown;
  /** With a side file that is missing: what to keep of the state (default: refuse). */
  withoutSideFile?: (json: Record<string, unknown>) => Record<string, unknown> | undefined;
}

/**
 * Decodes checkpoint text read from `path`, reading the side file it names.
 * @param text The text.
 * @param path Where it was read (the side file lies beside it; named in messages).
 * @param options Kind, older formats, a missing side file.
 * @returns The envelope with its state decoded.
 * @throws {SyntaxError} "Cannot resume: ... is not valid JSON" (the parser's error as `cause`).
 * @throws {Error} "Cannot resume: ..." naming what does not fit.
 */
export async function checkpointFromFileText(
  text: string,
  path: string,
  options: ReadCheckpointOptions = {},
  // deno-lint-ignore no-explicit-any
): Promise<any> {
  // deno-lint-ignore no-explicit-any
  let json: any;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new SyntaxError(`Cannot resume: ${path} is not valid JSON (${(e as Error).message})`, {
      cause: e,
    });
  }
  const { dir } = split(path);
  if (options.legacy && typeof json === "object" && json !== null && json.version === undefined) {
    const old = await options.legacy(json, dir);
    if (old !== undefined) return old;
  }
  checkpointHeader(text, path, options.kind, json);
  const side = checkpointSideFile(json, path);
  if (!side) return decodeCheckpointState(json, path);
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(`${dir}/${side.name}`);
  } catch (e) {
    const kept = e instanceof Deno.errors.NotFound ? options.withoutSideFile?.(json) : undefined;
    if (kept) {
      const { binaryFile: _f, binaryBytes: _b, ...rest } = json;
      return decodeCheckpointState({ ...rest, state: kept, binary: "" }, path);
    }
    throw new Error(`Cannot resume: ${dir}/${side.name} cannot be read (${(e as Error).message})`, {
      cause: e,
    });
  }
  return decodeCheckpointState(json, path, bytes);
}

/**
 * Reads a checkpoint file (and its side file).
 * @param path The checkpoint's text file.
 * @param options Kind, older formats, a missing side file.
 * @returns The envelope with its state decoded.
 * @throws {Error} "Cannot resume: ..." when a file is missing or malformed (the file error as
 *   `cause`).
 */
export async function readCheckpointFile(
  path: string,
  options: ReadCheckpointOptions = {},
  // deno-lint-ignore no-explicit-any
): Promise<any> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new Error(`Cannot resume: ${path} cannot be read (${(e as Error).message})`, {
      cause: e,
    });
  }
  return await checkpointFromFileText(text, path, options);
}

/**
 * Writes a supervised trainer's checkpoint atomically (see {@linkcode writeCheckpointFile}).
 * @param path Target file.
 * @param checkpoint Flags and state.
 */
export async function saveCheckpoint(path: string, checkpoint: Checkpoint): Promise<void> {
  await writeCheckpointFile(path, checkpoint, { tag: checkpoint.state.iteration });
}

/**
 * Reads a supervised trainer's checkpoint.
 * @param path The file.
 * @param kind The experiment expected (a checkpoint of another one is refused).
 * @returns Flags and state.
 * @throws {Error} When the file is missing or malformed, naming the problem.
 */
export async function loadCheckpoint(path: string, kind?: string): Promise<Checkpoint> {
  return checkpointFromEnvelope(await readCheckpointFile(path, { kind }), path);
}

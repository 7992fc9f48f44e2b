/**
 * Checkpoints as files (Deno only): written to a temporary file first and renamed into place, so
 * an interrupted write never leaves a truncated checkpoint.
 *
 * @module
 */
import { type Checkpoint, checkpointFromJson, checkpointToJson } from "./checkpoint.ts";

/**
 * Writes a checkpoint atomically.
 * @param path Target file.
 * @param checkpoint Flags and state.
 */
export async function saveCheckpoint(path: string, checkpoint: Checkpoint): Promise<void> {
  const tmp = `${path}.tmp`;
  await Deno.writeTextFile(tmp, checkpointToJson(checkpoint));
  await Deno.rename(tmp, path);
}

/**
 * Reads a checkpoint.
 * @param path The file.
 * @param kind The experiment expected (a checkpoint of another one is refused).
 * @returns Flags and state.
 * @throws {Error} When the file is missing or malformed, naming the problem.
 */
export async function loadCheckpoint(path: string, kind?: string): Promise<Checkpoint> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new Error(`Cannot resume: ${path} cannot be read (${(e as Error).message})`);
  }
  return checkpointFromJson(text, path, kind);
}

/**
 * The copy of a running job's checkpoint that a worker keeps in Redis, so that a retry on ANY
 * worker (another machine, another --dir) resumes it: checkpoint.json, the binary side file it
 * names (fig4/fig5: `checkpoint-<frames>.bin`, the episodes' state), and results.json when the
 * run writes it while it runs (fig4/fig5 resume from it). The files are stored as base64 in one
 * JSON value keyed by job id, up to {@linkcode MAX_COPY_BYTES}; a larger checkpoint (the
 * paper-sized agent's is ~400 MB) is not copied, with a note, and resumes only where its folder is.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { checkpointPath } from "../experiments/run_dir.ts";
import { writeFileAtomic } from "../cli/outputs.ts";
import { checkpointSideFile } from "../train/checkpoint_codec.ts";

/** The most bytes of checkpoint files copied to Redis per job. */
export const MAX_COPY_BYTES = 64 * 2 ** 20;

/** A checkpoint's files, read together. */
export interface CheckpointCopy {
  /** How far the run is: the checkpoint's iteration (fig3, figS7, fig2) or frames (fig4/fig5). */
  progress: number;
  /** The files by name, as bytes. */
  files: Record<string, Uint8Array>;
  /** Their total size. */
  bytes: number;
}

/** What a checkpoint.json says of itself: how far its run is, and the side file it names. */
interface CheckpointHeader {
  /** Its iteration (fig3, figS7, fig2) or frames (fig4/fig5); -1 when it cannot be read. */
  progress: number;
  /** The binary side file it names, if any. */
  side?: string;
}

/** Reads a checkpoint.json's header: the state-codec envelope, or an older layout. */
function readHeader(text: string | null | undefined): CheckpointHeader {
  if (!text) return { progress: -1 };
  try {
    const doc = JSON.parse(text);
    const it = doc?.state?.iteration ?? doc?.state?.frames ?? doc?.iteration ?? doc?.frames;
    const progress = typeof it === "number" && Number.isFinite(it) ? it : -1;
    // the envelope's side file (checked by the codec), or an older fig4/fig5 `runFile`
    const runFile = typeof doc?.runFile === "string" && /^[\w.-]+$/.test(doc.runFile)
      ? doc.runFile
      : undefined;
    return { progress, side: checkpointSideFile(doc, "checkpoint.json")?.name ?? runFile };
  } catch {
    return { progress: -1 };
  }
}

/**
 * How far a checkpoint.json's run is.
 * @param text The checkpoint's text.
 * @returns Its iteration or frames, -1 when it cannot be read.
 */
export function checkpointProgress(text: string | null | undefined): number {
  return readHeader(text).progress;
}

/**
 * Reads a run folder's checkpoint with its side files.
 * @param dir The run folder.
 * @returns The copy, or undefined when there is no complete checkpoint (none yet, or its side
 *   file is missing: being replaced; the next poll reads it).
 */
export async function readCheckpointCopy(dir: string): Promise<CheckpointCopy | undefined> {
  const text = await Deno.readTextFile(checkpointPath(dir)).catch(() => undefined);
  const { progress, side } = readHeader(text);
  if (text === undefined || progress < 0) return undefined;
  const files: Record<string, Uint8Array> = {
    "checkpoint.json": new TextEncoder().encode(text),
  };
  if (side !== undefined) {
    const bin = await Deno.readFile(`${dir}/${side}`).catch(() => undefined);
    if (bin === undefined) return undefined;
    files[side] = bin;
  }
  const results = await Deno.readFile(`${dir}/results.json`).catch(() => undefined);
  if (results !== undefined) files["results.json"] = results;
  // the checkpoint must not have moved on while its files were read
  const again = await Deno.readTextFile(checkpointPath(dir)).catch(() => undefined);
  if (again !== text) return undefined;
  let bytes = 0;
  for (const f of Object.values(files)) bytes += f.length;
  return { progress, files, bytes };
}

/**
 * The copy as the text stored in Redis.
 * @param copy The copy.
 * @returns JSON with the files in base64.
 */
export function encodeCheckpointCopy(copy: CheckpointCopy): string {
  const files: Record<string, string> = {};
  for (const [name, data] of Object.entries(copy.files)) {
    files[name] = Buffer.from(data).toString("base64");
  }
  return JSON.stringify({ version: 2, progress: copy.progress, files });
}

/**
 * Reads the text stored in Redis (this format, or an older copy that was checkpoint.json alone).
 * @param text The stored text.
 * @returns The copy, or undefined when it cannot be read.
 */
export function decodeCheckpointCopy(text: string | null | undefined): CheckpointCopy | undefined {
  if (!text) return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined;
  }
  const d = doc as { version?: number; progress?: number; files?: Record<string, unknown> };
  if (d?.version !== 2) {
    const progress = checkpointProgress(text); // an older copy: checkpoint.json itself
    return progress < 0 ? undefined : {
      progress,
      files: { "checkpoint.json": new TextEncoder().encode(text) },
      bytes: text.length,
    };
  }
  if (typeof d.progress !== "number" || d.files === null || typeof d.files !== "object") {
    return undefined;
  }
  const files: Record<string, Uint8Array> = {};
  let bytes = 0;
  for (const [name, b64] of Object.entries(d.files)) {
    if (!/^[\w.-]+$/.test(name) || typeof b64 !== "string") return undefined;
    files[name] = new Uint8Array(Buffer.from(b64, "base64"));
    bytes += files[name].length;
  }
  if (!("checkpoint.json" in files)) return undefined;
  return { progress: d.progress, files, bytes };
}

/**
 * Writes a copy's files into a run folder (each atomically, checkpoint.json last so that a
 * folder never names a side file it lacks).
 * @param dir The run folder (created when missing).
 * @param copy The copy.
 */
export async function restoreCheckpointCopy(dir: string, copy: CheckpointCopy): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  const names = Object.keys(copy.files).sort((a, b) =>
    (a === "checkpoint.json" ? 1 : 0) - (b === "checkpoint.json" ? 1 : 0)
  );
  for (const name of names) await writeFileAtomic(`${dir}/${name}`, copy.files[name]);
}

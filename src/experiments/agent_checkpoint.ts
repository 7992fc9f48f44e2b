/**
 * The agent's checkpoint files (Deno only): checkpoint.json holds the parameters, Adam, draws and
 * counters as JSON (as before), and the episodes' state for an exact resume (`run`: networks,
 * learners' traces, environment) as JSON with references into a binary side file
 * checkpoint-<frames>.bin (typed arrays byte for byte: f64 stays f64, f32 traces stay f32). Both
 * are written to a temporary file and renamed into place, the binary file first under a new name,
 * so an interrupted write leaves the previous checkpoint whole; older binary files are removed
 * after the JSON points to the new one.
 *
 * @module
 */
import type { AgentTrainerState } from "../agent/agent_trainer.ts";
import { decodeState, encodeState } from "../util/state_codec.ts";

/** What checkpoint.json holds besides the trainer's state. */
export interface AgentCheckpointExtra {
  /** Finished episodes and updates in results.json when the checkpoint was written. */
  results?: { episodes: number; updates: number };
  /** The run's flags (all of them, defaults filled in): what `--resume` continues with. */
  flags?: Record<string, number | string | boolean>;
  /** The task that wrote it ("fig4" or "fig5"). */
  task?: string;
  /** Resumes that changed a recorded flag: the frame count and each flag's [before, now]. */
  resumes?: { frames: number; changed: Record<string, [unknown, unknown]> }[];
}

/** A checkpoint as read back. */
export type AgentCheckpoint = AgentTrainerState & AgentCheckpointExtra;

async function writeAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${path}.tmp`;
  if (typeof data === "string") await Deno.writeTextFile(tmp, data);
  else await Deno.writeFile(tmp, data);
  await Deno.rename(tmp, path);
}

/**
 * Writes a checkpoint into a folder (checkpoint.json and, with `run`, a binary side file).
 * @param dir The run folder.
 * @param checkpoint The trainer's state and the extra fields.
 * @returns The bytes written (JSON and binary).
 */
export async function writeAgentCheckpoint(
  dir: string,
  checkpoint: AgentCheckpoint,
): Promise<{ jsonBytes: number; binaryBytes: number }> {
  const { run, ...rest } = checkpoint;
  let doc: Record<string, unknown> = rest, binaryBytes = 0, keep: string | undefined;
  if (run) {
    const { json, binary } = encodeState(run);
    keep = `checkpoint-${checkpoint.frames}.bin`;
    await writeAtomic(`${dir}/${keep}`, binary);
    doc = { ...rest, run: json, runFile: keep, runBytes: binary.length };
    binaryBytes = binary.length;
  }
  const text = JSON.stringify(doc);
  await writeAtomic(`${dir}/checkpoint.json`, text);
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && /^checkpoint-\d+\.bin(\.tmp)?$/.test(e.name) && e.name !== keep) {
      await Deno.remove(`${dir}/${e.name}`).catch(() => {});
    }
  }
  return { jsonBytes: text.length, binaryBytes };
}

/**
 * Reads a checkpoint written by {@linkcode writeAgentCheckpoint} (or an older checkpoint.json
 * without `run`).
 * @param dir The run folder.
 * @returns The state, `run` decoded when there is one.
 * @throws {Error} When a file is missing or does not match, naming it.
 */
export async function readAgentCheckpoint(dir: string): Promise<AgentCheckpoint> {
  const doc = JSON.parse(await Deno.readTextFile(`${dir}/checkpoint.json`));
  if (doc.run === undefined) return doc;
  const path = `${dir}/${doc.runFile}`;
  let binary: Uint8Array;
  try {
    binary = await Deno.readFile(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    // e.g. a sweep's checkpoint.json copied to another machine without its binary: the
    // parameters, optimizer and draws still resume, the episodes restart
    const { runFile: _f, runBytes: _b, run: _r, ...rest } = doc;
    return rest as AgentCheckpoint;
  }
  if (binary.length !== doc.runBytes) {
    throw new Error(
      `Cannot read the checkpoint: ${path} holds ${binary.length} bytes, checkpoint.json expects ${doc.runBytes}`,
    );
  }
  const { runFile: _f, runBytes: _b, ...state } = doc;
  return { ...state, run: decodeState(doc.run, binary) } as AgentCheckpoint;
}

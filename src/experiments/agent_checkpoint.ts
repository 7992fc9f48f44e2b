/**
 * The agent's checkpoint (Deno only), in the one checkpoint format of every learner
 * (`../train/checkpoint_codec.ts`, written and read by `../train/checkpoint_file.ts`):
 * checkpoint.json holds the envelope (kind: the task, flags, resume history) and the trainer's
 * state (parameters, Adam, draws, counters, results counts) as JSON; the episodes' state for an
 * exact resume (`run`: networks, learners' traces, environment) is typed arrays byte for byte in
 * the side file checkpoint-<frames>.bin (f64 stays f64, f32 traces stay f32). Checkpoints of the
 * earlier agent format (the trainer's state at the top of checkpoint.json, `run` with
 * `runFile`/`runBytes`) still read; a missing side file keeps the parameters, optimizer and draws
 * (the episodes restart).
 *
 * @module
 */
import type { AgentTrainerState } from "../agent/agent_trainer.ts";
import { decodeState } from "../util/state_codec.ts";
import { readCheckpointFile, writeCheckpointFile } from "../train/checkpoint_file.ts";

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

/**
 * Writes a checkpoint into a folder (checkpoint.json and, with `run`, its side file).
 * @param dir The run folder.
 * @param checkpoint The trainer's state and the extra fields.
 * @returns The bytes written (JSON and binary).
 */
export function writeAgentCheckpoint(
  dir: string,
  checkpoint: AgentCheckpoint,
): Promise<{ jsonBytes: number; binaryBytes: number }> {
  const { flags, task, resumes, ...state } = checkpoint;
  return writeCheckpointFile(`${dir}/checkpoint.json`, {
    version: 1,
    format: "agent",
    ...(task !== undefined ? { kind: task } : {}),
    flags: flags ?? {},
    history: resumes ?? [],
    state,
  }, { tag: checkpoint.frames, sideFileBytes: state.run ? 0 : Infinity });
}

/**
 * Reads a checkpoint written by {@linkcode writeAgentCheckpoint}, or by the earlier agent format.
 * @param dir The run folder.
 * @returns The state, `run` decoded when there is one.
 * @throws {SyntaxError} When checkpoint.json is not JSON.
 * @throws {Error} When a file is missing or does not match, naming it.
 */
export async function readAgentCheckpoint(dir: string): Promise<AgentCheckpoint> {
  const doc = await readCheckpointFile(`${dir}/checkpoint.json`, {
    legacy: legacyAgentCheckpoint,
    // e.g. a sweep's checkpoint.json copied to another machine without its binary: the
    // parameters, optimizer and draws still resume, the episodes restart
    withoutSideFile: (json) => {
      const { run: _r, ...rest } = json.state as Record<string, unknown>;
      return rest;
    },
  });
  if (doc.legacy) return doc.checkpoint;
  const state = doc.state as AgentCheckpoint;
  if (typeof state !== "object" || state === null) {
    throw new Error(`Cannot resume: ${dir}/checkpoint.json has no state`);
  }
  return {
    ...state,
    ...(typeof doc.kind === "string" ? { task: doc.kind } : {}),
    flags: doc.flags,
    ...(Array.isArray(doc.history) && doc.history.length > 0 ? { resumes: doc.history } : {}),
  };
}

/** The earlier format: the trainer's state at the top, `run` referring into `runFile`. */
async function legacyAgentCheckpoint(
  doc: Record<string, unknown>,
  dir: string,
): Promise<{ legacy: true; checkpoint: AgentCheckpoint } | undefined> {
  if (doc.frames === undefined && doc.params === undefined) return undefined;
  if (doc.run === undefined) return { legacy: true, checkpoint: doc as unknown as AgentCheckpoint };
  const path = `${dir}/${doc.runFile}`;
  const { runFile: _f, runBytes: _b, ...state } = doc;
  let binary: Uint8Array;
  try {
    binary = await Deno.readFile(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    const { run: _r, ...rest } = state;
    return { legacy: true, checkpoint: rest as unknown as AgentCheckpoint };
  }
  if (binary.length !== doc.runBytes) {
    throw new Error(
      `Cannot read the checkpoint: ${path} holds ${binary.length} bytes, checkpoint.json expects ${doc.runBytes}`,
    );
  }
  return {
    legacy: true,
    checkpoint: { ...state, run: decodeState(doc.run, binary) } as AgentCheckpoint,
  };
}

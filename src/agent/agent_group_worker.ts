/**
 * The trainer's side of a group of episodes: in this thread ({@linkcode AgentGroup}) or in a Web
 * Worker (./agent_worker.ts) behind the same asynchronous interface.
 *
 * @module
 */
import { AgentGroup, type AgentGroupInit, type AgentGroupState } from "./agent_group.ts";
import type { AgentActReply, AgentActRequest } from "./agent_group.ts";
import type { AgentWorkerRequest } from "./agent_worker.ts";
import type { RngState } from "../util/rng.ts";

/** A group of episodes, wherever it runs. */
export interface AgentGroupHandle {
  /** One agent step (see {@linkcode AgentActRequest}). */
  act(req: AgentActRequest): Promise<AgentActReply>;
  /** The group's action draws. */
  rngState(): Promise<RngState>;
  /** Restores the action draws. */
  restoreRng(state: RngState): Promise<void>;
  /** The group's complete state (see {@linkcode AgentGroup.saveState}). */
  saveState(): Promise<AgentGroupState>;
  /** Restores the group's complete state. */
  loadState(state: AgentGroupState): Promise<void>;
  /** Frees the group (ends its worker). */
  close(): void;
}

/**
 * A group in this thread.
 * @param init The group.
 * @returns Its handle.
 */
export async function localGroup(init: AgentGroupInit): Promise<AgentGroupHandle> {
  const g = await AgentGroup.create(init);
  return {
    act: (req) => Promise.resolve(g.act(req)),
    rngState: () => Promise.resolve(g.rngState()),
    restoreRng: (s) => Promise.resolve(g.restoreRng(s)),
    saveState: () => Promise.resolve(g.saveState()),
    loadState: (s) => Promise.resolve(g.loadState(s)),
    close: () => g.dispose(),
  };
}

/**
 * A group in a new Web Worker.
 * @param init The group.
 * @returns Its handle.
 * @throws {Error} If the worker fails to start or to build the group.
 */
export async function workerGroup(init: AgentGroupInit): Promise<AgentGroupHandle> {
  const worker = new Worker(new URL("./agent_worker.ts", import.meta.url), { type: "module" });
  let next = 0;
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  worker.onmessage = (event: MessageEvent) => {
    const { id, error, ...rest } = event.data as { id: number; error?: string };
    const w = waiting.get(id);
    if (!w) return;
    waiting.delete(id);
    if (error) w.reject(new Error(`agent worker: ${error}`));
    else w.resolve(rest);
  };
  worker.onerror = (event: ErrorEvent) => {
    event.preventDefault();
    const e = new Error(`agent worker failed: ${event.message}`);
    for (const w of waiting.values()) w.reject(e);
    waiting.clear();
  };
  const call = (msg: Omit<AgentWorkerRequest, "id">): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const id = next++;
      waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ id, ...msg });
    });
  try {
    await call({ type: "init", init });
  } catch (e) {
    worker.terminate();
    throw e;
  }
  return {
    act: async (req) => (await call({ type: "act", act: req })).reply as AgentActReply,
    rngState: async () => (await call({ type: "rng" })).rng as RngState,
    restoreRng: async (rng) => void await call({ type: "restoreRng", rng }),
    saveState: async () => (await call({ type: "save" })).state as AgentGroupState,
    loadState: async (state) => void await call({ type: "load", state }),
    close: () => worker.terminate(),
  };
}

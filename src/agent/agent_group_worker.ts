/**
 * The trainer's side of a group of episodes: in this thread ({@linkcode AgentGroup}) or in a Web
 * Worker (./agent_worker.ts) behind the same asynchronous interface.
 *
 * @module
 */
import { AgentGroup, type AgentGroupInit, type AgentGroupState } from "./agent_group.ts";
import type { AgentActReply, AgentActRequest } from "./agent_group.ts";
import type { AgentWorkerProtocol } from "./agent_worker.ts";
import { RpcClient } from "../util/worker_rpc.ts";
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
  const rpc = new RpcClient<AgentWorkerProtocol>(worker, {
    name: "agent worker",
    errorPrefix: "agent worker: ",
    disposed: "agent worker: the group was closed",
  });
  try {
    await rpc.call("init", init);
  } catch (e) {
    rpc.terminate();
    throw e;
  }
  return {
    act: (req) => rpc.call("act", req),
    rngState: () => rpc.call("rng", null),
    restoreRng: (rng) => rpc.call("restoreRng", rng),
    saveState: () => rpc.call("save", null),
    loadState: (state) => rpc.call("load", state),
    close: () => rpc.terminate(),
  };
}

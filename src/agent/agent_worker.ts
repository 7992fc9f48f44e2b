// Runs in a Web Worker (Deno or a browser): no Deno API.
/**
 * A worker holding one {@linkcode AgentGroup} (its episodes' network and learner on its own
 * WebAssembly core instance), stepped by the trainer through {@linkcode AgentWorkerProtocol} over
 * the one worker protocol (`../util/worker_rpc.ts`).
 *
 * @module
 */
import { AgentGroup, type AgentGroupInit, type AgentGroupState } from "./agent_group.ts";
import type { AgentActReply, AgentActRequest } from "./agent_group.ts";
import type { RngState } from "../util/rng.ts";
import { type RpcScope, serveRpc, transferring } from "../util/worker_rpc.ts";

/** The agent workers' protocol: each method's request and reply. */
export type AgentWorkerProtocol = {
  /** Builds the group. */
  init: { request: AgentGroupInit; reply: void };
  /** One agent step (the gradient's buffers move back). */
  act: { request: AgentActRequest; reply: AgentActReply };
  /** The group's action draws. */
  rng: { request: null; reply: RngState };
  /** Restores the action draws. */
  restoreRng: { request: RngState; reply: void };
  /** The group's complete state. */
  save: { request: null; reply: AgentGroupState };
  /** Restores the group's complete state. */
  load: { request: AgentGroupState; reply: void };
};

let group: AgentGroup | undefined;

function need(): AgentGroup {
  if (!group) throw new Error("the agent worker was not initialised");
  return group;
}

serveRpc<AgentWorkerProtocol>(globalThis as unknown as RpcScope, {
  init: async (init) => {
    group = await AgentGroup.create(init);
  },
  act: (req) => {
    const reply = need().act(req);
    const transfer = reply.batch
      ? Object.values(reply.batch.grads).map((g) => g.buffer as ArrayBuffer)
      : [];
    return transferring(reply, transfer);
  },
  rng: () => need().rngState(),
  restoreRng: (rng) => need().restoreRng(rng),
  save: () => need().saveState(),
  load: (state) => need().loadState(state),
});

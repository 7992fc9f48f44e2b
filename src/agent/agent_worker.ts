// Runs in a Web Worker (Deno or a browser): no Deno API.
/**
 * A worker holding one {@linkcode AgentGroup} (its episodes' network and learner on its own
 * WebAssembly core instance), stepped by the trainer's messages (plain data, structured clone).
 *
 * @module
 */
import { AgentGroup, type AgentGroupInit, type AgentGroupState } from "./agent_group.ts";
import type { AgentActRequest } from "./agent_group.ts";

/** A message to the worker. */
export interface AgentWorkerRequest {
  /** Matches the reply. */
  id: number;
  /** What to do. */
  type: "init" | "act" | "rng" | "restoreRng" | "save" | "load";
  /** For "init". */
  init?: AgentGroupInit;
  /** For "act". */
  act?: AgentActRequest;
  /** For "restoreRng". */
  rng?: unknown;
  /** For "load". */
  state?: AgentGroupState;
}

interface WorkerScope {
  onmessage: ((event: MessageEvent<AgentWorkerRequest>) => void) | null;
  postMessage(message: unknown, transfer?: Transferable[]): void;
}

const scope = globalThis as unknown as WorkerScope;
let group: AgentGroup | undefined;

scope.onmessage = async (event) => {
  const msg = event.data;
  try {
    if (msg.type === "init") {
      group = await AgentGroup.create(msg.init!);
      scope.postMessage({ id: msg.id });
      return;
    }
    if (!group) throw new Error("the agent worker was not initialised");
    if (msg.type === "act") {
      const reply = group.act(msg.act!);
      const transfer = reply.batch
        ? Object.values(reply.batch.grads).map((g) => g.buffer as ArrayBuffer)
        : [];
      scope.postMessage({ id: msg.id, reply }, transfer);
    } else if (msg.type === "rng") {
      scope.postMessage({ id: msg.id, rng: group.rngState() });
    } else if (msg.type === "restoreRng") {
      group.restoreRng(msg.rng as Parameters<AgentGroup["restoreRng"]>[0]);
      scope.postMessage({ id: msg.id });
    } else if (msg.type === "save") {
      scope.postMessage({ id: msg.id, state: group.saveState() });
    } else if (msg.type === "load") {
      group.loadState(msg.state!);
      scope.postMessage({ id: msg.id });
    } else throw new Error(`unknown message type ${msg.type}`);
  } catch (e) {
    scope.postMessage({ id: msg.id, error: (e as Error)?.message ?? String(e) });
  }
};

// Runs in a Web Worker (Deno or a browser): no Deno API.
/**
 * A gradient worker: holds one composed network on its own instance of the WebAssembly core and
 * computes the two phases of a gradient (or an evaluation) for its part of a batch, on request
 * of {@linkcode ParallelNetwork}. Messages are plain data (structured clone).
 *
 * @module
 */
import { WasmNetwork } from "./wasm_network.ts";
import type { NetworkSpec } from "../../net/network.ts";
import type { NetworkParams } from "../../net/params.ts";
import type { Precision } from "../backend.ts";
import type { WorkerReply, WorkerRequest } from "./parallel_network.ts";

interface WorkerScope {
  onmessage: ((event: MessageEvent<WorkerRequest>) => void) | null;
  postMessage(message: WorkerReply, transfer?: Transferable[]): void;
}

const scope = globalThis as unknown as WorkerScope;
let network: WasmNetwork | undefined;

scope.onmessage = async (event) => {
  const msg = event.data;
  try {
    switch (msg.type) {
      case "init": {
        const init = msg as { spec: NetworkSpec; params: NetworkParams; precision: Precision };
        network = await WasmNetwork.create(init.spec, init.params, { precision: init.precision });
        scope.postMessage({ id: msg.id });
        return;
      }
      case "params":
        need().setParams(msg.params!);
        scope.postMessage({ id: msg.id });
        return;
      case "begin": {
        const r = need().beginGradients(msg.batch!, msg.objective!, {
          normalizers: msg.normalizers,
          stepSums: msg.stepSums,
          outputs: msg.outputs,
        });
        if (msg.outputs) need().cancelGradients();
        // The input buffer goes back to be filled with the next batch.
        const inputs = msg.batch!.inputs.buffer as ArrayBuffer;
        scope.postMessage({ id: msg.id, ...r, inputs }, [inputs]);
        return;
      }
      case "finish": {
        const grads = need().finishGradients(msg.signals, msg.options!);
        const buffers = grads.layers.flatMap((l) =>
          [l.forward, l.backward].flatMap((p) =>
            p ? [p.wIn.data.buffer as ArrayBuffer, p.wRec.data.buffer as ArrayBuffer] : []
          )
        );
        scope.postMessage({ id: msg.id, grads }, buffers);
        return;
      }
    }
  } catch (e) {
    const err = e as Error;
    scope.postMessage({
      id: msg.id,
      error: { name: err?.name ?? "Error", message: err?.message ?? String(e) },
    });
  }
};

function need(): WasmNetwork {
  if (!network) throw new Error("Cannot compute: the worker has no network yet");
  return network;
}

// Runs in a Web Worker (Deno or a browser): no Deno API.
/**
 * A gradient worker: holds one composed network on its own instance of the WebAssembly core and
 * computes the two phases of a gradient (or an evaluation) for its part of a batch, on request
 * of {@linkcode ParallelNetwork}. It serves {@linkcode GradientProtocol} through the one worker
 * protocol (`../../util/worker_rpc.ts`).
 *
 * @module
 */
import { WasmNetwork } from "./wasm_network.ts";
import type { GradientProtocol } from "./parallel_network.ts";
import { type RpcScope, serveRpc, transferring } from "../../util/worker_rpc.ts";

let network: WasmNetwork | undefined;

function need(): WasmNetwork {
  if (!network) throw new Error("Cannot compute: the worker has no network yet");
  return network;
}

serveRpc<GradientProtocol>(globalThis as unknown as RpcScope, {
  init: async ({ spec, params, precision }) => {
    network = await WasmNetwork.create(spec, params, { precision });
  },
  params: (params) => need().setParams(params),
  begin: (req) => {
    const r = need().beginGradients(req.batch, req.objective, {
      normalizers: req.normalizers,
      stepSums: req.stepSums,
      outputs: req.outputs,
    });
    if (req.outputs) need().cancelGradients();
    // The input buffer goes back to be filled with the next batch.
    const inputs = req.batch.inputs.buffer as ArrayBuffer;
    return transferring({ ...r, inputs }, [inputs]);
  },
  finish: ({ signals, options }) => {
    const grads = need().finishGradients(signals, options);
    const buffers = grads.layers.flatMap((l) =>
      [l.forward, l.backward].flatMap((p) =>
        p ? [p.wIn.data.buffer as ArrayBuffer, p.wRec.data.buffer as ArrayBuffer] : []
      )
    );
    return transferring(grads, buffers);
  },
});

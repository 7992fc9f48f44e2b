// Runs in a Web Worker: the worker of src/util/worker_rpc_test.ts.
/**
 * A small protocol served by {@linkcode serveRpc}: sums, a buffer moved back, errors of each kind
 * and a worker that fails outright.
 *
 * @module
 */
import { type RpcScope, serveRpc, transferring } from "../src/util/worker_rpc.ts";

/** The protocol of this worker. */
export type TestProtocol = {
  sum: { request: { values: Float64Array }; reply: number };
  double: { request: Float64Array; reply: Float64Array };
  fail: { request: "type" | "range" | "plain"; reply: never };
  crash: { request: null; reply: never };
  slow: { request: number; reply: number };
};

serveRpc<TestProtocol>(globalThis as unknown as RpcScope, {
  sum: ({ values }) => values.reduce((a, b) => a + b, 0),
  double: (xs) => {
    for (let i = 0; i < xs.length; i++) xs[i] *= 2;
    return transferring(xs, [xs.buffer as ArrayBuffer]);
  },
  fail: (kind) => {
    if (kind === "type") throw new TypeError("a bad type");
    if (kind === "range") throw new RangeError("out of range");
    throw new Error("plain failure");
  },
  crash: () => {
    setTimeout(() => {
      throw new Error("the worker fell over");
    }, 0);
    return new Promise<never>(() => {});
  },
  slow: (ms) => new Promise((resolve) => setTimeout(() => resolve(ms), ms)),
});

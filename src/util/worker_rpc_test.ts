import assert from "node:assert/strict";
import { RpcClient, type RpcProtocol, serveRpc, transferring } from "./worker_rpc.ts";
import type { TestProtocol } from "../../tests/_rpc_worker.ts";

const workerUrl = new URL("../../tests/_rpc_worker.ts", import.meta.url);

function startWorker(): RpcClient<TestProtocol> {
  const worker = new Worker(workerUrl, { type: "module" });
  return new RpcClient<TestProtocol>(worker, {
    name: "test worker",
    errorPrefix: "test worker: ",
    disposed: "test worker: disposed",
  });
}

Deno.test("worker_rpc: replies over a channel match the handlers' results, in any order", async () => {
  type P = { square: { request: number; reply: number }; wait: { request: number; reply: string } };
  const { port1, port2 } = new MessageChannel();
  serveRpc<P>(port2, {
    square: (x) => x * x,
    wait: (ms) => new Promise((r) => setTimeout(() => r(`after ${ms}`), ms)),
  });
  const client = new RpcClient<P>(port1, { name: "channel" });
  const slow = client.call("wait", 30);
  const squares = await Promise.all([1, 2, 3, -4.5].map((x) => client.call("square", x)));
  assert.deepEqual(squares, [1, 4, 9, 20.25]);
  assert.equal(await slow, "after 30");
  client.terminate();
  port2.close();
});

Deno.test("worker_rpc: a worker's sum equals the sum here; a moved buffer comes back doubled", async () => {
  const client = startWorker();
  try {
    const values = Float64Array.from({ length: 1000 }, (_, i) => Math.sin(i) / 3);
    const here = values.reduce((a, b) => a + b, 0);
    assert.equal(await client.call("sum", { values }), here);
    const xs = Float64Array.of(1.5, -2, 0.1);
    const doubled = await client.call("double", xs, [xs.buffer]);
    assert.equal(xs.length, 0, "the request's buffer moved to the worker");
    assert.deepEqual([...doubled], [3, -4, 0.2]);
  } finally {
    client.terminate();
  }
});

Deno.test("worker_rpc: a handler's error reaches the caller with its message and kind", async () => {
  const client = startWorker();
  try {
    await assert.rejects(client.call("fail", "type"), (e: Error) => {
      assert.ok(e instanceof TypeError);
      assert.equal(e.message, "test worker: a bad type");
      return true;
    });
    await assert.rejects(client.call("fail", "range"), (e: Error) => {
      assert.ok(e instanceof RangeError);
      assert.equal(e.message, "test worker: out of range");
      return true;
    });
    await assert.rejects(client.call("fail", "plain"), (e: Error) => {
      assert.equal(e.constructor, Error);
      assert.equal(e.message, "test worker: plain failure");
      return true;
    });
    // the worker still answers after its errors
    assert.equal(await client.call("sum", { values: Float64Array.of(2, 3) }), 5);
    // an unknown method is refused by name
    await assert.rejects(
      (client as unknown as RpcClient<RpcProtocol>).call("nope", null),
      /test worker: unknown method "nope" \(expected one of sum, double, fail, crash, slow\)/,
    );
  } finally {
    client.terminate();
  }
});

Deno.test("worker_rpc: a worker that fails outright rejects what is pending, naming the failure", async () => {
  const worker = new Worker(workerUrl, { type: "module" });
  const client = new RpcClient<TestProtocol>(worker, {
    name: "test worker",
    failure: (m) => `Cannot go on: a worker failed (${m})`,
  });
  try {
    const slow = client.call("slow", 10_000);
    await assert.rejects(client.call("crash", null), /Cannot go on: a worker failed \(.*fell over/);
    await assert.rejects(slow, /a worker failed/);
  } finally {
    client.terminate();
  }
});

Deno.test("worker_rpc: terminate ends the worker and rejects pending and later calls", async () => {
  const client = startWorker();
  const pending = client.call("slow", 10_000);
  client.terminate();
  await assert.rejects(pending, { message: "test worker: disposed" });
  await assert.rejects(client.call("sum", { values: Float64Array.of(1) }), {
    message: "test worker: disposed",
  });
  client.terminate(); // twice is fine
});

Deno.test("worker_rpc: transferring keeps the value and the list", () => {
  const buf = new ArrayBuffer(8);
  const t = transferring({ a: 1 }, [buf]);
  assert.deepEqual(t.value, { a: 1 });
  assert.equal(t.transfer[0], buf);
});

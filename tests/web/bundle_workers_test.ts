/**
 * The browser bundle's split gradients: `dist/eprop.js` (from `deno task build:web`) starts its
 * workers from `dist/gradient_worker.js` beside it and gives the single-core gradient. Runs with
 * `deno task test:web` (after build:web); registered only when given `-- --web`.
 */
import assert from "node:assert/strict";

if (Deno.args.includes("--web")) {
  Deno.test("bundle: ParallelNetwork from dist/eprop.js equals one core to 1e-12 (f64)", async () => {
    const lib = await import(new URL("../../dist/eprop.js", import.meta.url).href);
    const net = lib.resolveNetwork({
      nIn: 3,
      repeat: 2,
      layers: [{ neuron: { nRec: 8, thr: 0.3, beta: 0.05, nRef: 2 }, bidirectional: true }],
      heads: [{ nOut: 2, pool: "frame_mean", tauOut: 3, filter: "paper", bias: true }],
    });
    const params = lib.initNetworkParams(net, new lib.Rng(1));
    const rng = new lib.Rng(2);
    const batch = {
      batchSize: 5,
      frames: 12,
      lengths: Int32Array.of(12, 9, 12, 7, 10),
      inputs: new Float64Array(5 * 12 * 3).map(() => rng.normal()),
    };
    const objective = {
      losses: [{ type: "ce_frames", labels: new Int32Array(60).map(() => rng.int(2)) }],
      regularization: { c: 1, fTarget: 0.01 },
    };
    const parallel = await lib.ParallelNetwork.create(net, params, {
      workers: 2,
      precision: "f64",
    });
    const single = await lib.WasmNetwork.create(net, params, { precision: "f64" });
    try {
      for (const method of ["bptt", "eprop", "eq1"]) {
        const a = await parallel.gradients(batch, objective, { method });
        const b = single.gradients(batch, objective, { method });
        const la = lib.paramLeaves(a.grads), lb = lib.paramLeaves(b.grads);
        la.forEach((leaf: { path: string; data: Float64Array }, i: number) => {
          let diff = 0, scale = 0;
          leaf.data.forEach((v, k) => {
            diff = Math.max(diff, Math.abs(v - lb[i].data[k]));
            scale = Math.max(scale, Math.abs(lb[i].data[k]));
          });
          assert.ok(diff <= 1e-12 * Math.max(scale, 1e-300), `${method} ${leaf.path}: ${diff}`);
        });
      }
    } finally {
      parallel.dispose();
      single.dispose();
    }
  });
}

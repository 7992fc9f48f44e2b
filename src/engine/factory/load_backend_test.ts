import assert from "node:assert/strict";
import { createNetworkBackend } from "./load_backend.ts";
import { LstmNetwork } from "../wasm/lstm_network.ts";
import { WasmNetwork } from "../wasm/wasm_network.ts";
import { initLstmParams, lstmNetworkSpec } from "../../net/lstm_spec.ts";
import { type NetworkSpec, resolveNetwork } from "../../net/network.ts";
import { initNetworkParams, paramLeaves } from "../../net/params.ts";
import { fig2LstmNetwork } from "../../net/presets.ts";
import { networkParamsFromJson, networkParamsToJson } from "../../train/network_trainer.ts";
import { Rng } from "../../util/rng.ts";
import { LSTM_SPEC, lstmProblem } from "../../../tests/_engine_matrix_lstm.ts";

Deno.test("createNetworkBackend: a network of one lstm layer runs on the LSTM engine, as LstmSpec does, bit for bit", async () => {
  const { params, batch, objective } = lstmProblem(5);
  const viaSpec = await LstmNetwork.create(LSTM_SPEC, params, { precision: "f64" });
  const net = resolveNetwork(lstmNetworkSpec(LSTM_SPEC));
  const routed = await createNetworkBackend(net, params, { precision: "f64" });
  assert.ok(routed instanceof LstmNetwork);
  assert.equal(routed.name, "wasm");
  assert.equal(routed.net.layers[0].kind, "lstm");
  assert.deepEqual(routed.net.heads.map((h) => [h.nFeat, h.nOut]), [[8, 5]]);
  for (const method of ["bptt", "eprop"] as const) {
    const a = viaSpec.gradients(batch, objective, { method });
    const b = routed.gradients(batch, objective, { method });
    assert.equal(b.loss, a.loss, method);
    paramLeaves(a.grads).forEach((leaf, i) =>
      assert.deepEqual(paramLeaves(b.grads)[i].data, leaf.data, `${method} ${leaf.path}`)
    );
  }
  const outputs = viaSpec.evaluate(batch, objective).outputs;
  assert.deepEqual(routed.simulate(batch).outputs, outputs);
  assert.deepEqual(routed.simulate(batch).z, []);
  // a spec (not resolved) routes the same way
  const fromSpec = await createNetworkBackend(lstmNetworkSpec(LSTM_SPEC), params, {
    precision: "f64",
  });
  assert.equal(fromSpec.evaluate(batch, objective).loss, viaSpec.evaluate(batch, objective).loss);
  [viaSpec, routed, fromSpec].forEach((n) => n.dispose());
});

Deno.test("an LSTM checkpoint's parameters (written by LstmSpec's network) load into the Fig. 2 LSTM preset's network", async () => {
  const spec = { nIn: 4, nHidden: 3, nOut: 61, bidirectional: true };
  const rng = new Rng(2);
  const old = await LstmNetwork.create(spec, initLstmParams(spec, rng), {
    precision: "f64",
  });
  const saved = networkParamsFromJson(
    JSON.parse(JSON.stringify(networkParamsToJson(old.getParams()))),
  );
  const net = resolveNetwork(fig2LstmNetwork({ nIn: 4, nHidden: 3 }));
  // the preset draws the same initial parameters as LstmSpec's initialisation
  assert.deepEqual(initNetworkParams(net, new Rng(2)), old.getParams());
  const loaded = await createNetworkBackend(net, saved, { precision: "f64" });
  const B = 2, F = 3;
  const inputs = Float64Array.from({ length: B * F * 4 }, (_, i) => Math.sin(i));
  const labels = Int32Array.from({ length: B * F }, (_, i) => (7 * i) % 61);
  const batch = { batchSize: B, frames: F, inputs, lengths: Int32Array.from([3, 2]) };
  const objective = { losses: [{ type: "ce_frames" as const, labels }] };
  assert.equal(loaded.evaluate(batch, objective).loss, old.evaluate(batch, objective).loss);
  old.dispose(), loaded.dispose();
});

Deno.test("createNetworkBackend: an LSNN network still runs on WasmNetwork", async () => {
  const net = resolveNetwork({ nIn: 2, layers: [{ neuron: { nRec: 3 } }], heads: [{ nOut: 1 }] });
  const backend = await createNetworkBackend(net, initNetworkParams(net, new Rng(0)));
  assert.ok(backend instanceof WasmNetwork);
  backend.dispose();
});

Deno.test("createNetworkBackend refuses kinds an engine does not run, naming the engine and the kind", async () => {
  const lstm = lstmNetworkSpec(LSTM_SPEC);
  const lstmParams = initNetworkParams(resolveNetwork(lstm), new Rng(0));
  await assert.rejects(
    createNetworkBackend(lstm, lstmParams, { backend: "tfjs" }),
    /engine tfjs does not run layers\[0\]\.kind "lstm"/,
  );
  const mixed: NetworkSpec = {
    nIn: 3,
    layers: [{ neuron: { nRec: 4 } }, { kind: "lstm", nHidden: 2 }],
    heads: [{ nOut: 2, tauOut: 0, bias: true }],
  };
  await assert.rejects(
    createNetworkBackend(mixed, initNetworkParams(resolveNetwork(mixed), new Rng(0))),
    /engine wasm \(LSTM\): it runs one layer of kind "lstm", got layers of kinds \["lsnn", "lstm"\] \(mixed or stacked/,
  );
  const filtered: NetworkSpec = { ...lstm, heads: [{ nOut: 5, tauOut: 3, bias: true }] };
  await assert.rejects(
    createNetworkBackend(filtered, lstmParams),
    /heads\[0\] must be the LSTM's per-frame linear readout \(pool "none", tauOut 0, bias true\), got pool "none", tauOut 3/,
  );
  const conv: NetworkSpec = {
    nIn: 16,
    repeat: 2,
    layers: [{
      kind: "conv",
      conv: { height: 4, width: 4, layers: [{ filters: 2, kernel: 2, stride: 2 }] },
    }],
    heads: [{ nOut: 1, pool: "frame_mean" }],
  };
  for (const backend of ["wasm", "tfjs"] as const) {
    await assert.rejects(
      createNetworkBackend(conv, { layers: [], heads: [] }, { backend }),
      new RegExp(`engine ${backend}.*layers\\[0\\]\\.kind "conv" is not one it runs`),
    );
  }
  const last: NetworkSpec = {
    nIn: 2,
    repeat: 2,
    layers: [{ neuron: { nRec: 3 } }],
    heads: [{ nOut: 1, pool: "frame_last" }],
  };
  await assert.rejects(
    createNetworkBackend(last, initNetworkParams(resolveNetwork(last), new Rng(0))),
    /heads\[0\]\.pool "frame_last" is not one it computes/,
  );
});

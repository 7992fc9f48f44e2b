import assert from "node:assert/strict";
import {
  checkLayerKinds,
  layerKind,
  layerUnits,
  type LsnnLayerSpec,
  type NetworkSpec,
  resolveNetwork,
} from "./network.ts";
import { resolveSpikingConvSpec } from "./spiking_conv_spec.ts";
import { initNetworkParams, zeroNetworkParams } from "./params.ts";
import { Rng } from "../util/rng.ts";

/** Today's resolution, recorded before layer kinds (Float64Arrays as { f64: [...] }). */
const BEFORE = JSON.parse(
  await Deno.readTextFile(new URL("./testdata/network_resolved_before.json", import.meta.url)),
) as Record<string, { spec: NetworkSpec; resolved: unknown }>;

/** The recorded specs, with their Float64Arrays back. */
const revive = (spec: NetworkSpec): NetworkSpec =>
  JSON.parse(
    JSON.stringify(spec),
    (_k, v) => v && typeof v === "object" && Array.isArray(v.f64) ? Float64Array.from(v.f64) : v,
  );

const asJson = (x: unknown) =>
  JSON.parse(
    JSON.stringify(x, (_k, v) => v instanceof Float64Array ? { f64: Array.from(v) } : v),
  );

Deno.test("old specs (Fig. 3, Fig. S7, Fig. 2, mixed) resolve exactly as before layer kinds", () => {
  assert.deepEqual(Object.keys(BEFORE), ["fig3", "figS7", "fig2", "fig2ThreeLayers", "mixed"]);
  for (const [name, recorded] of Object.entries(BEFORE)) {
    const { resolved } = recorded, spec = revive(recorded.spec);
    const now = resolveNetwork(spec);
    assert.deepEqual(asJson(now), resolved, name);
    // and the resolved spec (what a checkpoint stores) resolves to itself
    assert.deepEqual(asJson(resolveNetwork(now.spec)), resolved, `${name} (resolved spec)`);
    // an explicit kind "lsnn" is the same as none, except in the spec it records
    const explicit = resolveNetwork({
      ...spec,
      layers: spec.layers.map((l) => ({ ...(l as LsnnLayerSpec), kind: "lsnn" as const })),
    });
    assert.deepEqual(asJson(explicit), resolved, `${name} with kind "lsnn"`);
    assert.ok(now.layers.every((l) => l.kind === undefined && layerKind(l) === "lsnn"));
  }
});

Deno.test("lstm layers: units per direction, widths and offsets; bidirectional doubles the features", () => {
  const one = resolveNetwork({
    nIn: 3,
    layers: [{ kind: "lstm", nHidden: 4 }],
    heads: [{ nOut: 2, tauOut: 0, bias: true }],
  });
  assert.equal(one.populations.length, 0);
  assert.equal(one.layers[0].kind, "lstm");
  assert.equal(one.layers[0].bidirectional, false);
  assert.deepEqual(layerUnits(one.layers[0]), [
    { layer: 0, direction: "forward", nIn: 3, size: 4, layerOffset: 0, offset: 0 },
  ]);
  assert.equal(one.heads[0].nFeat, 4);
  assert.equal(one.heads[0].kappa, 0);
  assert.equal(one.heads[0].c, 1);
  assert.deepEqual(one.spec.layers, [{ kind: "lstm", nHidden: 4, bidirectional: false }]);

  const bi = resolveNetwork({
    nIn: 3,
    layers: [{ kind: "lstm", nHidden: 4, bidirectional: true }, { neuron: { nRec: 5 } }],
    heads: [{ nOut: 2, from: "all" }, { name: "top", nOut: 1 }],
  });
  assert.deepEqual(
    layerUnits(bi.layers[0]).map((u) => [u.direction, u.nIn, u.size, u.layerOffset, u.offset]),
    [["forward", 3, 4, 0, 0], ["backward", 3, 4, 4, 4]],
  );
  assert.equal(bi.layers[0].width, 8);
  // the LSNN on top reads both directions; its population is the only one
  assert.equal(bi.populations.length, 1);
  assert.deepEqual([bi.populations[0].nIn, bi.populations[0].offset], [8, 8]);
  assert.deepEqual([bi.heads[0].nFeat, bi.heads[0].featureOffset], [13, 0]);
  assert.deepEqual([bi.heads[1].nFeat, bi.heads[1].featureOffset], [5, 8]);
  // lsnn bidirectional: the same wrapper, the units are its two populations
  const lsnn = resolveNetwork({
    nIn: 2,
    layers: [{ neuron: { nRec: 3 }, bidirectional: true }],
    heads: [{ nOut: 1 }],
  });
  assert.deepEqual(layerUnits(lsnn.layers[0]).map((u) => [u.direction, u.size, u.offset]), [
    ["forward", 3, 0],
    ["backward", 3, 3],
  ]);
});

Deno.test("conv layer: the stages resolve through spiking_conv_spec, repeat and dt from the network, pooled head features", () => {
  const conv = {
    height: 12,
    width: 12,
    channels: 2,
    layers: [
      { filters: 9, kernel: 4, stride: 2, bias: true },
      { filters: 5, kernel: 2, stride: 1 },
    ],
  };
  const net = resolveNetwork({
    nIn: 12 * 12 * 2,
    repeat: 3,
    layers: [{ kind: "conv", conv, pool: 2 }, { neuron: { nRec: 6 } }],
    heads: [{ nOut: 2, from: "all", pool: "frame_mean" }, { nOut: 1, pool: "frame_last" }],
  });
  const expected = resolveSpikingConvSpec({ ...conv, stepsPerFrame: 3, dtMs: 1 });
  assert.deepEqual(net.layers[0].conv, expected);
  assert.equal(net.layers[0].width, 4 * 4 * 5); // what the LSNN reads: the last stage's spikes
  assert.equal(net.populations[0].nIn, 80);
  assert.equal(net.layers[0].headWidth, 2 * 2 * 9); // 5x5 first stage pooled 2x2 -> 2x2x9
  assert.deepEqual([net.heads[0].nFeat, net.heads[0].featureOffset], [36 + 6, 0]);
  assert.deepEqual([net.heads[1].nFeat, net.heads[1].featureOffset], [6, 36]);
  assert.equal(net.heads[1].kappa, Math.exp(-1 / 20)); // frame_last filters per step
  assert.deepEqual(net.spec.layers[0], {
    kind: "conv",
    conv: {
      height: 12,
      width: 12,
      channels: 2,
      layers: [
        { filters: 9, kernel: 4, stride: 2, bias: true },
        { filters: 5, kernel: 2, stride: 1, bias: false },
      ],
      stepsPerFrame: 3,
      thr: 0.1,
      tauMMs: 1,
      dtMs: 1,
      dampening: 1,
      inputScaling: "one",
    },
    pool: 2,
  });
  assert.deepEqual(asJson(resolveNetwork(net.spec)), asJson(net));
  // without pool, heads read the last stage's spikes
  const plain = resolveNetwork({
    nIn: 288,
    repeat: 3,
    layers: [{ kind: "conv", conv }],
    heads: [{ nOut: 2, pool: "frame_mean" }],
  });
  assert.equal(plain.heads[0].nFeat, 80);
  // no network parameter tree for a conv layer
  assert.throws(
    () => initNetworkParams(net, new Rng(0)),
    /layers\[0\]\.kind "conv" has no network parameter tree/,
  );
  assert.throws(() => zeroNetworkParams(net), /layers\[0\]\.kind "conv"/);
});

Deno.test("layer kinds: clear errors naming the field", () => {
  const heads = [{ nOut: 1 }];
  const conv = { height: 4, width: 4, layers: [{ filters: 2, kernel: 2, stride: 2 }] };
  const cases: [unknown, RegExp][] = [
    [
      { nIn: 2, layers: [{ neuron: { nRec: 2 } }, { kind: "gru", nHidden: 2 }], heads },
      /layers\[1\]\.kind must be one of "lsnn", "lstm", "conv", got "gru"/,
    ],
    [{ nIn: 2, layers: [{ kind: "lstm" }], heads }, /layers\[0\]\.nHidden must be/],
    [{ nIn: 2, layers: [{ kind: "lstm", nHidden: 1.5 }], heads }, /layers\[0\]\.nHidden/],
    [
      { nIn: 2, layers: [{ kind: "lstm", nHidden: 2, bidirectional: "yes" }], heads },
      /layers\[0\]\.bidirectional must be a boolean/,
    ],
    [{ nIn: 2, layers: [{ kind: "lsnn" }], heads }, /layers\[0\]\.neuron must be an object/],
    [{ nIn: 2, layers: [null], heads }, /layers\[0\] must be an object, got null/],
    [
      { nIn: 16, layers: [{ kind: "conv", conv, bidirectional: true }], heads },
      /layers\[0\]\.bidirectional applies to recurrent layers \(lsnn, lstm\); a conv layer .* cannot be bidirectional/,
    ],
    [
      { nIn: 16, layers: [{ neuron: { nRec: 16 } }, { kind: "conv", conv }], heads },
      /layers\[1\]\.kind "conv" must be layer 0/,
    ],
    [{ nIn: 16, layers: [{ kind: "conv" }], heads }, /layers\[0\]\.conv must be an object/],
    [
      { nIn: 15, layers: [{ kind: "conv", conv }], heads },
      /layers\[0\]\.conv reads frames of 4x4x1 = 16 values, but nIn is 15/,
    ],
    [
      {
        nIn: 16,
        repeat: 2,
        layers: [{ kind: "conv", conv: { ...conv, stepsPerFrame: 5 } }],
        heads: [{ nOut: 1, pool: "frame_mean" }],
      },
      /layers\[0\]\.conv\.stepsPerFrame must equal the network's repeat 2, got 5/,
    ],
    [
      {
        nIn: 16,
        layers: [{
          kind: "conv",
          conv: { ...conv, layers: [{ filters: 2, kernel: 9, stride: 1 }] },
        }],
        heads,
      },
      /Cannot build network: layers\[0\]\.conv\.layers\[0\]\.kernel must be <= 4/,
    ],
    [
      { nIn: 16, layers: [{ kind: "conv", conv, pool: 3 }], heads },
      /layers\[0\]\.pool must be/,
    ],
    [
      {
        nIn: 16,
        layers: [{ kind: "conv", conv, pool: 1, headPools: [{ layer: 0, kernel: 1, stride: 1 }] }],
        heads,
      },
      /layers\[0\] takes headPools or pool, not both/,
    ],
    [
      {
        nIn: 16,
        layers: [{ kind: "conv", conv, headPools: [{ layer: 1, kernel: 1, stride: 1 }] }],
        heads,
      },
      /layers\[0\]\.headPools\[0\]\.layer must be <= 0/,
    ],
    [
      {
        nIn: 16,
        layers: [{ kind: "conv", conv, headPools: [{ layer: 0, kernel: 3, stride: 1 }] }],
        heads,
      },
      /layers\[0\]\.headPools\[0\]\.kernel must be <= 2/,
    ],
    [
      { nIn: 2, layers: [{ neuron: { nRec: 2 } }], heads: [{ nOut: 1, tauOut: -1 }] },
      /heads\[0\]\.tauOut/,
    ],
    [
      { nIn: 2, layers: [{ neuron: { nRec: 2 } }], heads: [{ nOut: 1, pool: "max" }] },
      /heads\[0\]\.pool must be one of "none", "frame_mean", "frame_last"/,
    ],
  ];
  for (const [spec, message] of cases) {
    assert.throws(() => resolveNetwork(spec as NetworkSpec), message, JSON.stringify(spec));
  }
});

Deno.test("checkLayerKinds names the engine, the layer and its kind (and a head pooling)", () => {
  const lstm = resolveNetwork({
    nIn: 2,
    layers: [{ kind: "lstm", nHidden: 3 }],
    heads: [{ nOut: 1 }],
  });
  assert.throws(
    () => checkLayerKinds(lstm, "tfjs", ["lsnn"]),
    /engine tfjs: layers\[0\]\.kind "lstm" is not one it runs \(it runs "lsnn"; the LSTM runs on the wasm engine/,
  );
  const lsnn = resolveNetwork({
    nIn: 2,
    repeat: 2,
    layers: [{ neuron: { nRec: 3 } }],
    heads: [{ nOut: 1, pool: "frame_last" }],
  });
  assert.throws(
    () => checkLayerKinds(lsnn, "wasm", ["lsnn"]),
    /engine wasm: heads\[0\]\.pool "frame_last" is not one it computes/,
  );
  checkLayerKinds(lsnn, "anything", ["lsnn"], ["frame_last"]);
});

Deno.test("initNetworkParams of an lstm layer: the LSTM's initialisation and shapes; zero tree alike", () => {
  const net = resolveNetwork({
    nIn: 3,
    layers: [{ kind: "lstm", nHidden: 4, bidirectional: true }],
    heads: [{ nOut: 2, tauOut: 0, bias: true }],
  });
  const p = initNetworkParams(net, new Rng(1));
  for (const d of ["forward", "backward"] as const) {
    const pp = p.layers[0][d]!;
    assert.deepEqual([pp.wIn.rows, pp.wIn.cols, pp.wRec.rows, pp.wRec.cols], [3, 16, 4, 16]);
    assert.deepEqual(Array.from(pp.bias!), [0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert.ok(pp.wIn.data.every((v) => Math.abs(v) <= 0.5) && pp.wIn.data.some((v) => v !== 0));
  }
  const z = zeroNetworkParams(net);
  assert.equal(z.layers[0].backward!.bias!.length, 16);
  assert.deepEqual([z.heads[0].wOut.rows, z.heads[0].bOut!.length], [8, 2]);
});

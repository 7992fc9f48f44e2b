import assert from "node:assert/strict";
import {
  agentNetworkSpec,
  fig2LsnnNetwork,
  fig2LstmNetwork,
  fig3NetworkSpec,
  figS7NetworkSpec,
} from "./presets.ts";
import { type NetworkSpec, resolveNetwork } from "./network.ts";
import { resolveAgentSpec } from "./agent_spec.ts";
import { lstmSpecOf } from "./lstm_spec.ts";
import { agentParamSizes } from "./agent_params.ts";

const BEFORE = JSON.parse(
  await Deno.readTextFile(new URL("./testdata/network_resolved_before.json", import.meta.url)),
) as Record<string, { resolved: unknown }>;
const asJson = (x: unknown) =>
  JSON.parse(
    JSON.stringify(x, (_k, v) => v instanceof Float64Array ? { f64: Array.from(v) } : v),
  );

Deno.test("presets: Fig. 3, Fig. S7 and Fig. 2 LSNN resolve as the networks the commands built before", () => {
  assert.deepEqual(asJson(resolveNetwork(fig3NetworkSpec())), BEFORE.fig3.resolved);
  assert.deepEqual(asJson(resolveNetwork(figS7NetworkSpec())), BEFORE.figS7.resolved);
  assert.deepEqual(asJson(resolveNetwork(fig2LsnnNetwork())), BEFORE.fig2.resolved);
  assert.deepEqual(
    asJson(resolveNetwork(fig2LsnnNetwork({ nLayers: 3, nIn: 39 }))),
    BEFORE.fig2ThreeLayers.resolved,
  );
});

Deno.test("presets: the Fig. 2 LSTM is a bidirectional 200-unit LSTM with 61 unfiltered outputs", () => {
  const net = resolveNetwork(fig2LstmNetwork());
  assert.deepEqual(lstmSpecOf(net), { nIn: 123, nHidden: 200, nOut: 61, bidirectional: true });
  assert.equal(net.heads[0].name, "phones");
  assert.equal(net.heads[0].nFeat, 400);
});

Deno.test("agentNetworkSpec describes the shapes of resolveAgentSpec (paper's and a small agent)", () => {
  for (
    const a of [
      resolveAgentSpec(),
      resolveAgentSpec({ frameSize: 36, nLif: 7, nAlif: 5, numActions: 3, pool: 2, tauOut: 4 }),
    ]
  ) {
    const spec: NetworkSpec = agentNetworkSpec(a);
    const net = resolveNetwork(spec);
    const conv = net.layers[0];
    assert.equal(conv.kind, "conv");
    assert.deepEqual(conv.conv, a.conv); // the same stages, geometry and constants
    assert.equal(conv.width, a.nIn); // what the LSNN reads
    assert.equal(conv.headWidth, a.nPooled);
    const [pop] = net.populations;
    assert.deepEqual([net.populations.length, pop.nIn, pop.nRec], [1, a.nIn, a.n]);
    assert.equal(pop.consts.alpha, a.alpha);
    assert.equal(pop.consts.rho, a.rho);
    assert.deepEqual([pop.consts.thr, pop.consts.gamma, pop.consts.nRef], [
      a.thr,
      a.dampening,
      a.nRef,
    ]);
    assert.deepEqual(Array.from(pop.beta).filter((b) => b === a.beta).length, a.nAlif);
    assert.equal(pop.beta[0], 0);
    assert.equal(net.repeat, a.stepsPerFrame);
    const sizes = agentParamSizes(a);
    assert.deepEqual(net.heads.map((h) => [h.name, h.nFeat, h.nOut, h.kappa, h.pool]), [
      ["policy", a.nFeatures, a.numActions, a.kappa, "frame_last"],
      ["value", a.nFeatures, 1, a.kappa, "frame_last"],
    ]);
    assert.equal(net.heads[0].nFeat * net.heads[0].nOut, sizes.wPi);
    assert.equal(net.heads[1].nFeat, sizes.wV);
  }
});

Deno.test("agentNetworkSpec: the authors' default head pools (conv1 8x8/4 -> 4x4x16, conv2 4x4/2 -> 7x7x8) and the CNN's biases", () => {
  const a = resolveAgentSpec();
  const net = resolveNetwork(agentNetworkSpec(a));
  const conv = net.layers[0];
  assert.equal(a.nPooled, 4 * 4 * 16 + 7 * 7 * 8);
  assert.equal(conv.headWidth, 648);
  assert.deepEqual(conv.headPools, a.headPools);
  assert.deepEqual(
    conv.headPools!.map((p) => [p.layer, p.kernel, p.stride, p.height, p.width, p.units, p.offset]),
    [[0, 8, 4, 4, 4, 256, 0], [1, 4, 2, 7, 7, 392, 256]],
  );
  assert.deepEqual(conv.conv!.layers.map((l) => l.bias), [true, true]);
  assert.deepEqual(net.heads.map((h) => h.nFeat), [648 + a.n, 648 + a.n]);
  // the normalized spec keeps the pools, and resolves again to the same network
  assert.deepEqual((net.spec.layers[0] as { headPools?: unknown }).headPools, [
    { layer: 0, kernel: 8, stride: 4 },
    { layer: 1, kernel: 4, stride: 2 },
  ]);
  assert.deepEqual(resolveNetwork(net.spec).layers[0].headWidth, 648);
  // a two-pool small agent without biases
  const b = resolveAgentSpec({
    frameSize: 12,
    convLayers: [{ filters: 3, kernel: 4, stride: 2 }, { filters: 2, kernel: 2, stride: 1 }],
    headPools: [{ layer: 0, kernel: 2, stride: 2 }, { layer: 1, kernel: 2, stride: 1 }],
    convBias: false,
  });
  const small = resolveNetwork(agentNetworkSpec(b)).layers[0];
  assert.deepEqual([small.headWidth, b.nPooled], [2 * 2 * 3 + 3 * 3 * 2, 30]);
  assert.deepEqual(small.conv, b.conv);
});

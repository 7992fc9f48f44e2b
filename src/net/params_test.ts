import assert from "node:assert/strict";
import { resolveNetwork } from "./network.ts";
import { copyNetworkParams, initNetworkParams, mapParamTree, paramLeaves } from "./params.ts";
import { Rng } from "../util/rng.ts";

const net = resolveNetwork({
  nIn: 3,
  layers: [
    { neuron: { nRec: 4, beta: 0.5 }, bidirectional: true },
    { neuron: { nRec: 2 } },
  ],
  heads: [{ nOut: 2, bias: true }, { nOut: 1, from: "all" }],
});

Deno.test("mapParamTree visits every leaf once, in paramLeaves' order and with its paths", () => {
  const p = initNetworkParams(net, new Rng(1));
  const seen: string[] = [];
  const tree = mapParamTree(p, (data, path) => (seen.push(path), data.length));
  assert.deepEqual(seen, paramLeaves(p).map((l) => l.path));
  assert.equal(tree.layers[0].backward!.wRec.data, 16);
  assert.equal(tree.layers[0].backward!.wRec.rows, 4);
  assert.equal(tree.heads[0].bOut, 2);
  assert.equal(tree.heads[1].bOut, undefined);
  assert.equal("backward" in tree.layers[1], false);
});

Deno.test("copyNetworkParams copies every leaf (equal values, no shared arrays)", () => {
  const p = initNetworkParams(net, new Rng(2));
  const q = copyNetworkParams(p);
  assert.deepEqual(q, p);
  paramLeaves(q).forEach((leaf, i) => assert.notEqual(leaf.data, paramLeaves(p)[i].data));
});

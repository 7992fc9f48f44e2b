import assert from "node:assert/strict";
import { addL2, type NetworkObjective, resolveNetworkObjective } from "./objective.ts";
import { resolveNetwork } from "./network.ts";
import { copyNetworkParams, initNetworkParams, paramLeaves, zeroNetworkParams } from "./params.ts";
import { Rng } from "../util/rng.ts";

const net = resolveNetwork({
  nIn: 2,
  layers: [{ neuron: { nRec: 3 }, bidirectional: true }],
  heads: [{ nOut: 2, bias: true }, { nOut: 1 }],
});

Deno.test("resolveNetworkObjective: losses built per head, defaults filled in", () => {
  const r = resolveNetworkObjective(net, {
    losses: [{ type: "ce", labels: Int32Array.of(0) }, undefined],
    regularization: { c: 1, fTarget: 0.01 },
  });
  assert.equal(r.losses[0]?.type, "ce");
  assert.equal(r.losses[1], undefined);
  assert.equal(r.l2, 0);
  assert.deepEqual(r.regularization, { type: "simple", c: 1, fTarget: 0.01, tauMs: 1000 });
  const onlyReg = resolveNetworkObjective(net, {
    losses: [undefined, undefined],
    regularization: { c: 0, fTarget: 0 },
    l2: 0.5,
  });
  assert.equal(onlyReg.l2, 0.5);
});

Deno.test("resolveNetworkObjective: bad objectives are refused naming the field", () => {
  const mse = { type: "mse" as const, targets: new Float64Array(1) };
  const cases: [unknown, string, string | RegExp][] = [
    [
      null,
      "TypeError",
      "Cannot evaluate objective: losses must be an array with one entry per head, got undefined",
    ],
    [
      { losses: "mse" },
      "TypeError",
      'Cannot evaluate objective: losses must be an array with one entry per head, got "mse"',
    ],
    [
      { losses: [mse] },
      "TypeError",
      "Cannot evaluate objective: losses must have one entry per head (2), got 1",
    ],
    [
      { losses: [undefined, undefined] },
      "RangeError",
      "Cannot evaluate objective: no head has a loss and there is no regularizer",
    ],
    [{ losses: [mse, { type: "hinge" }] }, "TypeError", /losses\[1\]\.type must be one of/],
    [
      { losses: [mse, undefined], l2: -1 },
      "RangeError",
      "Cannot evaluate objective: l2 must be >= 0, got -1",
    ],
    [
      { losses: [mse, undefined], l2: NaN },
      "TypeError",
      "Cannot evaluate objective: l2 must be a finite number, got NaN",
    ],
    [
      { losses: [mse, undefined], regularization: { c: -1, fTarget: 0 } },
      "RangeError",
      /regularization\.c must be >= 0, got -1/,
    ],
  ];
  for (const [objective, name, message] of cases) {
    assert.throws(() => resolveNetworkObjective(net, objective as NetworkObjective), {
      name,
      message,
    });
  }
});

Deno.test("addL2: l2 times the sum of squares without w_rec's diagonal; its gradient by central differences", () => {
  const params = initNetworkParams(net, new Rng(3));
  // Put values on the diagonals: they must count for nothing.
  for (const leaf of paramLeaves(params)) {
    if (leaf.recurrent) {
      for (let j = 0; j < leaf.recurrent; j++) leaf.data[j * leaf.recurrent + j] = 5;
    }
  }
  params.heads[0].bOut![1] = -0.25;
  const l2 = 0.3;
  let want = 0;
  for (const layer of params.layers) {
    for (const pop of [layer.forward, layer.backward!]) {
      for (const v of pop.wIn.data) want += v * v;
      const n = pop.wRec.rows;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) if (i !== j) want += pop.wRec.data[i * n + j] ** 2;
      }
    }
  }
  for (const h of params.heads) {
    for (const v of h.wOut.data) want += v * v;
    for (const v of h.bOut ?? []) want += v * v;
  }
  const grads = zeroNetworkParams(net);
  paramLeaves(grads).forEach((leaf) => leaf.data.fill(1)); // the gradient is added to these
  const e = addL2(l2, params, grads);
  assert.ok(Math.abs(e - l2 * want) < 1e-13);
  assert.equal(addL2(l2, params), e, "the same without a gradient tree");
  const h = 1e-6;
  const leaves = paramLeaves(params), gLeaves = paramLeaves(grads);
  leaves.forEach((leaf, i) => {
    for (let k = 0; k < leaf.data.length; k++) {
      const up = copyNetworkParams(params), down = copyNetworkParams(params);
      paramLeaves(up)[i].data[k] += h;
      paramLeaves(down)[i].data[k] -= h;
      const fd = (addL2(l2, up) - addL2(l2, down)) / (2 * h);
      assert.ok(Math.abs(gLeaves[i].data[k] - 1 - fd) < 1e-7, `${leaf.path}[${k}]`);
    }
  });
  // l2 = 0: nothing, gradients untouched.
  const g0 = zeroNetworkParams(net);
  assert.equal(addL2(0, params, g0), 0);
  assert.ok(paramLeaves(g0).every((leaf) => leaf.data.every((v) => v === 0)));
});

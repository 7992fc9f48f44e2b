import assert from "node:assert/strict";
import { resolveNetwork } from "../net/network.ts";
import { initNetworkParams, paramLeaves } from "../net/params.ts";
import { WasmNetwork } from "../engine/wasm/wasm_network.ts";
import { Rng } from "../util/rng.ts";
import { createOptimizer } from "./optimizer.ts";
import {
  createHeadFeedback,
  initialNetworkTrainingState,
  type NetworkCheckpoint,
  networkCheckpointFromJson,
  networkCheckpointToJson,
  rampedLearningRate,
  trainNetwork,
} from "./network_trainer.ts";

const net = resolveNetwork({
  nIn: 3,
  repeat: 2,
  layers: [{
    neuron: { nRec: 5, thr: 0.3, beta: [0, 0, 0, 0.1, 0.1], nRef: 1 },
    bidirectional: true,
  }],
  heads: [{ nOut: 2, pool: "frame_mean", tauOut: 3, filter: "paper", bias: true }],
});

function task() {
  return {
    trainBatch: (rng: Rng) => {
      const B = 3, F = 6;
      const labels = new Int32Array(B * F).map(() => rng.int(2));
      return {
        batch: {
          batchSize: B,
          frames: F,
          lengths: Int32Array.of(6, 4, 5),
          inputs: new Float64Array(B * F * 3).map((_, i) =>
            labels[Math.floor(i / 3)] + rng.normal()
          ),
        },
        objective: {
          losses: [{ type: "ce_frames" as const, labels }],
          regularization: { c: 0.1, fTarget: 0.01 },
          l2: 1e-5,
        },
      };
    },
  };
}

Deno.test("rampedLearningRate: linear from 0 over K iterations, then constant", () => {
  assert.equal(rampedLearningRate(0.01, 1, 100), 0.0001);
  assert.equal(rampedLearningRate(0.01, 100, 100), 0.01);
  assert.equal(rampedLearningRate(0.01, 250, 100), 0.01);
  assert.equal(rampedLearningRate(0.01, 1, 0), 0.01);
});

Deno.test("network checkpoints read back to the same float64 values", () => {
  const params = initNetworkParams(net, new Rng(4));
  params.heads[0].bOut![0] = 0.1 + 0.2;
  params.heads[0].bOut![1] = -5e-324;
  const fb = createHeadFeedback(net, { kind: "random" }, new Rng(5));
  const opt = createOptimizer("adam", { learningRate: 1e-3 });
  const cp: NetworkCheckpoint = {
    version: 1,
    format: "network",
    kind: "test",
    flags: { a: 1 },
    history: [],
    state: initialNetworkTrainingState(params, {
      train: 1,
      validation: 2,
      feedback: fb,
      optimizer: opt,
    }),
  };
  const back = networkCheckpointFromJson(networkCheckpointToJson(cp), "memory", "test");
  paramLeaves(back.state.params).forEach((leaf, i) =>
    assert.deepEqual(leaf.data, paramLeaves(params)[i].data, leaf.path)
  );
  assert.deepEqual(back.state.feedback, cp.state.feedback);
  assert.throws(() => networkCheckpointFromJson("{}", "x"), /not a version-1 checkpoint/);
  assert.throws(
    () => networkCheckpointFromJson(networkCheckpointToJson(cp), "x", "fig2"),
    /is a test run, not fig2/,
  );
});

Deno.test("adaptive feedback: B and w_out get the same update, then both decay", async () => {
  const params = initNetworkParams(net, new Rng(7));
  const network = await WasmNetwork.create(net, params, { precision: "f64" });
  const lambda = 0.1;
  const feedback = createHeadFeedback(net, { kind: "adaptive", lambda }, new Rng(8));
  const optimizer = createOptimizer("adam", { learningRate: 0.05 });
  const s0 = initialNetworkTrainingState(params, { train: 1, validation: 2, feedback, optimizer });
  const lines: string[] = [];
  const s1 = await trainNetwork(
    {
      network,
      method: "eprop",
      feedback,
      optimizer,
      learningRate: 0.05,
      rampIterations: 2,
      iterations: 1,
      printEvery: 1,
      validateEvery: 0,
      log: (l) => lines.push(l),
    },
    task(),
    s0,
  );
  const b0 = s0.feedback[0]!.data, w0 = s0.params.heads[0].wOut.data;
  const b1 = s1.feedback[0]!.data, w1 = s1.params.heads[0].wOut.data;
  b0.forEach((_, i) => {
    assert.ok(Math.abs((b1[i] - w1[i]) - (1 - lambda) * (b0[i] - w0[i])) < 1e-12);
  });
  assert.ok(w1.some((v, i) => v !== w0[i] * (1 - lambda)));
  assert.equal(s1.train[0].learningRate, 0.025);
  assert.match(lines[0], /^iter 1\/1 \| loss /);
  network.dispose();
});

/**
 * The TensorFlow.js composed network (TfjsNetwork): both format-2 golden cases (float64
 * references; f32 within 1e-4), eq. (1) = BPTT and hard-coded = autodiff e-prop on random stacked
 * bidirectional networks with varying lengths, invariance to padding frames, the factorized
 * traces against the per-synapse ones, input errors and tensor leaks.
 */
import assert from "node:assert/strict";
import { tf } from "../src/engine/tfjs/tf.ts";
import { TfjsNetwork } from "../src/engine/tfjs/tfjs_network.ts";
import { traceGradientFactorized } from "../src/engine/tfjs/network_graph.ts";
import { traceGradient } from "../src/engine/tfjs/hardcoded_eprop.ts";
import {
  type NetworkCaseResult,
  parseNetworkCase,
  runNetworkCase,
} from "../src/cases/network_case.ts";
import { type NetworkSpec, type ResolvedNetwork, resolveNetwork } from "../src/net/network.ts";
import { initNetworkParams, type NetworkParams, paramLeaves } from "../src/net/params.ts";
import type { SequenceBatch } from "../src/net/batch.ts";
import type { NetworkObjective } from "../src/net/objective.ts";
import type { NetworkGradientOptions } from "../src/engine/network_backend.ts";
import { normalMatrix } from "../src/model/weights.ts";
import { Rng } from "../src/util/rng.ts";
import { relativeError } from "./_random_network.ts";

async function readGolden(name: string): Promise<unknown> {
  return JSON.parse(await Deno.readTextFile(new URL(`./golden/${name}`, import.meta.url)));
}

/** Relative max-abs error of every matrix of the expected result, keyed by its path. */
function compareResult(actual: unknown, expected: unknown, path = ""): Map<string, number> {
  const out = new Map<string, number>();
  if (Array.isArray(expected) && (Array.isArray(expected[0]) || typeof expected[0] === "number")) {
    out.set(path, relativeError((actual as number[][]).flat(), (expected as number[][]).flat()));
    return out;
  }
  for (const [key, value] of Object.entries(expected as Record<string, unknown>)) {
    if (typeof value !== "object") continue;
    const sub = (actual as Record<string, unknown> | undefined)?.[key];
    assert.ok(sub !== undefined, `missing ${path}.${key}`);
    for (const [k, e] of compareResult(sub, value, path ? `${path}.${key}` : key)) out.set(k, e);
  }
  return out;
}

for (const name of ["stacked", "timit_bidir"]) {
  for (const implementation of ["autodiff", "hardcoded"] as const) {
    Deno.test(`tfjs-cpu network golden ${name} (e-prop ${implementation})`, async () => {
      const c = parseNetworkCase(await readGolden(`${name}.v2.case.json`));
      const expected = await readGolden(`${name}.v2.expected.json`) as NetworkCaseResult;
      const backend = await TfjsNetwork.create(c.net, c.params, { tfBackend: "cpu" });
      try {
        assert.equal(backend.name, "tfjs-cpu");
        assert.equal(backend.precision, "f32");
        const result = runNetworkCase(backend, c, { implementation });
        assert.equal(result.spikes, expected.spikes);
        const lossError = Math.abs(result.loss - expected.loss) / Math.abs(expected.loss);
        assert.ok(lossError < 1e-5, `loss: relative error ${lossError}`);
        const errors = compareResult(result, expected);
        assert.ok(errors.size >= 10, `only ${errors.size} matrices compared`);
        for (const [key, err] of errors) {
          assert.ok(err < 1e-4, `${key}: relative error ${err} >= 1e-4`);
        }
      } finally {
        backend.dispose();
      }
    });
  }
}

/** A random stacked network with its parameters, a batch of varying lengths and an objective. */
interface Problem {
  net: ResolvedNetwork;
  params: NetworkParams;
  batch: SequenceBatch;
  objective: NetworkObjective;
  rng: Rng;
}

function randomProblem(seed: number, options: { repeat: number; pool: "none" | "frame_mean" }) {
  const rng = new Rng(seed);
  const { repeat, pool } = options;
  const spec: NetworkSpec = {
    nIn: 4,
    repeat,
    layers: [
      {
        neuron: {
          nRec: 6,
          thr: 0.3,
          tauAMs: 60,
          beta: [0, 0, 0, 0.15, 0.2, 0.25],
          nRef: 2,
        },
        bidirectional: true,
      },
      {
        neuron: { nRec: 5, thr: 0.25, tauAMs: 40, beta: [0, 0.1, 0, 0.2, 0.1] },
        bidirectional: true,
      },
      { neuron: { nRec: 3, thr: 0.25, tauMMs: 15, beta: 0.05, nRef: 3 } },
    ],
    heads: [
      { name: "labels", nOut: 3, from: "all", pool, tauOut: 3, filter: "paper", bias: true },
      { name: "values", nOut: 2, from: "last", pool, tauOut: 2 },
      { name: "unused", nOut: 2, from: "all", pool, bias: true },
    ],
  };
  const net = resolveNetwork(spec);
  const params = initNetworkParams(net, rng, { readout: "normal" });
  for (const leaf of paramLeaves(params)) {
    if (leaf.path.endsWith("wIn")) leaf.data.forEach((v, i) => leaf.data[i] = 1.5 * v);
    if (leaf.path.endsWith("bOut")) leaf.data.forEach((_, i) => leaf.data[i] = rng.normal());
  }
  const B = 3, F = pool === "none" ? 12 : 6;
  const lengths = Int32Array.from(pool === "none" ? [12, 9, 4] : [6, 4, 2]);
  const U = F; // pool "none" needs repeat 1, so units are frames either way
  const inputs = new Float64Array(B * F * net.nIn).map(() => 1.5 * rng.normal());
  const batch: SequenceBatch = { batchSize: B, frames: F, inputs, lengths };
  const objective: NetworkObjective = {
    losses: [
      { type: "ce_frames", labels: Int32Array.from({ length: B * U }, () => rng.int(3)) },
      { type: "mse", targets: new Float64Array(B * U * 2).map(() => rng.normal()) },
      undefined,
    ],
    regularization: { type: "simple", c: 0.5, fTarget: 0.02 },
    l2: 1e-3,
  };
  return { net, params, batch, objective, rng } satisfies Problem;
}

function assertClose(a: NetworkParams, b: NetworkParams, tol: number, label: string) {
  const la = paramLeaves(a), lb = paramLeaves(b);
  assert.equal(la.length, lb.length);
  la.forEach((leaf, i) => {
    const err = relativeError(leaf.data, lb[i].data);
    assert.ok(err < tol, `${label} ${leaf.path}: relative error ${err} >= ${tol}`);
  });
}

for (
  const [seed, setup] of [
    [11, { repeat: 3, pool: "frame_mean" }],
    [12, { repeat: 1, pool: "none" }],
  ] as const
) {
  Deno.test(
    `tfjs-cpu network: eq1 = bptt, hard-coded = autodiff e-prop (repeat ${setup.repeat}, pool ${setup.pool})`,
    async () => {
      const p = randomProblem(seed, setup);
      const backend = await TfjsNetwork.create(p.net, p.params);
      try {
        const bptt = backend.gradients(p.batch, p.objective, { method: "bptt" });
        // Enough activity that every population matters, far from saturation.
        const steps = p.batch.lengths!.reduce((a, l) => a + l, 0) * p.net.repeat;
        for (const [i, pop] of p.net.populations.entries()) {
          const count = bptt.rates[i].reduce((a, r) => a + r, 0) * p.batch.batchSize *
            p.batch.frames * p.net.repeat;
          assert.ok(count > 3 && count < 0.5 * steps * pop.nRec, `population ${i}: ${count}`);
        }
        const eq1 = backend.gradients(p.batch, p.objective, { method: "eq1" });
        assertClose(eq1.grads, bptt.grads, 1e-4, "eq1 vs bptt");
        assert.equal(eq1.loss, bptt.loss);
        // A head without a loss gets only the L2 term.
        const unused = p.params.heads[2];
        assert.ok(
          bptt.grads.heads[2].wOut.data.every((v, i) => v === 2 * 1e-3 * unused.wOut.data[i]),
        );
        assert.ok(bptt.grads.heads[2].bOut!.every((v, i) => v === 2 * 1e-3 * unused.bOut![i]));
        const feedback = [
          normalMatrix([p.net.heads[0].nFeat, 3], p.rng),
          undefined,
          normalMatrix([p.net.heads[2].nFeat, 2], p.rng),
        ];
        const options = { method: "eprop", feedback } as const;
        const auto = backend.gradients(p.batch, p.objective, options);
        const hard = backend.gradients(p.batch, p.objective, {
          ...options,
          implementation: "hardcoded",
        });
        assertClose(hard.grads, auto.grads, 1e-4, "hard-coded vs autodiff e-prop");
        // e-prop is not BPTT, and the readout gradient is exact in both.
        assert.ok(
          relativeError(
            auto.grads.layers[0].forward.wIn.data,
            bptt.grads.layers[0].forward.wIn.data,
          ) > 1e-2,
        );
        assert.ok(
          relativeError(auto.grads.heads[0].wOut.data, bptt.grads.heads[0].wOut.data) < 1e-6,
        );
      } finally {
        backend.dispose();
      }
    },
  );
}

Deno.test("tfjs-cpu network: padding frames have no effect", async () => {
  const p = randomProblem(21, { repeat: 3, pool: "frame_mean" });
  const backend = await TfjsNetwork.create(p.net, p.params);
  const { batchSize: B, frames: F } = p.batch;
  const nIn = p.net.nIn;
  const padded = (fill: (i: number) => number): SequenceBatch => {
    const inputs = Float64Array.from(p.batch.inputs);
    for (let b = 0; b < B; b++) {
      for (let i = (b * F + p.batch.lengths![b]) * nIn; i < (b + 1) * F * nIn; i++) {
        inputs[i] = fill(i);
      }
    }
    return { ...p.batch, inputs };
  };
  const variants = [
    padded(() => 0),
    padded(() => 1e6),
    padded(() => 50 * p.rng.normal()),
    padded(() => NaN),
  ];
  try {
    const methods: NetworkGradientOptions[] = [
      { method: "bptt" },
      { method: "eprop" },
      { method: "eprop", implementation: "hardcoded" },
      { method: "eq1" },
    ];
    for (const options of methods) {
      const [first, ...rest] = variants.map((batch) =>
        backend.gradients(batch, p.objective, options)
      );
      for (const r of rest) assert.deepEqual(r, first, `method ${JSON.stringify(options)}`);
    }
    const [first, ...rest] = variants.map((batch) => backend.simulate(batch));
    for (const r of rest) assert.deepEqual(r, first);
  } finally {
    backend.dispose();
  }
});

Deno.test("tfjs-cpu network: simulate agrees with evaluate and zeroes padding", async () => {
  const p = randomProblem(31, { repeat: 3, pool: "frame_mean" });
  const backend = await TfjsNetwork.create(p.net, p.params);
  try {
    const sim = backend.simulate(p.batch);
    const ev = backend.evaluate(p.batch, p.objective);
    assert.deepEqual(sim.outputs, ev.outputs);
    const { batchSize: B, frames: F } = p.batch;
    const T = F * p.net.repeat;
    let spikes = 0;
    p.net.populations.forEach((pop, i) => {
      assert.equal(sim.z[i].length, B * T * pop.nRec);
      for (let b = 0; b < B; b++) {
        for (let t = 0; t < T; t++) {
          for (let j = 0; j < pop.nRec; j++) {
            const at = (b * T + t) * pop.nRec + j;
            spikes += sim.z[i][at];
            if (t >= p.batch.lengths![b] * p.net.repeat) {
              assert.equal(sim.z[i][at], 0);
              assert.equal(sim.v[i][at], 0);
            }
          }
        }
      }
      const rateSum = ev.rates[i].reduce((a, r) => a + r, 0) * B * T;
      assert.ok(Math.abs(rateSum - sim.z[i].reduce((a, z) => a + z, 0)) < 1e-9);
    });
    assert.equal(spikes, ev.spikes);
    const grads = backend.gradients(p.batch, p.objective, { method: "bptt" });
    assert.equal(grads.loss, ev.loss);
    assert.deepEqual(grads.headLosses, ev.headLosses);
    assert.equal(ev.headLosses[2], 0);
    assert.ok(ev.l2Loss > 0 && ev.regularizationLoss > 0);
    assert.ok(
      Math.abs(
        ev.loss - (ev.headLosses.reduce((a, l) => a + l, 0) + ev.regularizationLoss + ev.l2Loss),
      ) < 1e-12,
    );
  } finally {
    backend.dispose();
  }
});

Deno.test("tfjs-cpu network: factorized traces equal per-synapse traces", async () => {
  const rng = new Rng(5);
  const [T, B, nIn, n] = [25, 2, 3, 4];
  const consts = { alpha: 0.93, rho: 0.97, s: 0.8 };
  const before = tf.memory().numTensors;
  const [fact, direct] = tf.tidy(() => {
    const rand = (shape: number[], f: () => number) =>
      tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b) }, f), shape);
    const x = rand([T, B, nIn], () => rng.normal()) as tf.Tensor3D;
    const z = rand([T, B, n], () => (rng.uniform() < 0.2 ? 1 : 0)) as tf.Tensor3D;
    const psi = rand([T, B, n], () => (rng.uniform() < 0.3 ? 0 : rng.uniform())) as tf.Tensor3D;
    const signal = rand([T, B, n], () => rng.normal()) as tf.Tensor3D;
    const beta = tf.tensor1d([0, 0.3, 0.1, 0.5]);
    const zPrev = tf.concat([tf.zeros([1, B, n]), tf.slice(z, [0, 0, 0], [T - 1, B, n])]);
    const fact = traceGradientFactorized(consts, {
      pre: tf.concat([x, zPrev], 2) as tf.Tensor3D,
      psi,
      beta,
      signal,
    });
    const k = { ...consts, kappa: 0.5, c: 1, thr: 1, gamma: 0.3, dt: 1, nRef: 0 };
    const direct = traceGradient(k, { x, z, psi, beta, unfiltered: signal });
    return [fact.dataSync(), direct.dataSync()];
  });
  assert.equal(tf.memory().numTensors, before);
  assert.ok(relativeError(fact, direct) < 1e-5, `relative error ${relativeError(fact, direct)}`);
  await Promise.resolve();
});

Deno.test("tfjs-cpu network: invalid inputs name the field", async () => {
  const p = randomProblem(41, { repeat: 3, pool: "frame_mean" });
  const backend = await TfjsNetwork.create(p.net, p.params);
  try {
    assert.throws(
      () =>
        backend.gradients(p.batch, {
          ...p.objective,
          regularization: { type: "sparse" as "online", c: 1, fTarget: 0.01 },
        }, { method: "bptt" }),
      RangeError,
      '"sparse"',
    );
    assert.throws(
      () =>
        backend.gradients(p.batch, p.objective, {
          method: "eprop",
          feedback: [normalMatrix([3, 3], p.rng)],
        }),
      TypeError,
      "feedback[0]",
    );
    assert.throws(
      () => backend.gradients(p.batch, p.objective, { method: "sgd" as "bptt" }),
      RangeError,
      "method",
    );
    assert.throws(
      () =>
        backend.gradients({ ...p.batch, lengths: Int32Array.from([6, 0, 2]) }, p.objective, {
          method: "bptt",
        }),
      RangeError,
      "lengths[1]",
    );
    assert.throws(
      () => backend.evaluate(p.batch, { ...p.objective, losses: p.objective.losses.slice(0, 2) }),
      TypeError,
      "losses",
    );
    const bad = structuredClone(p.params);
    bad.layers[1].backward!.wRec.data[3] = Infinity;
    assert.throws(() => backend.setParams(bad), TypeError, "layers[1].backward.wRec");
  } finally {
    backend.dispose();
  }
  assert.throws(() => backend.simulate(p.batch), Error, "disposed");
});

Deno.test("tfjs-cpu network: no tensor leaks", async () => {
  const p = randomProblem(51, { repeat: 3, pool: "frame_mean" });
  const backend = await TfjsNetwork.create(p.net, p.params);
  const methods: NetworkGradientOptions[] = [
    { method: "bptt" },
    { method: "eprop" },
    { method: "eprop", implementation: "hardcoded" },
    { method: "eq1" },
  ];
  const round = () => {
    for (const options of methods) backend.gradients(p.batch, p.objective, options);
    backend.evaluate(p.batch, p.objective);
    backend.simulate(p.batch);
    assert.throws(() =>
      backend.gradients(p.batch, p.objective, {
        method: "eprop",
        feedback: [normalMatrix([2, 3], p.rng)],
      })
    );
  };
  round();
  const before = tf.memory().numTensors;
  round();
  round();
  assert.equal(tf.memory().numTensors, before);
  backend.setParams(backend.getParams());
  assert.equal(tf.memory().numTensors, before);
  backend.dispose();
  assert.ok(tf.memory().numTensors < before);
});

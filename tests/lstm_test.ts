// The LSTM baseline of Fig. 2 on the WebAssembly core: BPTT against central finite differences,
// e-prop against an independent forward-mode implementation (per-synapse eligibility traces of
// the cell, run forward in time in plain TypeScript), L2 and bad input. (Padding invariance and
// f32 against f64: tests/engine_matrix_test.ts.)
import assert from "node:assert/strict";
import { LstmNetwork } from "../src/engine/wasm/lstm_network.ts";
import { type NetworkParams, paramLeaves } from "../src/net/params.ts";
import type { SequenceBatch } from "../src/net/batch.ts";
import { normalMatrix } from "../src/model/weights.ts";
import type { Matrix } from "../src/model/weights.ts";
import { Rng } from "../src/util/rng.ts";
import { LSTM_SPEC, lstmProblem } from "./_engine_matrix_lstm.ts";

const SPEC = LSTM_SPEC;
const problem = lstmProblem;

function maxRelErr(a: Float64Array, b: Float64Array): number {
  let err = 0, scale = 0;
  for (let i = 0; i < a.length; i++) {
    err = Math.max(err, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return err / Math.max(scale, 1e-300);
}

const sig = (x: number) => 1 / (1 + Math.exp(-x));

/**
 * e-prop for LSTM computed forward in time, synapse by synapse: eligibility vectors
 * eps_t = f_t eps_{t-1} + dc_t/dW (input, forget, candidate gates), eligibility traces
 * e_t = o_t (1 - tanh^2 c_t) eps_t, and for the output gate e_t = tanh(c_t) o_t (1 - o_t) pre_t;
 * gradient = sum_t L_t e_t with L_t = B^T dE/dy_t. Independent of the core's backward filtering.
 */
function epropReference(
  params: NetworkParams,
  batch: SequenceBatch,
  labels: Int32Array,
  feedback: Matrix,
): { loss: number; grads: Float64Array[] } {
  const { nIn, nHidden: H, nOut } = SPEC;
  const G = 4 * H, nFeat = 2 * H;
  const { batchSize: B, frames: F, inputs } = batch;
  const lengths = batch.lengths!;
  const dirs = [params.layers[0].forward, params.layers[0].backward!];
  const head = params.heads[0];
  const gIn = dirs.map(() => new Float64Array(nIn * G));
  const gRec = dirs.map(() => new Float64Array(H * G));
  const gBias = dirs.map(() => new Float64Array(G));
  const gOut = new Float64Array(nFeat * nOut), gbOut = new Float64Array(nOut);
  let loss = 0;
  for (let b = 0; b < B; b++) {
    const L = lengths[b];
    const x = (d: number, s: number) => {
      const t = d === 0 ? s : L - 1 - s;
      return inputs.subarray((b * F + t) * nIn, (b * F + t + 1) * nIn);
    };
    // Forward, both directions in their own time.
    const rec = dirs.map((p, d) => {
      const gates: Float64Array[] = [], c: Float64Array[] = [], h: Float64Array[] = [];
      for (let s = 0; s < L; s++) {
        const a = Float64Array.from(p.bias!);
        const xs = x(d, s);
        for (let i = 0; i < nIn; i++) {
          for (let q = 0; q < G; q++) a[q] += xs[i] * p.wIn.data[i * G + q];
        }
        if (s > 0) {
          for (let i = 0; i < H; i++) {
            for (let q = 0; q < G; q++) a[q] += h[s - 1][i] * p.wRec.data[i * G + q];
          }
        }
        const gt = new Float64Array(G), ct = new Float64Array(H), ht = new Float64Array(H);
        for (let j = 0; j < H; j++) {
          gt[j] = sig(a[j]);
          gt[H + j] = sig(a[H + j]);
          gt[2 * H + j] = Math.tanh(a[2 * H + j]);
          gt[3 * H + j] = sig(a[3 * H + j]);
          ct[j] = gt[H + j] * (s > 0 ? c[s - 1][j] : 0) + gt[j] * gt[2 * H + j];
          ht[j] = gt[3 * H + j] * Math.tanh(ct[j]);
        }
        gates.push(gt), c.push(ct), h.push(ht);
      }
      return { gates, c, h };
    });
    // Readout and dE/dy per input frame.
    const dEdy: Float64Array[] = [];
    for (let t = 0; t < L; t++) {
      const feat = new Float64Array(nFeat);
      feat.set(rec[0].h[t], 0);
      feat.set(rec[1].h[L - 1 - t], H);
      const y = Float64Array.from(head.bOut!);
      for (let i = 0; i < nFeat; i++) {
        for (let k = 0; k < nOut; k++) y[k] += feat[i] * head.wOut.data[i * nOut + k];
      }
      const m = Math.max(...y);
      const e = y.map((v) => Math.exp(v - m));
      const z = e.reduce((s, v) => s + v, 0);
      const label = labels[b * F + t];
      loss += (Math.log(z) + m - y[label]) / (L * B);
      const d = e.map((v, k) => (v / z - (k === label ? 1 : 0)) / (L * B));
      dEdy.push(d);
      for (let i = 0; i < nFeat; i++) {
        for (let k = 0; k < nOut; k++) gOut[i * nOut + k] += feat[i] * d[k];
      }
      d.forEach((v, k) => (gbOut[k] += v));
    }
    // e-prop, forward in time with per-synapse eligibility vectors.
    dirs.forEach((_, d) => {
      const { gates, c, h } = rec[d];
      const nPre = nIn + H + 1; // x, h_{t-1}, 1 (bias)
      const eps = [0, 1, 2].map(() => new Float64Array(H * nPre)); // gates i, f, g
      for (let s = 0; s < L; s++) {
        const pre = new Float64Array(nPre);
        pre.set(x(d, s), 0);
        if (s > 0) pre.set(h[s - 1], nIn);
        pre[nIn + H] = 1;
        const t = d === 0 ? s : L - 1 - s;
        const signal = new Float64Array(H);
        for (let j = 0; j < H; j++) {
          for (let k = 0; k < nOut; k++) {
            signal[j] += feedback.data[(d * H + j) * nOut + k] * dEdy[t][k];
          }
        }
        const g = gates[s];
        for (let j = 0; j < H; j++) {
          const ig = g[j], fg = g[H + j], gg = g[2 * H + j], og = g[3 * H + j];
          const cp = s > 0 ? c[s - 1][j] : 0, tc = Math.tanh(c[s][j]);
          const direct = [gg * ig * (1 - ig), cp * fg * (1 - fg), ig * (1 - gg * gg)];
          const hc = og * (1 - tc * tc);
          const write = (q: number, p: number, e: number) => {
            const v = signal[j] * e;
            if (p < nIn) gIn[d][p * G + q * H + j] += v;
            else if (p < nIn + H) gRec[d][(p - nIn) * G + q * H + j] += v;
            else gBias[d][q * H + j] += v;
          };
          for (let q = 0; q < 3; q++) {
            for (let p = 0; p < nPre; p++) {
              const at = j * nPre + p;
              eps[q][at] = fg * eps[q][at] + direct[q] * pre[p];
              write(q, p, hc * eps[q][at]);
            }
          }
          for (let p = 0; p < nPre; p++) write(3, p, tc * og * (1 - og) * pre[p]);
        }
      }
    });
  }
  return {
    loss,
    grads: [gIn[0], gRec[0], gBias[0], gIn[1], gRec[1], gBias[1], gOut, gbOut],
  };
}

Deno.test("lstm: e-prop on the core equals forward-mode eligibility traces (f64), symmetric and random feedback", async () => {
  const { params, batch, objective, labels, rng } = problem(1);
  const net = await LstmNetwork.create(SPEC, params, { precision: "f64" });
  try {
    const random = normalMatrix([2 * SPEC.nHidden, SPEC.nOut], rng);
    for (const [name, fb] of [["symmetric", params.heads[0].wOut], ["random", random]] as const) {
      const got = net.gradients(batch, objective, {
        method: "eprop",
        feedback: name === "random" ? [fb] : undefined,
      });
      const ref = epropReference(params, batch, labels, fb);
      assert.ok(Math.abs(got.loss - ref.loss) < 1e-12 * ref.loss, `${got.loss} vs ${ref.loss}`);
      paramLeaves(got.grads).forEach((leaf, i) => {
        const err = maxRelErr(leaf.data, ref.grads[i]);
        assert.ok(err < 1e-12, `${name} ${leaf.path}: relative error ${err}`);
      });
    }
  } finally {
    net.dispose();
  }
});

Deno.test("lstm: BPTT equals central finite differences (f64); e-prop differs from it", async () => {
  const { params, batch, objective } = problem(2);
  const net = await LstmNetwork.create(SPEC, params, { precision: "f64" });
  try {
    const bptt = net.gradients(batch, objective, { method: "bptt" });
    const eprop = net.gradients(batch, objective, { method: "eprop" });
    const probe = new Rng(5);
    const h = 1e-5;
    let compared = 0;
    paramLeaves(params).forEach((leaf, i) => {
      const g = paramLeaves(bptt.grads)[i].data;
      for (let n = 0; n < 6; n++) {
        const k = probe.int(leaf.data.length);
        const keep = leaf.data[k];
        leaf.data[k] = keep + h;
        net.setParams(params);
        const up = net.evaluate(batch, objective).loss;
        leaf.data[k] = keep - h;
        net.setParams(params);
        const down = net.evaluate(batch, objective).loss;
        leaf.data[k] = keep;
        const fd = (up - down) / (2 * h);
        assert.ok(
          Math.abs(fd - g[k]) < 1e-7 + 1e-6 * Math.abs(fd),
          `${leaf.path}[${k}]: ${g[k]} vs ${fd}`,
        );
        compared++;
      }
    });
    net.setParams(params);
    assert.equal(compared, 8 * 6);
    // The readout's gradient is exact under e-prop; the recurrent weights' is not.
    const b = paramLeaves(bptt.grads), e = paramLeaves(eprop.grads);
    assert.deepEqual(e[6].data, b[6].data);
    assert.ok(maxRelErr(e[1].data, b[1].data) > 1e-3, "e-prop should differ from BPTT");
  } finally {
    net.dispose();
  }
});

Deno.test("lstm: L2 adds 2 l2 W; bad input is refused by name", async () => {
  const { params, batch, objective } = problem(3);
  const n64 = await LstmNetwork.create(SPEC, params, { precision: "f64" });
  try {
    const l2 = 1e-3;
    const plain = n64.gradients(batch, objective, { method: "bptt" });
    const reg = n64.gradients(batch, { ...objective, l2 }, { method: "bptt" });
    paramLeaves(reg.grads).forEach((leaf, i) => {
      const w = paramLeaves(params)[i].data;
      leaf.data.forEach((v, k) =>
        assert.ok(Math.abs(v - paramLeaves(plain.grads)[i].data[k] - 2 * l2 * w[k]) < 1e-12)
      );
    });
    // Bad input is refused by name.
    assert.throws(
      () => n64.gradients(batch, objective, { method: "eq1" }),
      /method must be one of/,
    );
    assert.throws(
      () =>
        n64.gradients(batch, objective, {
          method: "eprop",
          feedback: [normalMatrix([3, 5], new Rng(1))],
        }),
      /feedback\[0\] must be 8x5, got 3x5/,
    );
    assert.throws(
      () => n64.setParams({ ...params, heads: [{ wOut: params.heads[0].wOut }] }),
      /heads\[0\]\.bOut/,
    );
  } finally {
    n64.dispose();
  }
});

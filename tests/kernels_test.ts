/**
 * The matrix kernels of the core against naive float64 products, in both precisions, for sparse
 * operands (event-driven path) and dense ones (blocked path), with shapes that exercise every
 * tail of the blocking.
 */
import assert from "node:assert/strict";
import { initWasm, instantiateCore } from "../src/engine/wasm/module.ts";
import { Arena } from "../src/engine/wasm/arena.ts";
import { Rng } from "../src/util/rng.ts";
import { relativeError } from "./_random_network.ts";
import { kernelSetup } from "./_kernel_setup.ts";
import { bindKernels } from "../src/engine/wasm/kernels.ts";

const module = await initWasm();

const setup = kernelSetup;

function randomMatrix(rng: Rng, rows: number, cols: number, density: number): Float64Array {
  return new Float64Array(rows * cols).map(() => (rng.uniform() < density ? rng.normal() : 0));
}

const SHAPES = [[7, 13, 11], [8, 16, 16], [1, 3, 2], [12, 9, 33], [5, 40, 100]] as const;

for (const precision of ["f32", "f64"] as const) {
  const tol = precision === "f32" ? 1e-5 : 1e-13;
  for (const density of [0.03, 0.9]) {
    Deno.test(`wasm-${precision} gemmNN matches a naive product (density ${density})`, () => {
      const { k, put, get } = setup(precision);
      const rng = new Rng(11);
      for (const [M, K, N] of SHAPES) {
        const A = randomMatrix(rng, M, K, density), B = randomMatrix(rng, K, N, 1);
        const C0 = randomMatrix(rng, M, N, 1);
        const expected = C0.slice();
        for (let m = 0; m < M; m++) {
          for (let n = 0; n < N; n++) {
            for (let kk = 0; kk < K; kk++) expected[m * N + n] += A[m * K + kk] * B[kk * N + n];
          }
        }
        for (const kernel of [k.gemmNN, k.gemmNNEvent, k.gemmNNDense]) {
          const pc = put(C0);
          kernel(M, K, N, put(A), put(B), pc);
          assert.ok(relativeError(get(pc, M * N), expected) < tol, `${kernel.name} ${M}x${K}x${N}`);
        }
      }
    });

    Deno.test(`wasm-${precision} gemmTN matches a naive product (density ${density})`, () => {
      const { k, put, get } = setup(precision);
      const rng = new Rng(12);
      for (const [R, K, N] of SHAPES) {
        const P = randomMatrix(rng, R, K, density), D = randomMatrix(rng, R, N, 1);
        const G0 = randomMatrix(rng, K, N, 1);
        const expected = G0.slice();
        for (let r = 0; r < R; r++) {
          for (let i = 0; i < K; i++) {
            for (let j = 0; j < N; j++) expected[i * N + j] += 0.5 * P[r * K + i] * D[r * N + j];
          }
        }
        for (const kernel of [k.gemmTN, k.gemmTNEvent, k.gemmTNDense]) {
          const pg = put(G0);
          kernel(R, K, N, put(P), put(D), pg, 0.5);
          assert.ok(relativeError(get(pg, K * N), expected) < tol, `${kernel.name} ${R}x${K}x${N}`);
        }
      }
    });
  }

  Deno.test(`wasm-${precision} gemmNNEventRows and gemmNNDense (in strips) equal the plain loop bit for bit`, () => {
    const { k, put, get } = setup(precision);
    const rng = new Rng(13);
    const round = precision === "f32" ? Math.fround : (v: number) => v;
    // the plain loop in the kernels' order: C's value, then the terms of increasing k (zeros of
    // A skipped), rounded to the precision at every operation; the shapes cover the tails of the
    // 8-vector blocks and several column strips (K x N large enough for more than one)
    const shapes = [...SHAPES, [80, 2312, 400], [3, 700, 1100], [33, 1, 70], [
      600,
      40,
      90,
    ]] as const;
    for (const [M, K, N] of shapes) {
      for (const density of [0, 0.05, 0.4, 1]) {
        const A = new Float64Array(M * K).map(() => rng.uniform() < density ? 1 : 0);
        if (density === 1) A.forEach((_, i) => A[i] = round(rng.normal()));
        const B = randomMatrix(rng, K, N, 1).map(round), C0 = randomMatrix(rng, M, N, 1).map(round);
        const expected = C0.slice();
        for (let m = 0; m < M; m++) {
          for (let n = 0; n < N; n++) {
            let c = expected[m * N + n];
            for (let kk = 0; kk < K; kk++) {
              const a = A[m * K + kk];
              if (a !== 0) c = round(c + round(a * B[kk * N + n]));
            }
            expected[m * N + n] = c;
          }
        }
        const pa = put(A), pb = put(B);
        const pc = put(C0), idx = put(new Float64Array(M * (K + 2))); // i32 scratch
        k.gemmNNEventRows(M, K, N, pa, pb, pc, idx);
        assert.deepEqual(get(pc, M * N), expected, `gemmNNEventRows ${M}x${K}x${N} (${density})`);
        // the dense kernel adds the zero terms too: the same bits while C starts at +0
        const zero = put(new Float64Array(M * N)), fromZero = new Float64Array(M * N);
        for (let m = 0; m < M; m++) {
          for (let n = 0; n < N; n++) {
            let c = 0;
            for (let kk = 0; kk < K; kk++) {
              const a = A[m * K + kk];
              if (a !== 0) c = round(c + round(a * B[kk * N + n]));
            }
            fromZero[m * N + n] = c;
          }
        }
        k.gemmNNDense(M, K, N, pa, pb, zero);
        const dense = get(zero, M * N);
        // columns past the last 2-vector block sum from zero and add C at the end (as before)
        assert.deepEqual(dense, fromZero, `gemmNNDense ${M}x${K}x${N} (${density})`);
      }
    }
  });

  Deno.test(`wasm-${precision} traceFilter and gemmTNEventStrided equal the plain loops bit for bit`, () => {
    const core = instantiateCore(module);
    const arena = new Arena(core.memory, core.heapBase());
    const k = bindKernels(core, precision);
    const bytes = precision === "f32" ? 4 : 8;
    const put = (data: Float64Array) => {
      const ptr = arena.alloc(data.length, bytes);
      arena.floats(ptr, data.length, precision).set(data);
      return ptr;
    };
    const get = (ptr: number, n: number) => Float64Array.from(arena.floats(ptr, n, precision));
    const rng = new Rng(14);
    const round = precision === "f32" ? Math.fround : (v: number) => v;
    for (
      const [T, B, K, N] of [[9, 3, 13, 11], [40, 2, 700, 90], [6, 2, 333, 400], [
        5,
        1,
        3,
        2,
      ]] as const
    ) {
      for (const withCut of [false, true]) {
        const X = new Float64Array(T * K).map(() => rng.uniform() < 0.3 ? 1 : 0);
        const cut = new Uint8Array(T).map(() => withCut && rng.uniform() < 0.2 ? 1 : 0);
        const alpha = 0.95;
        // the filtered traces in float64, stored in the precision
        const P = new Float64Array(T * K), eps = new Float64Array(K);
        for (let t = 0; t < T; t++) {
          for (let i = 0; i < K; i++) P[t * K + i] = round(eps[i] = alpha * eps[i] + X[t * K + i]);
          if (cut[t]) eps.fill(0);
        }
        const pp = put(X), pe = arena.alloc(K, 8);
        const pcut = withCut ? arena.alloc(T, 1) : 0;
        if (withCut) arena.u8(pcut, T).set(cut);
        k.traceFilter(T, K, alpha, pp, pcut, pe);
        assert.deepEqual(get(pp, T * K), P, `traceFilter ${T}x${K}`);
        // G += P^T D over the rows of one episode of a time-major [T][B][N] record
        const D = randomMatrix(rng, T * B, N, 1).map(round);
        const G0 = randomMatrix(rng, K, N, 1).map(round), pd = put(D);
        for (let b = 0; b < B; b++) {
          const G = G0.slice();
          for (let t = 0; t < T; t++) {
            for (let i = 0; i < K; i++) {
              const p = P[t * K + i];
              if (p === 0) continue;
              for (let j = 0; j < N; j++) {
                G[i * N + j] = round(G[i * N + j] + round(p * D[(t * B + b) * N + j]));
              }
            }
          }
          const pg = put(G0);
          k.gemmTNEventStrided(T, K, N, pp, pd + b * N * bytes, B * N, pg, 1);
          assert.deepEqual(get(pg, K * N), G, `gemmTNEventStrided ${T}x${K}x${N} episode ${b}`);
        }
      }
    }
  });

  Deno.test(`wasm-${precision} counts non-zero elements (the density behind the kernel choice)`, () => {
    const core = instantiateCore(module);
    const arena = new Arena(core.memory, core.heapBase());
    const rng = new Rng(14);
    for (const n of [0, 1, 3, 4, 7, 64, 101]) {
      const data = new Float64Array(n).map(() => (rng.uniform() < 0.3 ? rng.normal() : 0));
      const ptr = arena.alloc(n, precision === "f32" ? 4 : 8);
      arena.floats(ptr, n, precision).set(data);
      const count = core[`countNonZero_${precision}`](ptr, n);
      assert.equal(count, data.filter((v) => v !== 0).length, `n = ${n}`);
    }
  });

  Deno.test(`wasm-${precision} transpose and column sums`, () => {
    const { k, put, get } = setup(precision);
    const rng = new Rng(13);
    const m = randomMatrix(rng, 5, 7, 1);
    const pt = put(new Float64Array(35));
    k.transpose(5, 7, put(m), pt);
    const t = get(pt, 35);
    const stored = (v: number) => (precision === "f32" ? Math.fround(v) : v);
    for (let r = 0; r < 5; r++) {
      for (let c = 0; c < 7; c++) assert.equal(t[c * 5 + r], stored(m[r * 7 + c]));
    }
    const ps = put(new Float64Array(7));
    k.addColumnSums(5, 7, put(m), ps);
    const expected = new Float64Array(7);
    for (let r = 0; r < 5; r++) for (let c = 0; c < 7; c++) expected[c] += m[r * 7 + c];
    assert.ok(relativeError(get(ps, 7), expected) < tol);
  });
}

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

// Matrix products over row-major matrices in linear memory.
// Each product has an event-driven form (work proportional to the non-zeros of the sparse
// operand, the common case for spike trains) and a register-blocked dense form; the dispatchers
// pick one from the measured density of the sparse operand.
import { at, axpy, countNonZero, lanes } from "./simd";

/**
 * Density above which the dense blocked kernels beat the event-driven ones. Measured by
 * `deno task bench`: on 100-neuron layers (f32) the event-driven kernels are faster up to a
 * density of about 0.5, the dense ones beyond.
 */
export const DENSE_ABOVE: f64 = 0.5;

/**
 * C[M][N] += A[M][K] @ B[K][N], skipping zero elements of A (event-driven). A vector of A that
 * is all zeros is passed over with one test; the products of the others are added in increasing k.
 */
export function gemmNNEvent<T>(M: i32, K: i32, N: i32, A: usize, B: usize, C: usize): void {
  const L = lanes<T>();
  const Kv = K - K % L;
  for (let m = 0; m < M; m++) {
    const rowA = at<T>(A, m * K);
    const rowC = at<T>(C, m * N);
    for (let k0 = 0; k0 < Kv; k0 += L) {
      if (!v128.any_true(v128.load(at<T>(rowA, k0)))) continue;
      for (let k = k0; k < k0 + L; k++) {
        const a = load<T>(at<T>(rowA, k));
        if (a != <T>0) axpy<T>(rowC, at<T>(B, k * N), a, N);
      }
    }
    for (let k = Kv; k < K; k++) {
      const a = load<T>(at<T>(rowA, k));
      if (a != <T>0) axpy<T>(rowC, at<T>(B, k * N), a, N);
    }
  }
}

/** Bytes of B's column strip that gemmNNDense keeps in cache while it runs over every row of A. */
const DENSE_STRIP_BYTES: i32 = 393216;

/**
 * C[M][N] += A[M][K] @ B[K][N], blocked 4 rows x 2 vectors with register accumulators. The
 * columns are taken in strips of B (K x strip, about DENSE_STRIP_BYTES) that stay in cache while
 * every block of rows runs over them; each element still sums its products in increasing k from
 * C's value, so the strips change the speed, not the result.
 */
export function gemmNNDense<T>(M: i32, K: i32, N: i32, A: usize, B: usize, C: usize): void {
  const L = lanes<T>();
  const W = 2 * L;
  const Mb = M - M % 4;
  const Nb = N - N % W;
  let strip = K > 0 ? (DENSE_STRIP_BYTES / K) >> alignof<T>() : Nb;
  strip -= strip % W;
  if (strip < W) strip = W;
  for (let j0 = 0; j0 < Nb; j0 += strip) {
    const j1 = j0 + strip < Nb ? j0 + strip : Nb;
    for (let m = 0; m < Mb; m += 4) {
      const a0 = at<T>(A, m * K), a1 = at<T>(A, (m + 1) * K);
      const a2 = at<T>(A, (m + 2) * K), a3 = at<T>(A, (m + 3) * K);
      const c0 = at<T>(C, m * N), c1 = at<T>(C, (m + 1) * N);
      const c2 = at<T>(C, (m + 2) * N), c3 = at<T>(C, (m + 3) * N);
      gemmNNBlock4x2<T>(K, N, j0, j1, a0, a1, a2, a3, B, c0, c1, c2, c3);
    }
  }
  for (let m = 0; m < Mb; m += 4) {
    const a0 = at<T>(A, m * K), a1 = at<T>(A, (m + 1) * K);
    const a2 = at<T>(A, (m + 2) * K), a3 = at<T>(A, (m + 3) * K);
    const c0 = at<T>(C, m * N), c1 = at<T>(C, (m + 1) * N);
    const c2 = at<T>(C, (m + 2) * N), c3 = at<T>(C, (m + 3) * N);
    // One more vector of columns, then single columns; each sums its products from zero and
    // adds them to C at the end (lane for lane the same arithmetic as the scalar loop).
    const Nv = N - N % L;
    for (let j = Nb; j < Nv; j += L) {
      let t0 = v128.splat<T>(<T>0), t1 = t0, t2 = t0, t3 = t0;
      for (let k = 0; k < K; k++) {
        const b = v128.load(at<T>(B, k * N + j));
        t0 = v128.add<T>(t0, v128.mul<T>(v128.splat<T>(load<T>(at<T>(a0, k))), b));
        t1 = v128.add<T>(t1, v128.mul<T>(v128.splat<T>(load<T>(at<T>(a1, k))), b));
        t2 = v128.add<T>(t2, v128.mul<T>(v128.splat<T>(load<T>(at<T>(a2, k))), b));
        t3 = v128.add<T>(t3, v128.mul<T>(v128.splat<T>(load<T>(at<T>(a3, k))), b));
      }
      v128.store(at<T>(c0, j), v128.add<T>(v128.load(at<T>(c0, j)), t0));
      v128.store(at<T>(c1, j), v128.add<T>(v128.load(at<T>(c1, j)), t1));
      v128.store(at<T>(c2, j), v128.add<T>(v128.load(at<T>(c2, j)), t2));
      v128.store(at<T>(c3, j), v128.add<T>(v128.load(at<T>(c3, j)), t3));
    }
    for (let j = Nv; j < N; j++) {
      let t0: T = <T>0, t1: T = <T>0, t2: T = <T>0, t3: T = <T>0;
      for (let k = 0; k < K; k++) {
        const b = load<T>(at<T>(B, k * N + j));
        t0 += load<T>(at<T>(a0, k)) * b;
        t1 += load<T>(at<T>(a1, k)) * b;
        t2 += load<T>(at<T>(a2, k)) * b;
        t3 += load<T>(at<T>(a3, k)) * b;
      }
      store<T>(at<T>(c0, j), load<T>(at<T>(c0, j)) + t0);
      store<T>(at<T>(c1, j), load<T>(at<T>(c1, j)) + t1);
      store<T>(at<T>(c2, j), load<T>(at<T>(c2, j)) + t2);
      store<T>(at<T>(c3, j), load<T>(at<T>(c3, j)) + t3);
    }
  }
  for (let m = Mb; m < M; m++) {
    const rowA = at<T>(A, m * K);
    const rowC = at<T>(C, m * N);
    for (let k = 0; k < K; k++) axpy<T>(rowC, at<T>(B, k * N), load<T>(at<T>(rowA, k)), N);
  }
}

/** gemmNNDense's register kernel: rows a0..a3 of A times columns [j0, j1) of B into c0..c3. */
// @ts-ignore: decorator
@inline function gemmNNBlock4x2<T>(
  K: i32, N: i32, j0: i32, j1: i32, a0: usize, a1: usize, a2: usize, a3: usize, B: usize,
  c0: usize, c1: usize, c2: usize, c3: usize,
): void {
  const L = lanes<T>();
  const W = 2 * L;
  for (let j = j0; j < j1; j += W) {
    let s00 = v128.load(at<T>(c0, j)), s01 = v128.load(at<T>(c0, j + L));
    let s10 = v128.load(at<T>(c1, j)), s11 = v128.load(at<T>(c1, j + L));
    let s20 = v128.load(at<T>(c2, j)), s21 = v128.load(at<T>(c2, j + L));
    let s30 = v128.load(at<T>(c3, j)), s31 = v128.load(at<T>(c3, j + L));
    for (let k = 0; k < K; k++) {
      const rowB = at<T>(B, k * N + j);
      const b0 = v128.load(rowB), b1 = v128.load(rowB, 16);
      const x0 = v128.splat<T>(load<T>(at<T>(a0, k)));
      const x1 = v128.splat<T>(load<T>(at<T>(a1, k)));
      const x2 = v128.splat<T>(load<T>(at<T>(a2, k)));
      const x3 = v128.splat<T>(load<T>(at<T>(a3, k)));
      s00 = v128.add<T>(s00, v128.mul<T>(x0, b0));
      s01 = v128.add<T>(s01, v128.mul<T>(x0, b1));
      s10 = v128.add<T>(s10, v128.mul<T>(x1, b0));
      s11 = v128.add<T>(s11, v128.mul<T>(x1, b1));
      s20 = v128.add<T>(s20, v128.mul<T>(x2, b0));
      s21 = v128.add<T>(s21, v128.mul<T>(x2, b1));
      s30 = v128.add<T>(s30, v128.mul<T>(x3, b0));
      s31 = v128.add<T>(s31, v128.mul<T>(x3, b1));
    }
    v128.store(at<T>(c0, j), s00);
    v128.store(at<T>(c0, j + L), s01);
    v128.store(at<T>(c1, j), s10);
    v128.store(at<T>(c1, j + L), s11);
    v128.store(at<T>(c2, j), s20);
    v128.store(at<T>(c2, j + L), s21);
    v128.store(at<T>(c3, j), s30);
    v128.store(at<T>(c3, j + L), s31);
  }
}

/** Rows of A that gemmNNEventRows lists at a time (its scratch holds this many lists). */
export const EVENT_ROWS_CHUNK: i32 = 256;

/**
 * C[M][N] += A[M][K] @ B[K][N] for a sparse A (e.g. the spikes of many steps and trials),
 * event-driven, for chunks of EVENT_ROWS_CHUNK rows: the non-zero columns of each row of the
 * chunk are listed once (i32 scratch `idx` of min(M, EVENT_ROWS_CHUNK) x (K + 2)), then for each
 * block of 8 vectors of columns every row of the chunk adds the rows of B it lists into 8
 * register accumulators; the block of B (K x 8 vectors) stays in cache over the chunk's rows.
 * Every element sums its terms in increasing k from C's value, skipping zeros of A: the result
 * equals gemmNNEvent's bit for bit (and gemmNNDense's, for finite B and C starting at +0).
 */
export function gemmNNEventRows<T>(
  M: i32, K: i32, N: i32, A: usize, B: usize, C: usize, idx: usize,
): void {
  for (let m0 = 0; m0 < M; m0 += EVENT_ROWS_CHUNK) {
    const rows = M - m0 < EVENT_ROWS_CHUNK ? M - m0 : EVENT_ROWS_CHUNK;
    eventRowsChunk<T>(rows, K, N, at<T>(A, m0 * K), B, at<T>(C, m0 * N), idx);
  }
}

function eventRowsChunk<T>(
  M: i32, K: i32, N: i32, A: usize, B: usize, C: usize, idx: usize,
): void {
  const L = lanes<T>();
  const Kv = K - K % L;
  const lists = idx + (<usize>M << 2);
  for (let m = 0; m < M; m++) {
    const rowA = at<T>(A, m * K);
    const list = lists + ((<usize>m * <usize>K) << 2);
    let c = 0;
    for (let k0 = 0; k0 < Kv; k0 += L) {
      if (!v128.any_true(v128.load(at<T>(rowA, k0)))) continue;
      for (let k = k0; k < k0 + L; k++) {
        if (load<T>(at<T>(rowA, k)) != <T>0) {
          store<i32>(list + (<usize>c << 2), k);
          c++;
        }
      }
    }
    for (let k = Kv; k < K; k++) {
      if (load<T>(at<T>(rowA, k)) != <T>0) {
        store<i32>(list + (<usize>c << 2), k);
        c++;
      }
    }
    store<i32>(idx + (<usize>m << 2), c);
  }
  // rows whose listed values are all 1 (spikes) add the rows of B without the product (1 w = w)
  const ones = idx + (<usize>M << 2) + ((<usize>M * <usize>K) << 2);
  for (let m = 0; m < M; m++) {
    const rowA = at<T>(A, m * K);
    const list = lists + ((<usize>m * <usize>K) << 2);
    const cnt = load<i32>(idx + (<usize>m << 2));
    let all: i32 = 1;
    for (let q = 0; q < cnt; q++) {
      if (load<T>(at<T>(rowA, load<i32>(list + (<usize>q << 2)))) != <T>1) {
        all = 0;
        break;
      }
    }
    store<i32>(ones + (<usize>m << 2), all);
  }
  const WB = 8 * L;
  const Nw = N - N % WB;
  for (let j = 0; j < Nw; j += WB) {
    for (let m = 0; m < M; m++) {
      const cnt = load<i32>(idx + (<usize>m << 2));
      if (cnt == 0) continue;
      const rowA = at<T>(A, m * K);
      const list = lists + ((<usize>m * <usize>K) << 2);
      const rowC = at<T>(C, m * N + j);
      let s0 = v128.load(rowC), s1 = v128.load(rowC, 16), s2 = v128.load(rowC, 32);
      let s3 = v128.load(rowC, 48), s4 = v128.load(rowC, 64), s5 = v128.load(rowC, 80);
      let s6 = v128.load(rowC, 96), s7 = v128.load(rowC, 112);
      if (load<i32>(ones + (<usize>m << 2))) {
        for (let q = 0; q < cnt; q++) {
          const rowB = at<T>(B, load<i32>(list + (<usize>q << 2)) * N + j);
          s0 = v128.add<T>(s0, v128.load(rowB));
          s1 = v128.add<T>(s1, v128.load(rowB, 16));
          s2 = v128.add<T>(s2, v128.load(rowB, 32));
          s3 = v128.add<T>(s3, v128.load(rowB, 48));
          s4 = v128.add<T>(s4, v128.load(rowB, 64));
          s5 = v128.add<T>(s5, v128.load(rowB, 80));
          s6 = v128.add<T>(s6, v128.load(rowB, 96));
          s7 = v128.add<T>(s7, v128.load(rowB, 112));
        }
      } else {
        for (let q = 0; q < cnt; q++) {
          const k = load<i32>(list + (<usize>q << 2));
          const a = v128.splat<T>(load<T>(at<T>(rowA, k)));
          const rowB = at<T>(B, k * N + j);
          s0 = v128.add<T>(s0, v128.mul<T>(a, v128.load(rowB)));
          s1 = v128.add<T>(s1, v128.mul<T>(a, v128.load(rowB, 16)));
          s2 = v128.add<T>(s2, v128.mul<T>(a, v128.load(rowB, 32)));
          s3 = v128.add<T>(s3, v128.mul<T>(a, v128.load(rowB, 48)));
          s4 = v128.add<T>(s4, v128.mul<T>(a, v128.load(rowB, 64)));
          s5 = v128.add<T>(s5, v128.mul<T>(a, v128.load(rowB, 80)));
          s6 = v128.add<T>(s6, v128.mul<T>(a, v128.load(rowB, 96)));
          s7 = v128.add<T>(s7, v128.mul<T>(a, v128.load(rowB, 112)));
        }
      }
      v128.store(rowC, s0);
      v128.store(rowC, s1, 16);
      v128.store(rowC, s2, 32);
      v128.store(rowC, s3, 48);
      v128.store(rowC, s4, 64);
      v128.store(rowC, s5, 80);
      v128.store(rowC, s6, 96);
      v128.store(rowC, s7, 112);
    }
  }
  // then blocks of 4 vectors, single vectors, single columns
  const Nq = Nw + (N - Nw) - (N - Nw) % (4 * L);
  const Nv = N - N % L;
  for (let m = 0; m < M; m++) {
    const cnt = load<i32>(idx + (<usize>m << 2));
    if (cnt == 0) continue;
    const rowA = at<T>(A, m * K);
    const list = lists + ((<usize>m * <usize>K) << 2);
    for (let j = Nw; j < Nq; j += 4 * L) {
      const rowC = at<T>(C, m * N + j);
      let s0 = v128.load(rowC), s1 = v128.load(rowC, 16), s2 = v128.load(rowC, 32);
      let s3 = v128.load(rowC, 48);
      for (let q = 0; q < cnt; q++) {
        const k = load<i32>(list + (<usize>q << 2));
        const a = v128.splat<T>(load<T>(at<T>(rowA, k)));
        const rowB = at<T>(B, k * N + j);
        s0 = v128.add<T>(s0, v128.mul<T>(a, v128.load(rowB)));
        s1 = v128.add<T>(s1, v128.mul<T>(a, v128.load(rowB, 16)));
        s2 = v128.add<T>(s2, v128.mul<T>(a, v128.load(rowB, 32)));
        s3 = v128.add<T>(s3, v128.mul<T>(a, v128.load(rowB, 48)));
      }
      v128.store(rowC, s0);
      v128.store(rowC, s1, 16);
      v128.store(rowC, s2, 32);
      v128.store(rowC, s3, 48);
    }
    for (let j = Nq; j < Nv; j += L) {
      const pc = at<T>(C, m * N + j);
      let s = v128.load(pc);
      for (let q = 0; q < cnt; q++) {
        const k = load<i32>(list + (<usize>q << 2));
        s = v128.add<T>(s, v128.mul<T>(v128.splat<T>(load<T>(at<T>(rowA, k))), v128.load(at<T>(B, k * N + j))));
      }
      v128.store(pc, s);
    }
    for (let j = Nv; j < N; j++) {
      const pc = at<T>(C, m * N + j);
      let s = load<T>(pc);
      for (let q = 0; q < cnt; q++) {
        const k = load<i32>(list + (<usize>q << 2));
        s = s + load<T>(at<T>(rowA, k)) * load<T>(at<T>(B, k * N + j));
      }
      store<T>(pc, s);
    }
  }
}

/** C += A @ B choosing the event-driven or dense kernel from the density of A. */
export function gemmNN<T>(M: i32, K: i32, N: i32, A: usize, B: usize, C: usize): void {
  const total = M * K;
  if (total == 0) return;
  const density = <f64>countNonZero<T>(A, total) / <f64>total;
  if (density > DENSE_ABOVE) gemmNNDense<T>(M, K, N, A, B, C);
  else gemmNNEvent<T>(M, K, N, A, B, C);
}

/** Bytes of G's block of rows that gemmTNEvent keeps in cache while it runs over every row of P. */
const EVENT_G_BLOCK_BYTES: i32 = 262144;

/** G[K][N] += scale * P[R][K]^T @ D[R][N], skipping zero elements (and zero vectors) of P. */
export function gemmTNEvent<T>(
  R: i32, K: i32, N: i32, P: usize, D: usize, G: usize, scale: T,
): void {
  gemmTNEventStrided<T>(R, K, N, P, D, N, G, scale);
}

/**
 * G[K][N] += scale * P[R][K]^T @ D[R][N] where row r of D starts at D + r ldD (e.g. one
 * episode's rows of a time-major [T][B][N] record: ldD = B N), skipping zero elements (and zero
 * vectors) of P. G is taken in blocks of rows (about EVENT_G_BLOCK_BYTES) that stay in cache
 * while every row of P runs over them; each element of G still receives its terms in increasing
 * r, so the blocks change the speed, not the result.
 */
export function gemmTNEventStrided<T>(
  R: i32, K: i32, N: i32, P: usize, D: usize, ldD: i32, G: usize, scale: T,
): void {
  const L = lanes<T>();
  const Kv = K - K % L;
  let KB = N > 0 ? (EVENT_G_BLOCK_BYTES / N) >> alignof<T>() : Kv;
  KB -= KB % L;
  if (KB < L) KB = L;
  for (let kb0 = 0; kb0 < Kv; kb0 += KB) {
    const kb1 = kb0 + KB < Kv ? kb0 + KB : Kv;
    for (let r = 0; r < R; r++) {
      const rowP = at<T>(P, r * K);
      const rowD = at<T>(D, r * ldD);
      for (let k0 = kb0; k0 < kb1; k0 += L) {
        if (!v128.any_true(v128.load(at<T>(rowP, k0)))) continue;
        for (let k = k0; k < k0 + L; k++) {
          const p = load<T>(at<T>(rowP, k));
          if (p != <T>0) axpy<T>(at<T>(G, k * N), rowD, p * scale, N);
        }
      }
    }
  }
  for (let r = 0; r < R; r++) {
    const rowP = at<T>(P, r * K);
    const rowD = at<T>(D, r * ldD);
    for (let k = Kv; k < K; k++) {
      const p = load<T>(at<T>(rowP, k));
      if (p != <T>0) axpy<T>(at<T>(G, k * N), rowD, p * scale, N);
    }
  }
}

/**
 * In place over rows [T][K] of presynaptic values: P(t) = alpha eps(t-1) + P(t), the filtered
 * trace eps (computed in float64 in the scratch `eps` [K], stored in T), restarting from zero
 * after each row t with cut[t] != 0 (cut: u8 [T], or 0 for none).
 */
export function traceFilter<T>(
  steps: i32, K: i32, alpha: f64, P: usize, cut: usize, eps: usize,
): void {
  memory.fill(eps, 0, <usize>K << 3);
  for (let t = 0; t < steps; t++) {
    const row = at<T>(P, t * K);
    for (let i = 0; i < K; i++) {
      const pi = eps + (<usize>i << 3);
      const e = alpha * load<f64>(pi) + <f64>load<T>(at<T>(row, i));
      store<f64>(pi, e);
      store<T>(at<T>(row, i), <T>e);
    }
    if (cut != 0 && load<u8>(cut + <usize>t) != 0) memory.fill(eps, 0, <usize>K << 3);
  }
}

/** G[K][N] += scale * P[R][K]^T @ D[R][N], blocked 4 rows of G x 2 vectors, summing over R. */
export function gemmTNDense<T>(
  R: i32, K: i32, N: i32, P: usize, D: usize, G: usize, scale: T,
): void {
  const L = lanes<T>();
  const W = 2 * L;
  const Kb = K - K % 4;
  const Nb = N - N % W;
  const vs = v128.splat<T>(scale);
  for (let k = 0; k < Kb; k += 4) {
    const g0 = at<T>(G, k * N), g1 = at<T>(G, (k + 1) * N);
    const g2 = at<T>(G, (k + 2) * N), g3 = at<T>(G, (k + 3) * N);
    for (let j = 0; j < Nb; j += W) {
      let s00 = v128.splat<T>(<T>0), s01 = s00, s10 = s00, s11 = s00;
      let s20 = s00, s21 = s00, s30 = s00, s31 = s00;
      for (let r = 0; r < R; r++) {
        const rowD = at<T>(D, r * N + j);
        const d0 = v128.load(rowD), d1 = v128.load(rowD, 16);
        const rowP = at<T>(P, r * K + k);
        const x0 = v128.splat<T>(load<T>(rowP));
        const x1 = v128.splat<T>(load<T>(at<T>(rowP, 1)));
        const x2 = v128.splat<T>(load<T>(at<T>(rowP, 2)));
        const x3 = v128.splat<T>(load<T>(at<T>(rowP, 3)));
        s00 = v128.add<T>(s00, v128.mul<T>(x0, d0));
        s01 = v128.add<T>(s01, v128.mul<T>(x0, d1));
        s10 = v128.add<T>(s10, v128.mul<T>(x1, d0));
        s11 = v128.add<T>(s11, v128.mul<T>(x1, d1));
        s20 = v128.add<T>(s20, v128.mul<T>(x2, d0));
        s21 = v128.add<T>(s21, v128.mul<T>(x2, d1));
        s30 = v128.add<T>(s30, v128.mul<T>(x3, d0));
        s31 = v128.add<T>(s31, v128.mul<T>(x3, d1));
      }
      v128.store(at<T>(g0, j), v128.add<T>(v128.load(at<T>(g0, j)), v128.mul<T>(vs, s00)));
      v128.store(at<T>(g0, j + L), v128.add<T>(v128.load(at<T>(g0, j + L)), v128.mul<T>(vs, s01)));
      v128.store(at<T>(g1, j), v128.add<T>(v128.load(at<T>(g1, j)), v128.mul<T>(vs, s10)));
      v128.store(at<T>(g1, j + L), v128.add<T>(v128.load(at<T>(g1, j + L)), v128.mul<T>(vs, s11)));
      v128.store(at<T>(g2, j), v128.add<T>(v128.load(at<T>(g2, j)), v128.mul<T>(vs, s20)));
      v128.store(at<T>(g2, j + L), v128.add<T>(v128.load(at<T>(g2, j + L)), v128.mul<T>(vs, s21)));
      v128.store(at<T>(g3, j), v128.add<T>(v128.load(at<T>(g3, j)), v128.mul<T>(vs, s30)));
      v128.store(at<T>(g3, j + L), v128.add<T>(v128.load(at<T>(g3, j + L)), v128.mul<T>(vs, s31)));
    }
    // As in gemmNNDense: one more vector of columns, then single ones, in the scalar order.
    const Nv = N - N % L;
    for (let j = Nb; j < Nv; j += L) {
      let t0 = v128.splat<T>(<T>0), t1 = t0, t2 = t0, t3 = t0;
      for (let r = 0; r < R; r++) {
        const d = v128.load(at<T>(D, r * N + j));
        const rowP = at<T>(P, r * K + k);
        t0 = v128.add<T>(t0, v128.mul<T>(v128.splat<T>(load<T>(rowP)), d));
        t1 = v128.add<T>(t1, v128.mul<T>(v128.splat<T>(load<T>(at<T>(rowP, 1))), d));
        t2 = v128.add<T>(t2, v128.mul<T>(v128.splat<T>(load<T>(at<T>(rowP, 2))), d));
        t3 = v128.add<T>(t3, v128.mul<T>(v128.splat<T>(load<T>(at<T>(rowP, 3))), d));
      }
      v128.store(at<T>(g0, j), v128.add<T>(v128.load(at<T>(g0, j)), v128.mul<T>(vs, t0)));
      v128.store(at<T>(g1, j), v128.add<T>(v128.load(at<T>(g1, j)), v128.mul<T>(vs, t1)));
      v128.store(at<T>(g2, j), v128.add<T>(v128.load(at<T>(g2, j)), v128.mul<T>(vs, t2)));
      v128.store(at<T>(g3, j), v128.add<T>(v128.load(at<T>(g3, j)), v128.mul<T>(vs, t3)));
    }
    for (let j = Nv; j < N; j++) {
      let t0: T = <T>0, t1: T = <T>0, t2: T = <T>0, t3: T = <T>0;
      for (let r = 0; r < R; r++) {
        const d = load<T>(at<T>(D, r * N + j));
        const rowP = at<T>(P, r * K + k);
        t0 += load<T>(rowP) * d;
        t1 += load<T>(at<T>(rowP, 1)) * d;
        t2 += load<T>(at<T>(rowP, 2)) * d;
        t3 += load<T>(at<T>(rowP, 3)) * d;
      }
      store<T>(at<T>(g0, j), load<T>(at<T>(g0, j)) + scale * t0);
      store<T>(at<T>(g1, j), load<T>(at<T>(g1, j)) + scale * t1);
      store<T>(at<T>(g2, j), load<T>(at<T>(g2, j)) + scale * t2);
      store<T>(at<T>(g3, j), load<T>(at<T>(g3, j)) + scale * t3);
    }
  }
  for (let r = 0; r < R; r++) {
    const rowD = at<T>(D, r * N);
    for (let k = Kb; k < K; k++) {
      axpy<T>(at<T>(G, k * N), rowD, scale * load<T>(at<T>(P, r * K + k)), N);
    }
  }
}

/** G += scale * P^T @ D choosing the event-driven or dense kernel from the density of P. */
export function gemmTN<T>(R: i32, K: i32, N: i32, P: usize, D: usize, G: usize, scale: T): void {
  const total = R * K;
  if (total == 0) return;
  const density = <f64>countNonZero<T>(P, total) / <f64>total;
  if (density > DENSE_ABOVE) gemmTNDense<T>(R, K, N, P, D, G, scale);
  else gemmTNEvent<T>(R, K, N, P, D, G, scale);
}

/** dst[c][r] = src[r][c] for a rows x cols matrix. */
export function transpose<T>(rows: i32, cols: i32, src: usize, dst: usize): void {
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      store<T>(at<T>(dst, c * rows + r), load<T>(at<T>(src, r * cols + c)));
    }
  }
}

/** dst[c] += sum_r src[r][c]: column sums of a rows x cols matrix. */
export function addColumnSums<T>(rows: i32, cols: i32, src: usize, dst: usize): void {
  for (let r = 0; r < rows; r++) axpy<T>(dst, at<T>(src, r * cols), <T>1, cols);
}

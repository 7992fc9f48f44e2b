// Spiking convolutional layers: the front end of the Atari agent (EPROP.md section 7, Figs. 4-5).
// Tensors are channels-last and row-major: inputs X [B][H][W][Cin], weights Wt [kh][kw][Cin][Cout],
// outputs Y [B][Ho][Wo][Cout] with Ho = (H - kh) / stride + 1 and Wo = (W - kw) / stride + 1
// (no padding). "B" may be any number of images, e.g. steps x trials of a time-major sequence.
//   Y[b][oy][ox][co] = sum_{ky, kx, ci} X[b][oy stride + ky][ox stride + kx][ci] Wt[ky][kx][ci][co]
// Every forward form sums in the order (ky, kx, ci) from +0, so the dense and the event-driven
// forms give the same bits. The neurons are LIF with the library's conventions (no adaptation, no
// refractoriness): v = alpha v + s I - thr z_prev, z = H(v - thr) / dt, psi = gamma/thr
// max(0, 1 - |v - thr| / thr), with the constants block of consts.ts.
import { at, countNonZero, lanes, zero } from "./simd";
import { C_ALPHA, C_DT, C_GAMMA, C_S, C_THR, constant } from "./consts";

/**
 * Densities of the input above which the dense convolution kernels are used (the event-driven ones
 * below). Measured on conv2 of the Atari front end (f32, 160 images of 20x20x16 spikes): the
 * dense forward takes 6.5 ms whatever the density; the event-driven one 4.5 ms at density 0.05,
 * 7.2 ms at 0.1 and 16 ms at 0.4 for random spikes (9 ms at 0.4 for the spatially regular spikes
 * of Pong frames); the weight gradient: dense 7.3 ms, event-driven 4.4 / 7.1 / 20 ms.
 */
export const CONV_FORWARD_DENSE_ABOVE: f64 = 0.15;
/** See CONV_FORWARD_DENSE_ABOVE. */
export const CONV_GRAD_DENSE_ABOVE: f64 = 0.1;

// @ts-ignore: decorator
@inline function outSize(n: i32, k: i32, stride: i32): i32 {
  return (n - k) / stride + 1;
}

/** Channels listed at a time by nonZeros (a static scratch of i32 indices). */
const NZ_CAP: i32 = 256;
const NZ: usize = memory.data(NZ_CAP << 2);

/** Lists the indices c in [c0, c1) with x[c] != 0 at NZ (c1 - c0 <= NZ_CAP); returns how many. */
// @ts-ignore: decorator
@inline function nonZeros<T>(x: usize, c0: i32, c1: i32): i32 {
  let m = 0;
  for (let c = c0; c < c1; c++) {
    if (load<T>(at<T>(x, c)) != <T>0) {
      store<i32>(NZ + (<usize>m << 2), c);
      m++;
    }
  }
  return m;
}

/**
 * Y = conv(X, Wt) (overwritten), gathering each output from its patch: 4 neighbouring output
 * positions x 2 vectors of output channels in registers, summing (ky, kx, ci) in order from +0.
 */
export function convForwardDense<T>(
  B: i32, H: i32, W: i32, Cin: i32, kh: i32, kw: i32, stride: i32, Cout: i32,
  X: usize, Wt: usize, Y: usize,
): void {
  const Ho = outSize(H, kh, stride), Wo = outSize(W, kw, stride);
  const L = lanes<T>(), V = 2 * L;
  const Cb = Cout - Cout % V, Cv = Cout - Cout % L;
  const K = kw * Cin; // one patch row (kx, ci) is contiguous in X and in Wt[ky]
  const rowX = W * Cin;
  const step = stride * Cin; // between the patches of neighbouring output positions
  const Wob = Wo - Wo % 4;
  const zeroV = v128.splat<T>(<T>0);
  for (let b = 0; b < B; b++) {
    for (let oy = 0; oy < Ho; oy++) {
      const xRow = at<T>(X, (b * H + oy * stride) * rowX);
      const yRow = at<T>(Y, (b * Ho + oy) * Wo * Cout);
      let ox = 0;
      for (; ox < Wob; ox += 4) {
        const xa = at<T>(xRow, ox * step);
        const y0 = at<T>(yRow, ox * Cout), y1 = at<T>(y0, Cout), y2 = at<T>(y1, Cout), y3 = at<T>(y2, Cout);
        for (let j = 0; j < Cb; j += V) {
          let s00 = zeroV, s01 = zeroV, s10 = zeroV, s11 = zeroV;
          let s20 = zeroV, s21 = zeroV, s30 = zeroV, s31 = zeroV;
          for (let ky = 0; ky < kh; ky++) {
            const xr = at<T>(xa, ky * rowX);
            const wr = at<T>(Wt, ky * K * Cout + j);
            for (let k = 0; k < K; k++) {
              const wk = at<T>(wr, k * Cout);
              const b0 = v128.load(wk), b1 = v128.load(wk, 16);
              const x0 = v128.splat<T>(load<T>(at<T>(xr, k)));
              const x1 = v128.splat<T>(load<T>(at<T>(xr, step + k)));
              const x2 = v128.splat<T>(load<T>(at<T>(xr, 2 * step + k)));
              const x3 = v128.splat<T>(load<T>(at<T>(xr, 3 * step + k)));
              s00 = v128.add<T>(s00, v128.mul<T>(x0, b0));
              s01 = v128.add<T>(s01, v128.mul<T>(x0, b1));
              s10 = v128.add<T>(s10, v128.mul<T>(x1, b0));
              s11 = v128.add<T>(s11, v128.mul<T>(x1, b1));
              s20 = v128.add<T>(s20, v128.mul<T>(x2, b0));
              s21 = v128.add<T>(s21, v128.mul<T>(x2, b1));
              s30 = v128.add<T>(s30, v128.mul<T>(x3, b0));
              s31 = v128.add<T>(s31, v128.mul<T>(x3, b1));
            }
          }
          v128.store(at<T>(y0, j), s00);
          v128.store(at<T>(y0, j + L), s01);
          v128.store(at<T>(y1, j), s10);
          v128.store(at<T>(y1, j + L), s11);
          v128.store(at<T>(y2, j), s20);
          v128.store(at<T>(y2, j + L), s21);
          v128.store(at<T>(y3, j), s30);
          v128.store(at<T>(y3, j + L), s31);
        }
        for (let j = Cb; j < Cv; j += L) {
          let s0 = zeroV, s1 = zeroV, s2 = zeroV, s3 = zeroV;
          for (let ky = 0; ky < kh; ky++) {
            const xr = at<T>(xa, ky * rowX);
            const wr = at<T>(Wt, ky * K * Cout + j);
            for (let k = 0; k < K; k++) {
              const w = v128.load(at<T>(wr, k * Cout));
              s0 = v128.add<T>(s0, v128.mul<T>(v128.splat<T>(load<T>(at<T>(xr, k))), w));
              s1 = v128.add<T>(s1, v128.mul<T>(v128.splat<T>(load<T>(at<T>(xr, step + k))), w));
              s2 = v128.add<T>(s2, v128.mul<T>(v128.splat<T>(load<T>(at<T>(xr, 2 * step + k))), w));
              s3 = v128.add<T>(s3, v128.mul<T>(v128.splat<T>(load<T>(at<T>(xr, 3 * step + k))), w));
            }
          }
          v128.store(at<T>(y0, j), s0);
          v128.store(at<T>(y1, j), s1);
          v128.store(at<T>(y2, j), s2);
          v128.store(at<T>(y3, j), s3);
        }
        for (let j = Cv; j < Cout; j++) {
          let s0: T = <T>0, s1: T = <T>0, s2: T = <T>0, s3: T = <T>0;
          for (let ky = 0; ky < kh; ky++) {
            const xr = at<T>(xa, ky * rowX);
            const wr = at<T>(Wt, ky * K * Cout + j);
            for (let k = 0; k < K; k++) {
              const w = load<T>(at<T>(wr, k * Cout));
              s0 += load<T>(at<T>(xr, k)) * w;
              s1 += load<T>(at<T>(xr, step + k)) * w;
              s2 += load<T>(at<T>(xr, 2 * step + k)) * w;
              s3 += load<T>(at<T>(xr, 3 * step + k)) * w;
            }
          }
          store<T>(at<T>(y0, j), s0);
          store<T>(at<T>(y1, j), s1);
          store<T>(at<T>(y2, j), s2);
          store<T>(at<T>(y3, j), s3);
        }
      }
      for (; ox < Wo; ox++) {
        const xa = at<T>(xRow, ox * step);
        const y0 = at<T>(yRow, ox * Cout);
        let j = 0;
        for (; j < Cv; j += L) {
          let s0 = zeroV;
          for (let ky = 0; ky < kh; ky++) {
            const xr = at<T>(xa, ky * rowX);
            const wr = at<T>(Wt, ky * K * Cout + j);
            for (let k = 0; k < K; k++) {
              s0 = v128.add<T>(s0, v128.mul<T>(v128.splat<T>(load<T>(at<T>(xr, k))), v128.load(at<T>(wr, k * Cout))));
            }
          }
          v128.store(at<T>(y0, j), s0);
        }
        for (; j < Cout; j++) {
          let s0: T = <T>0;
          for (let ky = 0; ky < kh; ky++) {
            const xr = at<T>(xa, ky * rowX);
            const wr = at<T>(Wt, ky * K * Cout + j);
            for (let k = 0; k < K; k++) s0 += load<T>(at<T>(xr, k)) * load<T>(at<T>(wr, k * Cout));
          }
          store<T>(at<T>(y0, j), s0);
        }
      }
    }
  }
}

/**
 * Y = conv(X, Wt) (overwritten), event-driven: each non-zero input element is scattered to the
 * outputs whose patch holds it (the non-zero channels of a pixel are listed once, then added to
 * each output with 2 vectors of output channels in registers). Every
 * output receives its terms in the order (ky, kx, ci), so the result equals convForwardDense's
 * bit for bit.
 */
export function convForwardEvent<T>(
  B: i32, H: i32, W: i32, Cin: i32, kh: i32, kw: i32, stride: i32, Cout: i32,
  X: usize, Wt: usize, Y: usize,
): void {
  const Ho = outSize(H, kh, stride), Wo = outSize(W, kw, stride);
  const L = lanes<T>(), V = 2 * L;
  const Cb = Cout - Cout % V, Cv = Cout - Cout % L;
  zero<T>(Y, B * Ho * Wo * Cout);
  for (let b = 0; b < B; b++) {
    for (let iy = 0; iy < H; iy++) {
      for (let ix = 0; ix < W; ix++) {
        const px = at<T>(X, ((b * H + iy) * W + ix) * Cin);
        for (let c0 = 0; c0 < Cin; c0 += NZ_CAP) {
          const m = nonZeros<T>(px, c0, min(Cin, c0 + NZ_CAP));
          if (m == 0) continue;
          for (let ky = 0; ky < kh; ky++) {
            const dy = iy - ky;
            if (dy < 0) break;
            if (dy % stride != 0) continue;
            const oy = dy / stride;
            if (oy >= Ho) continue;
            for (let kx = 0; kx < kw; kx++) {
              const dx = ix - kx;
              if (dx < 0) break;
              if (dx % stride != 0) continue;
              const ox = dx / stride;
              if (ox >= Wo) continue;
              const out = at<T>(Y, ((b * Ho + oy) * Wo + ox) * Cout);
              const wb = at<T>(Wt, (ky * kw + kx) * Cin * Cout);
              for (let j = 0; j < Cb; j += V) {
                let a0 = v128.load(at<T>(out, j)), a1 = v128.load(at<T>(out, j + L));
                for (let q = 0; q < m; q++) {
                  const ci = load<i32>(NZ + (<usize>q << 2));
                  const z = v128.splat<T>(load<T>(at<T>(px, ci)));
                  const wp = at<T>(wb, ci * Cout + j);
                  a0 = v128.add<T>(a0, v128.mul<T>(z, v128.load(wp)));
                  a1 = v128.add<T>(a1, v128.mul<T>(z, v128.load(wp, 16)));
                }
                v128.store(at<T>(out, j), a0);
                v128.store(at<T>(out, j + L), a1);
              }
              for (let j = Cb; j < Cv; j += L) {
                let a0 = v128.load(at<T>(out, j));
                for (let q = 0; q < m; q++) {
                  const ci = load<i32>(NZ + (<usize>q << 2));
                  a0 = v128.add<T>(a0, v128.mul<T>(v128.splat<T>(load<T>(at<T>(px, ci))), v128.load(at<T>(wb, ci * Cout + j))));
                }
                v128.store(at<T>(out, j), a0);
              }
              for (let j = Cv; j < Cout; j++) {
                let a0 = load<T>(at<T>(out, j));
                for (let q = 0; q < m; q++) {
                  const ci = load<i32>(NZ + (<usize>q << 2));
                  a0 += load<T>(at<T>(px, ci)) * load<T>(at<T>(wb, ci * Cout + j));
                }
                store<T>(at<T>(out, j), a0);
              }
            }
          }
        }
      }
    }
  }
}

/** Y = conv(X, Wt), choosing the event-driven or dense form from the density of X (same bits). */
export function convForward<T>(
  B: i32, H: i32, W: i32, Cin: i32, kh: i32, kw: i32, stride: i32, Cout: i32,
  X: usize, Wt: usize, Y: usize,
): void {
  const total = B * H * W * Cin;
  if (total == 0) return;
  const density = <f64>countNonZero<T>(X, total) / <f64>total;
  if (density > CONV_FORWARD_DENSE_ABOVE) convForwardDense<T>(B, H, W, Cin, kh, kw, stride, Cout, X, Wt, Y);
  else convForwardEvent<T>(B, H, W, Cin, kh, kw, stride, Cout, X, Wt, Y);
}

/**
 * G[ky][kx][ci][co] += scale * sum_{b, oy, ox} X[b][oy stride + ky][ox stride + kx][ci] D[b][oy][ox][co]
 * (the weight gradient from the error D at the outputs), dense: 4 rows (kx, ci) of G x 2 vectors
 * of output channels in registers, summed over every output position.
 */
export function convWeightGradDense<T>(
  B: i32, H: i32, W: i32, Cin: i32, kh: i32, kw: i32, stride: i32, Cout: i32,
  X: usize, D: usize, G: usize, scale: T,
): void {
  const Ho = outSize(H, kh, stride), Wo = outSize(W, kw, stride);
  const L = lanes<T>(), V = 2 * L;
  const Cb = Cout - Cout % V, Cv = Cout - Cout % L;
  const K = kw * Cin;
  const Kb = K - K % 4;
  const rowX = W * Cin;
  const step = stride * Cin;
  const zeroV = v128.splat<T>(<T>0);
  const vs = v128.splat<T>(scale);
  for (let ky = 0; ky < kh; ky++) {
    const gk = at<T>(G, ky * K * Cout);
    for (let k = 0; k < Kb; k += 4) {
      const g0 = at<T>(gk, k * Cout), g1 = at<T>(g0, Cout), g2 = at<T>(g1, Cout), g3 = at<T>(g2, Cout);
      for (let j = 0; j < Cb; j += V) {
        let s00 = zeroV, s01 = zeroV, s10 = zeroV, s11 = zeroV;
        let s20 = zeroV, s21 = zeroV, s30 = zeroV, s31 = zeroV;
        for (let b = 0; b < B; b++) {
          for (let oy = 0; oy < Ho; oy++) {
            const xr = at<T>(X, (b * H + oy * stride + ky) * rowX + k);
            const dr = at<T>(D, ((b * Ho + oy) * Wo) * Cout + j);
            for (let ox = 0; ox < Wo; ox++) {
              const xp = at<T>(xr, ox * step);
              const dp = at<T>(dr, ox * Cout);
              const d0 = v128.load(dp), d1 = v128.load(dp, 16);
              const x0 = v128.splat<T>(load<T>(xp));
              const x1 = v128.splat<T>(load<T>(at<T>(xp, 1)));
              const x2 = v128.splat<T>(load<T>(at<T>(xp, 2)));
              const x3 = v128.splat<T>(load<T>(at<T>(xp, 3)));
              s00 = v128.add<T>(s00, v128.mul<T>(x0, d0));
              s01 = v128.add<T>(s01, v128.mul<T>(x0, d1));
              s10 = v128.add<T>(s10, v128.mul<T>(x1, d0));
              s11 = v128.add<T>(s11, v128.mul<T>(x1, d1));
              s20 = v128.add<T>(s20, v128.mul<T>(x2, d0));
              s21 = v128.add<T>(s21, v128.mul<T>(x2, d1));
              s30 = v128.add<T>(s30, v128.mul<T>(x3, d0));
              s31 = v128.add<T>(s31, v128.mul<T>(x3, d1));
            }
          }
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
      for (let j = Cb; j < Cv; j += L) {
        let s0 = zeroV, s1 = zeroV, s2 = zeroV, s3 = zeroV;
        for (let b = 0; b < B; b++) {
          for (let oy = 0; oy < Ho; oy++) {
            const xr = at<T>(X, (b * H + oy * stride + ky) * rowX + k);
            const dr = at<T>(D, ((b * Ho + oy) * Wo) * Cout + j);
            for (let ox = 0; ox < Wo; ox++) {
              const xp = at<T>(xr, ox * step);
              const d = v128.load(at<T>(dr, ox * Cout));
              s0 = v128.add<T>(s0, v128.mul<T>(v128.splat<T>(load<T>(xp)), d));
              s1 = v128.add<T>(s1, v128.mul<T>(v128.splat<T>(load<T>(at<T>(xp, 1))), d));
              s2 = v128.add<T>(s2, v128.mul<T>(v128.splat<T>(load<T>(at<T>(xp, 2))), d));
              s3 = v128.add<T>(s3, v128.mul<T>(v128.splat<T>(load<T>(at<T>(xp, 3))), d));
            }
          }
        }
        v128.store(at<T>(g0, j), v128.add<T>(v128.load(at<T>(g0, j)), v128.mul<T>(vs, s0)));
        v128.store(at<T>(g1, j), v128.add<T>(v128.load(at<T>(g1, j)), v128.mul<T>(vs, s1)));
        v128.store(at<T>(g2, j), v128.add<T>(v128.load(at<T>(g2, j)), v128.mul<T>(vs, s2)));
        v128.store(at<T>(g3, j), v128.add<T>(v128.load(at<T>(g3, j)), v128.mul<T>(vs, s3)));
      }
      for (let j = Cv; j < Cout; j++) {
        let s0: T = <T>0, s1: T = <T>0, s2: T = <T>0, s3: T = <T>0;
        for (let b = 0; b < B; b++) {
          for (let oy = 0; oy < Ho; oy++) {
            const xr = at<T>(X, (b * H + oy * stride + ky) * rowX + k);
            const dr = at<T>(D, ((b * Ho + oy) * Wo) * Cout + j);
            for (let ox = 0; ox < Wo; ox++) {
              const xp = at<T>(xr, ox * step);
              const d = load<T>(at<T>(dr, ox * Cout));
              s0 += load<T>(xp) * d;
              s1 += load<T>(at<T>(xp, 1)) * d;
              s2 += load<T>(at<T>(xp, 2)) * d;
              s3 += load<T>(at<T>(xp, 3)) * d;
            }
          }
        }
        store<T>(at<T>(g0, j), load<T>(at<T>(g0, j)) + scale * s0);
        store<T>(at<T>(g1, j), load<T>(at<T>(g1, j)) + scale * s1);
        store<T>(at<T>(g2, j), load<T>(at<T>(g2, j)) + scale * s2);
        store<T>(at<T>(g3, j), load<T>(at<T>(g3, j)) + scale * s3);
      }
    }
    for (let k = Kb; k < K; k++) {
      const g0 = at<T>(gk, k * Cout);
      let j = 0;
      for (; j < Cv; j += L) {
        let s0 = zeroV;
        for (let b = 0; b < B; b++) {
          for (let oy = 0; oy < Ho; oy++) {
            const xr = at<T>(X, (b * H + oy * stride + ky) * rowX + k);
            const dr = at<T>(D, ((b * Ho + oy) * Wo) * Cout + j);
            for (let ox = 0; ox < Wo; ox++) {
              s0 = v128.add<T>(s0, v128.mul<T>(v128.splat<T>(load<T>(at<T>(xr, ox * step))), v128.load(at<T>(dr, ox * Cout))));
            }
          }
        }
        v128.store(at<T>(g0, j), v128.add<T>(v128.load(at<T>(g0, j)), v128.mul<T>(vs, s0)));
      }
      for (; j < Cout; j++) {
        let s0: T = <T>0;
        for (let b = 0; b < B; b++) {
          for (let oy = 0; oy < Ho; oy++) {
            const xr = at<T>(X, (b * H + oy * stride + ky) * rowX + k);
            const dr = at<T>(D, ((b * Ho + oy) * Wo) * Cout + j);
            for (let ox = 0; ox < Wo; ox++) s0 += load<T>(at<T>(xr, ox * step)) * load<T>(at<T>(dr, ox * Cout));
          }
        }
        store<T>(at<T>(g0, j), load<T>(at<T>(g0, j)) + scale * s0);
      }
    }
  }
}

/**
 * The same weight gradient as convWeightGradDense, event-driven over X (e.g. spikes): every
 * non-zero input element adds (x scale) D[output] to the weights that connect it to each output
 * whose patch holds it.
 */
export function convWeightGradEvent<T>(
  B: i32, H: i32, W: i32, Cin: i32, kh: i32, kw: i32, stride: i32, Cout: i32,
  X: usize, D: usize, G: usize, scale: T,
): void {
  const Ho = outSize(H, kh, stride), Wo = outSize(W, kw, stride);
  const L = lanes<T>();
  const Cv = Cout - Cout % L;
  for (let b = 0; b < B; b++) {
    for (let iy = 0; iy < H; iy++) {
      for (let ix = 0; ix < W; ix++) {
        const px = at<T>(X, ((b * H + iy) * W + ix) * Cin);
        for (let c0 = 0; c0 < Cin; c0 += NZ_CAP) {
          const m = nonZeros<T>(px, c0, min(Cin, c0 + NZ_CAP));
          if (m == 0) continue;
          for (let ky = 0; ky < kh; ky++) {
            const dy = iy - ky;
            if (dy < 0) break;
            if (dy % stride != 0) continue;
            const oy = dy / stride;
            if (oy >= Ho) continue;
            for (let kx = 0; kx < kw; kx++) {
              const dx = ix - kx;
              if (dx < 0) break;
              if (dx % stride != 0) continue;
              const ox = dx / stride;
              if (ox >= Wo) continue;
              const dp = at<T>(D, ((b * Ho + oy) * Wo + ox) * Cout);
              const gb = at<T>(G, (ky * kw + kx) * Cin * Cout);
              for (let q = 0; q < m; q++) {
                const ci = load<i32>(NZ + (<usize>q << 2));
                const a = load<T>(at<T>(px, ci)) * scale;
                const va = v128.splat<T>(a);
                const gr = at<T>(gb, ci * Cout);
                let j = 0;
                for (; j < Cv; j += L) {
                  const pg = at<T>(gr, j);
                  v128.store(pg, v128.add<T>(v128.load(pg), v128.mul<T>(va, v128.load(at<T>(dp, j)))));
                }
                for (; j < Cout; j++) {
                  const pg = at<T>(gr, j);
                  store<T>(pg, load<T>(pg) + a * load<T>(at<T>(dp, j)));
                }
              }
            }
          }
        }
      }
    }
  }
}

/** The weight gradient, choosing the event-driven or dense form from the density of X. */
export function convWeightGrad<T>(
  B: i32, H: i32, W: i32, Cin: i32, kh: i32, kw: i32, stride: i32, Cout: i32,
  X: usize, D: usize, G: usize, scale: T,
): void {
  const total = B * H * W * Cin;
  if (total == 0) return;
  const density = <f64>countNonZero<T>(X, total) / <f64>total;
  if (density > CONV_GRAD_DENSE_ABOVE) convWeightGradDense<T>(B, H, W, Cin, kh, kw, stride, Cout, X, D, G, scale);
  else convWeightGradEvent<T>(B, H, W, Cin, kh, kw, stride, Cout, X, D, G, scale);
}

/**
 * dX[b][oy stride + ky][ox stride + kx][ci] += scale * sum_co WtT[ky][kx][co][ci] D[b][oy][ox][co]
 * (the transposed convolution: the error at the inputs). WtT is the weight tensor with its last
 * two axes swapped, [kh][kw][Cout][Cin], so that input channels are innermost. Zero error elements
 * are skipped (the non-zero ones of a position are listed once); 4 vectors of input channels are
 * accumulated in registers.
 */
export function convInputGrad<T>(
  B: i32, H: i32, W: i32, Cin: i32, kh: i32, kw: i32, stride: i32, Cout: i32,
  D: usize, WtT: usize, dX: usize, scale: T,
): void {
  const Ho = outSize(H, kh, stride), Wo = outSize(W, kw, stride);
  const L = lanes<T>(), V = 4 * L;
  const Cb = Cin - Cin % V, Cv = Cin - Cin % L;
  for (let b = 0; b < B; b++) {
    for (let oy = 0; oy < Ho; oy++) {
      for (let ox = 0; ox < Wo; ox++) {
        const dp = at<T>(D, ((b * Ho + oy) * Wo + ox) * Cout);
        for (let c0 = 0; c0 < Cout; c0 += NZ_CAP) {
          const m = nonZeros<T>(dp, c0, min(Cout, c0 + NZ_CAP));
          if (m == 0) continue;
          for (let ky = 0; ky < kh; ky++) {
            for (let kx = 0; kx < kw; kx++) {
              const xp = at<T>(dX, ((b * H + oy * stride + ky) * W + ox * stride + kx) * Cin);
              const wb = at<T>(WtT, (ky * kw + kx) * Cout * Cin);
              for (let j = 0; j < Cb; j += V) {
                const p = at<T>(xp, j);
                let a0 = v128.load(p), a1 = v128.load(p, 16), a2 = v128.load(p, 32), a3 = v128.load(p, 48);
                for (let q = 0; q < m; q++) {
                  const co = load<i32>(NZ + (<usize>q << 2));
                  const d = v128.splat<T>(load<T>(at<T>(dp, co)) * scale);
                  const wp = at<T>(wb, co * Cin + j);
                  a0 = v128.add<T>(a0, v128.mul<T>(d, v128.load(wp)));
                  a1 = v128.add<T>(a1, v128.mul<T>(d, v128.load(wp, 16)));
                  a2 = v128.add<T>(a2, v128.mul<T>(d, v128.load(wp, 32)));
                  a3 = v128.add<T>(a3, v128.mul<T>(d, v128.load(wp, 48)));
                }
                v128.store(p, a0);
                v128.store(p, a1, 16);
                v128.store(p, a2, 32);
                v128.store(p, a3, 48);
              }
              for (let j = Cb; j < Cv; j += L) {
                const p = at<T>(xp, j);
                let a0 = v128.load(p);
                for (let q = 0; q < m; q++) {
                  const co = load<i32>(NZ + (<usize>q << 2));
                  a0 = v128.add<T>(a0, v128.mul<T>(v128.splat<T>(load<T>(at<T>(dp, co)) * scale), v128.load(at<T>(wb, co * Cin + j))));
                }
                v128.store(p, a0);
              }
              for (let j = Cv; j < Cin; j++) {
                let a0 = load<T>(at<T>(xp, j));
                for (let q = 0; q < m; q++) {
                  const co = load<i32>(NZ + (<usize>q << 2));
                  a0 += load<T>(at<T>(dp, co)) * scale * load<T>(at<T>(wb, co * Cin + j));
                }
                store<T>(at<T>(xp, j), a0);
              }
            }
          }
        }
      }
    }
  }
}

/**
 * Runs n LIF neurons over `steps` steps (time-major records [T][n]): step t reads the input current
 * I[floor(t / repeat)] ([F][n], e.g. one frame shown for `repeat` steps), starting from the state v
 * ([n], updated in place) and the spikes zInit ([n]) of the step before. Records z and psi, and
 * when vRec is non-zero the potential v(t) of every step ([T][n]; 0: not recorded).
 *   v = alpha v + s I - thr z_prev,  z = H(v - thr) / dt (strict >),
 *   psi = (gamma / thr) max(0, 1 - |v - thr| / thr)
 */
export function lifForward<T>(
  steps: i32, repeat: i32, n: i32, cst: usize, I: usize, zInit: usize, v: usize, zRec: usize, psiRec: usize,
  vRec: usize,
): void {
  const alpha = constant<T>(cst, C_ALPHA);
  const thr = constant<T>(cst, C_THR);
  const s = constant<T>(cst, C_S);
  const invDt = <T>1 / constant<T>(cst, C_DT);
  const slope = constant<T>(cst, C_GAMMA) / thr;
  const L = lanes<T>();
  const nv = n - n % L;
  const vAlpha = v128.splat<T>(alpha);
  const vThr = v128.splat<T>(thr);
  const vS = v128.splat<T>(s);
  const vInvDt = v128.splat<T>(invDt);
  const vSlope = v128.splat<T>(slope);
  const vZero = v128.splat<T>(<T>0);
  const vOne = v128.splat<T>(<T>1);
  for (let t = 0; t < steps; t++) {
    const cur = at<T>(I, (t / repeat) * n);
    const zPrev = t == 0 ? zInit : at<T>(zRec, (t - 1) * n);
    const zT = at<T>(zRec, t * n);
    const psiT = at<T>(psiRec, t * n);
    const vT = at<T>(vRec, t * n);
    let j = 0;
    for (; j < nv; j += L) {
      const pv = at<T>(v, j);
      const vj = v128.sub<T>(
        v128.add<T>(v128.mul<T>(vAlpha, v128.load(pv)), v128.mul<T>(vS, v128.load(at<T>(cur, j)))),
        v128.mul<T>(vThr, v128.load(at<T>(zPrev, j))),
      );
      const d = v128.sub<T>(vj, vThr);
      const m = v128.sub<T>(vOne, v128.div<T>(v128.abs<T>(d), vThr));
      v128.store(pv, vj);
      if (vRec != 0) v128.store(at<T>(vT, j), vj);
      v128.store(at<T>(zT, j), v128.and(v128.gt<T>(d, vZero), vInvDt));
      v128.store(at<T>(psiT, j), v128.mul<T>(vSlope, v128.max<T>(m, vZero)));
    }
    for (; j < n; j++) {
      const pv = at<T>(v, j);
      const vj = alpha * load<T>(pv) + s * load<T>(at<T>(cur, j)) - thr * load<T>(at<T>(zPrev, j));
      const d = vj - thr;
      const m = <T>1 - abs<T>(d) / thr;
      store<T>(pv, vj);
      if (vRec != 0) store<T>(at<T>(vT, j), vj);
      store<T>(at<T>(zT, j), d > <T>0 ? invDt : <T>0);
      store<T>(at<T>(psiT, j), m > <T>0 ? slope * m : <T>0);
    }
  }
}

/**
 * Reverse pass through n LIF neurons over `steps` steps, from the total error at the spikes gz
 * ([T][n]: everything outside the neuron's own state), the recorded psi and, when gvExt is
 * non-zero, an external error at the potentials gvExt ([T][n], dE/dv(t) of a cost on v itself):
 *   gv(t) = psi(t) (gz(t) - reset thr gv(t+1)) + alpha gv(t+1) + gvExt(t),  gv(T) = 0
 * (reset != 0: the error through the reset, BPTT; reset == 0: stopped there, e-prop). Writes gv
 * ([T][n], dE/dv) and, when pg is non-zero, pg(t) = psi(t) (gz(t) - reset thr gv(t+1)) + gvExt(t),
 * the same-step part of gv(t).
 */
export function lifBackward<T>(
  steps: i32, n: i32, cst: usize, psi: usize, gz: usize, gv: usize, pg: usize, reset: i32,
  gvExt: usize,
): void {
  const alpha = constant<T>(cst, C_ALPHA);
  const thr = constant<T>(cst, C_THR);
  const L = lanes<T>();
  const nv = n - n % L;
  const vAlpha = v128.splat<T>(alpha);
  const vThr = v128.splat<T>(thr);
  for (let t = steps - 1; t >= 0; t--) {
    const last = t == steps - 1;
    const gvT = at<T>(gv, t * n);
    const gvN = at<T>(gv, (t + 1) * n);
    const psiT = at<T>(psi, t * n);
    const gzT = at<T>(gz, t * n);
    const pgT = at<T>(pg, t * n);
    const extT = at<T>(gvExt, t * n);
    let j = 0;
    for (; j < nv; j += L) {
      let g = v128.load(at<T>(gzT, j));
      let p: v128;
      let out: v128;
      if (last) {
        p = v128.mul<T>(v128.load(at<T>(psiT, j)), g);
        out = p;
      } else {
        const gn = v128.load(at<T>(gvN, j));
        if (reset != 0) g = v128.sub<T>(g, v128.mul<T>(vThr, gn));
        p = v128.mul<T>(v128.load(at<T>(psiT, j)), g);
        out = v128.add<T>(p, v128.mul<T>(vAlpha, gn));
      }
      if (gvExt != 0) {
        const e = v128.load(at<T>(extT, j));
        out = v128.add<T>(out, e);
        p = v128.add<T>(p, e);
      }
      v128.store(at<T>(gvT, j), out);
      if (pg != 0) v128.store(at<T>(pgT, j), p);
    }
    for (; j < n; j++) {
      let g = load<T>(at<T>(gzT, j));
      let p: T;
      let out: T;
      if (last) {
        p = load<T>(at<T>(psiT, j)) * g;
        out = p;
      } else {
        const gn = load<T>(at<T>(gvN, j));
        if (reset != 0) g -= thr * gn;
        p = load<T>(at<T>(psiT, j)) * g;
        out = p + alpha * gn;
      }
      if (gvExt != 0) {
        const e = load<T>(at<T>(extT, j));
        out += e;
        p += e;
      }
      store<T>(at<T>(gvT, j), out);
      if (pg != 0) store<T>(at<T>(pgT, j), p);
    }
  }
}

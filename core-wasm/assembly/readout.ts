// Leaky readout and learning signals (EPROP.md sections 2 and 3.2).
//   zbar_j(t) = kappa zbar_j(t-1) + c z_j(t)        y_k(t) = sum_j zbar_j(t) w_out[j][k] + b_k
// Readout and feedback matrices are passed transposed ([nOut][n]) so that every loop over
// neurons is contiguous.
import { at, axpy, dot, lanes, zero } from "./simd";
import { C_C, C_KAPPA, constant } from "./consts";

/**
 * One readout step for B trials: zbar = kappa zbarPrev + c z (zbarPrev = 0 means zeros), then
 * y = zbar @ w_out + bias (bias = 0 means none). z, zbar: [B][n]; y: [B][nOut];
 * wOutT: w_out transposed, [nOut][n].
 */
export function readoutStep<T>(
  B: i32, n: i32, nOut: i32, cst: usize,
  z: usize, zbarPrev: usize, zbar: usize, y: usize, wOutT: usize, bias: usize,
): void {
  const kappa = constant<T>(cst, C_KAPPA);
  const c = constant<T>(cst, C_C);
  const L = lanes<T>();
  const nv = n - n % L;
  const vKappa = v128.splat<T>(kappa);
  const vC = v128.splat<T>(c);
  for (let b = 0; b < B; b++) {
    const row = b * n;
    let j = 0;
    if (zbarPrev != 0) {
      for (; j < nv; j += L) {
        v128.store(
          at<T>(zbar, row + j),
          v128.add<T>(
            v128.mul<T>(vKappa, v128.load(at<T>(zbarPrev, row + j))),
            v128.mul<T>(vC, v128.load(at<T>(z, row + j))),
          ),
        );
      }
      for (; j < n; j++) {
        store<T>(at<T>(zbar, row + j), kappa * load<T>(at<T>(zbarPrev, row + j)) + c * load<T>(at<T>(z, row + j)));
      }
    } else {
      for (; j < n; j++) store<T>(at<T>(zbar, row + j), c * load<T>(at<T>(z, row + j)));
    }
    for (let k = 0; k < nOut; k++) {
      const b0: T = bias != 0 ? load<T>(at<T>(bias, k)) : <T>0;
      store<T>(at<T>(y, b * nOut + k), b0 + dot<T>(at<T>(zbar, row), at<T>(wOutT, k * n), n));
    }
  }
}

/** readoutStep over a sequence, time-major: z, zbar [T][B][n]; y [T][B][nOut]. */
export function readoutForward<T>(
  steps: i32, B: i32, n: i32, nOut: i32, cst: usize,
  z: usize, zbar: usize, y: usize, wOutT: usize, bias: usize,
): void {
  const size = B * n;
  for (let t = 0; t < steps; t++) {
    readoutStep<T>(
      B, n, nOut, cst,
      at<T>(z, t * size), t == 0 ? 0 : at<T>(zbar, (t - 1) * size), at<T>(zbar, t * size),
      at<T>(y, t * B * nOut), wOutT, bias,
    );
  }
}

/**
 * out[b][j] = sum_k fb[j][k] dEdy[b][k]: the readout error sent back through the feedback
 * matrix, given transposed (fbT: [nOut][n]). Zero errors (steps outside a loss window) cost
 * nothing.
 */
export function projectError<T>(
  B: i32, n: i32, nOut: i32, dEdy: usize, fbT: usize, out: usize,
): void {
  zero<T>(out, B * n);
  for (let b = 0; b < B; b++) {
    for (let k = 0; k < nOut; k++) {
      const d = load<T>(at<T>(dEdy, b * nOut + k));
      if (d != <T>0) axpy<T>(at<T>(out, b * n), at<T>(fbT, k * n), d, n);
    }
  }
}

/**
 * Per-neuron learning signal of a whole sequence, by one backward pass:
 *   Lbar_j(t) = sum_k fb[j][k] dEdy_k(t) + kappa Lbar_j(t+1)
 *   out_j(t)  = c Lbar_j(t) + reg_j(t)
 * so that sum_t out_j(t) e_ji(t) = sum_t L_j(t) ebar_ji(t) + sum_t reg_j(t) e_ji(t) (eq. 28).
 * With fb = w_out this is the exact dE/dz_j(t) through the readout and the regularizer.
 * fbT: fb transposed, [nOut][n]. reg: [n] (regStride 0) or [T][n] (regStride n), or 0 for none.
 * acc: [B][n] scratch.
 */
export function learningSignal<T>(
  steps: i32, B: i32, n: i32, nOut: i32, cst: usize,
  dEdy: usize, fbT: usize, reg: usize, regStride: i32, out: usize, acc: usize,
): void {
  const kappa = constant<T>(cst, C_KAPPA);
  const c = constant<T>(cst, C_C);
  const size = B * n;
  const L = lanes<T>();
  const nv = n - n % L;
  const vKappa = v128.splat<T>(kappa);
  const vC = v128.splat<T>(c);
  zero<T>(acc, size);
  for (let t = steps - 1; t >= 0; t--) {
    const outT = at<T>(out, t * size);
    projectError<T>(B, n, nOut, at<T>(dEdy, t * B * nOut), fbT, outT);
    for (let b = 0; b < B; b++) {
      let j = 0;
      for (; j < nv; j += L) {
        const idx = b * n + j;
        const lbar = v128.add<T>(v128.load(at<T>(outT, idx)), v128.mul<T>(vKappa, v128.load(at<T>(acc, idx))));
        v128.store(at<T>(acc, idx), lbar);
        let g = v128.mul<T>(vC, lbar);
        if (reg != 0) g = v128.add<T>(g, v128.load(at<T>(reg, t * regStride + j)));
        v128.store(at<T>(outT, idx), g);
      }
      for (; j < n; j++) {
        const idx = b * n + j;
        const lbar = load<T>(at<T>(outT, idx)) + kappa * load<T>(at<T>(acc, idx));
        store<T>(at<T>(acc, idx), lbar);
        let g = c * lbar;
        if (reg != 0) g += load<T>(at<T>(reg, t * regStride + j));
        store<T>(at<T>(outT, idx), g);
      }
    }
  }
}

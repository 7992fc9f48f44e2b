// Leaky readout and learning signals (EPROP.md sections 2 and 3.2).
//   zbar_j(t) = kappa zbar_j(t-1) + c z_j(t)        y_k(t) = sum_j zbar_j(t) w_out[j][k] + b_k
import { at } from "./simd";
import { C_C, C_KAPPA, constant } from "./consts";

/**
 * One readout step for B trials: zbar = kappa zbarPrev + c z (zbarPrev = 0 means zeros), then
 * y = zbar @ wOut + bias (bias = 0 means none). z, zbar: [B][n]; y: [B][nOut].
 */
export function readoutStep<T>(
  B: i32, n: i32, nOut: i32, cst: usize,
  z: usize, zbarPrev: usize, zbar: usize, y: usize, wOut: usize, bias: usize,
): void {
  const kappa = constant<T>(cst, C_KAPPA);
  const c = constant<T>(cst, C_C);
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < n; j++) {
      const idx = b * n + j;
      const prev = zbarPrev != 0 ? load<T>(at<T>(zbarPrev, idx)) : <T>0;
      store<T>(at<T>(zbar, idx), kappa * prev + c * load<T>(at<T>(z, idx)));
    }
    for (let k = 0; k < nOut; k++) {
      let acc: T = bias != 0 ? load<T>(at<T>(bias, k)) : <T>0;
      for (let j = 0; j < n; j++) {
        acc += load<T>(at<T>(zbar, b * n + j)) * load<T>(at<T>(wOut, j * nOut + k));
      }
      store<T>(at<T>(y, b * nOut + k), acc);
    }
  }
}

/** readoutStep over a sequence, time-major: z, zbar [T][B][n]; y [T][B][nOut]. */
export function readoutForward<T>(
  steps: i32, B: i32, n: i32, nOut: i32, cst: usize,
  z: usize, zbar: usize, y: usize, wOut: usize, bias: usize,
): void {
  const size = B * n;
  for (let t = 0; t < steps; t++) {
    readoutStep<T>(
      B, n, nOut, cst,
      at<T>(z, t * size), t == 0 ? 0 : at<T>(zbar, (t - 1) * size), at<T>(zbar, t * size),
      at<T>(y, t * B * nOut), wOut, bias,
    );
  }
}

/** out[b][j] = sum_k fb[j][k] dEdy[b][k]: the readout error sent back through fb ([n][nOut]). */
export function projectError<T>(
  B: i32, n: i32, nOut: i32, dEdy: usize, fb: usize, out: usize,
): void {
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < n; j++) {
      let acc: T = <T>0;
      for (let k = 0; k < nOut; k++) {
        acc += load<T>(at<T>(fb, j * nOut + k)) * load<T>(at<T>(dEdy, b * nOut + k));
      }
      store<T>(at<T>(out, b * n + j), acc);
    }
  }
}

/**
 * Per-neuron learning signal of a whole sequence, by one backward pass:
 *   Lbar_j(t) = sum_k fb[j][k] dEdy_k(t) + kappa Lbar_j(t+1)
 *   out_j(t)  = c Lbar_j(t) + reg_j(t)
 * so that sum_t out_j(t) e_ji(t) = sum_t L_j(t) ebar_ji(t) + sum_t reg_j(t) e_ji(t) (eq. 28).
 * With fb = w_out this is the exact dE/dz_j(t) through the readout and the regularizer.
 * reg: [n] (regStride 0) or [T][n] (regStride n), or 0 for none. acc: [B][n] scratch.
 */
export function learningSignal<T>(
  steps: i32, B: i32, n: i32, nOut: i32, cst: usize,
  dEdy: usize, fb: usize, reg: usize, regStride: i32, out: usize, acc: usize,
): void {
  const kappa = constant<T>(cst, C_KAPPA);
  const c = constant<T>(cst, C_C);
  const size = B * n;
  memory.fill(acc, 0, <usize>size << alignof<T>());
  for (let t = steps - 1; t >= 0; t--) {
    const outT = at<T>(out, t * size);
    projectError<T>(B, n, nOut, at<T>(dEdy, t * B * nOut), fb, outT);
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < n; j++) {
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

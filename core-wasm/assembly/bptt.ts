// Exact gradient by a hand-written reverse pass through the LSNN (EPROP.md 3.4).
// Adjoints, for t = T-1 .. 0 (all zero beyond T-1):
//   Ltrue_j(t) = G_j(t) + s sum_j' w_rec[j][j'] gv_j'(t+1) - thr gv_j(t+1)   (everything outside
//                neuron j's hidden state: readout + regularizer (G), recurrence, own reset)
//   gz_j(t)    = Ltrue_j(t) + ga_j(t+1)                                       (own adaptation)
//   gv_j(t)    = psi_j(t) gz_j(t) + alpha gv_j(t+1)
//   ga_j(t)    = -beta_j psi_j(t) gz_j(t) + rho ga_j(t+1)
// dE/dw_in = s sum x(t)^T gv(t); dE/dw_rec = s sum z(t-1)^T gv(t) (diagonal zeroed by the caller).
import { at, zero } from "./simd";
import { gemmNN } from "./linalg";
import { C_ALPHA, C_RHO, C_S, C_THR, constant } from "./consts";

/**
 * Backward pass. G, psi: [T][B][n] inputs; gv: [T][B][n] output; ltrue: [T][B][n] output when
 * non-zero (the true learning signal of eq. 1). wRecT: transposed w_rec with zero diagonal.
 * ga, rec: [B][n] scratch.
 */
export function bpttBackward<T>(
  steps: i32, B: i32, n: i32, cst: usize,
  G: usize, psi: usize, wRecT: usize, beta: usize,
  gv: usize, ltrue: usize, ga: usize, rec: usize,
): void {
  const alpha = constant<T>(cst, C_ALPHA);
  const rho = constant<T>(cst, C_RHO);
  const thr = constant<T>(cst, C_THR);
  const s = constant<T>(cst, C_S);
  const size = B * n;
  zero<T>(ga, size);
  for (let t = steps - 1; t >= 0; t--) {
    const last = t == steps - 1;
    const gvNext: usize = last ? <usize>0 : at<T>(gv, (t + 1) * size);
    zero<T>(rec, size);
    if (!last) gemmNN<T>(B, n, n, gvNext, wRecT, rec);
    const gvT = at<T>(gv, t * size);
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < n; j++) {
        const idx = b * n + j;
        const gvn = last ? <T>0 : load<T>(at<T>(gvNext, idx));
        const L = load<T>(at<T>(G, t * size + idx)) + s * load<T>(at<T>(rec, idx)) - thr * gvn;
        if (ltrue != 0) store<T>(at<T>(ltrue, t * size + idx), L);
        const gz = L + load<T>(at<T>(ga, idx));
        const p = load<T>(at<T>(psi, t * size + idx));
        store<T>(at<T>(gvT, idx), p * gz + alpha * gvn);
        store<T>(
          at<T>(ga, idx),
          -load<T>(at<T>(beta, j)) * p * gz + rho * load<T>(at<T>(ga, idx)),
        );
      }
    }
  }
}

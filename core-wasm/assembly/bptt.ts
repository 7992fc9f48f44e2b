// Exact gradient by a hand-written reverse pass through the LSNN (EPROP.md 3.4).
// Adjoints, for t = T-1 .. 0 (all zero beyond T-1):
//   Ltrue_j(t) = G_j(t) + s sum_j' w_rec[j][j'] gv_j'(t+1) - thr gv_j(t+1)   (everything outside
//                neuron j's hidden state: readout + regularizer (G), recurrence, own reset)
//   gz_j(t)    = Ltrue_j(t) + ga_j(t+1)                                       (own adaptation)
//   gv_j(t)    = psi_j(t) gz_j(t) + alpha gv_j(t+1)
//   ga_j(t)    = -beta_j psi_j(t) gz_j(t) + rho ga_j(t+1)
// dE/dw_in = s sum x(t)^T gv(t); dE/dw_rec = s sum z(t-1)^T gv(t) (diagonal zeroed by the caller).
import { at, lanes, zero } from "./simd";
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
  const L = lanes<T>();
  const nv = n - n % L;
  const vAlpha = v128.splat<T>(alpha);
  const vRho = v128.splat<T>(rho);
  const vThr = v128.splat<T>(thr);
  const vS = v128.splat<T>(s);
  const vZero = v128.splat<T>(<T>0);
  zero<T>(ga, size);
  for (let t = steps - 1; t >= 0; t--) {
    const last = t == steps - 1;
    const gvNext: usize = last ? <usize>0 : at<T>(gv, (t + 1) * size);
    zero<T>(rec, size);
    if (!last) gemmNN<T>(B, n, n, gvNext, wRecT, rec);
    const gvT = at<T>(gv, t * size);
    for (let b = 0; b < B; b++) {
      let j = 0;
      for (; j < nv; j += L) {
        const idx = b * n + j;
        const gvn = last ? vZero : v128.load(at<T>(gvNext, idx));
        const Lt = v128.sub<T>(
          v128.add<T>(v128.load(at<T>(G, t * size + idx)), v128.mul<T>(vS, v128.load(at<T>(rec, idx)))),
          v128.mul<T>(vThr, gvn),
        );
        if (ltrue != 0) v128.store(at<T>(ltrue, t * size + idx), Lt);
        const pga = at<T>(ga, idx);
        const gaOld = v128.load(pga);
        const gz = v128.add<T>(Lt, gaOld);
        const pgz = v128.mul<T>(v128.load(at<T>(psi, t * size + idx)), gz);
        v128.store(at<T>(gvT, idx), v128.add<T>(pgz, v128.mul<T>(vAlpha, gvn)));
        v128.store(pga, v128.sub<T>(v128.mul<T>(vRho, gaOld), v128.mul<T>(v128.load(at<T>(beta, j)), pgz)));
      }
      for (; j < n; j++) {
        const idx = b * n + j;
        const gvn = last ? <T>0 : load<T>(at<T>(gvNext, idx));
        const Lt = load<T>(at<T>(G, t * size + idx)) + s * load<T>(at<T>(rec, idx)) - thr * gvn;
        if (ltrue != 0) store<T>(at<T>(ltrue, t * size + idx), Lt);
        const gaOld = load<T>(at<T>(ga, idx));
        const pgz = load<T>(at<T>(psi, t * size + idx)) * (Lt + gaOld);
        store<T>(at<T>(gvT, idx), pgz + alpha * gvn);
        store<T>(at<T>(ga, idx), rho * gaOld - load<T>(at<T>(beta, j)) * pgz);
      }
    }
  }
}

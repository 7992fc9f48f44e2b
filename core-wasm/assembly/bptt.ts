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

/**
 * The reverse pass over a recorded span of steps given the errors from outside the population,
 * with cuts where an episode ended (nothing flows back from step t+1 of trial b into step t when
 * cut[t][b] is 1: the next step belongs to the trial's next episode). Two modes, adjoints zero
 * beyond the span:
 *
 * mode 0, exact (BPTT), with external dE/dz (G), dE/dv (ev) and dE/da (ea):
 *   dz_j(t) = G_j(t) + s sum_k w_rec[j][k] dv_k(t+1) - thr dv_j(t+1) + da_j(t+1)
 *   dv_j(t) = psi_j(t) dz_j(t) + ev_j(t) + alpha dv_j(t+1)
 *   da_j(t) = -beta_j psi_j(t) dz_j(t) + ea_j(t) + rho da_j(t+1)          (beta_j != 0 only)
 *   M = D = dv
 * mode 1, e-prop (the trace adjoint of EPROP.md 3.3 with the voltage terms), G the learning
 * signal that multiplies e_ji(t), ev and ea the errors at the traces eps_v and eps_a:
 *   M_j(t)  = psi_j(t) G_j(t) + ev_j(t) + psi_j(t) la_j(t+1)
 *   la_j(t) = -beta_j psi_j(t) G_j(t) + ea_j(t) + (rho - beta_j psi_j(t)) la_j(t+1)   (beta_j != 0)
 *   D_j(t)  = M_j(t) + alpha D_j(t+1)
 * so that sum_t M_j(t) eps_v_i(t) = sum_t D_j(t) pre_i(t) is the gradient.
 *
 * G, psi, M: [T][B][n]; ev, ea: [T][B][n] or 0; cut: u8 [T][B] or 0; D: [T][B][n] or 0 (mode 1;
 * mode 0 writes M only, which is D). wRecT: w_rec transposed, zero diagonal (mode 0). Scratch
 * [B][n] each: la (adjoint of a), next (dv(t+1) or D(t+1)), rec. The element-wise updates run in
 * the order written above (scalar), so that float64 results match a plain loop bit for bit.
 */
export function lsnnSpanBackward<T>(
  steps: i32, B: i32, n: i32, cst: usize, mode: i32,
  G: usize, ev: usize, ea: usize, cut: usize, psi: usize, wRecT: usize, beta: usize,
  M: usize, D: usize, la: usize, next: usize, rec: usize,
): void {
  const alpha = constant<T>(cst, C_ALPHA);
  const rho = constant<T>(cst, C_RHO);
  const thr = constant<T>(cst, C_THR);
  const s = constant<T>(cst, C_S);
  const size = B * n;
  const rowBytes = <usize>n << alignof<T>();
  zero<T>(la, size);
  zero<T>(next, size);
  for (let t = steps - 1; t >= 0; t--) {
    if (cut != 0) {
      for (let b = 0; b < B; b++) {
        if (load<u8>(cut + <usize>(t * B + b)) != 0) {
          memory.fill(at<T>(la, b * n), 0, rowBytes);
          memory.fill(at<T>(next, b * n), 0, rowBytes);
        }
      }
    }
    if (mode == 0) {
      zero<T>(rec, size);
      gemmNN<T>(B, n, n, next, wRecT, rec);
    }
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < n; j++) {
        const idx = b * n + j;
        const at_ = t * size + idx;
        const g = load<T>(at<T>(G, at_));
        const p = load<T>(at<T>(psi, at_));
        const v = ev != 0 ? load<T>(at<T>(ev, at_)) : <T>0;
        const a = ea != 0 ? load<T>(at<T>(ea, at_)) : <T>0;
        const bj = load<T>(at<T>(beta, j));
        const adaptive = bj != <T>0;
        const pl = at<T>(la, idx);
        const pn = at<T>(next, idx);
        const nx = load<T>(pn);
        if (mode == 0) {
          const lNext = load<T>(pl);
          const dz = g + s * load<T>(at<T>(rec, idx)) - thr * nx + (adaptive ? lNext : <T>0);
          const dv = p * dz + v + alpha * nx;
          if (adaptive) store<T>(pl, -bj * p * dz + a + rho * lNext);
          store<T>(pn, dv);
          store<T>(at<T>(M, at_), dv);
        } else {
          let m: T;
          if (adaptive) {
            const lNext = load<T>(pl);
            m = p * g + v + p * lNext;
            store<T>(pl, -bj * p * g + a + (rho - bj * p) * lNext);
          } else {
            m = p * g + v;
          }
          store<T>(at<T>(M, at_), m);
          const d = m + alpha * nx;
          store<T>(pn, d);
          if (D != 0) store<T>(at<T>(D, at_), d);
        }
      }
    }
  }
}

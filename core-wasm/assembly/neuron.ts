// LSNN dynamics (EPROP.md section 1): one population of LIF (beta_j = 0) and ALIF (beta_j > 0)
// neurons. One step, for every trial b of the batch, in this order:
//   a_j   = rho a_j + z_prev_j
//   v_j   = alpha v_j + s (sum_i w_in[i][j] x_i + sum_{i != j} w_rec[i][j] z_prev_i) - thr z_prev_j
//   A_j   = thr + beta_j a_j
//   z_j   = refractory ? 0 : H(v_j - A_j) / dt                      (strict >)
//   psi_j = refractory ? 0 : (gamma / thr) max(0, 1 - |v_j - A_j| / thr)
//   r_j   = clip(r_j + n_ref [spike] - 1, 0, n_ref)
// The caller zeroes the diagonal of w_rec (no autapses).
import { at, lanes, zero } from "./simd";
import { gemmNN } from "./linalg";
import { C_ALPHA, C_DT, C_GAMMA, C_NREF, C_RHO, C_S, C_THR, constant } from "./consts";

/**
 * Advances the state (v, a, r) of B trials by one step.
 * x: [B][nIn] input; zPrev: [B][n] previous spikes; cur: [B][n] scratch.
 * Writes z and psi ([B][n]); vOut and thrOut ([B][n]) when non-zero.
 */
export function lsnnStep<T>(
  B: i32, nIn: i32, n: i32, cst: usize,
  x: usize, wIn: usize, wRec: usize, beta: usize,
  zPrev: usize, v: usize, a: usize, r: usize, cur: usize,
  zOut: usize, psiOut: usize, vOut: usize, thrOut: usize,
): void {
  zero<T>(cur, B * n);
  gemmNN<T>(B, nIn, n, x, wIn, cur);
  gemmNN<T>(B, n, n, zPrev, wRec, cur);
  lsnnUpdate<T>(B, n, cst, beta, zPrev, v, a, r, cur, zOut, psiOut, vOut, thrOut);
}

/**
 * The element-wise part of a step: given the total input current cur ([B][n], before the
 * input scaling s), updates (v, a, r) and writes z and psi (and v, A when non-zero).
 */
// @ts-ignore: decorator
@inline export function lsnnUpdate<T>(
  B: i32, n: i32, cst: usize, beta: usize,
  zPrev: usize, v: usize, a: usize, r: usize, cur: usize,
  zOut: usize, psiOut: usize, vOut: usize, thrOut: usize,
): void {
  const alpha = constant<T>(cst, C_ALPHA);
  const rho = constant<T>(cst, C_RHO);
  const thr = constant<T>(cst, C_THR);
  const s = constant<T>(cst, C_S);
  const nRef = constant<T>(cst, C_NREF);
  const invDt = <T>1 / constant<T>(cst, C_DT);
  const slope = constant<T>(cst, C_GAMMA) / thr;
  const L = lanes<T>();
  const nv = n - n % L;
  const vAlpha = v128.splat<T>(alpha);
  const vRho = v128.splat<T>(rho);
  const vThr = v128.splat<T>(thr);
  const vS = v128.splat<T>(s);
  const vNRef = v128.splat<T>(nRef);
  const vInvDt = v128.splat<T>(invDt);
  const vSlope = v128.splat<T>(slope);
  const vZero = v128.splat<T>(<T>0);
  const vOne = v128.splat<T>(<T>1);
  for (let b = 0; b < B; b++) {
    let j = 0;
    for (; j < nv; j += L) {
      const idx = b * n + j;
      const zp = v128.load(at<T>(zPrev, idx));
      const aj = v128.add<T>(v128.mul<T>(vRho, v128.load(at<T>(a, idx))), zp);
      const vj = v128.sub<T>(
        v128.add<T>(v128.mul<T>(vAlpha, v128.load(at<T>(v, idx))), v128.mul<T>(vS, v128.load(at<T>(cur, idx)))),
        v128.mul<T>(vThr, zp),
      );
      const Aj = v128.add<T>(vThr, v128.mul<T>(v128.load(at<T>(beta, j)), aj));
      const rj = v128.load(at<T>(r, idx));
      const d = v128.sub<T>(vj, Aj);
      const free = v128.le<T>(rj, vZero);
      const spike = v128.and(free, v128.gt<T>(d, vZero));
      const m = v128.sub<T>(vOne, v128.div<T>(v128.abs<T>(d), vThr));
      const psi = v128.and(free, v128.mul<T>(vSlope, v128.max<T>(m, vZero)));
      let rNext = v128.add<T>(v128.sub<T>(rj, vOne), v128.and(spike, vNRef));
      rNext = v128.min<T>(v128.max<T>(rNext, vZero), vNRef);
      v128.store(at<T>(a, idx), aj);
      v128.store(at<T>(v, idx), vj);
      v128.store(at<T>(r, idx), rNext);
      v128.store(at<T>(zOut, idx), v128.and(spike, vInvDt));
      v128.store(at<T>(psiOut, idx), psi);
      if (vOut != 0) v128.store(at<T>(vOut, idx), vj);
      if (thrOut != 0) v128.store(at<T>(thrOut, idx), Aj);
    }
    for (; j < n; j++) {
      const idx = b * n + j;
      const zp = load<T>(at<T>(zPrev, idx));
      const aj = rho * load<T>(at<T>(a, idx)) + zp;
      const vj = alpha * load<T>(at<T>(v, idx)) + s * load<T>(at<T>(cur, idx)) - thr * zp;
      const Aj = thr + load<T>(at<T>(beta, j)) * aj;
      const rj = load<T>(at<T>(r, idx));
      const d = vj - Aj;
      let z: T = <T>0;
      let psi: T = <T>0;
      let rNext: T = rj - <T>1;
      if (rj <= <T>0) {
        const m = <T>1 - abs<T>(d) / thr;
        psi = m > <T>0 ? slope * m : <T>0;
        if (d > <T>0) {
          z = invDt;
          rNext += nRef;
        }
      }
      if (rNext < <T>0) rNext = <T>0;
      if (rNext > nRef) rNext = nRef;
      store<T>(at<T>(a, idx), aj);
      store<T>(at<T>(v, idx), vj);
      store<T>(at<T>(r, idx), rNext);
      store<T>(at<T>(zOut, idx), z);
      store<T>(at<T>(psiOut, idx), psi);
      if (vOut != 0) store<T>(at<T>(vOut, idx), vj);
      if (thrOut != 0) store<T>(at<T>(thrOut, idx), Aj);
    }
  }
}

/**
 * Runs a population over a sequence, time-major, from the state given (v, a, r; zInit the spikes
 * before step 0). Step t reads input frame floor(t / repeat). The input current comes either
 * precomputed per frame (I: [F][B][n], x(f) @ w_in, computed once for the frame's `repeat` steps)
 * or, when I is 0, from x ([F][B][nIn]) and wIn at every step (spike inputs, repeat 1: the current
 * stays in cache). Records z and psi ([T][B][n]) and, when non-zero, v and the threshold A.
 * lens: [B] valid steps per trial (i32), or 0 when all trials are valid throughout; at and past a
 * trial's length its z and psi (and the recorded v and A) are 0 (the dynamics are causal, so
 * nothing before the length depends on what follows it).
 */
export function lsnnForwardFrames<T>(
  steps: i32, repeat: i32, B: i32, nIn: i32, n: i32, cst: usize,
  x: usize, wIn: usize, I: usize, wRec: usize, beta: usize, lens: usize,
  zInit: usize, v: usize, a: usize, r: usize, cur: usize,
  zRec: usize, psiRec: usize, vRec: usize, thrRec: usize,
): void {
  const size = B * n;
  const rowBytes = <usize>n << alignof<T>();
  for (let t = 0; t < steps; t++) {
    const zPrev = t == 0 ? zInit : at<T>(zRec, (t - 1) * size);
    const f = t / repeat;
    if (I != 0) {
      memory.copy(cur, at<T>(I, f * size), <usize>size << alignof<T>());
    } else {
      zero<T>(cur, size);
      gemmNN<T>(B, nIn, n, at<T>(x, f * B * nIn), wIn, cur);
    }
    gemmNN<T>(B, n, n, zPrev, wRec, cur);
    const zT = at<T>(zRec, t * size);
    const psiT = at<T>(psiRec, t * size);
    lsnnUpdate<T>(
      B, n, cst, beta, zPrev, v, a, r, cur, zT, psiT,
      vRec != 0 ? at<T>(vRec, t * size) : 0,
      thrRec != 0 ? at<T>(thrRec, t * size) : 0,
    );
    if (lens != 0) {
      for (let b = 0; b < B; b++) {
        if (t >= load<i32>(lens + (<usize>b << 2))) {
          memory.fill(at<T>(zT, b * n), 0, rowBytes);
          memory.fill(at<T>(psiT, b * n), 0, rowBytes);
          if (vRec != 0) memory.fill(at<T>(vRec, t * size + b * n), 0, rowBytes);
          if (thrRec != 0) memory.fill(at<T>(thrRec, t * size + b * n), 0, rowBytes);
        }
      }
    }
  }
}

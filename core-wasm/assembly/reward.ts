// Reward-based e-prop, online form (src/agent/reward_online.ts; EPROP.md section 6): one agent
// step (S network steps) of one episode's per-synapse traces for one synapse group, and the
// weight change delta x F. Rows i are presynaptic, columns j postsynaptic (LIF j < nLif, then ALIF).
//   per step s:  eps_a = (rho - beta psiPrev_j(s)) eps_a + psiPrev_j(s) evOld_i(s)      ALIF only
//                e     = psi_j(s) (ev_i(s) - beta eps_a)       (LIF: psi_j(s) ev_i(s))
//                ebar  = kappa ebar + c e ;  sum += e
//                vs   += cv_j(s) ev_i(s) + ca_j(s) eps_a        (voltage regularizer, when volt)
//   then:        S += sum ;  g += delta F + LH_j ebar + vs ;  F = gamma F + L_j ebar
// cv, ca [S][n]: the voltage regularizer's derivatives by v and by a at each step (ca 0 for LIF).
// With `recurrent`, the diagonal (autapses) keeps zero traces and adds nothing.
import { at, lanes } from "./simd";

export function rewardTraceFrame<T>(
  nPre: i32, n: i32, nLif: i32, S: i32, recurrent: i32,
  ev: usize, evOld: usize, psi: usize, psiPrev: usize, L: usize, LH: usize,
  volt: i32, cv: usize, ca: usize,
  delta: f64, kappa: f64, c: f64, rho: f64, beta: f64, gamma: f64,
  ebar: usize, F: usize, epsA: usize, Ssum: usize, g: usize,
): void {
  for (let i = 0; i < nPre; i++) {
    traceRow<T>(
      i, nPre, n, nLif, S, recurrent, ev, evOld, psi, psiPrev, L, LH, volt, cv, ca,
      delta, kappa, c, rho, beta, gamma, ebar, F, epsA, Ssum, g,
    );
  }
}

/**
 * Q calls of rewardTraceFrame at once (Q episodes' agent steps, in the order of the table), row
 * by row: each row i of the shared sums S and g takes the Q episodes' terms in the table's order,
 * the same additions as Q calls one after the other, while the row stays in cache. table: per
 * entry 11 i32 addresses (ev, evOld, psi, psiPrev, L, LH, cv, ca, ebar, F, epsA); deltas: f64 [Q].
 */
export function rewardTraceFrames<T>(
  Q: i32, nPre: i32, n: i32, nLif: i32, S: i32, recurrent: i32, table: usize, deltas: usize,
  volt: i32, kappa: f64, c: f64, rho: f64, beta: f64, gamma: f64, Ssum: usize, g: usize,
): void {
  for (let i = 0; i < nPre; i++) {
    for (let q = 0; q < Q; q++) {
      const e = table + <usize>(q * 44);
      traceRow<T>(
        i, nPre, n, nLif, S, recurrent,
        load<i32>(e), load<i32>(e, 4), load<i32>(e, 8), load<i32>(e, 12), load<i32>(e, 16),
        load<i32>(e, 20), volt, load<i32>(e, 24), load<i32>(e, 28),
        load<f64>(deltas + (<usize>q << 3)), kappa, c, rho, beta, gamma,
        load<i32>(e, 32), load<i32>(e, 36), load<i32>(e, 40), Ssum, g,
      );
    }
  }
}

/** One presynaptic row i of rewardTraceFrame. */
// @ts-ignore: decorator
@inline function traceRow<T>(
  i: i32, nPre: i32, n: i32, nLif: i32, S: i32, recurrent: i32,
  ev: usize, evOld: usize, psi: usize, psiPrev: usize, L: usize, LH: usize,
  volt: i32, cv: usize, ca: usize,
  delta: f64, kappa: f64, c: f64, rho: f64, beta: f64, gamma: f64,
  ebar: usize, F: usize, epsA: usize, Ssum: usize, g: usize,
): void {
  const Ln = lanes<T>();
  const nAlif = n - nLif;
  const vk = v128.splat<T>(<T>kappa), vc = v128.splat<T>(<T>c), vr = v128.splat<T>(<T>rho);
  const vb = v128.splat<T>(<T>beta), vg = v128.splat<T>(<T>gamma), vd = v128.splat<T>(<T>delta);
  const tk = <T>kappa, tc = <T>c, tr = <T>rho, tb = <T>beta, tg = <T>gamma, td = <T>delta;
  const row = i * n, aRow = i * nAlif;
  const diag = recurrent != 0 && i < n;
  let gDiag = <T>0, sDiag = <T>0;
  if (diag) {
    gDiag = load<T>(at<T>(g, row + i));
    sDiag = load<T>(at<T>(Ssum, row + i));
  }
  // LIF columns
  let j = 0;
  for (; j + Ln <= nLif; j += Ln) {
    let eb = v128.load(at<T>(ebar, row + j));
    let sum = v128.splat<T>(<T>0), vs = v128.splat<T>(<T>0);
    for (let s = 0; s < S; s++) {
      const x = v128.splat<T>(load<T>(at<T>(ev, s * nPre + i)));
      const e = v128.mul<T>(v128.load(at<T>(psi, s * n + j)), x);
      eb = v128.add<T>(v128.mul<T>(vk, eb), v128.mul<T>(vc, e));
      sum = v128.add<T>(sum, e);
      if (volt) vs = v128.add<T>(vs, v128.mul<T>(v128.load(at<T>(cv, s * n + j)), x));
    }
    finish<T>(row + j, eb, sum, vs, vd, vg, L, LH, j, ebar, F, Ssum, g);
  }
  for (; j < nLif; j++) {
    let eb = load<T>(at<T>(ebar, row + j)), sum = <T>0, vs = <T>0;
    for (let s = 0; s < S; s++) {
      const x = load<T>(at<T>(ev, s * nPre + i));
      const e = load<T>(at<T>(psi, s * n + j)) * x;
      eb = tk * eb + tc * e;
      sum += e;
      if (volt) vs += load<T>(at<T>(cv, s * n + j)) * x;
    }
    finishScalar<T>(row + j, eb, sum, vs, td, tg, L, LH, j, ebar, F, Ssum, g);
  }
  // ALIF columns
  for (; j + Ln <= n; j += Ln) {
    let eb = v128.load(at<T>(ebar, row + j));
    let ea = v128.load(at<T>(epsA, aRow + j - nLif));
    let sum = v128.splat<T>(<T>0), vs = v128.splat<T>(<T>0);
    for (let s = 0; s < S; s++) {
      const pp = v128.load(at<T>(psiPrev, s * n + j));
      ea = v128.add<T>(
        v128.mul<T>(v128.sub<T>(vr, v128.mul<T>(vb, pp)), ea),
        v128.mul<T>(pp, v128.splat<T>(load<T>(at<T>(evOld, s * nPre + i)))),
      );
      const x = v128.splat<T>(load<T>(at<T>(ev, s * nPre + i)));
      const e = v128.mul<T>(v128.load(at<T>(psi, s * n + j)), v128.sub<T>(x, v128.mul<T>(vb, ea)));
      eb = v128.add<T>(v128.mul<T>(vk, eb), v128.mul<T>(vc, e));
      sum = v128.add<T>(sum, e);
      if (volt) {
        vs = v128.add<T>(vs, v128.add<T>(
          v128.mul<T>(v128.load(at<T>(cv, s * n + j)), x),
          v128.mul<T>(v128.load(at<T>(ca, s * n + j)), ea),
        ));
      }
    }
    v128.store(at<T>(epsA, aRow + j - nLif), ea);
    finish<T>(row + j, eb, sum, vs, vd, vg, L, LH, j, ebar, F, Ssum, g);
  }
  for (; j < n; j++) {
    let eb = load<T>(at<T>(ebar, row + j)), sum = <T>0, vs = <T>0;
    let ea = load<T>(at<T>(epsA, aRow + j - nLif));
    for (let s = 0; s < S; s++) {
      const pp = load<T>(at<T>(psiPrev, s * n + j));
      ea = (tr - tb * pp) * ea + pp * load<T>(at<T>(evOld, s * nPre + i));
      const x = load<T>(at<T>(ev, s * nPre + i));
      const e = load<T>(at<T>(psi, s * n + j)) * (x - tb * ea);
      eb = tk * eb + tc * e;
      sum += e;
      if (volt) vs += load<T>(at<T>(cv, s * n + j)) * x + load<T>(at<T>(ca, s * n + j)) * ea;
    }
    store<T>(at<T>(epsA, aRow + j - nLif), ea);
    finishScalar<T>(row + j, eb, sum, vs, td, tg, L, LH, j, ebar, F, Ssum, g);
  }
  if (diag) {
    store<T>(at<T>(ebar, row + i), <T>0);
    store<T>(at<T>(F, row + i), <T>0);
    if (i >= nLif) store<T>(at<T>(epsA, aRow + i - nLif), <T>0);
    store<T>(at<T>(g, row + i), gDiag);
    store<T>(at<T>(Ssum, row + i), sDiag);
  }
}

// @ts-ignore: decorator
@inline function finish<T>(
  k: i32, eb: v128, sum: v128, vs: v128, vd: v128, vg: v128, L: usize, LH: usize, j: i32,
  ebar: usize, F: usize, Ssum: usize, g: usize,
): void {
  v128.store(at<T>(ebar, k), eb);
  const ps = at<T>(Ssum, k);
  v128.store(ps, v128.add<T>(v128.load(ps), sum));
  const pf = at<T>(F, k), pg = at<T>(g, k);
  const f = v128.load(pf);
  const dg = v128.add<T>(v128.mul<T>(vd, f), v128.mul<T>(v128.load(at<T>(LH, j)), eb));
  v128.store(pg, v128.add<T>(v128.load(pg), v128.add<T>(dg, vs)));
  v128.store(pf, v128.add<T>(v128.mul<T>(vg, f), v128.mul<T>(v128.load(at<T>(L, j)), eb)));
}

// @ts-ignore: decorator
@inline function finishScalar<T>(
  k: i32, eb: T, sum: T, vs: T, td: T, tg: T, L: usize, LH: usize, j: i32,
  ebar: usize, F: usize, Ssum: usize, g: usize,
): void {
  store<T>(at<T>(ebar, k), eb);
  const ps = at<T>(Ssum, k);
  store<T>(ps, load<T>(ps) + sum);
  const pf = at<T>(F, k), pg = at<T>(g, k);
  const f = load<T>(pf);
  store<T>(pg, load<T>(pg) + (td * f + load<T>(at<T>(LH, j)) * eb + vs));
  store<T>(pf, tg * f + load<T>(at<T>(L, j)) * eb);
}

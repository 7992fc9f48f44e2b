// e-prop gradients (EPROP.md 3.1 and 3.3), in two forms that give the same number.
//
// Traces, with pre_i(t) = x_i(t) (input) or z_i(t-1) (recurrent):
//   eps_v_i(t)   = alpha eps_v_i(t-1) + s pre_i(t)
//   eps_a_ji(t)  = (rho - beta_j psi_j(t-1)) eps_a_ji(t-1) + psi_j(t-1) eps_v_i(t-1)
//   e_ji(t)      = psi_j(t) (eps_v_i(t) - beta_j eps_a_ji(t))                 (eqs. 13-14, 22-25)
//   ebar_ji(t)   = kappa ebar_ji(t-1) + c e_ji(t)
// Gradient: sum_{b,t} L_j(t) ebar_ji(t) + sum_{b,t} Lreg_j(t) e_ji(t).
// (s, the input scaling, makes eps_v the exact dv/dw; s = 1 gives EPROP.md's form.)
import { at, lanes } from "./simd";
import { C_ALPHA, C_C, C_KAPPA, C_RHO, C_S, constant } from "./consts";

/**
 * Factorized form: given the per-neuron signal G_j(t) that multiplies e_ji(t) (see
 * learningSignal), one backward pass over each neuron's own scalar recursion gives Mt with
 *   sum_t G_j(t) e_ji(t) = s sum_t Mt_j(t) pre_i(t),
 * so the weight gradient is one product s P^T Mt (gemmTN):
 *   q(t)  = G(t) psi(t)
 *   M(t)  = q(t) + psi(t) la(t+1)                 la: adjoint of eps_a
 *   la(t) = -beta q(t) + (rho - beta psi(t)) la(t+1)
 *   Mt(t) = M(t) + alpha Mt(t+1)                  adjoint of eps_v, then of pre
 * G, psi, Mt: [T][B][n]; la: [B][n] scratch.
 */
export function traceAdjoint<T>(
  steps: i32, B: i32, n: i32, cst: usize,
  G: usize, psi: usize, beta: usize, Mt: usize, la: usize,
): void {
  const alpha = constant<T>(cst, C_ALPHA);
  const rho = constant<T>(cst, C_RHO);
  const size = B * n;
  memory.fill(la, 0, <usize>size << alignof<T>());
  const L = lanes<T>();
  const nv = n - n % L;
  const vAlpha = v128.splat<T>(alpha);
  const vRho = v128.splat<T>(rho);
  for (let t = steps - 1; t >= 0; t--) {
    const last = t == steps - 1;
    for (let b = 0; b < B; b++) {
      let j = 0;
      for (; j < nv; j += L) {
        const idx = b * n + j;
        const p = v128.load(at<T>(psi, t * size + idx));
        const q = v128.mul<T>(v128.load(at<T>(G, t * size + idx)), p);
        const pla = at<T>(la, idx);
        const lNext = v128.load(pla);
        const bj = v128.load(at<T>(beta, j));
        const m = v128.add<T>(q, v128.mul<T>(p, lNext));
        v128.store(
          pla,
          v128.sub<T>(v128.mul<T>(v128.sub<T>(vRho, v128.mul<T>(bj, p)), lNext), v128.mul<T>(bj, q)),
        );
        const next = last ? v128.splat<T>(<T>0) : v128.load(at<T>(Mt, (t + 1) * size + idx));
        v128.store(at<T>(Mt, t * size + idx), v128.add<T>(m, v128.mul<T>(vAlpha, next)));
      }
      for (; j < n; j++) {
        const idx = b * n + j;
        const p = load<T>(at<T>(psi, t * size + idx));
        const q = load<T>(at<T>(G, t * size + idx)) * p;
        const lNext = load<T>(at<T>(la, idx));
        const bj = load<T>(at<T>(beta, j));
        const m = q + p * lNext;
        store<T>(at<T>(la, idx), (rho - bj * p) * lNext - bj * q);
        const next = last ? <T>0 : load<T>(at<T>(Mt, (t + 1) * size + idx));
        store<T>(at<T>(Mt, t * size + idx), m + alpha * next);
      }
    }
  }
}

/**
 * Online form, one step for B trials (EPROP.md section 4). The presynaptic vector of trial b is
 * [x_b(t), zPrev_b] (nPre = nIn + n). State: epsV [B][nPre], epsA and ebar [B][nPre][n].
 * Accumulates g += L ebar + reg e and S += e ([nPre][n], summed over the batch). reg: [n], a
 * regularizer signal known at this step (online rate estimate), or 0; a signal known only after
 * the last step (simple regularizer) multiplies S instead. psiPrev, psi, L: [B][n].
 * scratch: [3 n] floats.
 * The step is memory-bound (epsA and ebar stream through once); columns of a leading run of LIF
 * neurons (beta = 0) skip epsA, which they never use.
 */
export function onlineTraceStep<T>(
  B: i32, nIn: i32, n: i32, cst: usize,
  x: usize, zPrev: usize, psiPrev: usize, psi: usize, L: usize, reg: usize, beta: usize,
  epsV: usize, epsA: usize, ebar: usize, g: usize, S: usize, scratch: usize,
): void {
  const alpha = constant<T>(cst, C_ALPHA);
  const rho = constant<T>(cst, C_RHO);
  const s = constant<T>(cst, C_S);
  const kappa = constant<T>(cst, C_KAPPA);
  const c = constant<T>(cst, C_C);
  const nPre = nIn + n;
  const Ln = lanes<T>();
  const nv = n - n % Ln;
  let nLif = 0;
  while (nLif < n && load<T>(at<T>(beta, nLif)) == <T>0) nLif++;
  const nlv = nLif - nLif % Ln;
  const decayA = scratch;
  const betaPsi = at<T>(scratch, n);
  const regJ = at<T>(scratch, 2 * n);
  if (reg != 0) memory.copy(regJ, reg, <usize>n << alignof<T>());
  else memory.fill(regJ, 0, <usize>n << alignof<T>());
  const vKappa = v128.splat<T>(kappa);
  const vC = v128.splat<T>(c);
  for (let b = 0; b < B; b++) {
    const psiPrevB = at<T>(psiPrev, b * n);
    const psiB = at<T>(psi, b * n);
    const LB = at<T>(L, b * n);
    for (let j = 0; j < n; j++) {
      const bj = load<T>(at<T>(beta, j));
      store<T>(at<T>(decayA, j), rho - bj * load<T>(at<T>(psiPrevB, j)));
      store<T>(at<T>(betaPsi, j), bj * load<T>(at<T>(psiB, j)));
    }
    for (let i = 0; i < nPre; i++) {
      const pre = i < nIn ? load<T>(at<T>(x, b * nIn + i)) : load<T>(at<T>(zPrev, b * n + i - nIn));
      const evp = at<T>(epsV, b * nPre + i);
      const eo = load<T>(evp);
      const en = alpha * eo + s * pre;
      store<T>(evp, en);
      const row = (b * nPre + i) * n;
      const ea = at<T>(epsA, row);
      const eb = at<T>(ebar, row);
      const gRow = at<T>(g, i * n);
      const sRow = at<T>(S, i * n);
      const vEo = v128.splat<T>(eo);
      const vEn = v128.splat<T>(en);
      let j = 0;
      for (; j < nlv; j += Ln) {
        const e = v128.mul<T>(v128.load(at<T>(psiB, j)), vEn);
        accumulateTrace<T>(e, at<T>(eb, j), at<T>(gRow, j), at<T>(sRow, j), at<T>(LB, j), at<T>(regJ, j), vKappa, vC);
      }
      for (; j < nv; j += Ln) {
        const pa = at<T>(ea, j);
        const a1 = v128.add<T>(
          v128.mul<T>(v128.load(at<T>(decayA, j)), v128.load(pa)),
          v128.mul<T>(v128.load(at<T>(psiPrevB, j)), vEo),
        );
        v128.store(pa, a1);
        const e = v128.sub<T>(
          v128.mul<T>(v128.load(at<T>(psiB, j)), vEn),
          v128.mul<T>(v128.load(at<T>(betaPsi, j)), a1),
        );
        accumulateTrace<T>(e, at<T>(eb, j), at<T>(gRow, j), at<T>(sRow, j), at<T>(LB, j), at<T>(regJ, j), vKappa, vC);
      }
      for (; j < n; j++) {
        const pa = at<T>(ea, j);
        const a1 = load<T>(at<T>(decayA, j)) * load<T>(pa) + load<T>(at<T>(psiPrevB, j)) * eo;
        store<T>(pa, a1);
        const e = load<T>(at<T>(psiB, j)) * en - load<T>(at<T>(betaPsi, j)) * a1;
        const pb = at<T>(eb, j);
        const e1 = kappa * load<T>(pb) + c * e;
        store<T>(pb, e1);
        const pg = at<T>(gRow, j);
        store<T>(pg, load<T>(pg) + (load<T>(at<T>(LB, j)) * e1 + load<T>(at<T>(regJ, j)) * e));
        const ps = at<T>(sRow, j);
        store<T>(ps, load<T>(ps) + e);
      }
    }
  }
}

/** ebar = kappa ebar + c e; g += L ebar + reg e; S += e, for one vector of eligibility traces e. */
// @ts-ignore: decorator
@inline function accumulateTrace<T>(
  e: v128, pb: usize, pg: usize, ps: usize, pL: usize, pReg: usize, vKappa: v128, vC: v128,
): void {
  const e1 = v128.add<T>(v128.mul<T>(vKappa, v128.load(pb)), v128.mul<T>(vC, e));
  v128.store(pb, e1);
  const dg = v128.add<T>(v128.mul<T>(v128.load(pL), e1), v128.mul<T>(v128.load(pReg), e));
  v128.store(pg, v128.add<T>(v128.load(pg), dg));
  v128.store(ps, v128.add<T>(v128.load(ps), e));
}

/**
 * The spiking CNN front end of the Atari agent (src/engine/wasm/spiking_conv.ts,
 * core-wasm/assembly/conv.ts) against independent plain-TypeScript float64 references (loops, no
 * core): the convolution kernels (dense = event-driven bit for bit), the forward pass (spikes and
 * pseudo-derivatives bit for bit in f64), BPTT (a reverse pass through the same equations, and
 * forward-mode directional derivatives through the surrogate), e-prop (per-synapse eligibility
 * traces run forward in time, each way of propagating the learning signal), the recorded membrane
 * potentials (bit for bit in f64) and external errors at them (dEdv: BPTT against the reverse
 * pass and forward-mode derivatives of sum dE/dz . z + dE/dv . v, e-prop against eligibility
 * traces), the paper's layers on Pong frames, and bad inputs. (f32 against f64 and tfjs against
 * the core: tests/engine_matrix_test.ts.)
 */
import assert from "node:assert/strict";
import { SpikingConv } from "../src/engine/wasm/spiking_conv.ts";
import {
  initSpikingConvParams,
  type ResolvedSpikingConvSpec,
  resolveSpikingConvSpec,
  type SpikingConvSpec,
} from "../src/net/spiking_conv_spec.ts";
import { createGame } from "../src/env/games/index.ts";
import { preprocess } from "../src/env/preprocess.ts";
import { Rng } from "../src/util/rng.ts";
import { relativeError } from "./_random_network.ts";
import { kernelSetup } from "./_kernel_setup.ts";
import { convProblem as problem, randomDEdv, SMALL } from "./_engine_matrix_conv.ts";

// ---------------------------------------------------------------------------------------------
// Plain float64 reference: naive loops over the definitions.

/** Geometry of one layer. */
interface Geo {
  inH: number;
  inW: number;
  inC: number;
  k: number;
  st: number;
  H: number;
  W: number;
  C: number;
}

function geo(inH: number, inW: number, inC: number, k: number, st: number, C: number): Geo {
  return {
    inH,
    inW,
    inC,
    k,
    st,
    H: Math.floor((inH - k) / st) + 1,
    W: Math.floor((inW - k) / st) + 1,
    C,
  };
}

function geos(spec: ResolvedSpikingConvSpec): Geo[] {
  return spec.layers.map((l) =>
    geo(l.inHeight, l.inWidth, l.inChannels, l.kernel, l.stride, l.channels)
  );
}

/** Y[n][oy][ox][co] = sum over (ky, kx, ci) in this order, from 0. */
function refConv(X: Float64Array, N: number, g: Geo, w: Float64Array): Float64Array {
  const Y = new Float64Array(N * g.H * g.W * g.C);
  for (let n = 0; n < N; n++) {
    for (let oy = 0; oy < g.H; oy++) {
      for (let ox = 0; ox < g.W; ox++) {
        for (let co = 0; co < g.C; co++) {
          let acc = 0;
          for (let ky = 0; ky < g.k; ky++) {
            for (let kx = 0; kx < g.k; kx++) {
              for (let ci = 0; ci < g.inC; ci++) {
                const x = X[((n * g.inH + oy * g.st + ky) * g.inW + ox * g.st + kx) * g.inC + ci];
                acc += x * w[((ky * g.k + kx) * g.inC + ci) * g.C + co];
              }
            }
          }
          Y[((n * g.H + oy) * g.W + ox) * g.C + co] = acc;
        }
      }
    }
  }
  return Y;
}

/** dX = conv^T(D): gathered at each input element from the outputs whose patch holds it. */
function refConvT(D: Float64Array, N: number, g: Geo, w: Float64Array): Float64Array {
  const dX = new Float64Array(N * g.inH * g.inW * g.inC);
  for (let n = 0; n < N; n++) {
    for (let iy = 0; iy < g.inH; iy++) {
      for (let ix = 0; ix < g.inW; ix++) {
        for (let ci = 0; ci < g.inC; ci++) {
          let acc = 0;
          for (let ky = 0; ky < g.k; ky++) {
            const dy = iy - ky, oy = dy / g.st;
            if (dy < 0 || !Number.isInteger(oy) || oy >= g.H) continue;
            for (let kx = 0; kx < g.k; kx++) {
              const dx = ix - kx, ox = dx / g.st;
              if (dx < 0 || !Number.isInteger(ox) || ox >= g.W) continue;
              for (let co = 0; co < g.C; co++) {
                acc += w[((ky * g.k + kx) * g.inC + ci) * g.C + co] *
                  D[((n * g.H + oy) * g.W + ox) * g.C + co];
              }
            }
          }
          dX[((n * g.inH + iy) * g.inW + ix) * g.inC + ci] = acc;
        }
      }
    }
  }
  return dX;
}

/** G += scale * sum over images and output positions of X[patch] D[output]. */
function refWeightGrad(
  X: Float64Array,
  D: Float64Array,
  N: number,
  g: Geo,
  G: Float64Array,
  scale: number,
): void {
  for (let ky = 0; ky < g.k; ky++) {
    for (let kx = 0; kx < g.k; kx++) {
      for (let ci = 0; ci < g.inC; ci++) {
        for (let co = 0; co < g.C; co++) {
          let acc = 0;
          for (let n = 0; n < N; n++) {
            for (let oy = 0; oy < g.H; oy++) {
              for (let ox = 0; ox < g.W; ox++) {
                acc += X[((n * g.inH + oy * g.st + ky) * g.inW + ox * g.st + kx) * g.inC + ci] *
                  D[((n * g.H + oy) * g.W + ox) * g.C + co];
              }
            }
          }
          G[((ky * g.k + kx) * g.inC + ci) * g.C + co] += scale * acc;
        }
      }
    }
  }
}

interface RefPass {
  T: number;
  /** Per layer [T][B][units]. */
  z: Float64Array[];
  psi: Float64Array[];
  /** Final membrane potentials per layer. */
  v: Float64Array[];
  /** Membrane potentials of every step per layer, [T][B][units]. */
  vt: Float64Array[];
  /** Input of layer l at step t ([B][inH][inW][inC]). */
  input: (l: number, t: number) => Float64Array;
}

/** The forward pass, step by step and layer by layer, in the kernels' arithmetic order. */
function refForward(
  spec: ResolvedSpikingConvSpec,
  weights: Float64Array[],
  frames: Float64Array,
  B: number,
  F: number,
  state?: { v: Float64Array[]; z: Float64Array[] },
  bias: (Float64Array | undefined)[] = [],
): RefPass {
  const gs = geos(spec), R = spec.stepsPerFrame, T = F * R;
  const { alpha, s, thr, dtMs } = spec;
  const slope = spec.dampening / thr;
  const pixels = spec.height * spec.width * spec.channels;
  const n = gs.map((g) => B * g.H * g.W * g.C);
  const z = n.map((m) => new Float64Array(T * m)), psi = n.map((m) => new Float64Array(T * m));
  const vt = n.map((m) => new Float64Array(T * m));
  const v = n.map((m, l) => state ? Float64Array.from(state.v[l]) : new Float64Array(m));
  const I0 = Array.from(
    { length: F },
    (_, f) => refConv(frames.subarray(f * B * pixels, (f + 1) * B * pixels), B, gs[0], weights[0]),
  );
  const input = (l: number, t: number) =>
    l === 0
      ? frames.subarray(Math.floor(t / R) * B * pixels, (Math.floor(t / R) + 1) * B * pixels)
      : z[l - 1].subarray(t * n[l - 1], (t + 1) * n[l - 1]);
  for (let t = 0; t < T; t++) {
    for (let l = 0; l < gs.length; l++) {
      const I = l === 0 ? I0[Math.floor(t / R)] : refConv(input(l, t), B, gs[l], weights[l]);
      const b = bias[l];
      for (let i = 0; i < n[l]; i++) {
        const cur = b ? I[i] + b[i % gs[l].C] : I[i];
        const zp = t > 0 ? z[l][(t - 1) * n[l] + i] : state ? state.z[l][i] : 0;
        v[l][i] = alpha * v[l][i] + s * cur - thr * zp;
        vt[l][t * n[l] + i] = v[l][i];
        const d = v[l][i] - thr;
        z[l][t * n[l] + i] = d > 0 ? 1 / dtMs : 0;
        const m = 1 - Math.abs(d) / thr;
        psi[l][t * n[l] + i] = m > 0 ? slope * m : 0;
      }
    }
  }
  return { T, z, psi, v, vt, input };
}

function slice(a: Float64Array | undefined, t: number, n: number): Float64Array {
  return a ? a.slice(t * n, (t + 1) * n) : new Float64Array(n);
}

/**
 * BPTT, written step by step from the equations: gz_l(t) = dE/dz_l(t) + s conv^T(gv_{l+1}(t)),
 * gv_l(t) = psi (gz - [reset] thr gv_l(t+1)) + alpha gv_l(t+1) + dE/dv_l(t),
 * dW_l += s input_l(t) (x) gv_l(t); with `biasGrads`, db_l[c] += s gv_l(t) summed over the
 * positions of channel c.
 */
function refBptt(
  spec: ResolvedSpikingConvSpec,
  weights: Float64Array[],
  p: RefPass,
  B: number,
  dEdz: (Float64Array | undefined)[],
  reset: boolean,
  dEdv: (Float64Array | undefined)[] = [],
  biasGrads?: Float64Array[],
): Float64Array[] {
  const gs = geos(spec), top = gs.length - 1;
  const { alpha, s, thr } = spec;
  const n = gs.map((g) => B * g.H * g.W * g.C);
  const grads = weights.map((w) => new Float64Array(w.length));
  let gvNext: Float64Array[] = n.map((m) => new Float64Array(m));
  for (let t = p.T - 1; t >= 0; t--) {
    const gvCur: Float64Array[] = new Array(gs.length);
    for (let l = top; l >= 0; l--) {
      const gz = slice(dEdz[l], t, n[l]);
      if (l < top) {
        const back = refConvT(gvCur[l + 1], B, gs[l + 1], weights[l + 1]);
        for (let i = 0; i < n[l]; i++) gz[i] += s * back[i];
      }
      const gv = new Float64Array(n[l]);
      for (let i = 0; i < n[l]; i++) {
        const gn = gvNext[l][i];
        gv[i] = p.psi[l][t * n[l] + i] * (gz[i] - (reset ? thr * gn : 0)) + alpha * gn;
        if (dEdv[l]) gv[i] += dEdv[l]![t * n[l] + i];
      }
      refWeightGrad(p.input(l, t), gv, B, gs[l], grads[l], s);
      if (biasGrads) { for (let i = 0; i < n[l]; i++) biasGrads[l][i % gs[l].C] += s * gv[i]; }
      gvCur[l] = gv;
    }
    gvNext = gvCur;
  }
  return grads;
}

/**
 * Forward-mode derivative of sum_{l,t} dE/dz_l(t) . z_l(t) + dE/dv_l(t) . v_l(t) along the weight
 * direction U, through the same surrogate (dz/dv = psi): dv(t) = alpha dv(t-1) + s dI(t) -
 * thr dz(t-1), dz = psi dv.
 */
function refDirectional(
  spec: ResolvedSpikingConvSpec,
  weights: Float64Array[],
  p: RefPass,
  B: number,
  dEdz: (Float64Array | undefined)[],
  U: Float64Array[],
  dEdv: (Float64Array | undefined)[] = [],
): number {
  const gs = geos(spec);
  const { alpha, s, thr } = spec;
  const n = gs.map((g) => B * g.H * g.W * g.C);
  const dv = n.map((m) => new Float64Array(m)), dzPrev = n.map((m) => new Float64Array(m));
  let total = 0;
  for (let t = 0; t < p.T; t++) {
    const dz: Float64Array[] = [];
    for (let l = 0; l < gs.length; l++) {
      const dI = refConv(p.input(l, t), B, gs[l], U[l]);
      if (l > 0) {
        const through = refConv(dz[l - 1], B, gs[l], weights[l]);
        for (let i = 0; i < n[l]; i++) dI[i] += through[i];
      }
      const d = new Float64Array(n[l]);
      for (let i = 0; i < n[l]; i++) {
        dv[l][i] = alpha * dv[l][i] + s * dI[i] - thr * dzPrev[l][i];
        d[i] = p.psi[l][t * n[l] + i] * dv[l][i];
        if (dEdz[l]) total += dEdz[l]![t * n[l] + i] * d[i];
        if (dEdv[l]) total += dEdv[l]![t * n[l] + i] * dv[l][i];
      }
      dz.push(d);
    }
    dz.forEach((d, l) => dzPrev[l].set(d));
  }
  return total;
}

/**
 * e-prop forward in time, synapse by synapse: eps(t) = alpha eps(t-1) + input(t) for each weight
 * and output position, e(t) = psi(t) eps(t), dE/dW = s sum_t (L(t) e(t) + dE/dv(t) eps(t)) over
 * positions and trials. L of the top layer is its dE/dz; below, dE/dz plus s conv^T of
 * psi L + dE/dv ("instant") or of sum_{t' >= t} alpha^(t'-t) (psi(t') L(t') + dE/dv(t'))
 * ("stopgrad") of the layer above, or nothing ("none").
 */
function refEprop(
  spec: ResolvedSpikingConvSpec,
  weights: Float64Array[],
  p: RefPass,
  B: number,
  dEdz: (Float64Array | undefined)[],
  propagate: "none" | "instant" | "stopgrad",
  dEdv: (Float64Array | undefined)[] = [],
): Float64Array[] {
  const gs = geos(spec), top = gs.length - 1, T = p.T;
  const { alpha, s } = spec;
  const n = gs.map((g) => B * g.H * g.W * g.C);
  const L: Float64Array[] = new Array(gs.length);
  const ext = (l: number, k: number) => dEdv[l] ? dEdv[l]![k] : 0;
  L[top] = dEdz[top] ? Float64Array.from(dEdz[top]!) : new Float64Array(T * n[top]);
  for (let l = top - 1; l >= 0; l--) {
    L[l] = dEdz[l] ? Float64Array.from(dEdz[l]!) : new Float64Array(T * n[l]);
    if (propagate === "none") continue;
    for (let t = 0; t < T; t++) {
      const src = new Float64Array(n[l + 1]);
      for (let i = 0; i < n[l + 1]; i++) {
        if (propagate === "instant") {
          const k = t * n[l + 1] + i;
          src[i] = p.psi[l + 1][k] * L[l + 1][k] + ext(l + 1, k);
        } else {
          for (let u = t; u < T; u++) {
            const k = u * n[l + 1] + i;
            src[i] += alpha ** (u - t) * (p.psi[l + 1][k] * L[l + 1][k] + ext(l + 1, k));
          }
        }
      }
      const back = refConvT(src, B, gs[l + 1], weights[l + 1]);
      for (let i = 0; i < n[l]; i++) L[l][t * n[l] + i] += s * back[i];
    }
  }
  return gs.map((g, l) => {
    const G = new Float64Array(weights[l].length);
    for (let ky = 0; ky < g.k; ky++) {
      for (let kx = 0; kx < g.k; kx++) {
        for (let ci = 0; ci < g.inC; ci++) {
          for (let co = 0; co < g.C; co++) {
            let acc = 0;
            for (let b = 0; b < B; b++) {
              for (let oy = 0; oy < g.H; oy++) {
                for (let ox = 0; ox < g.W; ox++) {
                  const pre = ((b * g.inH + oy * g.st + ky) * g.inW + ox * g.st + kx) * g.inC + ci;
                  const post = ((b * g.H + oy) * g.W + ox) * g.C + co;
                  let eps = 0;
                  for (let t = 0; t < T; t++) {
                    eps = alpha * eps + p.input(l, t)[pre];
                    const e = p.psi[l][t * n[l] + post] * eps;
                    acc += s * L[l][t * n[l] + post] * e;
                    acc += s * ext(l, t * n[l] + post) * eps;
                  }
                }
              }
            }
            G[((ky * g.k + kx) * g.inC + ci) * g.C + co] = acc;
          }
        }
      }
    }
    return G;
  });
}

// ---------------------------------------------------------------------------------------------
// Helpers (the problems are in _engine_matrix_conv.ts).

function firstMismatch(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i] + 0, b[i] + 0)) return i;
  return -1;
}

function dot(a: Float64Array[], b: Float64Array[]): number {
  let s = 0;
  a.forEach((x, l) => x.forEach((v, i) => (s += v * b[l][i])));
  return s;
}

// ---------------------------------------------------------------------------------------------
// Kernels.

const setup = kernelSetup;

/** Input size, channels, kernel, stride, filters: every blocking tail in f32 and f64. */
const SHAPES = [
  [12, 2, 4, 2, 9],
  [9, 3, 3, 1, 5],
  [10, 16, 4, 1, 8],
  [13, 5, 3, 3, 17],
  [6, 1, 6, 1, 3],
  [20, 8, 8, 4, 16],
] as const;

for (const precision of ["f32", "f64"] as const) {
  Deno.test(`conv-${precision} forward: dense = event-driven = dispatcher bit for bit, = reference`, () => {
    const { k, put, get } = setup(precision);
    const rng = new Rng(3);
    for (const [size, Cin, ks, st, Cout] of SHAPES) {
      const g = geo(size, size + 1, Cin, ks, st, Cout), N = 3;
      const w = Float64Array.from({ length: ks * ks * Cin * Cout }, () => rng.normal());
      for (const density of [0.05, 0.3, 1]) {
        // Inputs exactly representable in f32, so that both precisions see the same values.
        const X = Float64Array.from(
          { length: N * g.inH * g.inW * Cin },
          () => rng.uniform() < density ? Math.fround(rng.normal()) : 0,
        );
        const w32 = precision === "f32" ? w.map(Math.fround) : w;
        const expected = refConv(X, N, g, w32);
        const px = put(X), pw = put(w32), size = N * g.H * g.W * Cout;
        const out = [k.convForwardDense, k.convForwardEvent, k.convForward].map((kernel) => {
          const py = put(new Float64Array(size).fill(7));
          kernel(N, g.inH, g.inW, Cin, ks, ks, st, Cout, px, pw, py);
          return get(py, size);
        });
        const what = `${size}x${size + 1}x${Cin} k${ks} s${st} -> ${Cout}, density ${density}`;
        assert.equal(firstMismatch(out[1], out[0]), -1, `event vs dense, ${what}`);
        assert.equal(firstMismatch(out[2], out[0]), -1, `dispatcher vs dense, ${what}`);
        if (precision === "f64") {
          assert.equal(firstMismatch(out[0], expected), -1, `reference, ${what}`);
        } else {
          assert.ok(relativeError(out[0], expected) < 1e-5, what);
        }
      }
    }
  });

  Deno.test(`conv-${precision} weight and input gradients match naive sums`, () => {
    const { k, put, get } = setup(precision);
    const tol = precision === "f32" ? 1e-5 : 1e-13;
    const rng = new Rng(4);
    for (const [size, Cin, ks, st, Cout] of SHAPES) {
      const g = geo(size + 1, size, Cin, ks, st, Cout), N = 2;
      const w = Float64Array.from({ length: ks * ks * Cin * Cout }, () => rng.normal());
      const D = Float64Array.from(
        { length: N * g.H * g.W * Cout },
        () => rng.uniform() < 0.7 ? rng.normal() : 0,
      );
      for (const density of [0.05, 1]) {
        const X = Float64Array.from(
          { length: N * g.inH * g.inW * Cin },
          () => rng.uniform() < density ? rng.normal() : 0,
        );
        const G0 = Float64Array.from({ length: w.length }, () => rng.normal());
        const expected = G0.slice();
        refWeightGrad(X, D, N, g, expected, 0.5);
        for (const kernel of [k.convWeightGradDense, k.convWeightGradEvent, k.convWeightGrad]) {
          const pg = put(G0);
          kernel(N, g.inH, g.inW, Cin, ks, ks, st, Cout, put(X), put(D), pg, 0.5);
          assert.ok(
            relativeError(get(pg, w.length), expected) < tol,
            `${kernel.name} ${size}x${Cin} k${ks} s${st} -> ${Cout}, density ${density}`,
          );
        }
      }
      // Input gradient: weights passed as [k][k][Cout][Cin].
      const wT = new Float64Array(w.length);
      for (let q = 0; q < ks * ks; q++) {
        for (let ci = 0; ci < Cin; ci++) {
          for (let co = 0; co < Cout; co++) {
            wT[(q * Cout + co) * Cin + ci] = w[(q * Cin + ci) * Cout + co];
          }
        }
      }
      const dX0 = Float64Array.from({ length: N * g.inH * g.inW * Cin }, () => rng.normal());
      const back = refConvT(D, N, g, w);
      const expected = dX0.map((v, i) => v + 0.5 * back[i]);
      const pdx = put(dX0);
      k.convInputGrad(N, g.inH, g.inW, Cin, ks, ks, st, Cout, put(D), put(wT), pdx, 0.5);
      assert.ok(relativeError(get(pdx, dX0.length), expected) < tol, `convInputGrad ${size}`);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// The network.

Deno.test("spiking CNN forward (f64) equals the reference bit for bit: spikes, psi, state", async () => {
  const { spec, params, frames, B, F } = problem(SMALL, 1);
  const net = await SpikingConv.create(SMALL, params, { precision: "f64" });
  const ref = refForward(spec, params.weights, frames, B, F);
  const pass = net.forward(frames, B, F);
  const rates = pass.rates();
  assert.ok(rates.every((r) => r > 0.05 && r < 0.95), `rates ${rates}`);
  spec.layers.forEach((_, l) => {
    assert.equal(firstMismatch(pass.spikes(l), ref.z[l]), -1, `spikes of layer ${l}`);
    assert.equal(firstMismatch(pass.psi(l), ref.psi[l]), -1, `psi of layer ${l}`);
    assert.equal(firstMismatch(pass.state().v[l], ref.v[l]), -1, `v of layer ${l}`);
  });
  // Continuing from a state: two frames, then the third from the state, equal the whole run.
  const pixels = spec.height * spec.width * spec.channels;
  const first = net.forward(frames.subarray(0, 2 * B * pixels), B, 2);
  const state = first.state();
  const rest = net.forward(frames.subarray(2 * B * pixels), B, 1, { state });
  const R = spec.stepsPerFrame;
  spec.layers.forEach((l, i) => {
    const n = B * l.units;
    assert.equal(firstMismatch(rest.spikes(i), ref.z[i].subarray(2 * R * n)), -1, `continued ${i}`);
  });
  // And a reference started from that state agrees too.
  const refRest = refForward(spec, params.weights, frames.subarray(2 * B * pixels), B, 1, state);
  assert.equal(firstMismatch(rest.spikes(1), refRest.z[1]), -1);
});

Deno.test("spiking CNN BPTT (f64) equals a reference reverse pass and forward-mode derivatives", async () => {
  const { spec, params, frames, B, F, dEdz, rng } = problem(SMALL, 2);
  const net = await SpikingConv.create(SMALL, params, { precision: "f64" });
  const pass = net.forward(frames, B, F);
  const grads = net.gradients(pass, dEdz, { method: "bptt" });
  const ref = refForward(spec, params.weights, frames, B, F);
  const expected = refBptt(spec, params.weights, ref, B, dEdz, true);
  const errors: string[] = [];
  grads.forEach((g, l) => {
    const err = relativeError(g, expected[l]);
    errors.push(`layer ${l} ${err.toExponential(1)}`);
    assert.ok(err < 1e-13, `layer ${l}: ${err}`);
  });
  // <grad, U> = d/de sum dE/dz . z(W + e U) through the surrogate, for random directions U.
  for (let r = 0; r < 3; r++) {
    const U = params.weights.map((w) => w.map(() => rng.normal()));
    const jvp = refDirectional(spec, params.weights, ref, B, dEdz, U);
    const err = Math.abs(dot(grads, U) - jvp) / Math.abs(jvp);
    errors.push(`direction ${r} ${err.toExponential(1)}`);
    assert.ok(err < 1e-12, `direction ${r}: ${dot(grads, U)} vs ${jvp}`);
  }
  console.log(
    `BPTT vs reference reverse pass and forward mode, relative errors: ${errors.join(", ")}`,
  );
  // Only one layer's error: the other gets none, BPTT still reaches layer 0 through layer 1.
  const onlyTop = net.gradients(pass, [undefined, dEdz[1]], { method: "bptt" });
  const refTop = refBptt(spec, params.weights, ref, B, [undefined, dEdz[1]], true);
  assert.ok(relativeError(onlyTop[0], refTop[0]) < 1e-13);
  assert.ok(onlyTop[0].some((v) => v !== 0));
});

Deno.test("spiking CNN e-prop (f64) equals forward-mode eligibility traces, each propagation", async () => {
  const { spec, params, frames, B, F, dEdz } = problem(SMALL, 3);
  const net = await SpikingConv.create(SMALL, params, { precision: "f64" });
  const pass = net.forward(frames, B, F);
  const ref = refForward(spec, params.weights, frames, B, F);
  const errors: string[] = [];
  for (const propagate of ["none", "instant", "stopgrad"] as const) {
    const grads = net.gradients(pass, dEdz, { method: "eprop", propagate });
    const expected = refEprop(spec, params.weights, ref, B, dEdz, propagate);
    grads.forEach((g, l) => {
      const err = relativeError(g, expected[l]);
      errors.push(`${propagate}[${l}] ${err.toExponential(1)}`);
      assert.ok(err < 1e-13, `${propagate}, layer ${l}: ${err}`);
    });
  }
  // The default propagation is "instant".
  const dflt = net.gradients(pass, dEdz, { method: "eprop" });
  const instant = net.gradients(pass, dEdz, { method: "eprop", propagate: "instant" });
  assert.deepEqual(dflt, instant);
  // "stopgrad" e-prop is BPTT with the error through the reset stopped; BPTT itself differs.
  const stop = net.gradients(pass, dEdz, { method: "eprop", propagate: "stopgrad" });
  const noReset = refBptt(spec, params.weights, ref, B, dEdz, false);
  stop.forEach((g, l) => assert.ok(relativeError(g, noReset[l]) < 1e-13, `no-reset ${l}`));
  const bptt = net.gradients(pass, dEdz, { method: "bptt" });
  assert.ok(relativeError(stop[0], bptt[0]) > 1e-3, "the reset path matters");
  console.log(`e-prop vs reference, relative errors: ${errors.join(", ")}`);
});

Deno.test("spiking CNN with three layers: forward bit for bit, BPTT and e-prop as the references", async () => {
  const specIn: SpikingConvSpec = {
    height: 9,
    width: 11,
    channels: 3,
    layers: [
      { filters: 4, kernel: 3, stride: 1 },
      { filters: 6, kernel: 2, stride: 2 },
      { filters: 3, kernel: 2, stride: 1 },
    ],
    stepsPerFrame: 2,
    tauMMs: 3,
    thr: 0.3,
    dampening: 0.3,
    inputScaling: "leaky",
  };
  const { spec, params, frames, B, F, dEdz } = problem(specIn, 4, 2, 3, 3);
  const net = await SpikingConv.create(specIn, params, { precision: "f64" });
  const pass = net.forward(frames, B, F);
  const ref = refForward(spec, params.weights, frames, B, F);
  spec.layers.forEach((_, l) => assert.equal(firstMismatch(pass.spikes(l), ref.z[l]), -1));
  assert.ok(pass.rates().every((r) => r > 0.02), `rates ${pass.rates()}`);
  const bptt = net.gradients(pass, dEdz, { method: "bptt" });
  const eprop = net.gradients(pass, dEdz, { method: "eprop" });
  const refB = refBptt(spec, params.weights, ref, B, dEdz, true);
  const refE = refEprop(spec, params.weights, ref, B, dEdz, "instant");
  bptt.forEach((g, l) => assert.ok(relativeError(g, refB[l]) < 1e-13, `bptt ${l}`));
  eprop.forEach((g, l) => assert.ok(relativeError(g, refE[l]) < 1e-13, `eprop ${l}`));
  // Potentials and errors at them (leaky input scaling, tau_m 3 steps).
  const rec = net.forward(frames, B, F, { recordPotentials: true });
  spec.layers.forEach((_, l) => assert.equal(firstMismatch(rec.potentials(l), ref.vt[l]), -1));
  const dEdv = randomDEdv(spec, pass.steps, B, new Rng(40));
  const bpttV = net.gradients(rec, dEdz, { method: "bptt", dEdv });
  const refBV = refBptt(spec, params.weights, ref, B, dEdz, true, dEdv);
  bpttV.forEach((g, l) => assert.ok(relativeError(g, refBV[l]) < 1e-13, `bptt+dEdv ${l}`));
  for (const propagate of ["instant", "stopgrad"] as const) {
    const g = net.gradients(rec, dEdz, { method: "eprop", propagate, dEdv });
    const r = refEprop(spec, params.weights, ref, B, dEdz, propagate, dEdv);
    g.forEach((x, l) => assert.ok(relativeError(x, r[l]) < 1e-13, `${propagate}+dEdv ${l}`));
  }
});

Deno.test("spiking CNN potentials (f64) equal the reference v at every step bit for bit; recording changes nothing", async () => {
  const { spec, params, frames, B, F, T, dEdz } = problem(SMALL, 7);
  const net = await SpikingConv.create(SMALL, params, { precision: "f64" });
  const ref = refForward(spec, params.weights, frames, B, F);
  const plain = net.forward(frames, B, F);
  assert.equal(plain.recordsPotentials, false);
  assert.throws(() => plain.potentials(0), /did not record them.*recordPotentials: true/);
  const off = spec.layers.map((_, l) => ({
    z: plain.spikes(l),
    psi: plain.psi(l),
    v: plain.state().v[l],
    zLast: plain.state().z[l],
  }));
  const pass = net.forward(frames, B, F, { recordPotentials: true });
  assert.equal(pass.recordsPotentials, true);
  spec.layers.forEach((l, i) => {
    const v = pass.potentials(i);
    assert.equal(v.length, T * B * l.units);
    assert.equal(firstMismatch(v, ref.vt[i]), -1, `potentials of layer ${i}`);
    // Spikes are where v > thr; the last step's potential is the state.
    assert.equal(firstMismatch(v.map((x) => (x > spec.thr ? 1 : 0)), ref.z[i]), -1);
    assert.equal(firstMismatch(v.subarray((T - 1) * B * l.units), pass.state().v[i]), -1);
    assert.equal(firstMismatch(pass.spikes(i), off[i].z), -1, `spikes ${i}`);
    assert.equal(firstMismatch(pass.psi(i), off[i].psi), -1, `psi ${i}`);
    assert.equal(firstMismatch(pass.state().v[i], off[i].v), -1, `state.v ${i}`);
    assert.equal(firstMismatch(pass.state().z[i], off[i].zLast), -1, `state.z ${i}`);
  });
  // A copy: changing it leaves the pass alone.
  pass.potentials(1).fill(9);
  assert.equal(firstMismatch(pass.potentials(1), ref.vt[1]), -1);
  // Continued from a state, the potentials are the whole run's last frame.
  const pixels = spec.height * spec.width * spec.channels, R = spec.stepsPerFrame;
  const state = net.forward(frames.subarray(0, 2 * B * pixels), B, 2).state();
  const rest = net.forward(frames.subarray(2 * B * pixels), B, 1, {
    state,
    recordPotentials: true,
  });
  spec.layers.forEach((l, i) => {
    const n = B * l.units;
    assert.equal(firstMismatch(rest.potentials(i), ref.vt[i].subarray(2 * R * n)), -1);
  });
  // Gradients of a recorded pass are those of a plain one, bit for bit.
  const g1 = net.gradients(net.forward(frames, B, F, { recordPotentials: true }), dEdz, {
    method: "bptt",
  });
  const g0 = net.gradients(net.forward(frames, B, F), dEdz, { method: "bptt" });
  g0.forEach((g, l) => assert.equal(firstMismatch(g1[l], g), -1));
  console.log(
    `potentials: ${spec.layers.length} layers x ${T} steps bit for bit; v range layer 1 ` +
      `[${Math.min(...ref.vt[1]).toFixed(3)}, ${Math.max(...ref.vt[1]).toFixed(3)}]`,
  );
});

Deno.test("spiking CNN BPTT with dEdv (f64) equals the reference reverse pass and forward-mode derivatives", async () => {
  const { spec, params, frames, B, F, T, dEdz, rng } = problem(SMALL, 8);
  const dEdv = randomDEdv(spec, T, B, rng);
  const net = await SpikingConv.create(SMALL, params, { precision: "f64" });
  const pass = net.forward(frames, B, F);
  const ref = refForward(spec, params.weights, frames, B, F);
  const errors: string[] = [];
  const cases: [string, (Float64Array | undefined)[], (Float64Array | undefined)[]][] = [
    ["dEdz+dEdv", dEdz, dEdv],
    ["dEdv only", [], dEdv],
    ["dEdv[1] only", [], [undefined, dEdv[1]]],
  ];
  for (const [name, dz, dv] of cases) {
    const grads = net.gradients(pass, dz, { method: "bptt", dEdv: dv });
    const expected = refBptt(spec, params.weights, ref, B, dz, true, dv);
    grads.forEach((g, l) => {
      const err = relativeError(g, expected[l]);
      errors.push(`${name}[${l}] ${err.toExponential(1)}`);
      assert.ok(err < 1e-13, `${name}, layer ${l}: ${err}`);
      assert.ok(g.some((x) => x !== 0), `${name}, layer ${l} is zero`);
    });
    // <grad, U> = d/de [sum dE/dz . z + dE/dv . v](W + e U) for random directions U.
    for (let r = 0; r < 3; r++) {
      const U = params.weights.map((w) => w.map(() => rng.normal()));
      const jvp = refDirectional(spec, params.weights, ref, B, dz, U, dv);
      const err = Math.abs(dot(grads, U) - jvp) / Math.abs(jvp);
      errors.push(`${name} dir ${r} ${err.toExponential(1)}`);
      assert.ok(err < 1e-12, `${name}, direction ${r}: ${dot(grads, U)} vs ${jvp}`);
    }
  }
  // The voltage term matters, and leaving it out (undefined, []) is the plain gradient bit for bit.
  const plain = net.gradients(pass, dEdz, { method: "bptt" });
  const withV = net.gradients(pass, dEdz, { method: "bptt", dEdv });
  const change = plain.map((g, l) => relativeError(withV[l], g));
  assert.ok(change.every((c) => c > 0.05), `dEdv changes the gradients by ${change}`);
  for (const none of [[], [undefined, undefined]]) {
    const g = net.gradients(pass, dEdz, { method: "bptt", dEdv: none });
    g.forEach((x, l) => assert.equal(firstMismatch(x, plain[l]), -1));
  }
  console.log(
    `BPTT with dEdv vs reference and forward mode, relative errors: ${errors.join(", ")}; ` +
      `relative change from dEdv ${change.map((c) => c.toFixed(2)).join(", ")}`,
  );
});

Deno.test("spiking CNN e-prop with dEdv (f64) equals forward-mode eligibility traces, each propagation", async () => {
  const { spec, params, frames, B, F, T, dEdz, rng } = problem(SMALL, 9);
  const dEdv = randomDEdv(spec, T, B, rng);
  const net = await SpikingConv.create(SMALL, params, { precision: "f64" });
  const pass = net.forward(frames, B, F);
  const ref = refForward(spec, params.weights, frames, B, F);
  const errors: string[] = [];
  const cases: [string, Float64Array[]][] = [["dEdz+dEdv", dEdz], ["dEdv only", []]];
  for (const propagate of ["none", "instant", "stopgrad"] as const) {
    for (const [name, dz] of cases) {
      const grads = net.gradients(pass, dz, { method: "eprop", propagate, dEdv });
      const expected = refEprop(spec, params.weights, ref, B, dz, propagate, dEdv);
      grads.forEach((g, l) => {
        const err = relativeError(g, expected[l]);
        errors.push(`${propagate} ${name}[${l}] ${err.toExponential(1)}`);
        assert.ok(err < 1e-13, `${propagate} ${name}, layer ${l}: ${err}`);
      });
    }
  }
  // "stopgrad" e-prop is BPTT without the reset path, the voltage term included.
  const stop = net.gradients(pass, dEdz, { method: "eprop", propagate: "stopgrad", dEdv });
  const noReset = refBptt(spec, params.weights, ref, B, dEdz, false, dEdv);
  stop.forEach((g, l) => assert.ok(relativeError(g, noReset[l]) < 1e-13, `no-reset ${l}`));
  // With "none", layer 1's voltage error stays in layer 1; "instant" passes it down.
  const top = [undefined, dEdv[1]];
  const none = net.gradients(pass, [], { method: "eprop", propagate: "none", dEdv: top });
  assert.ok(none[0].every((x) => x === 0) && none[1].some((x) => x !== 0));
  const inst = net.gradients(pass, [], { method: "eprop", propagate: "instant", dEdv: top });
  assert.ok(inst[0].some((x) => x !== 0));
  console.log(`e-prop with dEdv vs reference, relative errors: ${errors.join(", ")}`);
});

/** Preprocessed Pong frames [1][B][84][84][1] after some random-policy steps. */
// ---------------------------------------------------------------------------------------------
// Bias per output channel.

/** SMALL with a bias on every layer. */
const SMALL_BIAS: SpikingConvSpec = {
  ...SMALL,
  layers: SMALL.layers!.map((l) => ({ ...l, bias: true })),
};

/** A problem on SMALL_BIAS with biases N(0, scale) (the initialisation's are zero). */
function biasProblem(seed: number, scale = 0.3, extra: SpikingConvSpec = {}) {
  const specIn = { ...SMALL_BIAS, ...extra };
  const pr = problem(specIn, seed);
  const b = pr.spec.layers.map((l) =>
    Float64Array.from({ length: l.channels }, () => scale * pr.rng.normal())
  );
  return { ...pr, specIn, b, params: { weights: pr.params.weights, b } };
}

Deno.test("spiking CNN bias: zero-initialised, no draws (filters as without bias); zero bias = no bias bit for bit", async () => {
  const without = problem(SMALL, 5), withBias = problem(SMALL_BIAS, 5);
  withBias.params.weights.forEach((w, l) => assert.deepEqual(w, without.params.weights[l]));
  assert.deepEqual(
    withBias.params.b,
    withBias.spec.layers.map((l) => new Float64Array(l.channels)),
  );
  assert.deepEqual(without.params.b, undefined);
  const a = await SpikingConv.create(SMALL, without.params, { precision: "f64" });
  const b = await SpikingConv.create(SMALL_BIAS, withBias.params, { precision: "f64" });
  const pa = a.forward(without.frames, without.B, without.F);
  const pb = b.forward(withBias.frames, withBias.B, withBias.F);
  withBias.spec.layers.forEach((_, l) => {
    assert.equal(firstMismatch(pb.spikes(l), pa.spikes(l)), -1, `layer ${l}`);
  });
  const ga = a.parameterGradients(pa, without.dEdz, { method: "bptt" });
  const gb = b.parameterGradients(pb, withBias.dEdz, { method: "bptt" });
  assert.equal(ga.b, undefined);
  ga.weights.forEach((g, l) => assert.equal(firstMismatch(gb.weights[l], g), -1));
  assert.equal(gb.b!.length, 2);
  a.dispose(), b.dispose();
});

Deno.test("spiking CNN with bias (f64): forward bit for bit, BPTT filter and bias gradients = reference", async () => {
  const { spec, specIn, params, b, frames, B, F, dEdz } = biasProblem(6);
  const net = await SpikingConv.create(specIn, params, { precision: "f64" });
  const pass = net.forward(frames, B, F);
  const ref = refForward(spec, params.weights, frames, B, F, undefined, b);
  const plain = refForward(spec, params.weights, frames, B, F);
  spec.layers.forEach((_, l) => {
    assert.equal(firstMismatch(pass.spikes(l), ref.z[l]), -1, `spikes of layer ${l}`);
    assert.equal(firstMismatch(pass.psi(l), ref.psi[l]), -1, `psi of layer ${l}`);
  });
  // the bias matters: the spikes differ from those without it
  assert.ok(firstMismatch(ref.z[0], plain.z[0]) >= 0);
  const grads = net.parameterGradients(pass, dEdz, { method: "bptt" });
  const biasRef = spec.layers.map((l) => new Float64Array(l.channels));
  const expected = refBptt(spec, params.weights, ref, B, dEdz, true, [], biasRef);
  const errors = spec.layers.map((_, l) => {
    const ew = relativeError(grads.weights[l], expected[l]);
    const eb = relativeError(grads.b![l]!, biasRef[l]);
    assert.ok(ew < 1e-13 && eb < 1e-13, `layer ${l}: filters ${ew}, bias ${eb}`);
    assert.ok(biasRef[l].some((v) => Math.abs(v) > 1e-3), `layer ${l} bias gradient is not 0`);
    return `layer ${l} W ${ew.toExponential(1)} b ${eb.toExponential(1)}`;
  });
  console.log(`bias BPTT vs reference reverse pass, relative errors: ${errors.join(", ")}`);
  // getParams / setParams keep the bias
  assert.deepEqual(net.getParams().b, b);
  net.dispose();
});

Deno.test("spiking CNN bias gradient (f64) = central finite differences of sum dE/dv . v (gamma 0: no surrogate)", async () => {
  // With dampening 0 the pseudo-derivative vanishes, so BPTT's gradient of E = sum dEdv . v is the
  // exact derivative with the spikes held, which finite differences see while no spike flips.
  const { spec, specIn, params, b, frames, B, F, T, rng } = biasProblem(7, 0.3, { dampening: 0 });
  const dEdv = randomDEdv(spec, T, B, rng);
  const net = await SpikingConv.create(specIn, params, { precision: "f64" });
  const energy = (bias: (Float64Array | undefined)[]) => {
    net.setParams({ weights: params.weights, b: bias });
    const pass = net.forward(frames, B, F, { recordPotentials: true });
    let e = 0;
    const spikes = spec.layers.map((_, l) => pass.spikes(l));
    spec.layers.forEach((_, l) => pass.potentials(l).forEach((v, i) => (e += dEdv[l][i] * v)));
    return { e, spikes };
  };
  const base = energy(b);
  const pass = net.forward(frames, B, F, { recordPotentials: true });
  const grads = net.parameterGradients(pass, [], { method: "bptt", dEdv });
  const eps = 1e-6;
  let worst = 0, checked = 0;
  spec.layers.forEach((l, li) => {
    for (let c = 0; c < l.channels; c++) {
      const shifted = (d: number) =>
        b.map((x, j) => j === li ? x!.map((v, k) => k === c ? v + d : v) : x);
      const up = energy(shifted(eps)), down = energy(shifted(-eps));
      const held = [up, down].every((r) =>
        r.spikes.every((z, m) => firstMismatch(z, base.spikes[m]) < 0)
      );
      if (!held) continue; // a spike flipped: finite differences see a jump
      const fd = (up.e - down.e) / (2 * eps), g = grads.b![li]![c];
      const err = Math.abs(fd - g) / Math.max(1e-8, Math.abs(g));
      worst = Math.max(worst, err), checked++;
      assert.ok(err < 1e-6, `layer ${li} channel ${c}: ${g} vs finite difference ${fd}`);
    }
  });
  const total = spec.layers.reduce((n, l) => n + l.channels, 0);
  assert.ok(checked >= total - 2, `${checked} of ${total} biases checked`);
  console.log(
    `bias gradient vs finite differences: ${checked}/${total} biases, worst relative error ${
      worst.toExponential(1)
    }`,
  );
  net.dispose();
});

Deno.test("spiking CNN bias: bad bias fields and parameters give clear errors naming the field", async () => {
  const { specIn, params } = biasProblem(8);
  assert.throws(
    () =>
      resolveSpikingConvSpec({
        ...SMALL,
        layers: [{ filters: 2, kernel: 2, stride: 1, bias: 1 as never }],
      }),
    /layers\[0\]\.bias must be a boolean, got 1/,
  );
  await assert.rejects(
    SpikingConv.create(SMALL, params),
    /b given, but no layer has a bias/,
  );
  await assert.rejects(
    SpikingConv.create(specIn, { weights: params.weights }),
    /b must be an array of 2 entries/,
  );
  await assert.rejects(
    SpikingConv.create(specIn, { weights: params.weights, b: [params.b[0], new Float64Array(4)] }),
    /b\[1\] must have length 5, got 4/,
  );
  const oneBias = { ...SMALL, layers: [SMALL.layers![0], { ...SMALL.layers![1], bias: true }] };
  await assert.rejects(
    SpikingConv.create(oneBias, { weights: params.weights, b: [params.b[0], params.b[1]] }),
    /b\[0\] must be undefined \(layer 0 has no bias\)/,
  );
});

async function pongFrames(B: number): Promise<Float32Array> {
  const env = preprocess(createGame("pong", { numEnvs: B, seed: 7 }));
  const rng = new Rng(7);
  let obs = await env.reset(7);
  const actions = new Int32Array(B);
  for (let i = 0; i < 40; i++) {
    for (let b = 0; b < B; b++) actions[b] = rng.int(env.actions.length);
    obs = (await env.step(actions)).observations;
  }
  await env.close();
  return obs;
}

Deno.test("the paper's layers on Pong frames: the default initialisation makes both layers fire", async () => {
  const B = 2;
  const frames = await pongFrames(B);
  const net = await SpikingConv.create({}, initSpikingConvParams({}, new Rng(1)));
  assert.deepEqual(
    net.spec.layers.map((l) => [l.height, l.width, l.channels]),
    [[20, 20, 16], [17, 17, 8]],
  );
  assert.equal(net.spec.alpha, Math.exp(-1));
  const pass = net.forward(frames, B, 1);
  assert.equal(pass.steps, 5);
  const rates = pass.rates();
  assert.ok(rates[0] > 0.1 && rates[0] < 0.8 && rates[1] > 0.1 && rates[1] < 0.8, `${rates}`);
  console.log(
    `Pong, default init: firing rates conv1 ${rates[0].toFixed(3)}, conv2 ${
      rates[1].toFixed(3)
    } (spikes per neuron-step)`,
  );
  const grads = net.gradients(pass, [undefined, new Float64Array(5 * B * 17 * 17 * 8).fill(1)], {
    method: "eprop",
  });
  assert.ok(grads.every((g) => g.every(Number.isFinite) && g.some((v) => v !== 0)));
});

Deno.test("spiking CNN bad inputs give clear errors naming the field", async () => {
  const { params, frames, B, F, dEdz } = problem(SMALL, 6);
  assert.throws(
    () => resolveSpikingConvSpec({ ...SMALL, layers: [{ filters: 4, kernel: 13, stride: 1 }] }),
    /layers\[0\]\.kernel must be <= 12/,
  );
  assert.throws(
    () =>
      resolveSpikingConvSpec({
        layers: [{ filters: 4, kernel: 8, stride: 4 }, { filters: 2, kernel: 4 } as never],
      }),
    /layers\[1\]\.stride must be a finite number, got undefined/,
  );
  assert.throws(() => resolveSpikingConvSpec({ thr: -1 }), /thr must be > 0/);
  await assert.rejects(
    () => SpikingConv.create(SMALL, { weights: [params.weights[0]] }),
    /weights must be an array of 2 tensors/,
  );
  await assert.rejects(
    () => SpikingConv.create(SMALL, { weights: [params.weights[0], new Float64Array(3)] }),
    /weights\[1\] must have length 180, got 3/,
  );
  await assert.rejects(
    () => SpikingConv.create(SMALL, params, { precision: "f16" as never }),
    /precision must be one of/,
  );
  const net = await SpikingConv.create(SMALL, params, { precision: "f64" });
  assert.throws(
    () => net.forward(frames.subarray(1), B, F),
    /frames must have length 1728, got 1727/,
  );
  assert.throws(() => net.forward(frames, B, F + 1), /frames must have length 2304, got 1728/);
  const bad = frames.slice();
  bad[5] = NaN;
  assert.throws(() => net.forward(bad, B, F), /frames\[5\] must be a finite number, got NaN/);
  assert.throws(() => net.forward(frames, 0, F), /B must be >= 1, got 0/);
  assert.throws(() => net.forward(frames, B, 1.5), /nFrames must be an integer, got 1.5/);
  assert.throws(() => net.forward("x" as never, B, F), /frames must be an array of 1728 numbers/);
  assert.throws(
    () => net.forward(frames, B, F, { state: { v: [new Float64Array(3)], z: [] } }),
    /state\.v must be an array of 2 arrays/,
  );
  assert.throws(
    () =>
      net.forward(frames, B, F, {
        state: { v: [new Float64Array(450), new Float64Array(3)], z: [] },
      }),
    /state\.z must be an array of 2 arrays/,
  );
  const pass = net.forward(frames, B, F);
  // A malformed forward call leaves the live pass alone.
  assert.throws(() => net.forward(frames.subarray(1), B, F), /frames must have length/);
  assert.equal(pass.spikes(0).length, 3 * 3 * B * 225);
  assert.throws(
    () => net.gradients(pass, [dEdz[0], dEdz[1].subarray(1)], { method: "bptt" }),
    /dEdz\[1\] must have length 1440, got 1439/,
  );
  assert.throws(
    () => net.gradients(pass, dEdz, { method: "rtrl" as never }),
    /method must be one of/,
  );
  assert.throws(
    () => net.gradients(pass, dEdz, { method: "bptt", propagate: "instant" }),
    /propagate applies to method "eprop", or "none" to BPTT/,
  );
  // BPTT with propagate "none": each layer keeps its own error. Layer 0's gradient is then the
  // full BPTT's with no error above it, and the top layer's is the full BPTT's.
  const none = net.gradients(pass, dEdz, { method: "bptt", propagate: "none" });
  const full = net.gradients(pass, dEdz, { method: "bptt" });
  const below = net.gradients(pass, [dEdz[0]], { method: "bptt" });
  const last = none.length - 1;
  assert.deepEqual(Array.from(none[last]), Array.from(full[last]));
  assert.deepEqual(Array.from(none[0]), Array.from(below[0]));
  assert.ok(
    none[0].some((g, i) => Math.abs(g - full[0][i]) > 1e-9),
    "the upper layers' error must reach layer 0 in full BPTT (else this check proves nothing)",
  );
  assert.throws(
    () => net.gradients(pass, dEdz, { method: "eprop", propagate: "all" as never }),
    /propagate must be one of "none", "instant", "stopgrad"/,
  );
  assert.throws(
    () => net.gradients(pass, [...dEdz, dEdz[0]], { method: "bptt" }),
    /dEdz must be an array of at most 2/,
  );
  assert.throws(
    () => net.gradients(pass, dEdz, { method: "bptt", dEdv: [dEdz[0], dEdz[1].subarray(1)] }),
    /dEdv\[1\] must have length 1440, got 1439/,
  );
  const nan = dEdz[1].slice();
  nan[17] = Infinity;
  assert.throws(
    () => net.gradients(pass, dEdz, { method: "eprop", dEdv: [undefined, nan] }),
    /dEdv\[1\]\[17\] must be a finite number, got Infinity/,
  );
  assert.throws(
    () => net.gradients(pass, dEdz, { method: "bptt", dEdv: [dEdz[0], dEdz[1], dEdz[1]] }),
    /dEdv must be an array of at most 2 arrays/,
  );
  assert.throws(
    () => net.gradients(pass, dEdz, { method: "bptt", dEdv: dEdz[0] as never }),
    /dEdv must be an array of at most 2 arrays/,
  );
  assert.throws(
    () => net.gradients(pass, dEdz, { method: "bptt", dEdv: ["x" as never] }),
    /dEdv\[0\] must be an array of 4050 numbers, got "x"/,
  );
  assert.throws(
    () => net.forward(frames, B, F, { recordPotentials: 1 as never }),
    /recordPotentials must be a boolean, got 1/,
  );
  // Bad dEdv leaves the pass usable.
  assert.ok(net.gradients(pass, dEdz, { method: "bptt" })[0].some((x) => x !== 0));
  assert.throws(() => pass.spikes(2), /layer must be an integer in \[0, 1\], got 2/);
  // A later forward pass releases the earlier one.
  net.forward(frames, B, F);
  assert.throws(() => pass.spikes(0), /it was released/);
  assert.throws(() => net.gradients(pass, dEdz, { method: "bptt" }), /it was released/);
  // So do new parameters, and release() itself.
  const p2 = net.forward(frames, B, F);
  net.setParams(params);
  assert.throws(() => p2.rates(), /it was released/);
  const p3 = net.forward(frames, B, F);
  p3.release();
  assert.throws(() => p3.state(), /it was released/);
  const p4 = net.forward(frames, B, F);
  net.dispose();
  assert.throws(() => net.forward(frames, B, F), /it was disposed/);
  assert.throws(() => p4.spikes(0), /it was released/);
});

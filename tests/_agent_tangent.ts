/**
 * An independent float64 reference for the agent's BPTT gradient: forward-mode differentiation
 * (tangents) of the unroll's loss E_ac + E_rate + E_volt (+ the CNN's voltage term) along a
 * direction in parameter space,
 * through the whole network (CNN, LSNN, features, heads), with the spikes' values taken from a
 * recorded run and dz = psi (dv - dA) (the pseudo-derivative; psi = 0 while refractory). Its value
 * must equal sum_params <dE/dparam, direction> of a reverse-mode BPTT gradient.
 *
 * For e-prop the same tangents with e-prop's changes: the spikes' tangent does not enter the
 * recurrence and the reset (stop-gradient there), and the LSNN spikes' features enter the heads'
 * tangents through the feedback (B^pi, B^V) in place of wPi, wV (replacing the transpose in
 * reverse mode is replacing the matrix in forward mode); the primal values are unchanged. With
 * feedback "symmetric" the heads' own weights stay there (the authors' e-prop). With cnnPath
 * "pooled" the CNN's spikes' tangents do not enter the next CNN layer nor the LSNN (only the
 * pooled features carry them). The features are [z, each head pool's average-pooled spikes
 * (VALID windows, [y][x][c])], computed here with their own loops; each CNN layer adds its bias
 * (conv{l}Bias) when it has one. The loss comes split into its parts (policy gradient, value,
 * entropy, rate, voltage, CNN voltage), each masked by the optional step mask where the
 * gradient's losses are, so that a caller can form the loss a parameter group is trained on.
 */
import type { ActorCritic } from "../src/agent/actor_critic.ts";
import type { AgentFeedback, AgentParams } from "../src/net/agent_params.ts";
import type { ResolvedAgentSpec } from "../src/net/agent_spec.ts";
import type { AgentTeacherRecord, AgentUnroll } from "../src/net/agent_unroll.ts";
import type { ConvLayerShape } from "../src/net/spiking_conv_spec.ts";

/** Valid convolution of B inputs [inH][inW][inC] with filters [k][k][inC][C], added to out. */
function convAdd(
  l: ConvLayerShape,
  B: number,
  inp: Float64Array,
  w: Float64Array,
  out: Float64Array,
): void {
  const inUnits = l.inHeight * l.inWidth * l.inChannels;
  for (let b = 0; b < B; b++) {
    for (let y = 0; y < l.height; y++) {
      for (let x = 0; x < l.width; x++) {
        for (let ky = 0; ky < l.kernel; ky++) {
          for (let kx = 0; kx < l.kernel; kx++) {
            const at = b * inUnits + ((y * l.stride + ky) * l.inWidth + x * l.stride + kx) *
                l.inChannels;
            for (let ci = 0; ci < l.inChannels; ci++) {
              const v = inp[at + ci];
              if (v === 0) continue;
              const wo = ((ky * l.kernel + kx) * l.inChannels + ci) * l.channels;
              const o = b * l.units + (y * l.width + x) * l.channels;
              for (let co = 0; co < l.channels; co++) out[o + co] += v * w[wo + co];
            }
          }
        }
      }
    }
  }
}

/** The variants of the reference (all optional; defaults: random feedback, through-lsnn, no mask). */
export interface TangentOptions {
  /** e-prop's feedback: "random" (B^pi, B^V) or "symmetric" (the heads' own weights). */
  feedback?: "random" | "symmetric";
  /** "pooled": no tangent from a CNN layer's spikes into the next layer nor into the LSNN. */
  cnnPath?: "through-lsnn" | "pooled";
  /** K x B factors on the policy-gradient, value and entropy losses of each step. */
  stepMask?: ArrayLike<number>;
}

/** A loss and its derivative along the direction. */
export interface Part {
  /** The loss. */
  E: number;
  /** Its derivative along the direction. */
  dE: number;
}

/**
 * The directional derivative of the unroll's loss along `dir` (BPTT: every path; e-prop: above).
 * @returns dE along dir, and the loss E (all parts), and the parts.
 */
export function directionalDerivative(
  mode: "bptt" | "eprop",
  spec: ResolvedAgentSpec,
  p: AgentParams,
  fb: AgentFeedback,
  ac: ActorCritic,
  unroll: AgentUnroll,
  teacher: AgentTeacherRecord,
  dir: Record<string, Float64Array>,
  voltageCost: number,
  cnnVoltageCost = 0,
  options: TangentOptions = {},
): { dE: number; E: number; parts: Record<keyof typeof PARTS, Part> } {
  const K = unroll.frames.length, B = unroll.actions[0].length, S = spec.stepsPerFrame;
  const T = K * S, n = spec.n, A = spec.numActions, nF = spec.nFeatures, layers = spec.conv.layers;
  const eprop = mode === "eprop";
  const viaFeedback = eprop && (options.feedback ?? "random") === "random";
  const pooledPath = options.cnnPath === "pooled";
  const mask = options.stepMask;
  const parts = Object.fromEntries(
    Object.keys(PARTS).map((k) => [k, { E: 0, dE: 0 }]),
  ) as Record<keyof typeof PARTS, Part>;
  const zero = (name: string) => dir[name] ?? new Float64Array(p[name].length);
  const cv = layers.map((l) => new Float64Array(B * l.units));
  const cdv = layers.map((l) => new Float64Array(B * l.units));
  const cz = layers.map((l) => new Float64Array(B * l.units));
  const cdz = layers.map((l) => new Float64Array(B * l.units));
  const st = {
    v: new Float64Array(B * n),
    dv: new Float64Array(B * n),
    a: new Float64Array(B * n),
    da: new Float64Array(B * n),
    r: new Float64Array(B * n),
    z: new Float64Array(B * n),
    dz: new Float64Array(B * n),
    bar: new Float64Array(B * nF),
    dbar: new Float64Array(B * nF),
  };
  // returns as in reward_unroll.ts
  const R = new Float64Array(K * B);
  for (let b = 0; b < B; b++) {
    let r = unroll.bootstrap ? unroll.bootstrap[b] : 0;
    for (let k = K - 1; k >= 0; k--) {
      if (unroll.ended[k][b]) r = 0;
      R[k * B + b] = r = unroll.rewards[k][b] + ac.discount * r;
    }
  }
  const cnt = new Float64Array(n), dcnt = new Float64Array(n);
  const { alpha, rho, thr, kappa, nLif, beta, nRef, dampening } = spec;
  const cthr = spec.conv.thr, cs = spec.conv.s, calpha = spec.conv.alpha;
  const l0 = layers[0];
  // a layer's bias (and its direction) added to every position's current
  const addBias = (i: number, I: Float64Array, dI: Float64Array) => {
    if (!layers[i].bias) return;
    const b = p[`conv${i}Bias`], db = zero(`conv${i}Bias`), C = layers[i].channels;
    for (let u = 0; u < I.length; u++) I[u] += b[u % C], dI[u] += db[u % C];
  };
  let I0 = new Float64Array(0), dI0 = new Float64Array(0);
  const per = () => layers.map((l) => new Float64Array(B * l.units));
  const vUp = per(), vdUp = per(), vDown = per(), vdDown = per();
  for (let t = 0; t < T; t++) {
    const k = Math.floor(t / S), s = t % S;
    if (s === 0 && k > 0) {
      for (let b = 0; b < B; b++) {
        if (!unroll.ended[k - 1][b]) continue;
        layers.forEach((l, i) => {
          for (const arr of [cv[i], cdv[i], cz[i], cdz[i]]) {
            arr.fill(0, b * l.units, (b + 1) * l.units);
          }
        });
        for (const [key, arr] of Object.entries(st)) {
          const size = key === "bar" || key === "dbar" ? nF : n;
          arr.fill(0, b * size, (b + 1) * size);
        }
      }
    }
    if (s === 0) {
      const frame = Float64Array.from(unroll.frames[k]);
      I0 = new Float64Array(B * l0.units), dI0 = new Float64Array(B * l0.units);
      convAdd(l0, B, frame, p.conv0, I0);
      convAdd(l0, B, frame, zero("conv0"), dI0);
      addBias(0, I0, dI0);
    }
    // CNN
    let I = I0, dI = dI0;
    layers.forEach((l, i) => {
      const forced = teacher.conv[i].subarray(t * B * l.units, (t + 1) * B * l.units);
      for (let u = 0; u < B * l.units; u++) {
        const v = cv[i][u] = calpha * cv[i][u] + cs * I[u] - cthr * cz[i][u];
        const dv = cdv[i][u] = calpha * cdv[i][u] + cs * dI[u] - cthr * cdz[i][u];
        const psi = (spec.conv.dampening / cthr) * Math.max(0, 1 - Math.abs(v - cthr) / cthr);
        cz[i][u] = forced[u];
        cdz[i][u] = psi * dv;
      }
      // the CNN's voltage term ("avg_time"): each episode's time means of max(0, v - thr) and
      // max(0, -v - thr) over the unroll, summed here and squared after the last step
      if (cnnVoltageCost > 0) {
        for (let u = 0; u < B * l.units; u++) {
          const v = cv[i][u], dv = cdv[i][u];
          if (v > cthr) vUp[i][u] += (v - cthr) / T, vdUp[i][u] += dv / T;
          if (-v > cthr) vDown[i][u] += (-v - cthr) / T, vdDown[i][u] -= dv / T;
        }
      }
      if (i + 1 < layers.length) {
        const next = layers[i + 1];
        I = new Float64Array(B * next.units), dI = new Float64Array(B * next.units);
        convAdd(next, B, cz[i], p[`conv${i + 1}`], I);
        if (!pooledPath) convAdd(next, B, cdz[i], p[`conv${i + 1}`], dI);
        convAdd(next, B, cz[i], zero(`conv${i + 1}`), dI);
        addBias(i + 1, I, dI);
      }
    });
    const x = cz[layers.length - 1], nIn = spec.nIn;
    const dx = pooledPath ? new Float64Array(x.length) : cdz[layers.length - 1];
    const zForced = teacher.z.subarray(t * B * n, (t + 1) * B * n);
    const dwIn = zero("wIn"), dwRec = zero("wRec");
    for (let b = 0; b < B; b++) {
      const o = b * n;
      const cur = new Float64Array(n), dcur = new Float64Array(n);
      for (let i = 0; i < nIn; i++) {
        const xi = x[b * nIn + i], dxi = dx[b * nIn + i];
        for (let j = 0; j < n; j++) {
          cur[j] += xi * p.wIn[i * n + j];
          dcur[j] += dxi * p.wIn[i * n + j] + xi * dwIn[i * n + j];
        }
      }
      for (let i = 0; i < n; i++) {
        const zi = st.z[o + i], dzi = eprop ? 0 : st.dz[o + i];
        for (let j = 0; j < n; j++) {
          if (j === i) continue;
          cur[j] += zi * p.wRec[i * n + j];
          dcur[j] += dzi * p.wRec[i * n + j] + zi * dwRec[i * n + j];
        }
      }
      for (let j = 0; j < n; j++) {
        const bj = j >= nLif ? beta : 0;
        st.a[o + j] = rho * st.a[o + j] + st.z[o + j];
        st.da[o + j] = rho * st.da[o + j] + st.dz[o + j];
        const v = st.v[o + j] = alpha * st.v[o + j] + cur[j] - thr * st.z[o + j];
        const dv = st.dv[o + j] = alpha * st.dv[o + j] + dcur[j] -
          (eprop ? 0 : thr * st.dz[o + j]);
        const Aj = thr + bj * st.a[o + j], dA = bj * st.da[o + j];
        const free = st.r[o + j] > 0 ? 0 : 1;
        const psi = free * (dampening / thr) * Math.max(0, 1 - Math.abs(v - Aj) / thr);
        const z = zForced[o + j];
        st.z[o + j] = z;
        st.dz[o + j] = psi * (dv - dA);
        st.r[o + j] = Math.min(Math.max(st.r[o + j] + nRef * z - 1, 0), nRef);
        cnt[j] += z, dcnt[j] += st.dz[o + j];
        const up = Math.max(0, v - Aj), down = Math.max(0, -v - Aj);
        parts.voltage.E += (voltageCost / B) * (up * up + down * down);
        parts.voltage.dE += (voltageCost / B) * (2 * up * (dv - dA) + 2 * down * (-dv - dA));
      }
      // features
      const phi = new Float64Array(nF), dphi = new Float64Array(nF);
      phi.set(st.z.subarray(o, o + n)), dphi.set(st.dz.subarray(o, o + n));
      for (const hp of spec.headPools) {
        const src = layers[hp.layer], C = src.channels, w = 1 / (hp.kernel * hp.kernel);
        const oh = Math.floor((src.height - hp.kernel) / hp.stride) + 1;
        const ow = Math.floor((src.width - hp.kernel) / hp.stride) + 1;
        let f = n + hp.offset;
        for (let oy = 0; oy < oh; oy++) {
          for (let ox = 0; ox < ow; ox++) {
            for (let c = 0; c < C; c++, f++) {
              for (let ky = 0; ky < hp.kernel; ky++) {
                for (let kx = 0; kx < hp.kernel; kx++) {
                  const y = oy * hp.stride + ky, xx = ox * hp.stride + kx;
                  const at = b * src.units + (y * src.width + xx) * C + c;
                  phi[f] += w * cz[hp.layer][at];
                  dphi[f] += w * cdz[hp.layer][at];
                }
              }
            }
          }
        }
      }
      for (let f = 0; f < nF; f++) {
        st.bar[b * nF + f] = kappa * st.bar[b * nF + f] + (1 - kappa) * phi[f];
        st.dbar[b * nF + f] = kappa * st.dbar[b * nF + f] + (1 - kappa) * dphi[f];
      }
      if (s < S - 1) continue;
      // heads and the actor-critic loss of this step
      const f = st.bar.subarray(b * nF, (b + 1) * nF), df = st.dbar.subarray(b * nF, (b + 1) * nF);
      const logits = Float64Array.from(p.bPi), dlogits = Float64Array.from(zero("bPi"));
      let V = p.bV[0], dV = zero("bV")[0];
      const dwPi = zero("wPi"), dwV = zero("wV");
      for (let i = 0; i < nF; i++) {
        const viaFb = viaFeedback && i < n;
        V += f[i] * p.wV[i], dV += df[i] * (viaFb ? fb.bV[i] : p.wV[i]) + f[i] * dwV[i];
        for (let m = 0; m < A; m++) {
          logits[m] += f[i] * p.wPi[i * A + m];
          dlogits[m] += df[i] * (viaFb ? fb.bPi[i * A + m] : p.wPi[i * A + m]) +
            f[i] * dwPi[i * A + m];
        }
      }
      const max = Math.max(...logits);
      const lse = max + Math.log(logits.reduce((acc, l) => acc + Math.exp(l - max), 0));
      const logPi = logits.map((l) => l - lse), pi = logPi.map(Math.exp);
      const mean = pi.reduce((acc, q, m) => acc + q * dlogits[m], 0);
      const dlogPi = dlogits.map((d) => d - mean);
      const adv = R[k * B + b] - V, a = unroll.actions[k][b];
      const m = mask ? mask[k * B + b] : 1;
      parts.pg.E += m * -logPi[a] * adv;
      parts.pg.dE += m * -dlogPi[a] * adv;
      parts.value.E += m * 0.5 * ac.valueCost * adv * adv;
      parts.value.dE += m * -ac.valueCost * adv * dV;
      parts.entropy.E += m * ac.entropyCost * pi.reduce((acc, q, i) => acc + q * logPi[i], 0);
      // d sum pi log pi = sum pi dlogPi (log pi + 1), and sum pi dlogPi = 0
      parts.entropy.dE += m * ac.entropyCost *
        pi.reduce((acc, q, i) => acc + q * dlogPi[i] * logPi[i], 0);
    }
  }
  // c / B sum over episodes and units of the squared time means
  layers.forEach((_, i) => {
    for (let u = 0; u < vUp[i].length; u++) {
      parts.cnnVoltage.E += (cnnVoltageCost / B) * (vUp[i][u] ** 2 + vDown[i][u] ** 2);
      parts.cnnVoltage.dE += (cnnVoltageCost / B) * 2 *
        (vUp[i][u] * vdUp[i][u] + vDown[i][u] * vdDown[i][u]);
    }
  });
  for (let j = 0; j < n; j++) {
    const d = cnt[j] / (B * T) - ac.rateTarget;
    parts.rate.E += ac.rateCost * d * d;
    parts.rate.dE += ac.rateCost * 2 * d * dcnt[j] / (B * T);
  }
  let E = 0, dE = 0;
  for (const q of Object.values(parts)) E += q.E, dE += q.dE;
  return { dE, E, parts };
}

/** The parts of the loss. */
const PARTS = { pg: 0, value: 0, entropy: 0, rate: 0, voltage: 0, cnnVoltage: 0 };

/**
 * The agent's parameters and fixed random feedback: CNN filters, the LSNN's input and recurrent
 * weights, the policy and value heads; and the feedback matrices that carry the heads' errors to
 * the LSNN's neurons as learning signals (random e-prop, EPROP.md section 3.2).
 *
 * @module
 */
import { initSpikingConvParams } from "./spiking_conv_spec.ts";
import type { ParameterSet } from "./parameter_set.ts";
import { Rng } from "../util/rng.ts";
import type { ResolvedAgentSpec } from "./agent_spec.ts";

/**
 * Parameters by name: `conv0`, `conv1`, ... (filters [k][k][Cin][Cout]), `conv0Bias`, ... (a
 * bias [Cout] for each CNN layer that has one), `wIn` [nIn][n], `wRec` [n][n] (zero diagonal),
 * `wPi` [nFeatures][A], `bPi` [A], `wV` [nFeatures], `bV` [1].
 */
export type AgentParams = ParameterSet;

/** Fixed random feedback of the two heads to the LSNN's neurons. */
export interface AgentFeedback {
  /** Policy feedback B^pi [n][A], N(0, 1). */
  bPi: Float64Array;
  /** Value feedback B^V [n], N(0, 1). */
  bV: Float64Array;
}

/** Options of {@linkcode initAgentParams}. */
export interface AgentInitOptions {
  /** Scale of the LSNN's input weights N(0,1) gain / sqrt(nIn) (default 1). */
  inputGain?: number;
  /** Scale of the recurrent weights N(0,1) gain / sqrt(n) (default 1). */
  recurrentGain?: number;
  /** Scale of the CNN filters (default 1). */
  convGain?: number;
  /**
   * Make each first-layer filter sum to zero (default false): a uniform background then gives no
   * current, and the first layer fires at edges (ball, paddles, walls) instead of everywhere.
   */
  zeroMeanFilters?: boolean;
  /**
   * The heads' weights: "truncated-normal" (default, the authors' Sonnet Linear: normal with sd
   * 1/sqrt(nFeatures), redrawn beyond 2 sd, biases zero) or "zero" (the earlier agent's: the
   * initial policy is exactly uniform).
   */
  headInit?: "truncated-normal" | "zero";
}

/**
 * The name of CNN layer l's bias parameter.
 * @param l The layer.
 * @returns `conv${l}Bias`.
 */
export function convBiasName(l: number): string {
  return `conv${l}Bias`;
}

/**
 * Draws the initial parameters: CNN filters and LSNN weights Gaussian, scaled by 1/sqrt(fan-in);
 * CNN biases zero; heads truncated normal with sd 1/sqrt(fan-in) and zero biases (the authors'),
 * or zero with `headInit: "zero"` (the initial policy then is uniform, i.e. the random policy).
 * The draws come in that order (filters, wIn, wRec, heads), so the options leave the earlier
 * draws unchanged.
 * @param spec The resolved shape.
 * @param seed Seeds the draws.
 * @param options Gains.
 * @returns The parameters.
 */
export function initAgentParams(
  spec: ResolvedAgentSpec,
  seed: number,
  options: AgentInitOptions = {},
): AgentParams {
  const rng = new Rng(seed);
  const params: AgentParams = {};
  const conv = initSpikingConvParams(spec.conv, rng, { gain: options.convGain ?? 1 });
  conv.weights.forEach((w, l) => params[`conv${l}`] = w);
  conv.b?.forEach((b, l) => {
    if (b) params[convBiasName(l)] = b;
  });
  if (options.zeroMeanFilters) {
    const l0 = spec.conv.layers[0], C = l0.channels, per = l0.weights / C;
    for (let co = 0; co < C; co++) {
      let mean = 0;
      for (let k = 0; k < per; k++) mean += params.conv0[k * C + co] / per;
      for (let k = 0; k < per; k++) params.conv0[k * C + co] -= mean;
    }
  }
  const gauss = (count: number, scale: number) => {
    const w = new Float64Array(count);
    for (let i = 0; i < count; i++) w[i] = scale * rng.normal();
    return w;
  };
  const n = spec.n;
  params.wIn = gauss(spec.nIn * n, (options.inputGain ?? 1) / Math.sqrt(spec.nIn));
  params.wRec = gauss(n * n, (options.recurrentGain ?? 1) / Math.sqrt(n));
  for (let j = 0; j < n; j++) params.wRec[j * n + j] = 0;
  const headInit = options.headInit ?? "truncated-normal";
  if (headInit !== "truncated-normal" && headInit !== "zero") {
    throw new RangeError(
      `Cannot draw agent parameters: headInit must be "truncated-normal" or "zero", got ${headInit}`,
    );
  }
  const truncated = (count: number, sd: number) => {
    const w = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      let x = rng.normal();
      while (Math.abs(x) > 2) x = rng.normal();
      w[i] = sd * x;
    }
    return w;
  };
  const sd = 1 / Math.sqrt(spec.nFeatures);
  params.wPi = headInit === "zero"
    ? new Float64Array(spec.nFeatures * spec.numActions)
    : truncated(spec.nFeatures * spec.numActions, sd);
  params.bPi = new Float64Array(spec.numActions);
  params.wV = headInit === "zero"
    ? new Float64Array(spec.nFeatures)
    : truncated(spec.nFeatures, sd);
  params.bV = new Float64Array(1);
  return params;
}

/**
 * Draws the fixed random feedback.
 * @param spec The resolved shape.
 * @param seed Seeds the draws (use a different one from the parameters').
 * @returns B^pi and B^V.
 */
export function initAgentFeedback(spec: ResolvedAgentSpec, seed: number): AgentFeedback {
  const rng = new Rng(seed);
  const bPi = new Float64Array(spec.n * spec.numActions);
  for (let i = 0; i < bPi.length; i++) bPi[i] = rng.normal();
  const bV = new Float64Array(spec.n);
  for (let i = 0; i < bV.length; i++) bV[i] = rng.normal();
  return { bPi, bV };
}

/**
 * The sizes every parameter must have.
 * @param spec The resolved shape.
 * @returns Length by name.
 */
export function agentParamSizes(spec: ResolvedAgentSpec): Record<string, number> {
  const sizes: Record<string, number> = {};
  spec.conv.layers.forEach((l, i) => {
    sizes[`conv${i}`] = l.weights;
    if (l.bias) sizes[convBiasName(i)] = l.channels;
  });
  sizes.wIn = spec.nIn * spec.n;
  sizes.wRec = spec.n * spec.n;
  sizes.wPi = spec.nFeatures * spec.numActions;
  sizes.bPi = spec.numActions;
  sizes.wV = spec.nFeatures;
  sizes.bV = 1;
  return sizes;
}

/**
 * Checks a parameter set against a shape.
 * @param spec The resolved shape.
 * @param params The parameters.
 * @throws {TypeError} Naming the first missing, extra, mis-sized or non-finite entry.
 */
export function checkAgentParams(spec: ResolvedAgentSpec, params: AgentParams): void {
  const sizes = agentParamSizes(spec);
  const what = "Cannot set agent parameters";
  if (typeof params !== "object" || params === null) {
    throw new TypeError(`${what}: params must be an object of Float64Arrays`);
  }
  for (const name of Object.keys(params)) {
    if (!(name in sizes)) {
      throw new TypeError(`${what}: unknown parameter ${name} (known: ${Object.keys(sizes)})`);
    }
  }
  for (const [name, size] of Object.entries(sizes)) {
    const p = params[name];
    if (!(p instanceof Float64Array) || p.length !== size) {
      throw new TypeError(
        `${what}: ${name} must be a Float64Array of ${size}, got ${
          p instanceof Float64Array ? `length ${p.length}` : typeof p
        }`,
      );
    }
    const bad = p.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new TypeError(`${what}: ${name}[${bad}] is ${p[bad]}, not finite`);
  }
}

/**
 * The shape and constants of the spiking actor-critic agent of Figs. 4-5 (EPROP.md sections 6-7):
 * a spiking CNN over the frames, an LSNN of LIF and ALIF neurons reading the CNN's last layer, and
 * two heads (policy logits and a value) reading the LSNN's spikes and the average-pooled spikes of
 * the CNN's layers (./head_pools.ts) through a low-pass filter, at the last network step of each
 * frame. Every field defaults to the authors' value (their code for Figs. 4-5: both CNN layers
 * with biases, the heads reading conv1 pooled 8x8/4 and conv2 pooled 4x4/2).
 *
 * @module
 */
import {
  ATARI_CONV_LAYERS,
  type ResolvedSpikingConvSpec,
  resolveSpikingConvSpec,
  type SpikingConvLayerSpec,
} from "./spiking_conv_spec.ts";
import { checkNumber } from "../util/errors.ts";
import {
  AUTHORS_HEAD_POOLS,
  type HeadPoolSpec,
  type ResolvedHeadPool,
  resolveHeadPools,
} from "./head_pools.ts";

/** The agent's shape and constants (all optional; defaults are the paper's). */
export interface AgentSpec {
  /** Side of the square grey frames (default 84). */
  frameSize?: number;
  /** Number of actions (default 6, Pong's minimal set). */
  numActions?: number;
  /** CNN layers (default 16 filters 8x8 stride 4, then 8 filters 4x4 stride 1). */
  convLayers?: readonly SpikingConvLayerSpec[];
  /**
   * Whether every CNN layer has a bias per filter (default true, the authors' Sonnet Conv2D;
   * a layer's own `bias` in `convLayers` wins).
   */
  convBias?: boolean;
  /** CNN threshold (default 0.1). */
  convThr?: number;
  /** CNN membrane time constant in steps (default 1). */
  convTauM?: number;
  /** CNN pseudo-derivative dampening (default 1). */
  convDampening?: number;
  /** Network steps per frame (default 5). */
  stepsPerFrame?: number;
  /** LIF neurons of the LSNN (default 240). */
  nLif?: number;
  /** ALIF neurons of the LSNN (default 160). */
  nAlif?: number;
  /** LSNN membrane time constant in steps (default 15). */
  tauM?: number;
  /** ALIF adaptation time constant in steps (default 70). */
  tauA?: number;
  /** LSNN threshold (default 1). */
  thr?: number;
  /** ALIF adaptation strength beta (default 0.1). */
  beta?: number;
  /** Refractory steps (default 5). */
  nRef?: number;
  /** LSNN pseudo-derivative dampening gamma (default 0.3). */
  dampening?: number;
  /** Time constant of the heads' low-pass filter in steps (default 2; normalized filter). */
  tauOut?: number;
  /**
   * The CNN layers' pooled spikes the heads read (default {@linkcode AUTHORS_HEAD_POOLS}: conv1
   * 8x8 stride 4, conv2 4x4 stride 2).
   */
  headPools?: readonly HeadPoolSpec[];
  /**
   * Shorthand of the earlier agent: the heads read the first CNN layer's spikes pooled in
   * non-overlapping `pool` x `pool` windows (headPools [{layer 0, kernel pool, stride pool}]).
   * Not with `headPools`.
   */
  pool?: number;
}

/** An {@linkcode AgentSpec} with every field filled in and the derived sizes. */
export interface ResolvedAgentSpec extends Required<Omit<AgentSpec, "headPools" | "pool">> {
  /** The pooled readouts with their geometry. */
  headPools: ResolvedHeadPool[];
  /** The CNN's resolved geometry. */
  conv: ResolvedSpikingConvSpec;
  /** LSNN inputs: the units of the last CNN layer. */
  nIn: number;
  /** LSNN neurons: nLif + nAlif (LIF first). */
  n: number;
  /** Pooled CNN features, all pools together. */
  nPooled: number;
  /** Features read by the heads: n + nPooled. */
  nFeatures: number;
  /** exp(-1 / tauM). */
  alpha: number;
  /** exp(-1 / tauA). */
  rho: number;
  /** exp(-1 / tauOut). */
  kappa: number;
}

const ACTION = "build agent";

/**
 * Fills in the defaults and checks every field.
 * @param spec The shape (default: the paper's).
 * @returns The resolved spec.
 * @throws {TypeError | RangeError} Naming the field.
 */
export function resolveAgentSpec(spec: AgentSpec = {}): ResolvedAgentSpec {
  if (typeof spec !== "object" || spec === null) {
    throw new TypeError(`Cannot ${ACTION}: spec must be an object, got ${spec}`);
  }
  const int = (field: keyof AgentSpec, fallback: number, min: number) =>
    checkNumber(ACTION, field, spec[field] ?? fallback, { min, integer: true, max: 1e6 });
  const pos = (field: keyof AgentSpec, fallback: number) =>
    checkNumber(ACTION, field, spec[field] ?? fallback, { min: 0, exclusiveMin: true });
  const frameSize = int("frameSize", 84, 1);
  const stepsPerFrame = int("stepsPerFrame", 5, 1);
  const convThr = pos("convThr", 0.1), convTauM = pos("convTauM", 1);
  const convDampening = checkNumber(ACTION, "convDampening", spec.convDampening ?? 1, { min: 0 });
  const convBias = spec.convBias ?? true;
  if (typeof convBias !== "boolean") {
    throw new TypeError(`Cannot ${ACTION}: convBias must be a boolean, got ${convBias}`);
  }
  const conv = resolveSpikingConvSpec({
    height: frameSize,
    width: frameSize,
    channels: 1,
    layers: (spec.convLayers ?? ATARI_CONV_LAYERS).map((l) => ({ bias: convBias, ...l })),
    stepsPerFrame,
    thr: convThr,
    tauMMs: convTauM,
    dampening: convDampening,
  });
  const nLif = int("nLif", 240, 0), nAlif = int("nAlif", 160, 0);
  if (nLif + nAlif < 1) {
    throw new RangeError(`Cannot ${ACTION}: nLif + nAlif must be at least 1, got ${nLif + nAlif}`);
  }
  const tauM = pos("tauM", 15), tauA = pos("tauA", 70), tauOut = pos("tauOut", 2);
  let pools = spec.headPools ?? AUTHORS_HEAD_POOLS;
  if (spec.pool !== undefined) {
    if (spec.headPools !== undefined) {
      throw new TypeError(`Cannot ${ACTION}: give headPools or pool, not both`);
    }
    const first = conv.layers[0];
    const pool = int("pool", 4, 1);
    if (pool > Math.min(first.height, first.width)) {
      throw new RangeError(
        `Cannot ${ACTION}: pool must be at most the first CNN layer's side ${
          Math.min(first.height, first.width)
        }, got ${pool}`,
      );
    }
    pools = [{ layer: 0, kernel: pool, stride: pool }];
  }
  const headPools = resolveHeadPools(conv.layers, pools, ACTION, "headPools");
  const nPooled = headPools.reduce((a, p) => a + p.units, 0);
  const n = nLif + nAlif;
  return {
    frameSize,
    numActions: int("numActions", 6, 1),
    convLayers: conv.layers.map(({ filters, kernel, stride, bias }) => ({
      filters,
      kernel,
      stride,
      bias,
    })),
    convBias,
    convThr,
    convTauM,
    convDampening,
    stepsPerFrame,
    nLif,
    nAlif,
    tauM,
    tauA,
    thr: pos("thr", 1),
    beta: checkNumber(ACTION, "beta", spec.beta ?? 0.1, { min: 0 }),
    nRef: int("nRef", 5, 0),
    dampening: checkNumber(ACTION, "dampening", spec.dampening ?? 0.3, { min: 0 }),
    tauOut,
    headPools,
    conv,
    nIn: conv.layers[conv.layers.length - 1].units,
    n,
    nPooled,
    nFeatures: n + nPooled,
    alpha: Math.exp(-1 / tauM),
    rho: Math.exp(-1 / tauA),
    kappa: Math.exp(-1 / tauOut),
  };
}

/**
 * Spiking CNN problems shared by the engine matrix (engine against engine) and the spiking CNN's
 * reference suite (tests/spiking_conv_test.ts): small layers that exercise every tail of the
 * kernels' blocking, random frames and external errors, and real Pong frames.
 *
 * @module
 */
import {
  initSpikingConvParams,
  type ResolvedSpikingConvSpec,
  resolveSpikingConvSpec,
  type SpikingConvParams,
  type SpikingConvSpec,
} from "../src/net/spiking_conv_spec.ts";
import { createGame } from "../src/env/games/index.ts";
import { preprocess } from "../src/env/preprocess.ts";
import { Rng } from "../src/util/rng.ts";

/** Small layers that exercise every tail of the kernels' blocking in both precisions. */
export const SMALL: SpikingConvSpec = {
  height: 12,
  width: 12,
  channels: 2,
  layers: [{ filters: 9, kernel: 4, stride: 2 }, { filters: 5, kernel: 2, stride: 1 }],
  stepsPerFrame: 3,
};

/** A spiking CNN problem: shape, filters, frames and an external error at every layer's spikes. */
export interface ConvProblem {
  /** The resolved shape. */
  spec: ResolvedSpikingConvSpec;
  /** The filters. */
  params: SpikingConvParams;
  /** Frames [F][B][height][width][channels], uniform in [0, 1). */
  frames: Float64Array;
  /** Batch size. */
  B: number;
  /** Frames. */
  F: number;
  /** Steps (F x stepsPerFrame). */
  T: number;
  /** dE/dz per layer, [T][B][units], standard normal. */
  dEdz: Float64Array[];
  /** The generator, drawn on after the problem. */
  rng: Rng;
}

/**
 * @param specIn The shape.
 * @param seed Selects the filters, frames and errors.
 * @param B Batch size.
 * @param F Frames.
 * @param gain Initialisation gain of the filters.
 * @returns The problem; the same arguments give the same problem.
 */
export function convProblem(
  specIn: SpikingConvSpec,
  seed: number,
  B = 2,
  F = 3,
  gain = 2,
): ConvProblem {
  const spec = resolveSpikingConvSpec(specIn);
  const rng = new Rng(seed);
  const params = initSpikingConvParams(spec, rng, { gain });
  const pixels = spec.height * spec.width * spec.channels;
  const frames = Float64Array.from({ length: F * B * pixels }, () => rng.uniform());
  const T = F * spec.stepsPerFrame;
  const dEdz = spec.layers.map((l) =>
    Float64Array.from({ length: T * B * l.units }, () => rng.normal())
  );
  return { spec, params, frames, B, F, T, dEdz, rng };
}

/**
 * @param spec The shape.
 * @param T Steps.
 * @param B Batch size.
 * @param rng The generator.
 * @param scale Standard deviation.
 * @returns Random external errors at the potentials of every layer, [T][B][units] each.
 */
export function randomDEdv(
  spec: ResolvedSpikingConvSpec,
  T: number,
  B: number,
  rng: Rng,
  scale = 1,
): Float64Array[] {
  return spec.layers.map((l) =>
    Float64Array.from({ length: T * B * l.units }, () => scale * rng.normal())
  );
}

/**
 * @param B Games.
 * @param F Frames.
 * @param size Side of the preprocessed frames.
 * @returns F consecutive preprocessed Pong frames [F][B][size][size][1] under a random policy
 *   (after 30 steps).
 */
export async function pongSequence(B: number, F: number, size: number): Promise<Float64Array> {
  const env = preprocess(createGame("pong", { numEnvs: B, seed: 3 }), { size });
  const rng = new Rng(3);
  let obs = await env.reset(3);
  const actions = new Int32Array(B);
  const out = new Float64Array(F * B * size * size);
  for (let i = 0; i < 30 + F; i++) {
    if (i >= 30) out.set(obs, (i - 30) * obs.length);
    for (let b = 0; b < B; b++) actions[b] = rng.int(env.actions.length);
    obs = (await env.step(actions)).observations;
  }
  await env.close();
  return out;
}

/** @returns |a - b| / |b| in the Euclidean norm. */
export function relNorm(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < b.length; i++) num += (a[i] - b[i]) ** 2, den += b[i] ** 2;
  return Math.sqrt(num / den);
}

/** @returns How many entries differ. */
export function mismatches(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let count = 0;
  for (let i = 0; i < b.length; i++) if (a[i] !== b[i]) count++;
  return count;
}

/**
 * Random networks and batches for the invariant tests: every combination of neuron mix,
 * refractoriness, loss, regularizer, input scaling and readout filter, with weights strong enough
 * that neurons spike.
 *
 * @module
 */
import { type ResolvedNetworkConfig, resolveNetworkConfig } from "../src/model/config.ts";
import { normalMatrix, type Weights } from "../src/model/weights.ts";
import type { Batch, Objective } from "../src/model/objective.ts";
import { Rng } from "../src/util/rng.ts";

/** What varies between random networks. */
export interface RandomNetworkSpec {
  seed: number;
  mix: "lif" | "alif" | "mixed" | "lif-first";
  nRef: number;
  loss: "mse" | "ce";
  regularization?: "simple" | "online";
  inputScaling?: "one" | "leaky";
  filter?: "normalized" | "paper";
  bias?: boolean;
  nIn?: number;
  nRec?: number;
  nOut?: number;
  batchSize?: number;
  steps?: number;
}

/** A network, its weights, a batch and an objective. */
export interface RandomProblem {
  config: ResolvedNetworkConfig;
  weights: Weights;
  batch: Batch;
  objective: Objective;
  rng: Rng;
}

/** @returns A short name of the spec for test names. */
export function specName(s: RandomNetworkSpec): string {
  return [
    s.mix,
    `ref${s.nRef}`,
    s.loss,
    s.regularization ? `reg-${s.regularization}` : "noreg",
    s.inputScaling ?? "one",
    s.filter ?? "normalized",
    s.bias ? "bias" : "",
    `seed${s.seed}`,
  ].filter(Boolean).join("/");
}

/** @returns A random problem following the spec. */
export function randomProblem(spec: RandomNetworkSpec): RandomProblem {
  const rng = new Rng(spec.seed);
  const nIn = spec.nIn ?? 4;
  const nRec = spec.nRec ?? 9;
  const nOut = spec.nOut ?? 3;
  const B = spec.batchSize ?? 2;
  const T = spec.steps ?? 60;
  const beta = Array.from({ length: nRec }, (_, j) => {
    if (spec.mix === "lif") return 0;
    if (spec.mix === "alif") return 0.05 + 0.1 * rng.uniform();
    if (spec.mix === "lif-first") return j < nRec / 2 ? 0 : 0.05 + 0.1 * rng.uniform();
    return j % 2 === 0 ? 0 : 0.05 + 0.1 * rng.uniform();
  });
  const leaky = spec.inputScaling === "leaky";
  const config = resolveNetworkConfig({
    neuron: {
      nIn,
      nRec,
      tauMMs: 20,
      tauAMs: 200 + 400 * rng.uniform(),
      thr: 0.5,
      beta,
      dampening: 0.3,
      nRef: spec.nRef,
      inputScaling: spec.inputScaling ?? "one",
    },
    readout: { nOut, tauOutMs: 15, filter: spec.filter ?? "normalized", bias: spec.bias ?? false },
  });
  const gain = leaky ? 20 : 1;
  const weights: Weights = {
    wIn: normalMatrix([nIn, nRec], rng, { scale: 1.2 * gain }),
    wRec: normalMatrix([nRec, nRec], rng, { scale: 0.4 * gain }),
    wOut: normalMatrix([nRec, nOut], rng, { scale: 1 }),
  };
  if (spec.bias) weights.bOut = Float64Array.from({ length: nOut }, () => rng.normal());
  const inputs = new Float64Array(B * T * nIn).map(() => (rng.uniform() < 0.15 ? 1 : 0));
  const batch: Batch = { batchSize: B, steps: T, inputs };
  let objective: Objective;
  if (spec.loss === "mse") {
    batch.targets = new Float64Array(B * T * nOut).map(() => rng.normal());
    objective = { loss: { type: "mse" } };
  } else {
    batch.labels = Int32Array.from({ length: B }, () => rng.int(nOut));
    objective = { loss: { type: "ce", window: Math.floor(T / 3) } };
  }
  if (spec.regularization) {
    objective.regularization = { type: spec.regularization, c: 0.7, fTarget: 0.02, tauMs: 30 };
  }
  return { config, weights, batch, objective, rng };
}

/** Every combination the invariant tests run. */
export function invariantSpecs(): RandomNetworkSpec[] {
  const specs: RandomNetworkSpec[] = [];
  let seed = 100;
  for (const mix of ["lif", "alif", "mixed"] as const) {
    for (const nRef of [0, 3]) {
      for (const loss of ["mse", "ce"] as const) {
        specs.push({ seed: seed++, mix, nRef, loss });
        specs.push({ seed: seed++, mix, nRef, loss, regularization: "simple" });
      }
    }
  }
  specs.push({ seed: seed++, mix: "mixed", nRef: 2, loss: "ce", regularization: "online" });
  specs.push({
    seed: seed++,
    mix: "mixed",
    nRef: 0,
    loss: "mse",
    regularization: "online",
    bias: true,
  });
  specs.push({ seed: seed++, mix: "lif", nRef: 0, loss: "mse", inputScaling: "leaky" });
  specs.push({
    seed: seed++,
    mix: "lif-first",
    nRef: 3,
    loss: "ce",
    regularization: "simple",
    nRec: 13,
  });
  specs.push({
    seed: seed++,
    mix: "lif-first",
    nRef: 0,
    loss: "mse",
    regularization: "online",
    nRec: 20,
  });
  specs.push({ seed: seed++, mix: "alif", nRef: 2, loss: "ce", filter: "paper", bias: true });
  specs.push({
    seed: seed++,
    mix: "mixed",
    nRef: 5,
    loss: "mse",
    regularization: "simple",
    filter: "paper",
    inputScaling: "leaky",
  });
  return specs;
}

/** max|a - b| / max|b| (0 when both are zero). */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return scale === 0 ? diff : diff / scale;
}

/**
 * Random composed networks for invariant tests: stacked and bidirectional layers, LIF/ALIF
 * mixes, refractoriness, frame repeats 1-5, pooled and per-step heads reading the last or all
 * layers, several heads, varying sequence lengths, every loss and regularizer type, L2.
 */
import { type NetworkSpec, type ResolvedNetwork, resolveNetwork } from "../src/net/network.ts";
import { initNetworkParams, type NetworkParams } from "../src/net/params.ts";
import type { SequenceBatch } from "../src/net/batch.ts";
import type { NetworkObjective } from "../src/net/objective.ts";
import type { LossSpec } from "../src/net/losses.ts";
import { Rng } from "../src/util/rng.ts";

/** A random problem. */
export interface ComposedProblem {
  /** Short description for test names. */
  name: string;
  /** The network. */
  net: ResolvedNetwork;
  /** Its parameters. */
  params: NetworkParams;
  /** A batch with varying lengths. */
  batch: SequenceBatch;
  /** The objective. */
  objective: NetworkObjective;
  /** The generator, for feedback matrices. */
  rng: Rng;
}

/**
 * @param seed Selects everything.
 * @returns A random problem; the same seed gives the same problem.
 */
export function randomComposed(seed: number): ComposedProblem {
  const rng = new Rng(1000 + seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng.uniform() * xs.length)];
  const nLayers = 1 + (seed % 3);
  const repeat = 1 + (seed % 5);
  const nIn = 3 + Math.floor(rng.uniform() * 4);
  const layers = Array.from({ length: nLayers }, (_, l) => {
    const nRec = 4 + Math.floor(rng.uniform() * 6);
    const kind = pick(["lif", "alif", "mixed"] as const);
    const beta = Array.from(
      { length: nRec },
      (_, j) =>
        kind === "lif" || (kind === "mixed" && j < nRec / 2) ? 0 : 0.02 + 0.1 * rng.uniform(),
    );
    return {
      neuron: {
        nRec,
        tauMMs: 10 + 20 * rng.uniform(),
        tauAMs: 50 + 300 * rng.uniform(),
        thr: 0.15 + 0.2 * rng.uniform(),
        beta,
        nRef: pick([0, 1, 2, 3]),
        inputScaling: pick(["one", "one", "leaky"] as const),
      },
      bidirectional: l === 0 ? seed % 2 === 0 : rng.uniform() < 0.5,
    };
  });
  const pools = repeat === 1 ? ["none", "frame_mean"] as const : ["frame_mean"] as const;
  const nHeads = 1 + (seed % 2);
  const heads = Array.from({ length: nHeads }, (_, h) => ({
    name: h === 0 ? "main" : "second",
    nOut: 2 + Math.floor(rng.uniform() * 3),
    from: pick(["last", "all"] as const),
    pool: pick(pools),
    tauOut: 2 + 10 * rng.uniform(),
    filter: pick(["normalized", "paper"] as const),
    bias: rng.uniform() < 0.5,
  }));
  const spec: NetworkSpec = { nIn, repeat, layers, heads };
  const net = resolveNetwork(spec);
  const params = initNetworkParams(net, rng);
  // Larger input weights so that every population spikes.
  params.layers.forEach((l, i) => {
    // Leaky input scaling divides the input by about tau_m: compensate so that all spike.
    const gain = (i === 0 ? 2.5 : 6) / net.layers[i].populations[0].consts.s;
    for (const p of [l.forward, l.backward]) p?.wIn.data.forEach((v, k, a) => (a[k] = gain * v));
  });
  const B = 3, F = 6 + Math.floor(rng.uniform() * 5);
  const lengths = Int32Array.from(
    { length: B },
    (_, b) => b === 0 ? F : 2 + Math.floor(rng.uniform() * (F - 2)),
  );
  const inputs = new Float64Array(B * F * nIn).map(() => rng.normal() + 0.5);
  const losses: LossSpec[] = net.heads.map((h, i) => {
    const kind = i === 0 ? pick(["ce_frames", "mse", "ce"] as const) : "mse";
    if (kind === "mse") {
      return { type: "mse", targets: new Float64Array(B * F * h.nOut).map(() => rng.normal()) };
    }
    if (kind === "ce") {
      return {
        type: "ce",
        labels: Int32Array.from({ length: B }, () => Math.floor(rng.uniform() * h.nOut)),
        window: 2,
      };
    }
    return {
      type: "ce_frames",
      labels: Int32Array.from({ length: B * F }, () => Math.floor(rng.uniform() * h.nOut)),
    };
  });
  const regType = pick(["simple", "online", "none"] as const);
  const objective: NetworkObjective = {
    losses,
    ...(regType === "none"
      ? {}
      : { regularization: { type: regType, c: 0.5 + rng.uniform(), fTarget: 0.02, tauMs: 20 } }),
    l2: pick([0, 1e-3]),
  };
  const name = `seed ${seed}: ${
    layers.map((l) => `${l.bidirectional ? "bi" : "uni"}${l.neuron.nRec}`).join("+")
  }, repeat ${repeat}, ${heads.map((h) => `${h.pool}/${h.from}`).join(",")}, ${
    losses.map((l) => l.type).join(",")
  }, reg ${regType}`;
  return { name, net, params, batch: { batchSize: B, frames: F, inputs, lengths }, objective, rng };
}

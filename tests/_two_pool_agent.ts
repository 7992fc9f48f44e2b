/**
 * The small test agent (./_small_agent.ts: 12x12 frames, CNN 3 filters 4x4/2 -> 5x5x3 then 2
 * filters 2x2/1 -> 4x4x2, 4 LIF + 3 ALIF, 3 actions) with the authors' structure of the heads'
 * inputs: two pooled readouts, conv0 2x2/2 (-> 2x2x3 = 12) and conv1 2x2/1 (-> 3x3x2 = 18), and a
 * bias per filter on both CNN layers, drawn nonzero so that the biases' gradients and their
 * effect on the forward pass are tested.
 */
import { resolveAgentSpec, type ResolvedAgentSpec } from "../src/net/agent_spec.ts";
import {
  type AgentFeedback,
  type AgentParams,
  convBiasName,
  initAgentFeedback,
  initAgentParams,
} from "../src/net/agent_params.ts";
import { Rng } from "../src/util/rng.ts";

/** The two-pool, bias-on small agent's shape. */
export function twoPoolAgentSpec(): ResolvedAgentSpec {
  return resolveAgentSpec({
    frameSize: 12,
    numActions: 3,
    convLayers: [{ filters: 3, kernel: 4, stride: 2 }, { filters: 2, kernel: 2, stride: 1 }],
    nLif: 4,
    nAlif: 3,
    tauA: 10,
    beta: 0.5,
    nRef: 2,
    headPools: [{ layer: 0, kernel: 2, stride: 2 }, { layer: 1, kernel: 2, stride: 1 }],
    convBias: true,
  });
}

/** Parameters (heads random, inputs strong enough to spike, biases nonzero) and feedback. */
export function twoPoolAgent(seed: number): {
  spec: ResolvedAgentSpec;
  params: AgentParams;
  feedback: AgentFeedback;
} {
  const spec = twoPoolAgentSpec();
  const params = initAgentParams(spec, seed, { inputGain: 12, recurrentGain: 3, convGain: 3 });
  const rng = new Rng(seed + 100);
  for (const name of ["wPi", "bPi", "wV", "bV"]) {
    for (let i = 0; i < params[name].length; i++) params[name][i] = 0.5 * rng.normal();
  }
  spec.conv.layers.forEach((_, l) => {
    const b = params[convBiasName(l)];
    for (let i = 0; i < b.length; i++) b[i] = 0.1 * rng.normal();
  });
  return { spec, params, feedback: initAgentFeedback(spec, seed + 200) };
}

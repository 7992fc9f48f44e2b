/**
 * A small agent for tests of reward-based e-prop: 12x12 frames, a two-layer spiking CNN (3
 * filters 4x4 stride 2, then 2 filters 2x2), 4 LIF + 3 ALIF neurons, 3 actions, heads with
 * random weights, and a scripted stretch of frames, rewards and episode ends.
 */
import { resolveAgentSpec, type ResolvedAgentSpec } from "../src/net/agent_spec.ts";
import { initAgentFeedback, initAgentParams } from "../src/net/agent_params.ts";
import type { AgentFeedback, AgentParams } from "../src/net/agent_params.ts";
import { Rng } from "../src/util/rng.ts";

/** The small agent's shape. */
export function smallAgentSpec(): ResolvedAgentSpec {
  return resolveAgentSpec({
    frameSize: 12,
    numActions: 3,
    convLayers: [{ filters: 3, kernel: 4, stride: 2 }, { filters: 2, kernel: 2, stride: 1 }],
    nLif: 4,
    nAlif: 3,
    tauA: 10,
    beta: 0.5,
    nRef: 2,
    pool: 2,
    convBias: false,
  });
}

/** Parameters (heads random, inputs strong enough to spike) and feedback. */
export function smallAgent(seed: number): {
  spec: ResolvedAgentSpec;
  params: AgentParams;
  feedback: AgentFeedback;
} {
  const spec = smallAgentSpec();
  const params = initAgentParams(spec, seed, { inputGain: 12, recurrentGain: 3, convGain: 3 });
  const rng = new Rng(seed + 100);
  for (const name of ["wPi", "bPi", "wV", "bV"]) {
    for (let i = 0; i < params[name].length; i++) params[name][i] = 0.5 * rng.normal();
  }
  return { spec, params, feedback: initAgentFeedback(spec, seed + 200) };
}

/** Random frames [B][12][12] for one agent step. */
export function randomFrames(rng: Rng, B: number): Float64Array {
  const f = new Float64Array(B * 144);
  for (let i = 0; i < f.length; i++) f[i] = rng.uniform();
  return f;
}

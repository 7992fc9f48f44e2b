/**
 * One recorded episode of a (trained) agent: what it saw, its LSNN's spikes, its action
 * probabilities, the values and rewards, step by step, for a recording and a figure.
 *
 * @module
 */
import type { VectorEnv } from "../env/vector_env.ts";
import type { Rng } from "../util/rng.ts";
import { sampleActions } from "./actor_critic.ts";
import type { AgentNetwork } from "./agent_network.ts";

/** What {@linkcode recordAgentEpisode} returns. */
export interface AgentEpisode {
  /** The observations seen, one per agent step. */
  frames: Float32Array[];
  /** LSNN spikes [T][n] over every network step (T = steps x stepsPerFrame). */
  spikes: Float64Array;
  /** Action probabilities [steps][A]. */
  pi: Float64Array;
  /** Values [steps]. */
  value: Float64Array;
  /** Actions taken [steps]. */
  actions: Int32Array;
  /** Rewards (unclipped) [steps]. */
  rewards: Float64Array;
  /** Agent steps recorded. */
  steps: number;
  /** Whether the episode ended within the steps (else it was cut at `maxSteps`). */
  ended: boolean;
}

/**
 * Plays one episode (up to `maxSteps` agent steps) with a network of batch size 1 on an
 * environment of one episode, sampling actions from the policy.
 * @param net A network built for one episode (sharing the trained parameters).
 * @param env An environment of one episode.
 * @param maxSteps Most agent steps to record.
 * @param rng Draws the actions.
 * @returns The record.
 * @throws {RangeError} If the network or the environment holds more than one episode.
 */
export async function recordAgentEpisode(
  net: AgentNetwork,
  env: VectorEnv,
  maxSteps: number,
  rng: Rng,
): Promise<AgentEpisode> {
  if (net.batchSize !== 1 || env.numEnvs !== 1) {
    throw new RangeError(
      `Cannot record an episode: the network and the environment must hold one episode, got ${net.batchSize} and ${env.numEnvs}`,
    );
  }
  const spec = net.spec, n = spec.n, A = spec.numActions, S = spec.stepsPerFrame;
  net.resetAll();
  let obs = Float32Array.from(await env.reset());
  const frames: Float32Array[] = [], spikes: number[] = [], pi: number[] = [];
  const value: number[] = [], actions: number[] = [], rewards: number[] = [];
  let ended = false;
  while (frames.length < maxSteps && !ended) {
    const rec = net.step(obs);
    frames.push(obs);
    for (let i = 0; i < S * n; i++) spikes.push(rec.z[i]);
    for (let m = 0; m < A; m++) pi.push(rec.pi[m]);
    value.push(rec.value[0]);
    const a = sampleActions(rec.pi, A, rng);
    actions.push(a[0]);
    const s = await env.step(a);
    rewards.push(s.rawRewards[0]);
    ended = s.terminated[0] === 1 || s.truncated[0] === 1;
    obs = Float32Array.from(s.observations);
  }
  return {
    frames,
    spikes: Float64Array.from(spikes),
    pi: Float64Array.from(pi),
    value: Float64Array.from(value),
    actions: Int32Array.from(actions),
    rewards: Float64Array.from(rewards),
    steps: frames.length,
    ended,
  };
}

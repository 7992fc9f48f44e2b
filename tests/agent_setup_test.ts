/**
 * The authors' setup of Figs. 4-5, item by item, against independent computations: the heads'
 * pooled features (forward by hand, adjoint by the inner-product identity) and their sizes, the
 * heads' truncated-normal init, the cubic curriculum (the schedule's values and what the trainer
 * sets on the environment), the authors' update schedule (updates only at an unroll's end once
 * every episode has ended, then every episode restarts; only each slot's first end is counted),
 * and the mask (an ended episode's later steps change nothing; without the mask they do).
 */
import assert from "node:assert/strict";
import { poolSpikes, resolveHeadPools, unpoolErrors } from "../src/net/head_pools.ts";
import { resolveAgentSpec } from "../src/net/agent_spec.ts";
import { agentParamSizes, convBiasName, initAgentParams } from "../src/net/agent_params.ts";
import { AgentTrainer, nextEpisodeLength } from "../src/agent/agent_trainer.ts";
import type { EpisodeRecord, VectorEnv, VectorStep } from "../src/env/vector_env.ts";
import { AgentNetwork } from "../src/agent/agent_network.ts";
import { resolveActorCritic } from "../src/agent/actor_critic.ts";
import { UnrollRewardEprop } from "../src/agent/reward_unroll.ts";
import { smallAgent, smallAgentSpec } from "./_small_agent.ts";
import { Rng } from "../src/util/rng.ts";

Deno.test("head pools: VALID average pooling by hand, and the adjoint's inner-product identity", () => {
  // one 3x3x1 layer pooled 2x2 stride 1 -> 2x2
  const layer = { height: 3, width: 3, channels: 1, units: 9 } as never;
  const [p] = resolveHeadPools([layer], [{ layer: 0, kernel: 2, stride: 1 }], "test", "pools");
  assert.deepEqual([p.height, p.width, p.units, p.offset], [2, 2, 4, 0]);
  const z = Float64Array.from([1, 0, 1, 0, 1, 0, 1, 1, 0]);
  const out = new Float64Array(4);
  poolSpikes(p, z, 0, out, 0);
  assert.deepEqual(Array.from(out), [0.5, 0.5, 0.75, 0.5]);
  // <pool(z), G> = <z, unpool(G)> on a multi-channel, strided case
  const big = { height: 7, width: 6, channels: 3, units: 126 } as never;
  const [q] = resolveHeadPools([big], [{ layer: 0, kernel: 3, stride: 2 }], "test", "pools");
  assert.deepEqual([q.height, q.width], [3, 2]);
  const rng = new Rng(5);
  const zz = Float64Array.from({ length: 126 }, () => rng.normal());
  const G = Float64Array.from({ length: q.units }, () => rng.normal());
  const pooled = new Float64Array(q.units), back = new Float64Array(126);
  poolSpikes(q, zz, 0, pooled, 0);
  unpoolErrors(q, G, 0, back, 0);
  const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, x, i) => s + x * b[i], 0);
  assert.ok(Math.abs(dot(pooled, G) - dot(zz, back)) < 1e-12);
  assert.throws(
    () => resolveHeadPools([layer], [{ layer: 0, kernel: 4, stride: 1 }], "test", "pools"),
    /pools\[0\]\.kernel must be <= 3, got 4/,
  );
});

Deno.test("the authors' agent: 1048 head features, CNN biases, truncated-normal heads", () => {
  const spec = resolveAgentSpec();
  assert.deepEqual(spec.headPools.map((p) => [p.layer, p.kernel, p.stride, p.units]), [
    [0, 8, 4, 256],
    [1, 4, 2, 392],
  ]);
  assert.equal(spec.nFeatures, 400 + 256 + 392);
  const sizes = agentParamSizes(spec);
  assert.equal(sizes[convBiasName(0)], 16);
  assert.equal(sizes[convBiasName(1)], 8);
  const params = initAgentParams(spec, 7);
  const sd = 1 / Math.sqrt(spec.nFeatures), w = params.wPi;
  assert.ok(w.every((x) => Math.abs(x) <= 2 * sd), "truncated at 2 sd");
  // a normal truncated at 2 sd keeps 0.8796 of its sd
  const m = w.reduce((a, x) => a + x, 0) / w.length;
  const s = Math.sqrt(w.reduce((a, x) => a + (x - m) ** 2, 0) / w.length);
  assert.ok(Math.abs(s / (0.8796 * sd) - 1) < 0.05, `sd ${s} vs ${0.8796 * sd}`);
  assert.ok(params[convBiasName(0)].every((b) => b === 0));
  assert.ok(params.bPi.every((b) => b === 0) && params.bV[0] === 0);
  // the earlier agent: zero heads, the same filters and LSNN weights as before the option
  const zero = initAgentParams(spec, 7, { headInit: "zero" });
  assert.ok(zero.wPi.every((x) => x === 0) && zero.wV.every((x) => x === 0));
  assert.deepEqual(zero.wIn, params.wIn);
  assert.deepEqual(zero.conv1, params.conv1);
});

Deno.test("the cubic curriculum: 200 -> 321 -> 483 -> 692 -> 954", () => {
  const seq = [200];
  for (let i = 0; i < 4; i++) seq.push(nextEpisodeLength(seq[seq.length - 1]));
  assert.deepEqual(seq, [200, 321, 483, 692, 954]);
});

/**
 * A scripted environment: every slot's episode ends after `length(slot, episode)` steps, or at
 * the cut the trainer sets; it records the limits set and the resets asked for.
 */
function scriptedEnv(N: number, size: number, length: (slot: number, episode: number) => number) {
  const steps = new Int32Array(N), episodes = new Int32Array(N), score = new Float64Array(N);
  const limits: number[] = [], resets: number[][] = [];
  let limit = 0;
  const frame = () => new Float32Array(N * size * size).fill(0.5);
  const env: VectorEnv & {
    resetEpisodes(m: Uint8Array): Promise<{ observations: Float32Array; lives: Int32Array }>;
    setMaxEpisodeSteps(s: number): void;
  } = {
    name: "scripted",
    numEnvs: N,
    actions: ["A", "B", "C"],
    observationShape: { height: size, width: size, channels: 1 },
    observationType: "float32",
    frameSkip: 1,
    reset: () => Promise.resolve(frame()),
    step: (a: Int32Array): Promise<VectorStep> => {
      const terminated = new Uint8Array(N), truncated = new Uint8Array(N);
      const rewards = Float64Array.from(a, (x) => (x === 0 ? 1 : 0));
      const done: EpisodeRecord[] = [];
      for (let i = 0; i < N; i++) {
        steps[i]++, score[i] += rewards[i];
        const natural = steps[i] >= length(i, episodes[i]);
        const cut = limit > 0 && steps[i] >= limit;
        if (natural || cut) {
          terminated[i] = natural ? 1 : 0, truncated[i] = natural ? 0 : 1;
          done.push({
            env: i,
            score: score[i],
            steps: steps[i],
            frames: steps[i],
            truncated: !natural,
          });
          steps[i] = 0, score[i] = 0, episodes[i]++;
        }
      }
      return Promise.resolve({
        observations: frame(),
        rewards,
        rawRewards: rewards,
        terminated,
        truncated,
        lives: new Int32Array(N),
        episodes: done,
      });
    },
    resetEpisodes: (m: Uint8Array) => {
      resets.push(Array.from(m));
      for (let i = 0; i < N; i++) if (m[i]) steps[i] = 0, score[i] = 0, episodes[i]++;
      return Promise.resolve({ observations: frame(), lives: new Int32Array(N) });
    },
    setMaxEpisodeSteps: (s: number) => {
      limit = s;
      limits.push(s);
    },
    close: () => Promise.resolve(),
  };
  return { env, limits, resets, steps };
}

Deno.test("the authors' schedule: one update at an unroll's end once all ended, then all restart; first ends only", async () => {
  const N = 4, K = 5;
  // slot i's episodes last 3 + 2i steps: all have ended once by step 9, so the first update comes
  // at the end of the second unroll (step 10), never before
  const { env, resets } = scriptedEnv(N, 12, (i) => 3 + 2 * i);
  const spec = smallAgentSpec();
  const { params, feedback } = smallAgent(1);
  const trainer = await AgentTrainer.create(env, spec, params, feedback, {
    form: "unroll",
    update: "authors",
    mask: "authors",
    feedback: "symmetric",
    unrollLength: K,
    seed: 3,
    precision: "f64",
  });
  const updates: number[] = [], counted: { steps: number; at: number }[] = [];
  await trainer.train(N * 25, {
    onUpdate: (u) => void updates.push(u.frames),
    onEpisode: (e) => void counted.push({ steps: e.steps, at: e.atFrame }),
  });
  trainer.close();
  // frames count N per agent step: updates at the ends of unrolls 2 and 4 (steps 10 and 20)
  assert.deepEqual(updates, [10 * N, 20 * N]);
  assert.deepEqual(resets, [[1, 1, 1, 1], [1, 1, 1, 1]]);
  // each slot counts its first end per cycle: 4 per cycle, with the lengths 3, 5, 7, 9
  const firstCycle = counted.filter((c) => c.at <= 10 * N).map((c) => c.steps).sort();
  assert.deepEqual(firstCycle, [3, 5, 7, 9]);
  assert.equal(counted.filter((c) => c.at > 10 * N && c.at <= 20 * N).length, 4);
});

Deno.test("the trainer's curriculum: one shared limit in [L - J, L + J) per unroll, L grows", async () => {
  const N = 2, K = 4;
  const { env, limits } = scriptedEnv(N, 12, () => 1000);
  const spec = smallAgentSpec();
  const { params, feedback } = smallAgent(2);
  const trainer = await AgentTrainer.create(env, spec, params, feedback, {
    form: "unroll",
    update: "every-unroll",
    unrollLength: K,
    seed: 4,
    curriculum: { start: 200, jitter: 25, growEvery: 20 * N },
  });
  const lengths: number[] = [];
  await trainer.train(N * 4 * K * 12, { onUpdate: (u) => void lengths.push(u.maxEpisodeLength!) });
  trainer.close();
  // the start, then one draw at every unroll's end
  assert.equal(limits[0], 200);
  assert.equal(limits.length, 1 + Math.floor((4 * 12 * K - 1) / K));
  // L grows after more than growEvery frames: 200 for the first unrolls, then 321, 483, ...
  const Ls = [...new Set(lengths)];
  assert.deepEqual(Ls.slice(0, 3), [200, 321, 483]);
  // every draw lies within L's jitter band of the L current at the draw
  const drawn = limits.slice(1);
  const seq = [200];
  while (seq.length < 20) seq.push(nextEpisodeLength(seq[seq.length - 1]));
  assert.deepEqual(Ls, seq.slice(0, Ls.length));
  assert.ok(drawn.every((l) => seq.some((L) => l >= L - 25 && l < L + 25)));
  assert.ok(new Set(drawn.filter((l) => l < 226)).size > 3, "the draws vary");
});

Deno.test("mask: an ended episode's later steps change nothing in the gradient; unmasked they do", async () => {
  const B = 2, K = 8, { spec, params, feedback } = smallAgent(3);
  const ac = resolveActorCritic({ discount: 0.9, entropyCost: 0.01, rateCost: 0, voltageCost: 0 });
  const rng = new Rng(9);
  const frames = Array.from(
    { length: K },
    () => Float64Array.from({ length: B * 144 }, () => rng.uniform()),
  );
  const run = async (mask: "none" | "episode" | "authors", late: number) => {
    const net = await AgentNetwork.create(spec, B, params, { precision: "f64" });
    const l = new UnrollRewardEprop(spec, feedback, ac, B, K, { network: net, mask });
    for (let k = 0; k < K; k++) {
      const rec = net.step(frames[k]);
      // episode 0 ends at step 2; after it, its actions and rewards are `late`
      const actions = Int32Array.from([k > 2 ? late : 1, 2]);
      l.observe(rec, actions);
      const ended = Uint8Array.from([k === 2 ? 1 : 0, 0]);
      l.reward(Float64Array.from([k > 2 ? late : 1, 0.5]), ended);
      net.resetEpisodes(ended);
    }
    l.finishUnroll();
    const g = l.take().grads;
    net.dispose();
    return g;
  };
  for (const mask of ["episode", "authors"] as const) {
    const a = await run(mask, 0), b = await run(mask, 2);
    for (const name of ["wIn", "wRec", "wPi", "bPi", "wV", "bV"]) {
      assert.deepEqual(Array.from(a[name]), Array.from(b[name]), `${mask}: ${name}`);
    }
  }
  const a = await run("none", 0), b = await run("none", 2);
  assert.ok(a.wPi.some((x, i) => Math.abs(x - b.wPi[i]) > 1e-9), "without the mask they count");
  // "authors" also drops the ending episode's last two steps: it differs from "episode"
  const e = await run("episode", 0), w = await run("authors", 0);
  assert.ok(e.wPi.some((x, i) => Math.abs(x - w.wPi[i]) > 1e-9));
});

/**
 * Reward-based e-prop (src/agent/): the online form (TD errors times low-passed per-synapse
 * learning-signal traces) and the authors' unroll form (actor-critic losses, e-prop gradient by a
 * backward pass) give the same gradient on complete episodes with Monte-Carlo returns; they
 * differ once returns bootstrap; the online form's memory does not grow with the episode; both
 * learn a bandit; bad inputs are refused with the field named.
 */
import assert from "node:assert/strict";
import { AgentNetwork } from "../src/agent/agent_network.ts";
import { resolveAgentSpec } from "../src/net/agent_spec.ts";
import { initAgentFeedback, initAgentParams } from "../src/net/agent_params.ts";
import {
  type AgentGradientBatch,
  resolveActorCritic,
  sampleActions,
} from "../src/agent/actor_critic.ts";
import { OnlineRewardEprop } from "../src/agent/reward_online.ts";
import { UnrollRewardEprop } from "../src/agent/reward_unroll.ts";
import { AgentTrainer } from "../src/agent/agent_trainer.ts";
import type { VectorEnv, VectorStep } from "../src/env/vector_env.ts";
import { Rng } from "../src/util/rng.ts";
import { randomFrames, smallAgent } from "./_small_agent.ts";

const B = 3;
const ac = resolveActorCritic({ discount: 0.9, entropyCost: 0.01, rateCost: 2 });

/** Runs K agent steps of scripted frames, rewards and episode ends through one learner. */
async function runForm(
  form: "online" | "unroll",
  seed: number,
  ends: number[][],
  K: number,
  unrollLength = K,
  precision: "f32" | "f64" = "f64",
  constants = ac,
): Promise<{ batch: AgentGradientBatch; spikes: number; psi: number }> {
  const { spec, params, feedback } = smallAgent(seed);
  const net = await AgentNetwork.create(spec, B, params, { precision: "f64" });
  const learner = form === "online"
    ? await OnlineRewardEprop.create(spec, feedback, constants, B, { precision })
    : new UnrollRewardEprop(spec, feedback, constants, B, unrollLength, { network: net });
  const rng = new Rng(seed + 5), draws = new Rng(seed + 6);
  let spikes = 0, psi = 0;
  for (let k = 0; k < K; k++) {
    const rec = net.step(randomFrames(rng, B));
    if (learner instanceof UnrollRewardEprop && k > 0 && k % unrollLength === 0) {
      learner.finishUnroll(rec.value);
    }
    spikes += rec.spikes.reduce((a, b) => a + b, 0);
    psi += rec.psi.reduce((a, b) => a + b, 0);
    const actions = sampleActions(rec.pi, spec.numActions, draws);
    learner.observe(rec, actions);
    const rewards = Float64Array.from({ length: B }, () => Math.round(rng.uniform() * 2 - 1));
    const ended = Uint8Array.from(ends.map((e) => e.includes(k) ? 1 : 0));
    learner.reward(rewards, ended);
    net.resetEpisodes(ended);
  }
  if (learner instanceof UnrollRewardEprop) learner.finishUnroll();
  net.dispose();
  return { batch: learner.take(), spikes, psi };
}

function relativeError(a: Float64Array, b: Float64Array): number {
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) num += (a[i] - b[i]) ** 2, den += b[i] ** 2;
  return Math.sqrt(num / den);
}

for (const seed of [4, 5, 7]) {
  Deno.test(`online form = unroll form on complete episodes, Monte-Carlo returns (f64, seed ${seed})`, async () => {
    // three episodes slots; episodes end (and restart) inside the stretch; all end at its last step
    const ends = [[4, 9], [9], [2, 6, 9]];
    const online = await runForm("online", seed, ends, 10);
    const unroll = await runForm("unroll", seed, ends, 10);
    assert.ok(online.spikes > 20 && online.psi > 0.1, `the LSNN is active (${online.spikes})`);
    for (const name of ["wIn", "wRec", "wPi", "bPi", "wV", "bV"]) {
      const a = online.batch.grads[name], b = unroll.batch.grads[name];
      assert.ok(b.some((v) => Math.abs(v) > 1e-3), `${name} gradient is not zero`);
      const err = relativeError(a, b);
      assert.ok(err < 1e-6, `${name}: relative error ${err}`);
    }
    assert.equal(online.batch.agentSteps, unroll.batch.agentSteps);
    assert.ok(Math.abs(online.batch.rateLoss - unroll.batch.rateLoss) < 1e-12);
  });
}

Deno.test("the voltage regularizer: the forms agree (f64 and the f32 kernel) and it changes the gradient", async () => {
  const ends = [[4, 9], [9], [2, 6, 9]];
  const withV = resolveActorCritic({ ...ac, voltageCost: 0.05 });
  const without = resolveActorCritic({ ...ac, voltageCost: 0 });
  const online = await runForm("online", 5, ends, 10, 10, "f64", withV);
  const online32 = await runForm("online", 5, ends, 10, 10, "f32", withV);
  const unroll = await runForm("unroll", 5, ends, 10, 10, "f64", withV);
  const plain = await runForm("unroll", 5, ends, 10, 10, "f64", without);
  assert.ok(unroll.batch.voltageLoss > 1e-3, `voltage loss ${unroll.batch.voltageLoss}`);
  assert.ok(Math.abs(online.batch.voltageLoss - unroll.batch.voltageLoss) < 1e-12);
  assert.equal(plain.batch.voltageLoss, 0);
  for (const name of ["wIn", "wRec"]) {
    const err = relativeError(online.batch.grads[name], unroll.batch.grads[name]);
    assert.ok(err < 1e-6, `${name}: online vs unroll ${err}`);
    const err32 = relativeError(online32.batch.grads[name], unroll.batch.grads[name]);
    assert.ok(err32 < 1e-4, `${name}: f32 kernel vs unroll ${err32}`);
    const change = relativeError(plain.batch.grads[name], unroll.batch.grads[name]);
    assert.ok(change > 1e-3, `${name}: the voltage term changes the gradient by ${change}`);
  }
  for (const name of ["wPi", "wV"]) {
    assert.deepEqual(plain.batch.grads[name], unroll.batch.grads[name], "heads: no voltage term");
  }
});

Deno.test("online form in float32 (the fast path) is within 1e-4 of the float64 unroll form", async () => {
  const ends = [[4, 9], [9], [2, 6, 9]];
  const online = await runForm("online", 5, ends, 10, 10, "f32");
  const unroll = await runForm("unroll", 5, ends, 10);
  for (const name of ["wIn", "wRec"]) {
    const err = relativeError(online.batch.grads[name], unroll.batch.grads[name]);
    assert.ok(err < 1e-4 && err > 0, `${name}: relative error ${err}`);
  }
});

Deno.test("the forms differ once the unroll form bootstraps (unrolls shorter than episodes)", async () => {
  const ends = [[11], [11], [11]];
  const online = await runForm("online", 4, ends, 12);
  const unroll = await runForm("unroll", 4, ends, 12, 5);
  const err = relativeError(online.batch.grads.wIn, unroll.batch.grads.wIn);
  assert.ok(err > 1e-3, `relative difference ${err}`);
});

Deno.test("online form: memory fixed at construction, whatever the episode length", async () => {
  const { spec, params, feedback } = smallAgent(5);
  const learner = await OnlineRewardEprop.create(spec, feedback, ac, B, { precision: "f64" });
  const before = learner.stateBytes;
  // traces per episode and synapse: eps_a (ALIF columns), ebar, F; S and g shared
  const synapses = (spec.nIn + spec.n) * spec.n, pre = spec.nIn + spec.n;
  const traces = 8 * (B * pre * spec.nAlif + 2 * B * synapses + 2 * synapses);
  assert.ok(before > traces && before < traces + 200_000, `${before} bytes, traces ${traces}`);
  const net = await AgentNetwork.create(spec, B, params, { precision: "f64" });
  const rng = new Rng(1);
  for (let k = 0; k < 300; k++) {
    const rec = net.step(randomFrames(rng, B));
    learner.observe(rec, sampleActions(rec.pi, spec.numActions, rng));
    learner.reward(new Float64Array(B).fill(0.1), new Uint8Array(B));
  }
  assert.equal(learner.stateBytes, before, "300 steps of one episode allocate no trace memory");
  net.dispose();
});

/** A bandit in the VectorEnv interface: action 0 pays 1, episodes of 10 steps. */
function banditEnv(N: number, size: number): VectorEnv {
  let t = 0;
  const frame = () => new Float32Array(N * size * size).fill(0.5);
  return {
    name: "bandit",
    numEnvs: N,
    actions: ["PAY", "A", "B"],
    observationShape: { height: size, width: size, channels: 1 },
    observationType: "float32",
    frameSkip: 1,
    reset: () => Promise.resolve(frame()),
    step: (a: Int32Array): Promise<VectorStep> => {
      const end = ++t % 10 === 0 ? 1 : 0;
      const rewards = Float64Array.from(a, (x) => x === 0 ? 1 : 0);
      return Promise.resolve({
        observations: frame(),
        rewards,
        rawRewards: rewards,
        terminated: new Uint8Array(N).fill(end),
        truncated: new Uint8Array(N),
        lives: new Int32Array(N),
        episodes: [],
      });
    },
    close: () => Promise.resolve(),
  };
}

for (const form of ["online", "unroll", "bptt"] as const) {
  Deno.test(`${form} form learns a bandit (the policy moves to the paying action)`, async () => {
    const N = 8, size = 12;
    const spec = resolveAgentSpec({
      frameSize: size,
      numActions: 3,
      convLayers: [{ filters: 3, kernel: 4, stride: 2 }, { filters: 2, kernel: 2, stride: 1 }],
      nLif: 10,
      nAlif: 5,
      pool: 2,
    });
    const env = banditEnv(N, size);
    const trainer = await AgentTrainer.create(
      env,
      spec,
      initAgentParams(spec, 1, { headInit: "zero" }),
      initAgentFeedback(spec, 2),
      { form, seed: 3, learningRate: 0.05, unrollLength: 10, precision: "f64" },
    );
    const probe = async () => {
      const net = await AgentNetwork.create(spec, 1, trainer.params, { precision: "f64" });
      const pi = net.step(new Float32Array(size * size).fill(0.5)).pi[0];
      net.dispose();
      return pi;
    };
    const start = await probe();
    await trainer.train(N * 10 * 40);
    const end = await probe();
    assert.ok(Math.abs(start - 1 / 3) < 1e-12, "zero heads: the initial policy is uniform");
    assert.ok(end > 0.9, `pi(PAY) after training: ${end}`);
    assert.ok(trainer.updates >= 35, `${trainer.updates} updates`);
    trainer.close();
  });
}

Deno.test("zero-mean first-layer filters: each sums to zero; a uniform frame drives no first-layer spike", async () => {
  const spec = resolveAgentSpec({ frameSize: 42, nLif: 4, nAlif: 2 });
  const params = initAgentParams(spec, 3, { zeroMeanFilters: true });
  const l0 = spec.conv.layers[0], C = l0.channels;
  for (let co = 0; co < C; co++) {
    let sum = 0;
    for (let k = 0; k < l0.weights / C; k++) sum += params.conv0[k * C + co];
    assert.ok(Math.abs(sum) < 1e-12, `filter ${co} sums to ${sum}`);
  }
  const net = await AgentNetwork.create(spec, 1, params, { precision: "f64" });
  const rec = net.step(new Float64Array(42 * 42).fill(0.34));
  assert.ok(rec.features.subarray(spec.n).every((f) => f === 0), "no first-layer spikes");
  net.dispose();
});

Deno.test("bad inputs name the field", async () => {
  assert.throws(() => resolveAgentSpec({ nLif: -1 }), /nLif must be >= 0, got -1/);
  assert.throws(() => resolveAgentSpec({ nLif: 0, nAlif: 0 }), /nLif \+ nAlif must be at least 1/);
  assert.throws(() => resolveAgentSpec({ tauM: 0 }), /tauM must be > 0/);
  assert.throws(() => resolveAgentSpec({ pool: 50 }), /pool must be at most .* 20, got 50/);
  assert.throws(() => resolveActorCritic({ discount: 1.5 }), /discount must be in \[0, 1\]/);
  const { spec, params, feedback } = smallAgent(4);
  const net = await AgentNetwork.create(spec, 2, params, { precision: "f64" });
  assert.throws(() => net.step(new Float64Array(5)), /frames must hold 2 x 12x12 = 288 values/);
  net.dispose();
  await assert.rejects(
    AgentNetwork.create(spec, 2, { ...params, wIn: new Float64Array(3) }),
    /wIn must be a Float64Array of 224, got length 3/,
  );
  await assert.rejects(
    AgentTrainer.create(banditEnv(2, 10), spec, params, feedback, { form: "online", seed: 1 }),
    /the environment's frames are 10x10x1, the agent takes 12x12x1/,
  );
  await assert.rejects(
    AgentTrainer.create(banditEnv(2, 12), spec, params, feedback, {
      form: "both" as "online",
      seed: 1,
    }),
    /form must be "online", "unroll" or "bptt", got both/,
  );
  await assert.rejects(
    AgentTrainer.create(banditEnv(2, 12), spec, params, feedback, {
      form: "online",
      trainCnn: true,
      seed: 1,
    }),
    /trainCnn needs form "unroll" or "bptt"/,
  );
  assert.throws(
    () => new UnrollRewardEprop(spec, feedback, ac, 2, 10, { method: "bptt" }),
    /the unrolls need the network they run on \(options.network/,
  );
  assert.throws(() => resolveActorCritic({ voltageCost: -1 }), /voltageCost must be >= 0, got -1/);
});

Deno.test("groups of episodes (workers) add up to the whole batch: the voltage term takes each group's share", async () => {
  const constants = resolveActorCritic({ ...ac, rateCost: 0, voltageCost: 0.01 });
  const { spec, params, feedback } = smallAgent(6);
  const N = 4, K = 8, ends = [[3, 7], [7], [5, 7], [2, 7]];
  for (const form of ["online", "unroll"] as const) {
    const make = async (B: number, network: AgentNetwork) =>
      form === "online"
        ? await OnlineRewardEprop.create(spec, feedback, constants, B, {
          precision: "f64",
          totalEpisodes: N,
        })
        : new UnrollRewardEprop(spec, feedback, constants, B, K, { totalEpisodes: N, network });
    const net = await AgentNetwork.create(spec, N, params, { precision: "f64" });
    const nets = [
      await AgentNetwork.create(spec, 2, params, { precision: "f64" }),
      await AgentNetwork.create(spec, 2, params, { precision: "f64" }),
    ];
    const whole = await make(N, net), halves = [await make(2, nets[0]), await make(2, nets[1])];
    const rng = new Rng(3), draws = new Rng(4), size = 144;
    for (let k = 0; k < K; k++) {
      const frames = randomFrames(rng, N);
      const rec = net.step(frames);
      const actions = sampleActions(rec.pi, spec.numActions, draws);
      const rewards = Float64Array.from({ length: N }, () => Math.round(rng.uniform() * 2 - 1));
      const ended = Uint8Array.from(ends.map((e) => e.includes(k) ? 1 : 0));
      whole.observe(rec, actions);
      whole.reward(rewards, ended);
      net.resetEpisodes(ended);
      halves.forEach((h, g) => {
        const part = nets[g].step(frames.subarray(2 * g * size, (2 * g + 2) * size));
        h.observe(part, actions.slice(2 * g, 2 * g + 2));
        h.reward(rewards.slice(2 * g, 2 * g + 2), ended.slice(2 * g, 2 * g + 2));
        nets[g].resetEpisodes(ended.slice(2 * g, 2 * g + 2));
      });
    }
    for (const l of [whole, ...halves]) if (l instanceof UnrollRewardEprop) l.finishUnroll();
    const a = whole.take(), [b, c] = halves.map((h) => h.take());
    assert.ok(a.voltageLoss > 0);
    assert.ok(Math.abs(b.voltageLoss + c.voltageLoss - a.voltageLoss) < 1e-9 * a.voltageLoss);
    for (const name of ["wIn", "wRec", "wPi", "wV"]) {
      const sum = b.grads[name].map((x, i) => x + c.grads[name][i]);
      const err = relativeError(sum, a.grads[name]);
      assert.ok(err < 1e-12, `${form} ${name}: groups vs whole ${err}`);
    }
    [net, ...nets].forEach((x) => x.dispose());
  }
  await assert.rejects(
    OnlineRewardEprop.create(spec, feedback, constants, 3, { totalEpisodes: 2 }),
    /totalEpisodes must be an integer >= batchSize \(3\), got 2/,
  );
});

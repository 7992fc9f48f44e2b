/**
 * The agent's gradients over a fixed stretch, before and after its network moved onto the
 * engine's kernels (issue 22): the small test agent (./_small_agent.ts) runs a scripted stretch of
 * frames, actions, rewards and episode ends (B = 3 episodes, K = 12 agent steps, unrolls of 5),
 * and each reward form's accumulated gradient (online traces x TD errors, unroll e-prop with the
 * CNN trained, BPTT with the CNN trained; the voltage terms on) is compared with the one recorded
 * by the implementation before the move (./regression/agent_stretch.json): float64 within 1e-12
 * relative, float32 within 1e-6 relative, with the same spikes.
 *
 * Re-record (only with the implementation the fixture stands for):
 *   deno run -A tests/agent_engine_test.ts --record && deno fmt tests/regression/agent_stretch.json
 */
import assert from "node:assert/strict";
import { AgentNetwork } from "../src/agent/agent_network.ts";
import { resolveActorCritic } from "../src/agent/actor_critic.ts";
import type { RewardLearner } from "../src/agent/actor_critic.ts";
import { OnlineRewardEprop } from "../src/agent/reward_online.ts";
import { UnrollRewardEprop } from "../src/agent/reward_unroll.ts";
import { Rng } from "../src/util/rng.ts";
import { randomFrames, smallAgent } from "./_small_agent.ts";

const FIXTURE = new URL("./regression/agent_stretch.json", import.meta.url);
const B = 3, K = 12, UNROLL = 5;
const ENDS = [[4, 9], [7], [2, 6, 11]];
const ac = resolveActorCritic({
  discount: 0.9,
  entropyCost: 0.01,
  rateCost: 2,
  voltageCost: 1e-2,
  cnnVoltageCost: 0.5,
});

type Form = "online" | "unroll" | "bptt";
type Precision = "f32" | "f64";

interface StretchResult {
  /** Spikes of the LSNN over the stretch, per agent step and episode. */
  spikes: number[];
  /** The accumulated gradient per parameter. */
  grads: Record<string, number[]>;
}

/** Runs the stretch through one form at one precision (the CNN's and the online traces'). */
async function runStretch(form: Form, precision: Precision): Promise<StretchResult> {
  const { spec, params, feedback } = smallAgent(8);
  const trainCnn = form !== "online";
  const net = await AgentNetwork.create(spec, B, params, { precision, recordCnn: trainCnn });
  const learner: RewardLearner = form === "online"
    ? await OnlineRewardEprop.create(spec, feedback, ac, B, { precision })
    : new UnrollRewardEprop(spec, feedback, ac, B, UNROLL, {
      method: form === "bptt" ? "bptt" : "eprop",
      network: net,
      trainCnn,
      cnnTaskScale: 0.5,
    });
  const unroll = learner instanceof UnrollRewardEprop ? learner : undefined;
  const frames = new Rng(81), script = new Rng(82);
  const spikes: number[] = [];
  try {
    for (let k = 0; k < K; k++) {
      const rec = net.step(randomFrames(frames, B));
      if (unroll && k > 0 && k % UNROLL === 0) unroll.finishUnroll(rec.value);
      spikes.push(...rec.spikes);
      const actions = Int32Array.from({ length: B }, () => Math.floor(script.uniform() * 3));
      learner.observe(rec, actions);
      const rewards = Float64Array.from({ length: B }, () => Math.round(script.uniform() * 2 - 1));
      const ended = Uint8Array.from(ENDS.map((e) => e.includes(k) ? 1 : 0));
      learner.reward(rewards, ended);
      net.resetEpisodes(ended);
    }
    unroll?.finishUnroll();
    const batch = learner.take();
    const grads: Record<string, number[]> = {};
    for (const [name, g] of Object.entries(batch.grads)) grads[name] = Array.from(g);
    return { spikes, grads };
  } finally {
    net.dispose();
  }
}

const CASES: [Form, Precision][] = [
  ["online", "f64"],
  ["online", "f32"],
  ["unroll", "f64"],
  ["unroll", "f32"],
  ["bptt", "f64"],
  ["bptt", "f32"],
];

/** max |a - b| / max |b| over one tensor. */
function relative(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return den === 0 ? num : num / den;
}

if (import.meta.main && Deno.args.includes("--record")) {
  const out: Record<string, StretchResult> = {};
  for (const [form, precision] of CASES) {
    out[`${form}_${precision}`] = await runStretch(form, precision);
  }
  await Deno.writeTextFile(FIXTURE, JSON.stringify(out) + "\n");
  console.log(`wrote ${FIXTURE.pathname}`);
}

for (const [form, precision] of CASES) {
  Deno.test(`agent gradients over a fixed stretch equal the recorded ones (${form}, ${precision})`, async () => {
    const fixture: Record<string, StretchResult> = JSON.parse(await Deno.readTextFile(FIXTURE));
    const want = fixture[`${form}_${precision}`];
    const got = await runStretch(form, precision);
    assert.deepEqual(got.spikes, want.spikes, "the same spikes");
    assert.ok(want.spikes.reduce((a, b) => a + b, 0) > 20, "the LSNN is active");
    const tolerance = precision === "f64" ? 1e-12 : 1e-6;
    assert.deepEqual(Object.keys(got.grads).sort(), Object.keys(want.grads).sort());
    for (const [name, g] of Object.entries(want.grads)) {
      assert.ok(g.some((v) => v !== 0), `${name}: the recorded gradient is not zero`);
      const err = relative(got.grads[name], g);
      if (Deno.env.get("AGENT_STRETCH_VERBOSE")) console.log(`${form} ${precision} ${name} ${err}`);
      assert.ok(err <= tolerance, `${name}: relative error ${err} > ${tolerance}`);
    }
  });
}

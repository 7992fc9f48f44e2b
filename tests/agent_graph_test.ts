/**
 * The agent's autodiff reference (src/engine/tfjs/agent_graph.ts) with the authors' structure,
 * against the float64 forward-mode reference (./_agent_tangent.ts), without any learner: a small
 * agent with two head pools (conv0 2x2/2, conv1 2x2/1) and biases on both CNN layers; per
 * parameter (filters and biases included) the reverse-mode gradient along a random direction
 * equals the forward-mode derivative of the loss that parameter is trained on, for BPTT, random
 * and symmetric e-prop, the CNN trained through the LSNN or from its pooled features only
 * (cnnTaskScale 1 and 1e-3, CNN voltage term on), and a step mask. Also: the pooled path's
 * stop-gradients change the CNN's gradient and nothing else; the mask enters linearly; a mask of
 * ones changes nothing; bad options name the field.
 */
import assert from "node:assert/strict";
import { AgentNetwork } from "../src/agent/agent_network.ts";
import { resolveActorCritic, sampleActions } from "../src/agent/actor_critic.ts";
import {
  type AgentGraphDiagnostics,
  type AgentGraphOptions,
  type AgentLossConstants,
  type AgentUnroll,
  agentUnrollGradient,
} from "../src/engine/tfjs/agent_graph.ts";
import type { AgentFeedback, AgentParams } from "../src/net/agent_params.ts";
import type { ResolvedAgentSpec } from "../src/net/agent_spec.ts";
import { useTfBackend } from "../src/engine/tfjs/tf.ts";
import { directionalDerivative, type TangentOptions } from "./_agent_tangent.ts";
import { recordRun } from "./_agent_record.ts";
import { twoPoolAgent } from "./_two_pool_agent.ts";
import { randomFrames } from "./_small_agent.ts";
import { Rng } from "../src/util/rng.ts";

const B = 3, K = 10;
const ac = resolveActorCritic({
  discount: 0.9,
  entropyCost: 0.01,
  rateCost: 2,
  voltageCost: 1e-5,
  cnnVoltageCost: 0.5,
});
const LSNN = ["wIn", "wRec", "wPi", "bPi", "wV", "bV"];
const CNN = ["conv0", "conv0Bias", "conv1", "conv1Bias"];

type Agent = { spec: ResolvedAgentSpec; params: AgentParams; feedback: AgentFeedback };

/** Plays K steps of the agent with sampled actions and scripted rewards and episode ends. */
async function play(agent: Agent, seed: number, ends: number[][], bootstrap: boolean) {
  const net = await AgentNetwork.create(agent.spec, B, agent.params, { precision: "f64" });
  const rng = new Rng(seed + 5), draws = new Rng(seed + 6);
  const unroll: AgentUnroll = { frames: [], actions: [], rewards: [], ended: [] };
  let spikes = 0;
  for (let k = 0; k < K; k++) {
    const frames = randomFrames(rng, B);
    const rec = net.step(frames);
    spikes += rec.spikes.reduce((a, b) => a + b, 0);
    const actions = sampleActions(rec.pi, agent.spec.numActions, draws);
    const rewards = Float64Array.from({ length: B }, () => Math.round(rng.uniform() * 2 - 1));
    const ended = Uint8Array.from(ends.map((e) => e.includes(k) ? 1 : 0));
    net.resetEpisodes(ended);
    (unroll.frames as Float64Array[]).push(frames);
    (unroll.actions as Int32Array[]).push(actions);
    (unroll.rewards as Float64Array[]).push(rewards);
    (unroll.ended as Uint8Array[]).push(ended);
  }
  if (bootstrap) unroll.bootstrap = net.step(randomFrames(rng, B)).value;
  net.dispose();
  return { unroll, spikes, teacher: await recordRun(agent.spec, agent.params, unroll) };
}

function relNorm(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < b.length; i++) num += (a[i] - b[i]) ** 2, den += b[i] ** 2;
  return Math.sqrt(num / den);
}

function norm(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] ** 2;
  return Math.sqrt(s);
}

/** A step mask as the authors' finished_mask would give for the scripted ends (k-major). */
function maskFrom(ends: number[][]): Float64Array {
  const m = new Float64Array(K * B);
  ends.forEach((e, b) => {
    for (let k = 0; k < K; k++) {
      let done = 0;
      for (let u = 1; u <= Math.min(k + 1, K - 1); u++) done += e.includes(u) ? 1 : 0;
      m[k * B + b] = 1 - Math.min(1, done);
    }
  });
  return m;
}

const ENDS = [[4], [], [2, 6]];

interface Config {
  name: string;
  mode: "bptt" | "eprop";
  feedback?: "random" | "symmetric";
  cnnPath?: "through-lsnn" | "pooled";
  cnnTaskScale?: number;
  mask?: boolean;
}

const CONFIGS: Config[] = [
  { name: "bptt", mode: "bptt" },
  { name: "random e-prop, CNN task scale 0.5", mode: "eprop", cnnTaskScale: 0.5 },
  { name: "symmetric e-prop", mode: "eprop", feedback: "symmetric" },
  { name: "symmetric, pooled CNN path", mode: "eprop", feedback: "symmetric", cnnPath: "pooled" },
  {
    name: "symmetric, pooled CNN path, task scale 1e-3",
    mode: "eprop",
    feedback: "symmetric",
    cnnPath: "pooled",
    cnnTaskScale: 1e-3,
  },
  { name: "symmetric, masked", mode: "eprop", feedback: "symmetric", mask: true },
  { name: "bptt, pooled CNN path, masked", mode: "bptt", cnnPath: "pooled", mask: true },
];

const agent = twoPoolAgent(7);
const played = play(agent, 7, ENDS, true);

for (const c of CONFIGS) {
  Deno.test(`agent graph (two pools, CNN biases) ${c.name} = float64 forward mode along random directions, every parameter`, async () => {
    await useTfBackend("cpu");
    const { unroll, teacher, spikes } = await played;
    assert.ok(spikes > 20, `the LSNN is active (${spikes} spikes)`);
    const stepMask = c.mask ? maskFrom(ENDS) : undefined;
    const diagnostics: AgentGraphDiagnostics = {};
    const options: AgentGraphOptions = {
      mode: c.mode,
      feedback: c.feedback,
      cnnPath: c.cnnPath,
      cnnTaskScale: c.cnnTaskScale,
      stepMask,
      trainCnn: true,
      teacher,
      diagnostics,
    };
    const g = agentUnrollGradient(agent.spec, agent.params, agent.feedback, ac, unroll, options);
    assert.deepEqual(Object.keys(g).sort(), [...LSNN, ...CNN].sort());
    assert.equal(diagnostics.lsnnFlips, 0);
    assert.deepEqual(diagnostics.convFlips, [0, 0]);
    const tangentOptions: TangentOptions = { feedback: c.feedback, cnnPath: c.cnnPath, stepMask };
    const scale = c.cnnTaskScale ?? 1, rng = new Rng(11), report: string[] = [];
    for (const name of [...LSNN, ...CNN]) {
      const dir = { [name]: Float64Array.from(agent.params[name], () => rng.normal()) };
      if (name === "wRec") {
        for (let j = 0; j < agent.spec.n; j++) dir.wRec[j * agent.spec.n + j] = 0;
      }
      const ref = directionalDerivative(
        c.mode,
        agent.spec,
        agent.params,
        agent.feedback,
        ac,
        unroll,
        teacher,
        dir,
        ac.voltageCost,
        ac.cnnVoltageCost,
        tangentOptions,
      );
      const q = ref.parts;
      // the loss this parameter is trained on
      const want = !CNN.includes(name)
        ? ref.dE
        : c.cnnPath === "pooled"
        ? scale * (q.pg.dE + q.value.dE) + q.cnnVoltage.dE
        : scale * (q.pg.dE + q.value.dE + q.entropy.dE) + q.rate.dE + q.voltage.dE +
          q.cnnVoltage.dE;
      let got = 0;
      g[name].forEach((v, i) => got += v * dir[name][i]);
      const err = Math.abs(got - want) / Math.abs(want);
      report.push(`${name} ${err.toExponential(1)}`);
      assert.ok(Math.abs(want) > 1e-3, `${name}: the derivative is not zero (${want})`);
      assert.ok(err < 1e-4, `${name}: directional derivative ${got} vs ${want} (${err})`);
      if (name === "conv1" && c.cnnPath === "pooled") {
        // the pooled path's stop-gradients matter along the CNN's directions
        const through = directionalDerivative(
          c.mode,
          agent.spec,
          agent.params,
          agent.feedback,
          ac,
          unroll,
          teacher,
          dir,
          ac.voltageCost,
          ac.cnnVoltageCost,
          { ...tangentOptions, cnnPath: "through-lsnn" },
        ).parts;
        const other = Math.abs(through.pg.dE + through.value.dE - q.pg.dE - q.value.dE) /
          Math.abs(q.pg.dE + q.value.dE);
        assert.ok(other > 1e-2, `the stop-gradients change the derivative (${other})`);
      }
    }
    const l = diagnostics.losses!;
    const E = directionalDerivative(
      c.mode,
      agent.spec,
      agent.params,
      agent.feedback,
      ac,
      unroll,
      teacher,
      {},
      ac.voltageCost,
      ac.cnnVoltageCost,
      tangentOptions,
    ).parts;
    for (const key of ["pg", "value", "entropy", "rate", "voltage", "cnnVoltage"] as const) {
      const e = Math.abs(l[key] - E[key].E) / Math.max(Math.abs(E[key].E), 1e-3);
      assert.ok(e < 1e-5, `loss ${key}: ${l[key]} vs ${E[key].E}`);
    }
    console.log(`${c.name}: relative errors ${report.join(", ")}`);
  });
}

Deno.test("agent graph: the pooled CNN path changes the CNN's gradient only; the mask enters linearly; a mask of ones changes nothing; symmetric e-prop differs from random on the LSNN", async () => {
  await useTfBackend("cpu");
  const { unroll, teacher } = await played;
  const run = (o: Omit<AgentGraphOptions, "teacher">) =>
    agentUnrollGradient(agent.spec, agent.params, agent.feedback, ac, unroll, {
      trainCnn: true,
      ...o,
      teacher,
    });
  const base = run({ feedback: "symmetric" });
  const pooled = run({ feedback: "symmetric", cnnPath: "pooled" });
  for (const name of LSNN) assert.ok(relNorm(pooled[name], base[name]) < 1e-6, name);
  for (const name of CNN) {
    const d = relNorm(pooled[name], base[name]);
    assert.ok(d > 1e-2, `${name}: the pooled path differs (${d})`);
  }
  const ones = run({ feedback: "symmetric", stepMask: new Float64Array(K * B).fill(1) });
  for (const name of [...LSNN, ...CNN]) assert.ok(relNorm(ones[name], base[name]) < 1e-6, name);
  // linear in the mask: g(m1 + m2) = g(m1) + g(m2) - g(0) (g(0): the regularizers alone)
  const m1 = maskFrom(ENDS), m2 = Float64Array.from(m1, (v, i) => (i % 4 === 1 ? 2 : 0) - v / 2);
  const sum = Float64Array.from(m1, (v, i) => v + m2[i]);
  const [g1, g2, g12, g0] = [m1, m2, sum, new Float64Array(K * B)].map((stepMask) =>
    run({ feedback: "symmetric", stepMask })
  );
  for (const name of [...LSNN, ...CNN]) {
    const lin = g12[name].map((v, i) => v - g1[name][i] - g2[name][i] + g0[name][i]);
    const e = norm(lin) / norm(g12[name]);
    assert.ok(e < 1e-4, `${name}: not linear in the mask (${e})`);
    assert.ok(relNorm(g1[name], base[name]) > 1e-3, `${name}: the mask matters`);
  }
  const random = run({});
  for (const name of ["wIn", "wRec"]) {
    const d = relNorm(random[name], base[name]);
    assert.ok(d > 1e-2, `${name}: random and symmetric feedback differ (${d})`);
  }
  for (const name of ["wPi", "bPi", "wV", "bV"]) {
    assert.ok(relNorm(random[name], base[name]) < 1e-6, name);
  }
});

Deno.test("agent graph: bad new options name the field", async () => {
  const { unroll, teacher } = await played;
  const run = (o: Record<string, unknown>) => () =>
    agentUnrollGradient(agent.spec, agent.params, agent.feedback, ac, unroll, {
      teacher,
      ...o,
    } as AgentGraphOptions);
  assert.throws(
    run({ feedback: "symetric" }),
    /options.feedback must be one of "random", "symmetric"/,
  );
  assert.throws(
    run({ cnnPath: "pool" }),
    /options.cnnPath must be one of "through-lsnn", "pooled"/,
  );
  assert.throws(
    run({ stepMask: new Float64Array(3) }),
    /options.stepMask must have length 30, got 3/,
  );
  const nan = new Float64Array(K * B);
  nan[4] = NaN;
  assert.throws(run({ stepMask: nan }), /options.stepMask\[4\] must be a finite number/);
  const constants: AgentLossConstants = ac;
  assert.throws(
    () =>
      agentUnrollGradient(agent.spec, agent.params, {} as AgentFeedback, constants, unroll, {
        teacher,
      }),
    /feedback.bPi must be a Float64Array/,
  );
  // symmetric feedback does not read the random feedback
  agentUnrollGradient(agent.spec, agent.params, {} as AgentFeedback, constants, unroll, {
    teacher,
    feedback: "symmetric",
  });
});

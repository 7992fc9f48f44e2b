/**
 * The autodiff reference of the agent's unroll gradient (src/engine/tfjs/agent_graph.ts): in
 * mode "eprop" it equals UnrollRewardEprop's factorized e-prop gradient for every parameter, with
 * Monte-Carlo and with bootstrapped returns, episodes ending inside the unroll, entropy and rate
 * terms on; in both modes, with the voltage regularizer and the CNN trained, it equals float64
 * forward-mode derivatives (./_agent_tangent.ts) along random directions; BPTT differs from
 * e-prop on the LSNN and agrees on the heads; the voltage cost and the CNN's task scale enter
 * linearly; the library's own BPTT form, voltage term and CNN training (UnrollRewardEprop) equal
 * the reference for every parameter; bad input names the field. The authors' agent (two head
 * pools, CNN biases): UnrollRewardEprop with symmetric feedback, the CNN on the pooled path (task
 * scale 1 and 1e-3), the step masks "authors" and "episode" (also over two unrolls, the episodes
 * waiting in the second) and BPTT equals the reference summed over its unrolls for every
 * parameter, biases included, and the reference without the option under test is far from it;
 * symmetric e-prop differs from BPTT on the LSNN and equals it on the heads.
 */
import assert from "node:assert/strict";
import { AgentNetwork } from "../src/agent/agent_network.ts";
import { resolveActorCritic, sampleActions } from "../src/agent/actor_critic.ts";
import { UnrollRewardEprop } from "../src/agent/reward_unroll.ts";
import {
  type AgentGraphDiagnostics,
  type AgentGraphOptions,
  type AgentLossConstants,
  type AgentUnroll,
  agentUnrollGradient,
} from "../src/engine/tfjs/agent_graph.ts";
import { recordAgentRun } from "../src/agent/agent_teacher.ts";
import { type AgentTeacherRecord, checkUnroll } from "../src/net/agent_unroll.ts";
import type { AgentFeedback, AgentParams } from "../src/net/agent_params.ts";
import type { ResolvedAgentSpec } from "../src/net/agent_spec.ts";
import { useTfBackend } from "../src/engine/tfjs/tf.ts";
import { directionalDerivative } from "./_agent_tangent.ts";
import { Rng } from "../src/util/rng.ts";
import { randomFrames, smallAgent } from "./_small_agent.ts";
import { twoPoolAgent } from "./_two_pool_agent.ts";
import { recordRun } from "./_agent_record.ts";

const B = 3, K = 10;
const ac = resolveActorCritic({ discount: 0.9, entropyCost: 0.01, rateCost: 2 });
const NAMES = ["wIn", "wRec", "wPi", "bPi", "wV", "bV"];

/** The autodiff reference on the spikes of the agent's recorded run over the unroll (f64 CNN). */
async function autodiff(
  r: { spec: ResolvedAgentSpec; params: AgentParams; feedback: AgentFeedback },
  constants: AgentLossConstants,
  unroll: AgentUnroll,
  o: Omit<AgentGraphOptions, "teacher"> = {},
): Promise<Record<string, Float64Array>> {
  const teacher = await recordAgentRun(r.spec, r.params, unroll, checkUnroll(r.spec, unroll), {
    precision: "f64",
  });
  return agentUnrollGradient(r.spec, r.params, r.feedback, constants, unroll, { ...o, teacher });
}

/** Runs K steps of the small agent, recording the unroll and UnrollRewardEprop's gradient. */
async function recordUnroll(
  seed: number,
  ends: number[][],
  bootstrap: boolean,
  o: { method?: "eprop" | "bptt"; trainCnn?: boolean; cnnTaskScale?: number } = {},
  constants = ac,
) {
  const { spec, params, feedback } = smallAgent(seed);
  const net = await AgentNetwork.create(spec, B, params, {
    precision: "f64",
    recordCnn: o.trainCnn,
  });
  const learner = new UnrollRewardEprop(spec, feedback, constants, B, K, { ...o, network: net });
  const rng = new Rng(seed + 5), draws = new Rng(seed + 6);
  const unroll: AgentUnroll = { frames: [], actions: [], rewards: [], ended: [] };
  let spikes = 0;
  for (let k = 0; k < K; k++) {
    const frames = randomFrames(rng, B);
    const rec = net.step(frames);
    spikes += rec.spikes.reduce((a, b) => a + b, 0);
    const actions = sampleActions(rec.pi, spec.numActions, draws);
    learner.observe(rec, actions);
    const rewards = Float64Array.from({ length: B }, () => Math.round(rng.uniform() * 2 - 1));
    const ended = Uint8Array.from(ends.map((e) => e.includes(k) ? 1 : 0));
    learner.reward(rewards, ended);
    net.resetEpisodes(ended);
    (unroll.frames as Float64Array[]).push(frames);
    (unroll.actions as Int32Array[]).push(actions);
    (unroll.rewards as Float64Array[]).push(rewards);
    (unroll.ended as Uint8Array[]).push(ended);
  }
  if (bootstrap) {
    unroll.bootstrap = net.step(randomFrames(rng, B)).value;
    learner.finishUnroll(unroll.bootstrap as Float64Array);
  } else learner.finishUnroll();
  net.dispose();
  return { spec, params, feedback, unroll, grads: learner.take().grads, spikes };
}

/** The library's BPTT, voltage term and CNN training against the autodiff reference. */
const LEARNER_CASES = [
  { seed: 4, ends: [[4, 9], [9], [2, 6, 9]], bootstrap: false, method: "bptt", trainCnn: false },
  { seed: 5, ends: [[4], [], [2, 6]], bootstrap: true, method: "bptt", trainCnn: true },
  { seed: 4, ends: [[4, 9], [9], [2, 6, 9]], bootstrap: false, method: "eprop", trainCnn: true },
] as const;

for (const c of LEARNER_CASES) {
  Deno.test(
    `UnrollRewardEprop ${c.method}${
      c.trainCnn ? " with the CNN trained" : ""
    }, voltage term on = autodiff (tfjs) for every parameter (seed ${c.seed})`,
    async () => {
      await useTfBackend("cpu");
      const constants = resolveActorCritic({ ...ac, voltageCost: 1e-5 });
      const cnnTaskScale = c.trainCnn ? 0.5 : undefined;
      const r = await recordUnroll(c.seed, c.ends.map((e) => [...e]), c.bootstrap, {
        method: c.method,
        trainCnn: c.trainCnn,
        cnnTaskScale,
      }, constants);
      const auto = await autodiff(r, constants, r.unroll, {
        mode: c.method,
        trainCnn: c.trainCnn,
        cnnTaskScale,
      });
      const names = c.trainCnn ? [...NAMES, "conv0", "conv1"] : NAMES;
      assert.deepEqual(Object.keys(r.grads).sort(), [...names].sort());
      const errors = names.map((name) => {
        assert.ok(r.grads[name].some((v) => Math.abs(v) > 1e-4), `${name} gradient is not zero`);
        return [name, relNorm(r.grads[name], auto[name])] as const;
      });
      console.log(
        `${c.method}${c.trainCnn ? "+cnn" : ""} seed ${c.seed}: relative errors ${
          errors.map(([n, e]) => `${n} ${e.toExponential(2)}`).join(", ")
        }`,
      );
      for (const [name, e] of errors) assert.ok(e < 5e-5, `${name}: relative error ${e}`);
    },
  );
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

const CASES = [
  { seed: 4, ends: [[4, 9], [9], [2, 6, 9]], bootstrap: false },
  { seed: 5, ends: [[4], [], [2, 6]], bootstrap: true },
];

for (const { seed, ends, bootstrap } of CASES) {
  Deno.test(
    `autodiff e-prop (tfjs, float32) = UnrollRewardEprop for every parameter (seed ${seed}, ${
      bootstrap ? "bootstrapped" : "Monte-Carlo"
    })`,
    async () => {
      await useTfBackend("cpu");
      const r = await recordUnroll(seed, ends, bootstrap);
      assert.ok(r.spikes > 20, `the LSNN is active (${r.spikes} spikes)`);
      const diagnostics: AgentGraphDiagnostics = {};
      const auto = await autodiff(r, ac, r.unroll, {
        mode: "eprop",
        diagnostics,
      });
      assert.deepEqual(Object.keys(auto).sort(), [...NAMES].sort());
      const errors = NAMES.map((name) => {
        assert.ok(r.grads[name].some((v) => Math.abs(v) > 1e-3), `${name} gradient is not zero`);
        return [name, relNorm(auto[name], r.grads[name])] as const;
      });
      console.log(
        `seed ${seed}: relative errors ${
          errors.map(([n, e]) => `${n} ${e.toExponential(2)}`).join(", ")
        }; float32 decisions off the record: LSNN ${diagnostics.lsnnFlips}, CNN ${diagnostics.convFlips}; max |dV| ${
          diagnostics.valueError?.toExponential(1)
        }`,
      );
      for (const [name, e] of errors) assert.ok(e < 5e-5, `${name}: relative error ${e}`);
      assert.ok(diagnostics.valueError! < 1e-5);
    },
  );
}

for (const mode of ["bptt", "eprop"] as const) {
  Deno.test(`agent graph ${mode} (voltage cost, CNN trained) = float64 forward-mode derivatives along random directions, per parameter`, async () => {
    await useTfBackend("cpu");
    const r = await recordUnroll(5, [[4], [], [2, 6]], true);
    const voltageCost = 1e-5; // the voltage loss (~5) comparable with the actor-critic loss
    const diagnostics: AgentGraphDiagnostics = {};
    const g = await autodiff(r, ac, r.unroll, {
      mode,
      voltageCost,
      trainCnn: true,
      diagnostics,
    });
    const teacher = await recordAgentRun(r.spec, r.params, r.unroll, { K, B }, {
      precision: "f64",
    });
    const rng = new Rng(9);
    const report: string[] = [];
    let E = 0;
    for (const name of [...NAMES, "conv0", "conv1"]) {
      const dir = { [name]: Float64Array.from(r.params[name], () => rng.normal()) };
      if (name === "wRec") { for (let j = 0; j < r.spec.n; j++) dir.wRec[j * r.spec.n + j] = 0; }
      const ref = directionalDerivative(
        mode,
        r.spec,
        r.params,
        r.feedback,
        ac,
        r.unroll,
        teacher,
        dir,
        voltageCost,
        ac.cnnVoltageCost,
      );
      E = ref.E;
      let auto = 0;
      g[name].forEach((v, i) => auto += v * dir[name][i]);
      const err = Math.abs(auto - ref.dE) / Math.abs(ref.dE);
      report.push(`${name} ${err.toExponential(2)}`);
      assert.ok(Math.abs(ref.dE) > 1e-3, `${name}: the derivative is not zero`);
      assert.ok(err < 1e-4, `${name}: directional derivative ${auto} vs ${ref.dE} (${err})`);
    }
    const l = diagnostics.losses!;
    assert.ok(l.cnnVoltage > 1e-3, `the CNN's voltage term is on (${l.cnnVoltage})`);
    const lossErr = Math.abs(l.ac + l.rate + l.voltage + l.cnnVoltage - E) / Math.abs(E);
    console.log(
      `${mode} vs forward mode, relative errors: ${report.join(", ")}; loss ${E.toFixed(4)} ` +
        `(voltage ${l.voltage.toFixed(4)}, CNN voltage ${l.cnnVoltage.toFixed(4)}, rate ${
          l.rate.toFixed(4)
        }), relative error ${lossErr.toExponential(1)}`,
    );
    assert.ok(l.voltage > 1e-3 && lossErr < 1e-5);
  });
}

Deno.test("agent graph: BPTT agrees with e-prop on the heads and differs on the LSNN; voltage cost and CNN task scale enter linearly", async () => {
  await useTfBackend("cpu");
  const r = await recordUnroll(4, [[4, 9], [9], [2, 6, 9]], false);
  const run = (o: Parameters<typeof autodiff>[3]) => autodiff(r, ac, r.unroll, o);
  const eprop = await run({ mode: "eprop" });
  const bptt = await run({ mode: "bptt" });
  for (const name of ["wPi", "bPi", "wV", "bV"]) {
    assert.ok(relNorm(bptt[name], eprop[name]) < 1e-6, name);
  }
  const lsnn = ["wIn", "wRec"].map((name) => relNorm(bptt[name], eprop[name]));
  console.log(
    `BPTT vs e-prop, relative difference: wIn ${lsnn[0].toFixed(3)}, wRec ${lsnn[1].toFixed(3)}`,
  );
  lsnn.forEach((d) => assert.ok(d > 1e-2, `BPTT differs from e-prop (${d})`));
  for (const mode of ["eprop", "bptt"] as const) {
    const [g0, g1, g2] = await Promise.all(
      [0, 0.5, 1].map((c) => run({ mode, voltageCost: c, trainCnn: true })),
    );
    const [s0, s2] = await Promise.all(
      [0, 2].map((s) => run({ mode, voltageCost: 0.5, trainCnn: true, cnnTaskScale: s })),
    );
    for (const name of ["wIn", "wRec", "conv0", "conv1"]) {
      // g(c) affine in the voltage cost c; g(s) for the CNN affine in the task scale s
      const lin = g2[name].map((v, i) => v - 2 * g1[name][i] + g0[name][i]);
      const e = norm(lin) / norm(g2[name]);
      assert.ok(e <= 1e-4, `${mode} ${name}: not affine in the voltage cost (${e})`);
      assert.ok(relNorm(g1[name], g0[name]) > 1e-3, `${mode} ${name}: the voltage term matters`);
    }
    for (const name of ["conv0", "conv1"]) {
      const lin = s2[name].map((v, i) => v - 2 * g1[name][i] + s0[name][i]);
      const e = norm(lin) / norm(g1[name]);
      assert.ok(e <= 1e-4, `${mode} ${name}: not affine in the task scale (${e})`);
    }
  }
});

Deno.test("agent graph: bad input names the field", async () => {
  const r = await recordUnroll(4, [[4, 9], [9], [2, 6, 9]], false);
  const run = (unroll: AgentUnroll, o = {}) => autodiff(r, ac, unroll, o);
  await assert.rejects(
    run({ ...r.unroll, actions: r.unroll.actions.slice(1) }),
    /unroll.actions must have 10 steps/,
  );
  const actions = r.unroll.actions.map((a) => Int32Array.from(a));
  actions[3][1] = 7;
  await assert.rejects(
    run({ ...r.unroll, actions }),
    /unroll.actions\[3\]\[1\] must be an integer in \[0, 2\], got 7/,
  );
  await assert.rejects(
    run({ ...r.unroll, bootstrap: [1] }),
    /unroll.bootstrap must have length 3, got 1/,
  );
  await assert.rejects(
    run(r.unroll, { mode: "bpt" }),
    /options.mode must be one of "eprop", "bptt"/,
  );
  await assert.rejects(run(r.unroll, { voltageCost: -1 }), /options.voltageCost must be >= 0/);
});

/** The learner's options the authors' agent adds. */
type AuthorsOptions = {
  method?: "eprop" | "bptt";
  trainCnn?: boolean;
  cnnTaskScale?: number;
  feedback?: "random" | "symmetric";
  cnnPath?: "through-lsnn" | "pooled";
  mask?: "none" | "authors" | "episode";
};

/**
 * Runs unrolls of K steps of the two-pool, bias-on agent (./_two_pool_agent.ts) with
 * UnrollRewardEprop learning, one per entry of `ends` (each episode's scripted ends in it), and
 * records each unroll, the CNN's spikes with their biases (./_agent_record.ts, from the zero
 * state: every unroll but the first must follow one where every episode ended at its last step)
 * and the learner's gradient summed over the unrolls (one take() after the last).
 */
async function recordTwoPool(
  seed: number,
  ends: number[][][],
  bootstrap: boolean,
  o: AuthorsOptions,
  constants: AgentLossConstants,
) {
  const agent = twoPoolAgent(seed);
  const { spec, params, feedback } = agent;
  const net = await AgentNetwork.create(spec, B, params, {
    precision: "f64",
    recordCnn: o.trainCnn,
  });
  const learner = new UnrollRewardEprop(
    spec,
    feedback,
    constants as ReturnType<typeof resolveActorCritic>,
    B,
    K,
    { ...o, network: net },
  );
  const rng = new Rng(seed + 5), draws = new Rng(seed + 6);
  const unrolls: { unroll: AgentUnroll; teacher: AgentTeacherRecord }[] = [];
  let spikes = 0;
  for (const [u, unrollEnds] of ends.entries()) {
    if (u > 0) assert.ok(ends[u - 1].every((e) => e.includes(K - 1)), "starts from zero");
    const unroll: AgentUnroll = { frames: [], actions: [], rewards: [], ended: [] };
    for (let k = 0; k < K; k++) {
      const frames = randomFrames(rng, B);
      const rec = net.step(frames);
      spikes += rec.spikes.reduce((a, b) => a + b, 0);
      const actions = sampleActions(rec.pi, spec.numActions, draws);
      learner.observe(rec, actions);
      const rewards = Float64Array.from({ length: B }, () => Math.round(rng.uniform() * 2 - 1));
      const ended = Uint8Array.from(unrollEnds.map((e) => e.includes(k) ? 1 : 0));
      learner.reward(rewards, ended);
      net.resetEpisodes(ended);
      (unroll.frames as Float64Array[]).push(frames);
      (unroll.actions as Int32Array[]).push(actions);
      (unroll.rewards as Float64Array[]).push(rewards);
      (unroll.ended as Uint8Array[]).push(ended);
    }
    if (bootstrap) {
      // the next frame's value: a copy of the network steps it and is dropped
      const state = net.saveState();
      unroll.bootstrap = net.step(randomFrames(rng, B)).value;
      net.loadState(state);
      learner.finishUnroll(unroll.bootstrap as Float64Array);
    } else learner.finishUnroll();
    unrolls.push({ unroll, teacher: await recordRun(spec, params, unroll) });
  }
  net.dispose();
  return { ...agent, unrolls, grads: learner.take().grads, spikes };
}

/**
 * The step mask of the learner's `mask` option, from the scripted ends alone (a learner that
 * has seen no earlier unroll since its last take(), so no episode waits): "authors" the
 * TensorFlow finished_mask 1 - cumsum(shifted done), m[k] = 1 - min(1, sum_{u=1}^{min(k+1,
 * K-1)} ended[u]); "episode" 1 up to and including the episode's first end, 0 after it.
 */
function scriptedMask(kind: "authors" | "episode", ends: number[][]): Float64Array {
  const m = new Float64Array(K * B);
  ends.forEach((e, b) => {
    for (let k = 0; k < K; k++) {
      let done = 0;
      if (kind === "authors") {
        for (let u = 1; u <= Math.min(k + 1, K - 1); u++) done += e.includes(u) ? 1 : 0;
      } else done = e.some((u) => u < k) ? 1 : 0;
      m[k * B + b] = 1 - Math.min(1, done);
    }
  });
  return m;
}

const TWO_POOL_NAMES = [...NAMES, "conv0", "conv0Bias", "conv1", "conv1Bias"];

type AuthorsCase = AuthorsOptions & { seed: number; ends: number[][][]; bootstrap: boolean };

/** The authors' agent's configurations (`ends`: per unroll, per episode, its ends). */
const AUTHORS_CASES: AuthorsCase[] = [
  // (a) symmetric feedback, heads and LSNN only, then with the CNN through the LSNN
  { seed: 7, ends: [[[4], [], [2, 6]]], bootstrap: true, feedback: "symmetric" },
  {
    seed: 8,
    ends: [[[4, 9], [9], [2, 6, 9]]],
    bootstrap: false,
    feedback: "symmetric",
    trainCnn: true,
    cnnTaskScale: 0.5,
  },
  // (b) symmetric, the CNN on the pooled path, task scale 1 and 1e-3, CNN voltage term on
  {
    seed: 7,
    ends: [[[4], [], [2, 6]]],
    bootstrap: true,
    feedback: "symmetric",
    trainCnn: true,
    cnnPath: "pooled",
    cnnTaskScale: 1,
  },
  {
    seed: 8,
    ends: [[[4, 9], [9], [2, 6, 9]]],
    bootstrap: false,
    feedback: "symmetric",
    trainCnn: true,
    cnnPath: "pooled",
    cnnTaskScale: 1e-3,
  },
  // (c) masks; two unrolls before take(): every episode ended at the first one's last step, so
  // the second one starts from zero and every episode waits in it (its task losses count nothing)
  {
    seed: 7,
    ends: [[[4], [], [2, 6]]],
    bootstrap: true,
    feedback: "symmetric",
    trainCnn: true,
    cnnPath: "pooled",
    cnnTaskScale: 1,
    mask: "authors",
  },
  { seed: 8, ends: [[[3], [8], [1, 5]]], bootstrap: true, mask: "authors" },
  { seed: 7, ends: [[[4], [], [2, 6]]], bootstrap: true, mask: "episode", trainCnn: true },
  {
    seed: 9,
    ends: [[[3, 9], [9], [1, 5, 9]], [[6], [], [2]]],
    bootstrap: true,
    feedback: "symmetric",
    trainCnn: true,
    cnnPath: "pooled",
    mask: "authors",
  },
  // BPTT with the two pools and the biases
  { seed: 7, ends: [[[4], [], [2, 6]]], bootstrap: true, method: "bptt", trainCnn: true },
];

/**
 * The steps' masks the learner's `mask` gives, unroll by unroll, from the scripted ends: an
 * episode that ended in an earlier unroll (since the take()) waits, all zeros.
 */
function scriptedMasks(kind: "authors" | "episode", ends: number[][][]): Float64Array[] {
  return ends.map((unrollEnds, u) => {
    const m = scriptedMask(kind, unrollEnds);
    for (let b = 0; b < B; b++) {
      if (!ends.slice(0, u).some((e) => e[b].length > 0)) continue;
      for (let k = 0; k < K; k++) m[k * B + b] = 0;
    }
    return m;
  });
}

/** The reference's gradient summed over the recorded unrolls. */
function referenceOver(
  r: Awaited<ReturnType<typeof recordTwoPool>>,
  constants: AgentLossConstants,
  o: Omit<AgentGraphOptions, "teacher" | "stepMask">,
  masks?: Float64Array[],
  diagnostics?: AgentGraphDiagnostics[],
): Record<string, Float64Array> {
  const sum: Record<string, Float64Array> = {};
  r.unrolls.forEach(({ unroll, teacher }, u) => {
    const d: AgentGraphDiagnostics = {};
    diagnostics?.push(d);
    const g = agentUnrollGradient(r.spec, r.params, r.feedback, constants, unroll, {
      ...o,
      stepMask: masks?.[u],
      teacher,
      diagnostics: d,
    });
    for (const [name, v] of Object.entries(g)) {
      sum[name] ??= new Float64Array(v.length);
      v.forEach((x, i) => sum[name][i] += x);
    }
  });
  return sum;
}

for (const c of AUTHORS_CASES) {
  const label = [
    c.method ?? "eprop",
    c.feedback ?? "random",
    c.trainCnn ? `CNN ${c.cnnPath ?? "through-lsnn"} x${c.cnnTaskScale ?? 1}` : "",
    c.mask ? `mask ${c.mask}` : "",
    c.ends.length > 1 ? `${c.ends.length} unrolls` : "",
  ].filter((x) => x).join(", ");
  Deno.test(`UnrollRewardEprop (two head pools, CNN biases) ${label} = autodiff (tfjs) for every parameter (seed ${c.seed})`, async () => {
    await useTfBackend("cpu");
    const constants = resolveActorCritic({ ...ac, voltageCost: 1e-5, cnnVoltageCost: 0.5 });
    const { seed, ends, bootstrap, ...o } = c;
    const r = await recordTwoPool(seed, ends, bootstrap, o, constants);
    assert.ok(r.spikes > 20, `the LSNN is active (${r.spikes} spikes)`);
    const masks = c.mask && c.mask !== "none" ? scriptedMasks(c.mask, ends) : undefined;
    const graphOptions = {
      mode: c.method,
      feedback: c.feedback,
      cnnPath: c.cnnPath,
      trainCnn: c.trainCnn,
      cnnTaskScale: c.cnnTaskScale,
    };
    const diagnostics: AgentGraphDiagnostics[] = [];
    const auto = referenceOver(r, constants, graphOptions, masks, diagnostics);
    for (const d of diagnostics) {
      assert.equal(d.lsnnFlips, 0);
      assert.deepEqual(d.convFlips, [0, 0]);
    }
    const names = c.trainCnn ? TWO_POOL_NAMES : NAMES;
    assert.deepEqual(Object.keys(r.grads).sort(), [...names].sort());
    assert.deepEqual(Object.keys(auto).sort(), [...names].sort());
    const errors = names.map((name) => {
      assert.ok(r.grads[name].some((v) => Math.abs(v) > 1e-4), `${name} gradient is not zero`);
      return [name, relNorm(r.grads[name], auto[name])] as const;
    });
    // the option under test matters: the reference without it is far from the learner
    const without = {
      ...graphOptions,
      feedback: c.feedback === "symmetric" ? "random" as const : undefined,
      cnnPath: c.cnnPath === "pooled" ? "through-lsnn" as const : undefined,
    };
    const alt = referenceOver(r, constants, without, masks && masks.map((m) => m.map(() => 1)));
    const changed = (list: string[]) => Math.min(...list.map((n) => relNorm(r.grads[n], alt[n])));
    const far = c.mask
      ? changed(["wPi", "wV"])
      : c.cnnPath === "pooled"
      ? changed(["conv0", "conv1"])
      : c.feedback === "symmetric"
      ? changed(["wIn", "wRec"])
      : Infinity;
    console.log(
      `${label} seed ${seed}: relative errors ${
        errors.map(([n, e]) => `${n} ${e.toExponential(2)}`).join(", ")
      }; the reference without the option: ${far === Infinity ? "-" : far.toExponential(1)}`,
    );
    for (const [name, e] of errors) assert.ok(e < 5e-5, `${name}: relative error ${e}`);
    assert.ok(far > 1e-2, `the option changes the gradient (${far})`);
    if (masks && ends.length > 1) {
      // the waiting matters: each unroll's own mask alone is far from the learner
      const own = ends.map((e) => scriptedMask(c.mask as "authors" | "episode", e));
      const noWait = referenceOver(r, constants, graphOptions, own);
      const d = Math.min(...["wPi", "wV"].map((n) => relNorm(r.grads[n], noWait[n])));
      console.log(`  without the waiting: ${d.toExponential(1)}`);
      assert.ok(d > 1e-2, `the waiting changes the gradient (${d})`);
    }
  });
}

Deno.test("autodiff (two head pools, CNN biases): symmetric e-prop differs from BPTT on the LSNN's weights and equals it on the heads; symmetric and random feedback differ on the LSNN", async () => {
  await useTfBackend("cpu");
  const r = await recordTwoPool(7, [[[4], [], [2, 6]]], true, {}, ac);
  const { unroll, teacher } = r.unrolls[0];
  const run = (o: Omit<AgentGraphOptions, "teacher">) =>
    agentUnrollGradient(r.spec, r.params, r.feedback, ac, unroll, { ...o, teacher });
  const sym = run({ mode: "eprop", feedback: "symmetric" });
  const bptt = run({ mode: "bptt" });
  const random = run({ mode: "eprop" });
  for (const name of ["wPi", "bPi", "wV", "bV"]) {
    assert.ok(relNorm(sym[name], bptt[name]) < 1e-6, name);
    assert.ok(relNorm(random[name], bptt[name]) < 1e-6, name);
  }
  const d = ["wIn", "wRec"].map((name) => [
    relNorm(sym[name], bptt[name]),
    relNorm(sym[name], random[name]),
  ]);
  console.log(
    `symmetric e-prop vs BPTT: wIn ${d[0][0].toFixed(3)}, wRec ${
      d[1][0].toFixed(3)
    }; vs random e-prop: wIn ${d[0][1].toFixed(3)}, wRec ${d[1][1].toFixed(3)}`,
  );
  for (const [toBptt, toRandom] of d) assert.ok(toBptt > 1e-2 && toRandom > 1e-2);
});

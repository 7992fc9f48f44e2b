/**
 * Speed of the Figs. 4-5 agent (paper size: 84x84 grey frames, the paper's spiking CNN, 240 LIF +
 * 160 ALIF, 5 network steps per frame) training by reward-based e-prop with 32 parallel episodes:
 * emulator frames per second (one agent step = 32 episodes x 4 frames = 128 frames), per form and
 * worker count, in rounds, with the median per configuration at the end.
 *
 *   deno task bench:agent [--env ale:pong|pong] [--seconds 30] [--rounds 2]
 *     [--forms online,unroll,unroll+cnn,bptt] [--workers 1,2]
 *
 * - `--env ale:pong` (default): ALE Pong through ale-py (`createAleEnv`, 84x84, the curriculum
 *   cut of 200 agent steps per episode); exits 1 when python3 has no ale-py. `--env pong`: the
 *   TypeScript Pong, preprocessed the same way.
 * - the agent is fig4's default (the authors'): 1048 head features, CNN biases, float32 LSNN,
 *   symmetric feedback; ALE with one bridge process per worker (the groups' steps overlap).
 * - forms: `online`, `unroll`, `bptt`, and `unroll+cnn`: the unroll form with the CNN trained as
 *   fig4 trains it by default (the pooled path, `cnnTaskScale: 1e-8`, CNN voltage cost 0.5).
 * - The baseline below is the code before issue 23's work, with the agent of then (800 features,
 *   no biases, float64 LSNN, random feedback, the CNN trained through the LSNN).
 * - Updates come "every-unroll" (every 100 agent steps), so the update's cost (the reverse pass,
 *   the optimizer, the new parameters sent to the workers) is in every measurement.
 * - Each measurement builds a fresh trainer and environment, warms up for 5 agent steps, then
 *   trains for `--seconds`.
 *
 * Every line reads `<form> <N> worker(s): <fps> frames/s`.
 *
 * Baseline: the code before the speed branch (main at f6ea6b8), 2026-12-08, ALE Pong, on the
 * 2-core AMD EPYC VM (AVX-512, shared with other work: noisy), one round of 30 s, frames/s:
 * ```
 *                 1 worker   2 workers
 * online             525        741
 * unroll            1108       1645
 * unroll+cnn         371        746
 * bptt              1232       2012
 * ```
 * Measurements of two versions are only comparable when taken in the same conditions: run them
 * in alternating rounds (one process per version and round) rather than one after the other.
 *
 * @module
 */
import { aleAvailable, createAleEnv } from "../src/env/ale/ale_env.ts";
import { createPong } from "../src/env/games/pong.ts";
import { preprocess } from "../src/env/preprocess.ts";
import type { VectorEnv } from "../src/env/vector_env.ts";
import { resolveAgentSpec } from "../src/net/agent_spec.ts";
import { initAgentFeedback, initAgentParams } from "../src/net/agent_params.ts";
import { AgentTrainer, type AgentTrainerOptions } from "../src/agent/agent_trainer.ts";

function flag(name: string, fallback: string): string {
  const at = Deno.args.indexOf(`--${name}`);
  return at >= 0 && at + 1 < Deno.args.length ? Deno.args[at + 1] : fallback;
}
const envName = flag("env", "ale:pong");
const seconds = Number(flag("seconds", "30")), rounds = Number(flag("rounds", "2"));
const forms = flag("forms", "online,unroll,unroll+cnn,bptt").split(",");
const workerCounts = flag("workers", "1,2").split(",").map(Number);
const known = ["online", "unroll", "unroll+cnn", "bptt"];
for (const f of forms) {
  if (!known.includes(f)) {
    console.error(`--forms: unknown form ${f} (known: ${known.join(", ")})`);
    Deno.exit(1);
  }
}
if (envName !== "pong" && envName !== "ale:pong") {
  console.error(`--env must be ale:pong or pong, got ${envName}`);
  Deno.exit(1);
}
if (envName === "ale:pong" && await aleAvailable() === undefined) {
  console.error(
    "ale-py is missing for python3 (pip install ale-py gymnasium); run with --env pong for the TypeScript Pong",
  );
  Deno.exit(1);
}

async function makeEnv(workers: number): Promise<VectorEnv> {
  if (envName === "ale:pong") {
    return await createAleEnv({
      game: "pong",
      numEnvs: 32,
      seed: 1,
      size: 84,
      maxEpisodeSteps: 200,
      // one bridge process per group of episodes, as fig4 builds it: each group's emulators
      // step while the other groups compute
      processes: workers,
    });
  }
  return preprocess(createPong({ numEnvs: 32, seed: 1 }), { maxEpisodeSteps: 200 });
}

class Stop extends Error {}

async function framesPerSecond(form: string, workers: number): Promise<number> {
  const env = await makeEnv(workers);
  const spec = resolveAgentSpec();
  const options: AgentTrainerOptions = {
    form: form === "unroll+cnn" ? "unroll" : form as AgentTrainerOptions["form"],
    seed: 2,
    workers,
    update: "every-unroll",
    // fig4's defaults (the authors'): float32 LSNN, symmetric feedback
    lsnnPrecision: "f32",
    feedback: "symmetric",
  };
  if (form === "unroll+cnn") {
    // the CNN trained as fig4 trains it by default (the authors' pooled path)
    Object.assign(options, {
      trainCnn: true,
      cnnPath: "pooled",
      cnnTaskScale: 1e-8,
      actorCritic: { cnnVoltageCost: 0.5 },
    });
  }
  const trainer = await AgentTrainer.create(
    env,
    spec,
    initAgentParams(spec, 0),
    initAgentFeedback(spec, 1),
    options,
  );
  try {
    await trainer.train(32 * 4 * 5); // warm-up
    const f0 = trainer.frames, t0 = performance.now();
    await trainer.train(Infinity, {
      onStep: () => {
        if (performance.now() - t0 > seconds * 1000) throw new Stop();
      },
    }).catch((e) => {
      if (!(e instanceof Stop)) throw e;
    });
    return (trainer.frames - f0) / ((performance.now() - t0) / 1000);
  } finally {
    trainer.close();
    await env.close();
  }
}

console.log(
  `agent (paper size) on ${envName}, 32 episodes, maxEpisodeSteps 200, update every-unroll, ${navigator.hardwareConcurrency} cores, ${rounds} round(s) of ${seconds} s`,
);
const results = new Map<string, number[]>();
for (let r = 0; r < rounds; r++) {
  console.log(`round ${r + 1}`);
  for (const form of forms) {
    for (const w of workerCounts) {
      const fps = await framesPerSecond(form, w);
      const key = `${form} ${w} worker(s)`;
      results.set(key, [...(results.get(key) ?? []), fps]);
      console.log(`${key}: ${Math.round(fps)} frames/s`);
    }
  }
}
const median = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y), m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
console.log(`summary (median of ${rounds} round(s), frames/s)`);
for (const [key, fps] of results) {
  console.log(
    `  ${key.padEnd(24)} ${String(Math.round(median(fps))).padStart(6)}   (rounds: ${
      fps.map((v) => Math.round(v)).join(", ")
    })`,
  );
}

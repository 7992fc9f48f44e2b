/**
 * Speed of the Figs. 4-5 agent (paper-sized: 84x84 frames, the paper's CNN, 240 LIF + 160 ALIF)
 * training by reward-based e-prop on the TypeScript Pong, 32 parallel episodes: emulator frames per
 * second with the episodes in this thread and split over two Web Workers, and in this thread without
 * the voltage regularizer (its per-synapse term in the online kernel), in rounds in one run.
 *
 *   deno run --allow-read bench/agent.ts [--seconds 40] [--rounds 2] [--form online|unroll]
 *
 * @module
 */
import { createPong } from "../src/env/games/pong.ts";
import { preprocess } from "../src/env/preprocess.ts";
import { resolveAgentSpec } from "../src/net/agent_spec.ts";
import { initAgentFeedback, initAgentParams } from "../src/net/agent_params.ts";
import { AgentTrainer } from "../src/agent/agent_trainer.ts";

function flag(name: string, fallback: string): string {
  const at = Deno.args.indexOf(`--${name}`);
  return at >= 0 && at + 1 < Deno.args.length ? Deno.args[at + 1] : fallback;
}
const seconds = Number(flag("seconds", "40")), rounds = Number(flag("rounds", "2"));
const form = flag("form", "online") as "online" | "unroll";

async function framesPerSecond(workers: number, voltageCost?: number): Promise<number> {
  const env = preprocess(createPong({ numEnvs: 32, seed: 1 }), { maxEpisodeSteps: 200 });
  const spec = resolveAgentSpec();
  const trainer = await AgentTrainer.create(
    env,
    spec,
    initAgentParams(spec, 0),
    initAgentFeedback(spec, 1),
    { form, seed: 2, workers, update: "every-unroll", actorCritic: { voltageCost } },
  );
  await trainer.train(32 * 4 * 5); // warm-up
  const f0 = trainer.frames, t0 = performance.now();
  await trainer.train(Infinity, {
    onStep: () => {
      if (performance.now() - t0 > seconds * 1000) throw new Stop();
    },
  }).catch((e) => {
    if (!(e instanceof Stop)) throw e;
  });
  const fps = (trainer.frames - f0) / ((performance.now() - t0) / 1000);
  trainer.close();
  await env.close();
  return fps;
}
class Stop extends Error {}

const results: Record<string, number[]> = {
  "1 (this thread)": [],
  "2 workers": [],
  "1, no voltage term": [],
};
for (let r = 0; r < rounds; r++) {
  results["1 (this thread)"].push(await framesPerSecond(1));
  results["2 workers"].push(await framesPerSecond(2));
  results["1, no voltage term"].push(await framesPerSecond(1, 0));
}
console.log(
  `agent (paper size) on TypeScript Pong, 32 episodes, ${form} form, ${navigator.hardwareConcurrency} cores, ${rounds} rounds of ${seconds} s`,
);
const base = results["1 (this thread)"];
for (const [name, fps] of Object.entries(results)) {
  console.log(
    `${name.padEnd(18)} ${
      fps.map((v) => Math.round(v).toString().padStart(5)).join(" ")
    } frames/s` +
      `   x one thread: ${fps.map((v, i) => (v / base[i]).toFixed(2)).join(" / ")}`,
  );
}

/**
 * Throughput of the ALE bridge: preprocessed frames (agent steps, 84x84 float32 observations)
 * per second for N parallel Pong episodes under a random policy, through the whole path (C++
 * emulators and preprocessing, the pipe, conversion to float32, clipping, episode bookkeeping).
 *
 *   deno run --allow-read --allow-run bench/env_ale.ts [--game pong] [--envs 32] [--seconds 10]
 *     [--threads 0] [--raw]
 *
 * `--raw` measures raw RGB frames plus the TypeScript preprocessing (preprocess()) instead.
 *
 * @module
 */
import { aleAvailable, createAleEnv } from "../src/env/ale/ale_env.ts";
import { preprocess } from "../src/env/preprocess.ts";
import type { VectorEnv } from "../src/env/vector_env.ts";
import { Rng } from "../src/util/rng.ts";

function flag(name: string, fallback: string): string {
  const at = Deno.args.indexOf(`--${name}`);
  return at >= 0 && at + 1 < Deno.args.length ? Deno.args[at + 1] : fallback;
}

const game = flag("game", "pong");
const numEnvs = Number(flag("envs", "32"));
const seconds = Number(flag("seconds", "10"));
const numThreads = Number(flag("threads", "0"));
const raw = Deno.args.includes("--raw");

const version = await aleAvailable();
if (version === undefined) {
  console.log("ale-py is not installed for python3 (pip install ale-py)");
  Deno.exit(0);
}

const env: VectorEnv = raw
  ? preprocess(await createAleEnv({ game, numEnvs, seed: 1, raw: true, numThreads }))
  : await createAleEnv({ game, numEnvs, seed: 1, numThreads });
await env.reset();
const rng = new Rng(2), actions = new Int32Array(numEnvs);
const act = () => {
  for (let i = 0; i < numEnvs; i++) actions[i] = rng.int(env.actions.length);
};
for (let t = 0; t < 20; t++) act(), await env.step(actions); // warm-up

let steps = 0, inStep = 0, episodes = 0;
const t0 = performance.now();
while (performance.now() - t0 < seconds * 1000) {
  act();
  const s0 = performance.now();
  const s = await env.step(actions);
  inStep += performance.now() - s0;
  episodes += s.episodes.length;
  steps++;
}
const wall = (performance.now() - t0) / 1000;
await env.close();

const frames = (steps * numEnvs) / wall;
console.log(
  JSON.stringify({
    game,
    aleVersion: version,
    mode: raw ? "raw frames + TypeScript preprocess()" : "bridge (C++ preprocessing)",
    numEnvs,
    cores: navigator.hardwareConcurrency,
    seconds: Number(wall.toFixed(2)),
    preprocessedFramesPerSecond: Math.round(frames),
    emulatorFramesPerSecond: Math.round(frames * env.frameSkip),
    vectorStepsPerSecond: Number((steps / wall).toFixed(1)),
    shareOfTimeInStep: Number((inStep / 1000 / wall).toFixed(3)),
    episodesFinished: episodes,
  }),
);

/**
 * Throughput of the ALE bridge: preprocessed frames (agent steps, 84x84 float32 observations)
 * per second for N parallel Pong episodes under a random policy, through the whole path (C++
 * emulators and preprocessing, the pipe, conversion to float32, clipping, episode bookkeeping),
 * next to plain ale-py (its vectorised environment stepped from Python, no bridge) measured in
 * the same run. Modes, each for `--seconds`, in rounds:
 * - `bare emulators`: one ALEInterface per core, no preprocessing: the machine's ceiling;
 * - `plain ale-py`: python3 steps `AtariVectorEnv` synchronously (the baseline);
 * - `bridge, 1 process`: `step()` of one bridge with the emulator threads on every core;
 * - `bridge, K processes, double-buffered`: `stepGroup()` of K bridges of N/K episodes, each
 *   group's next step sent as soon as its frames are in (what an agent that alternates between
 *   groups does), so the emulators never wait for the pipes.
 *
 *   deno run --allow-read --allow-run bench/env_ale.ts [--game pong] [--envs 32] [--seconds 8]
 *     [--rounds 2] [--processes 2] [--raw]
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
const seconds = Number(flag("seconds", "8"));
const rounds = Number(flag("rounds", "2"));
const processes = Number(flag("processes", "2"));
const raw = Deno.args.includes("--raw");

const version = await aleAvailable();
if (version === undefined) {
  console.log("ale-py is not installed for python3 (pip install ale-py gymnasium)");
  Deno.exit(0);
}

/** Plain ale-py: AtariVectorEnv stepped from Python with random actions (frames per second). */
async function plainAlePy(): Promise<number> {
  const script = `
import time, numpy as np
from ale_py.vector_env import AtariVectorEnv
n = ${numEnvs}
env = AtariVectorEnv("${game}", n, stack_num=1, noop_max=30, reward_clipping=False,
                     repeat_action_probability=0.0)
env.reset(seed=np.arange(1, n + 1))
rng = np.random.default_rng(2)
k = env.single_action_space.n
for _ in range(20):
    env.step(rng.integers(0, k, n).astype(np.int32))
steps, t0 = 0, time.perf_counter()
while time.perf_counter() - t0 < ${seconds}:
    env.step(rng.integers(0, k, n).astype(np.int32))
    steps += 1
print(steps * n / (time.perf_counter() - t0))
`;
  const out = await new Deno.Command("python3", { args: ["-c", script], stderr: "inherit" })
    .output();
  return Number(new TextDecoder().decode(out.stdout).trim());
}

/**
 * The ceiling: one bare ALEInterface per core stepping Pong with random actions (4 frames per
 * agent step, two grey screens read), no resize, no vector environment (agent steps per second).
 */
async function bareEmulators(): Promise<number> {
  const script = `
import time, numpy as np
from ale_py import ALEInterface, LoggerMode, roms
ALEInterface.setLoggerMode(LoggerMode.Error)
ale = ALEInterface()
ale.setFloat("repeat_action_probability", 0.0)
ale.loadROM(roms.get_rom_path("${game}"))
acts = ale.getMinimalActionSet()
rng, screen = np.random.default_rng(0), np.empty((210, 160), np.uint8)
steps, t0 = 0, time.perf_counter()
while time.perf_counter() - t0 < ${seconds}:
    a = acts[rng.integers(len(acts))]
    for k in range(4):
        ale.act(a)
        if k >= 2:
            ale.getScreenGrayscale(screen)
    steps += 1
    if ale.game_over():
        ale.reset_game()
print(steps / (time.perf_counter() - t0))
`;
  const outs = await Promise.all(
    Array.from(
      { length: navigator.hardwareConcurrency },
      () => new Deno.Command("python3", { args: ["-c", script], stderr: "inherit" }).output(),
    ),
  );
  return outs.reduce((sum, o) => sum + Number(new TextDecoder().decode(o.stdout).trim()), 0);
}

/** One bridge, synchronous step() of all N episodes. */
async function bridgeSync(): Promise<number> {
  const env: VectorEnv = raw
    ? preprocess(await createAleEnv({ game, numEnvs, seed: 1, raw: true }))
    : await createAleEnv({ game, numEnvs, seed: 1 });
  await env.reset();
  const rng = new Rng(2), actions = new Int32Array(numEnvs);
  const act = () => {
    for (let i = 0; i < numEnvs; i++) actions[i] = rng.int(env.actions.length);
    return actions;
  };
  for (let t = 0; t < 20; t++) await env.step(act()); // warm-up
  let steps = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) await env.step(act()), steps++;
  const fps = (steps * numEnvs) / ((performance.now() - t0) / 1000);
  await env.close();
  return fps;
}

/** K bridges, each group stepped again as soon as its frames arrive. */
async function bridgeDoubleBuffered(): Promise<number> {
  const env = await createAleEnv({ game, numEnvs, seed: 1, processes });
  await env.reset();
  const rng = new Rng(2), s = env.groupStarts, G = s.length - 1;
  const act = (g: number) => {
    const a = new Int32Array(s[g + 1] - s[g]);
    for (let i = 0; i < a.length; i++) a[i] = rng.int(env.actions.length);
    return a;
  };
  for (let t = 0; t < 20; t++) {
    await Promise.all(Array.from({ length: G }, (_, g) => env.stepGroup(g, act(g))));
  }
  let frames = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: G }, async (_, g) => {
    while (performance.now() - t0 < seconds * 1000) {
      await env.stepGroup(g, act(g));
      frames += s[g + 1] - s[g];
    }
  }));
  const fps = frames / ((performance.now() - t0) / 1000);
  await env.close();
  return fps;
}

const modes: [string, () => Promise<number>][] = raw
  ? [["plain ale-py", plainAlePy], ["raw bridge + TypeScript preprocess()", bridgeSync]]
  : [
    ["bare emulators, one per core (ceiling)", bareEmulators],
    ["plain ale-py", plainAlePy],
    ["bridge, 1 process", bridgeSync],
    [`bridge, ${processes} processes, double-buffered`, bridgeDoubleBuffered],
  ];
const results = new Map<string, number[]>(modes.map(([name]) => [name, []]));
for (let r = 0; r < rounds; r++) {
  for (const [name, run] of modes) results.get(name)!.push(await run());
}
console.log(
  `${game}, ${numEnvs} episodes, random policy, ale-py ${version}, ${navigator.hardwareConcurrency} cores, ${rounds} rounds of ${seconds} s`,
);
const base = results.get("plain ale-py")!;
for (const [name, fps] of results) {
  const ratio = fps.map((v, r) => (v / base[r]).toFixed(2)).join(" / ");
  console.log(
    `${name.padEnd(44)} ${
      fps.map((v) => Math.round(v).toString().padStart(6)).join(" ")
    } preprocessed frames/s   x plain: ${ratio}`,
  );
}

/**
 * Speed of the TypeScript games: raw frames per second (210 x 160 RGB, one frame per step) of N
 * parallel episodes under a uniformly random policy, for each game, on one core.
 *
 * `deno run bench/env_games.ts [--envs 32] [--steps 3000] [--seed 1]`
 *
 * @module
 */
import { createGame, GAME_NAMES } from "../src/env/games/index.ts";
import { Rng } from "../src/util/rng.ts";

/** Settings of the benchmark. */
export interface EnvBenchOptions {
  /** Parallel episodes. */
  envs: number;
  /** Timed steps of all episodes. */
  steps: number;
  /** Seed of the games and the random policy. */
  seed: number;
}

/** One game's measurement. */
export interface EnvBenchResult {
  /** The game. */
  game: string;
  /** Frames per second over all episodes. */
  framesPerSecond: number;
  /** Episodes finished during the timed steps. */
  episodes: number;
  /** Their mean score. */
  meanScore: number;
}

/**
 * Times one game under a random policy.
 * @param game The game's name.
 * @param o Parallel episodes, steps, seed.
 * @returns Frames per second and the finished episodes' mean score.
 */
export async function benchGame(
  game: (typeof GAME_NAMES)[number],
  o: EnvBenchOptions,
): Promise<EnvBenchResult> {
  const env = createGame(game, { numEnvs: o.envs, seed: o.seed });
  const rng = new Rng(o.seed + 1);
  const actions = new Int32Array(o.envs);
  const n = env.actions.length;
  const draw = () => {
    for (let i = 0; i < o.envs; i++) actions[i] = rng.int(n);
  };
  await env.reset();
  for (let k = 0; k < Math.min(200, o.steps); k++) {
    draw();
    await env.step(actions);
  }
  let episodes = 0, total = 0;
  const t0 = performance.now();
  for (let k = 0; k < o.steps; k++) {
    draw();
    const r = await env.step(actions);
    for (const e of r.episodes) {
      episodes++;
      total += e.score;
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  await env.close();
  return {
    game,
    framesPerSecond: (o.steps * o.envs) / seconds,
    episodes,
    meanScore: episodes ? total / episodes : NaN,
  };
}

function parseArgs(args: string[]): EnvBenchOptions {
  const o: EnvBenchOptions = { envs: 32, steps: 3000, seed: 1 };
  for (let i = 0; i < args.length; i += 2) {
    const key = args[i].replace(/^--/, ""), value = Number(args[i + 1]);
    if (!(key in o) || !Number.isInteger(value) || value < (key === "seed" ? 0 : 1)) {
      throw new RangeError(
        `Cannot run the games benchmark: expected --envs N, --steps N or --seed N (integers), got ${
          args.slice(i, i + 2).join(" ")
        }`,
      );
    }
    o[key as keyof EnvBenchOptions] = value;
  }
  return o;
}

if (import.meta.main) {
  const o = parseArgs(Deno.args);
  console.log(`raw game frames per second, ${o.envs} parallel episodes, random policy, one core`);
  for (const game of GAME_NAMES) {
    const r = await benchGame(game, o);
    console.log(
      `${game.padEnd(6)} ${Math.round(r.framesPerSecond).toLocaleString("en-US").padStart(12)} ` +
        `frames/s  (${r.episodes} episodes finished, mean score ${r.meanScore.toFixed(2)})`,
    );
  }
}

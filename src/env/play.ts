/**
 * `deno task env:play`: plays episodes of an environment with a fixed policy (random, or a
 * scripted one where the game has it), prints each episode's score, the mean score and the speed
 * (agent steps and emulator frames per second), and can record the first episode as an animated
 * GIF and a PNG strip, of the preprocessed frames (what an agent sees) or the raw ones.
 *
 * @module
 */
import { type FlagSpecs, MAX_SEED } from "../cli/flags.ts";
import { commandMain, InputError, RunFailure } from "../cli/command.ts";
import { Rng } from "../util/rng.ts";
import { createGame, GAME_NAMES } from "./games/index.ts";
import { preprocess } from "./preprocess.ts";
import { aleAvailable, createAleEnv } from "./ale/ale_env.ts";
import { encodeGif, encodeStrip, type Frame } from "./recording.ts";
import type { EpisodeRecord, VectorEnv } from "./vector_env.ts";

/** The flags of `deno task env:play`. */
export const ENV_PLAY_FLAGS: FlagSpecs = {
  env: {
    type: "string",
    default: "pong",
    help: `environment: ${
      GAME_NAMES.join(", ")
    } (TypeScript games) or ale:<rom> (e.g. ale:pong, ale:fishing_derby; needs ale-py)`,
  },
  policy: { type: "string", default: "random", choices: ["random"], help: "policy" },
  episodes: { type: "int", default: 4, min: 1, max: 1_000_000, help: "episodes to finish" },
  "num-envs": {
    type: "int",
    default: 0,
    min: 0,
    max: 1024,
    help: "parallel episodes (0: as many as --episodes, at most 32)",
  },
  seed: { type: "int", default: 0, min: 0, max: MAX_SEED, help: "random seed" },
  "max-steps": {
    type: "int",
    default: 100_000,
    min: 1,
    max: 100_000_000,
    help: "agent steps at most (a safety limit; the run stops there)",
  },
  view: {
    type: "string",
    default: "preprocessed",
    choices: ["preprocessed", "raw"],
    help: "frames played and recorded: preprocessed (84x84 grey, action repeat 4) or raw (RGB)",
  },
  gif: { type: "string", default: "", help: "write an animated GIF of the first episode here" },
  strip: { type: "string", default: "", help: "write a PNG strip of the first episode here" },
  "record-frames": {
    type: "int",
    default: 200,
    min: 1,
    max: 100_000,
    help: "frames recorded at most (from the start of the first episode)",
  },
  "strip-frames": { type: "int", default: 8, min: 1, max: 256, help: "frames in the strip" },
  scale: { type: "int", default: 2, min: 1, max: 8, help: "pixel scale of the recordings" },
};

/** Usage of `deno task env:play`. */
export const ENV_PLAY_USAGE = `usage: deno task env:play [--env pong|catch|ale:<rom>] [options]

Plays --episodes episodes with a random policy on N parallel episodes, prints each episode's score
and length, the mean score and the speed; --gif / --strip record the first episode.`;

/**
 * Opens an environment by name.
 * @param name "pong", "catch" or "ale:<rom>".
 * @param options Parallel episodes, seed, raw frames or preprocessed ones.
 * @returns The environment.
 * @throws {InputError} For an unknown name or a missing ale-py.
 */
export async function openEnv(
  name: string,
  options: { numEnvs: number; seed: number; raw: boolean },
): Promise<VectorEnv> {
  if (name.startsWith("ale:")) {
    const game = name.slice(4);
    if (!(await aleAvailable())) {
      throw new InputError(
        `--env ${name} needs the Arcade Learning Environment for python3: pip install ale-py (or use --env ${
          GAME_NAMES.join(" or --env ")
        })`,
      );
    }
    try {
      return await createAleEnv({
        game,
        numEnvs: options.numEnvs,
        seed: options.seed,
        raw: options.raw,
      });
    } catch (e) {
      throw new InputError(`--env ${name}: ${(e as Error).message}`);
    }
  }
  if (!(GAME_NAMES as readonly string[]).includes(name)) {
    throw new InputError(
      `--env must be one of ${GAME_NAMES.join(", ")} or ale:<rom> (e.g. ale:pong), got ${name}`,
    );
  }
  const game = createGame(name as typeof GAME_NAMES[number], {
    numEnvs: options.numEnvs,
    seed: options.seed,
  });
  return options.raw ? game : preprocess(game);
}

/** What a play-through measured. */
export interface PlayResult {
  /** Finished episodes, in order of ending. */
  episodes: EpisodeRecord[];
  /** Agent steps taken (all parallel episodes). */
  steps: number;
  /** Seconds. */
  seconds: number;
  /** Recorded frames of the first episode (slot 0). */
  frames: Frame[];
}

/**
 * Plays with a random policy until `episodes` episodes ended (or `maxSteps` steps).
 * @param env The environment.
 * @param options Episodes, seed of the policy, steps at most, frames to record.
 * @returns Episodes, steps, time, frames.
 */
export async function playRandom(
  env: VectorEnv,
  options: { episodes: number; seed: number; maxSteps: number; record: number },
): Promise<PlayResult> {
  const rng = new Rng(options.seed + 7_777_777);
  const N = env.numEnvs,
    size = env.observationShape.height * env.observationShape.width *
      env.observationShape.channels;
  const episodes: EpisodeRecord[] = [];
  const frames: Frame[] = [];
  const started = performance.now();
  let obs = await env.reset(options.seed);
  let recording = true;
  const actions = new Int32Array(N);
  let steps = 0;
  while (episodes.length < options.episodes && steps < options.maxSteps) {
    if (recording && frames.length < options.record) frames.push(obs.slice(0, size));
    for (let i = 0; i < N; i++) actions[i] = rng.int(env.actions.length);
    const r = await env.step(actions);
    steps += N;
    obs = r.observations;
    for (const e of r.episodes) {
      episodes.push(e);
      if (e.env === 0) recording = false;
    }
  }
  return { episodes, steps, seconds: (performance.now() - started) / 1000, frames };
}

/**
 * Runs `deno task env:play`.
 * @param args Command-line arguments.
 * @param options Where to print.
 * @returns The exit code.
 */
export function envPlayMain(
  args: string[],
  options: { log?: (line: string) => void } = {},
): Promise<number> {
  const log = options.log ?? console.log;
  return commandMain(
    { name: "env:play", usage: ENV_PLAY_USAGE, flags: ENV_PLAY_FLAGS },
    args,
    async ({ values }) => {
      const episodes = values.episodes as number;
      const numEnvs = (values["num-envs"] as number) || Math.min(episodes, 32);
      const raw = values.view === "raw";
      const env = await openEnv(values.env as string, {
        numEnvs,
        seed: values.seed as number,
        raw,
      });
      let result: PlayResult;
      try {
        log(
          `env:play: ${env.name}, ${numEnvs} parallel episodes, actions ${
            env.actions.join(" ")
          }, observations ${env.observationShape.height}x${env.observationShape.width}x${env.observationShape.channels} ${env.observationType}, ${env.frameSkip} frame(s) per step`,
        );
        result = await playRandom(env, {
          episodes,
          seed: values.seed as number,
          maxSteps: values["max-steps"] as number,
          record: values.gif || values.strip ? values["record-frames"] as number : 0,
        });
      } finally {
        await env.close();
      }
      const done = result.episodes.slice(0, episodes);
      done.forEach((e, k) =>
        log(
          `episode ${k + 1}: score ${e.score} in ${e.steps} steps${
            e.truncated ? " (truncated)" : ""
          }`,
        )
      );
      if (done.length < episodes) {
        throw new RunFailure(
          `env:play: only ${done.length} of ${episodes} episodes ended within --max-steps ${
            values["max-steps"]
          }`,
        );
      }
      const mean = done.reduce((a, e) => a + e.score, 0) / done.length;
      const sd = Math.sqrt(done.reduce((a, e) => a + (e.score - mean) ** 2, 0) / done.length);
      log(
        `env:play: mean score ${mean.toFixed(2)} (sd ${
          sd.toFixed(2)
        }) over ${done.length} episodes; ${
          Math.round(result.steps / result.seconds)
        } agent steps/s = ${
          Math.round(result.steps * env.frameSkip / result.seconds)
        } frames/s (${result.steps} steps in ${result.seconds.toFixed(1)} s, random policy)`,
      );
      const scale = values.scale as number;
      if (values.gif) {
        await Deno.writeFile(
          values.gif as string,
          encodeGif(result.frames, env.observationShape, {
            scale,
            delayMs: Math.round(1000 * env.frameSkip / 60),
          }),
        );
        log(`env:play: ${result.frames.length} frames of episode 1 in ${values.gif}`);
      }
      if (values.strip) {
        const n = values["strip-frames"] as number;
        const every = Math.max(1, Math.floor(result.frames.length / n));
        const picked = result.frames.filter((_, i) => i % every === 0).slice(0, n);
        await Deno.writeFile(
          values.strip as string,
          encodeStrip(picked, env.observationShape, { scale, columns: n }),
        );
        log(`env:play: a strip of ${picked.length} frames (every ${every}) in ${values.strip}`);
      }
    },
  );
}

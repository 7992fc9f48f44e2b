/**
 * `deno task env:play`: plays episodes of an environment with a fixed policy (random), prints
 * each episode's score, the mean score and the speed (agent steps and emulator frames per
 * second), and can record the first episode as an animated GIF and a PNG strip, of the
 * preprocessed frames (what an agent sees) or the raw ones.
 *
 * Everything the user could get wrong is refused before any play, in one line with exit 2: the
 * environment's name (an unknown game, an unknown ROM, ale-py missing: how to install it), the
 * flags (types, ranges, repeats, recording flags without a recording), the recording files (a
 * folder, a missing or unwritable folder, an existing file, which is replaced only with
 * `--force`), and recordings that would not fit in memory. An environment that fails while
 * playing (the ALE bridge dying) is a failed run: exit 1 with one line.
 *
 * Deno only (a command); the library parts it plays with are in src/env/.
 *
 * @module
 */
import { FlagError, type FlagSpecs, type FlagValues, MAX_SEED } from "../cli/flags.ts";
import { checkMemory, commandMain, fileError, InputError, RunFailure } from "../cli/command.ts";
import { checkReplaceable, probeWritable, writeOutput } from "../cli/outputs.ts";
import { onInterrupt } from "../cli/interrupt.ts";
import { Rng } from "../util/rng.ts";
import { createGame, GAME_NAMES } from "../env/games/index.ts";
import { preprocess } from "../env/preprocess.ts";
import { aleAvailable, createAleEnv } from "../env/ale/ale_env.ts";
import { encodeGif, encodeStrip, type Frame } from "../env/recording.ts";
import type { EpisodeRecord, VectorEnv } from "../env/vector_env.ts";

/** The task's name. */
const TASK = "env:play";

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
    help:
      "agent steps at most, all parallel episodes together (a safety limit; the run fails there)",
  },
  view: {
    type: "string",
    default: "preprocessed",
    choices: ["preprocessed", "raw"],
    help: "frames played and recorded: preprocessed (84x84 grey, action repeat 4) or raw (RGB)",
  },
  gif: { type: "string", default: "", help: "write an animated GIF of the first episode here" },
  strip: { type: "string", default: "", help: "write a PNG strip of the first episode here" },
  force: {
    type: "boolean",
    default: false,
    help: "replace an existing --gif / --strip file (without it an existing file is refused)",
  },
  "record-frames": {
    type: "int",
    default: 200,
    min: 1,
    max: 100_000,
    help: "frames recorded at most (from the start of the first episode; with --gif or --strip)",
  },
  "strip-frames": {
    type: "int",
    default: 8,
    min: 1,
    max: 256,
    help: "frames in the strip (with --strip; at most --record-frames)",
  },
  scale: {
    type: "int",
    default: 2,
    min: 1,
    max: 8,
    help: "pixel scale of the recordings (with --gif or --strip)",
  },
};

/** Usage of `deno task env:play`. */
export const ENV_PLAY_USAGE = `usage: deno task env:play [--env pong|catch|ale:<rom>] [options]

Plays --episodes episodes with a random policy on N parallel episodes, prints each episode's score
and length, the mean score and the speed; --gif / --strip record the first episode (an existing
file is replaced only with --force).`;

/** ALE's ROM ids: snake_case (pong, fishing_derby, space_invaders). */
const ROM_ID = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;

/** Flags that only make sense with a recording, and the flags that make them apply. */
const RECORDING_FLAGS: Record<string, string[]> = {
  "record-frames": ["gif", "strip"],
  scale: ["gif", "strip"],
  force: ["gif", "strip"],
  "strip-frames": ["strip"],
};

/**
 * Checks the combinations of flags that parseFlags cannot express.
 * @param values Flag values.
 * @param given Flags given explicitly.
 * @throws {FlagError} Naming the flag.
 */
export function checkEnvPlayFlags(values: FlagValues, given: Set<string>): void {
  checkEnvName(values.env as string);
  for (const [name, need] of Object.entries(RECORDING_FLAGS)) {
    if (given.has(name) && !need.some((n) => values[n])) {
      throw new FlagError(
        `--${name} applies only with ${need.map((n) => `--${n} FILE`).join(" or ")}; leave it out`,
      );
    }
  }
  for (const name of ["gif", "strip"]) {
    const path = values[name] as string;
    if (path && path.endsWith("/")) {
      throw new FlagError(
        `--${name} ${path} names a folder; give a file, e.g. ${path}play.${
          name === "gif" ? "gif" : "png"
        }`,
      );
    }
  }
  if (values.gif && values.gif === values.strip) {
    throw new FlagError(`--gif and --strip name the same file ${values.gif}; give two files`);
  }
  if (values.strip && (values["strip-frames"] as number) > (values["record-frames"] as number)) {
    throw new FlagError(
      `--strip-frames ${values["strip-frames"]} is more than the ${
        values["record-frames"]
      } frames recorded (--record-frames); lower --strip-frames or raise --record-frames`,
    );
  }
}

/**
 * Checks the syntax of an environment's name (whether a ROM exists is known only to ale-py).
 * @param name The `--env` value.
 * @throws {FlagError} For a name that is neither a game nor ale:<rom id>.
 */
export function checkEnvName(name: string): void {
  if (name.startsWith("ale:")) {
    const rom = name.slice(4);
    if (!ROM_ID.test(rom)) {
      throw new FlagError(
        `--env ${name}: the ROM id after ale: must be snake_case letters and digits, e.g. ale:pong or ale:fishing_derby`,
      );
    }
    return;
  }
  if (!(GAME_NAMES as readonly string[]).includes(name)) {
    throw new FlagError(
      `--env must be one of ${GAME_NAMES.join(", ")} or ale:<rom> (e.g. ale:pong), got "${name}"`,
    );
  }
}

/** A multi-line error message (a bridge's stderr tail) as one line. */
function oneLine(message: string): string {
  const lines = message.split("\n").map((l) => l.trim()).filter((l) => l !== "");
  if (lines.length <= 2) return lines.join(" ");
  return `${lines[0]} ... ${lines[lines.length - 1]}`;
}

/** Options of {@linkcode openEnv}. */
export interface OpenEnvOptions {
  /** Parallel episodes. */
  numEnvs: number;
  /** Seed. */
  seed: number;
  /** Raw frames (RGB, one frame a step) rather than preprocessed ones. */
  raw: boolean;
}

/**
 * Opens an environment by name.
 * @param name "pong", "catch" or "ale:<rom>".
 * @param options Parallel episodes, seed, raw frames or preprocessed ones.
 * @returns The environment.
 * @throws {InputError} For an unknown name or ROM, or a missing ale-py (saying how to install).
 */
export async function openEnv(name: string, options: OpenEnvOptions): Promise<VectorEnv> {
  try {
    checkEnvName(name);
  } catch (e) {
    throw new InputError((e as Error).message);
  }
  if (name.startsWith("ale:")) {
    const game = name.slice(4);
    if (!(await aleAvailable())) {
      throw new InputError(
        `--env ${name} needs the Arcade Learning Environment for python3: pip install ale-py gymnasium (or use --env ${
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
      const message = oneLine((e as Error).message).replace(/^Cannot create ale:[^:]*: /, "")
        .replace(/^ale:[^:]*: /, "");
      throw new InputError(`--env ${name}: ${message}`);
    }
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
 * @throws {RunFailure} When the environment fails while playing (e.g. the ALE bridge dies).
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
  let steps = 0;
  const failed = (e: unknown, at: string) =>
    new RunFailure(
      `${env.name} failed ${at} after ${steps} agent steps: ${
        oneLine((e as Error)?.message ?? String(e))
      }`,
    );
  let obs;
  try {
    obs = await env.reset(options.seed);
  } catch (e) {
    throw failed(e, "at the reset");
  }
  let recording = true;
  const actions = new Int32Array(N);
  while (episodes.length < options.episodes && steps < options.maxSteps) {
    if (recording && frames.length < options.record) frames.push(obs.slice(0, size));
    for (let i = 0; i < N; i++) actions[i] = rng.int(env.actions.length);
    let r;
    try {
      r = await env.step(actions);
    } catch (e) {
      throw failed(e, "while playing");
    }
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
 * Bytes a recording needs at most: the recorded frames, the GIF's frames being encoded and its
 * output (twice, for the encoder's growing buffer), the strip.
 * @param env The environment (frame shape and type).
 * @param values Flag values.
 * @returns Bytes.
 */
export function recordingBytes(env: VectorEnv, values: FlagValues): number {
  if (!values.gif && !values.strip) return 0;
  const { height: H, width: W, channels: C } = env.observationShape;
  const frames = values["record-frames"] as number, scale = values.scale as number;
  const per = env.observationType === "float32" ? 4 : 1;
  const scaled = H * W * scale * scale;
  let bytes = frames * H * W * C * per;
  if (values.gif) bytes += 2 * frames * scaled + 7 * scaled;
  if (values.strip) bytes += 2 * 3 * scaled * (values["strip-frames"] as number);
  return bytes;
}

/** A recording's folder: exists, is a folder, can be written (a probe file, removed). */
async function checkRecordingPath(flag: string, path: string, force: boolean): Promise<void> {
  const i = path.lastIndexOf("/");
  const dir = i < 0 ? "." : path.slice(0, i) || "/";
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dir);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new InputError(
        `cannot write --${flag} ${path}: its folder ${dir} does not exist; create it first`,
      );
    }
    throw fileError(e, `write --${flag} ${path}: its folder ${dir}`);
  }
  if (!info.isDirectory) {
    throw new InputError(`cannot write --${flag} ${path}: ${dir} is a file, not a folder`);
  }
  const target = await Deno.stat(path).catch(() => undefined);
  if (target?.isDirectory) {
    throw new InputError(`--${flag} ${path} is a folder; give a file in it`);
  }
  if (target && !target.isFile) {
    throw new InputError(`--${flag} ${path} is not a regular file (a device?); give a file path`);
  }
  await checkReplaceable(path, { task: TASK, force });
  await probeWritable(dir, `write --${flag} ${path} into ${dir}`);
}

/** Options of {@linkcode main}. */
export interface EnvPlayOptions {
  /** Where to print (default console.log). */
  log?: (line: string) => void;
  /** Opens the environment (default {@linkcode openEnv}; tests pass a failing one). */
  open?: (name: string, options: OpenEnvOptions) => Promise<VectorEnv>;
}

/**
 * Runs `deno task env:play`.
 * @param args Command-line arguments.
 * @param options Where to print, how to open the environment.
 * @returns The exit code.
 */
export function main(args: string[], options: EnvPlayOptions = {}): Promise<number> {
  const log = options.log ?? console.log;
  const open = options.open ?? openEnv;
  return commandMain(
    { name: TASK, usage: ENV_PLAY_USAGE, flags: ENV_PLAY_FLAGS, check: checkEnvPlayFlags },
    args,
    async ({ values }) => {
      const episodes = values.episodes as number;
      const numEnvs = (values["num-envs"] as number) || Math.min(episodes, 32);
      const raw = values.view === "raw";
      const force = values.force as boolean;
      // The recordings' files before any play: a long run must not end in a refusal.
      if (values.gif) await checkRecordingPath("gif", values.gif as string, force);
      if (values.strip) await checkRecordingPath("strip", values.strip as string, force);
      const env = await open(values.env as string, { numEnvs, seed: values.seed as number, raw });
      let result: PlayResult;
      const removeInterrupt = onInterrupt(() =>
        `env:play stopped while playing ${env.name}; nothing was written${
          values.gif || values.strip ? " (the recordings are written at the end)" : ""
        }`
      );
      try {
        checkMemory(recordingBytes(env, values), {
          what: `recording --record-frames ${
            values["record-frames"]
          } frames at --scale ${values.scale} (--view ${values.view})`,
        });
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
        removeInterrupt();
        await env.close().catch(() => {});
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
          `only ${done.length} of ${episodes} episodes ended within --max-steps ${
            values["max-steps"]
          }; nothing was recorded`,
        );
      }
      const mean = done.reduce((a, e) => a + e.score, 0) / done.length;
      const sd = Math.sqrt(done.reduce((a, e) => a + (e.score - mean) ** 2, 0) / done.length);
      const seconds = Math.max(result.seconds, 1e-6);
      log(
        `env:play: mean score ${mean.toFixed(2)} (sd ${
          sd.toFixed(2)
        }) over ${done.length} episodes; ${Math.round(result.steps / seconds)} agent steps/s = ${
          Math.round(result.steps * env.frameSkip / seconds)
        } frames/s (${result.steps} steps in ${result.seconds.toFixed(1)} s, random policy)`,
      );
      const scale = values.scale as number;
      if (values.gif) {
        const bytes = encodeGif(result.frames, env.observationShape, {
          scale,
          delayMs: Math.round(1000 * env.frameSkip / 60),
        });
        await writeOutput(values.gif as string, bytes, { task: TASK, force, record: false });
        log(`env:play: ${result.frames.length} frames of episode 1 in ${values.gif}`);
      }
      if (values.strip) {
        const n = values["strip-frames"] as number;
        const every = Math.max(1, Math.floor(result.frames.length / n));
        const picked = result.frames.filter((_, i) => i % every === 0).slice(0, n);
        const bytes = encodeStrip(picked, env.observationShape, { scale, columns: n });
        await writeOutput(values.strip as string, bytes, { task: TASK, force, record: false });
        log(`env:play: a strip of ${picked.length} frames (every ${every}) in ${values.strip}`);
      }
    },
  );
}

if (import.meta.main) Deno.exit(await main(Deno.args));

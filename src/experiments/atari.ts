/**
 * `deno task fig4` (Pong) and `deno task fig5` (Fishing Derby): the spiking actor-critic agent of
 * Figs. 4-5 trained by reward-based e-prop on an Atari game through ALE (`--env ale:<rom>`, needs
 * ale-py) or a TypeScript game (`--env pong|catch`). Prints a progress line, writes results.json
 * (every finished episode and update), checkpoint.json (parameters, Adam, draws, counters, and the
 * episodes' state in a binary side file: ./agent_checkpoint.ts) and a learning-curve figure to
 * --out; `--resume` continues from the checkpoint exactly: the resumed run gives what the
 * uninterrupted run gives, bit for bit (checkpoints of older versions: the episodes restart).
 *
 * Checkpoints are taken at update boundaries (at most one per --checkpoint-every seconds) and
 * written at the end of that agent step, after the environment has stepped, and at the end.
 *
 * @module
 */
import { checkMemory, commandMain, fileError, InputError } from "../cli/command.ts";
import { FlagError, type FlagSpecs, type FlagValues, MAX_SEED } from "../cli/flags.ts";
import { resumeFlags } from "../cli/resume_flags.ts";
import { checkReplaceable, writeFileAtomic, writeOutput } from "../cli/outputs.ts";
import { checkNewRunDir, createRunDir, findCheckpoint } from "./run_dir.ts";
import { onInterrupt } from "../cli/interrupt.ts";
import { createAleEnv } from "../env/ale/ale_env.ts";
import { createCatch } from "../env/games/catch.ts";
import { createPong } from "../env/games/pong.ts";
import { AUTHORS_PONG_ACTIONS, authorsActions } from "../env/action_sets.ts";
import type { HeadPoolSpec } from "../net/head_pools.ts";
import { preprocess } from "../env/preprocess.ts";
import type { VectorEnv } from "../env/vector_env.ts";
import { resolveAgentSpec, type ResolvedAgentSpec } from "../net/agent_spec.ts";
import { initAgentFeedback, initAgentParams } from "../net/agent_params.ts";
import { AgentTrainer, type AgentUpdate, type TrainedEpisode } from "../agent/agent_trainer.ts";
import {
  type AgentCheckpoint,
  readAgentCheckpoint,
  writeAgentCheckpoint,
} from "./agent_checkpoint.ts";
import { lines } from "../plot/charts.ts";
import { AgentNetwork } from "../agent/agent_network.ts";
import { recordAgentEpisode } from "../agent/agent_episode.ts";
import { encodeGif } from "../env/recording.ts";
import { Rng } from "../util/rng.ts";
import { agentEpisodeFigure, agentHealthFigure } from "./atari_figures.ts";
import { type FigureSpec, renderSvg, svgToPng } from "../plot/render.ts";
import { agentProgressLine } from "../train/progress.ts";
import { healthLine } from "../agent/health.ts";

/** The flags of fig4 / fig5. */
export function atariFlags(defaultEnv: string, out: string): FlagSpecs {
  return {
    env: {
      type: "string",
      default: defaultEnv,
      help: "environment: ale:<rom id> (ALE, needs ale-py) or a TypeScript game: pong, catch",
    },
    frames: {
      type: "int",
      default: 10_000_000,
      min: 1,
      max: 1e12,
      help: "emulator frames to train for, all parallel episodes together",
    },
    "episodes-parallel": { type: "int", default: 32, min: 1, max: 4096, help: "parallel episodes" },
    form: {
      type: "string",
      default: "unroll",
      choices: ["online", "unroll", "bptt"],
      help:
        "reward-based e-prop over 100-step unrolls (the authors'), online (TD errors x traces), or BPTT over unrolls (the comparison)",
    },
    policy: {
      type: "string",
      default: "agent",
      choices: ["agent", "random"],
      help:
        "agent, or random: uniformly random actions, no learning, the same schedule, resets, curriculum and scoring (the random baseline)",
    },
    feedback: {
      type: "string",
      default: "symmetric",
      choices: ["symmetric", "random"],
      help:
        "how the heads' errors reach the LSNN: the heads' own current weights (the authors': autodiff with stop-gradients on z) or fixed random feedback N(0,1)",
    },
    "head-pools": {
      type: "string",
      default: "0:8/4,1:4/2",
      help:
        "the CNN layers' pooled spikes the heads read, layer:kernel/stride (0 = conv1); the authors': conv1 8x8/4 and conv2 4x4/2",
    },
    "lsnn-precision": {
      type: "string",
      default: "f32",
      choices: ["f32", "f64"],
      help:
        "arithmetic of the LSNN (float32 as the authors' TensorFlow, or float64); the CNN runs float32",
    },
    "head-init": {
      type: "string",
      default: "truncated-normal",
      choices: ["truncated-normal", "zero"],
      help:
        "the heads' initial weights: Sonnet's truncated normal, sd 1/sqrt(features) (the authors') or zero (a uniform initial policy)",
    },
    "cnn-bias": {
      type: "boolean",
      default: true,
      help: "a bias per CNN filter (the authors' Sonnet Conv2D)",
    },
    "train-cnn": {
      type: "boolean",
      default: true,
      appliesWhen: { form: ["unroll", "bptt"] },
      help:
        "train the CNN (the authors'; forms unroll and bptt: the online form keeps the CNN fixed)",
    },
    "cnn-path": {
      type: "string",
      default: "pooled",
      choices: ["pooled", "through-lsnn"],
      appliesWhen: { "train-cnn": [true] },
      help:
        "the errors that reach the CNN: each layer's pooled features only, with stop-gradients between layers and into the LSNN (the authors') or the LSNN's error through w_in and down the layers",
    },
    actions: {
      type: "string",
      default: "authors",
      choices: ["authors", "minimal"],
      help:
        "the action set: the authors' (Pong NOOP, RIGHT, LEFT; other ALE games the first 10 ALE actions) or the game's minimal set",
    },
    "sticky-actions": {
      type: "number",
      default: 0.25,
      min: 0,
      max: 1,
      help:
        "probability that the emulator repeats the previous action instead (ALE's repeat_action_probability; the authors' ALE default 0.25)",
    },
    "max-pool": {
      type: "boolean",
      default: false,
      help:
        "observe the max of the last two frames of the action repeat (default: the screen after the last repeat, the authors')",
    },
    mask: {
      type: "string",
      default: "authors",
      choices: ["authors", "episode", "none"],
      appliesWhen: { form: ["unroll", "bptt"] },
      help:
        "which steps count in the actor-critic loss: an ended episode waits, masked, until the update (authors: their finished_mask, which also drops each episode's last two steps; episode: up to and including its end) or every step (none)",
    },
    "cnn-voltage-cost": {
      type: "number",
      default: 0.5,
      min: 0,
      appliesWhen: { "train-cnn": [true] },
      help: "with --train-cnn: the seed's CNN voltage regularization (voltage_cost_cnn)",
    },
    "cnn-task-scale": {
      type: "number",
      default: 1e-8,
      min: 0,
      appliesWhen: { "train-cnn": [true] },
      help:
        "with --train-cnn: factor on the actor-critic gradient reaching the CNN (the authors': 1 / reg_factor_cnn = 1e-8)",
    },
    update: {
      type: "string",
      default: "authors",
      choices: ["authors", "all-ended", "every-unroll"],
      help:
        "authors: at the end of an unroll, once every episode has ended, one update, then every episode restarts; all-ended: one update as soon as every episode has ended; every-unroll",
    },
    "unroll-length": {
      type: "int",
      default: 100,
      min: 1,
      max: 100_000,
      help: "agent steps per unroll",
    },
    "learning-rate": {
      type: "number",
      default: 1e-3,
      min: 0,
      exclusiveMin: true,
      max: 10,
      help: "Adam lr",
    },
    "adam-epsilon": {
      type: "number",
      default: 1,
      min: 0,
      exclusiveMin: true,
      help: "Adam epsilon",
    },
    discount: { type: "number", default: 0.99, min: 0, max: 1, help: "discount per agent step" },
    "value-cost": { type: "number", default: 1, min: 0, help: "baseline (value) cost c_V" },
    "entropy-cost": { type: "number", default: 0.0025, min: 0, help: "entropy cost c_H" },
    "rate-cost": {
      type: "number",
      default: 50,
      min: 0,
      help: "firing-rate regularization c_reg x sum (fbar - target)^2",
    },
    "rate-target": { type: "number", default: 20, min: 0, help: "target rate (Hz, 1 ms steps)" },
    "voltage-cost": {
      type: "number",
      default: 1e-4,
      min: 0,
      help:
        "voltage regularization c_v x sum (max(0, v - A)^2 + max(0, -v - A)^2), mean over episodes",
    },
    curriculum: {
      type: "string",
      default: "cubic",
      choices: ["cubic", "fixed"],
      help:
        "cubic (the authors'): episodes are cut at L +- jitter agent steps, one value for all, redrawn every unroll, L <- (L^(1/3) + 1)^3 every --grow-every frames; fixed: each episode's cut drawn in [max - jitter, max]",
    },
    "max-episode-steps": {
      type: "int",
      default: 200,
      min: 0,
      max: 1e9,
      help:
        "cut episodes after this many agent steps (the cubic curriculum's start L, the authors' 200; 0 with --curriculum fixed: no cut)",
    },
    jitter: {
      type: "int",
      default: 25,
      min: 0,
      help:
        "cubic: the cut drawn in [L - jitter, L + jitter) (the authors' 25); fixed: each cut in [max - jitter, max]",
    },
    "grow-every": {
      type: "number",
      default: 7e7,
      min: 1,
      max: 1e15,
      appliesWhen: { curriculum: ["cubic"] },
      help: "cubic curriculum: frames between increases of L (the authors' 7e7)",
    },
    size: {
      type: "int",
      default: 84,
      min: 20,
      max: 160,
      help: "side of the grey frames (20 at least: the CNN's two layers)",
    },
    "n-lif": { type: "int", default: 240, min: 0, max: 100_000, help: "LIF neurons of the LSNN" },
    "n-alif": { type: "int", default: 160, min: 0, max: 100_000, help: "ALIF neurons of the LSNN" },
    pool: {
      type: "int",
      default: 0,
      min: 0,
      max: 38,
      help:
        "the earlier agent's heads: conv1 spikes pooled in non-overlapping pool x pool windows instead of --head-pools (0: --head-pools)",
    },
    "env-processes": {
      type: "int",
      default: 0,
      min: 0,
      max: 64,
      help:
        "ALE bridge processes (0: one per --workers group, so that each group's emulators step while the other groups compute; the run is the same)",
    },
    workers: {
      type: "int",
      default: 1,
      min: 1,
      max: 64,
      help: "groups of episodes stepped in parallel, one Web Worker each (reproducible per value)",
    },
    "zero-mean-filters": {
      type: "boolean",
      default: false,
      help: "first CNN layer's filters sum to zero (it fires at edges, not at the background)",
    },
    "input-gain": {
      type: "number",
      default: 1,
      min: 0,
      help: "scale of the LSNN's input weights, N(0,1) gain / sqrt(inputs)",
    },
    seed: { type: "int", default: 0, min: 0, max: MAX_SEED, help: "random seed" },
    "print-every": {
      type: "number",
      default: 10,
      min: 0,
      max: 1e9,
      help: "seconds between progress lines",
    },
    out: {
      type: "string",
      default: out,
      help: "run folder: new, empty, or (with --resume) a run of this command",
    },
    resume: {
      type: "boolean",
      default: false,
      help:
        "continue --out's checkpoint with the run's own flags (only --learning-rate, --frames, --print-every, --checkpoint-every, --record-steps may change)",
    },
    "checkpoint-every": {
      type: "number",
      default: 300,
      min: 0,
      max: 1e9,
      help:
        "seconds between checkpoints (at update boundaries; the first at the first update, also one at the end; the paper-sized agent's are ~400 MB)",
    },
    "record-steps": {
      type: "int",
      default: 300,
      min: 0,
      max: 100_000,
      help:
        "after training, record an episode of the agent (GIF, spike raster, policy) up to this many agent steps (0: none)",
    },
  };
}

/**
 * The earlier agent's setup as flags (before fig4's defaults became the authors'): float64
 * LSNN, random feedback, zero heads, no CNN biases, the minimal action set, no sticky
 * actions, max-pooled frames, no curriculum; the heads' pooling is the run's own (the earlier
 * default was `--pool 4`). `EARLIER_UNROLL_FLAGS` adds, for the unroll forms,
 * the fixed CNN and no mask.
 */
export const EARLIER_AGENT_FLAGS: readonly string[] = Object.freeze([
  "--lsnn-precision",
  "f64",
  "--feedback",
  "random",
  "--head-init",
  "zero",
  "--no-cnn-bias",
  "--actions",
  "minimal",
  "--sticky-actions",
  "0",
  "--max-pool",
  "--curriculum",
  "fixed",
  "--max-episode-steps",
  "0",
  "--jitter",
  "0",
]);

/** For the unroll forms, with {@linkcode EARLIER_AGENT_FLAGS}: the CNN fixed, every step counted. */
export const EARLIER_UNROLL_FLAGS: readonly string[] = Object.freeze([
  "--no-train-cnn",
  "--mask",
  "none",
]);

/** Flags that may change on resume (besides --out and --resume). */
export const ATARI_MUTABLE = [
  "learning-rate",
  "frames",
  "print-every",
  "checkpoint-every",
  "record-steps",
];

/**
 * What a checkpoint written before a flag existed ran with (the earlier agent's behaviour), so
 * that it resumes as it ran instead of with today's default.
 */
const ATARI_ABSENT: FlagValues = {
  "env-processes": 1,
  "lsnn-precision": "f64",
  feedback: "random",
  "head-pools": "0:8/4,1:4/2",
  "head-init": "zero",
  "cnn-bias": false,
  "cnn-path": "through-lsnn",
  actions: "minimal",
  "sticky-actions": 0,
  "max-pool": true,
  mask: "none",
  curriculum: "fixed",
  "grow-every": 7e7,
};

/** Of those, the ones that change the computation: each change is listed under `resumes`. */
const ATARI_RECORDED = ["learning-rate", "frames"];

/** A resume that changed flags: at which frame count, and each flag's [before, now]. */
export interface AtariResume {
  /** Frames trained when resumed. */
  frames: number;
  /** Each changed flag: [value before, value now]. */
  changed: Record<string, [unknown, unknown]>;
}

interface RunResults {
  /** "fig4" or "fig5". */
  task?: string;
  flags: Record<string, unknown>;
  /** The resolved setup, item by item (the README's table of the authors' setup). */
  setup?: AtariSetup;
  episodes: TrainedEpisode[];
  updates: AgentUpdate[];
  framesPerSecond: number;
  seconds: number;
  /** Resumes that changed a flag (--learning-rate, --frames), oldest first. */
  resumes?: AtariResume[];
  /** Written when the frame budget is reached (absent while the run goes on). */
  summary?: RunSummary;
}

/** The numbers of a finished run (what a sweep report averages). */
interface RunSummary {
  /** Emulator frames trained. */
  frames: number;
  /** Finished episodes. */
  episodes: number;
  /** Mean score of the first 32 finished episodes (the initial policy; null without one). */
  firstScore: number | null;
  /** Mean score of the last 64 finished episodes (null without one). */
  lastScore: number | null;
  /** Updates. */
  updates: number;
}

function summarize(results: RunResults, frames: number): RunSummary {
  const scores = results.episodes.map((e) => e.score);
  const mean = (a: number[]) => a.length ? a.reduce((x, y) => x + y, 0) / a.length : null;
  return {
    frames,
    episodes: scores.length,
    firstScore: mean(scores.slice(0, 32)),
    lastScore: mean(scores.slice(-64)),
    updates: results.updates.length,
  };
}

/** The resolved setup of a run, by the items of the README's table of the authors' setup. */
export interface AtariSetup {
  /** "agent", or "random" (the baseline: uniform actions, no learning). */
  policy: string;
  /** "unroll", "online" or "bptt". */
  learningRule: string;
  /** "symmetric" or "random". */
  feedback: string;
  /** What the heads read: LSNN spikes and each pooled CNN layer, with sizes. */
  headFeatures: {
    lsnn: number;
    pools: { layer: number; kernel: number; stride: number; features: number }[];
    total: number;
  };
  /** "truncated-normal" or "zero". */
  headInit: string;
  /** The LSNN's arithmetic, "f32" or "f64". */
  lsnnPrecision: string;
  /** CNN biases, training, which errors reach it and their scale, its voltage cost. */
  cnn: {
    bias: boolean;
    trained: boolean;
    path: string | null;
    taskScale: number | null;
    voltageCost: number | null;
  };
  /** The action set by name. */
  actions: readonly string[];
  /** The update schedule and which steps count. */
  updates: { schedule: string; mask: string; unrollLength: number };
  /** The curriculum. */
  curriculum:
    | { kind: "cubic"; start: number; jitter: number; growEvery: number; cutIsTerminal: true }
    | { kind: "fixed"; maxEpisodeSteps: number; jitter: number; cutIsTerminal: true };
  /** Adam. */
  adam: { learningRate: number; epsilon: number };
  /** The emulator's sticky actions (repeat_action_probability). */
  stickyActions: number;
  /** "last frame" or "max of the last two frames". */
  framePooling: string;
  /** Action repeat (emulator frames per agent step). */
  actionRepeat: number;
}

function setupOf(v: FlagValues, spec: ResolvedAgentSpec, env: VectorEnv): AtariSetup {
  const trained = v.form !== "online" && (v["train-cnn"] as boolean);
  return {
    policy: v.policy as string,
    learningRule: v.form as string,
    feedback: v.feedback as string,
    headFeatures: {
      lsnn: spec.n,
      pools: spec.headPools.map((p) => ({
        layer: p.layer,
        kernel: p.kernel,
        stride: p.stride,
        features: p.units,
      })),
      total: spec.nFeatures,
    },
    headInit: v["head-init"] as string,
    lsnnPrecision: v["lsnn-precision"] as string,
    cnn: {
      bias: v["cnn-bias"] as boolean,
      trained,
      path: trained ? v["cnn-path"] as string : null,
      taskScale: trained ? v["cnn-task-scale"] as number : null,
      voltageCost: trained ? v["cnn-voltage-cost"] as number : null,
    },
    actions: env.actions,
    updates: {
      schedule: v.update as string,
      mask: v.form === "online" ? "none" : v.mask as string,
      unrollLength: v["unroll-length"] as number,
    },
    curriculum: v.curriculum === "cubic"
      ? {
        kind: "cubic",
        start: v["max-episode-steps"] as number,
        jitter: v.jitter as number,
        growEvery: v["grow-every"] as number,
        cutIsTerminal: true,
      }
      : {
        kind: "fixed",
        maxEpisodeSteps: v["max-episode-steps"] as number,
        jitter: v.jitter as number,
        cutIsTerminal: true,
      },
    adam: { learningRate: v["learning-rate"] as number, epsilon: v["adam-epsilon"] as number },
    stickyActions: v["sticky-actions"] as number,
    framePooling: v["max-pool"] ? "max of the last two frames" : "last frame",
    actionRepeat: env.frameSkip,
  };
}

/** ROM ids are snake_case (ale-py's names). */
const ROM_ID = /^[a-z][a-z0-9_]*$/;

/**
 * Checks an --env value's form (ale:<rom id>, pong or catch) before any work.
 * @param name The value.
 * @throws {FlagError} Naming --env.
 */
export function checkEnvName(name: string): void {
  if (name === "pong" || name === "catch") return;
  if (name.startsWith("ale:") && ROM_ID.test(name.slice(4))) return;
  throw new FlagError(
    `--env must be ale:<rom id> (snake_case, e.g. ale:pong), pong or catch, got "${name}"`,
  );
}

/**
 * Checks fig4/fig5's flags together (before any work).
 * @param v The values.
 * @throws {FlagError} Naming the flags.
 */
export function checkAtariFlags(v: FlagValues): void {
  checkEnvName(v.env as string);
  const max = v["max-episode-steps"] as number, jitter = v.jitter as number;
  if (v.curriculum === "cubic") {
    if (max < 1) {
      throw new FlagError(
        `--curriculum cubic needs --max-episode-steps >= 1 (its start L), got ${max}; for no cut: --curriculum fixed --max-episode-steps 0 --jitter 0`,
      );
    }
    if (jitter >= max) {
      throw new FlagError(`--jitter ${jitter} must be below --max-episode-steps ${max} (L)`);
    }
  } else {
    if (jitter > 0 && max === 0) {
      throw new FlagError(
        `--jitter ${jitter} applies only with --max-episode-steps > 0; pass --jitter 0 with no cut`,
      );
    }
    if (jitter >= max && jitter > 0) {
      throw new FlagError(`--jitter ${jitter} must be below --max-episode-steps ${max}`);
    }
  }
  parseHeadPools(v["head-pools"] as string);
  if ((v.pool as number) > 0 && v["head-pools"] !== "0:8/4,1:4/2") {
    throw new FlagError(`give --pool or --head-pools, not both (--pool ${v.pool} replaces them)`);
  }
  const N = v["episodes-parallel"] as number, workers = v.workers as number;
  if (workers > N) {
    throw new FlagError(
      `--workers ${workers} must be at most --episodes-parallel ${N} (each worker steps a group of episodes)`,
    );
  }
  if ((v["n-lif"] as number) + (v["n-alif"] as number) < 1) {
    throw new FlagError(`--n-lif + --n-alif must be at least 1, got 0`);
  }
  const side = Math.floor(((v.size as number) - 8) / 4) + 1;
  if ((v.pool as number) > 0 && (v.pool as number) > side) {
    throw new FlagError(
      `--pool ${v.pool} must be at most the first CNN layer's side ${side} (with --size ${v.size})`,
    );
  }
  agentSpecOf(v, MAX_ACTIONS); // the head pools and sizes fit the CNN (before any work)
}

/**
 * Parses --head-pools: comma-separated layer:kernel/stride.
 * @param text The value.
 * @returns The pools.
 * @throws {FlagError} Naming the flag and the expected form.
 */
export function parseHeadPools(text: string): HeadPoolSpec[] {
  const parts = text.split(",").map((p) => p.trim());
  return parts.map((p) => {
    const m = /^(\d+):(\d+)\/(\d+)$/.exec(p);
    if (!m) {
      throw new FlagError(
        `--head-pools must be a comma-separated list of layer:kernel/stride (e.g. 0:8/4,1:4/2), got "${text}"`,
      );
    }
    return { layer: Number(m[1]), kernel: Number(m[2]), stride: Number(m[3]) };
  });
}

/** The agent's shape from the flags (no allocation). */
function agentSpecOf(v: FlagValues, numActions: number): ResolvedAgentSpec {
  const pool = v.pool as number;
  try {
    return resolveAgentSpec({
      frameSize: v.size as number,
      numActions,
      nLif: v["n-lif"] as number,
      nAlif: v["n-alif"] as number,
      convBias: v["cnn-bias"] as boolean,
      ...(pool > 0 ? { pool } : { headPools: parseHeadPools(v["head-pools"] as string) }),
    });
  } catch (e) {
    throw new FlagError(
      `--size ${v.size}, ${
        pool > 0 ? `--pool ${pool}` : `--head-pools ${v["head-pools"]}`
      }, --n-lif ${v["n-lif"]}, --n-alif ${v["n-alif"]} do not make an agent: ${
        (e as Error).message.replace(/^Cannot build agent: /, "")
      }`,
    );
  }
}

/** ALE's full action set: the most actions a game can have (the estimate's bound). */
const MAX_ACTIONS = 18;

/**
 * Estimates the bytes a fig4/fig5 run needs: parameters (with the gradients, Adam's two moments
 * and a copy per worker), the checkpoint's JSON text, the online form's traces (episodes x
 * inputs x neurons, f32), the unroll forms' records (unroll steps x network steps x episodes x
 * neurons), the CNN's activations and the recorded episode.
 * @param v The flags (defaults filled in).
 * @returns Bytes.
 */
export function estimateAtariBytes(v: FlagValues): number {
  const spec = agentSpecOf(v, MAX_ACTIONS);
  const B = v["episodes-parallel"] as number, n = spec.n, S = spec.stepsPerFrame;
  const K = v["unroll-length"] as number, workers = v.workers as number;
  const convWeights = spec.conv.layers.reduce((a, l) => a + l.weights, 0);
  const convUnits = spec.conv.layers.reduce((a, l) => a + l.units, 0);
  const P = spec.nIn * n + n * n + (spec.nFeatures + 1) * (MAX_ACTIONS + 1) + convWeights;
  let bytes = P * 8 * (4 + workers) + P * 3 * 24; // f64 params, grads, m, v, copies; JSON
  const frame = spec.frameSize ** 2;
  bytes += B * frame * 4 * 4 + B * convUnits * S * 4 * 4; // frames; CNN potentials and spikes
  bytes += B * n * 8 * 12 + B * spec.nFeatures * 8 * 4; // network state, heads
  if (v.form === "online") {
    for (const nPre of [spec.nIn, n]) {
      bytes += B * nPre * 8 + B * nPre * (spec.nAlif + 2 * n) * 4 + 2 * nPre * n * 4;
    }
  } else {
    bytes += K * S * B * n * 8 * 8; // records of z, psi, v, a, ... and the voltage terms
    bytes += K * B * (frame * 8 + spec.nFeatures * 8 * 2);
    if (v["train-cnn"]) bytes += K * S * B * convUnits * 8 * 3;
  }
  const record = v["record-steps"] as number;
  bytes += record * (frame * 4 + S * n * 8 + MAX_ACTIONS * 8 * 2);
  return bytes;
}

/** The environment's options from the flags: size, cut, action set, sticky actions, pooling. */
function envOptionsOf(v: FlagValues) {
  const cubic = v.curriculum === "cubic", name = v.env as string;
  const actions = v.actions !== "authors"
    ? undefined
    : name === "pong"
    ? AUTHORS_PONG_ACTIONS
    : name.startsWith("ale:")
    ? authorsActions(name)
    : undefined;
  return {
    size: v.size as number,
    // the cubic curriculum: one shared cut, set by the trainer every unroll (no per-episode jitter)
    max: v["max-episode-steps"] as number,
    jitter: cubic ? 0 : v.jitter as number,
    ...(actions ? { actions } : {}),
    stickyActions: v["sticky-actions"] as number,
    maxPool: v["max-pool"] as boolean,
    processes: (v["env-processes"] as number) || (v.workers as number),
  };
}

async function makeEnv(
  name: string,
  N: number,
  seed: number,
  o: ReturnType<typeof envOptionsOf>,
): Promise<VectorEnv> {
  const { size, max, jitter } = o;
  if (name.startsWith("ale:")) {
    try {
      return await createAleEnv({
        game: name.slice(4),
        numEnvs: N,
        seed,
        size,
        maxEpisodeSteps: max,
        jitter,
        stickyActions: o.stickyActions,
        maxPool: o.maxPool,
        processes: Math.min(o.processes, N),
        ...(o.actions ? { actions: o.actions } : {}),
      });
    } catch (e) {
      // an unknown ROM id (with close names), ale-py missing (how to install it), a bridge
      // that does not start: the user's setup, said in one line
      const message = ((e as Error)?.message ?? String(e)).replace(/\s+/g, " ").trim();
      throw new InputError(`--env ${name}: ${message.replace(/^Cannot create ale:[^:]*: /, "")}`);
    }
  }
  const opts = {
    numEnvs: N,
    seed,
    stickyActions: o.stickyActions,
    ...(o.actions ? { actions: o.actions } : {}),
  };
  const raw = name === "pong" ? createPong(opts) : createCatch(opts);
  return preprocess(raw, { size, maxEpisodeSteps: max, jitter, seed, maxPool: o.maxPool });
}

/** What a resumable run folder holds. */
interface ResumePoint {
  state: AgentCheckpoint;
  results: RunResults;
  values: FlagValues;
  resumes: AtariResume[];
}

/** Reads a run folder's checkpoint and results, and the flags the resumed run takes. */
async function readResumePoint(
  out: string,
  values: FlagValues,
  given: Set<string>,
): Promise<ResumePoint> {
  const ckpt = await findCheckpoint(out);
  let state: AgentCheckpoint, results: RunResults;
  try {
    state = await readAgentCheckpoint(out);
  } catch (e) {
    const cause = (e as Error)?.cause ?? e;
    if (e instanceof SyntaxError) {
      const why = cause instanceof Error ? cause.message : String(cause);
      throw new InputError(`cannot resume from ${ckpt}: it is not JSON (${why})`);
    }
    if (cause instanceof Deno.errors.NotFound || cause instanceof Deno.errors.PermissionDenied) {
      throw fileError(cause, `read the checkpoint in ${out}`);
    }
    throw new InputError(
      `cannot resume from ${ckpt}: ${(e as Error).message.replace(/^Cannot [^:]*: /, "")}`,
    );
  }
  if (
    typeof state !== "object" || state === null || typeof state.params !== "object" ||
    !Number.isSafeInteger(state.frames) || !Number.isSafeInteger(state.updates)
  ) {
    throw new InputError(
      `cannot resume from ${ckpt}: not a fig4/fig5 checkpoint (no params, frames, updates)`,
    );
  }
  try {
    results = JSON.parse(await Deno.readTextFile(`${out}/results.json`));
  } catch (e) {
    if (e instanceof SyntaxError) {
      throw new InputError(`cannot resume from ${out}: results.json is not JSON (${e.message})`);
    }
    throw fileError(e, `read ${out}/results.json (the run's results, needed to resume)`);
  }
  if (
    typeof results !== "object" || results === null || !Array.isArray(results.episodes) ||
    !Array.isArray(results.updates)
  ) {
    throw new InputError(`cannot resume from ${out}: results.json is not a fig4/fig5 run's`);
  }
  const saved = (state.flags ?? results.flags) as FlagValues | undefined;
  if (typeof saved !== "object" || saved === null) {
    throw new InputError(`cannot resume from ${ckpt}: it records no flags`);
  }
  const resumed = resumeFlags({
    saved,
    values,
    given,
    mutable: ATARI_MUTABLE,
    recorded: ATARI_RECORDED,
    iteration: state.frames,
    absentMeans: ATARI_ABSENT,
  });
  const v: FlagValues = { ...resumed.values, out, resume: true };
  try {
    checkAtariFlags(v);
  } catch (e) {
    throw new InputError(`cannot resume from ${ckpt}: its flags are not valid (${e})`);
  }
  const frames = v.frames as number;
  // a run cut short after its last checkpoint (no summary) finishes at once; a finished run or
  // a smaller budget is refused
  if (frames <= state.frames && (results.summary || frames !== saved.frames)) {
    throw new InputError(
      results.summary && !given.has("frames")
        ? `the run in ${out} is finished (${state.frames} frames); pass a larger --frames to continue it`
        : `--frames ${frames} is not more than the ${state.frames} frames the run in ${out} has trained; give a larger --frames`,
    );
  }
  const resumes = [...(state.resumes ?? results.resumes ?? [])];
  if (resumed.change) resumes.push({ frames: state.frames, changed: resumed.change.changed });
  return { state, results, values: v, resumes };
}

/**
 * Runs the command.
 * @param args Command-line arguments.
 * @param task "fig4" or "fig5".
 * @returns The exit code.
 */
export function atariMain(args: string[], task: "fig4" | "fig5"): Promise<number> {
  const defaultEnv = task === "fig4" ? "ale:pong" : "ale:fishing_derby";
  return commandMain(
    {
      name: task,
      usage:
        `usage: deno task ${task} [options]\n\nTrains the spiking actor-critic agent of Figs. 4-5 (spiking CNN -> LSNN of LIF and ALIF\nneurons -> policy and value) by reward-based e-prop on ${defaultEnv} (or --env). Writes\nresults.json, checkpoint.json (the first at the first update) and learning_curve.png to\n--out; --resume continues a run with its own flags.`,
      flags: atariFlags(defaultEnv, `out/${task}`),
      check: (values, given) => {
        if (!given.has("resume") || !values.resume) checkAtariFlags(values);
        else checkEnvName(values.env as string);
      },
    },
    args,
    async ({ values: given0, given }) => {
      const out = given0.out as string;
      const resumed = given0.resume
        ? await readResumePoint(out, given0, given)
        : (await checkNewRunDir(out, task), undefined);
      const v = resumed?.values ?? given0;
      const N = v["episodes-parallel"] as number, seed = v.seed as number;
      const resultsPath = `${out}/results.json`;
      checkMemory(estimateAtariBytes(v), {
        what: `the agent (--n-lif ${v["n-lif"]}, --n-alif ${
          v["n-alif"]
        }, --size ${v.size}, --episodes-parallel ${N}, --form ${v.form}, --unroll-length ${
          v["unroll-length"]
        })`,
      });
      const closer: { trainer?: AgentTrainer } = {};
      const env = await makeEnv(v.env as string, N, seed, envOptionsOf(v));
      let removeInterrupt = () => {};
      try {
        await createRunDir(out);
        const spec = agentSpecOf(v, env.actions.length);
        const trainer = closer.trainer = await AgentTrainer.create(
          env,
          spec,
          initAgentParams(spec, seed, {
            inputGain: v["input-gain"] as number,
            zeroMeanFilters: v["zero-mean-filters"] as boolean,
            headInit: v["head-init"] as "zero",
          }),
          initAgentFeedback(spec, seed + 1),
          {
            form: v.form as "online",
            update: v.update as "all-ended",
            feedback: v.feedback as "random",
            lsnnPrecision: v["lsnn-precision"] as "f32",
            policy: v.policy as "agent",
            cnnPath: v["cnn-path"] as "pooled",
            mask: v.form === "online" ? "none" : v.mask as "authors",
            ...(v.curriculum === "cubic"
              ? {
                curriculum: {
                  start: v["max-episode-steps"] as number,
                  jitter: v.jitter as number,
                  growEvery: v["grow-every"] as number,
                },
              }
              : {}),
            unrollLength: v["unroll-length"] as number,
            learningRate: v["learning-rate"] as number,
            adamEpsilon: v["adam-epsilon"] as number,
            seed: seed + 2,
            workers: v.workers as number,
            trainCnn: v.form !== "online" && (v["train-cnn"] as boolean),
            cnnTaskScale: v["cnn-task-scale"] as number,
            actorCritic: {
              discount: v.discount as number,
              valueCost: v["value-cost"] as number,
              entropyCost: v["entropy-cost"] as number,
              rateCost: v["rate-cost"] as number,
              rateTarget: (v["rate-target"] as number) / 1000,
              voltageCost: v["voltage-cost"] as number,
              cnnVoltageCost: v["cnn-voltage-cost"] as number,
            },
          },
        );
        const results: RunResults = resumed?.results ??
          { task, flags: v, episodes: [], updates: [], framesPerSecond: 0, seconds: 0 };
        results.flags = v;
        results.setup = setupOf(v, spec, env);
        const resumes = resumed?.resumes ?? [];
        if (resumes.length > 0) results.resumes = resumes;
        let checkpointFrames: number | undefined;
        if (resumed) {
          let exact;
          try {
            exact = await trainer.restore(resumed.state);
          } catch (e) {
            throw new InputError(
              `cannot resume from ${out}/checkpoint.json: it does not fit the run's flags (${
                (e as Error).message
              })`,
            );
          }
          checkpointFrames = resumed.state.frames;
          // results.json may have been written after the checkpoint: keep what it had then
          const seen = resumed.state.results;
          if (seen) {
            results.episodes.length = Math.min(results.episodes.length, seen.episodes);
            results.updates.length = Math.min(results.updates.length, seen.updates);
          }
          if (!exact) {
            console.log(
              `${task}: the checkpoint in ${out} holds no episode state (an older version, an environment without snapshot(), or its binary file is missing): the episodes restart`,
            );
          }
        }
        removeInterrupt = onInterrupt(() =>
          checkpointFrames === undefined
            ? `no checkpoint yet (the first is written at the first update): nothing to resume in ${out}`
            : `the last checkpoint, at ${checkpointFrames} frames, resumes with: deno task ${task} --resume --out ${out}`
        );
        console.log(
          `${task}: ${env.name}, ${N} episodes, ${env.actions.length} actions, agent ${spec.nIn} -> ${spec.n} neurons, ${v.form} form${
            resumed ? `, resumed at ${trainer.frames} frames` : ""
          }`,
        );
        delete results.summary; // a resumed run with a larger budget is not finished
        const t0 = performance.now(), frames0 = trainer.frames, secondsBefore = results.seconds;
        let lastPrint = 0, lastSave: number | undefined, saveDue = false, lastYield = t0;
        let lastUpdate: AgentUpdate | undefined;
        const save = async () => {
          const seconds = secondsBefore + (performance.now() - t0) / 1000;
          results.seconds = seconds;
          results.framesPerSecond = trainer.frames / seconds; // over the whole run, resumes included
          lastSave = performance.now();
          saveDue = false;
          // results first: results.json always holds at least what the checkpoint counts
          await writeFileAtomic(resultsPath, JSON.stringify(results));
          try {
            await writeAgentCheckpoint(out, {
              ...await trainer.save(),
              results: { episodes: results.episodes.length, updates: results.updates.length },
              flags: v,
              task,
              ...(resumes.length > 0 ? { resumes } : {}),
            });
          } catch (e) {
            throw fileError(e, `write the checkpoint in ${out}`);
          }
          checkpointFrames = trainer.frames;
        };
        const total = v.frames as number;
        await trainer.train(total, {
          onEpisode: (e) => results.episodes.push(e),
          onUpdate: (u) => {
            results.updates.push(u);
            lastUpdate = u;
            // checkpoints at update boundaries (the first at the first update), written at the
            // end of the agent step
            const every = (v["checkpoint-every"] as number) * 1000;
            if (lastSave === undefined || performance.now() - lastSave >= every) saveDue = true;
          },
          onStep: async () => {
            if (saveDue) await save();
            const now = performance.now();
            if (now - lastYield > 100) {
              // a TypeScript game steps in microtasks only: let Ctrl-C (a macrotask) through
              lastYield = now;
              await new Promise((r) => setTimeout(r, 0));
            }
            if (now - lastPrint < (v["print-every"] as number) * 1000) return;
            lastPrint = now;
            console.log(agentProgressLine({
              frames: trainer.frames,
              total,
              startFrames: frames0,
              seconds: (now - t0) / 1000,
              episodes: results.episodes.length,
              recentScores: results.episodes.slice(-N).map((e) => e.score),
              updates: trainer.updates,
              rate: lastUpdate?.rate ?? 0,
              ...(lastUpdate?.health ? { health: healthLine(lastUpdate.health) } : {}),
            }));
          },
        });
        results.summary = summarize(results, trainer.frames);
        await save();
        const written = [resultsPath, `${out}/checkpoint.json`];
        if (results.updates.some((u) => u.health)) {
          await writeFigure(
            agentHealthFigure(results.updates, `${env.name}: the network's health per update`),
            out,
            "health",
            task,
          );
          written.push(`${out}/health.png`);
        }
        if (await writeLearningCurve(results, out, env.name, task)) {
          written.push(`${out}/learning_curve.png`);
        } else {
          console.log(
            `${task}: no episode finished in ${trainer.frames} frames: no learning curve (results.json holds the updates)`,
          );
        }
        const recordSteps = v["record-steps"] as number;
        if (recordSteps > 0) {
          const one = await makeEnv(v.env as string, 1, seed + 1000, envOptionsOf(v));
          const net1 = await AgentNetwork.create(spec, 1, trainer.params);
          try {
            const ep = await recordAgentEpisode(net1, one, recordSteps, new Rng(seed + 3));
            await writeOutput(
              `${out}/episode.gif`,
              encodeGif(ep.frames, one.observationShape, { scale: 3, delayMs: 66 }),
              { task },
            );
            await writeFigure(
              agentEpisodeFigure(ep, {
                nLif: spec.nLif,
                nAlif: spec.nAlif,
                stepsPerFrame: spec.stepsPerFrame,
                actions: one.actions,
                title: `${one.name}: one episode of the trained agent (${ep.steps} steps, score ${
                  ep.rewards.reduce((a, r) => a + r, 0)
                })`,
              }),
              out,
              "agent_episode",
              task,
            );
            written.push(`${out}/episode.gif`, `${out}/agent_episode.png`);
          } finally {
            net1.dispose();
            await one.close();
          }
        }
        console.log(`${task}: wrote ${written.join(", ")}`);
      } catch (e) {
        if (e instanceof Deno.errors.PermissionDenied) throw fileError(e, `write to ${out}`);
        throw e;
      } finally {
        removeInterrupt();
        closer.trainer?.close();
        await env.close();
      }
    },
  );
}

/** Writes a figure's SVG and PNG atomically, refusing to replace a file the run did not write. */
async function writeFigure(
  spec: FigureSpec,
  dir: string,
  name: string,
  task: string,
): Promise<void> {
  const svg = await renderSvg(spec);
  const png = await svgToPng(svg);
  await checkReplaceable(`${dir}/${name}.svg`, { task });
  await checkReplaceable(`${dir}/${name}.png`, { task });
  await writeOutput(`${dir}/${name}.svg`, svg, { task });
  await writeOutput(`${dir}/${name}.png`, png, { task });
}

/** Score against frames (mean over windows of finished episodes), with the first episodes' mean
 * (the initial, uniform policy: a random policy) as a line. */
async function writeLearningCurve(
  r: RunResults,
  out: string,
  name: string,
  task: string,
): Promise<boolean> {
  if (r.episodes.length === 0) return false;
  const window = Math.max(1, Math.round(r.episodes.length / 40));
  const x: number[] = [], y: number[] = [];
  for (let i = 0; i + window <= r.episodes.length; i += window) {
    const slice = r.episodes.slice(i, i + window);
    x.push(slice[slice.length - 1].atFrame);
    y.push(slice.reduce((a, e) => a + e.score, 0) / slice.length);
  }
  const firstUpdate = r.updates[0]?.frames ?? Infinity;
  const initial = r.episodes.filter((e) => e.atFrame <= firstUpdate);
  const base = initial.length ? initial : r.episodes.slice(0, window);
  const random = base.reduce((a, e) => a + e.score, 0) / base.length;
  const spec = lines([
    { name: `agent (mean of ${window} episodes)`, values: y, x },
    { name: "random policy (the initial uniform policy)", values: x.map(() => random), x },
  ], { title: `${name}: score during training`, xTitle: "frames", yTitle: "episode score" });
  await writeFigure(spec as unknown as FigureSpec, out, "learning_curve", task);
  return true;
}

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
import { commandMain, fileError, InputError } from "../cli/command.ts";
import { type FlagSpecs, MAX_SEED } from "../cli/flags.ts";
import { createAleEnv } from "../env/ale/ale_env.ts";
import { createCatch } from "../env/games/catch.ts";
import { createPong } from "../env/games/pong.ts";
import { preprocess } from "../env/preprocess.ts";
import type { VectorEnv } from "../env/vector_env.ts";
import { resolveAgentSpec } from "../agent/agent_spec.ts";
import { initAgentFeedback, initAgentParams } from "../agent/agent_params.ts";
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
import { agentEpisodeFigure } from "./atari_figures.ts";
import { saveFigure } from "../plot/render.ts";
import { formatDuration } from "../train/progress.ts";

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
      help: "emulator frames to train for, all parallel episodes together",
    },
    "episodes-parallel": { type: "int", default: 32, min: 1, max: 4096, help: "parallel episodes" },
    form: {
      type: "string",
      default: "online",
      choices: ["online", "unroll", "bptt"],
      help:
        "reward-based e-prop online (TD errors x traces) or over unrolls (the authors' form), or BPTT over unrolls (the comparison)",
    },
    "train-cnn": {
      type: "boolean",
      default: false,
      help:
        "also train the CNN's filters (forms unroll and bptt; default: fixed at their initial values)",
    },
    "cnn-voltage-cost": {
      type: "number",
      default: 0.5,
      min: 0,
      help: "with --train-cnn: the seed's CNN voltage regularization (voltage_cost_cnn)",
    },
    "cnn-task-scale": {
      type: "number",
      default: 1,
      min: 0,
      help:
        "with --train-cnn: factor on the actor-critic gradient reaching the CNN (the seed: 1e-8)",
    },
    update: {
      type: "string",
      default: "all-ended",
      choices: ["all-ended", "every-unroll"],
      help: "one update when every parallel episode has ended (the paper) or every unroll",
    },
    "unroll-length": { type: "int", default: 100, min: 1, help: "agent steps per unroll" },
    "learning-rate": { type: "number", default: 1e-3, min: 0, exclusiveMin: true, help: "Adam lr" },
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
    "max-episode-steps": {
      type: "int",
      default: 0,
      min: 0,
      help: "curriculum: cut episodes after this many agent steps (0: no cut)",
    },
    jitter: { type: "int", default: 0, min: 0, help: "each cut drawn in [max - jitter, max]" },
    size: { type: "int", default: 84, min: 8, max: 160, help: "side of the grey frames" },
    "n-lif": { type: "int", default: 240, min: 0, help: "LIF neurons of the LSNN" },
    "n-alif": { type: "int", default: 160, min: 0, help: "ALIF neurons of the LSNN" },
    pool: { type: "int", default: 4, min: 1, help: "pooling of conv1 spikes read by the heads" },
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
    "print-every": { type: "number", default: 10, min: 0, help: "seconds between progress lines" },
    out: { type: "string", default: out, help: "output folder" },
    resume: { type: "boolean", default: false, help: "continue from --out's checkpoint" },
    "checkpoint-every": {
      type: "number",
      default: 300,
      min: 0,
      help:
        "seconds between checkpoints (at update boundaries; also one at the end; the paper-sized agent's are ~400 MB)",
    },
    "record-steps": {
      type: "int",
      default: 300,
      min: 0,
      help:
        "after training, record an episode of the agent (GIF, spike raster, policy) up to this many agent steps (0: none)",
    },
  };
}

/** Flags that a resumed run must keep (its shape, environment and rule). */
const SAME_ON_RESUME = [
  "env",
  "workers",
  "episodes-parallel",
  "form",
  "train-cnn",
  "update",
  "unroll-length",
  "size",
  "n-lif",
  "n-alif",
  "pool",
  "input-gain",
  "zero-mean-filters",
  "seed",
];

interface RunResults {
  flags: Record<string, unknown>;
  episodes: TrainedEpisode[];
  updates: AgentUpdate[];
  framesPerSecond: number;
  seconds: number;
  /** Written when the frame budget is reached (absent while the run goes on). */
  summary?: RunSummary;
}

/** The numbers of a finished run (what a sweep report averages). */
interface RunSummary {
  /** Emulator frames trained. */
  frames: number;
  /** Finished episodes. */
  episodes: number;
  /** Mean score of the first 32 finished episodes (the initial policy). */
  firstScore: number;
  /** Mean score of the last 64 finished episodes. */
  lastScore: number;
  /** Updates. */
  updates: number;
}

function summarize(results: RunResults, frames: number): RunSummary {
  const scores = results.episodes.map((e) => e.score);
  const mean = (a: number[]) => a.length ? a.reduce((x, y) => x + y, 0) / a.length : NaN;
  return {
    frames,
    episodes: scores.length,
    firstScore: mean(scores.slice(0, 32)),
    lastScore: mean(scores.slice(-64)),
    updates: results.updates.length,
  };
}

async function makeEnv(
  name: string,
  N: number,
  seed: number,
  size: number,
  max: number,
  jitter: number,
): Promise<VectorEnv> {
  if (name.startsWith("ale:")) {
    return await createAleEnv({
      game: name.slice(4),
      numEnvs: N,
      seed,
      size,
      maxEpisodeSteps: max,
      jitter,
    });
  }
  const opts = { numEnvs: N, seed };
  const raw = name === "pong" ? createPong(opts) : name === "catch" ? createCatch(opts) : undefined;
  if (!raw) throw new InputError(`--env must be ale:<rom>, pong or catch, got ${name}`);
  return preprocess(raw, { size, maxEpisodeSteps: max, jitter, seed });
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
        `usage: deno task ${task} [options]\n\nTrains the spiking actor-critic agent of Figs. 4-5 (spiking CNN -> LSNN of LIF and ALIF\nneurons -> policy and value) by reward-based e-prop on ${defaultEnv} (or --env). Writes\nresults.json, checkpoint.json and learning_curve.png to --out.`,
      flags: atariFlags(defaultEnv, `out/${task}`),
    },
    args,
    async ({ values: v }) => {
      const out = v.out as string, N = v["episodes-parallel"] as number, seed = v.seed as number;
      const resultsPath = `${out}/results.json`;
      const envName = v.env as string;
      if (!envName.startsWith("ale:") && envName !== "pong" && envName !== "catch") {
        throw new InputError(`--env must be ale:<rom>, pong or catch, got ${envName}`);
      }
      let resumed: { state: AgentCheckpoint; results: RunResults } | undefined;
      if (v.resume) {
        try {
          resumed = {
            state: await readAgentCheckpoint(out),
            results: JSON.parse(await Deno.readTextFile(resultsPath)),
          };
        } catch (e) {
          throw fileError(e, `read the checkpoint in ${out}`);
        }
      } else {
        try {
          for await (const _ of Deno.readDir(out)) {
            throw new InputError(`--out ${out} is not empty (use --resume or another folder)`);
          }
        } catch (e) {
          if (!(e instanceof Deno.errors.NotFound)) throw e;
        }
        await Deno.mkdir(out, { recursive: true });
      }
      const closer: { trainer?: AgentTrainer } = {};
      const env = await makeEnv(
        v.env as string,
        N,
        seed,
        v.size as number,
        v["max-episode-steps"] as number,
        v.jitter as number,
      );
      try {
        const spec = resolveAgentSpec({
          frameSize: v.size as number,
          numActions: env.actions.length,
          nLif: v["n-lif"] as number,
          nAlif: v["n-alif"] as number,
          pool: v.pool as number,
        });
        const trainer = closer.trainer = await AgentTrainer.create(
          env,
          spec,
          initAgentParams(spec, seed, {
            inputGain: v["input-gain"] as number,
            zeroMeanFilters: v["zero-mean-filters"] as boolean,
          }),
          initAgentFeedback(spec, seed + 1),
          {
            form: v.form as "online",
            update: v.update as "all-ended",
            unrollLength: v["unroll-length"] as number,
            learningRate: v["learning-rate"] as number,
            adamEpsilon: v["adam-epsilon"] as number,
            seed: seed + 2,
            workers: v.workers as number,
            trainCnn: v["train-cnn"] as boolean,
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
          { flags: v, episodes: [], updates: [], framesPerSecond: 0, seconds: 0 };
        if (resumed) {
          // the run's shape and rule must be those it was started with
          for (const key of SAME_ON_RESUME) {
            const was = resumed.results.flags[key];
            if (was !== undefined && was !== v[key]) {
              throw new InputError(
                `--${key} ${
                  v[key]
                } differs from the run in ${out} (--${key} ${was}); resume with the same value`,
              );
            }
          }
          const exact = await trainer.restore(resumed.state);
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
        console.log(
          `${task}: ${env.name}, ${N} episodes, ${env.actions.length} actions, agent ${spec.nIn} -> ${spec.n} neurons, ${v.form} form${
            resumed ? `, resumed at ${trainer.frames} frames` : ""
          }`,
        );
        delete results.summary; // a resumed run with a larger budget is not finished
        const t0 = performance.now(), frames0 = trainer.frames, secondsBefore = results.seconds;
        let lastPrint = 0, lastSave = performance.now(), saveDue = false;
        let lastUpdate: AgentUpdate | undefined;
        const save = async () => {
          const seconds = secondsBefore + (performance.now() - t0) / 1000;
          results.seconds = seconds;
          results.framesPerSecond = trainer.frames / seconds; // over the whole run, resumes included
          lastSave = performance.now();
          saveDue = false;
          const tmp = `${resultsPath}.tmp`;
          await Deno.writeTextFile(tmp, JSON.stringify(results));
          await Deno.rename(tmp, resultsPath);
          await writeAgentCheckpoint(out, {
            ...await trainer.save(),
            results: { episodes: results.episodes.length, updates: results.updates.length },
          });
        };
        const total = v.frames as number;
        await trainer.train(total, {
          onEpisode: (e) => results.episodes.push(e),
          onUpdate: (u) => {
            results.updates.push(u);
            lastUpdate = u;
            // checkpoints at update boundaries, written at the end of the agent step
            const every = (v["checkpoint-every"] as number) * 1000;
            if (performance.now() - lastSave >= every) saveDue = true;
          },
          onStep: async () => {
            if (saveDue) await save();
            const now = performance.now();
            if (now - lastPrint < (v["print-every"] as number) * 1000) return;
            lastPrint = now;
            const fps = (trainer.frames - frames0) / ((now - t0) / 1000);
            const recent = results.episodes.slice(-N);
            const mean = recent.reduce((a, e) => a + e.score, 0) / Math.max(1, recent.length);
            console.log(
              `frames ${trainer.frames}/${total}  ${
                fps.toFixed(0)
              } frames/s  episodes ${results.episodes.length}  mean score (last ${recent.length}) ${
                mean.toFixed(2)
              }  updates ${trainer.updates}  rate ${
                ((lastUpdate?.rate ?? 0) * 1000).toFixed(1)
              } Hz  ETA ${formatDuration((total - trainer.frames) / Math.max(fps, 1e-9))}`,
            );
          },
        });
        results.summary = summarize(results, trainer.frames);
        await save();
        await writeLearningCurve(results, out, env.name);
        const recordSteps = v["record-steps"] as number;
        if (recordSteps > 0) {
          const one = await makeEnv(
            v.env as string,
            1,
            seed + 1000,
            v.size as number,
            v["max-episode-steps"] as number,
            v.jitter as number,
          );
          const net1 = await AgentNetwork.create(spec, 1, trainer.params);
          try {
            const ep = await recordAgentEpisode(net1, one, recordSteps, new Rng(seed + 3));
            await Deno.writeFile(
              `${out}/episode.gif`,
              encodeGif(ep.frames, one.observationShape, { scale: 3, delayMs: 66 }),
            );
            await saveFigure(
              agentEpisodeFigure(ep, {
                nLif: spec.nLif,
                nAlif: spec.nAlif,
                stepsPerFrame: spec.stepsPerFrame,
                actions: one.actions,
                title: `${one.name}: one episode of the trained agent (${ep.steps} steps, score ${
                  ep.rewards.reduce((a, r) => a + r, 0)
                })`,
              }),
              { dir: out, name: "agent_episode" },
            );
            console.log(`recorded episode: ${out}/episode.gif, ${out}/agent_episode.png`);
          } finally {
            net1.dispose();
            await one.close();
          }
        }
        console.log(`results: ${resultsPath}; figure: ${out}/learning_curve.png`);
      } catch (e) {
        if (e instanceof Deno.errors.PermissionDenied) throw fileError(e, `write to ${out}`);
        throw e;
      } finally {
        closer.trainer?.close();
        await env.close();
      }
    },
  );
}

/** Score against frames (mean over windows of finished episodes), with the first episodes' mean
 * (the initial, uniform policy: a random policy) as a line. */
async function writeLearningCurve(r: RunResults, out: string, name: string): Promise<void> {
  if (r.episodes.length === 0) return;
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
  try {
    await saveFigure(spec as never, { dir: out, name: "learning_curve" });
  } catch (e) {
    throw fileError(e, `write ${out}/learning_curve.png`);
  }
}

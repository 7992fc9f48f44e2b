/**
 * `deno task fig4:catch`: the quick proof of reward-based e-prop on the TypeScript Catch. Runs the
 * agent (42x42 frames, the paper's CNN with zero-mean first-layer filters, 40 LIF + 20 ALIF,
 * conv1 read unpooled) for each form (online, unroll, bptt) and seed into
 * `--runs`/<form>-s<seed>-<key> (`deno task fig4` underneath, `--parallel` at a time), measures a
 * uniformly random policy on the same game, and writes table.md, table.json and
 * learning_curves.png (score against frames, moving mean over 64 episodes, the random policy's
 * mean as a line).
 *
 * A run folder is keyed by a hash of every flag of its run (frames included), so a changed
 * setting runs anew and never reports an old run; a finished run (its results.json has a
 * `summary`) is kept, an interrupted one is resumed from its checkpoint with its own flags, and
 * nothing is ever deleted: a run folder holding anything else is refused before any work.
 *
 * @module
 */
import { checkMemory, commandMain, fileError, InputError, RunFailure } from "../cli/command.ts";
import {
  FlagError,
  type FlagSpecs,
  type FlagValues,
  intList,
  MAX_SEED,
  parseFlags,
} from "../cli/flags.ts";
import { computationKey } from "../cli/run_key.ts";
import {
  checkReplaceable,
  probeWritable,
  statIfExists as stat,
  writeOutput,
} from "../cli/outputs.ts";
import { onInterrupt } from "../cli/interrupt.ts";
import {
  atariFlags,
  EARLIER_AGENT_FLAGS,
  EARLIER_UNROLL_FLAGS,
  estimateAtariBytes,
} from "../experiments/atari.ts";
import { createCatch } from "../env/games/catch.ts";
import { preprocess } from "../env/preprocess.ts";
import { lines, stack } from "../plot/charts.ts";
import { renderSvg, svgToPng } from "../plot/render.ts";
import { Rng } from "../util/rng.ts";

const TASK = "fig4:catch";
const FORMS = ["online", "unroll", "bptt"];

/** The flags of fig4:catch. */
export const FIG4_CATCH_FLAGS: FlagSpecs = {
  runs: {
    type: "string",
    default: "out/fig4-catch",
    help: "folder of the runs (one subfolder per form and seed) and of the table",
  },
  seeds: {
    type: "ints",
    default: "0,1,2",
    min: 0,
    max: MAX_SEED,
    help: "seeds, comma-separated, each once (--study cnn: default 0)",
  },
  forms: {
    type: "string",
    default: "online,unroll,bptt",
    appliesWhen: { study: ["forms"] },
    help: "forms, comma-separated, each once, of online, unroll, bptt",
  },
  study: {
    type: "string",
    default: "forms",
    choices: ["forms", "cnn"],
    help:
      "forms: e-prop's forms; cnn: the default Gaussian first-layer filters, unroll form, with the CNN fixed or trained (task only; the seed's setting: regularizers and the task x 1e-8; task and CNN voltage term)",
  },
  frames: { type: "int", default: 1_000_000, min: 1, max: 1e12, help: "frames per run" },
  parallel: { type: "int", default: 2, min: 1, max: 16, help: "runs at a time" },
  "random-episodes": {
    type: "int",
    default: 256,
    min: 1,
    max: 1_000_000,
    help: "episodes of the uniformly random policy (the table's baseline)",
  },
  collect: {
    type: "boolean",
    default: false,
    help: "run nothing: collect the finished runs into the table (the others are listed missing)",
  },
  force: {
    type: "boolean",
    default: false,
    help: "replace table and figure files in --runs that this command did not write",
  },
};

/** The quick proof's flags (besides form, seed, frames, out). */
const CATCH_PROOF_FLAGS = [
  "--env",
  "catch",
  "--size",
  "42",
  "--n-lif",
  "40",
  "--n-alif",
  "20",
  "--pool",
  "1",
  "--zero-mean-filters",
  "--update",
  "every-unroll",
  "--unroll-length",
  "10",
  "--learning-rate",
  "1e-2",
  "--adam-epsilon",
  "1e-8",
  "--voltage-cost",
  "0",
  "--print-every",
  "30",
  "--record-steps",
  "250",
  // the setup these runs were made with, before fig4's defaults became the authors'
  ...EARLIER_AGENT_FLAGS,
];

/** The CNN study's variants: Gaussian first-layer filters, unroll form, the CNN fixed or trained. */
const CNN_VARIANTS: Record<string, string[]> = {
  "fixed": ["--no-train-cnn"],
  "trained-task": [
    "--train-cnn",
    "--cnn-path",
    "through-lsnn",
    "--cnn-task-scale",
    "1",
    "--cnn-voltage-cost",
    "0",
  ],
  "trained-seed": ["--train-cnn", "--cnn-path", "through-lsnn", "--cnn-task-scale", "1e-8"],
  "trained-task+voltage": ["--train-cnn", "--cnn-path", "through-lsnn", "--cnn-task-scale", "1"],
};

/** fig4's flags with their defaults (the key of a run is over all of them). */
const FIG4_FLAGS = atariFlags("ale:pong", "out/fig4");

/** Flags that do not change a run's training (the key leaves them out). */
const KEY_IGNORE = ["record-steps"];

/**
 * The key of a fig4 run from its flags (defaults filled in for flags it does not list).
 * @param flags A run's flags (e.g. results.json's `flags`).
 * @returns "fig4-<16 hex>".
 */
export function fig4RunKey(flags: Record<string, unknown>): string {
  const values: FlagValues = {};
  for (const [name, spec] of Object.entries(FIG4_FLAGS)) {
    values[name] = (flags[name] ?? spec.default) as FlagValues[string];
  }
  return computationKey("fig4", values, KEY_IGNORE);
}

interface Job {
  form: string;
  seed: number;
  dir: string;
  args: string[];
  values: FlagValues;
  key: string;
}

interface Episode {
  score: number;
  atFrame: number;
}

interface Results {
  flags: Record<string, unknown>;
  episodes: Episode[];
  seconds: number;
  framesPerSecond: number;
  summary?: unknown;
}

type JobState =
  | { kind: "new" }
  | { kind: "resume" }
  | { kind: "finished"; results: Results }
  | { kind: "refused"; reason: string };

/** What a job's folder holds: nothing (new), its interrupted run, its finished run, or else. */
async function jobState(j: Job): Promise<JobState> {
  const info = await stat(j.dir);
  if (!info) return { kind: "new" };
  if (!info.isDirectory) return { kind: "refused", reason: "is a file, not a run folder" };
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(j.dir)) names.push(e.name);
  } catch (e) {
    throw fileError(e, `read ${j.dir}`);
  }
  if (names.length === 0) return { kind: "new" };
  const list = names.sort().slice(0, 3).join(", ") + (names.length > 3 ? ", ..." : "");
  if (!names.includes("checkpoint.json") || !names.includes("results.json")) {
    return { kind: "refused", reason: `holds files but no resumable run (${list})` };
  }
  let results: Results;
  try {
    results = JSON.parse(await Deno.readTextFile(`${j.dir}/results.json`));
  } catch (e) {
    if (e instanceof SyntaxError) {
      return { kind: "refused", reason: "holds a results.json that is not JSON" };
    }
    throw fileError(e, `read ${j.dir}/results.json`);
  }
  if (
    typeof results?.flags !== "object" || results.flags === null || !Array.isArray(results.episodes)
  ) {
    return { kind: "refused", reason: "holds a results.json that is not a fig4 run's" };
  }
  if (fig4RunKey(results.flags) !== j.key) {
    const differ = Object.keys(j.values).filter((k) =>
      !["out", "resume", "print-every", "checkpoint-every", ...KEY_IGNORE].includes(k) &&
      (results.flags[k] ?? FIG4_FLAGS[k].default) !== j.values[k]
    );
    return {
      kind: "refused",
      reason: `holds a run of other settings (${
        differ.map((k) => `--${k} ${results.flags[k]}, not ${j.values[k]}`).join("; ")
      })`,
    };
  }
  return results.summary ? { kind: "finished", results } : { kind: "resume" };
}

function makeJobs(v: FlagValues, given: Set<string>): Job[] {
  const runs = v.runs as string, frames = v.frames as number;
  const cnnStudy = v.study === "cnn";
  const seeds = intList(cnnStudy && !given.has("seeds") ? "0" : v.seeds);
  const dupSeed = seeds.find((s, i) => seeds.indexOf(s) !== i);
  if (dupSeed !== undefined) {
    throw new FlagError(`--seeds lists ${dupSeed} twice; give each seed once`);
  }
  const forms = String(v.forms).split(",").map((f) => f.trim());
  for (const f of forms) {
    if (!FORMS.includes(f)) {
      throw new FlagError(`--forms must list of ${FORMS.join(", ")}, got "${f}"`);
    }
  }
  const dupForm = forms.find((f, i) => forms.indexOf(f) !== i);
  if (dupForm !== undefined) {
    throw new FlagError(`--forms lists ${dupForm} twice; give each form once`);
  }
  const variants = cnnStudy
    ? Object.entries(CNN_VARIANTS).map(([name, extra]) => ({
      form: `cnn ${name}`,
      stem: `cnn-${name}`,
      args: [
        ...CATCH_PROOF_FLAGS.filter((f) => f !== "--zero-mean-filters"),
        "--form",
        "unroll",
        "--mask",
        "none",
        ...extra,
      ],
    }))
    : forms.map((form) => ({
      form,
      stem: form,
      args: [
        ...CATCH_PROOF_FLAGS,
        "--form",
        form,
        ...(form === "online" ? [] : EARLIER_UNROLL_FLAGS),
      ],
    }));
  return variants.flatMap((variant) =>
    seeds.map((seed) => {
      const args = [...variant.args, "--seed", String(seed), "--frames", String(frames)];
      const { values } = parseFlags(args, FIG4_FLAGS);
      const key = fig4RunKey(values);
      const dir = `${runs}/${variant.stem}-s${seed}-${key.slice(-8)}`;
      return { form: variant.form, seed, dir, args: [...args, "--out", dir], values, key };
    })
  );
}

/**
 * The runs of a fig4:catch command line: each run's folder and its fig4 arguments.
 * @param args fig4:catch's arguments.
 * @returns Form (or CNN variant), seed, folder and fig4 arguments of each run.
 * @throws {FlagError} For a bad flag.
 */
export function fig4CatchRuns(
  args: string[],
): { form: string; seed: number; dir: string; args: string[] }[] {
  const { values, given } = parseFlags(args, FIG4_CATCH_FLAGS);
  return makeJobs(values, given).map(({ form, seed, dir, args }) => ({ form, seed, dir, args }));
}

/** The fig4 processes running now (Ctrl-C passes on to them, so that each checkpoints). */
const running = new Set<Deno.ChildProcess>();

/** Runs the fig4 runs that are not finished, `parallel` at a time. */
async function runJobs(todo: { job: Job; resume: boolean }[], parallel: number): Promise<void> {
  const script = new URL("./fig4.ts", import.meta.url).pathname;
  const failures: string[] = [];
  let refused = false;
  const lane = async () => {
    for (let t = todo.shift(); t && failures.length === 0; t = todo.shift()) {
      const { job, resume } = t;
      console.log(
        `${TASK}: ${job.form} seed ${job.seed} -> ${job.dir}${resume ? " (resumed)" : ""}`,
      );
      const args = resume ? ["--resume", "--out", job.dir] : job.args;
      const { code } = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-read",
          "--allow-write",
          "--allow-run",
          "--allow-env",
          script,
          ...args,
        ],
        stdin: "null",
        stdout: "inherit",
        stderr: "inherit",
      }).output();
      if (code !== 0) {
        refused ||= code === 2;
        failures.push(`the ${job.form} seed ${job.seed} run in ${job.dir} (exit ${code})`);
      }
    }
  };
  await Promise.all(Array.from({ length: parallel }, lane));
  if (failures.length > 0) {
    const message = `${failures.join(", ")} failed; finished runs are kept, run again to resume`;
    throw refused ? new InputError(message) : new RunFailure(message);
  }
}

/** The random policy's scores on the same game. */
async function randomPolicy(episodes: number): Promise<number[]> {
  const env = preprocess(createCatch({ numEnvs: 32, seed: 12345 }), { size: 42 });
  try {
    await env.reset();
    const rng = new Rng(6789), scores: number[] = [];
    while (scores.length < episodes) {
      const a = Int32Array.from({ length: 32 }, () => rng.int(3));
      for (const e of (await env.step(a)).episodes) scores.push(e.score);
    }
    return scores.slice(0, episodes);
  } finally {
    await env.close();
  }
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));

/**
 * Runs the command.
 * @param args Command-line arguments.
 * @returns The exit code.
 */
export function main(args: string[]): Promise<number> {
  return commandMain(
    {
      name: TASK,
      usage:
        "usage: deno task fig4:catch [options]\n\nRuns the Catch quick proof for each form (or --study cnn: CNN variant) and seed, each in\n--runs/<form>-s<seed>-<key of its flags>: a finished run is kept, an interrupted one resumes\nfrom its checkpoint, a changed setting runs anew. Then writes table.md, table.json and\nlearning_curves.png (cnn_table.*, cnn_learning_curves.png) to --runs.",
      flags: FIG4_CATCH_FLAGS,
    },
    args,
    async ({ values: v, given }) => {
      const runs = v.runs as string, cnnStudy = v.study === "cnn";
      const jobs = makeJobs(v, given);
      const info = await stat(runs);
      if (info && !info.isDirectory) {
        throw new InputError(`--runs ${runs} is a file; give a folder`);
      }
      checkMemory((v.parallel as number) * estimateAtariBytes(jobs[0].values), {
        what: `--parallel ${v.parallel} runs`,
      });
      const stem = cnnStudy ? "cnn_table" : "table";
      const figure = cnnStudy ? "cnn_learning_curves" : "learning_curves";
      const outputs = [`${stem}.md`, `${stem}.json`, `${figure}.svg`, `${figure}.png`]
        .map((n) => `${runs}/${n}`);
      for (const p of outputs) await checkReplaceable(p, { task: TASK, force: v.force as boolean });
      const states = await Promise.all(jobs.map(jobState));
      if (!v.collect) {
        const bad = jobs.findIndex((_, i) => states[i].kind === "refused");
        if (bad >= 0) {
          throw new InputError(
            `${jobs[bad].dir} ${
              (states[bad] as { reason: string }).reason
            }; it is left as it is: move it away or choose another --runs`,
          );
        }
        try {
          await Deno.mkdir(runs, { recursive: true });
        } catch (e) {
          throw fileError(e, `write into --runs ${runs}`);
        }
        await probeWritable(runs, `write into --runs ${runs}`);
        const todo = jobs.flatMap((job, i) =>
          states[i].kind === "finished" ? [] : [{ job, resume: states[i].kind === "resume" }]
        );
        const remove = onInterrupt(() => {
          for (const child of running) {
            try {
              child.kill("SIGINT"); // each run says where it resumes
            } catch {
              // it has ended
            }
          }
          return `finished runs are kept in ${runs}; the others resume from their last checkpoints with: deno task ${TASK} ${
            args.join(" ")
          }`;
        });
        try {
          await runJobs(todo, v.parallel as number);
        } finally {
          remove();
        }
      }
      const randomEpisodes = v["random-episodes"] as number;
      const randomScores = await randomPolicy(randomEpisodes);
      const random = mean(randomScores);
      const rows: Record<string, unknown>[] = [];
      const curves: { name: string; values: number[]; x: number[] }[] = [];
      for (const j of jobs) {
        const s = await jobState(j);
        if (s.kind !== "finished") {
          rows.push({ form: j.form, seed: j.seed, dir: j.dir, status: "missing" });
          continue;
        }
        const r = s.results;
        if (r.episodes.length === 0) {
          rows.push({ form: j.form, seed: j.seed, dir: j.dir, status: "no finished episode" });
          continue;
        }
        const last = r.episodes.slice(-64).map((e) => e.score);
        const window = Math.min(64, r.episodes.length), x: number[] = [], y: number[] = [];
        for (let i = window; i <= r.episodes.length; i += 16) {
          x.push(r.episodes[i - 1].atFrame);
          y.push(mean(r.episodes.slice(i - window, i).map((e) => e.score)));
        }
        curves.push({ name: `${j.form} seed ${j.seed}`, values: y, x });
        rows.push({
          form: j.form,
          seed: j.seed,
          dir: j.dir,
          episodes: r.episodes.length,
          finalMean: mean(last),
          finalSd: sd(last),
          margin: mean(last) - random,
          seconds: r.seconds,
          framesPerSecond: r.framesPerSecond,
        });
      }
      const frames = v.frames as number;
      const table = [
        `Catch ${
          cnnStudy ? "CNN study (Gaussian filters, unroll form)" : "quick proof"
        }: ${frames} frames per run; random policy ${random.toFixed(2)} (sd ${
          sd(randomScores).toFixed(2)
        }, ${randomEpisodes} episodes)`,
        "",
        `| ${
          cnnStudy ? "variant" : "form"
        } | seed | episodes | score, last 64 episodes (mean ± sd) | above random | time | frames/s |`,
        "|---|---|---|---|---|---|---|",
        ...rows.map((r) =>
          r.status
            ? `| ${r.form} | ${r.seed} | ${r.status} | | | | |`
            : `| ${r.form} | ${r.seed} | ${r.episodes} | ${(r.finalMean as number).toFixed(2)} ± ${
              (r.finalSd as number).toFixed(2)
            } | ${(r.margin as number) >= 0 ? "+" : ""}${(r.margin as number).toFixed(2)} | ${
              ((r.seconds as number) / 60).toFixed(1)
            } min | ${Math.round(r.framesPerSecond as number)} |`
        ),
      ].join("\n");
      console.log(table);
      const force = v.force as boolean;
      try {
        await Deno.mkdir(runs, { recursive: true });
      } catch (e) {
        throw fileError(e, `create --runs ${runs}`);
      }
      await writeOutput(`${runs}/${stem}.md`, table + "\n", { task: TASK, force });
      await writeOutput(
        `${runs}/${stem}.json`,
        JSON.stringify({ frames, random, randomSd: sd(randomScores), rows }, null, 2),
        { task: TASK, force },
      );
      const written = [`${runs}/${stem}.md`, `${runs}/${stem}.json`];
      if (curves.length) {
        const xs = curves.flatMap((c) => c.x);
        const svg = await renderSvg(
          stack([
            lines([
              ...curves,
              { name: "random policy", values: [random, random], x: [0, Math.max(0, ...xs)] },
            ], {
              title: `Catch${
                cnnStudy ? ", Gaussian filters, CNN fixed or trained" : ""
              }: score during training (moving mean of 64 episodes)`,
              xTitle: "frames",
              yTitle: "episode score",
              width: 560,
              height: 260,
            }),
          ]),
        );
        await writeOutput(`${runs}/${figure}.svg`, svg, { task: TASK, force });
        await writeOutput(`${runs}/${figure}.png`, await svgToPng(svg), { task: TASK, force });
        written.push(`${runs}/${figure}.png`);
      }
      console.log(`${TASK}: wrote ${written.join(", ")}`);
    },
  );
}

if (import.meta.main) Deno.exit(await main(Deno.args));

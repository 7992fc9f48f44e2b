/**
 * `deno task fig4:catch`: the quick proof of reward-based e-prop on the TypeScript Catch. Runs the
 * agent (42x42 frames, the paper's CNN with zero-mean first-layer filters, 40 LIF + 20 ALIF,
 * conv1 read unpooled) for each form (online, unroll, bptt) and seed into `--runs`/<form>-s<seed>
 * (`deno task fig4` underneath, `--parallel` at a time; finished runs are kept), measures a
 * uniformly random policy on the same game, and writes table.md, table.json and
 * learning_curves.png (score against frames, moving mean over 64 episodes, the random policy's
 * mean as a line).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { createCatch } from "../src/env/games/catch.ts";
import { preprocess } from "../src/env/preprocess.ts";
import { lines, stack } from "../src/plot/charts.ts";
import { saveFigure } from "../src/plot/render.ts";
import { Rng } from "../src/util/rng.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    runs: { type: "string", default: "out/fig4-catch" },
    seeds: { type: "string", default: "0,1,2" },
    forms: { type: "string", default: "online,unroll,bptt" },
    study: { type: "string", default: "forms" },
    frames: { type: "string", default: "1000000" },
    parallel: { type: "string", default: "2" },
    "random-episodes": { type: "string", default: "256" },
    collect: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  console.log(
    "usage: deno task fig4:catch [--runs DIR] [--seeds 0,1,2] [--forms online,unroll,bptt] [--frames N]\n" +
      "  [--parallel 2] [--random-episodes 256] [--collect] [--study forms|cnn]\n\n" +
      "Runs the Catch quick proof for each form and seed (kept when finished) and writes\n" +
      "table.md, table.json and learning_curves.png to --runs. --collect only collects.\n" +
      "--study cnn: the default Gaussian first-layer filters instead of zero-mean ones, unroll\n" +
      "form, with the CNN fixed or trained (task only; the seed's setting: regularizers and the\n" +
      "task x 1e-8; task and CNN voltage term), per seed (default 0).",
  );
  Deno.exit(0);
}
const fail = (message: string): never => {
  console.error(`fig4:catch: ${message}`);
  Deno.exit(2);
};
if (values.study !== "forms" && values.study !== "cnn") fail(`--study must be forms or cnn`);
const cnnStudy = values.study === "cnn";
const seeds = (cnnStudy && values.seeds === "0,1,2" ? "0" : values.seeds).split(",").map(Number);
if (seeds.some((s) => !Number.isInteger(s) || s < 0)) fail(`--seeds must be integers >= 0`);
const forms = values.forms.split(",");
if (forms.some((f) => !["online", "unroll", "bptt"].includes(f))) {
  fail(`--forms must be a list of online, unroll, bptt`);
}
const frames = Number(values.frames), parallel = Number(values.parallel);
if (!Number.isInteger(frames) || frames < 1) fail(`--frames must be an integer >= 1`);
if (!Number.isInteger(parallel) || parallel < 1) fail(`--parallel must be an integer >= 1`);
const runsDir = values.runs;

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
];

interface Episode {
  score: number;
  atFrame: number;
}
interface Results {
  episodes: Episode[];
  seconds: number;
  framesPerSecond: number;
  updates: unknown[];
}

async function readResults(dir: string): Promise<Results | undefined> {
  try {
    const r = JSON.parse(await Deno.readTextFile(`${dir}/results.json`)) as Results;
    const last = r.episodes[r.episodes.length - 1];
    return last && last.atFrame >= frames - 32 * 4 * 250 ? r : undefined;
  } catch {
    return undefined;
  }
}

/** The CNN study's variants: Gaussian first-layer filters, unroll form, the CNN fixed or trained. */
const CNN_VARIANTS: Record<string, string[]> = {
  "fixed": [],
  "trained-task": ["--train-cnn", "--cnn-voltage-cost", "0"],
  "trained-seed": ["--train-cnn", "--cnn-task-scale", "1e-8"],
  "trained-task+voltage": ["--train-cnn"],
};

interface Job {
  form: string;
  seed: number;
  dir: string;
  args: string[];
}
const jobs: Job[] = cnnStudy
  ? Object.entries(CNN_VARIANTS).flatMap(([name, extra]) =>
    seeds.map((seed) => ({
      form: `cnn ${name}`,
      seed,
      dir: `${runsDir}/cnn-${name}-s${seed}`,
      args: [
        ...CATCH_PROOF_FLAGS.filter((f) => f !== "--zero-mean-filters"),
        "--form",
        "unroll",
        ...extra,
      ],
    }))
  )
  : forms.flatMap((form) =>
    seeds.map((seed) => ({
      form,
      seed,
      dir: `${runsDir}/${form}-s${seed}`,
      args: [...CATCH_PROOF_FLAGS, "--form", form],
    }))
  );
if (!values.collect) {
  const todo: Job[] = [];
  for (const j of jobs) if (!(await readResults(j.dir))) todo.push(j);
  const script = new URL("./fig4_pong.ts", import.meta.url).pathname;
  const lane = async () => {
    for (let j = todo.shift(); j; j = todo.shift()) {
      const out = j.dir;
      await Deno.remove(out, { recursive: true }).catch(() => {});
      console.log(`fig4:catch: ${j.form} seed ${j.seed} -> ${out}`);
      const { code } = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-read",
          "--allow-write",
          "--allow-run",
          "--allow-env",
          script,
          ...j.args,
          "--seed",
          String(j.seed),
          "--frames",
          String(frames),
          "--out",
          out,
        ],
        stdout: "inherit",
        stderr: "inherit",
      }).output();
      if (code !== 0) fail(`the run in ${out} failed (exit ${code})`);
    }
  };
  await Promise.all(Array.from({ length: parallel }, lane));
}

// a uniformly random policy on the same game
const randomEpisodes = Number(values["random-episodes"]);
const env = preprocess(createCatch({ numEnvs: 32, seed: 12345 }), { size: 42 });
await env.reset();
const rng = new Rng(6789), randomScores: number[] = [];
while (randomScores.length < randomEpisodes) {
  const a = Int32Array.from({ length: 32 }, () => rng.int(3));
  for (const e of (await env.step(a)).episodes) randomScores.push(e.score);
}
await env.close();
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));
const random = mean(randomScores.slice(0, randomEpisodes));

const rows: Record<string, unknown>[] = [];
const curves: { name: string; values: number[]; x: number[] }[] = [];
for (const j of jobs) {
  const r = await readResults(j.dir);
  if (!r) {
    rows.push({ form: j.form, seed: j.seed, status: "missing" });
    continue;
  }
  const last = r.episodes.slice(-64).map((e) => e.score);
  const window = 64, x: number[] = [], y: number[] = [];
  for (let i = window; i <= r.episodes.length; i += 16) {
    x.push(r.episodes[i - 1].atFrame);
    y.push(mean(r.episodes.slice(i - window, i).map((e) => e.score)));
  }
  curves.push({ name: `${j.form} seed ${j.seed}`, values: y, x });
  rows.push({
    form: j.form,
    seed: j.seed,
    episodes: r.episodes.length,
    finalMean: mean(last),
    finalSd: sd(last),
    margin: mean(last) - random,
    seconds: r.seconds,
    framesPerSecond: r.framesPerSecond,
  });
}
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
      ? `| ${r.form} | ${r.seed} | missing | | | | |`
      : `| ${r.form} | ${r.seed} | ${r.episodes} | ${(r.finalMean as number).toFixed(2)} ± ${
        (r.finalSd as number).toFixed(2)
      } | ${(r.margin as number) >= 0 ? "+" : ""}${(r.margin as number).toFixed(2)} | ${
        ((r.seconds as number) / 60).toFixed(1)
      } min | ${Math.round(r.framesPerSecond as number)} |`
  ),
].join("\n");
console.log(table);
await Deno.mkdir(runsDir, { recursive: true });
const stem = cnnStudy ? "cnn_table" : "table";
await Deno.writeTextFile(`${runsDir}/${stem}.md`, table + "\n");
await Deno.writeTextFile(
  `${runsDir}/${stem}.json`,
  JSON.stringify({ frames, random, randomSd: sd(randomScores), rows }, null, 2),
);
if (curves.length) {
  const xs = curves.flatMap((c) => c.x);
  await saveFigure(
    stack([
      lines([
        ...curves,
        { name: "random policy", values: [random, random], x: [0, Math.max(...xs)] },
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
    { dir: runsDir, name: cnnStudy ? "cnn_learning_curves" : "learning_curves" },
  );
  console.log(
    `fig4:catch: ${runsDir}/${stem}.md, ${runsDir}/${
      cnnStudy ? "cnn_learning_curves" : "learning_curves"
    }.png`,
  );
}

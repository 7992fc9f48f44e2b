/**
 * `deno task fig2:table`: the comparison of Fig. 2. Runs (or resumes, or only collects) one Fig. 2
 * run per method in `<out>/<name>` (LSNN by BPTT and by e-prop with symmetric, random, adaptive and
 * global feedback; the LSTM by BPTT and by e-prop), then prints the table: frame error on 39 and 61
 * classes for validation and test at the point selected on validation, the initial network's
 * error, epochs, time per epoch and firing rate; writes table.md, table.json and the learning
 * curves of all runs on one plot.
 *
 * @module
 */
import { FlagError, type FlagSpecs, type FlagValues, MAX_SEED, parseFlags } from "../cli/flags.ts";
import { commandMain, fileError, InputError, RunFailure } from "../cli/command.ts";
import { computationKey } from "../cli/run_key.ts";
import { checkReplaceable, recordOutput, writeOutput } from "../cli/outputs.ts";
import { onInterrupt } from "../cli/interrupt.ts";
import type { TimitCache } from "../data/timit_cache.ts";
import { saveFigure } from "../plot/render.ts";
import { formatDuration } from "../train/progress.ts";
import {
  checkFig2Flags,
  checkFig2Memory,
  FIG2_FLAGS,
  loadFig2Data,
  longestUtterance,
  type SplitSummary,
} from "../experiments/fig2.ts";
import { main as fig2Main } from "./fig2.ts";
import {
  fig2RunLabel,
  type Fig2RunSummary,
  initialScores,
  learningCurve,
  readFig2Run,
  writeFig2Figures,
} from "../experiments/fig2_report.ts";
import { learningCurvesFigure } from "../experiments/fig2_figures.ts";

/** The runs of the comparison: folder name and the fig2 flags that make it. */
export const FIG2_TABLE_RUNS: readonly { name: string; args: readonly string[] }[] = [
  { name: "lsnn-bptt", args: ["--method", "bptt"] },
  { name: "lsnn-eprop-symmetric", args: ["--method", "eprop", "--feedback", "symmetric"] },
  { name: "lsnn-eprop-random", args: ["--method", "eprop", "--feedback", "random"] },
  { name: "lsnn-eprop-adaptive", args: ["--method", "eprop", "--feedback", "adaptive"] },
  { name: "lsnn-eprop-global", args: ["--method", "eprop", "--feedback", "global"] },
  { name: "lstm-bptt", args: ["--model", "lstm", "--method", "bptt"] },
  {
    name: "lstm-eprop-symmetric",
    args: ["--model", "lstm", "--method", "eprop", "--feedback", "symmetric"],
  },
];

/** The flags of `deno task fig2:table`. */
export const FIG2_TABLE_FLAGS: FlagSpecs = {
  data: { type: "string", default: "", help: "TIMIT cache folder (deno task timit:prepare)" },
  out: { type: "string", default: "out/fig2-table", help: "folder of the runs and the table" },
  runs: {
    type: "string",
    default: FIG2_TABLE_RUNS.map((r) => r.name).join(","),
    help: "comma-separated runs, from: " + FIG2_TABLE_RUNS.map((r) => r.name).join(", "),
  },
  "n-epochs": {
    type: "int",
    default: 8,
    min: 1,
    max: 1_000_000,
    help:
      "epochs per run (the paper trains 80; 8 take about 2 hours for the whole table on 2 cores)",
  },
  seed: { type: "int", default: 0, min: 0, max: MAX_SEED, help: "random seed of every run" },
  workers: { type: "int", default: 0, min: 0, max: 256, help: "gradient workers per LSNN run" },
  collect: {
    type: "boolean",
    default: false,
    help: "only collect: train nothing, report the folders as they are (runs still going included)",
  },
  force: {
    type: "boolean",
    default: false,
    help:
      "replace table.md, table.json and learning_curves.svg/.png in --out even if fig2:table did not write them",
  },
};

/** Usage of `deno task fig2:table`. */
export const FIG2_TABLE_USAGE = `usage: deno task fig2:table --data DIR [options]

Runs every method of Fig. 2 (LSNN: BPTT and e-prop with symmetric, random, adaptive and global
feedback; LSTM: BPTT and e-prop) on the TIMIT cache in --data, each in <out>/<name>-<flags>-<data>
(a folder keyed by every flag that changes the run and by the cache's content: a finished run is
collected, an interrupted one resumed, other flags or data run anew), and prints the comparison:
frame error on 39 and 61 classes for validation and test at the epoch selected on validation,
epochs, time per epoch and firing rate. --collect only reads the folders (--data then adds the
initial network's error and missing figures). table.md, table.json and the learning curves
replace only files fig2:table wrote (--force: any).`;

/** One row of the table. */
export interface Fig2TableRow {
  /** Run folder name. */
  name: string;
  /** Method label. */
  label: string;
  /** The run, when its folder holds one. */
  run?: Fig2RunSummary;
  /** The initial network's scores, when the data was given. */
  initial?: { validation: SplitSummary; test: SplitSummary };
}

const pct = (x: number | undefined) => (x === undefined ? "-" : `${(100 * x).toFixed(1)}`);

/**
 * The table as Markdown.
 * @param rows The runs.
 * @param baseline Majority-class test error (39 classes), when known.
 * @returns The lines.
 */
export function formatFig2Table(rows: Fig2TableRow[], baseline?: number): string[] {
  const head = [
    "method",
    "val 39",
    "val 61",
    "test 39",
    "test 61",
    "init test 39",
    "selected / trained epochs",
    "time per epoch",
    "rate (Hz)",
  ];
  const lines = [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`];
  for (const r of rows) {
    const b = r.run?.best;
    const cells = r.run && b
      ? [
        r.label,
        pct(b.validation.frameError39),
        pct(b.validation.frameError61),
        pct(b.test.frameError39),
        pct(b.test.frameError61),
        pct(r.initial?.test.frameError39),
        `${+b.epoch.toFixed(2)} / ${+r.run.epochs.toFixed(2)}${
          r.run.complete ? "" : ` of ${r.run.plannedEpochs} (running)`
        }`,
        formatDuration(r.run.secondsPerEpoch),
        r.run.flags.model === "lstm" ? "-" : b.validation.rateHz.toFixed(1),
      ]
      : [r.label, "-", "-", "-", "-", pct(r.initial?.test.frameError39), "not run", "-", "-"];
    lines.push(`| ${cells.join(" | ")} |`);
  }
  if (baseline !== undefined) {
    lines.push(
      `| majority class (training split) | | | ${pct(baseline)} | | | | | |`,
    );
  }
  return lines;
}

/**
 * The error of always answering the training split's most frequent class, on the test split
 * (39 classes, from the cache manifest's class counts).
 * @param cache The data.
 * @returns The error in [0, 1].
 */
export function majorityClassError(cache: TimitCache): number {
  const train = cache.manifest.splits.train.classFrames;
  const test = cache.manifest.splits.test.classFrames;
  let top = 0;
  for (let k = 1; k < train.length; k++) if (train[k] > train[top]) top = k;
  const total = test.reduce((a, v) => a + v, 0);
  return 1 - test[top] / total;
}

/** The table's files in --out (besides the run folders). */
export const FIG2_TABLE_OUTPUTS: readonly string[] = [
  "table.md",
  "table.json",
  "learning_curves.svg",
  "learning_curves.png",
];

/** Flags of a fig2 run that do not change what it computes (besides the bookkeeping ones). */
const NOT_COMPUTATION = ["data", "workers", "verify-data", "no-figures"];

/**
 * The fig2 flags of one run of the table (defaults filled in, --out left out).
 * @param run The run.
 * @param values The table's flags.
 * @returns The flags, as fig2 parses them.
 */
export function fig2TableRunFlags(
  run: { args: readonly string[] },
  values: FlagValues,
): { args: string[]; values: FlagValues } {
  const args = [
    ...run.args,
    ...(values.data === "" ? [] : ["--data", values.data as string]),
    "--seed",
    String(values.seed),
    "--n-epochs",
    String(values["n-epochs"]),
    ...(run.args.includes("lstm") ? [] : ["--workers", String(values.workers)]),
  ];
  return { args, values: parseFlags(args, FIG2_FLAGS).values };
}

/**
 * The folder of one run: `<name>-<16 hex of its computation flags>-<8 hex of its data>`, so that
 * a table with another --seed, --n-epochs or data runs new runs, never reports old ones.
 * @param name The run's name.
 * @param flags Its fig2 flags.
 * @param contentHash The data's content hash (undefined: the prefix only, for --collect).
 * @returns The folder name (or its prefix, ending in "-").
 */
export function fig2TableRunFolder(
  name: string,
  flags: FlagValues,
  contentHash?: string,
): string {
  const key = computationKey("fig2", flags, NOT_COMPUTATION).slice("fig2-".length);
  return `${name}-${key}-${contentHash === undefined ? "" : contentHash.slice(0, 8)}`;
}

/** Runs fig2 in this process; its one-line error comes back as this task's error. */
async function runOne(
  name: string,
  argv: string[],
  log: (line: string) => void,
): Promise<void> {
  const errors: string[] = [];
  const error = console.error;
  console.error = (...a: unknown[]) => errors.push(a.join(" "));
  let code;
  try {
    code = await fig2Main(argv, { log });
  } finally {
    console.error = error;
  }
  if (code === 0) return;
  const message = `the run ${name} failed: ${
    errors.join(" ").replace(/^\s*fig2: /, "").split("\n")[0] || `exit ${code}`
  }`;
  throw code === 2 ? new InputError(message) : new RunFailure(message);
}

async function isDir(path: string): Promise<boolean | undefined> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw fileError(e, `read ${path}`);
  }
}

/**
 * Runs `deno task fig2:table`.
 * @param args Command-line arguments.
 * @param options Where to print.
 * @returns The exit code.
 */
export function main(
  args: string[],
  options: { log?: (line: string) => void } = {},
): Promise<number> {
  const log = options.log ?? console.log;
  return commandMain(
    { name: "fig2:table", usage: FIG2_TABLE_USAGE, flags: FIG2_TABLE_FLAGS },
    args,
    async ({ values }) => {
      const task = "fig2:table";
      const out = (values.out as string).replace(/(.)\/+$/, "$1");
      const force = values.force as boolean;
      const names = (values.runs as string).split(",").map((s) => s.trim());
      if (names.some((n) => n === "")) {
        throw new FlagError(`--runs must be run names separated by commas, got "${values.runs}"`);
      }
      const chosen = names.map((n, i) => {
        const r = FIG2_TABLE_RUNS.find((x) => x.name === n);
        if (!r) {
          throw new FlagError(
            `--runs: unknown run ${JSON.stringify(n)}; expected some of ${
              FIG2_TABLE_RUNS.map((x) => x.name).join(", ")
            }`,
          );
        }
        if (names.indexOf(n) !== i) throw new FlagError(`--runs names ${n} more than once`);
        return r;
      });
      const collect = values.collect as boolean;
      if (!collect && values.data === "") {
        throw new FlagError("--data is required to train (or pass --collect to only report)");
      }
      const outIsDir = await isDir(out);
      if (outIsDir === false) throw new InputError(`--out ${out} is a file; give a folder`);
      // Whatever features the cache holds (each run checks its own --features).
      const cache = values.data === ""
        ? undefined
        : await loadFig2Data({ data: values.data } as FlagValues);
      const plans = chosen.map((r) => {
        const flags = fig2TableRunFlags(r, values);
        if (cache && !collect) {
          if (cache.manifest.features.kind !== flags.values.features) {
            throw new InputError(
              `--data ${values.data} holds ${cache.manifest.features.kind} features; the table's runs use ${flags.values.features} (prepare the cache with --features ${flags.values.features})`,
            );
          }
          checkFig2Flags(flags.values);
          checkFig2Memory(flags.values, cache.splits.train.dim, longestUtterance(cache));
        }
        return { run: r, ...flags };
      });
      // The table's own files: refused before hours of training, not after.
      for (const name of FIG2_TABLE_OUTPUTS) {
        await checkReplaceable(`${out}/${name}`, { task, force });
      }
      const folders = outIsDir
        ? await (async () => {
          const list: string[] = [];
          for await (const e of Deno.readDir(out)) if (e.isDirectory) list.push(e.name);
          return list;
        })()
        : [];
      let current = "";
      const removeHandler = onInterrupt(() =>
        `${current ? `the run ${current} keeps its last checkpoint; ` : ""}` +
        `run the same deno task fig2:table command again to continue (finished runs are kept)`
      );
      const rows: Fig2TableRow[] = [];
      try {
        for (const p of plans) {
          const r = p.run;
          let folder: string | undefined;
          if (cache) folder = fig2TableRunFolder(r.name, p.values, cache.manifest.contentHash);
          else {
            const prefix = fig2TableRunFolder(r.name, p.values);
            const found = folders.filter((f) => f.startsWith(prefix)).sort();
            if (found.length > 1) {
              throw new InputError(
                `${out} holds runs of ${r.name} with these flags on ${found.length} caches (${
                  found.join(", ")
                }); pass --data to choose`,
              );
            }
            folder = found[0];
          }
          const dir = folder ? `${out}/${folder}` : undefined;
          let run = dir ? await readFig2Run(dir) : undefined;
          if (!collect && dir && !run?.complete) {
            const exists = await Deno.stat(`${dir}/checkpoint.json`).then(() => true, () => false);
            const argv = exists ? ["--resume", "--out", dir] : [...p.args, "--out", dir];
            log(
              `fig2:table: ${exists ? "resuming" : "running"} ${r.name}: deno task fig2 ${
                argv.join(" ")
              }`,
            );
            current = r.name;
            await runOne(r.name, argv, log);
            current = "";
            run = await readFig2Run(dir);
          }
          const row: Fig2TableRow = { name: r.name, label: r.name, run };
          if (run && dir) {
            row.label = fig2RunLabel(run.flags);
            if (cache) {
              row.initial = await initialScores(dir, run.flags, cache);
              const hasFigures = await Deno.stat(`${dir}/confusion.png`).then(
                () => true,
                () => false,
              );
              if (run.complete && !hasFigures) await writeFig2Figures(dir, run, cache, log);
            }
          }
          rows.push(row);
        }
      } finally {
        removeHandler();
      }
      const baseline = cache ? majorityClassError(cache) : undefined;
      const table = formatFig2Table(rows, baseline);
      for (const line of table) log(line);
      try {
        await Deno.mkdir(out, { recursive: true });
      } catch (e) {
        throw fileError(e, `create --out ${out}`);
      }
      await writeOutput(`${out}/table.md`, table.join("\n") + "\n", { task, force });
      await writeOutput(
        `${out}/table.json`,
        JSON.stringify(
          {
            majorityClassTestError39: baseline ?? null,
            runs: rows.map((r) => ({
              name: r.name,
              label: r.label,
              complete: r.run?.complete ?? false,
              epochs: r.run?.epochs ?? 0,
              secondsPerEpoch: r.run?.secondsPerEpoch ?? null,
              best: r.run?.best ?? null,
              initial: r.initial ?? null,
            })),
          },
          null,
          1,
        ) + "\n",
        { task, force },
      );
      const curves = rows.filter((r) => r.run).map((r) =>
        learningCurve(r.label, r.run!, r.initial)
      );
      if (curves.length > 0) {
        const fig = await saveFigure(
          learningCurvesFigure(curves, "Fig. 2: frame error (39 classes) per epoch"),
          { dir: out, name: "learning_curves" },
        );
        await recordOutput(fig.svg);
        await recordOutput(fig.png);
        log(`fig2:table: ${out}/table.md, table.json, ${fig.png}`);
      }
    },
  );
}

if (import.meta.main) Deno.exit(await main(Deno.args));

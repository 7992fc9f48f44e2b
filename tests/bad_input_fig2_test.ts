/**
 * Bad inputs and faults of fig2, fig2:table, timit:synth, timit:prepare and timit:features, run
 * as a user would (the tasks' own command lines): flags, folders, caches (bytes changed in place,
 * truncated, missing, another version), resume (other data, changed flags), memory, outputs that
 * are not the table's; and what these commands keep: the cache's hashes checked when it is
 * opened, a table keyed by its flags (a new --seed runs anew), timit:synth continuing its own
 * interrupted corpus.
 */
import assert from "node:assert/strict";
import { badInputTests, type Case, runTask } from "./_bad_input.ts";
import { canRun, skipNote } from "./_tools.ts";
import { writeTinyTimit } from "./_tiny_timit.ts";
import { main as timitPrepare } from "../src/apps/timit_prepare.ts";
import { main as fig2Main } from "../src/apps/fig2.ts";
import {
  FIG2_TABLE_FLAGS,
  FIG2_TABLE_RUNS,
  fig2TableRunFlags,
  fig2TableRunFolder,
  main as fig2TableMain,
} from "../src/apps/fig2_table.ts";
import { FIG2_FLAGS, loadFig2Data, runFig2 } from "../src/experiments/fig2.ts";
import { parseFlags } from "../src/cli/flags.ts";
import { readTimitCache, SAMPLE_CHUNK_BYTES, sampleRanges } from "../src/data/timit_cache.ts";

const HAVE_FLITE = await canRun("flite");
if (!HAVE_FLITE) {
  skipNote(
    "bad_input_fig2_test",
    "flite is not installed (apt-get install flite)",
    "the timit:synth cases that need it",
  );
}

async function quiet<T>(f: () => Promise<T>): Promise<T> {
  const log = console.log, error = console.error;
  console.log = () => {};
  console.error = () => {};
  try {
    return await f();
  } finally {
    console.log = log;
    console.error = error;
  }
}

// One tiny corpus and its caches for every case (copied into a case's folder when it changes them).
const SHARED = await Deno.makeTempDir({ prefix: "fig2-bad-" });
globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(SHARED, { recursive: true });
  } catch { /* gone */ }
});
await writeTinyTimit(`${SHARED}/corpus`);
await writeTinyTimit(`${SHARED}/corpus2`, { seed: 7 });
for (
  const [corpus, out, features] of [
    ["corpus", "cache", "fbank"],
    ["corpus2", "cache2", "fbank"],
    ["corpus", "cache-mfcc", "mfcc"],
  ]
) {
  const code = await quiet(() =>
    timitPrepare([
      "--timit",
      `${SHARED}/${corpus}`,
      "--out",
      `${SHARED}/${out}`,
      "--no-figure",
      "--features",
      features,
    ])
  );
  assert.equal(code, 0);
}
const CACHE = `${SHARED}/cache`, CACHE2 = `${SHARED}/cache2`;

/** Copies the cache into a case's folder. */
async function copyCache(to: string, from = CACHE): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) {
    await Deno.copyFile(`${from}/${e.name}`, `${to}/${e.name}`);
  }
}

/** Overwrites bytes of a file in place (same size). */
async function overwrite(path: string, at: number, bytes: number[]): Promise<void> {
  const f = await Deno.open(path, { write: true });
  await f.seek(at, Deno.SeekMode.Start);
  await f.write(new Uint8Array(bytes));
  f.close();
}

const TINY = [
  "--n-regular",
  "4",
  "--n-adaptive",
  "2",
  "--workers",
  "1",
  "--n-batch",
  "4",
  "--print-every",
  "0",
  "--no-figures",
];

/** A finished tiny fig2 run in `out` on `data` (2 iterations). */
async function tinyRun(out: string, data = CACHE, extra: string[] = []): Promise<void> {
  const code = await quiet(() =>
    fig2Main(["--data", data, "--out", out, "--n-iter", "2", ...TINY, ...extra], { log: () => {} })
  );
  assert.equal(code, 0);
}

/** fig2's arguments: the tiny run on the shared cache into $DIR/run, with `extra` overriding. */
function fig2(extra: string[]): string[] {
  const base = ["--data", CACHE, "--out", "$DIR/run", ...TINY];
  const given = new Set(extra.filter((a) => a.startsWith("--")));
  const out: string[] = [];
  for (let i = 0; i < base.length; i++) {
    const flag = base[i], hasValue = i + 1 < base.length && !base[i + 1].startsWith("--");
    if (!given.has(flag)) out.push(flag, ...(hasValue ? [base[i + 1]] : []));
    if (hasValue) i++;
  }
  return [...out, ...extra];
}

const CASES: Case[] = [
  // fig2: flags.
  {
    what: "--n-batch 0",
    task: "fig2",
    args: fig2(["--n-batch", "0"]),
    message: /--n-batch must be >= 1, got 0/,
  },
  {
    what: "--n-iter 1.5",
    task: "fig2",
    args: fig2(["--n-iter", "1.5"]),
    message: /--n-iter must be an integer/,
  },
  { what: "--seed -1", task: "fig2", args: fig2(["--seed", "-1"]), message: /--seed must be >= 0/ },
  {
    what: "--learning-rate 0",
    task: "fig2",
    args: fig2(["--learning-rate", "0"]),
    message: /--learning-rate must be > 0/,
  },
  {
    what: "--method foo",
    task: "fig2",
    args: fig2(["--method", "foo"]),
    message: /--method must be one of eprop, bptt/,
  },
  {
    what: "--feedback with --method bptt",
    task: "fig2",
    args: fig2(["--method", "bptt", "--feedback", "random"]),
    message: /--feedback applies only with --method eprop/,
  },
  {
    what: "--kp-lambda without adaptive feedback",
    task: "fig2",
    args: fig2(["--kp-lambda", "0.1"]),
    message: /--kp-lambda applies only with --feedback adaptive/,
  },
  {
    what: "an LSNN flag with --model lstm",
    task: "fig2",
    args: ["--data", CACHE, "--out", "$DIR/run", "--model", "lstm", "--tau-a", "100"],
    message: /--tau-a applies only with --model lsnn/,
  },
  {
    what: "a repeated flag",
    task: "fig2",
    args: fig2(["--seed", "1", "--seed", "2"]),
    message: /--seed is given more than once/,
  },
  {
    what: "--n-iter with --n-epochs",
    task: "fig2",
    args: fig2(["--n-iter", "3", "--n-epochs", "2"]),
    message: /--n-iter sets the run's length, --n-epochs would be ignored/,
  },
  { what: "an unknown flag", task: "fig2", args: fig2(["--epochs", "3"]), message: /unknown flag/ },
  {
    what: "no --data",
    task: "fig2",
    args: ["--out", "$DIR/run"],
    message: /--data is required/,
    absent: ["run"],
  },
  // fig2: memory, refused before allocating.
  {
    what: "2 x 200k neurons",
    task: "fig2",
    args: [
      "--data",
      CACHE,
      "--out",
      "$DIR/run",
      "--n-regular",
      "100000",
      "--n-adaptive",
      "100000",
    ],
    message: /--n-regular 100000 --n-adaptive 100000 .* needs about [\d.]+ GiB, more than/,
    absent: ["run"],
  },
  {
    what: "a batch whose records do not fit one core",
    task: "fig2",
    args: [
      "--data",
      CACHE,
      "--out",
      "$DIR/run",
      "--n-batch",
      "2000",
      "--workers",
      "1",
      "--method",
      "bptt",
    ],
    message: /--n-batch 2000 .*utterances of up to \d+ frames in --data.* needs about/,
    absent: ["run"],
  },
  // fig2: the data.
  {
    what: "--data missing",
    task: "fig2",
    args: fig2(["--data", "$DIR/none"]),
    message: /--data .*none: .*manifest\.json: missing or unreadable/,
    absent: ["run"],
  },
  {
    what: "--features mfcc on an fbank cache",
    task: "fig2",
    args: fig2(["--features", "mfcc"]),
    message: /holds fbank features \(123 per frame\), the run expects mfcc/,
    absent: ["run"],
  },
  {
    what: "a cache whose feature bytes were overwritten in place (same size)",
    task: "fig2",
    args: fig2(["--data", "$DIR/cache"]),
    setup: async (d) => {
      await copyCache(`${d}/cache`);
      await overwrite(`${d}/cache/train.features.f32`, 4000, [1, 2, 3, 4]);
    },
    message:
      /train\.features\.f32: its bytes differ from the manifest's SHA-256 .*deno task timit:prepare --timit .* --out NEW_FOLDER/,
    absent: ["run"],
  },
  {
    what: "a cache whose labels were overwritten in place, with --verify-data",
    task: "fig2",
    args: fig2(["--data", "$DIR/cache", "--verify-data"]),
    setup: async (d) => {
      await copyCache(`${d}/cache`);
      const bytes = await Deno.readFile(`${d}/cache/test.labels.u8`);
      await overwrite(`${d}/cache/test.labels.u8`, 10, [(bytes[10] + 1) % 61]);
    },
    message: /test\.labels\.u8: its bytes differ from the manifest's SHA-256/,
    absent: ["run"],
  },
  {
    what: "a truncated cache file",
    task: "fig2",
    args: fig2(["--data", "$DIR/cache"]),
    setup: async (d) => {
      await copyCache(`${d}/cache`);
      const bytes = await Deno.readFile(`${d}/cache/validation.features.f32`);
      await Deno.writeFile(`${d}/cache/validation.features.f32`, bytes.subarray(0, 100));
    },
    message: /validation\.features\.f32: holds 100 bytes, the manifest says \d+ \(truncated/,
    absent: ["run"],
  },
  {
    what: "a missing cache file",
    task: "fig2",
    args: fig2(["--data", "$DIR/cache"]),
    setup: async (d) => {
      await copyCache(`${d}/cache`);
      await Deno.remove(`${d}/cache/test.lengths.i32`);
    },
    message: /test\.lengths\.i32: missing or unreadable/,
    absent: ["run"],
  },
  {
    what: "a manifest of another version",
    task: "fig2",
    args: fig2(["--data", "$DIR/cache"]),
    setup: async (d) => {
      await copyCache(`${d}/cache`);
      const m = JSON.parse(await Deno.readTextFile(`${d}/cache/manifest.json`));
      m.version = 2;
      await Deno.writeTextFile(`${d}/cache/manifest.json`, JSON.stringify(m));
    },
    message: /manifest\.json: version 2 is not supported .*timit:prepare/,
    absent: ["run"],
  },
  {
    what: "a manifest whose hashes were edited",
    task: "fig2",
    args: fig2(["--data", "$DIR/cache"]),
    setup: async (d) => {
      await copyCache(`${d}/cache`);
      const m = JSON.parse(await Deno.readTextFile(`${d}/cache/manifest.json`));
      m.files["train.ids.txt"].sha256 = "0".repeat(64);
      await Deno.writeTextFile(`${d}/cache/manifest.json`, JSON.stringify(m));
    },
    message: /train\.ids\.txt: its bytes differ|contentHash does not match/,
    absent: ["run"],
  },
  {
    what: "a manifest without its labels",
    task: "fig2",
    args: fig2(["--data", "$DIR/cache"]),
    setup: async (d) => {
      await copyCache(`${d}/cache`);
      const m = JSON.parse(await Deno.readTextFile(`${d}/cache/manifest.json`));
      delete m.labels;
      await Deno.writeTextFile(`${d}/cache/manifest.json`, JSON.stringify(m));
    },
    message: /manifest\.json: has no "labels"/,
    absent: ["run"],
  },
  // fig2: run folders and resume.
  {
    what: "--out holding files but no run",
    task: "fig2",
    args: fig2([]),
    setup: async (d) => {
      await Deno.mkdir(`${d}/run`);
      await Deno.writeTextFile(`${d}/run/notes.txt`, "mine");
    },
    message: /--out .*run holds files but no run \(notes\.txt\)/,
  },
  {
    what: "--out naming a file",
    task: "fig2",
    args: fig2(["--out", "$DIR/notes.txt"]),
    setup: (d) => Deno.writeTextFile(`${d}/notes.txt`, "mine"),
    message: /--out .*notes\.txt is a file/,
  },
  {
    what: "--resume without a checkpoint",
    task: "fig2",
    args: ["--resume", "--out", "$DIR/run"],
    setup: (d) => Deno.mkdir(`${d}/run`),
    message: /--resume: no checkpoint at .*run\/checkpoint\.json/,
  },
  {
    what: "--resume of a damaged checkpoint",
    task: "fig2",
    args: ["--resume", "--out", "$DIR/run"],
    setup: async (d) => {
      await Deno.mkdir(`${d}/run`);
      await Deno.writeTextFile(`${d}/run/checkpoint.json`, '{"version": 1, "kind": "fig2"');
    },
    message: /cannot resume from .*checkpoint\.json.*not valid JSON/,
  },
  {
    what: "--resume of another experiment's checkpoint",
    task: "fig2",
    args: ["--resume", "--out", "$DIR/run"],
    setup: async (d) => {
      await Deno.mkdir(`${d}/run`);
      await Deno.writeTextFile(
        `${d}/run/checkpoint.json`,
        JSON.stringify({ version: 1, kind: "fig3", format: "network", state: {} }),
      );
    },
    message: /--resume.*fig3 run, not/,
  },
  {
    what: "--resume after --data was replaced by another corpus",
    task: "fig2",
    args: ["--resume", "--out", "$DIR/run", "--n-iter", "4"],
    setup: async (d) => {
      await copyCache(`${d}/data`);
      await tinyRun(`${d}/run`, `${d}/data`);
      await Deno.remove(`${d}/data`, { recursive: true });
      await copyCache(`${d}/data`, CACHE2);
    },
    message:
      /--data .*data holds other data \(content [0-9a-f]+\) than the run in .* was trained on/,
  },
  {
    what: "--resume naming another corpus with --data",
    task: "fig2",
    args: ["--resume", "--out", "$DIR/run", "--data", CACHE2],
    setup: (d) => tinyRun(`${d}/run`),
    message: /--data .*cache2 holds other data/,
  },
  {
    what: "--resume with a flag that changes the computation",
    task: "fig2",
    args: ["--resume", "--out", "$DIR/run", "--seed", "5"],
    setup: (d) => tinyRun(`${d}/run`),
    message:
      /--seed 5 contradicts the checkpoint, which was run with --seed 0 \(on resume only .*--learning-rate/,
  },
  {
    what: "--resume with --n-epochs of a run started with --n-iter",
    task: "fig2",
    args: ["--resume", "--out", "$DIR/run", "--n-epochs", "5"],
    setup: (d) => tinyRun(`${d}/run`),
    message: /--n-epochs would be ignored: the run in .* was started with --n-iter 2/,
  },
  {
    what: "--resume with a budget below what the run has done",
    task: "fig2",
    args: ["--resume", "--out", "$DIR/run", "--n-iter", "1"],
    setup: (d) => tinyRun(`${d}/run`),
    message: /--n-iter 1 is less than the 2 iterations the run in .* has done/,
  },
  // fig2:table.
  {
    what: "--runs naming an unknown run",
    task: "fig2:table",
    args: ["--collect", "--out", "$DIR", "--runs", "lsnn-foo"],
    message: /--runs: unknown run "lsnn-foo"/,
  },
  {
    what: "--runs naming a run twice",
    task: "fig2:table",
    args: ["--collect", "--out", "$DIR", "--runs", "lsnn-bptt,lsnn-bptt"],
    message: /--runs names lsnn-bptt more than once/,
  },
  {
    what: "--runs with an empty name",
    task: "fig2:table",
    args: ["--collect", "--out", "$DIR", "--runs", "lsnn-bptt,"],
    message: /--runs must be run names separated by commas/,
  },
  {
    what: "training without --data",
    task: "fig2:table",
    args: ["--out", "$DIR"],
    message: /--data is required to train/,
  },
  {
    what: "--n-epochs 0",
    task: "fig2:table",
    args: ["--data", CACHE, "--out", "$DIR", "--n-epochs", "0"],
    message: /--n-epochs must be >= 1/,
  },
  {
    what: "a user's table.md in --out",
    task: "fig2:table",
    args: ["--collect", "--out", "$DIR", "--runs", "lsnn-bptt"],
    setup: (d) => Deno.writeTextFile(`${d}/table.md`, "my notes"),
    message: /table\.md already exists and was not written by this project; pass --force/,
  },
  {
    what: "a user's learning_curves.png in --out",
    task: "fig2:table",
    args: ["--collect", "--out", "$DIR", "--runs", "lsnn-bptt"],
    setup: (d) => Deno.writeTextFile(`${d}/learning_curves.png`, "my figure"),
    message: /learning_curves\.png already exists .*pass --force/,
  },
  {
    what: "a damaged results.json of a run, collected",
    task: "fig2:table",
    args: ["--collect", "--out", "$DIR", "--runs", "lsnn-bptt"],
    setup: async (d) => {
      const values = parseFlags([], FIG2_TABLE_FLAGS).values;
      const run = FIG2_TABLE_RUNS.find((r) => r.name === "lsnn-bptt")!;
      const folder = `${
        fig2TableRunFolder(run.name, fig2TableRunFlags(run, values).values)
      }0123abcd`;
      await Deno.mkdir(`${d}/${folder}`);
      await Deno.writeTextFile(`${d}/${folder}/results.json`, "{ not json");
    },
    message: /results\.json is not the results of a fig2 run \(damaged or edited\)/,
  },
  {
    what: "--out naming a file",
    task: "fig2:table",
    args: ["--collect", "--out", "$DIR/notes.txt"],
    setup: (d) => Deno.writeTextFile(`${d}/notes.txt`, "mine"),
    message: /--out .*notes\.txt is a file/,
  },
  {
    what: "a tampered cache",
    task: "fig2:table",
    args: ["--data", "$DIR/cache", "--out", "$DIR/table"],
    setup: async (d) => {
      await copyCache(`${d}/cache`);
      await overwrite(`${d}/cache/train.labels.u8`, 3, [0]);
      await overwrite(`${d}/cache/train.labels.u8`, 4, [1]);
    },
    message: /train\.labels\.u8: its bytes differ/,
    absent: ["table"],
  },
  {
    what: "an mfcc cache for the table's fbank runs",
    task: "fig2:table",
    args: ["--data", `${SHARED}/cache-mfcc`, "--out", "$DIR/table"],
    message: /holds mfcc features; the table's runs use fbank/,
    absent: ["table"],
  },
  {
    what: "--workers out of range",
    task: "fig2:table",
    args: ["--data", CACHE, "--out", "$DIR/table", "--workers", "100000"],
    message: /--workers must be <= 256/,
  },
  // timit:prepare.
  {
    what: "no --timit",
    task: "timit:prepare",
    args: ["--out", "$DIR/cache"],
    message: /--timit is required/,
  },
  {
    what: "--timit missing",
    task: "timit:prepare",
    args: ["--timit", "$DIR/none", "--out", "$DIR/cache"],
    message: /cannot read --timit .*none: no such file/,
    absent: ["cache"],
  },
  {
    what: "--out holding a finished cache",
    task: "timit:prepare",
    args: ["--timit", `${SHARED}/corpus`, "--out", "$DIR/cache"],
    setup: (d) => copyCache(`${d}/cache`),
    message: /already holds a TIMIT cache \(manifest\.json\)/,
  },
  {
    what: "--out holding other files",
    task: "timit:prepare",
    args: ["--timit", `${SHARED}/corpus`, "--out", "$DIR/cache"],
    setup: async (d) => {
      await Deno.mkdir(`${d}/cache`);
      await Deno.writeTextFile(`${d}/cache/notes.txt`, "mine");
    },
    message: /--out .*cache holds files that are not a TIMIT cache \(notes\.txt\)/,
  },
  // timit:features.
  {
    what: "a file that is not audio",
    task: "timit:features",
    args: ["$DIR/a.wav"],
    setup: (d) => Deno.writeTextFile(`${d}/a.wav`, "hello"),
    message: /Cannot read audio: .*a\.wav: format: neither NIST SPHERE/,
  },
  {
    what: "a missing file",
    task: "timit:features",
    args: ["$DIR/none.wav"],
    message: /cannot read .*none\.wav: no such file/,
  },
  // timit:synth.
  {
    what: "--speakers 2",
    task: "timit:synth",
    args: ["--out", "$DIR/c", "--speakers", "2"],
    message: /--speakers must be >= 3/,
  },
  {
    what: "--small with --sentences",
    task: "timit:synth",
    args: ["--out", "$DIR/c", "--small", "--sentences", "3"],
    message: /--small sets --speakers 12 --sentences 4/,
  },
  ...(HAVE_FLITE
    ? [
      {
        what: "--out holding foreign files",
        task: "timit:synth",
        args: ["--out", "$DIR/c", "--small"],
        setup: async (d: string) => {
          await Deno.mkdir(`${d}/c`);
          await Deno.writeTextFile(`${d}/c/notes.txt`, "mine");
        },
        message: /--out .*c holds files that are not a timit:synth corpus \(notes\.txt\)/,
      },
      {
        what: "an unfinished corpus of other settings",
        task: "timit:synth",
        args: ["--out", "$DIR/c", "--small", "--seed", "2"],
        setup: async (d: string) => {
          await Deno.mkdir(`${d}/c`);
          await Deno.writeTextFile(
            `${d}/c/.timit-synth-partial.json`,
            JSON.stringify({ seed: 1, speakers: 12, sentences: 4, flite: "x" }),
          );
        },
        message:
          /holds an unfinished corpus of timit:synth with other settings: --seed 2 \(it was made with 1\); continue it with --speakers 12 --sentences 4 --seed 1/,
      },
    ]
    : []),
];

badInputTests(CASES);

Deno.test("timit:synth without flite: one line, exit 2, no Deno permission noise", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        "--allow-write",
        "--allow-run",
        "src/apps/timit_synth.ts",
        "--out",
        `${dir}/c`,
        "--small",
      ],
      cwd: new URL("..", import.meta.url),
      env: { PATH: `${dir}/no-bin`, NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 2, stderr);
    assert.equal(stderr.trim().split("\n").length, 1, stderr);
    assert.match(stderr, /^timit:synth: flite is not installed .*apt-get install flite/);
    await assert.rejects(Deno.stat(`${dir}/c`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  // The task's own permission names no program (Deno's "Failed to resolve" came before our line).
  const tasks = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url))).tasks;
  assert.doesNotMatch(tasks["timit:synth"].command, /--allow-run=/);
});

Deno.test("the cache check on open: sampled chunks of large files, every byte with the full check", async () => {
  const ranges = sampleRanges(10_000_000);
  assert.equal(ranges.length, 64);
  assert.deepEqual(ranges[0], [0, SAMPLE_CHUNK_BYTES]);
  assert.equal(ranges.at(-1)![1], 10_000_000);
  for (let i = 1; i < ranges.length; i++) assert.ok(ranges[i][0] >= ranges[i - 1][1]);
  assert.deepEqual(sampleRanges(1000), [[0, 1000]]);
  const manifest = JSON.parse(await Deno.readTextFile(`${CACHE}/manifest.json`));
  for (const entry of Object.values(manifest.files) as { sample?: string }[]) {
    assert.match(entry.sample!, /^[0-9a-f]{64}$/);
  }
  const dir = await Deno.makeTempDir();
  try {
    await copyCache(`${dir}/c`);
    await overwrite(`${dir}/c/validation.features.f32`, 8, [9, 9, 9, 9]);
    // Sampled (as a large file would be): these small files are one chunk, so caught.
    await assert.rejects(
      readTimitCache(`${dir}/c`, { fullHashBelow: 0 }),
      /validation\.features\.f32: its bytes differ/,
    );
    await assert.rejects(
      readTimitCache(`${dir}/c`, { check: "full" }),
      /validation\.features\.f32: its bytes differ/,
    );
    // Unchecked, the same bytes are read (the check is what refuses them).
    const unchecked = await readTimitCache(`${dir}/c`, { check: "none" });
    assert.ok(unchecked.splits.validation.features.length > 0);
    await readTimitCache(CACHE, { check: "full" });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fig2: checkpoints at the start and after the first update, the data's hash recorded, resume keeps it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const values = parseFlags(
      ["--data", CACHE, "--n-iter", "5", "--checkpoint-every", "3", ...TINY],
      FIG2_FLAGS,
    ).values;
    const cache = await loadFig2Data(values);
    const stored: number[] = [];
    const run = await runFig2(values, cache, {
      log: () => {},
      store: (cp) => {
        stored.push(cp.state.iteration);
        return Promise.resolve();
      },
    });
    run.network.dispose();
    assert.deepEqual(stored, [0, 1, 3, 5]); // before training, the first update, every 3, the end
    await tinyRun(`${dir}/run`);
    const cp = JSON.parse(await Deno.readTextFile(`${dir}/run/checkpoint.json`));
    assert.equal(cp.flags["data-sha256"], cache.manifest.contentHash);
    // The same content in another folder may be named on resume; the budget may grow.
    await copyCache(`${dir}/moved`);
    const code = await quiet(() =>
      fig2Main(["--resume", "--out", `${dir}/run`, "--data", `${dir}/moved`, "--n-iter", "3"], {
        log: () => {},
      })
    );
    assert.equal(code, 0);
    const results = JSON.parse(await Deno.readTextFile(`${dir}/run/results.json`));
    assert.equal(results.iterations, 3);
    assert.deepEqual(results.history.at(-1).changed["n-iter"], [2, 3]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fig2:table: a new --seed runs anew (the old table is not printed); an interrupted run is resumed; outputs only its own or --force", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const table = `${dir}/table`;
    const run = async (extra: string[]) => {
      const lines: string[] = [];
      const code = await quiet(() =>
        fig2TableMain(
          [
            "--data",
            CACHE,
            "--out",
            table,
            "--runs",
            "lstm-bptt",
            "--n-epochs",
            "1",
            "--workers",
            "1",
            ...extra,
          ],
          { log: (l) => lines.push(l) },
        )
      );
      return { code, lines };
    };
    const folders = async () => {
      const out: string[] = [];
      for await (const e of Deno.readDir(table)) if (e.isDirectory) out.push(e.name);
      return out.sort();
    };
    const first = await run(["--seed", "0"]);
    assert.equal(first.code, 0);
    assert.ok(first.lines.some((l) => /running lstm-bptt/.test(l)), first.lines.join("\n"));
    const [folder0] = await folders();
    assert.match(folder0, /^lstm-bptt-[0-9a-f]{16}-[0-9a-f]{8}$/);
    const row0 = first.lines.find((l) => l.startsWith("| LSTM BPTT"))!;
    const md0 = await Deno.readTextFile(`${table}/table.md`);
    // The same flags again: collected, nothing trained; the table it wrote may be replaced.
    const again = await run(["--seed", "0"]);
    assert.equal(again.code, 0);
    assert.ok(!again.lines.some((l) => /running|resuming/.test(l)), again.lines.join("\n"));
    assert.equal(again.lines.find((l) => l.startsWith("| LSTM BPTT")), row0);
    // A new seed: a new run in a new folder, its own numbers.
    const seeded = await run(["--seed", "1"]);
    assert.equal(seeded.code, 0);
    assert.ok(seeded.lines.some((l) => /running lstm-bptt/.test(l)), seeded.lines.join("\n"));
    assert.equal((await folders()).length, 2);
    const md1 = await Deno.readTextFile(`${table}/table.md`);
    assert.notEqual(md1, md0);
    const json = JSON.parse(await Deno.readTextFile(`${table}/table.json`));
    assert.notDeepEqual(json.runs[0].best, null);
    // An interrupted run (a checkpoint, no results.json) is resumed, never counted as finished.
    const seed1 = (await folders()).find((f) => f !== folder0)!;
    await Deno.remove(`${table}/${seed1}/results.json`);
    const resumed = await run(["--seed", "1"]);
    assert.equal(resumed.code, 0);
    assert.ok(resumed.lines.some((l) => /resuming lstm-bptt/.test(l)), resumed.lines.join("\n"));
    await Deno.stat(`${table}/${seed1}/results.json`);
    // A user's edit of table.md is kept unless --force.
    await Deno.writeTextFile(`${table}/table.md`, "my notes\n");
    const refused = await run(["--seed", "1"]);
    assert.equal(refused.code, 2);
    assert.equal(await Deno.readTextFile(`${table}/table.md`), "my notes\n");
    const forced = await run(["--seed", "1", "--force"]);
    assert.equal(forced.code, 0);
    assert.match(await Deno.readTextFile(`${table}/table.md`), /^\| method/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "timit:synth: continues its own interrupted corpus to the same bytes",
  ignore: !HAVE_FLITE,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const whole = await runTask("timit:synth", ["--out", `${dir}/a`, "--small"]);
      assert.equal(whole.code, 0, whole.stderr);
      // Interrupted: Ctrl-C once the first utterances are written.
      const child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-read",
          "--allow-write",
          "--allow-run",
          "src/apps/timit_synth.ts",
          "--out",
          `${dir}/b`,
          "--small",
          "--jobs",
          "1",
        ],
        cwd: new URL("..", import.meta.url),
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const txt = async () => {
        let n = 0;
        const walk = async (d: string) => {
          for await (const e of Deno.readDir(d)) {
            if (e.isDirectory) await walk(`${d}/${e.name}`);
            else if (e.name.endsWith(".TXT")) n++;
          }
        };
        await walk(`${dir}/b`).catch(() => {});
        return n;
      };
      for (let i = 0; i < 200 && (await txt()) < 5; i++) {
        await new Promise((r) => setTimeout(r, 25));
      }
      child.kill("SIGINT");
      const out = await child.output();
      const stderr = new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 130, stderr);
      assert.match(
        stderr,
        /interrupted: \d+\/72 utterances are written .*run the same command again/,
      );
      await assert.rejects(Deno.stat(`${dir}/b/SYNTH.json`));
      // The same command continues it; the result is the uninterrupted corpus, byte for byte.
      const rest = await runTask("timit:synth", ["--out", `${dir}/b`, "--small"]);
      assert.equal(rest.code, 0, rest.stderr);
      assert.match(rest.stdout, /continuing an interrupted run: \d+ already written/);
      const diff = await new Deno.Command("diff", { args: ["-r", `${dir}/a`, `${dir}/b`] })
        .output();
      assert.ok(diff.success, new TextDecoder().decode(diff.stdout));
      // Finished: the same command has nothing to do; other settings are refused.
      const done = await runTask("timit:synth", ["--out", `${dir}/b`, "--small"]);
      assert.equal(done.code, 0);
      assert.match(done.stdout, /already holds this corpus/);
      const other = await runTask("timit:synth", ["--out", `${dir}/b`, "--small", "--seed", "3"]);
      assert.equal(other.code, 2);
      assert.match(
        other.stderr,
        /already holds a stand-in corpus made with other settings: --seed 3/,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

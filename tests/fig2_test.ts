/**
 * `deno task fig2` on a tiny synthetic TIMIT cache (no flite): a small bidirectional LSNN learns
 * (training loss falls) with e-prop and BPTT, a resumed run equals an uninterrupted one bit for
 * bit, and bad --data folders are refused with one line (exit 2).
 */
import assert from "node:assert/strict";
import { writeTinyTimit } from "./_tiny_timit.ts";
import { main as timitPrepare } from "../src/apps/timit_prepare.ts";
import { main as fig2Main } from "../src/apps/fig2.ts";
import {
  FIG2_TABLE_FLAGS,
  FIG2_TABLE_RUNS,
  fig2TableRunFlags,
  fig2TableRunFolder,
  main as fig2TableMain,
  majorityClassError,
} from "../src/apps/fig2_table.ts";
import { parseFlags } from "../src/cli/flags.ts";
import { loadFig2Data } from "../src/experiments/fig2.ts";
import { networkCheckpointFromJson } from "../src/train/network_trainer.ts";
import { paramLeaves } from "../src/net/params.ts";

const TINY_LSNN = ["--n-regular", "6", "--n-adaptive", "2", "--workers", "1"];

const TINY_LSTM = ["--model", "lstm", "--n-lstm", "6"];
const TINY = [
  "--n-batch",
  "4",
  "--ramp",
  "2",
  "--learning-rate",
  "0.02",
  "--print-every",
  "0",
  "--precision",
  "f64",
];

/** Runs fig2 in this process; returns the exit code and what it printed on stderr. */
async function fig2(args: string[]): Promise<{ code: number; stderr: string; lines: string[] }> {
  const errors: string[] = [], lines: string[] = [];
  const error = console.error;
  console.error = (...a: unknown[]) => errors.push(a.join(" "));
  try {
    const code = await fig2Main(args, { log: (l) => lines.push(l) });
    return { code, stderr: errors.join("\n"), lines };
  } finally {
    console.error = error;
  }
}

async function quiet<T>(f: () => Promise<T>): Promise<T> {
  const log = console.log;
  console.log = () => {};
  try {
    return await f();
  } finally {
    console.log = log;
  }
}

async function makeCache(dir: string, features = "fbank"): Promise<string> {
  const corpus = `${dir}/corpus`;
  try {
    await Deno.stat(corpus);
  } catch {
    await writeTinyTimit(corpus);
  }
  const out = `${dir}/cache-${features}`;
  const code = await quiet(() =>
    timitPrepare(["--timit", corpus, "--out", out, "--no-figure", "--features", features])
  );
  assert.equal(code, 0);
  return out;
}

async function readState(out: string) {
  return networkCheckpointFromJson(
    await Deno.readTextFile(`${out}/checkpoint.json`),
    out,
    "fig2",
  ).state;
}

Deno.test("fig2: a tiny bidirectional LSNN learns with e-prop and BPTT; resume is exact; bad --data", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const data = await makeCache(dir);
    for (
      const [model, method, feedback] of [
        ["lsnn", "eprop", "symmetric"],
        ["lsnn", "eprop", "adaptive"],
        ["lsnn", "eprop", "global"],
        ["lsnn", "bptt"],
        ["lstm", "bptt"],
        ["lstm", "eprop", "random"],
      ]
    ) {
      const out = `${dir}/run-${model}-${method}-${feedback ?? ""}`;
      const r = await fig2([
        "--data",
        data,
        "--out",
        out,
        "--method",
        method,
        ...(feedback ? ["--feedback", feedback] : []),
        "--n-iter",
        "30",
        "--validate-every",
        "10",
        ...TINY,
        ...(model === "lstm" ? TINY_LSTM : TINY_LSNN),
        ...(method === "bptt" ? [] : ["--no-figures"]),
      ]);
      assert.equal(r.code, 0, r.stderr);
      const results = JSON.parse(await Deno.readTextFile(`${out}/results.json`));
      const train = results.train as { headLoss: number }[];
      const mean = (xs: { headLoss: number }[]) =>
        xs.reduce((a, x) => a + x.headLoss, 0) / xs.length;
      const before = mean(train.slice(0, 2)), after = mean(train.slice(-2));
      console.log(
        `${model} ${method} ${feedback ?? ""}: CE ${before.toFixed(4)} -> ${after.toFixed(4)}`,
      );
      assert.ok(after < before, `${method}: loss ${before} -> ${after}`);
      assert.equal(results.epochsHistory.length, 3);
      for (const e of results.epochsHistory) {
        for (const split of [e.validation, e.test]) {
          assert.ok(split.frameError39 <= split.frameError61);
          assert.ok(split.frameError61 > 0 && split.frameError61 <= 1);
        }
      }
      // Selected on validation: the lowest 39-class validation error, its test score beside it.
      const lowest = Math.min(
        ...results.epochsHistory.map((e: { validation: { frameError39: number } }) =>
          e.validation.frameError39
        ),
      );
      assert.equal(results.best.validation.frameError39, lowest);
      const at = results.epochsHistory.find((e: { iteration: number }) =>
        e.iteration === results.best.iteration
      );
      assert.deepEqual(results.best.test, at.test);
      const best = JSON.parse(await Deno.readTextFile(`${out}/best.json`));
      assert.equal(best.record.iteration, results.best.iteration);
      assert.ok(r.lines.some((l) => /frame error validation .* test /.test(l)));
      if (method === "bptt") {
        for (const name of ["confusion", "utterance", "learning_curve"]) {
          const png = await Deno.readFile(`${out}/${name}.png`);
          assert.deepEqual([...png.subarray(1, 4)], [80, 78, 71], `${name}.png`); // "PNG"
        }
        const svg = await Deno.readTextFile(`${out}/utterance.svg`);
        assert.match(svg, /phone posteriors/);
        assert.equal(svg.includes("spikes of"), model === "lsnn");
      }
    }

    // Resume equals an uninterrupted run, bit for bit (parameters, optimizer, losses).
    for (const [model, extra] of [["lsnn", TINY_LSNN], ["lstm", TINY_LSTM]] as const) {
      const base = ["--data", data, "--method", "eprop", "--feedback", "random", ...TINY, ...extra];
      const whole = await fig2([...base, "--out", `${dir}/whole-${model}`, "--n-iter", "6"]);
      assert.equal(whole.code, 0, whole.stderr);
      const part = await fig2([...base, "--out", `${dir}/part-${model}`, "--n-iter", "3"]);
      assert.equal(part.code, 0, part.stderr);
      const rest = await fig2(["--resume", "--out", `${dir}/part-${model}`, "--n-iter", "6"]);
      assert.equal(rest.code, 0, rest.stderr);
      assert.match(rest.lines[0], /resuming at iteration 3/);
      const a = await readState(`${dir}/whole-${model}`);
      const b = await readState(`${dir}/part-${model}`);
      assert.equal(b.iteration, 6);
      const la = paramLeaves(a.params), lb = paramLeaves(b.params);
      assert.equal(la.length, model === "lstm" ? 8 : 6);
      la.forEach((leaf, i) => assert.deepEqual(lb[i].data, leaf.data, leaf.path));
      assert.deepEqual(b.optimizer, a.optimizer);
      assert.deepEqual(b.feedback, a.feedback);
      assert.deepEqual(b.train, a.train);
      const ra = JSON.parse(await Deno.readTextFile(`${dir}/whole-${model}/results.json`));
      const rb = JSON.parse(await Deno.readTextFile(`${dir}/part-${model}/results.json`));
      assert.deepEqual(rb.best, ra.best);
      assert.deepEqual(rb.last, ra.last);
    }
    // LSNN-only flags are refused for the LSTM.
    const lstmFlag = await fig2([
      "--data",
      data,
      "--out",
      `${dir}/refused`,
      ...TINY_LSTM,
      "--thr",
      "0.1",
    ]);
    assert.equal(lstmFlag.code, 2);
    assert.match(lstmFlag.stderr, /--thr applies only with --model lsnn/);

    // Bad --data folders: one line, exit 2.
    const refuse = async (args: string[], pattern: RegExp, lines = 1) => {
      const r = await fig2([...args, "--out", `${dir}/refused`, ...TINY, ...TINY_LSNN]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, pattern);
      assert.equal(r.stderr.trim().split("\n").length, lines, r.stderr);
    };
    await refuse([], /--data is required/, 2); // and the pointer to --help
    await refuse(["--data", `${dir}/none`], /none\/manifest\.json: missing or unreadable/);
    const mfcc = await makeCache(dir, "mfcc");
    await refuse(["--data", mfcc], /holds mfcc features \(39 per frame\), the run expects fbank/);
    const bytes = await Deno.readFile(`${mfcc}/train.features.f32`);
    await Deno.writeFile(`${mfcc}/train.features.f32`, bytes.subarray(0, bytes.length - 4));
    await refuse(["--data", mfcc, "--features", "mfcc"], /train\.features\.f32: holds/);
    await assert.rejects(Deno.stat(`${dir}/refused`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fig2:table collects finished and running runs into the comparison", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const data = await makeCache(dir);
    const table = `${dir}/table`;
    // The folder the table keys each run by (its flags and the cache's content).
    const content = (await loadFig2Data({ data, features: "fbank" })).manifest.contentHash;
    const tableValues = parseFlags(["--data", data], FIG2_TABLE_FLAGS).values;
    const folder = (name: string) =>
      fig2TableRunFolder(
        name,
        fig2TableRunFlags(FIG2_TABLE_RUNS.find((r) => r.name === name)!, tableValues).values,
        content,
      );
    for (
      const [name, extra] of [
        ["lsnn-eprop-random", ["--method", "eprop", "--feedback", "random", ...TINY_LSNN]],
        ["lstm-bptt", ["--method", "bptt", ...TINY_LSTM]],
      ] as const
    ) {
      const r = await fig2([
        "--data",
        data,
        "--out",
        `${table}/${folder(name)}`,
        "--n-iter",
        "8",
        "--validate-every",
        "4",
        "--no-figures",
        ...TINY,
        ...extra,
      ]);
      assert.equal(r.code, 0, r.stderr);
    }
    // The LSTM run "still going": only its checkpoint is there.
    await Deno.remove(`${table}/${folder("lstm-bptt")}/results.json`);
    const lines: string[] = [];
    const code = await fig2TableMain([
      "--collect",
      "--data",
      data,
      "--out",
      table,
      "--runs",
      "lsnn-eprop-random,lstm-bptt,lsnn-bptt",
    ], { log: (l) => lines.push(l) });
    assert.equal(code, 0);
    const results = JSON.parse(
      await Deno.readTextFile(`${table}/${folder("lsnn-eprop-random")}/results.json`),
    );
    const row = lines.find((l) => l.startsWith("| LSNN e-prop (random)"))!;
    const cells = row.split("|").map((c) => c.trim());
    assert.equal(cells[3], (100 * results.best.validation.frameError61).toFixed(1));
    assert.equal(cells[4], (100 * results.best.test.frameError39).toFixed(1));
    assert.match(lines.find((l) => l.startsWith("| LSTM BPTT"))!, /\(running\)/);
    assert.match(lines.find((l) => l.startsWith("| lsnn-bptt"))!, /not run/);
    const cache = await loadFig2Data({ data, features: "fbank" });
    const majority = (100 * majorityClassError(cache)).toFixed(1);
    assert.ok(lines.some((l) => l.startsWith("| majority class") && l.includes(majority)));
    const json = JSON.parse(await Deno.readTextFile(`${table}/table.json`));
    assert.equal(json.runs.length, 3);
    // The initial network (drawn from the seed) is scored once and cached.
    const initial = JSON.parse(
      await Deno.readTextFile(`${table}/${folder("lsnn-eprop-random")}/initial.json`),
    );
    assert.ok(initial.test.frameError39 > results.best.test.frameError39);
    assert.ok((await Deno.stat(`${table}/learning_curves.png`)).size > 1000);
    assert.ok(
      (await Deno.stat(`${table}/${folder("lsnn-eprop-random")}/confusion.png`)).size > 1000,
    );
    // A running run whose data folder is gone: one line naming it, exit 2.
    const cpPath = `${table}/${folder("lstm-bptt")}/checkpoint.json`;
    const cp = JSON.parse(await Deno.readTextFile(cpPath));
    cp.flags.data = `${dir}/moved`;
    await Deno.writeTextFile(cpPath, JSON.stringify(cp));
    const errors: string[] = [];
    const error = console.error;
    console.error = (...a: unknown[]) => errors.push(a.join(" "));
    try {
      const moved = await fig2TableMain(["--collect", "--out", table, "--runs", "lstm-bptt"], {
        log: () => {},
      });
      assert.equal(moved, 2);
    } finally {
      console.error = error;
    }
    assert.match(errors.join("\n"), /still going .* data folder .*moved cannot tell its epochs/);
    // Unknown runs are refused by name.
    const bad = await fig2TableMain(["--collect", "--out", table, "--runs", "lsnn-foo"], {
      log: () => {},
    });
    assert.equal(bad, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

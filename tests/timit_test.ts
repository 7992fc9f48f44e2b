/**
 * The TIMIT tools end to end: `timit:prepare` on a small hand-made corpus (counts, a readable
 * cache, the same bytes twice, bad --timit folders), and `timit:synth --small` (when flite is
 * installed): reproducible byte for byte, and prepared by `timit:prepare`.
 */
import assert from "node:assert/strict";
import { writeSphere } from "../src/data/audio.ts";
import { readTimitCache } from "../src/data/timit_cache.ts";
import { CLASSES_39 } from "../src/data/timit_corpus.ts";
import { segmentsFromPsdur } from "../src/apps/timit_synth.ts";
import { canRun } from "./_tools.ts";

const ROOT = new URL("..", import.meta.url);
const decoder = new TextDecoder();

async function run(
  script: string,
  permissions: string[],
  args: string[],
  env?: Record<string, string>,
) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...permissions, script, ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env,
  }).output();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

const prepare = (args: string[]) =>
  run("src/apps/timit_prepare.ts", ["--allow-read", "--allow-write"], args);
const synth = (args: string[], env?: Record<string, string>) =>
  run("src/apps/timit_synth.ts", ["--allow-read", "--allow-write", "--allow-run"], args, env);

/** SHA-256 of every file under a folder, by relative path. */
async function hashes(dir: string, skip: RegExp = /^$/): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (rel: string) => {
    for await (const e of Deno.readDir(`${dir}/${rel}`)) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory) await walk(path);
      else if (!skip.test(path)) {
        const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(`${dir}/${path}`));
        out[path] = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join(
          "",
        );
      }
    }
  };
  await walk("");
  return Object.fromEntries(Object.entries(out).sort());
}

/**
 * Writes a small corpus in TIMIT's layout: noise bursts and tones labelled as phones, for one
 * training speaker per region given, a validation and a core-test speaker.
 */
async function writeFakeCorpus(dir: string): Promise<void> {
  let seed = 7;
  const noise = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5) * 2;
  const speakers = [
    ["TRAIN", "DR1", "FCJF0"],
    ["TRAIN", "DR2", "MDAB1"],
    ["TEST", "DR1", "FAKS0"],
    ["TEST", "DR1", "MWBT0"],
    ["TEST", "DR3", "MXYZ0"], // in neither list
  ];
  for (const [folder, dr, speaker] of speakers) {
    const path = `${dir}/${folder}/${dr}/${speaker}`;
    await Deno.mkdir(path, { recursive: true });
    for (const [k, id] of ["SA1", "SI1", "SX2", "SX3"].entries()) {
      const phones = ["h#", "s", "iy", "sh", "aa", "h#"];
      const n = 8000 + 1600 * k;
      const bounds = phones.map((_, i) => Math.round((i * n) / phones.length)).concat(n);
      const samples = new Int16Array(n);
      phones.forEach((p, i) => {
        for (let t = bounds[i]; t < bounds[i + 1]; t++) {
          samples[t] = p === "h#"
            ? Math.round(20 * noise())
            : /s|sh/.test(p)
            ? Math.round(3000 * noise())
            : Math.round(6000 * Math.sin((t * (p === "iy" ? 300 : 120) * 2 * Math.PI) / 16000));
        }
      });
      await Deno.writeFile(`${path}/${id}.WAV`, writeSphere(samples, 16000));
      await Deno.writeTextFile(
        `${path}/${id}.PHN`,
        phones.map((p, i) => `${bounds[i]} ${bounds[i + 1]} ${p}\n`).join(""),
      );
      await Deno.writeTextFile(`${path}/${id}.WRD`, `${bounds[1]} ${bounds[5]} see\n`);
      await Deno.writeTextFile(`${path}/${id}.TXT`, `0 ${n} See.\n`);
    }
  }
}

Deno.test("timit:prepare on a small corpus: counts, a readable cache, the same bytes twice", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeFakeCorpus(`${dir}/corpus`);
    const first = await prepare(["--timit", `${dir}/corpus`, "--out", `${dir}/a`]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /train: 6 utterances, 2 speakers/);
    assert.match(first.stdout, /validation: 3 utterances, 1 speakers/);
    assert.match(first.stdout, /test: 3 utterances, 1 speakers/);
    const cache = await readTimitCache(`${dir}/a`, { verifyHash: true });
    assert.equal(cache.manifest.features.dim, 123);
    assert.deepEqual(cache.splits.train.ids.slice(0, 3), [
      "DR1/FCJF0/SI1",
      "DR1/FCJF0/SX2",
      "DR1/FCJF0/SX3",
    ]);
    const train = cache.splits.train;
    // 9600 samples: 1 + ceil((9600 - 400) / 160) = 59 frames.
    assert.equal(train.lengths[0], 59);
    assert.equal(train.features.length, train.offsets[6] * 123);
    // Z-scored with the training statistics: mean 0 and deviation 1 per dimension.
    for (const d of [0, 40, 41, 122]) {
      let sum = 0, sq = 0;
      const n = train.features.length / 123;
      for (let f = 0; f < n; f++) {
        sum += train.features[f * 123 + d];
        sq += train.features[f * 123 + d] ** 2;
      }
      assert.ok(Math.abs(sum / n) < 1e-4, `mean of dim ${d}`);
      assert.ok(Math.abs(sq / n - 1) < 1e-3, `variance of dim ${d}`);
    }
    assert.equal(cache.phones[train.labels[0]], "h#");
    assert.equal(cache.classes39[cache.folding[train.labels[0]]], "sil");
    assert.deepEqual(
      new Set([...train.labels].map((l) => cache.phones[l])),
      new Set(["h#", "s", "iy", "sh", "aa"]),
    );
    const classFrames = cache.manifest.splits.train.classFrames;
    assert.equal(classFrames.length, CLASSES_39.length);
    assert.equal(classFrames.reduce((a, b) => a + b, 0), train.labels.length);
    const png = await Deno.readFile(`${dir}/a/utterance.png`);
    assert.deepEqual([...png.subarray(1, 4)], [80, 78, 71]);
    const second = await prepare(["--timit", `${dir}/corpus/`, "--out", `${dir}/b`, "--no-figure"]);
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(await hashes(`${dir}/b`), await hashes(`${dir}/a`, /^utterance\./));
    const mfcc = await prepare([
      "--timit",
      `${dir}/corpus`,
      "--out",
      `${dir}/c`,
      "--features",
      "mfcc",
      "--no-figure",
    ]);
    assert.equal(mfcc.code, 0, mfcc.stderr);
    assert.equal((await readTimitCache(`${dir}/c`)).splits.test.dim, 39);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("timit:prepare: bad --timit folders, bad files and a used --out are refused (exit 2)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const refuse = async (args: string[], pattern: RegExp) => {
      const r = await prepare(args);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, pattern);
      assert.doesNotMatch(r.stderr, /\n\s+at /); // no stack trace
    };
    await refuse(["--out", `${dir}/o`], /--timit is required/);
    await refuse(
      ["--timit", `${dir}/none`, "--out", `${dir}/o`],
      /cannot read --timit .*none: no such file or folder/,
    );
    await Deno.mkdir(`${dir}/empty`);
    await refuse(
      ["--timit", `${dir}/empty`, "--out", `${dir}/o`],
      /empty: holds no TRAIN or TEST folder \(found nothing\)/,
    );
    await writeFakeCorpus(`${dir}/corpus`);
    await refuse(
      ["--timit", `${dir}/corpus/TRAIN`, "--out", `${dir}/o`],
      /holds no TRAIN or TEST folder \(found DR1, DR2\)/,
    );
    await Deno.remove(`${dir}/corpus/TRAIN/DR1/FCJF0/SX2.WAV`);
    await Deno.writeTextFile(`${dir}/corpus/TEST/DR1/FAKS0/SX3.PHN`, "0 5000 h#\n4000 11200 aa\n");
    await refuse(
      ["--timit", `${dir}/corpus`, "--out", `${dir}/o`],
      /FCJF0\/SX2\.PHN: has no audio file SX2\.WAV beside it/,
    );
    await Deno.writeTextFile(`${dir}/used.txt`, "x");
    await Deno.mkdir(`${dir}/used`);
    await Deno.writeTextFile(`${dir}/used/notes.txt`, "x");
    await refuse(
      ["--timit", `${dir}/corpus`, "--out", `${dir}/used`, "--skip-bad"],
      /--out .*used holds files/,
    );
    const skipped = await prepare([
      "--timit",
      `${dir}/corpus`,
      "--out",
      `${dir}/o`,
      "--skip-bad",
      "--no-figure",
    ]);
    assert.equal(skipped.code, 0, skipped.stderr);
    assert.match(skipped.stdout, /skipped 2 bad file\(s\)/);
    assert.match(skipped.stdout, /FAKS0\/SX3\.PHN: line 2: segment 4000-11200 "aa" overlaps/);
    const cache = await readTimitCache(`${dir}/o`);
    assert.equal(cache.splits.train.ids.length, 5);
    assert.equal(cache.splits.validation.ids.length, 2);
    assert.deepEqual(cache.manifest.source.skipped.map((s) => s.file.replace(/^.*corpus\//, "")), [
      "TRAIN/DR1/FCJF0/SX2.PHN",
      "TEST/DR1/FAKS0/SX3.PHN",
    ]);
    // A damaged cache is named by the reader.
    await Deno.writeFile(`${dir}/o/test.features.f32`, new Uint8Array(12));
    await assert.rejects(
      () => readTimitCache(`${dir}/o`),
      /Cannot read TIMIT cache: .*test\.features\.f32: holds 12 bytes/,
    );
    await assert.rejects(
      () => readTimitCache(`${dir}/corpus`),
      /Cannot read TIMIT cache: .*manifest\.json: missing or unreadable; prepare the cache with deno task timit:prepare/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const hasFlite = await canRun("flite"); // flite --version exits 1: being found is enough
if (!hasFlite) {
  console.log(
    "timit_test: flite is not installed (apt-get install flite): skipping the timit:synth tests",
  );
}

Deno.test({
  name: "timit:synth --small: the same bytes twice, and prepared end to end",
  ignore: !hasFlite,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const [a, b] = await Promise.all([
        synth(["--out", `${dir}/a`, "--small", "--jobs", "1"]),
        synth(["--out", `${dir}/b`, "--small", "--jobs", "1"]),
      ]);
      assert.equal(a.code, 0, a.stderr);
      assert.equal(b.code, 0, b.stderr);
      assert.match(a.stdout, /wrote 72 utterances/);
      const ha = await hashes(`${dir}/a`), hb = await hashes(`${dir}/b`);
      assert.equal(Object.keys(ha).length, 72 * 4 + 1);
      assert.deepEqual(ha, hb);
      const phn = await Deno.readTextFile(`${dir}/a/TEST/DR1/FAKS0/SA1.PHN`);
      assert.match(phn, /^0 \d+ h#\n/);
      assert.match(phn, / h#\n$/);
      const p = await prepare(["--timit", `${dir}/a`, "--out", `${dir}/cache`, "--no-figure"]);
      assert.equal(p.code, 0, p.stderr);
      assert.match(p.stdout, /train: 32 utterances, 8 speakers/);
      assert.match(p.stdout, /validation: 8 utterances, 2 speakers/);
      assert.match(p.stdout, /test: 8 utterances, 2 speakers/);
      const cache = await readTimitCache(`${dir}/cache`, { verifyHash: true });
      const used = new Set([...cache.splits.train.labels].map((l) => cache.phones[l]));
      assert.ok(used.has("h#") && !used.has("pcl") && used.size > 25, [...used].join(" "));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("timit:synth: bad flags and a missing flite exit 2, naming the flag or the package", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const noOut = await synth(["--small"]);
    assert.equal(noOut.code, 2);
    assert.match(noOut.stderr, /--out is required/);
    const both = await synth(["--out", `${dir}/x`, "--small", "--speakers", "20"]);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /--small sets --speakers 12 --sentences 4/);
    const few = await synth(["--out", `${dir}/x`, "--speakers", "2"]);
    assert.equal(few.code, 2);
    assert.match(few.stderr, /--speakers must be >= 3/);
    const missing = await synth(["--out", `${dir}/x`, "--small"], { PATH: `${dir}/no-bin` });
    assert.equal(missing.code, 2, missing.stderr);
    assert.match(missing.stderr, /flite is not installed .*apt-get install flite/);
    await assert.rejects(() => Deno.stat(`${dir}/x`)); // nothing written
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("flite -psdur to segments: samples, h# at the ends, words over their phones", () => {
  const counts = new Map([["the", 2], ["cat", 3]]);
  const seg = segmentsFromPsdur("pau:0.100 dh:0.150 ax:0.200 k:0.260 ae:0.300 t:0.350 pau:0.404 ", {
    samples: 6400,
    words: ["the", "cat"],
    phoneCounts: counts,
  });
  assert.deepEqual(seg.phones.map((p) => `${p.start}-${p.end} ${p.label}`), [
    "0-1600 h#",
    "1600-2400 dh",
    "2400-3200 ax",
    "3200-4160 k",
    "4160-4800 ae",
    "4800-5600 t",
    "5600-6400 h#", // the last end is the audio's length
  ]);
  assert.deepEqual(seg.words, [
    { start: 1600, end: 3200, label: "the" },
    { start: 3200, end: 5600, label: "cat" },
  ]);
  // Resampled audio: times divided by the factor.
  const fast = segmentsFromPsdur("pau:0.100 dh:0.150 ax:0.200 pau:0.300", {
    samples: 2400,
    words: ["the"],
    phoneCounts: counts,
    resample: 2,
  });
  assert.deepEqual(fast.phones.map((p) => p.end), [800, 1200, 1600, 2400]);
  assert.throws(
    () =>
      segmentsFromPsdur("pau:0.1 dh:0.2 pau:0.3", {
        samples: 4800,
        words: ["the"],
        phoneCounts: counts,
      }),
    /flite spoke 1 phones for "the", whose words have 2/,
  );
});

import assert from "node:assert/strict";
import { denoCorpusFiles, writeTimitCache } from "./timit_files.ts";
import {
  MANIFEST_FILE,
  NORMALIZATION_FILE,
  type PreparedUtterance,
  readTimitCache,
  splitFileNames,
  type SplitSummary,
} from "./timit_cache.ts";
import type { SplitName } from "./timit_corpus.ts";

/** SHA-256 (hex) by WebCrypto, independent of node:crypto used by the writer. */
async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as BufferSource));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("denoCorpusFiles: lists files and folders (a link by its target, a dangling link left out) and reads", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/DR1`);
    await Deno.writeTextFile(`${dir}/DR1/SA1.PHN`, "0 10 h#\n");
    await Deno.writeTextFile(`${dir}/note.txt`, "x");
    await Deno.symlink(`${dir}/DR1`, `${dir}/linked`);
    await Deno.symlink(`${dir}/missing`, `${dir}/dangling`);
    const files = denoCorpusFiles();
    const listed = (await files.list(dir)).sort((a, b) => a.name.localeCompare(b.name));
    assert.deepEqual(listed, [
      { name: "DR1", isDirectory: true },
      { name: "linked", isDirectory: true },
      { name: "note.txt", isDirectory: false },
    ]);
    assert.deepEqual(await files.list(`${dir}/linked`), [{ name: "SA1.PHN", isDirectory: false }]);
    assert.equal(new TextDecoder().decode(await files.read(`${dir}/DR1/SA1.PHN`)), "0 10 h#\n");
    await assert.rejects(async () => await files.list(`${dir}/none`), Deno.errors.NotFound);
  });
});

/** A small prepared utterance of `frames` frames of 39 mfcc features. */
function utterance(id: string, frames: number, seed: number): PreparedUtterance {
  return {
    id,
    speaker: id.split("/")[1],
    frames,
    features: Float32Array.from({ length: frames * 39 }, (_, i) => Math.sin(seed + i) * 2),
    labels: Uint8Array.from({ length: frames }, (_, i) => (seed + i) % 61),
    samples: frames * 160 + 240,
  };
}

function summary(us: PreparedUtterance[]): SplitSummary {
  const frames = us.reduce((s, u) => s + u.frames, 0);
  return {
    utterances: us.length,
    speakers: new Set(us.map((u) => u.speaker)).size,
    frames,
    seconds: frames / 100,
    classFrames: new Array(39).fill(0),
  };
}

Deno.test("writeTimitCache: every file's size and SHA-256 in the manifest; the cache reads back as written", async () => {
  await withTempDir(async (dir) => {
    const splits: Record<SplitName, PreparedUtterance[]> = {
      train: [utterance("DR1/FCJF0/SI1027", 3, 1), utterance("DR2/MABC0/SX1", 5, 2)],
      validation: [utterance("DR3/FAAA0/SA1", 2, 3)],
      test: [utterance("DR4/MBBB0/SI9", 4, 4)],
    };
    const mean = Float64Array.from({ length: 39 }, (_, i) => i / 10);
    const std = Float64Array.from({ length: 39 }, (_, i) => 1 + i);
    const summaries = {
      train: summary(splits.train),
      validation: summary(splits.validation),
      test: summary(splits.test),
    };
    const manifest = await writeTimitCache(dir, {
      splits,
      stats: { mean, std },
      kind: "mfcc",
      summaries,
      root: "/corpus",
      skipped: [{ file: "x.WAV", reason: "no .PHN" }],
    });
    // Every file on disk has the size and SHA-256 the manifest records.
    const names = Object.keys(manifest.files);
    assert.equal(names.length, 3 * 4 + 1);
    for (const name of names) {
      const bytes = await Deno.readFile(`${dir}/${name}`);
      assert.equal(manifest.files[name].bytes, bytes.length, name);
      assert.equal(manifest.files[name].sha256, await sha256(bytes), name);
      assert.match(manifest.files[name].sample ?? "", /^[0-9a-f]{64}$/);
    }
    // The content hash: SHA-256 of "<name> <sha256>\n" lines in sorted order.
    const lines = [...names].sort().map((n) => `${n} ${manifest.files[n].sha256}\n`).join("");
    assert.equal(manifest.contentHash, await sha256(new TextEncoder().encode(lines)));
    // The manifest on disk is the one returned; no temporary file is left behind.
    assert.deepEqual(JSON.parse(await Deno.readTextFile(`${dir}/${MANIFEST_FILE}`)), manifest);
    const left = [];
    for await (const e of Deno.readDir(dir)) left.push(e.name);
    assert.ok(!left.some((n) => n.endsWith(".tmp")), left.join(", "));
    // Little-endian data files, utterances back to back.
    const train = splitFileNames("train");
    const lengths = await Deno.readFile(`${dir}/${train.lengths}`);
    assert.deepEqual([...lengths], [3, 0, 0, 0, 5, 0, 0, 0]);
    assert.equal(
      await Deno.readTextFile(`${dir}/${train.ids}`),
      "DR1/FCJF0/SI1027\nDR2/MABC0/SX1\n",
    );
    const norm = JSON.parse(await Deno.readTextFile(`${dir}/${NORMALIZATION_FILE}`));
    assert.deepEqual([norm.kind, norm.dim, norm.mean, norm.std], ["mfcc", 39, [...mean], [...std]]);
    // Read back with the full check: the same numbers.
    const cache = await readTimitCache(dir, { check: "full" });
    for (const split of ["train", "validation", "test"] as const) {
      const us = splits[split];
      const s = cache.splits[split];
      assert.deepEqual(s.ids, us.map((u) => u.id));
      assert.deepEqual([...s.lengths], us.map((u) => u.frames));
      const features = us.flatMap((u) => [...u.features]);
      assert.deepEqual([...s.features], features);
      assert.deepEqual([...s.labels], us.flatMap((u) => [...u.labels]));
    }
    assert.deepEqual([...cache.mean], [...mean]);
    assert.deepEqual([...cache.std], [...std]);
    assert.deepEqual(cache.manifest.source, {
      root: "/corpus",
      skipped: [{ file: "x.WAV", reason: "no .PHN" }],
    });
  });
});

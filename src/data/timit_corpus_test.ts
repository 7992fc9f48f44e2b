import assert from "node:assert/strict";
import { writeSphere } from "./audio.ts";
import {
  CLASSES_39,
  CORE_TEST_SPEAKERS,
  CorpusError,
  type CorpusFiles,
  FOLDED_39,
  foldingTable,
  foldPhone,
  isCoreTestSpeaker,
  isValidationSpeaker,
  loadUtterance,
  parseSegments,
  parseTranscript,
  phoneId,
  splitCounts,
  TIMIT_PHONES,
  VALIDATION_SPEAKERS,
  walkCorpus,
} from "./timit_corpus.ts";

/** Corpus file access over an in-memory tree: path -> file contents. */
export function memoryFiles(tree: Record<string, Uint8Array | string>): CorpusFiles {
  const files = new Map(
    Object.entries(tree).map((
      [k, v],
    ) => [k, typeof v === "string" ? new TextEncoder().encode(v) : v]),
  );
  return {
    list(path: string) {
      const prefix = path === "" ? "" : `${path}/`;
      const entries = new Map<string, boolean>();
      for (const key of files.keys()) {
        if (!key.startsWith(prefix)) continue;
        const rest = key.slice(prefix.length).split("/");
        entries.set(rest[0], rest.length > 1 || entries.get(rest[0]) === true);
      }
      if (
        entries.size === 0 && path !== "" && ![...files.keys()].some((k) => k.startsWith(prefix))
      ) {
        throw new Error(`no such folder ${path}`);
      }
      return [...entries].map(([name, isDirectory]) => ({ name, isDirectory }));
    },
    read(path: string) {
      const f = files.get(path);
      if (!f) throw new Error(`no such file ${path}`);
      return f;
    },
  };
}

/** The four files of one utterance of `n` samples with two phones. */
function utterance(base: string, n = 3200, options: { rate?: number } = {}) {
  return {
    [`${base}.WAV`]: writeSphere(new Int16Array(n), options.rate ?? 16000),
    [`${base}.PHN`]: `0 1000 h#\n1000 ${n - 200} aa\n${n - 200} ${n} h#\n`,
    [`${base}.WRD`]: `1000 ${n - 200} ah\n`,
    [`${base}.TXT`]: `0 ${n} Ah.\n`,
  };
}

/**
 * A fake corpus: one training speaker, a validation, a core-test and an unused TEST speaker; the
 * core-test speaker's audio has a RIFF copy beside it (`.WAV.wav`). `lower`: every name in lower
 * case, as some distributions have it.
 */
function fakeCorpus(lower = false): Record<string, Uint8Array | string> {
  const tree: Record<string, Uint8Array | string> = {};
  for (const id of ["SA1", "SA2", "SI1027", "SX127", "SX217"]) {
    Object.assign(tree, utterance(`TRAIN/DR1/FCJF0/${id}`));
    Object.assign(tree, utterance(`TEST/DR1/FAKS0/${id}`)); // validation
  }
  Object.assign(tree, utterance("TEST/DR1/FELC0/SI1386")); // core test
  tree["TEST/DR1/FELC0/SI1386.WAV.wav"] = new Uint8Array(4);
  Object.assign(tree, utterance("TEST/DR2/MABC0/SI500")); // in neither list
  tree["README.DOC"] = "documentation";
  tree["TRAIN/DR1/FCJF0/.DS_Store"] = "x";
  if (!lower) return tree;
  return Object.fromEntries(Object.entries(tree).map(([k, v]) => [k.toLowerCase(), v]));
}

Deno.test("phones: 61 labels folding to 39 classes, each phone mapped", () => {
  assert.equal(TIMIT_PHONES.length, 61);
  assert.equal(new Set(TIMIT_PHONES).size, 61);
  assert.equal(CLASSES_39.length, 39);
  assert.deepEqual(Object.keys(FOLDED_39), [...TIMIT_PHONES]);
  for (const p of TIMIT_PHONES) assert.ok(CLASSES_39.includes(foldPhone(p)), p);
  const expect: Record<string, string> = {
    ao: "aa",
    ax: "ah",
    "ax-h": "ah",
    axr: "er",
    hv: "hh",
    ix: "ih",
    el: "l",
    em: "m",
    en: "n",
    nx: "n",
    eng: "ng",
    zh: "sh",
    ux: "uw",
  };
  for (const [p, c] of Object.entries(expect)) assert.equal(foldPhone(p), c);
  for (const p of "pcl tcl kcl bcl dcl gcl h# pau epi q".split(" ")) {
    assert.equal(foldPhone(p), "sil");
  }
  const changed = TIMIT_PHONES.filter((p) => FOLDED_39[p] !== p);
  assert.equal(changed.length, 23);
  for (const p of TIMIT_PHONES) {
    if (!changed.includes(p)) assert.equal(foldPhone(p), p);
  }
  const table = foldingTable();
  assert.equal(table.length, 61);
  assert.equal(CLASSES_39[table[phoneId("ix")]], "ih");
  assert.throws(() => foldPhone("xx"), /^RangeError: Cannot fold phone: "xx" is not a TIMIT phone/);
});

Deno.test("splits: the 50 validation and 24 core-test speakers, matched in any case", () => {
  assert.equal(VALIDATION_SPEAKERS.length, 50);
  assert.equal(CORE_TEST_SPEAKERS.length, 24);
  const all = new Set([...VALIDATION_SPEAKERS, ...CORE_TEST_SPEAKERS].map((s) => s.speaker));
  assert.equal(all.size, 74);
  for (let d = 1; d <= 8; d++) {
    assert.equal(CORE_TEST_SPEAKERS.filter((s) => s.dialect === `DR${d}`).length, 3);
  }
  assert.equal(CORE_TEST_SPEAKERS.filter((s) => s.speaker[0] === "F").length, 8);
  assert.ok(isValidationSpeaker("mrjm4") && isValidationSpeaker("MRJM4"));
  assert.ok(isCoreTestSpeaker("Fdhc0") && !isCoreTestSpeaker("FAKS0"));
});

Deno.test("PHN/WRD/TXT: parsed, and every inconsistency named with file and line", () => {
  const phn = parseSegments("0 2000 h#\n2000 2500 sh\n2500 4000 iy\n", "SA1.PHN", {
    kind: "phn",
    samples: 4000,
  });
  assert.deepEqual(phn[1], { start: 2000, end: 2500, label: "sh" });
  const wrd = parseSegments("2000 2400 she\n2600 4000 don't\n", "SA1.WRD", { kind: "wrd" });
  assert.equal(wrd[1].label, "don't"); // gaps and any label in .WRD
  const bad = (text: string, pattern: RegExp, samples?: number) =>
    assert.throws(() => parseSegments(text, "X/SA1.PHN", { kind: "phn", samples }), (e) => {
      assert.ok(e instanceof CorpusError);
      assert.match((e as Error).message, /^Cannot read TIMIT: X\/SA1\.PHN: /);
      assert.match((e as Error).message, pattern);
      return true;
    });
  bad("0 2000 h#\n1900 2500 sh\n", /line 2: segment 1900-2500 "sh" overlaps the previous one/);
  bad("0 2000 h#\n2500 2500 sh\n", /line 2: segment 2500-2500 is empty or reversed/);
  bad("0 2000 h#\n2000 4100 sh\n", /line 2: segment 2000-4100 ends past the audio \(4000/, 4000);
  bad("0 2000 h#\n2000 2500 SH\n", /line 2: "SH" is not one of the 61 TIMIT phones/);
  bad("0 2000\n", /line 1: must be "<start> <end> <label>"/);
  bad("0 -5 h#\n", /line 1: must be/);
  bad("\n\n", /holds no segments/);
  assert.deepEqual(parseTranscript("0 46797 She had your dark suit.\n", "SA1.TXT"), {
    start: 0,
    end: 46797,
    label: "She had your dark suit.",
  });
  assert.throws(() => parseTranscript("She had\n", "SA1.TXT"), /SA1\.TXT: must be/);
});

Deno.test("walkCorpus: an in-memory tree, any case, split by the paper's lists", async () => {
  const { utterances, skipped } = await walkCorpus(memoryFiles(fakeCorpus()));
  assert.deepEqual(skipped, []);
  assert.equal(utterances.length, 12);
  const ids = utterances.map((u) =>
    `${u.folder}/${u.dialect}/${u.speaker}/${u.sentence}:${u.split}`
  );
  assert.deepEqual(ids, [
    "TRAIN/DR1/FCJF0/SA1:undefined",
    "TRAIN/DR1/FCJF0/SA2:undefined",
    "TRAIN/DR1/FCJF0/SI1027:train",
    "TRAIN/DR1/FCJF0/SX127:train",
    "TRAIN/DR1/FCJF0/SX217:train",
    "TEST/DR1/FAKS0/SA1:undefined",
    "TEST/DR1/FAKS0/SA2:undefined",
    "TEST/DR1/FAKS0/SI1027:validation",
    "TEST/DR1/FAKS0/SX127:validation",
    "TEST/DR1/FAKS0/SX217:validation",
    "TEST/DR1/FELC0/SI1386:test",
    "TEST/DR2/MABC0/SI500:undefined",
  ]);
  const felc = utterances.find((u) => u.speaker === "FELC0")!;
  assert.equal(felc.wav, "TEST/DR1/FELC0/SI1386.WAV"); // the SPHERE file, not the RIFF copy
  // The same corpus in lower case.
  const lower = await walkCorpus(memoryFiles(fakeCorpus(true)));
  assert.deepEqual(
    lower.utterances.map((u) => `${u.folder}/${u.dialect}/${u.speaker}/${u.sentence}:${u.split}`),
    ids,
  );
  assert.equal(lower.utterances[10].wav, "test/dr1/felc0/si1386.wav");
  assert.equal(lower.utterances[10].phn, "test/dr1/felc0/si1386.phn");
  assert.deepEqual(splitCounts(utterances), {
    train: { utterances: 3, speakers: 1 },
    validation: { utterances: 3, speakers: 1 },
    test: { utterances: 1, speakers: 1 },
  });
  const loaded = await loadUtterance(memoryFiles(fakeCorpus()), felc);
  assert.equal(loaded.audio.samples.length, 3200);
  assert.equal(loaded.phones.length, 3);
  assert.equal(loaded.words[0].label, "ah");
  assert.equal(loaded.text, "Ah.");
  // Under a root folder.
  const nested = Object.fromEntries(
    Object.entries(fakeCorpus()).map(([k, v]) => [`data/timit/${k}`, v]),
  );
  const again = await walkCorpus(memoryFiles(nested), { root: "data/timit" });
  assert.equal(again.utterances.length, 12);
  assert.equal(again.utterances[0].wav, "data/timit/TRAIN/DR1/FCJF0/SA1.WAV");
});

Deno.test("walkCorpus: missing and inconsistent files are named, or skipped and listed", async () => {
  const broken = fakeCorpus();
  delete broken["TRAIN/DR1/FCJF0/SX127.WAV"]; // a .PHN without .WAV
  delete broken["TEST/DR1/FAKS0/SI1027.PHN"]; // a .WAV without .PHN
  broken["TRAIN/DR2/MEMP0/.keep"] = ""; // an empty speaker folder (only a hidden file)
  await assert.rejects(
    () => walkCorpus(memoryFiles(broken)),
    /^CorpusError: Cannot read TIMIT: TRAIN\/DR1\/FCJF0\/SX127\.PHN: has no audio file SX127\.WAV beside it/,
  );
  const { utterances, skipped } = await walkCorpus(memoryFiles(broken), { skipBad: true });
  assert.equal(utterances.length, 10);
  assert.deepEqual(skipped.map((s) => s.file), [
    "TRAIN/DR1/FCJF0/SX127.PHN",
    "TRAIN/DR2/MEMP0",
    "TEST/DR1/FAKS0/SI1027.WAV",
  ]);
  assert.match(skipped[2].reason, /has no phone file SI1027\.PHN beside it/);
  assert.match(skipped[1].reason, /TRAIN\/DR2\/MEMP0: holds no TIMIT sentence files/);
  await assert.rejects(
    () => walkCorpus(memoryFiles({ "DOC/README": "x" })),
    /Cannot read TIMIT: \.: holds no TRAIN or TEST folder \(found DOC\)/,
  );
  await assert.rejects(
    () => walkCorpus(memoryFiles({})),
    /holds no TRAIN or TEST folder \(found nothing\)/,
  );
  await assert.rejects(
    () => walkCorpus(memoryFiles({ "TRAIN/README": "x" })),
    /TRAIN: holds no dialect-region folders/,
  );
});

Deno.test("loadUtterance: a rate other than 16 kHz and segments past the audio are refused", async () => {
  const tree = {
    ...utterance("TRAIN/DR1/FCJF0/SI1", 3200, { rate: 8000 }),
    ...utterance("TRAIN/DR1/FCJF0/SI2", 3200),
  };
  tree["TRAIN/DR1/FCJF0/SI2.PHN"] = "0 1000 h#\n1000 3300 aa\n";
  const files = memoryFiles(tree);
  const { utterances } = await walkCorpus(files);
  await assert.rejects(
    () => loadUtterance(files, utterances[0]),
    /^CorpusError: Cannot read TIMIT: TRAIN\/DR1\/FCJF0\/SI1\.WAV: sample rate must be 16000 Hz, got 8000/,
  );
  await assert.rejects(
    () => loadUtterance(files, utterances[1]),
    /SI2\.PHN: line 2: segment 1000-3300 ends past the audio \(3200 samples\)/,
  );
  tree["TRAIN/DR1/FCJF0/SI2.WAV"] = new TextEncoder().encode(
    "NIST_1A\n   1024\nsample_coding -s26 pcm,embedded-shorten-v2.00\nend_head\n".padEnd(1024),
  );
  await assert.rejects(
    () => loadUtterance(memoryFiles(tree), utterances[1]),
    /Cannot read TIMIT: TRAIN\/DR1\/FCJF0\/SI2\.WAV: sample_coding .*shorten/,
  );
});

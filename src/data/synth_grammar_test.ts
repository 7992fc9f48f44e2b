import assert from "node:assert/strict";
import {
  generateSentence,
  SA_SENTENCES,
  sentenceText,
  synthPlan,
  synthSplitSizes,
  vocabulary,
} from "./synth_grammar.ts";
import { CORE_TEST_SPEAKERS, splitOf, VALIDATION_SPEAKERS } from "./timit_corpus.ts";
import { Rng } from "../util/rng.ts";

const plan = (speakers: number, sentences: number, seed = 1) =>
  synthPlan({
    speakers,
    sentences,
    seed,
    validationNames: VALIDATION_SPEAKERS,
    testNames: CORE_TEST_SPEAKERS,
  });

Deno.test("grammar: seeded sentences of 5 to 13 vocabulary words, and their transcripts", () => {
  const rng = new Rng(5);
  const vocab = new Set(vocabulary());
  for (let i = 0; i < 2000; i++) {
    const ws = generateSentence(rng);
    assert.ok(ws.length >= 5 && ws.length <= 13, ws.join(" "));
    for (const w of ws) assert.ok(vocab.has(w) && /^[a-z]+$/.test(w), w);
    for (let j = 0; j + 1 < ws.length; j++) {
      if (ws[j] === "a") assert.doesNotMatch(ws[j + 1], /^[aeiou]/);
      if (ws[j] === "an") assert.match(ws[j + 1], /^[aeiou]/);
    }
  }
  assert.equal(
    sentenceText(["on", "sunday", "mary", "found", "a", "key"]),
    "On Sunday Mary found a key.",
  );
  for (const s of SA_SENTENCES) for (const w of s) assert.ok(vocab.has(w));
});

Deno.test("plan: speakers split like TIMIT's lists, disjoint, reproducible", () => {
  assert.deepEqual(synthSplitSizes(192), { train: 144, validation: 24, test: 24 });
  assert.deepEqual(synthSplitSizes(256), { train: 200, validation: 32, test: 24 });
  for (const [n, m] of [[12, 4], [192, 16], [256, 3], [3, 1]]) {
    const p = plan(n, m);
    assert.equal(p.speakers.length, n);
    assert.equal(p.utterances.length, n * (m + 2));
    assert.equal(new Set(p.speakers.map((s) => s.name)).size, n);
    const variants = new Set(p.speakers.map((s) => `${s.voice} ${s.pitch} ${s.tempo}`));
    assert.equal(variants.size, n);
    for (const s of p.speakers) {
      assert.match(s.name, /^[FM][A-Z]{3}\d$/);
      assert.equal(s.name[0], s.voice === "slt" ? "F" : "M");
      assert.match(s.dialect, /^DR[1-8]$/);
      // The corpus reader's split rules give back the planned split.
      assert.equal(splitOf({ folder: s.folder, speaker: s.name, sentence: "SI1" }), s.split);
    }
    // A sentence id names one text, and no text is read in two splits.
    const texts = new Map<string, string>(), splitsOf = new Map<string, Set<string>>();
    for (const u of p.utterances) {
      const text = u.words.join(" ");
      assert.equal(texts.get(u.id) ?? text, text);
      texts.set(u.id, text);
      if (u.id.startsWith("SA")) continue;
      splitsOf.set(text, (splitsOf.get(text) ?? new Set()).add(u.speaker.split));
    }
    for (const [text, splits] of splitsOf) assert.equal(splits.size, 1, text);
  }
  const sizes = plan(192, 16);
  assert.deepEqual(
    { ...synthSplitSizes(192) },
    Object.fromEntries(
      ["train", "validation", "test"].map((
        s,
      ) => [s, sizes.speakers.filter((x) => x.split === s).length]),
    ),
  );
  assert.deepEqual(plan(12, 4, 3), plan(12, 4, 3));
  assert.notDeepEqual(plan(12, 4, 3).utterances, plan(12, 4, 4).utterances);
  assert.throws(() => plan(2, 4), /speakers must be 3 to 256/);
});

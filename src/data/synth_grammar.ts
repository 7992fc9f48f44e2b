// No Deno API: pure text generation (browser-safe).
/**
 * The sentences of the stand-in TIMIT corpus: a small English grammar and a vocabulary written
 * for this project, drawn with a seeded {@linkcode Rng}, so that a seed always gives the same
 * sentences. Sentences are declarative, 5 to 13 words, past or future tense (no agreement to get
 * wrong), lower-case words without digits or punctuation; {@linkcode sentenceText} makes the
 * transcript (capital first letter and names, final period). The vocabulary covers every phone
 * flite produces, `zh` and `oy` included. It avoids homographs (read, live, lead) whose
 * pronunciation depends on context.
 *
 * @example Same seed, same sentence
 * ```ts
 * import { generateSentence } from "./synth_grammar.ts";
 * import { Rng } from "../util/rng.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(generateSentence(new Rng(3)), generateSentence(new Rng(3)));
 * ```
 *
 * @module
 */
import { Rng } from "../util/rng.ts";

const words = (text: string): readonly string[] => Object.freeze(text.trim().split(/\s+/));

/** Nouns for people (subjects and recipients). */
const PEOPLE = words(`
  farmer teacher doctor baker sailor pilot painter singer soldier student neighbor
  judge nurse driver fisherman miner tailor lawyer dancer hunter shepherd gardener
  mother father sister brother uncle aunt cousin daughter grandmother child boy girl
  king queen officer captain merchant carpenter butcher writer stranger visitor`);

/** Nouns for animals. */
const ANIMALS = words(`
  dog cat horse cow goat sheep rabbit mouse fox wolf bear duck goose pigeon owl
  donkey monkey tiger lion turtle frog`);

/** Names (capitalised in the transcript). */
const NAMES = words(`
  mary john peter susan carol david laura george helen frank alice robert nancy walter
  ruth edward judy thomas sarah joseph`);

/** Things (objects). */
const THINGS = words(`
  basket bottle blanket bucket candle chair coat coin cup drum envelope feather fork
  hammer hat jacket kettle key ladder lamp letter map mirror necklace needle pencil
  pillow pipe plate pocket radio ribbon ring rope saddle scarf shovel spoon sugar
  suitcase toy towel treasure umbrella violin wagon watch whistle bread cheese butter
  apple orange onion potato pumpkin cookie sandwich oil honey vegetables fish cake
  book newspaper picture garage engine bicycle boat measure wool leather cloth`);

/** Places (after a preposition). */
const PLACES = words(`
  market river garden kitchen village forest mountain harbor station church school
  bridge valley office corner library island prairie meadow cottage castle shore
  hallway cellar window fountain barn orchard factory museum hospital tunnel`);

/** Adjectives of things and places. */
const ADJECTIVES = words(`
  old new small large heavy light quiet noisy bright dark warm cold wet dry clean
  dirty empty broken rusty shiny yellow purple orange green brown gray golden wooden
  tiny huge narrow wide smooth rough strange ordinary beautiful ugly expensive cheap
  round square thick thin soft loud royal precious`);

/** Adjectives of people and animals. */
const PERSON_ADJECTIVES = words(`
  young old tall short tired hungry clever lazy brave angry happy patient nervous
  careful curious friendly honest gentle busy proud lonely polite cheerful`);

/** Transitive verbs: [base, past]. */
const VERBS_T: readonly (readonly [string, string])[] = Object.freeze(
  `carry carried;find found;bring brought;buy bought;sell sold;paint painted;wash washed;
  mend mended;hide hid;drop dropped;open opened;build built;borrow borrowed;clean cleaned;
  fill filled;lift lifted;push pushed;pull pulled;catch caught;keep kept;need needed;
  want wanted;choose chose;measure measured;polish polished;fold folded;throw threw;
  break broke;steal stole;hold held;watch watched;enjoy enjoyed;destroy destroyed;
  examine examined;describe described;remember remembered;notice noticed;cook cooked;
  deliver delivered;return returned;weigh weighed;touch touched;leave left;draw drew`
    .split(";").map((p) => Object.freeze(p.trim().split(" ") as [string, string])),
);

/** Intransitive verbs: [base, past]. */
const VERBS_I: readonly (readonly [string, string])[] = Object.freeze(
  `sleep slept;wait waited;laugh laughed;sing sang;dance danced;shout shouted;run ran;
  walk walked;swim swam;arrive arrived;rest rested;smile smiled;listen listened;
  travel traveled;work worked;play played;jump jumped;cough coughed;whisper whispered;
  hurry hurried;stay stayed;vanish vanished`
    .split(";").map((p) => Object.freeze(p.trim().split(" ") as [string, string])),
);

/** Giving verbs (past): "X gave a cup to the nurse". */
const VERBS_GIVE = words(`gave sent showed offered handed lent sold brought`);

/** Adverbs of manner. */
const ADVERBS = words(`
  slowly quickly quietly loudly happily gently carefully suddenly early late often
  together alone outside`);

/** Prepositions of place. */
const PREPOSITIONS = words(`in near behind beside under above inside across through along toward`);

/** Time phrases (several words each). */
const TIMES = Object.freeze(
  `yesterday;last night;this morning;every morning;in the evening;before dinner;after lunch;
  on sunday;on monday;at noon;at midnight;in the spring;in the winter;all summer;last year;
  once again;every day;at dawn;soon after;later that week`.split(";").map((t) => words(t)),
);

/** Determiners for things and people ("a" is written "an" before a vowel letter). */
const DETERMINERS = words(`the the the a a my our his her their this that every one`);

/** Intensifiers before an adjective. */
const INTENSIFIERS = words(`very rather quite too always usually`);

/** Subject pronouns. */
const PRONOUNS = words(`she he we they`);

/** The two sentences every speaker reads (like TIMIT's SA1 and SA2), as words. */
export const SA_SENTENCES: readonly (readonly string[])[] = Object.freeze([
  words("the quiet baker carried warm bread and yellow cheese to the noisy market"),
  words("a curious boy found a shiny coin in the wet sand beside the old garage"),
]);

/**
 * Every word the grammar can produce (sorted, unique), the fixed sentences' words included.
 * @returns The vocabulary.
 */
export function vocabulary(): string[] {
  const all = new Set<string>([
    ...PEOPLE,
    ...ANIMALS,
    ...NAMES,
    ...THINGS,
    ...PLACES,
    ...ADJECTIVES,
    ...PERSON_ADJECTIVES,
    ...VERBS_T.flat(),
    ...VERBS_I.flat(),
    ...VERBS_GIVE,
    ...ADVERBS,
    ...PREPOSITIONS,
    ...TIMES.flat(),
    ...DETERMINERS,
    "an",
    ...INTENSIFIERS,
    ...PRONOUNS,
    ...SA_SENTENCES.flat(),
    ...FUNCTION_WORDS,
  ]);
  return [...all].sort();
}

/** Words the templates add themselves. */
const FUNCTION_WORDS = words(`was will never to that`);

const pick = <T>(rng: Rng, list: readonly T[]): T => list[rng.int(list.length)];
const chance = (rng: Rng, p: number) => rng.uniform() < p;

/** Fixes "a" before a vowel letter to "an". */
function articles(ws: string[]): string[] {
  return ws.map((w, i) => (w === "a" && /^[aeiou]/.test(ws[i + 1] ?? "") ? "an" : w));
}

function nounPhrase(rng: Rng, nouns: readonly string[], adjectives: readonly string[]): string[] {
  const out = [pick(rng, DETERMINERS)];
  if (chance(rng, 0.6)) out.push(pick(rng, adjectives));
  out.push(pick(rng, nouns));
  return out;
}

function subject(rng: Rng): string[] {
  const r = rng.uniform();
  if (r < 0.2) return [pick(rng, PRONOUNS)];
  if (r < 0.4) return [pick(rng, NAMES)];
  if (r < 0.55) return nounPhrase(rng, ANIMALS, PERSON_ADJECTIVES);
  return nounPhrase(rng, PEOPLE, PERSON_ADJECTIVES);
}

function object(rng: Rng): string[] {
  return nounPhrase(rng, THINGS, ADJECTIVES);
}

function place(rng: Rng): string[] {
  return [pick(rng, PREPOSITIONS), ...nounPhrase(rng, PLACES, ADJECTIVES)];
}

function recipient(rng: Rng): string[] {
  return chance(rng, 0.3) ? [pick(rng, NAMES)] : nounPhrase(rng, PEOPLE, PERSON_ADJECTIVES);
}

/** One sentence of the grammar, before articles are fixed. */
function draft(rng: Rng): string[] {
  const subj = subject(rng);
  const time = () => [...pick(rng, TIMES)];
  switch (rng.int(8)) {
    case 0: // she carried the heavy basket near the river
      return [
        ...subj,
        pick(rng, VERBS_T)[1],
        ...object(rng),
        ...(chance(rng, 0.6) ? place(rng) : []),
      ];
    case 1: // the tired sailor slept quietly under the bridge
      return [
        ...subj,
        pick(rng, VERBS_I)[1],
        ...(chance(rng, 0.5) ? [pick(rng, ADVERBS)] : []),
        ...(chance(rng, 0.7) ? place(rng) : time()),
      ];
    case 2: // last night george found a rusty key
      return [...time(), ...subj, pick(rng, VERBS_T)[1], ...object(rng)];
    case 3: // the old road was very quiet in the evening
      return [
        ...(chance(rng, 0.5) ? nounPhrase(rng, PLACES, ADJECTIVES) : object(rng)),
        "was",
        ...(chance(rng, 0.5) ? [pick(rng, INTENSIFIERS)] : []),
        pick(rng, ADJECTIVES),
        ...(chance(rng, 0.5) ? time() : []),
      ];
    case 4: // my uncle gave a small boat to the teacher
      return [...subj, pick(rng, VERBS_GIVE), ...object(rng), "to", ...recipient(rng)];
    case 5: // the nurse will wash the towel tomorrow
      return [
        ...subj,
        "will",
        pick(rng, VERBS_T)[0],
        ...object(rng),
        ...(chance(rng, 0.5) ? place(rng) : time()),
      ];
    case 6: // we never borrowed the violin
      return [
        ...subj,
        "never",
        pick(rng, VERBS_T)[1],
        ...object(rng),
        ...(chance(rng, 0.4) ? time() : []),
      ];
    default: // the lamp that laura polished was precious
      return [
        "the",
        pick(rng, THINGS),
        "that",
        ...subj,
        pick(rng, VERBS_T)[1],
        "was",
        ...(chance(rng, 0.4) ? [pick(rng, INTENSIFIERS)] : []),
        pick(rng, ADJECTIVES),
      ];
  }
}

/**
 * Draws one sentence of 5 to 13 words.
 * @param rng The generator (advanced).
 * @returns The words, lower case.
 */
export function generateSentence(rng: Rng): string[] {
  for (;;) {
    const ws = articles(draft(rng));
    if (ws.length >= 5 && ws.length <= 13) return ws;
  }
}

const CAPITALISED = new Set([...NAMES, "sunday", "monday"]);

/**
 * The transcript of a sentence: names and days capitalised, a capital first letter and a
 * final period (like TIMIT's `.TXT`).
 * @param ws The words.
 * @returns The text.
 */
export function sentenceText(ws: readonly string[]): string {
  const text = ws.map((w) => (CAPITALISED.has(w) ? w[0].toUpperCase() + w.slice(1) : w)).join(" ");
  return text[0].toUpperCase() + text.slice(1) + ".";
}

// ---------------------------------------------------------------------------------------------
// The corpus plan: speakers (voice x pitch x tempo variants) and their sentences

/** A flite voice of the stand-in corpus. */
export interface SynthVoice {
  /** flite's name (`flite -voice NAME`). */
  voice: string;
  /** Sex letter of its speakers' names. */
  sex: "F" | "M";
  /** Its natural mean F0 in Hz (measured), the centre of its pitch variants. */
  f0: number;
  /**
   * How pitch is varied: `int_f0_target_mean`, or resampling the audio (`rms` ignores the F0
   * target in flite 2.2: its F0 comes from its own model).
   */
  pitch: "f0-target" | "resample";
}

/** The four 16 kHz voices of Debian's flite 2.2. */
export const SYNTH_VOICES: readonly SynthVoice[] = Object.freeze(
  [
    { voice: "awb", sex: "M", f0: 129, pitch: "f0-target" },
    { voice: "rms", sex: "M", f0: 103, pitch: "resample" },
    { voice: "slt", sex: "F", f0: 174, pitch: "f0-target" },
    { voice: "kal16", sex: "M", f0: 95, pitch: "f0-target" },
  ] as const,
);

const geometric = (from: number, to: number, n: number) =>
  Object.freeze(
    Array.from(
      { length: n },
      (_, k) => Math.round(1e4 * from * (to / from) ** (k / (n - 1))) / 1e4,
    ),
  );

/** Pitch levels, as factors of a voice's natural F0 (8, from 0.8 to 1.25). */
export const PITCH_FACTORS: readonly number[] = geometric(0.8, 1.25, 8);

/** Tempo levels, as flite's `duration_stretch` (8, from 0.85 to 1.25; larger is slower). */
export const TEMPO_STRETCHES: readonly number[] = geometric(0.85, 1.25, 8);

/** Speaker variants available: voices x pitch levels x tempo levels. */
export const MAX_SYNTH_SPEAKERS: number = 4 * 8 * 8;

/** A speaker of the stand-in corpus. */
export interface SynthSpeaker {
  /** TIMIT-like name (`MABC0`; the validation and test speakers carry TIMIT's names). */
  name: string;
  /** Dialect region folder (`DR1`..`DR8`). */
  dialect: string;
  /** `TRAIN` or `TEST`. */
  folder: "TRAIN" | "TEST";
  /** The paper's split it falls into. */
  split: "train" | "validation" | "test";
  /** The flite voice. */
  voice: string;
  /** Pitch factor of the voice's natural F0. */
  pitch: number;
  /** flite `int_f0_target_mean` (Hz), for voices that honour it. */
  f0Target?: number;
  /** Resampling factor (> 1 raises pitch and formants), for voices that ignore the F0 target. */
  resample?: number;
  /** Tempo: the final duration relative to the voice's default. */
  tempo: number;
  /** flite `duration_stretch` (the tempo, times the resampling factor where resampled). */
  durationStretch: number;
}

/** One utterance to synthesise. */
export interface SynthUtterance {
  /** The speaker. */
  speaker: SynthSpeaker;
  /** Sentence id: `SA1`, `SA2`, `SX<n>`, `SI<n>` (equal ids, equal texts). */
  id: string;
  /** The words. */
  words: string[];
}

/** The speakers and utterances of a stand-in corpus. */
export interface SynthPlan {
  /** Speakers, test first, then validation, then training. */
  speakers: SynthSpeaker[];
  /** Utterances, speaker by speaker (SA1, SA2, SX..., SI...). */
  utterances: SynthUtterance[];
}

function shuffle<T>(rng: Rng, list: T[]): T[] {
  for (let i = list.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [list[i], list[j]] = [list[j], list[i]];
  }
  return list;
}

/**
 * Speakers per split for a corpus of `n` speakers: an eighth each for validation (at most 50,
 * TIMIT's list) and test (at most 24, TIMIT's core list), at least one each; the rest train.
 * @param n Speakers, 3 to {@linkcode MAX_SYNTH_SPEAKERS}.
 * @returns Counts per split.
 */
export function synthSplitSizes(n: number): { train: number; validation: number; test: number } {
  const test = Math.min(24, Math.max(1, Math.round(n / 8)));
  const validation = Math.min(50, Math.max(1, Math.round(n / 8)));
  return { train: n - test - validation, validation, test };
}

/**
 * Plans a stand-in corpus: which voice variant each speaker is, their names and folders, and the
 * sentences each reads: SA1 and SA2 (fixed), then `sentences` more, like TIMIT five eighths SX
 * (texts shared by about seven speakers of the same split) and the rest SI (texts read once). No
 * text is read in two splits. Everything follows from the seed.
 *
 * @param options `speakers` (3 to 256), `sentences` per speaker besides SA1/SA2 (>= 1), `seed`,
 *   and the names to keep clear of (validation and core-test lists, given by the caller).
 * @returns The plan.
 * @throws {RangeError} For sizes out of range.
 */
export function synthPlan(options: {
  speakers: number;
  sentences: number;
  seed: number;
  validationNames: readonly { speaker: string; dialect: string }[];
  testNames: readonly { speaker: string; dialect: string }[];
}): SynthPlan {
  const { speakers: n, sentences: m, seed } = options;
  if (!Number.isInteger(n) || n < 3 || n > MAX_SYNTH_SPEAKERS) {
    throw new RangeError(
      `Cannot plan corpus: speakers must be 3 to ${MAX_SYNTH_SPEAKERS}, got ${n}`,
    );
  }
  if (!Number.isInteger(m) || m < 1) {
    throw new RangeError(`Cannot plan corpus: sentences must be an integer >= 1, got ${m}`);
  }
  const rng = new Rng(seed);
  // Variants: per voice a shuffled list of (pitch, tempo); voices interleaved round by round, in
  // a shuffled voice order per round, so that every split holds every voice.
  const perVoice = SYNTH_VOICES.map((v) =>
    shuffle(
      rng,
      PITCH_FACTORS.flatMap((p) => TEMPO_STRETCHES.map((t) => ({ v, pitch: p, tempo: t }))),
    )
  );
  const variants: { v: SynthVoice; pitch: number; tempo: number }[] = [];
  for (let round = 0; round < perVoice[0].length; round++) {
    for (const k of shuffle(rng, [0, 1, 2, 3])) variants.push(perVoice[k][round]);
  }
  const sizes = synthSplitSizes(n);
  const used = new Set([...options.validationNames, ...options.testNames].map((s) => s.speaker));
  const taken = new Set<string>();
  const freeName = (list: readonly { speaker: string; dialect: string }[], sex: string) =>
    list.find((s) => s.speaker[0] === sex && !taken.has(s.speaker));
  // Variants in order go to the test split while it needs speakers and TIMIT's core list has a
  // name of their sex left, then likewise to validation, then to training.
  const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  const left = { ...sizes };
  let trainIndex = 0;
  const assigned: {
    v: SynthVoice;
    pitch: number;
    tempo: number;
    split: "train" | "validation" | "test";
    name: string;
    dialect: string;
  }[] = [];
  for (const { v, pitch, tempo } of variants) {
    if (left.test + left.validation + left.train === 0) break;
    const test = left.test > 0 ? freeName(options.testNames, v.sex) : undefined;
    const validation = !test && left.validation > 0
      ? freeName(options.validationNames, v.sex)
      : undefined;
    const listed = test ?? validation;
    if (listed) {
      const split = test ? "test" : "validation";
      left[split]--;
      taken.add(listed.speaker);
      assigned.push({ v, pitch, tempo, split, name: listed.speaker, dialect: listed.dialect });
    } else if (left.train > 0) {
      let name: string;
      do {
        name = v.sex + Array.from({ length: 3 }, () => letters[rng.int(26)]).join("") + "0";
      } while (used.has(name) || taken.has(name));
      taken.add(name);
      left.train--;
      assigned.push({
        v,
        pitch,
        tempo,
        split: "train",
        name,
        dialect: `DR${1 + (trainIndex++ % 8)}`,
      });
    }
  }
  if (left.test + left.validation + left.train > 0) {
    throw new RangeError(
      `Cannot plan corpus: the voice variants do not fill the splits (${
        JSON.stringify(left)
      } speakers short)`,
    );
  }
  const speakers: SynthSpeaker[] = assigned.map(({ v, pitch, tempo, split, name, dialect }) => {
    const resample = v.pitch === "resample" ? Math.round(1e4 * Math.sqrt(pitch)) / 1e4 : undefined;
    return {
      name,
      dialect,
      folder: split === "train" ? "TRAIN" : "TEST",
      split,
      voice: v.voice,
      pitch,
      ...(resample === undefined ? { f0Target: Math.round(v.f0 * pitch) } : { resample }),
      tempo,
      durationStretch: Math.round(1e4 * tempo * (resample ?? 1)) / 1e4,
    };
  });
  // Sentences.
  const nSX = Math.round((m * 5) / 8), nSI = m - nSX;
  const seen = new Set(SA_SENTENCES.map((s) => s.join(" ")));
  const fresh = () => {
    for (;;) {
      const ws = generateSentence(rng);
      const key = ws.join(" ");
      if (!seen.has(key)) {
        seen.add(key);
        return ws;
      }
    }
  };
  const sx = new Map<SynthSpeaker, { id: string; words: string[] }[]>();
  let sxCount = 0, siCount = 0;
  for (const split of ["train", "validation", "test"] as const) {
    const mine = speakers.filter((s) => s.split === split);
    if (nSX === 0 || mine.length === 0) continue;
    const poolSize = Math.max(nSX, Math.ceil((mine.length * nSX) / 7));
    const pool = Array.from({ length: poolSize }, () => ({ id: `SX${++sxCount}`, words: fresh() }));
    mine.forEach((s, k) =>
      sx.set(s, Array.from({ length: nSX }, (_, j) => pool[(k * nSX + j) % poolSize]))
    );
  }
  const utterances: SynthUtterance[] = [];
  for (const s of speakers) {
    utterances.push({ speaker: s, id: "SA1", words: [...SA_SENTENCES[0]] });
    utterances.push({ speaker: s, id: "SA2", words: [...SA_SENTENCES[1]] });
    for (const t of sx.get(s) ?? []) utterances.push({ speaker: s, id: t.id, words: [...t.words] });
    for (let j = 0; j < nSI; j++) {
      utterances.push({ speaker: s, id: `SI${1000 + ++siCount}`, words: fresh() });
    }
  }
  return { speakers, utterances };
}

// No Deno API: this reader works on bytes and folder listings the caller provides (browser-safe).
/**
 * The LDC TIMIT corpus (docs/spec/TIMIT.md): its 61 phones and their folding to 39 classes, the
 * `.PHN`/`.WRD`/`.TXT` files, the paper's splits (training without SA sentences, the 50-speaker
 * validation set, the 24-speaker core test set), and a corpus walker that takes the file-system
 * access as functions, so that it runs on a real folder, an in-memory tree or a browser's files.
 * Names are matched case-insensitively (`TRAIN/DR1/FCJF0/SA1.WAV` or `train/dr1/fcjf0/sa1.wav`).
 *
 * @example Folding and splits
 * ```ts
 * import { foldPhone, isValidationSpeaker } from "./timit_corpus.ts";
 * import assert from "node:assert/strict";
 * assert.equal(foldPhone("ix"), "ih");
 * assert.equal(foldPhone("pcl"), "sil");
 * assert.equal(isValidationSpeaker("FAKS0"), true);
 * ```
 *
 * @module
 */
import { type Audio, readAudio } from "./audio.ts";

/** TIMIT's 61 phone labels; a label's id is its index here. */
export const TIMIT_PHONES: readonly string[] = Object.freeze(
  (
    "aa ae ah ao aw ax ax-h axr ay b bcl ch d dcl dh dx eh el em en eng epi er ey f g gcl h# " +
    "hh hv ih ix iy jh k kcl l m n ng nx ow oy p pau pcl q r s sh t tcl th uh uw ux v w y z zh"
  ).split(" "),
);

/** The Lee & Hon folding to 39 classes (with `q` to `sil`); labels not listed map to themselves. */
const FOLDING: Record<string, string> = {
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
  pcl: "sil",
  tcl: "sil",
  kcl: "sil",
  bcl: "sil",
  dcl: "sil",
  gcl: "sil",
  "h#": "sil",
  pau: "sil",
  epi: "sil",
  q: "sil",
};

/** Every one of the 61 phones and its class among the 39 used for scoring. */
export const FOLDED_39: Readonly<Record<string, string>> = Object.freeze(
  Object.fromEntries(TIMIT_PHONES.map((p) => [p, FOLDING[p] ?? p])),
);

/** The 39 scoring classes, in order of their first appearance in {@linkcode TIMIT_PHONES}. */
export const CLASSES_39: readonly string[] = Object.freeze([...new Set(Object.values(FOLDED_39))]);

const PHONE_ID = new Map(TIMIT_PHONES.map((p, i) => [p, i]));

/**
 * The 39-class label of a TIMIT phone.
 * @param phone One of {@linkcode TIMIT_PHONES}.
 * @returns Its class (`sil` for closures and pauses).
 * @throws {RangeError} For a label that is not a TIMIT phone.
 */
export function foldPhone(phone: string): string {
  const folded = FOLDED_39[phone];
  if (folded === undefined) {
    throw new RangeError(`Cannot fold phone: ${JSON.stringify(phone)} is not a TIMIT phone`);
  }
  return folded;
}

/**
 * The id of a TIMIT phone (its index in {@linkcode TIMIT_PHONES}).
 * @param phone The label.
 * @returns 0..60.
 * @throws {RangeError} For a label that is not a TIMIT phone.
 */
export function phoneId(phone: string): number {
  const id = PHONE_ID.get(phone);
  if (id === undefined) {
    throw new RangeError(`Cannot map phone: ${JSON.stringify(phone)} is not a TIMIT phone`);
  }
  return id;
}

/**
 * For each of the 61 phone ids, the id of its class in {@linkcode CLASSES_39}.
 * @returns 61 class ids.
 */
export function foldingTable(): Uint8Array {
  return Uint8Array.from(TIMIT_PHONES, (p) => CLASSES_39.indexOf(FOLDED_39[p]));
}

// ---------------------------------------------------------------------------------------------
// Splits

const VALIDATION_TEXT = {
  dr1: "faks0 fdac1 fjem0 mjsw0 mreb0",
  dr2: "mgwt0 mjar0 mmdb1 mmdm2 mpdf0",
  dr3: "fcmh0 fkms0 mbdg0 mbwm0 mcsh0 mglb0 mgjf0 mmjr0 mmwh0 mrtk0 mtaa0 mtdt0 mthc0 mwjg0",
  dr4: "fadg0 fdms0 fedw0 fgjd0 fjmg0 fnmr0 frew0 fsem0 mbns0 mdls0 mroa0 mteb0",
  dr5: "fcal1 fmah0 mrws1",
  dr6: "fdrw0 mjfc0 mrjr0",
  dr7: "fmml0 mdlf0 mdvc0 mers0 mrcs0 mrjm4",
  dr8: "fjsj0 majc0",
};

const CORE_TEST_TEXT = {
  dr1: "felc0 mdab0 mwbt0",
  dr2: "fpas0 mtas1 mwew0",
  dr3: "fpkt0 mjmp0 mlnt0",
  dr4: "fjlm0 mlll0 mtls0",
  dr5: "fnlp0 mbpm0 mklt0",
  dr6: "fmgd0 mcmj0 mjdh0",
  dr7: "fdhc0 mgrt0 mnjm0",
  dr8: "fmld0 mjln0 mpam0",
};

/** A speaker of a split list: upper-case name and dialect region (`DR1`..`DR8`). */
export interface ListedSpeaker {
  /** Speaker folder name, upper case (e.g. `FAKS0`). */
  speaker: string;
  /** Dialect region, upper case (e.g. `DR1`). */
  dialect: string;
}

const listed = (text: Record<string, string>): readonly ListedSpeaker[] =>
  Object.freeze(
    Object.entries(text).flatMap(([dr, names]) =>
      names.split(" ").map((s) =>
        Object.freeze({ speaker: s.toUpperCase(), dialect: dr.toUpperCase() })
      )
    ),
  );

/** The 50 TEST speakers of the validation ("develop") set. */
export const VALIDATION_SPEAKERS: readonly ListedSpeaker[] = listed(VALIDATION_TEXT);

/** The 24 TEST speakers of the core test set. */
export const CORE_TEST_SPEAKERS: readonly ListedSpeaker[] = listed(CORE_TEST_TEXT);

const VALIDATION_SET = new Set(VALIDATION_SPEAKERS.map((s) => s.speaker));
const CORE_TEST_SET = new Set(CORE_TEST_SPEAKERS.map((s) => s.speaker));

/**
 * Whether a speaker is in the validation set.
 * @param speaker A speaker folder name (any case).
 * @returns Whether it is one of the 50 validation speakers.
 */
export function isValidationSpeaker(speaker: string): boolean {
  return VALIDATION_SET.has(speaker.toUpperCase());
}

/**
 * Whether a speaker is in the core test set.
 * @param speaker A speaker folder name (any case).
 * @returns Whether it is one of the 24 core test speakers.
 */
export function isCoreTestSpeaker(speaker: string): boolean {
  return CORE_TEST_SET.has(speaker.toUpperCase());
}

/** The three splits of the paper. */
export type SplitName = "train" | "validation" | "test";

/** The split names in order. */
export const SPLIT_NAMES: readonly SplitName[] = Object.freeze(["train", "validation", "test"]);

/** Sizes of the splits on the real corpus (utterances, speakers). */
export const TIMIT_SPLIT_SIZES: Readonly<
  Record<SplitName, { utterances: number; speakers: number }>
> = Object.freeze({
  train: { utterances: 3696, speakers: 462 },
  validation: { utterances: 400, speakers: 50 },
  test: { utterances: 192, speakers: 24 },
});

// ---------------------------------------------------------------------------------------------
// Files

/** A labelled interval of samples: `[start, end)`. */
export interface Segment {
  /** First sample. */
  start: number;
  /** One past the last sample. */
  end: number;
  /** Phone or word. */
  label: string;
}

/**
 * An error in a corpus file or folder; the message names it ("Cannot read TIMIT: <file>: ...").
 * A `RangeError`, so that command-line tasks report it as bad input (exit 2).
 */
export class CorpusError extends RangeError {
  /** The file or folder at fault. */
  readonly file: string;
  /**
   * An error naming a file.
   * @param file The file or folder.
   * @param what What is wrong.
   */
  constructor(file: string, what: string) {
    super(`Cannot read TIMIT: ${file}: ${what}`);
    this.name = "CorpusError";
    this.file = file;
  }
}

/**
 * Parses a `.PHN` or `.WRD` file: one `<start> <end> <label>` per line, end exclusive.
 * Segments must be in order, not overlap, be non-empty and (given `samples`) end inside the
 * audio; `.PHN` labels must be TIMIT phones. Gaps between segments are allowed (`.WRD` files
 * have them at pauses).
 *
 * @param text The file's text.
 * @param name The file's name, for errors.
 * @param options `kind` ("phn" checks the labels) and the number of audio `samples`.
 * @returns The segments.
 * @throws {CorpusError} Naming the file, the line and the problem.
 */
export function parseSegments(
  text: string,
  name: string,
  options: { kind: "phn" | "wrd"; samples?: number },
): Segment[] {
  const segments: Segment[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === "") continue;
    const at = `line ${i + 1}`;
    const m = line.match(/^(\d+)\s+(\d+)\s+(\S+)$/);
    if (!m) {
      throw new CorpusError(
        name,
        `${at}: must be "<start> <end> <label>", got ${JSON.stringify(line)}`,
      );
    }
    const start = Number(m[1]), end = Number(m[2]), label = m[3];
    if (end <= start) {
      throw new CorpusError(name, `${at}: segment ${start}-${end} is empty or reversed`);
    }
    const prev = segments[segments.length - 1];
    if (prev && start < prev.end) {
      throw new CorpusError(
        name,
        `${at}: segment ${start}-${end} "${label}" overlaps the previous one (${prev.start}-${prev.end} "${prev.label}")`,
      );
    }
    if (options.samples !== undefined && end > options.samples) {
      throw new CorpusError(
        name,
        `${at}: segment ${start}-${end} ends past the audio (${options.samples} samples)`,
      );
    }
    if (options.kind === "phn" && !PHONE_ID.has(label)) {
      throw new CorpusError(
        name,
        `${at}: ${JSON.stringify(label)} is not one of the 61 TIMIT phones`,
      );
    }
    segments.push({ start, end, label });
  }
  if (segments.length === 0) throw new CorpusError(name, "holds no segments");
  return segments;
}

/**
 * Parses a `.TXT` file: `<start> <end> <sentence text>`.
 * @param text The file's text.
 * @param name The file's name, for errors.
 * @returns The interval and the sentence.
 * @throws {CorpusError} For another form.
 */
export function parseTranscript(text: string, name: string): Segment {
  const m = text.trim().match(/^(\d+)\s+(\d+)\s+(.+)$/s);
  if (!m) throw new CorpusError(name, 'must be "<start> <end> <sentence text>"');
  return { start: Number(m[1]), end: Number(m[2]), label: m[3].trim() };
}

/**
 * Formats segments as a `.PHN`/`.WRD` file.
 * @param segments The segments.
 * @returns The text, one line per segment.
 */
export function formatSegments(segments: readonly Segment[]): string {
  return segments.map((s) => `${s.start} ${s.end} ${s.label}\n`).join("");
}

// ---------------------------------------------------------------------------------------------
// The corpus walker

/** An entry of a folder listing. */
export interface DirEntry {
  /** The name (no path). */
  name: string;
  /** Whether it is a folder. */
  isDirectory: boolean;
}

/** File-system access the walker is given: a real folder, an in-memory tree, a browser's files. */
export interface CorpusFiles {
  /**
   * Lists a folder.
   * @param path Path joined with "/" from the root given to {@linkcode walkCorpus}.
   */
  list(path: string): Promise<DirEntry[]> | DirEntry[];
  /**
   * Reads a file.
   * @param path Path joined with "/".
   */
  read(path: string): Promise<Uint8Array> | Uint8Array;
}

/** One sentence read by one speaker, with the paths of its files. */
export interface UtteranceFiles {
  /** `TRAIN` or `TEST`: the folder it is in. */
  folder: "TRAIN" | "TEST";
  /** The paper's split, or undefined for TEST speakers outside the validation and core lists. */
  split?: SplitName;
  /** Dialect region, upper case (`DR1`). */
  dialect: string;
  /** Speaker, upper case (`FCJF0`). */
  speaker: string;
  /** Sentence id, upper case (`SA1`, `SI1027`, `SX127`). */
  sentence: string;
  /** Audio (SPHERE `.WAV`, or its RIFF copy `.WAV.wav` when only that exists). */
  wav: string;
  /** Phone segments. */
  phn: string;
  /** Word segments, when present. */
  wrd?: string;
  /** Transcript, when present. */
  txt?: string;
}

/** A file or folder left out by a walk or a load with `skipBad`. */
export interface SkippedFile {
  /** The file or folder. */
  file: string;
  /** Why (the error message). */
  reason: string;
}

/** What {@linkcode walkCorpus} found. */
export interface CorpusListing {
  /** Every utterance, in order: TRAIN then TEST, then by region, speaker and sentence. */
  utterances: UtteranceFiles[];
  /** Files and folders left out (only with `skipBad`). */
  skipped: SkippedFile[];
}

const byName = (a: { name: string }, b: { name: string }) =>
  a.name.toUpperCase() < b.name.toUpperCase()
    ? -1
    : a.name.toUpperCase() > b.name.toUpperCase()
    ? 1
    : 0;

/**
 * The split of an utterance (the paper's): TRAIN speakers without SA sentences; TEST speakers of
 * the validation or core test lists, without SA sentences; otherwise none.
 *
 * @param u Folder, speaker and sentence.
 * @returns The split, or undefined when the utterance is in none.
 */
export function splitOf(
  u: { folder: "TRAIN" | "TEST"; speaker: string; sentence: string },
): SplitName | undefined {
  if (u.sentence.toUpperCase().startsWith("SA")) return undefined;
  if (u.folder === "TRAIN") return "train";
  if (isValidationSpeaker(u.speaker)) return "validation";
  if (isCoreTestSpeaker(u.speaker)) return "test";
  return undefined;
}

/**
 * Walks a corpus in TIMIT's layout (`TRAIN|TEST/DRn/<speaker>/<ID>.WAV|.PHN|.WRD|.TXT`, any
 * case) and lists its utterances, each with its split. Structure problems (no TRAIN or TEST
 * folder, an empty folder, a `.PHN` without `.WAV` or the reverse, a file name that is not a
 * TIMIT sentence file) throw a {@linkcode CorpusError} naming the file, unless `skipBad` is set:
 * then they are listed in `skipped` and the walk goes on. Other files at the top (documentation)
 * are ignored.
 *
 * @param files Folder listing and file reading.
 * @param options `root` (default ""), `skipBad`.
 * @returns The utterances and what was skipped.
 * @throws {CorpusError} For a bad layout (without `skipBad`), or when nothing is found.
 */
export async function walkCorpus(
  files: CorpusFiles,
  options: { root?: string; skipBad?: boolean } = {},
): Promise<CorpusListing> {
  const root = options.root ?? "";
  const join = (a: string, b: string) => (a === "" ? b : `${a.replace(/\/+$/, "")}/${b}`);
  const skipped: SkippedFile[] = [];
  const bad = (file: string, what: string) => {
    const e = new CorpusError(file, what);
    if (!options.skipBad) throw e;
    skipped.push({ file, reason: e.message });
  };
  const list = async (path: string) => [...(await files.list(path))].sort(byName);
  const top = await list(root);
  // TRAIN before TEST.
  const folders = top.filter((e) => e.isDirectory && /^(train|test)$/i.test(e.name))
    .sort((a, b) =>
      (a.name.toUpperCase() === "TRAIN" ? 0 : 1) - (b.name.toUpperCase() === "TRAIN" ? 0 : 1)
    );
  if (folders.length === 0) {
    throw new CorpusError(
      root || ".",
      `holds no TRAIN or TEST folder (found ${
        top.length === 0 ? "nothing" : top.slice(0, 5).map((e) => e.name).join(", ")
      }); give the corpus root, the folder that holds TRAIN and TEST`,
    );
  }
  const utterances: UtteranceFiles[] = [];
  for (const f of folders) {
    const folder = f.name.toUpperCase() as "TRAIN" | "TEST";
    const folderPath = join(root, f.name);
    const regions = (await list(folderPath)).filter((e) => e.isDirectory);
    if (regions.length === 0) {
      bad(folderPath, "holds no dialect-region folders (DR1..DR8)");
      continue;
    }
    for (const r of regions) {
      const regionPath = join(folderPath, r.name);
      if (!/^dr[1-8]$/i.test(r.name)) {
        bad(regionPath, "is not a dialect-region folder (DR1..DR8)");
        continue;
      }
      const speakers = (await list(regionPath)).filter((e) => e.isDirectory);
      if (speakers.length === 0) {
        bad(regionPath, "holds no speaker folders");
        continue;
      }
      for (const s of speakers) {
        const speakerPath = join(regionPath, s.name);
        if (!/^[fm][a-z]{3}\d$/i.test(s.name)) {
          bad(speakerPath, "is not a speaker folder (<F|M><3 letters><digit>, e.g. FCJF0)");
          continue;
        }
        const found = await speakerUtterances(list, speakerPath, bad);
        for (const [sentence, u] of found) {
          const item = {
            folder,
            dialect: r.name.toUpperCase(),
            speaker: s.name.toUpperCase(),
            sentence,
            ...u,
          };
          utterances.push({ ...item, split: splitOf(item) });
        }
      }
    }
  }
  if (utterances.length === 0) {
    throw new CorpusError(root || ".", "holds no utterances (no .WAV with a .PHN)");
  }
  return { utterances, skipped };
}

async function speakerUtterances(
  list: (path: string) => Promise<DirEntry[]>,
  speakerPath: string,
  bad: (file: string, what: string) => void,
): Promise<Map<string, { wav: string; phn: string; wrd?: string; txt?: string }>> {
  const entries = (await list(speakerPath)).filter((e) => !e.isDirectory);
  const out = new Map<string, { wav: string; phn: string; wrd?: string; txt?: string }>();
  if (entries.length === 0) {
    bad(speakerPath, "is empty");
    return out;
  }
  const groups = new Map<string, Record<string, string>>();
  for (const e of entries) {
    const path = `${speakerPath}/${e.name}`;
    const m = e.name.match(/^(s[aix]\d+)\.(wav|phn|wrd|txt|wav\.wav)$/i);
    if (!m) {
      if (/^s[aix]\d+\./i.test(e.name)) {
        bad(path, "is not a TIMIT sentence file (.WAV .PHN .WRD .TXT)");
      }
      continue; // other files (a README, .DS_Store) are not part of the corpus
    }
    const id = m[1].toUpperCase(), ext = m[2].toLowerCase();
    const group = groups.get(id) ?? {};
    if (group[ext]) bad(path, `duplicates ${group[ext]} (names differ only in case)`);
    else group[ext] = path;
    groups.set(id, group);
  }
  if (groups.size === 0) bad(speakerPath, "holds no TIMIT sentence files");
  for (const id of [...groups.keys()].sort()) {
    const g = groups.get(id)!;
    const wav = g["wav"] ?? g["wav.wav"];
    if (!wav) {
      bad(g.phn ?? g.wrd ?? g.txt, `has no audio file ${id}.WAV beside it`);
      continue;
    }
    if (!g.phn) {
      bad(wav, `has no phone file ${id}.PHN beside it`);
      continue;
    }
    out.set(id, { wav, phn: g.phn, wrd: g.wrd, txt: g.txt });
  }
  return out;
}

/** An utterance read and checked: audio, phone segments, words and text. */
export interface LoadedUtterance {
  /** The files it came from. */
  files: UtteranceFiles;
  /** The audio (16 kHz). */
  audio: Audio;
  /** Phone segments. */
  phones: Segment[];
  /** Word segments (empty without a `.WRD`). */
  words: Segment[];
  /** Sentence text ("" without a `.TXT`). */
  text: string;
}

/** The sampling rate TIMIT and the features assume. */
export const TIMIT_RATE = 16000;

/**
 * Reads one utterance and checks it: the audio at 16 kHz, the `.PHN` segments (ordered, not
 * overlapping, inside the audio, TIMIT phones), the `.WRD` segments (ordered, inside the audio)
 * and the `.TXT`.
 *
 * @param files File access.
 * @param u The utterance's files.
 * @returns The loaded utterance.
 * @throws {CorpusError} Naming the file at fault.
 */
export async function loadUtterance(
  files: CorpusFiles,
  u: UtteranceFiles,
): Promise<LoadedUtterance> {
  const bytes = async (path: string) => {
    try {
      return await files.read(path);
    } catch (e) {
      throw new CorpusError(path, `cannot be read: ${(e as Error)?.message ?? e}`);
    }
  };
  const textOf = async (path: string) => new TextDecoder().decode(await bytes(path));
  let audio: Audio;
  try {
    audio = readAudio(await bytes(u.wav), u.wav);
  } catch (e) {
    if (e instanceof CorpusError) throw e;
    throw new CorpusError(u.wav, (e as Error).message.replace(/^Cannot read audio: [^:]*: /, ""));
  }
  if (audio.rate !== TIMIT_RATE) {
    throw new CorpusError(u.wav, `sample rate must be ${TIMIT_RATE} Hz, got ${audio.rate}`);
  }
  const samples = audio.samples.length;
  const phones = parseSegments(await textOf(u.phn), u.phn, { kind: "phn", samples });
  const words = u.wrd ? parseSegments(await textOf(u.wrd), u.wrd, { kind: "wrd", samples }) : [];
  const text = u.txt ? parseTranscript(await textOf(u.txt), u.txt).label : "";
  return { files: u, audio, phones, words, text };
}

/** Utterances and speakers of each split. */
export type SplitCounts = Record<SplitName, { utterances: number; speakers: number }>;

/**
 * Counts utterances and speakers per split.
 * @param utterances Utterances with their splits.
 * @returns The counts.
 */
export function splitCounts(
  utterances: readonly { split?: SplitName; speaker: string }[],
): SplitCounts {
  const counts = {} as SplitCounts;
  for (const name of SPLIT_NAMES) {
    const mine = utterances.filter((u) => u.split === name);
    counts[name] = { utterances: mine.length, speakers: new Set(mine.map((u) => u.speaker)).size };
  }
  return counts;
}

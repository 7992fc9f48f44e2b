/**
 * `deno task timit:synth --out DIR`: writes a stand-in for the LDC TIMIT corpus in TIMIT's layout
 * (docs/spec/TIMIT.md, "A stand-in corpus"), spoken by the `flite` synthesiser:
 * `TRAIN|TEST/DRn/<speaker>/<ID>.WAV|.PHN|.WRD|.TXT`, SPHERE audio at 16 kHz.
 *
 * - Speakers are variants of flite's four 16 kHz voices (awb, rms, slt, kal16) x 8 pitch levels
 *   x 8 tempo levels, named like TIMIT speakers (sex, three initials, a digit) and spread over
 *   DR1-DR8. Validation and test speakers sit under TEST with the names of TIMIT's validation and
 *   core-test lists, so the split code of the real corpus applies; training speakers sit under
 *   TRAIN. Pitch: flite's `int_f0_target_mean`, except for rms, which ignores it and is resampled
 *   instead (scaling pitch and formants); tempo: `duration_stretch`.
 * - Sentences come from a seeded grammar (src/data/synth_grammar.ts): SA1 and SA2 for everyone,
 *   SX texts shared by about seven speakers of a split, SI texts read once.
 * - `.PHN`: flite's `-psdur` phone end times in samples, the leading and trailing `pau` as `h#`;
 *   `.WRD`: the grammar's words over their phones; `.TXT`: the sentence.
 * - The same flags and flite give the same bytes. `SYNTH.json` at the top records the settings
 *   and every speaker's voice, pitch and tempo.
 *
 * @module
 */
import { commandMain, fileError, InputError, RunFailure } from "../cli/command.ts";
import { FlagError, type FlagSpecs, MAX_SEED } from "../cli/flags.ts";
import { writeFileAtomic } from "../cli/outputs.ts";
import { onInterrupt } from "../cli/interrupt.ts";
import { readAudio, resample, writeSphere } from "../data/audio.ts";
import {
  MAX_SYNTH_SPEAKERS,
  sentenceText,
  SYNTH_VOICES,
  type SynthPlan,
  synthPlan,
  type SynthUtterance,
} from "../data/synth_grammar.ts";
import {
  CORE_TEST_SPEAKERS,
  formatSegments,
  type Segment,
  splitCounts,
  TIMIT_RATE,
  VALIDATION_SPEAKERS,
  walkCorpus,
} from "../data/timit_corpus.ts";
import { denoCorpusFiles } from "../data/timit_files.ts";
import { formatDuration } from "../train/progress.ts";

/** The flags of `deno task timit:synth`. */
export const TIMIT_SYNTH_FLAGS: FlagSpecs = {
  out: { type: "string", default: "", help: "folder to write the corpus into (new or empty)" },
  speakers: {
    type: "int",
    default: 192,
    min: 3,
    max: MAX_SYNTH_SPEAKERS,
    help: "speakers (voice x pitch x tempo variants); an eighth each validation and test",
  },
  sentences: {
    type: "int",
    default: 16,
    min: 1,
    max: 40,
    help: "sentences per speaker besides SA1 and SA2 (5/8 SX, 3/8 SI)",
  },
  seed: {
    type: "int",
    default: 1,
    min: 0,
    max: MAX_SEED,
    help: "seed of the speakers and sentences",
  },
  small: {
    type: "boolean",
    default: false,
    help: "a small corpus for tests: 12 speakers x 4 sentences",
  },
  jobs: { type: "int", default: 2, min: 1, max: 32, help: "flite processes at a time" },
};

const USAGE = `usage: deno task timit:synth --out DIR [options]

Writes a stand-in for the TIMIT corpus in its layout (TRAIN/TEST/DRn/<speaker>/<ID>.WAV .PHN .WRD
.TXT, SPHERE audio at 16 kHz), spoken by flite (apt-get install flite) with speakers made of its
voices at several pitches and tempos, and sentences from a seeded grammar. The same flags give
the same bytes. See docs/spec/TIMIT.md.`;

const decoder = new TextDecoder();

/** Runs flite; a missing flite is bad input (exit 2) naming the package. */
async function flite(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  let out;
  try {
    out = await new Deno.Command("flite", { args, stdout: "piped", stderr: "piped" }).output();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.PermissionDenied) {
      throw new InputError(
        "flite is not installed or not on PATH; it speaks the stand-in corpus: install it with " +
          "apt-get install flite (Debian/Ubuntu package flite)",
      );
    }
    throw e;
  }
  return { stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr), code: out.code };
}

/** Checks flite and its voices; returns its version line. */
async function checkFlite(): Promise<string> {
  const version = await flite(["--version"]);
  const line = version.stdout.split("\n").find((l) => l.includes("version")) ?? "";
  const voices = (await flite(["-lv"])).stdout;
  const missing = SYNTH_VOICES.map((v) => v.voice).filter((v) => !voices.split(/\s+/).includes(v));
  if (missing.length > 0) {
    throw new InputError(
      `flite lacks the voice(s) ${missing.join(", ")} (it has: ${voices.trim()}); ` +
        "install Debian's flite 2.2 (apt-get install flite)",
    );
  }
  return line.trim().replace(/^version:\s*/, "");
}

/** Phones per word for one voice: one flite call over the words, each its own sentence. */
async function phoneCounts(voice: string, words: string[]): Promise<Map<string, number>> {
  const r = await flite([
    "-voice",
    voice,
    "-ps",
    "-t",
    words.map((w) => `${w}.`).join(" "),
    "-o",
    "none",
  ]);
  if (r.code !== 0) throw new RunFailure(`flite -ps failed (exit ${r.code}): ${r.stderr.trim()}`);
  const groups: number[] = [];
  let n = 0;
  for (const p of r.stdout.trim().split(/\s+/)) {
    if (p === "pau") {
      if (n > 0) groups.push(n);
      n = 0;
    } else n++;
  }
  if (n > 0) groups.push(n);
  if (groups.length !== words.length) {
    throw new RunFailure(
      `flite -ps gave ${groups.length} words' phones for ${words.length} words (voice ${voice})`,
    );
  }
  return new Map(words.map((w, i) => [w, groups[i]]));
}

/**
 * Phone and word segments from flite's `-psdur` output (`phone:end_seconds` pairs) for audio of
 * `samples` samples: end times to samples (divided by the resampling factor), the last phone
 * ending with the audio, segments kept non-empty; the leading and trailing `pau` become `h#`; the
 * words cover their phones (pauses between words belong to no word).
 */
export function segmentsFromPsdur(
  psdur: string,
  options: {
    samples: number;
    words: readonly string[];
    phoneCounts: Map<string, number>;
    resample?: number;
  },
): { phones: Segment[]; words: Segment[] } {
  const pairs = psdur.trim().split(/\s+/).filter((t) => t !== "").map((t) => {
    const m = t.match(/^([a-z]+):(\d+(?:\.\d+)?)$/);
    if (!m) throw new RunFailure(`flite -psdur printed ${JSON.stringify(t)}, not phone:time`);
    return { phone: m[1], time: Number(m[2]) };
  });
  const n = options.samples, k = pairs.length;
  if (k === 0 || k > n) throw new RunFailure(`flite -psdur printed ${k} phones for ${n} samples`);
  const ends = pairs.map((p) => Math.round((p.time * TIMIT_RATE) / (options.resample ?? 1)));
  ends[k - 1] = n;
  for (let i = 0; i < k; i++) ends[i] = Math.max(ends[i], i === 0 ? 1 : ends[i - 1] + 1);
  for (let i = k - 1; i >= 0; i--) ends[i] = Math.min(ends[i], n - (k - 1 - i));
  const phones = pairs.map((p, i) => ({
    start: i === 0 ? 0 : ends[i - 1],
    end: ends[i],
    label: p.phone === "pau" && (i === 0 || i === k - 1) ? "h#" : p.phone,
  }));
  const spoken = phones.map((_, i) => i).filter((i) => pairs[i].phone !== "pau");
  const expected = options.words.reduce((a, w) => a + (options.phoneCounts.get(w) ?? NaN), 0);
  if (spoken.length !== expected) {
    throw new RunFailure(
      `flite spoke ${spoken.length} phones for "${
        options.words.join(" ")
      }", whose words have ${expected}`,
    );
  }
  const words: Segment[] = [];
  let at = 0;
  for (const w of options.words) {
    const count = options.phoneCounts.get(w)!;
    words.push({
      start: phones[spoken[at]].start,
      end: phones[spoken[at + count - 1]].end,
      label: w,
    });
    at += count;
  }
  return { phones, words };
}

/** Synthesises one utterance and writes its four files. */
async function synthesise(
  u: SynthUtterance,
  out: string,
  tmp: string,
  counts: Map<string, number>,
): Promise<number> {
  const s = u.speaker;
  const text = sentenceText(u.words);
  const args = ["-voice", s.voice, "--setf", `duration_stretch=${s.durationStretch}`];
  if (s.f0Target !== undefined) args.push("--setf", `int_f0_target_mean=${s.f0Target}`);
  args.push("-psdur", "-t", text, "-o", tmp);
  const r = await flite(args);
  if (r.code !== 0) {
    throw new RunFailure(
      `flite failed on "${text}" (voice ${s.voice}, exit ${r.code}): ${r.stderr.trim()}`,
    );
  }
  let audio;
  try {
    audio = readAudio(await Deno.readFile(tmp), `flite output for ${s.name}/${u.id}`);
  } finally {
    await Deno.remove(tmp).catch(() => {});
  }
  if (audio.rate !== TIMIT_RATE) {
    throw new RunFailure(`flite voice ${s.voice} wrote ${audio.rate} Hz audio, not ${TIMIT_RATE}`);
  }
  const samples = s.resample ? resample(audio.samples, s.resample) : audio.samples;
  const seg = segmentsFromPsdur(r.stdout, {
    samples: samples.length,
    words: u.words,
    phoneCounts: counts,
    resample: s.resample,
  });
  const base = utteranceBase(out, u);
  const utteranceId = `${s.name.slice(1).toLowerCase()}_${u.id.toLowerCase()}`;
  // Each file atomically, the .TXT last: an utterance whose four files exist is complete.
  await writeFileAtomic(
    `${base}.WAV`,
    writeSphere(samples, TIMIT_RATE, {
      database_id: "EPROP-TIMIT-STANDIN",
      utterance_id: utteranceId,
    }),
  );
  await writeFileAtomic(`${base}.PHN`, formatSegments(seg.phones));
  await writeFileAtomic(`${base}.WRD`, formatSegments(seg.words));
  await writeFileAtomic(`${base}.TXT`, `0 ${samples.length} ${text}\n`);
  return samples.length;
}

/** Where an utterance's four files go, without the extension. */
function utteranceBase(out: string, u: SynthUtterance): string {
  const s = u.speaker;
  return `${out}/${s.folder}/${s.dialect}/${s.name}/${u.id}`;
}

/** Whether an utterance's four files are there (written by an earlier, interrupted run). */
async function utteranceDone(out: string, u: SynthUtterance): Promise<boolean> {
  const base = utteranceBase(out, u);
  for (const ext of ["TXT", "WAV", "PHN", "WRD"]) {
    try {
      if (!(await Deno.stat(`${base}.${ext}`)).isFile) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/**
 * The marker an unfinished corpus holds (written first, removed when SYNTH.json is written):
 * its settings, so that the same command recognises its own partial output and continues it.
 */
export const SYNTH_PARTIAL_FILE = ".timit-synth-partial.json";

/** The settings that decide a corpus's bytes. */
interface SynthSettings {
  seed: number;
  speakers: number;
  sentences: number;
  flite: string;
}

/** The flags of settings, as a command line. */
function settingsFlags(s: Pick<SynthSettings, "seed" | "speakers" | "sentences">): string {
  return `--speakers ${s.speakers} --sentences ${s.sentences} --seed ${s.seed}`;
}

/** The flags of two settings that differ, as "--seed 2 (it holds 1)". */
function differences(now: SynthSettings, then: Partial<SynthSettings>): string[] {
  return (["speakers", "sentences", "seed"] as const).filter((k) => then[k] !== now[k]).map((k) =>
    `--${k} ${now[k]} (it was made with ${then[k]})`
  );
}

async function readJson(path: string): Promise<Record<string, unknown> | undefined> {
  let text;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw fileError(e, `read ${path}`);
  }
  try {
    const j = JSON.parse(text);
    if (typeof j === "object" && j !== null && !Array.isArray(j)) return j;
  } catch { /* below */ }
  throw new InputError(
    `${path} is not this project's (not a JSON object); choose a new or empty --out`,
  );
}

/**
 * What --out holds: nothing (a new or empty folder: start), this command's unfinished corpus
 * with the same settings (continue it), or a finished one with the same settings (nothing to
 * do). Other settings, and a folder with anything else, are refused.
 */
async function synthFolder(
  out: string,
  settings: SynthSettings,
): Promise<"new" | "partial" | "finished"> {
  let info;
  try {
    info = await Deno.stat(out);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return "new";
    throw fileError(e, `read --out ${out}`);
  }
  if (!info.isDirectory) throw new InputError(`--out ${out} is a file; give a folder`);
  const finished = await readJson(`${out}/SYNTH.json`);
  const partial = await readJson(`${out}/${SYNTH_PARTIAL_FILE}`);
  if (finished) {
    // SYNTH.json lists the speakers; their number is the --speakers it was made with.
    const made = {
      ...finished,
      speakers: Array.isArray(finished.speakers) ? finished.speakers.length : finished.speakers,
    };
    const diff = differences(settings, made as Partial<SynthSettings>);
    if (diff.length > 0) {
      throw new InputError(
        `--out ${out} already holds a stand-in corpus made with other settings: ${
          diff.join(", ")
        }; choose a new or empty folder`,
      );
    }
    return "finished";
  }
  if (partial) {
    const diff = differences(settings, partial as Partial<SynthSettings>);
    if (diff.length > 0) {
      throw new InputError(
        `--out ${out} holds an unfinished corpus of timit:synth with other settings: ${
          diff.join(", ")
        }; continue it with ${
          settingsFlags(partial as unknown as SynthSettings)
        }, or choose a new or empty folder`,
      );
    }
    if (partial.flite !== settings.flite) {
      throw new InputError(
        `--out ${out} holds an unfinished corpus spoken by flite ${
          JSON.stringify(partial.flite)
        }, this flite is ${
          JSON.stringify(settings.flite)
        }: its bytes would differ; choose a new or empty folder`,
      );
    }
    return "partial";
  }
  const names: string[] = [];
  for await (const e of Deno.readDir(out)) names.push(e.name);
  if (names.length > 0) {
    throw new InputError(
      `--out ${out} holds files that are not a timit:synth corpus (${names.slice(0, 3).join(", ")}${
        names.length > 3 ? ", ..." : ""
      }); choose a new or empty folder`,
    );
  }
  return "new";
}

/** The settings and speakers, written as SYNTH.json. */
function describePlan(plan: SynthPlan, settings: Record<string, unknown>): string {
  return JSON.stringify(
    {
      generator: "deno task timit:synth (eprop)",
      ...settings,
      spec: "docs/spec/TIMIT.md",
      speakers: plan.speakers.map((s) => ({
        name: s.name,
        dialect: s.dialect,
        folder: s.folder,
        split: s.split,
        voice: s.voice,
        pitch: s.pitch,
        ...(s.f0Target !== undefined
          ? { int_f0_target_mean: s.f0Target }
          : { resample: s.resample }),
        tempo: s.tempo,
        duration_stretch: s.durationStretch,
      })),
    },
    null,
    1,
  ) + "\n";
}

/**
 * Runs the command.
 * @param args Command-line arguments.
 * @returns The exit code.
 */
export function main(args: string[]): Promise<number> {
  return commandMain(
    {
      name: "timit:synth",
      usage: USAGE,
      flags: TIMIT_SYNTH_FLAGS,
      check: (v, given) => {
        if (!given.has("out")) {
          throw new FlagError("--out is required: the folder to write the corpus into");
        }
        if (v.small && (given.has("speakers") || given.has("sentences"))) {
          throw new FlagError(
            "--small sets --speakers 12 --sentences 4; give either --small or those",
          );
        }
      },
    },
    args,
    async ({ values }) => {
      const started = performance.now();
      const out = (values.out as string).replace(/\/+$/, "") || "/";
      const speakers = values.small ? 12 : values.speakers as number;
      const sentences = values.small ? 4 : values.sentences as number;
      const seed = values.seed as number;
      const jobs = values.jobs as number;
      const version = await checkFlite();
      const settings: SynthSettings = { seed, speakers, sentences, flite: version };
      const state = await synthFolder(out, settings);
      if (state === "finished") {
        console.log(
          `timit:synth: ${out} already holds this corpus (${
            settingsFlags(settings)
          }, SYNTH.json); nothing to do`,
        );
        return;
      }
      if (state === "new") {
        try {
          await Deno.mkdir(out, { recursive: true });
        } catch (e) {
          throw fileError(e, `create --out ${out}`);
        }
        await writeFileAtomic(
          `${out}/${SYNTH_PARTIAL_FILE}`,
          JSON.stringify({ generator: "deno task timit:synth (eprop)", ...settings }) + "\n",
        );
      } else {
        // Continuing: the folder must still be writable.
        await writeFileAtomic(
          `${out}/${SYNTH_PARTIAL_FILE}`,
          JSON.stringify({ generator: "deno task timit:synth (eprop)", ...settings }) + "\n",
        );
      }
      const plan = synthPlan({
        speakers,
        sentences,
        seed,
        validationNames: VALIDATION_SPEAKERS,
        testNames: CORE_TEST_SPEAKERS,
      });
      const used = [...new Set(plan.utterances.flatMap((u) => u.words))].sort();
      // Phones per word: the voices share flite's US English lexicon and letter-to-sound rules,
      // so the count of one voice (kal16, the quickest) serves all; every utterance is checked.
      const counts = await phoneCounts("kal16", used);
      try {
        for (const s of plan.speakers) {
          await Deno.mkdir(`${out}/${s.folder}/${s.dialect}/${s.name}`, { recursive: true });
        }
      } catch (e) {
        throw fileError(e, `create folders in ${out}`);
      }
      const total = plan.utterances.length;
      const todo: SynthUtterance[] = [];
      for (const u of plan.utterances) {
        if (state === "partial" && await utteranceDone(out, u)) continue;
        todo.push(u);
      }
      console.log(
        `timit:synth: ${total} utterances (${speakers} speakers x ${sentences + 2} sentences, ` +
          `SA included) with ${version}, ${jobs} at a time, into ${out}` +
          (state === "partial"
            ? `; continuing an interrupted run: ${total - todo.length} already written`
            : ""),
      );
      const synthStarted = performance.now();
      let next = 0, done = total - todo.length, samples = 0, lastReport = performance.now();
      const skipped = done;
      const seconds = new Map(["train", "validation", "test", "SA"].map((k) => [k, 0]));
      const report = () => {
        const elapsed = (performance.now() - started) / 1000;
        const perSecond = (done - skipped) / ((performance.now() - synthStarted) / 1000);
        console.log(
          `timit:synth: ${done}/${total} utterances (${Math.round((100 * done) / total)}%), ` +
            `${(samples / TIMIT_RATE / 3600).toFixed(2)} h of audio${
              skipped > 0 ? " this run" : ""
            }, ${formatDuration(elapsed)} elapsed, ` +
            `${formatDuration(perSecond > 0 ? (total - done) / perSecond : 0)} left`,
        );
      };
      const again = `deno task timit:synth --out ${out} ${
        values.small ? "--small" : `--speakers ${speakers} --sentences ${sentences}`
      } --seed ${seed}`;
      const removeHandler = onInterrupt(() =>
        `${done}/${total} utterances are written in ${out}; run the same command again to continue: ${again}`
      );
      try {
        const worker = async (slot: number) => {
          const tmp = `${out}/.flite-${slot}.wav`;
          while (next < todo.length) {
            const u = todo[next++];
            const n = await synthesise(u, out, tmp, counts);
            samples += n;
            const bucket = u.id.startsWith("SA") ? "SA" : u.speaker.split;
            seconds.set(bucket, seconds.get(bucket)! + n / TIMIT_RATE);
            done++;
            if (performance.now() - lastReport > 10_000 && done < total) {
              lastReport = performance.now();
              report();
            }
          }
        };
        await Promise.all(Array.from({ length: jobs }, (_, slot) => worker(slot)));
        report();
        await writeFileAtomic(
          `${out}/SYNTH.json`,
          describePlan(plan, {
            seed,
            speakers,
            sentences,
            flite: version,
            voices: SYNTH_VOICES,
            rate: TIMIT_RATE,
          }),
        );
        // flite's scratch files, also those an interrupted run with more --jobs left behind.
        for await (const e of Deno.readDir(out)) {
          if (/^\.flite-\d+\.wav$/.test(e.name)) await Deno.remove(`${out}/${e.name}`);
        }
        await Deno.remove(`${out}/${SYNTH_PARTIAL_FILE}`).catch(() => {});
      } finally {
        removeHandler();
      }
      // Read the corpus back with the reader the real corpus goes through.
      const listing = await walkCorpus(denoCorpusFiles(), { root: out });
      const c = splitCounts(listing.utterances);
      const parts = (["train", "validation", "test"] as const).map((split) =>
        `${split} ${c[split].utterances} utterances of ${c[split].speakers} speakers, ${
          (seconds.get(split)! / 3600).toFixed(2)
        } h`
      );
      console.log(
        `timit:synth: wrote ${listing.utterances.length} utterances in ${
          formatDuration((performance.now() - started) / 1000)
        }; splits (SA excluded): ${parts.join("; ")}; SA: ${
          (seconds.get("SA")! / 3600).toFixed(2)
        } h`,
      );
    },
  );
}

if (import.meta.main) Deno.exit(await main(Deno.args));

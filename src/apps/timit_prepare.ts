/**
 * `deno task timit:prepare --timit ROOT --out DIR`: reads a corpus in TIMIT's layout (the LDC
 * corpus or the stand-in of `timit:synth`), computes the paper's features of every utterance of
 * the three splits (training without SA, the 50 validation speakers, the 24 core-test speakers;
 * docs/spec/TIMIT.md), z-scores them with the training split's statistics, labels every frame
 * with its phone, and writes the cache that training reads (src/data/timit_cache.ts), plus a
 * figure of the first training utterance (`utterance.svg`, `utterance.png`; `--no-figure` leaves
 * it out). The same corpus and flags give the same bytes.
 *
 * @module
 */
import { commandMain, fileError, InputError } from "../cli/command.ts";
import { FlagError, type FlagSpecs } from "../cli/flags.ts";
import { writeFileAtomic } from "../cli/outputs.ts";
import { onInterrupt } from "../cli/interrupt.ts";
import {
  CLASSES_39,
  CorpusError,
  foldingTable,
  type LoadedUtterance,
  loadUtterance,
  type SkippedFile,
  SPLIT_NAMES,
  type SplitName,
  TIMIT_RATE,
  TIMIT_SPLIT_SIZES,
  type UtteranceFiles,
  walkCorpus,
} from "../data/timit_corpus.ts";
import {
  FEATURE_DIMS,
  type FeatureKind,
  FeatureStats,
  type PreparedUtterance,
  prepareUtterance,
  type SplitSummary,
  zScore,
} from "../data/timit_cache.ts";
import { denoCorpusFiles, writeTimitCache } from "../data/timit_files.ts";
import { utteranceFigure } from "../data/timit_figure.ts";
import { saveFigure } from "../plot/render.ts";
import { formatDuration } from "../train/progress.ts";

/** Whether a path exists (errors other than "not found" count as existing). */
async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    return !(e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory);
  }
}

/**
 * The marker of an unfinished cache: written first, removed when the cache and its figure are
 * written. A folder holding it (and no manifest.json) is this command's own interrupted output,
 * which a new run prepares anew.
 */
export const PREPARE_PARTIAL_FILE = ".timit-prepare-partial.json";

/**
 * Prepares --out: new, empty, or this command's unfinished cache (its marker, no manifest.json);
 * a finished cache and a folder of other files are refused, and so is one that cannot be written.
 */
async function prepareCacheDir(out: string): Promise<void> {
  let info;
  try {
    info = await Deno.stat(out);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw fileError(e, `read --out ${out}`);
  }
  if (info && !info.isDirectory) throw new InputError(`--out ${out} is a file; give a folder`);
  if (info) {
    if (await exists(`${out}/manifest.json`)) {
      throw new InputError(
        `--out ${out} already holds a TIMIT cache (manifest.json); choose a new or empty folder`,
      );
    }
    if (!(await exists(`${out}/${PREPARE_PARTIAL_FILE}`))) {
      const names: string[] = [];
      for await (const e of Deno.readDir(out)) names.push(e.name);
      if (names.length > 0) {
        throw new InputError(
          `--out ${out} holds files that are not a TIMIT cache (${names.slice(0, 3).join(", ")}${
            names.length > 3 ? ", ..." : ""
          }); choose a new or empty folder`,
        );
      }
    }
  }
  try {
    await Deno.mkdir(out, { recursive: true });
  } catch (e) {
    throw fileError(e, `create --out ${out}`);
  }
  await writeFileAtomic(
    `${out}/${PREPARE_PARTIAL_FILE}`,
    JSON.stringify({ generator: "deno task timit:prepare (eprop)", unfinished: true }) + "\n",
  );
}

/** The flags of `deno task timit:prepare`. */
export const TIMIT_PREPARE_FLAGS: FlagSpecs = {
  timit: {
    type: "string",
    default: "",
    help: "corpus root: the folder that holds TRAIN and TEST (LDC TIMIT or timit:synth's)",
  },
  out: { type: "string", default: "", help: "folder to write the cache into (new or empty)" },
  features: {
    type: "string",
    default: "fbank",
    choices: ["fbank", "mfcc"],
    help: "fbank: 40 log mel + energy with deltas (123, the paper's); mfcc: 13 with deltas (39)",
  },
  "skip-bad": {
    type: "boolean",
    default: false,
    help: "leave out bad or inconsistent files (listed in manifest.json) instead of stopping",
  },
  "no-figure": { type: "boolean", default: false, help: "do not draw the figure of an utterance" },
};

const USAGE = `usage: deno task timit:prepare --timit ROOT --out DIR [options]

Reads a corpus in TIMIT's layout, computes the features of the paper's three splits (training
without SA, 50 validation and 24 core-test speakers), z-scores them with the training statistics,
labels every 10 ms frame with its phone (61 labels; the 39-class folding is kept in the manifest)
and writes the cache that training reads: <split>.features.f32, .labels.u8, .lengths.i32,
.ids.txt, normalization.json, manifest.json; and utterance.svg/.png, a figure of the first
training utterance. See docs/spec/TIMIT.md.`;

/**
 * Runs the command.
 * @param args Command-line arguments.
 * @returns The exit code.
 */
export function main(args: string[]): Promise<number> {
  return commandMain(
    {
      name: "timit:prepare",
      usage: USAGE,
      flags: TIMIT_PREPARE_FLAGS,
      check: (_v, given) => {
        if (!given.has("timit")) {
          throw new FlagError(
            "--timit is required: the corpus root (the folder with TRAIN and TEST)",
          );
        }
        if (!given.has("out")) {
          throw new FlagError("--out is required: the folder to write the cache into");
        }
      },
    },
    args,
    async ({ values }) => {
      const started = performance.now();
      const root = (values.timit as string).replace(/(.)\/+$/, "$1");
      const out = (values.out as string).replace(/(.)\/+$/, "$1");
      const kind = values.features as FeatureKind;
      const skipBad = values["skip-bad"] as boolean;
      let info;
      try {
        info = await Deno.stat(root);
      } catch (e) {
        throw fileError(e, `read --timit ${root}`);
      }
      if (!info.isDirectory) {
        throw new InputError(`--timit ${root} is a file; give the corpus folder`);
      }
      const files = denoCorpusFiles();
      let listing;
      try {
        listing = await walkCorpus(files, { root, skipBad });
      } catch (e) {
        if (e instanceof CorpusError) throw e;
        throw fileError(e, `read the corpus in --timit ${root}`);
      }
      const skipped: SkippedFile[] = [...listing.skipped];
      const chosen = listing.utterances.filter((u) => u.split !== undefined);
      await prepareCacheDir(out);
      const removeHandler = onInterrupt(() =>
        `the cache in ${out} is unfinished (no manifest.json); run the same command again to prepare it anew there`
      );
      try {
        const bySplit = Object.fromEntries(
          SPLIT_NAMES.map((s) => [s, chosen.filter((u) => u.split === s)]),
        ) as Record<SplitName, UtteranceFiles[]>;
        if (bySplit.train.length === 0) {
          throw new InputError(
            `--timit ${root} holds no training utterances (TRAIN/DRn/<speaker>/SI*, SX*); nothing to normalise with`,
          );
        }
        console.log(
          `timit:prepare: ${chosen.length} utterances (train ${bySplit.train.length}, validation ${bySplit.validation.length}, test ${bySplit.test.length}) in ${root}, ${kind} features`,
        );
        const stats = new FeatureStats(FEATURE_DIMS[kind]);
        const prepared = { train: [], validation: [], test: [] } as Record<
          SplitName,
          PreparedUtterance[]
        >;
        const samplesOf = { train: 0, validation: 0, test: 0 } as Record<SplitName, number>;
        let first: LoadedUtterance | undefined;
        let done = 0, lastReport = performance.now();
        for (const split of SPLIT_NAMES) {
          for (const u of bySplit[split]) {
            let loaded: LoadedUtterance;
            try {
              loaded = await loadUtterance(files, u);
            } catch (e) {
              if (!(e instanceof CorpusError) || !skipBad) throw e;
              skipped.push({ file: e.file, reason: e.message });
              continue;
            }
            const p = prepareUtterance(loaded, kind);
            if (split === "train") {
              stats.add(p.features);
              first ??= loaded;
            }
            prepared[split].push(p);
            samplesOf[split] += p.samples;
            done++;
            if (performance.now() - lastReport > 5000) {
              lastReport = performance.now();
              const elapsed = (performance.now() - started) / 1000;
              console.log(
                `timit:prepare: ${done}/${chosen.length} utterances (${
                  Math.round((100 * done) / chosen.length)
                }%), ${formatDuration(elapsed)} elapsed, ${
                  formatDuration((elapsed / done) * (chosen.length - done))
                } left`,
              );
            }
          }
        }
        const normalisation = stats.result();
        const fold = foldingTable();
        const summaries = {} as Record<SplitName, SplitSummary>;
        for (const split of SPLIT_NAMES) {
          const list = prepared[split];
          const classFrames = new Array(CLASSES_39.length).fill(0);
          for (const p of list) {
            zScore(p.features, normalisation);
            for (const l of p.labels) classFrames[fold[l]]++;
          }
          summaries[split] = {
            utterances: list.length,
            speakers: new Set(list.map((p) => p.speaker)).size,
            frames: list.reduce((a, p) => a + p.frames, 0),
            seconds: Math.round((samplesOf[split] / TIMIT_RATE) * 1000) / 1000,
            classFrames,
          };
        }
        let absolute = root;
        try {
          absolute = await Deno.realPath(root);
        } catch { /* keep it as given */ }
        let manifest;
        try {
          manifest = await writeTimitCache(out, {
            splits: prepared,
            stats: normalisation,
            kind,
            summaries,
            root: absolute,
            skipped,
          });
        } catch (e) {
          throw fileError(e, `write the cache into --out ${out}`);
        }
        let figure = "";
        if (!values["no-figure"] && first) {
          const f = first.files;
          const spec = utteranceFigure({
            title: `${f.folder}/${f.dialect}/${f.speaker}/${f.sentence}: ${first.text}`,
            samples: first.audio.samples,
            phones: first.phones,
          });
          const paths = await saveFigure(spec, { dir: out, name: "utterance" });
          figure = `; figure ${paths.svg}, ${paths.png}`;
        }
        await Deno.remove(`${out}/${PREPARE_PARTIAL_FILE}`).catch(() => {});
        const elapsed = formatDuration((performance.now() - started) / 1000);
        for (const split of SPLIT_NAMES) {
          const s = summaries[split];
          const real = TIMIT_SPLIT_SIZES[split];
          console.log(
            `timit:prepare: ${split}: ${s.utterances} utterances, ${s.speakers} speakers, ${
              (s.seconds / 3600).toFixed(2)
            } h, ${s.frames} frames (TIMIT: ${real.utterances} utterances, ${real.speakers} speakers)`,
          );
        }
        if (skipped.length > 0) {
          console.log(
            `timit:prepare: skipped ${skipped.length} bad file(s), listed in manifest.json:`,
          );
          for (const s of skipped.slice(0, 10)) console.log(`  ${s.reason}`);
        }
        console.log(
          `timit:prepare: wrote ${out} (content ${
            manifest.contentHash.slice(0, 16)
          }) in ${elapsed}${figure}`,
        );
      } finally {
        removeHandler();
      }
    },
  );
}

if (import.meta.main) Deno.exit(await main(Deno.args));

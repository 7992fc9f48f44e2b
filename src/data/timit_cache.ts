/**
 * The prepared TIMIT cache that training reads (written by `deno task timit:prepare`): per split
 * the z-scored features (float32), the frame labels (uint8 ids of the 61 phones), the utterance
 * lengths in frames (int32) and the utterance ids, with the training split's normalisation
 * statistics and a `manifest.json` (format version, counts, feature kind and size, the phone set
 * and its folding to 39 classes, the SHA-256 of every data file and of them all).
 *
 * Files (all little-endian, utterances back to back in the order of `<split>.ids.txt`):
 * - `<split>.features.f32`: [frames][dim] float32, z-scored;
 * - `<split>.labels.u8`: [frames] phone ids (index in `manifest.labels.phones`);
 * - `<split>.lengths.i32`: [utterances] frames per utterance;
 * - `<split>.ids.txt`: one `DR1/FCJF0/SI1027` per line;
 * - `normalization.json`: `{ kind, dim, mean, std }` of the raw training features.
 *
 * Everything here except the default file reader of {@linkcode readTimitCache} is free of Deno
 * APIs, so a browser can parse a cache it fetched.
 *
 * @module
 */
import { speechFeatures } from "./speech_features.ts";
import { frameLabels } from "./speech_features.ts";
import {
  CLASSES_39,
  foldingTable,
  type LoadedUtterance,
  phoneId,
  SPLIT_NAMES,
  type SplitName,
  TIMIT_PHONES,
} from "./timit_corpus.ts";

/** The cache's format name (manifest `format`). */
export const TIMIT_CACHE_FORMAT = "eprop-timit-cache";
/** The cache's format version (manifest `version`). */
export const TIMIT_CACHE_VERSION = 1;

/** Feature kinds: 123 filter-bank features (the paper's) or 39 MFCC. */
export type FeatureKind = "fbank" | "mfcc";

/** Feature size per kind. */
export const FEATURE_DIMS: Readonly<Record<FeatureKind, number>> = Object.freeze({
  fbank: 123,
  mfcc: 39,
});

/** The data files of one split. */
export function splitFileNames(split: SplitName): {
  features: string;
  labels: string;
  lengths: string;
  ids: string;
} {
  return {
    features: `${split}.features.f32`,
    labels: `${split}.labels.u8`,
    lengths: `${split}.lengths.i32`,
    ids: `${split}.ids.txt`,
  };
}

/** The normalisation file's name. */
export const NORMALIZATION_FILE = "normalization.json";
/** The manifest's name. */
export const MANIFEST_FILE = "manifest.json";

/** Counts of one split. */
export interface SplitSummary {
  /** Utterances. */
  utterances: number;
  /** Speakers. */
  speakers: number;
  /** Feature frames (10 ms each). */
  frames: number;
  /** Audio in seconds. */
  seconds: number;
  /** Frames per class of the 39-class folding (in `manifest.labels.classes39` order). */
  classFrames: number[];
}

/** `manifest.json`. */
export interface TimitManifest {
  /** {@linkcode TIMIT_CACHE_FORMAT}. */
  format: string;
  /** {@linkcode TIMIT_CACHE_VERSION}. */
  version: number;
  /** The corpus it was prepared from. */
  source: { root: string; skipped: { file: string; reason: string }[] };
  /** The features. */
  features: {
    kind: FeatureKind;
    dim: number;
    rate: number;
    frameLength: number;
    frameStep: number;
    dtype: "float32";
    normalization: string;
  };
  /** The labels: phone ids, the 61 phones, the 39 classes and each phone's class id. */
  labels: { dtype: "uint8"; phones: string[]; classes39: string[]; folding: number[] };
  /** Counts per split. */
  splits: Record<SplitName, SplitSummary>;
  /**
   * Size and SHA-256 of every data file, and (caches written since the check on open) `sample`:
   * the SHA-256 of the chunks at {@linkcode sampleRanges}, checked each time the cache is opened.
   */
  files: Record<string, CacheFileEntry>;
  /**
   * SHA-256 of the lines `<name> <sha256>\n` of the data files in sorted order (one hash for the
   * whole content).
   */
  contentHash: string;
}

/** One data file of the manifest. */
export interface CacheFileEntry {
  /** Size in bytes. */
  bytes: number;
  /** SHA-256 of the whole file (hex). */
  sha256: string;
  /** SHA-256 of the chunks at {@linkcode sampleRanges} (hex), when recorded. */
  sample?: string;
}

/** Bytes per sampled chunk of the check on open. */
export const SAMPLE_CHUNK_BYTES = 4096;
/** Chunks sampled per file by the check on open. */
export const SAMPLE_CHUNKS = 64;
/** Files up to this size are hashed whole by the check on open (larger ones are sampled). */
export const FULL_HASH_ON_OPEN_BYTES = 16 * 2 ** 20;

/**
 * The byte ranges the check on open hashes: {@linkcode SAMPLE_CHUNKS} chunks of
 * {@linkcode SAMPLE_CHUNK_BYTES}, the first at 0, the last ending at the end, the rest evenly
 * spaced between (the whole file when it is smaller than that).
 * @param size The file's size.
 * @returns [start, end) ranges, in order, not overlapping.
 */
export function sampleRanges(size: number): [number, number][] {
  if (size <= SAMPLE_CHUNK_BYTES * SAMPLE_CHUNKS) return [[0, size]];
  const last = size - SAMPLE_CHUNK_BYTES;
  return Array.from({ length: SAMPLE_CHUNKS }, (_, i) => {
    const start = Math.round((i * last) / (SAMPLE_CHUNKS - 1));
    return [start, start + SAMPLE_CHUNK_BYTES] as [number, number];
  });
}

/**
 * SHA-256 of bytes (hex), by WebCrypto (no Deno API).
 * @param bytes The bytes.
 * @returns 64 hex digits.
 */
export async function sha256Bytes(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The sample hash of a file ({@linkcode CacheFileEntry.sample}): the SHA-256 of its chunks at
 * {@linkcode sampleRanges}, concatenated.
 * @param read Reads the bytes of [start, end) (the whole file may be passed as a slice source).
 * @param size The file's size.
 * @returns 64 hex digits.
 */
export async function sampleHash(
  read: (start: number, end: number) => Promise<Uint8Array> | Uint8Array,
  size: number,
): Promise<string> {
  const ranges = sampleRanges(size);
  const total = ranges.reduce((a, [s, e]) => a + e - s, 0);
  const buf = new Uint8Array(total);
  let at = 0;
  for (const [s, e] of ranges) {
    buf.set(await read(s, e), at);
    at += e - s;
  }
  return sha256Bytes(buf);
}

/** How much of a cache's bytes are checked against its manifest when it is opened. */
export type CacheCheck = "sample" | "full" | "none";

// ---------------------------------------------------------------------------------------------
// Preparing utterances

/** One utterance's features and labels, before z-scoring. */
export interface PreparedUtterance {
  /** `DR1/FCJF0/SI1027`. */
  id: string;
  /** Speaker. */
  speaker: string;
  /** Frames. */
  frames: number;
  /** Raw features [frames][dim] (float32; z-scored in place later). */
  features: Float32Array;
  /** Phone id per frame. */
  labels: Uint8Array;
  /** Audio length in samples. */
  samples: number;
}

/**
 * Features and frame labels of a loaded utterance.
 * @param u The utterance.
 * @param kind Feature kind.
 * @returns Raw features (float32) and the phone id of every frame.
 */
export function prepareUtterance(u: LoadedUtterance, kind: FeatureKind): PreparedUtterance {
  const f = speechFeatures(u.audio.samples, kind);
  const names = frameLabels(u.phones, f.frames);
  return {
    id: `${u.files.dialect}/${u.files.speaker}/${u.files.sentence}`,
    speaker: u.files.speaker,
    frames: f.frames,
    features: Float32Array.from(f.data),
    labels: Uint8Array.from(names, phoneId),
    samples: u.audio.samples.length,
  };
}

/**
 * Running mean and standard deviation per dimension (population, as numpy's `std`), summed in
 * float64 around the first frame seen, so that large offsets do not cancel.
 */
export class FeatureStats {
  readonly #dim: number;
  #count = 0;
  #shift: Float64Array | undefined;
  readonly #sum: Float64Array;
  readonly #sumSq: Float64Array;

  /**
   * Empty statistics.
   * @param dim Feature size.
   */
  constructor(dim: number) {
    this.#dim = dim;
    this.#sum = new Float64Array(dim);
    this.#sumSq = new Float64Array(dim);
  }

  /**
   * Adds frames.
   * @param data [frames][dim].
   */
  add(data: ArrayLike<number>): void {
    const d = this.#dim;
    if (data.length % d !== 0) {
      throw new RangeError(`Cannot add features: length ${data.length} is not a multiple of ${d}`);
    }
    if (!this.#shift && data.length > 0) {
      this.#shift = Float64Array.from({ length: d }, (_, i) => data[i]);
    }
    const shift = this.#shift!;
    for (let o = 0; o < data.length; o += d) {
      for (let i = 0; i < d; i++) {
        const x = data[o + i] - shift[i];
        this.#sum[i] += x;
        this.#sumSq[i] += x * x;
      }
    }
    this.#count += data.length / d;
  }

  /** Frames added. */
  get count(): number {
    return this.#count;
  }

  /**
   * The statistics.
   * @returns Mean and standard deviation per dimension (a zero deviation is replaced by 1).
   * @throws {RangeError} When nothing was added.
   */
  result(): { mean: Float64Array; std: Float64Array } {
    if (this.#count === 0) throw new RangeError("Cannot normalise features: no training frames");
    const n = this.#count, shift = this.#shift!;
    const mean = new Float64Array(this.#dim), std = new Float64Array(this.#dim);
    for (let i = 0; i < this.#dim; i++) {
      const m = this.#sum[i] / n;
      mean[i] = shift[i] + m;
      const variance = Math.max(0, this.#sumSq[i] / n - m * m);
      std[i] = variance > 0 ? Math.sqrt(variance) : 1;
    }
    return { mean, std };
  }
}

/**
 * Z-scores features in place.
 * @param data [frames][dim], changed.
 * @param stats Mean and standard deviation per dimension.
 */
export function zScore(data: Float32Array, stats: { mean: Float64Array; std: Float64Array }): void {
  const d = stats.mean.length;
  for (let o = 0; o < data.length; o += d) {
    for (let i = 0; i < d; i++) data[o + i] = (data[o + i] - stats.mean[i]) / stats.std[i];
  }
}

/**
 * The manifest of a cache.
 * @param parts Source, feature kind, per-split counts and the files' sizes and hashes.
 * @returns The manifest (without the content hash, which {@linkcode contentHashInput} feeds).
 */
export function makeManifest(parts: {
  root: string;
  skipped: { file: string; reason: string }[];
  kind: FeatureKind;
  splits: Record<SplitName, SplitSummary>;
  files: Record<string, CacheFileEntry>;
  contentHash: string;
}): TimitManifest {
  const sortedFiles = Object.fromEntries(
    Object.keys(parts.files).sort().map((k) => [k, parts.files[k]]),
  );
  return {
    format: TIMIT_CACHE_FORMAT,
    version: TIMIT_CACHE_VERSION,
    source: { root: parts.root, skipped: parts.skipped },
    features: {
      kind: parts.kind,
      dim: FEATURE_DIMS[parts.kind],
      rate: 16000,
      frameLength: 400,
      frameStep: 160,
      dtype: "float32",
      normalization: `z-score with the training split's mean and std (${NORMALIZATION_FILE})`,
    },
    labels: {
      dtype: "uint8",
      phones: [...TIMIT_PHONES],
      classes39: [...CLASSES_39],
      folding: [...foldingTable()],
    },
    splits: parts.splits,
    files: sortedFiles,
    contentHash: parts.contentHash,
  };
}

/**
 * The text whose SHA-256 is the manifest's `contentHash`.
 * @param files Each data file's SHA-256 (hex).
 * @returns `<name> <sha256>\n` lines, sorted by name.
 */
export function contentHashInput(files: Record<string, { sha256: string }>): string {
  return Object.keys(files).sort().map((k) => `${k} ${files[k].sha256}\n`).join("");
}

// ---------------------------------------------------------------------------------------------
// Reading

/** One split of a cache. */
export interface TimitCacheSplit {
  /** Z-scored features, [frames][dim] (all utterances back to back). */
  features: Float32Array;
  /** Feature size. */
  dim: number;
  /** Frames per utterance. */
  lengths: Int32Array;
  /** First frame of each utterance (prefix sums of `lengths`), one more than utterances. */
  offsets: Int32Array;
  /** Phone id (0..60) per frame. */
  labels: Uint8Array;
  /** Utterance ids (`DR1/FCJF0/SI1027`). */
  ids: string[];
}

/** A cache read back. */
export interface TimitCache {
  /** The manifest. */
  manifest: TimitManifest;
  /** The splits. */
  splits: Record<SplitName, TimitCacheSplit>;
  /** Mean of the raw training features per dimension. */
  mean: Float64Array;
  /** Standard deviation of the raw training features per dimension. */
  std: Float64Array;
  /** The 61 phones (label id -> name). */
  phones: string[];
  /** The 39 scoring classes. */
  classes39: string[];
  /** Class id (in `classes39`) of every phone id. */
  folding: Uint8Array;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function typed<T extends Float32Array | Int32Array>(
  bytes: Uint8Array,
  make: new (buffer: ArrayBuffer, offset: number, length: number) => T,
  width: number,
  get: (v: DataView, at: number) => number,
  Alloc: new (length: number) => T,
): T {
  const n = bytes.length / width;
  if (LITTLE_ENDIAN && bytes.byteOffset % width === 0) {
    return new make(bytes.buffer as ArrayBuffer, bytes.byteOffset, n);
  }
  const out = new Alloc(n), view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < n; i++) out[i] = get(view, i * width);
  return out;
}

const sha256Hex = sha256Bytes;

/**
 * Parses a cache from its files.
 *
 * @param read Reads a file of the cache by name (`manifest.json`, `train.features.f32`, ...).
 * @param options `where` (the folder, for messages); `check`: how the bytes are checked against
 *   the manifest's hashes: "sample" (the default: a file up to
 *   {@linkcode FULL_HASH_ON_OPEN_BYTES} is hashed whole, a larger one by its sampled chunks when
 *   the manifest records them), "full" (every file's SHA-256 and the content hash), "none";
 *   `verifyHash: true` is `check: "full"`; `fullHashBelow` changes the size up to which the
 *   "sample" check hashes a file whole (default {@linkcode FULL_HASH_ON_OPEN_BYTES}).
 * @returns The cache.
 * @throws {RangeError} "Cannot read TIMIT cache: ..." for a missing or malformed manifest, a file
 *   whose size does not match (a wrong feature size, a truncated file), or a hash mismatch (a file
 *   changed since it was prepared), naming the file and how to rebuild the cache.
 */
export async function parseTimitCache(
  read: (name: string) => Promise<Uint8Array> | Uint8Array,
  options: { where?: string; verifyHash?: boolean; check?: CacheCheck; fullHashBelow?: number } =
    {},
): Promise<TimitCache> {
  const where = options.where ? `${options.where.replace(/\/+$/, "")}/` : "";
  const check: CacheCheck = options.verifyHash ? "full" : options.check ?? "sample";
  const fullBelow = options.fullHashBelow ?? FULL_HASH_ON_OPEN_BYTES;
  const fail = (file: string, what: string): never => {
    throw new RangeError(`Cannot read TIMIT cache: ${where}${file}: ${what}`);
  };
  let rebuild = "prepare the cache again with deno task timit:prepare";
  const file = async (name: string, missing: string) => {
    try {
      return await read(name);
    } catch (e) {
      return fail(name, `${missing} (${(e as Error)?.message ?? e})`);
    }
  };
  const manifestBytes = await file(
    MANIFEST_FILE,
    "missing or unreadable; prepare the cache with deno task timit:prepare",
  );
  let manifest: TimitManifest;
  try {
    manifest = JSON.parse(new TextDecoder().decode(manifestBytes));
  } catch (e) {
    return fail(MANIFEST_FILE, `is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof manifest !== "object" || manifest === null || Array.isArray(manifest)) {
    fail(MANIFEST_FILE, "is not a JSON object; prepare the cache with deno task timit:prepare");
  }
  if (typeof manifest.source?.root === "string") {
    rebuild =
      `prepare the cache again: deno task timit:prepare --timit ${manifest.source.root} --out NEW_FOLDER`;
  }
  if (manifest?.format !== TIMIT_CACHE_FORMAT) {
    fail(
      MANIFEST_FILE,
      `format must be "${TIMIT_CACHE_FORMAT}", got ${JSON.stringify(manifest?.format)}`,
    );
  }
  if (manifest.version !== TIMIT_CACHE_VERSION) {
    fail(
      MANIFEST_FILE,
      `version ${manifest.version} is not supported (this reader reads version ${TIMIT_CACHE_VERSION}); ${rebuild}`,
    );
  }
  const kind = manifest.features?.kind;
  const dim = manifest.features?.dim;
  if (!(kind in FEATURE_DIMS) || FEATURE_DIMS[kind] !== dim) {
    fail(MANIFEST_FILE, `features must be fbank (123) or mfcc (39), got ${kind} (${dim})`);
  }
  for (const key of ["labels", "splits", "files"] as const) {
    if (typeof manifest[key] !== "object" || manifest[key] === null) {
      fail(MANIFEST_FILE, `has no "${key}"; ${rebuild}`);
    }
  }
  const { phones, classes39, folding } = manifest.labels;
  if (
    !Array.isArray(phones) || phones.length !== TIMIT_PHONES.length ||
    !Array.isArray(classes39) || classes39.length !== CLASSES_39.length ||
    !Array.isArray(folding) || folding.length !== TIMIT_PHONES.length ||
    !folding.every((c) => Number.isInteger(c) && c >= 0 && c < CLASSES_39.length)
  ) {
    fail(
      MANIFEST_FILE,
      `labels must list the 61 phones, the 39 classes and the folding; ${rebuild}`,
    );
  }
  if (typeof manifest.contentHash !== "string") {
    fail(MANIFEST_FILE, `has no contentHash; ${rebuild}`);
  }
  const checked = async (name: string) => {
    const entry = manifest.files[name];
    if (
      typeof entry !== "object" || entry === null || !Number.isInteger(entry.bytes) ||
      typeof entry.sha256 !== "string"
    ) fail(MANIFEST_FILE, `does not list ${name} with its size and SHA-256; ${rebuild}`);
    const bytes = await file(name, `missing or unreadable; ${rebuild}`);
    if (bytes.length !== entry.bytes) {
      fail(
        name,
        `holds ${bytes.length} bytes, the manifest says ${entry.bytes} (truncated or replaced); ${rebuild}`,
      );
    }
    const changed =
      `its bytes differ from the manifest's SHA-256 (the file changed or is damaged since it was prepared); ${rebuild}`;
    if (check === "full" || (check === "sample" && bytes.length <= fullBelow)) {
      if ((await sha256Hex(bytes)) !== entry.sha256) fail(name, changed);
    } else if (check === "sample" && typeof entry.sample === "string") {
      const sample = await sampleHash((s, e) => bytes.subarray(s, e), bytes.length);
      if (sample !== entry.sample) fail(name, changed);
    }
    return bytes;
  };
  let norm;
  try {
    norm = JSON.parse(new TextDecoder().decode(await checked(NORMALIZATION_FILE)));
  } catch (e) {
    if (e instanceof RangeError) throw e;
    return fail(NORMALIZATION_FILE, `is not valid JSON; ${rebuild}`);
  }
  if (norm?.mean?.length !== dim || norm?.std?.length !== dim) {
    fail(NORMALIZATION_FILE, `mean and std must have ${dim} values each`);
  }
  const splits = {} as Record<SplitName, TimitCacheSplit>;
  for (const split of SPLIT_NAMES) {
    const names = splitFileNames(split);
    const summary = manifest.splits[split];
    if (typeof summary !== "object" || summary === null) {
      fail(MANIFEST_FILE, `has no split "${split}"; ${rebuild}`);
    }
    const lengths = typed(
      await checked(names.lengths),
      Int32Array,
      4,
      (v, at) => v.getInt32(at, true),
      Int32Array,
    );
    const offsets = new Int32Array(lengths.length + 1);
    for (let i = 0; i < lengths.length; i++) {
      if (!(lengths[i] > 0)) {
        fail(names.lengths, `utterance ${i} has ${lengths[i]} frames; ${rebuild}`);
      }
      offsets[i + 1] = offsets[i] + lengths[i];
    }
    const frames = offsets[lengths.length];
    if (lengths.length !== summary.utterances || frames !== summary.frames) {
      fail(
        names.lengths,
        `lists ${lengths.length} utterances of ${frames} frames, the manifest says ${summary.utterances} of ${summary.frames}`,
      );
    }
    const featureBytes = await checked(names.features);
    if (featureBytes.length !== frames * dim * 4) {
      fail(
        names.features,
        `holds ${featureBytes.length} bytes, expected ${frames} frames x ${dim} features x 4 bytes = ${
          frames * dim * 4
        } (wrong feature size)`,
      );
    }
    const features = typed(
      featureBytes,
      Float32Array,
      4,
      (v, at) => v.getFloat32(at, true),
      Float32Array,
    );
    const labels = await checked(names.labels);
    if (labels.length !== frames) {
      fail(names.labels, `holds ${labels.length} labels for ${frames} frames`);
    }
    for (let i = 0; i < labels.length; i++) {
      if (labels[i] >= TIMIT_PHONES.length) {
        fail(names.labels, `label ${labels[i]} at frame ${i} is not a phone id`);
      }
    }
    const ids = new TextDecoder().decode(await checked(names.ids)).split("\n").filter((l) =>
      l !== ""
    );
    if (ids.length !== lengths.length) {
      fail(names.ids, `lists ${ids.length} utterances, the lengths ${lengths.length}`);
    }
    splits[split] = { features, dim, lengths, offsets, labels, ids };
  }
  if (check !== "none") {
    const expect = await sha256Hex(new TextEncoder().encode(contentHashInput(manifest.files)));
    if (expect !== manifest.contentHash) {
      fail(MANIFEST_FILE, `contentHash does not match the files' hashes (edited); ${rebuild}`);
    }
  }
  return {
    manifest,
    splits,
    mean: Float64Array.from(norm.mean),
    std: Float64Array.from(norm.std),
    phones: [...manifest.labels.phones],
    classes39: [...manifest.labels.classes39],
    folding: Uint8Array.from(manifest.labels.folding),
  };
}

/**
 * Reads a cache folder written by `deno task timit:prepare`.
 *
 * @param dir The folder.
 * @param options `check` or `verifyHash` (see {@linkcode parseTimitCache}; default "sample"),
 *   and `read`: how to read a file (default `Deno.readFile`; give one in a browser).
 * @returns The cache.
 * @throws {RangeError} "Cannot read TIMIT cache: ..." naming the file (see
 *   {@linkcode parseTimitCache}).
 */
export function readTimitCache(
  dir: string,
  options: {
    verifyHash?: boolean;
    check?: CacheCheck;
    fullHashBelow?: number;
    read?: (path: string) => Promise<Uint8Array>;
  } = {},
): Promise<TimitCache> {
  const read = options.read ?? ((path: string) => Deno.readFile(path));
  const base = dir.replace(/\/+$/, "");
  return parseTimitCache((name) => read(`${base}/${name}`), {
    where: base,
    verifyHash: options.verifyHash,
    check: options.check,
    fullHashBelow: options.fullHashBelow,
  });
}

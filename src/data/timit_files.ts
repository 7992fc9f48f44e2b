/**
 * The Deno side of the TIMIT tools: the corpus walker's file access on a real folder, and the
 * writer of the prepared cache (streamed to disk, each file's SHA-256 computed as it is written).
 * The parsing modules (audio.ts, timit_corpus.ts, timit_cache.ts) use no Deno API.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { CorpusFiles, DirEntry, SplitName } from "./timit_corpus.ts";
import {
  type CacheFileEntry,
  contentHashInput,
  type FeatureKind,
  makeManifest,
  MANIFEST_FILE,
  NORMALIZATION_FILE,
  type PreparedUtterance,
  sampleHash,
  splitFileNames,
  type SplitSummary,
  type TimitManifest,
} from "./timit_cache.ts";

/**
 * File access for {@linkcode walkCorpus} on the local file system.
 * @returns Listing (Deno.readDir) and reading (Deno.readFile); paths are joined with "/".
 */
export function denoCorpusFiles(): CorpusFiles {
  return {
    async list(path: string): Promise<DirEntry[]> {
      const out: DirEntry[] = [];
      for await (const e of Deno.readDir(path === "" ? "." : path)) {
        let isDirectory = e.isDirectory;
        if (e.isSymlink) {
          try {
            isDirectory = (await Deno.stat(`${path}/${e.name}`)).isDirectory;
          } catch {
            continue; // a dangling link
          }
        }
        out.push({ name: e.name, isDirectory });
      }
      return out;
    },
    read: (path: string) => Deno.readFile(path),
  };
}

/** JSON indented by two spaces, arrays of numbers and strings kept on one line. */
function prettyJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(
    /\[\n\s*((?:-?[\d.e+-]+|"[^"\n]*")(?:,\n\s*(?:-?[\d.e+-]+|"[^"\n]*"))*)\n\s*\]/g,
    (_, items: string) => `[${items.split(/,\n\s*/).join(", ")}]`,
  ) + "\n";
}

/**
 * Writes a file in chunks and returns its size, SHA-256 and sample hash (the chunks the check on
 * open reads back, see `sampleRanges` in timit_cache.ts).
 */
async function writeHashed(
  path: string,
  chunks: Iterable<Uint8Array>,
): Promise<CacheFileEntry> {
  const hash = createHash("sha256");
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  let bytes = 0;
  try {
    for (const chunk of chunks) {
      hash.update(chunk);
      let written = 0;
      while (written < chunk.length) written += await file.write(chunk.subarray(written));
      bytes += chunk.length;
    }
  } finally {
    file.close();
  }
  const sample = await readRanges(path, bytes);
  return { bytes, sha256: hash.digest("hex"), sample };
}

/** The sample hash of a file on disk, reading only its sampled chunks. */
async function readRanges(path: string, size: number): Promise<string> {
  const file = await Deno.open(path, { read: true });
  try {
    return await sampleHash(async (start, end) => {
      const buf = new Uint8Array(end - start);
      await file.seek(start, Deno.SeekMode.Start);
      let got = 0;
      while (got < buf.length) {
        const n = await file.read(buf.subarray(got));
        if (n === null) throw new Error(`${path} ended early`);
        got += n;
      }
      return buf;
    }, size);
  } finally {
    file.close();
  }
}

/** Little-endian bytes of a typed array (a view when the platform is little-endian). */
function leBytes(a: Float32Array | Int32Array): Uint8Array {
  const view = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] === 1) return view;
  const out = new Uint8Array(a.byteLength), dv = new DataView(out.buffer);
  for (let i = 0; i < a.length; i++) {
    if (a instanceof Float32Array) dv.setFloat32(4 * i, a[i], true);
    else dv.setInt32(4 * i, a[i], true);
  }
  return out;
}

/**
 * Writes a prepared cache (see timit_cache.ts for the files) into a folder.
 *
 * @param dir The folder (exists, writable).
 * @param data Z-scored utterances per split, the normalisation statistics, the feature kind,
 *   per-split summaries, the corpus root and what was skipped.
 * @returns The manifest written.
 */
export async function writeTimitCache(dir: string, data: {
  splits: Record<SplitName, PreparedUtterance[]>;
  stats: { mean: Float64Array; std: Float64Array };
  kind: FeatureKind;
  summaries: Record<SplitName, SplitSummary>;
  root: string;
  skipped: { file: string; reason: string }[];
}): Promise<TimitManifest> {
  const files: Record<string, CacheFileEntry> = {};
  for (
    const [split, utterances] of Object.entries(data.splits) as [SplitName, PreparedUtterance[]][]
  ) {
    const names = splitFileNames(split);
    files[names.features] = await writeHashed(
      `${dir}/${names.features}`,
      utterances.map((u) => leBytes(u.features)),
    );
    files[names.labels] = await writeHashed(
      `${dir}/${names.labels}`,
      utterances.map((u) => u.labels),
    );
    files[names.lengths] = await writeHashed(`${dir}/${names.lengths}`, [
      leBytes(Int32Array.from(utterances, (u) => u.frames)),
    ]);
    files[names.ids] = await writeHashed(`${dir}/${names.ids}`, [
      new TextEncoder().encode(utterances.map((u) => `${u.id}\n`).join("")),
    ]);
  }
  const norm = {
    kind: data.kind,
    dim: data.stats.mean.length,
    mean: [...data.stats.mean],
    std: [...data.stats.std],
  };
  files[NORMALIZATION_FILE] = await writeHashed(`${dir}/${NORMALIZATION_FILE}`, [
    new TextEncoder().encode(prettyJson(norm)),
  ]);
  const contentHash = createHash("sha256").update(contentHashInput(files)).digest("hex");
  const manifest = makeManifest({
    root: data.root,
    skipped: data.skipped,
    kind: data.kind,
    splits: data.summaries,
    files,
    contentHash,
  });
  // The manifest last, atomically: a folder without it is no cache (an interrupted prepare).
  const tmp = `${dir}/${MANIFEST_FILE}.tmp`;
  await Deno.writeTextFile(tmp, prettyJson(manifest));
  await Deno.rename(tmp, `${dir}/${MANIFEST_FILE}`);
  return manifest;
}

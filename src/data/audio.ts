// No Deno API: these readers and writers work on bytes the caller provides (browser-safe).
/**
 * Audio files of speech corpora: NIST SPHERE (TIMIT's `.WAV`: a 1024-byte ASCII header, then
 * 16-bit PCM in the byte order the header names) and RIFF WAVE PCM16 mono. Compressed SPHERE
 * files (`shorten`) and every other coding are refused with an error that names the file and the
 * header field. Also writes both formats (SPHERE with a TIMIT-like header), for the stand-in
 * corpus and for tests.
 *
 * @example Round trip through SPHERE
 * ```ts
 * import { readAudio, writeSphere } from "./audio.ts";
 * import assert from "node:assert/strict";
 * const samples = Int16Array.from([0, 1, -1, 32767, -32768]);
 * const back = readAudio(writeSphere(samples, 16000), "x.wav");
 * assert.equal(back.rate, 16000);
 * assert.deepEqual(Array.from(back.samples), Array.from(samples));
 * ```
 *
 * @module
 */

/** Decoded audio: one channel of 16-bit samples. */
export interface Audio {
  /** Sampling rate in Hz. */
  rate: number;
  /** The samples. */
  samples: Int16Array;
}

/** Size of a SPHERE header as TIMIT (and {@linkcode writeSphere}) writes it. */
export const SPHERE_HEADER_BYTES = 1024;

const ascii = (bytes: Uint8Array, from: number, to: number) =>
  String.fromCharCode(...bytes.subarray(from, Math.min(to, bytes.length)));

/**
 * Reads a NIST SPHERE or RIFF WAVE file of 16-bit PCM mono samples.
 *
 * @param bytes The whole file.
 * @param name The file's name, for error messages.
 * @returns The sampling rate and the samples.
 * @throws {TypeError} For another format, a malformed or unsupported header field (shorten or
 *   another coding, several channels, not 16-bit), naming the file and the field.
 * @throws {RangeError} For data shorter than the header says.
 */
export function readAudio(bytes: Uint8Array, name: string): Audio {
  if (bytes.length >= 8 && ascii(bytes, 0, 8) === "NIST_1A\n") return readSphere(bytes, name);
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === "RIFF" && ascii(bytes, 8, 12) === "WAVE") {
    return readWave(bytes, name);
  }
  const start = JSON.stringify(ascii(bytes, 0, 8));
  throw new TypeError(
    `Cannot read audio: ${name}: format: neither NIST SPHERE (starts "NIST_1A") nor RIFF WAVE ` +
      `(starts "RIFF"), starts ${start}`,
  );
}

/** A header field of a SPHERE file: integer, real or string. */
type SphereValue = number | string;

function parseSphereHeader(bytes: Uint8Array, name: string): {
  size: number;
  fields: Map<string, SphereValue>;
} {
  const fail = (field: string, what: string): never => {
    throw new TypeError(`Cannot read audio: ${name}: ${field} ${what}`);
  };
  const second = ascii(bytes, 8, 16);
  const sizeLine = second.split("\n")[0];
  if (!/^\s*\d+$/.test(sizeLine) || !second.includes("\n")) {
    fail("header size", `(second line) must be a number, got ${JSON.stringify(sizeLine)}`);
  }
  const size = Number(sizeLine);
  if (size < 16 || size % 1024 !== 0) {
    fail("header size", `must be a positive multiple of 1024, got ${size}`);
  }
  if (bytes.length < size) {
    throw new RangeError(
      `Cannot read audio: ${name}: header size ${size} is larger than the file (${bytes.length} bytes)`,
    );
  }
  const text = ascii(bytes, 8 + sizeLine.length + 1, size);
  const fields = new Map<string, SphereValue>();
  let ended = false;
  for (const raw of text.split("\n")) {
    const line = raw.replace(/\r$/, "");
    if (line.trim() === "end_head") {
      ended = true;
      break;
    }
    if (line.trim() === "" || line.startsWith(";")) continue;
    const m = line.match(/^(\S+) -(i|r|s(\d+)) (.*)$/);
    if (!m) fail("header line", `must be "key -type value", got ${JSON.stringify(line)}`);
    const [, key, type, len, rest] = m!;
    if (type === "i") {
      const v = rest.trim();
      if (!/^-?\d+$/.test(v)) fail(key, `must be an integer, got ${JSON.stringify(v)}`);
      fields.set(key, Number(v));
    } else if (type === "r") {
      const v = Number(rest.trim());
      if (!Number.isFinite(v)) fail(key, `must be a number, got ${JSON.stringify(rest)}`);
      fields.set(key, v);
    } else {
      const n = Number(len);
      if (rest.length < n) fail(key, `is declared ${n} characters long, got ${rest.length}`);
      fields.set(key, rest.slice(0, n));
    }
  }
  if (!ended) fail("end_head", "is missing: the header does not end within its size");
  return { size, fields };
}

function readSphere(bytes: Uint8Array, name: string): Audio {
  const { size, fields } = parseSphereHeader(bytes, name);
  const fail = (field: string, what: string): never => {
    throw new TypeError(`Cannot read audio: ${name}: ${field} ${what}`);
  };
  const int = (key: string, fallback?: number): number => {
    const v = fields.has(key) ? fields.get(key) : fallback;
    if (v === undefined) fail(key, "is missing from the header");
    if (typeof v !== "number" || !Number.isInteger(v)) {
      fail(key, `must be an integer, got ${JSON.stringify(v)}`);
    }
    return v as number;
  };
  const coding = fields.get("sample_coding") ?? "pcm";
  if (typeof coding !== "string" || coding.toLowerCase() !== "pcm") {
    if (String(coding).toLowerCase().includes("shorten")) {
      fail(
        "sample_coding",
        `is ${JSON.stringify(coding)}: the file is shorten-compressed, which is not supported; ` +
          "decompress the corpus to plain PCM first (e.g. sph2pipe -f sph)",
      );
    }
    fail("sample_coding", `must be "pcm", got ${JSON.stringify(coding)}`);
  }
  const channels = int("channel_count", 1);
  if (channels !== 1) fail("channel_count", `must be 1 (mono), got ${channels}`);
  const width = int("sample_n_bytes");
  if (width !== 2) fail("sample_n_bytes", `must be 2 (16-bit samples), got ${width}`);
  const order = fields.get("sample_byte_format");
  if (order === undefined) fail("sample_byte_format", "is missing from the header");
  if (order !== "01" && order !== "10") {
    fail(
      "sample_byte_format",
      `must be "01" (little-endian) or "10" (big-endian), got ${JSON.stringify(order)}`,
    );
  }
  const rate = int("sample_rate");
  if (rate <= 0) fail("sample_rate", `must be positive, got ${rate}`);
  const count = int("sample_count");
  if (count < 0) fail("sample_count", `must be >= 0, got ${count}`);
  const available = Math.floor((bytes.length - size) / 2);
  if (count > available) {
    throw new RangeError(
      `Cannot read audio: ${name}: sample_count ${count} is more than the file holds (${available} samples)`,
    );
  }
  return { rate, samples: pcm16(bytes, size, count, order === "01") };
}

function pcm16(bytes: Uint8Array, offset: number, count: number, little: boolean): Int16Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, count * 2);
  const samples = new Int16Array(count);
  for (let i = 0; i < count; i++) samples[i] = view.getInt16(2 * i, little);
  return samples;
}

function readWave(bytes: Uint8Array, name: string): Audio {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail = (field: string, what: string): never => {
    throw new TypeError(`Cannot read audio: ${name}: ${field} ${what}`);
  };
  let format: { tag: number; channels: number; rate: number; bits: number } | undefined;
  let pos = 12;
  while (pos + 8 <= bytes.length) {
    const id = ascii(bytes, pos, pos + 4);
    const size = view.getUint32(pos + 4, true);
    const body = pos + 8;
    if (id === "fmt ") {
      if (size < 16 || body + size > bytes.length) {
        fail("fmt chunk", `is truncated (${size} bytes)`);
      }
      let tag = view.getUint16(body, true);
      if (tag === 0xfffe && size >= 40) tag = view.getUint16(body + 24, true); // extensible
      format = {
        tag,
        channels: view.getUint16(body + 2, true),
        rate: view.getUint32(body + 4, true),
        bits: view.getUint16(body + 14, true),
      };
      if (format.tag !== 1) fail("fmt audio format", `must be 1 (PCM), got ${format.tag}`);
      if (format.channels !== 1) fail("fmt channels", `must be 1 (mono), got ${format.channels}`);
      if (format.bits !== 16) fail("fmt bits per sample", `must be 16, got ${format.bits}`);
      if (format.rate <= 0) fail("fmt sample rate", `must be positive, got ${format.rate}`);
    } else if (id === "data") {
      if (!format) fail("fmt chunk", "must come before the data chunk");
      if (body + size > bytes.length) {
        throw new RangeError(
          `Cannot read audio: ${name}: data chunk size ${size} is more than the file holds (${
            bytes.length - body
          } bytes)`,
        );
      }
      return { rate: format!.rate, samples: pcm16(bytes, body, Math.floor(size / 2), true) };
    }
    pos = body + size + (size % 2);
  }
  return fail(format ? "data chunk" : "fmt chunk", "is missing");
}

/**
 * Writes 16-bit little-endian PCM mono as NIST SPHERE with a TIMIT-like 1024-byte header
 * (`channel_count`, `sample_count`, `sample_rate`, `sample_min`, `sample_max`, `sample_n_bytes`,
 * `sample_byte_format 01`, `sample_sig_bits`, `sample_coding pcm`), padded with spaces.
 *
 * @param samples The samples.
 * @param rate Sampling rate in Hz (a positive integer).
 * @param fields Extra string fields written first (e.g. `database_id`, `utterance_id`).
 * @returns The file.
 * @throws {RangeError} For a bad rate, or extra fields that would not fit in the header.
 */
export function writeSphere(
  samples: Int16Array,
  rate: number,
  fields: Record<string, string> = {},
): Uint8Array {
  if (!Number.isInteger(rate) || rate <= 0) {
    throw new RangeError(`Cannot write audio: rate must be a positive integer, got ${rate}`);
  }
  let min = 0, max = 0;
  for (let i = 0; i < samples.length; i++) {
    if (samples[i] < min) min = samples[i];
    if (samples[i] > max) max = samples[i];
  }
  const lines = ["NIST_1A", "   1024"];
  for (const [key, value] of Object.entries(fields)) {
    if (!/^\w+$/.test(key) || /[\n\r]/.test(value)) {
      throw new RangeError(`Cannot write audio: header field ${JSON.stringify(key)} is malformed`);
    }
    lines.push(`${key} -s${value.length} ${value}`);
  }
  lines.push(
    "channel_count -i 1",
    `sample_count -i ${samples.length}`,
    `sample_rate -i ${rate}`,
    `sample_min -i ${min}`,
    `sample_max -i ${max}`,
    "sample_n_bytes -i 2",
    "sample_byte_format -s2 01",
    "sample_sig_bits -i 16",
    "sample_coding -s3 pcm",
    "end_head",
  );
  const header = lines.join("\n") + "\n";
  if (header.length > SPHERE_HEADER_BYTES) {
    throw new RangeError("Cannot write audio: header fields do not fit in 1024 bytes");
  }
  const out = new Uint8Array(SPHERE_HEADER_BYTES + 2 * samples.length);
  out.fill(0x20, 0, SPHERE_HEADER_BYTES);
  for (let i = 0; i < header.length; i++) out[i] = header.charCodeAt(i);
  const view = new DataView(out.buffer);
  for (let i = 0; i < samples.length; i++) {
    view.setInt16(SPHERE_HEADER_BYTES + 2 * i, samples[i], true);
  }
  return out;
}

/**
 * Writes 16-bit PCM mono as a RIFF WAVE file (44-byte header).
 *
 * @param samples The samples.
 * @param rate Sampling rate in Hz (a positive integer).
 * @returns The file.
 * @throws {RangeError} For a bad rate.
 */
export function writeWav(samples: Int16Array, rate: number): Uint8Array {
  if (!Number.isInteger(rate) || rate <= 0) {
    throw new RangeError(`Cannot write audio: rate must be a positive integer, got ${rate}`);
  }
  const out = new Uint8Array(44 + 2 * samples.length);
  const view = new DataView(out.buffer);
  const text = (at: number, s: string) => {
    for (let i = 0; i < s.length; i++) out[at + i] = s.charCodeAt(i);
  };
  text(0, "RIFF");
  view.setUint32(4, 36 + 2 * samples.length, true);
  text(8, "WAVE");
  text(12, "fmt ");
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, rate, true);
  view.setUint32(28, rate * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  text(36, "data");
  view.setUint32(40, 2 * samples.length, true);
  for (let i = 0; i < samples.length; i++) view.setInt16(44 + 2 * i, samples[i], true);
  return out;
}

/** Kernel table resolution: entries per input sample. */
const KERNEL_STEPS = 512;
/** Zero crossings of the windowed sinc on each side. */
const KERNEL_ZEROS = 16;

/**
 * Resamples by a factor with a Hann-windowed sinc (16 zero crossings each side, low-pass at the
 * lower of the two Nyquist frequencies), read from a table of 512 points per input sample with
 * linear interpolation: output sample n is the input at time `n * factor`, so a factor above 1
 * shortens the audio and raises every frequency by that factor (pitch and formants). Rounds to
 * 16 bits, clipping at the range.
 *
 * @param samples The input.
 * @param factor Time step in input samples per output sample, 0.5 to 2.
 * @returns `floor(samples.length / factor)` samples.
 * @throws {RangeError} For a factor out of range.
 */
export function resample(samples: Int16Array, factor: number): Int16Array {
  if (!(factor >= 0.5 && factor <= 2)) {
    throw new RangeError(`Cannot resample: factor must be 0.5 to 2, got ${factor}`);
  }
  if (factor === 1) return samples.slice();
  const cutoff = Math.min(1, 1 / factor);
  const half = KERNEL_ZEROS / cutoff;
  const size = Math.ceil(half * KERNEL_STEPS) + 2;
  const table = new Float64Array(size);
  for (let j = 0; j < size; j++) {
    const x = j / KERNEL_STEPS;
    if (x >= half) continue;
    const arg = Math.PI * cutoff * x;
    table[j] = cutoff * (arg === 0 ? 1 : Math.sin(arg) / arg) *
      (0.5 + 0.5 * Math.cos((Math.PI * x) / half));
  }
  const n = Math.floor(samples.length / factor);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    const t = i * factor;
    const lo = Math.max(0, Math.ceil(t - half));
    const hi = Math.min(samples.length - 1, Math.floor(t + half));
    let sum = 0;
    for (let k = lo; k <= hi; k++) {
      const pos = Math.abs(t - k) * KERNEL_STEPS;
      const j = Math.floor(pos), frac = pos - j;
      sum += samples[k] * (table[j] + frac * (table[j + 1] - table[j]));
    }
    out[i] = Math.max(-32768, Math.min(32767, Math.round(sum)));
  }
  return out;
}

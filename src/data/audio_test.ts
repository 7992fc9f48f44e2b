import assert from "node:assert/strict";
import { readAudio, resample, SPHERE_HEADER_BYTES, writeSphere, writeWav } from "./audio.ts";

/** A SPHERE file with the given header lines (after the first two) and 16-bit samples. */
function sphere(lines: string[], samples: number[], bigEndian = false): Uint8Array {
  const header = ["NIST_1A", "   1024", ...lines, "end_head"].join("\n") + "\n";
  const out = new Uint8Array(SPHERE_HEADER_BYTES + 2 * samples.length).fill(0x20, 0, 1024);
  for (let i = 0; i < header.length; i++) out[i] = header.charCodeAt(i);
  const view = new DataView(out.buffer);
  samples.forEach((s, i) => view.setInt16(1024 + 2 * i, s, !bigEndian));
  return out;
}

/** TIMIT's own header (no sample_coding field: PCM is the default). */
const TIMIT_HEADER = (count: number, order = "01") => [
  "database_id -s5 TIMIT",
  "database_version -s3 1.0",
  "utterance_id -s8 aks0_sa1",
  "channel_count -i 1",
  `sample_count -i ${count}`,
  "sample_rate -i 16000",
  "sample_min -i -2555",
  "sample_max -i 2740",
  "sample_n_bytes -i 2",
  `sample_byte_format -s2 ${order}`,
  "sample_sig_bits -i 16",
];

const SAMPLES = [0, 1, -1, 255, -256, 32767, -32768, 1234, -4321];

Deno.test("SPHERE: writeSphere round-trips every 16-bit value through readAudio", () => {
  const samples = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);
  const bytes = writeSphere(samples, 16000, { utterance_id: "x_sa1" });
  assert.equal(bytes.length, 1024 + 2 * 65536);
  const header = new TextDecoder().decode(bytes.subarray(0, 1024));
  assert.match(header, /^NIST_1A\n {3}1024\n/);
  assert.match(header, /sample_byte_format -s2 01\n/);
  assert.match(header, /utterance_id -s5 x_sa1\n/);
  const back = readAudio(bytes, "x.wav");
  assert.equal(back.rate, 16000);
  assert.deepEqual(back.samples, samples);
});

Deno.test("SPHERE: TIMIT's header, little- and big-endian", () => {
  const le = readAudio(sphere(TIMIT_HEADER(SAMPLES.length), SAMPLES), "le.wav");
  assert.deepEqual([...le.samples], SAMPLES);
  assert.equal(le.rate, 16000);
  const be = readAudio(sphere(TIMIT_HEADER(SAMPLES.length, "10"), SAMPLES, true), "be.wav");
  assert.deepEqual([...be.samples], SAMPLES);
  // Extra data past sample_count is ignored.
  const short = readAudio(sphere(TIMIT_HEADER(3), SAMPLES), "short.wav");
  assert.deepEqual([...short.samples], SAMPLES.slice(0, 3));
});

Deno.test("SPHERE: refusals name the file and the header field", () => {
  const refuse = (lines: string[], pattern: RegExp, samples = SAMPLES) =>
    assert.throws(() => readAudio(sphere(lines, samples), "TRAIN/DR1/FCJF0/SA1.WAV"), pattern);
  const base = TIMIT_HEADER(SAMPLES.length);
  const without = (key: string) => base.filter((l) => !l.startsWith(key));
  refuse(
    [...base, "sample_coding -s26 pcm,embedded-shorten-v2.00"],
    /^TypeError: Cannot read audio: TRAIN\/DR1\/FCJF0\/SA1\.WAV: sample_coding .*shorten/,
  );
  refuse([...base, "sample_coding -s4 ulaw"], /SA1\.WAV: sample_coding must be "pcm", got "ulaw"/);
  refuse(
    [...without("sample_byte_format"), "sample_byte_format -s12 shortpack-v0"],
    /sample_byte_format must be "01" .* or "10" .*, got "shortpack-v0"/,
  );
  refuse(without("sample_byte_format"), /sample_byte_format is missing/);
  refuse(
    [...without("sample_n_bytes"), "sample_n_bytes -i 1"],
    /SA1\.WAV: sample_n_bytes must be 2/,
  );
  refuse([...without("channel_count"), "channel_count -i 2"], /channel_count must be 1/);
  refuse(without("sample_rate"), /sample_rate is missing/);
  refuse([...without("sample_rate"), "sample_rate -i 16k"], /sample_rate must be an integer/);
  refuse([...base, "this is not a field"], /header line must be "key -type value"/);
  assert.throws(
    () => readAudio(sphere(TIMIT_HEADER(100), SAMPLES), "big.wav"),
    (e) => e instanceof RangeError && /big\.wav: sample_count 100 is more than/.test(e.message),
  );
  const noEnd = sphere(base, SAMPLES);
  const text = new TextDecoder().decode(noEnd.subarray(0, 1024)).replace("end_head", "        ");
  noEnd.set(new TextEncoder().encode(text), 0);
  assert.throws(() => readAudio(noEnd, "e.wav"), /e\.wav: end_head is missing/);
  assert.throws(
    () => readAudio(new TextEncoder().encode("hello world, no audio"), "t.txt"),
    /^TypeError: Cannot read audio: t\.txt: format: neither NIST SPHERE/,
  );
});

Deno.test("RIFF WAVE: round trip, and refusals of other formats", () => {
  const samples = Int16Array.from(SAMPLES);
  const bytes = writeWav(samples, 8000);
  const back = readAudio(bytes, "a.wav");
  assert.equal(back.rate, 8000);
  assert.deepEqual(back.samples, samples);
  const patched = (offset: number, value: number, width: 2 | 4) => {
    const b = new Uint8Array(bytes);
    const v = new DataView(b.buffer);
    if (width === 2) v.setUint16(offset, value, true);
    else v.setUint32(offset, value, true);
    return b;
  };
  assert.throws(() => readAudio(patched(22, 2, 2), "st.wav"), /st\.wav: fmt channels must be 1/);
  assert.throws(() => readAudio(patched(34, 8, 2), "b8.wav"), /fmt bits per sample must be 16/);
  assert.throws(() => readAudio(patched(20, 3, 2), "f.wav"), /fmt audio format must be 1 \(PCM\)/);
  assert.throws(
    () => readAudio(patched(40, 1000, 4), "d.wav"),
    (e) => e instanceof RangeError && /d\.wav: data chunk size 1000/.test(e.message),
  );
  assert.throws(() => readAudio(bytes.subarray(0, 36), "n.wav"), /n\.wav: data chunk is missing/);
});

Deno.test("resample: a factor above 1 shortens and raises a tone by that factor", () => {
  const tone = Int16Array.from({ length: 16000 }, (_, i) => Math.round(8000 * Math.sin(i / 10)));
  const up = resample(tone, 1.25);
  assert.equal(up.length, 12800);
  const crossings = (x: Int16Array) => {
    let n = 0;
    for (let i = 2000; i < 10000; i++) if ((x[i - 1] < 0) !== (x[i] < 0)) n++;
    return n;
  };
  assert.ok(Math.abs(crossings(up) / crossings(tone) - 1.25) < 0.02);
  assert.deepEqual(resample(tone, 1), tone);
  assert.throws(() => resample(tone, 3), /factor must be 0.5 to 2/);
});

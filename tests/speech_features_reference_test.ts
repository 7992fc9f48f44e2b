/**
 * The speech features against an independent numpy implementation of python_speech_features'
 * defaults (bench/peers/psf_reference.py; the library itself is not installable here), on speech
 * synthesised by flite (16 kHz voices) when it is installed, and always on a recorded-like
 * synthetic utterance (voiced glide through formant resonators, a fricative, a noise floor,
 * digital silence) read by the reference as RIFF and as big-endian SPHERE, and by
 * `deno task timit:features` as SPHERE. Agreement: max-abs difference over max-abs value, per
 * feature kind, below 1e-6. Skipped with a message when python3 with numpy is missing.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { deltas, logFilterbank, mfcc, speechFeatures } from "../src/data/speech_features.ts";

/** The interpreter of the reference (python3 on PATH, or $PYTHON). */
const PYTHON = Deno.env.get("PYTHON") ?? "python3";
const SCRIPT = fileURLToPath(new URL("../bench/peers/psf_reference.py", import.meta.url));
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const TOLERANCE = 1e-6;

async function run(
  cmd: string,
  args: string[],
  cwd?: string,
): Promise<{ ok: boolean; out: string; err: string }> {
  try {
    const r = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" })
      .output();
    const dec = new TextDecoder();
    return { ok: r.success, out: dec.decode(r.stdout), err: dec.decode(r.stderr) };
  } catch (e) {
    return { ok: false, out: "", err: (e as Error).message };
  }
}

const numpy = await run(PYTHON, ["-c", "import numpy"]);
const flite = numpy.ok ? await run("flite", ["-lv"]) : { ok: false, out: "", err: "" };
if (!numpy.ok) {
  console.log(`speech_features_reference_test: skipped, ${PYTHON} with numpy is not available`);
} else if (!flite.ok) {
  console.log("speech_features_reference_test: flite is not installed; synthetic speech only");
}

/** Mono PCM16 samples of a RIFF WAV file. */
function readRiff(bytes: Uint8Array): { rate: number; samples: Int16Array } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (p: number) => String.fromCharCode(...bytes.subarray(p, p + 4));
  assert.equal(tag(0), "RIFF");
  assert.equal(tag(8), "WAVE");
  let rate = 0;
  for (let p = 12; p + 8 <= bytes.length;) {
    const size = view.getUint32(p + 4, true);
    if (tag(p) === "fmt ") {
      assert.equal(view.getUint16(p + 8, true), 1, "PCM");
      assert.equal(view.getUint16(p + 10, true), 1, "mono");
      assert.equal(view.getUint16(p + 22, true), 16, "16 bits");
      rate = view.getUint32(p + 12, true);
    } else if (tag(p) === "data") {
      const samples = new Int16Array(Math.floor(size / 2));
      for (let i = 0; i < samples.length; i++) samples[i] = view.getInt16(p + 8 + 2 * i, true);
      return { rate, samples };
    }
    p += 8 + size + (size & 1);
  }
  throw new Error("no data chunk");
}

function riffBytes(samples: Int16Array, rate: number): Uint8Array {
  const bytes = new Uint8Array(44 + 2 * samples.length);
  const v = new DataView(bytes.buffer);
  const put = (p: number, s: string) => [...s].forEach((c, i) => (bytes[p + i] = c.charCodeAt(0)));
  put(0, "RIFF");
  v.setUint32(4, 36 + 2 * samples.length, true);
  put(8, "WAVEfmt ");
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true);
  v.setUint16(22, 1, true);
  v.setUint32(24, rate, true);
  v.setUint32(28, 2 * rate, true);
  v.setUint16(32, 2, true);
  v.setUint16(34, 16, true);
  put(36, "data");
  v.setUint32(40, 2 * samples.length, true);
  samples.forEach((s, i) => v.setInt16(44 + 2 * i, s, true));
  return bytes;
}

function sphereBytes(samples: Int16Array, rate: number): Uint8Array {
  const lines = [
    "NIST_1A",
    "   1024",
    "sample_count -i " + samples.length,
    "sample_rate -i " + rate,
    "channel_count -i 1",
    "sample_n_bytes -i 2",
    "sample_byte_format -s2 10",
    "sample_coding -s3 pcm",
    "end_head",
  ];
  const header = new TextEncoder().encode(lines.join("\n") + "\n");
  const bytes = new Uint8Array(1024 + 2 * samples.length);
  bytes.fill(0x20, 0, 1024);
  bytes.set(header);
  const v = new DataView(bytes.buffer);
  samples.forEach((s, i) => v.setInt16(1024 + 2 * i, s, false));
  return bytes;
}

/** About 1.6 s of speech-like integer audio at 16 kHz, deterministic. */
function syntheticUtterance(): Int16Array {
  const rate = 16000, n = 25931; // not a multiple of 160: the last frame is zero-padded
  let seed = 2024;
  const rand = () => (seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32;
  const out = new Int16Array(n);
  // Formant resonators (two-pole) on a glottal pulse train with a gliding f0.
  const formants = [[700, 130], [1220, 70], [2600, 160]].map(([f, bw]) => {
    const r = Math.exp((-Math.PI * bw) / rate);
    return { a1: 2 * r * Math.cos((2 * Math.PI * f) / rate), a2: -r * r, y1: 0, y2: 0 };
  });
  let phase = 0, hp = 0;
  for (let i = 0; i < n; i++) {
    const t = i / rate;
    let x = 0;
    if (t >= 0.15 && t < 0.95) {
      const f0 = 110 + 40 * (t - 0.15) + 8 * Math.sin(2 * Math.PI * 4 * t);
      phase += f0 / rate;
      if (phase >= 1) {
        phase -= 1;
        x = 1;
      }
      for (const r of formants) {
        const y = x + r.a1 * r.y1 + r.a2 * r.y2;
        r.y2 = r.y1;
        r.y1 = y;
        x = y;
      }
      x *= 40 * Math.sin((Math.PI * (t - 0.15)) / 0.8);
    } else if (t >= 1.05 && t < 1.35) {
      const w = rand() - 0.5;
      x = 6000 * (w - hp) * Math.sin((Math.PI * (t - 1.05)) / 0.3); // high-passed noise
      hp = w;
    }
    const floor = t < 0.1 || t > 1.5 ? 0 : Math.round((rand() - 0.5) * 4); // digital silence
    out[i] = Math.max(-32768, Math.min(32767, Math.round(x) + floor));
  }
  return out;
}

type Ref = Record<string, number[][] | number[] | number>;

function relativeError(ours: Float64Array, ref: number[][] | number[], what: string): number {
  const flat = (ref as number[][]).flat() as number[];
  assert.equal(ours.length, flat.length, `${what}: length`);
  let diff = 0, scale = 0;
  for (let i = 0; i < flat.length; i++) {
    diff = Math.max(diff, Math.abs(ours[i] - flat[i]));
    scale = Math.max(scale, Math.abs(flat[i]));
  }
  return diff / scale;
}

function columns(data: Float64Array, dim: number, from: number, to: number): Float64Array {
  const frames = data.length / dim, w = to - from, out = new Float64Array(frames * w);
  for (let f = 0; f < frames; f++) out.set(data.subarray(f * dim + from, f * dim + to), f * w);
  return out;
}

/** Per-kind relative errors of this library against the reference output. */
function compare(samples: Int16Array, ref: Ref, name: string): Record<string, number> {
  const m = mfcc(samples);
  assert.equal(ref.samples, samples.length, `${name}: sample count`);
  assert.equal(ref.frames, m.frames, `${name}: frames`);
  const d = deltas(m.mfcc, { frames: m.frames, dim: 13 });
  const dd = deltas(d, { frames: m.frames, dim: 13 });
  const fb = logFilterbank(samples);
  const fb123 = speechFeatures(samples, "fbank").data;
  const errors: Record<string, number> = {
    mfcc: relativeError(m.mfcc, ref.mfcc as number[][], "mfcc"),
    mfcc_delta: relativeError(d, ref.mfcc_delta as number[][], "mfcc_delta"),
    mfcc_delta2: relativeError(dd, ref.mfcc_delta2 as number[][], "mfcc_delta2"),
    fbank: relativeError(fb.fbank, ref.fbank as number[][], "fbank"),
    energy: relativeError(fb.energy, ref.energy as number[], "energy"),
    fbank_delta: relativeError(columns(fb123, 123, 41, 82), ref.fbank_delta as number[][], "Δ"),
    fbank_delta2: relativeError(columns(fb123, 123, 82, 123), ref.fbank_delta2 as number[][], "ΔΔ"),
  };
  const shown = Object.entries(errors).map(([k, v]) => `${k} ${v.toExponential(1)}`).join(", ");
  console.log(`${name} (${m.frames} frames): ${shown}`);
  for (const [k, v] of Object.entries(errors)) {
    assert.ok(v < TOLERANCE, `${name}: ${k} differs from the reference by ${v} (relative)`);
  }
  return errors;
}

async function reference(args: string[]): Promise<Ref> {
  const r = await run(PYTHON, [SCRIPT, ...args]);
  assert.ok(r.ok, `psf_reference.py ${args.join(" ")} failed: ${r.err}`);
  return JSON.parse(r.out);
}

Deno.test({
  name: "speech features match the numpy reference on a synthetic utterance (RIFF and SPHERE)",
  ignore: !numpy.ok,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "psf_ref_" });
    try {
      const samples = syntheticUtterance();
      const wav = `${dir}/synthetic.wav`, sph = `${dir}/synthetic.sph`;
      await Deno.writeFile(wav, riffBytes(samples, 16000));
      await Deno.writeFile(sph, sphereBytes(samples, 16000));
      const ref = await reference([wav]);
      compare(samples, ref, "synthetic");
      const refSphere = await reference([sph]);
      assert.deepEqual(refSphere, ref, "the reference reads SPHERE (big-endian) and RIFF alike");
      // The command line (src/apps/timit_features.ts, through the project's audio reader).
      const cli = await run(Deno.execPath(), [
        "run",
        "--lock=deno.lock",
        "--frozen",
        "--allow-read",
        "src/apps/timit_features.ts",
        sph,
      ], ROOT);
      assert.ok(cli.ok, `deno task timit:features failed: ${cli.err}`);
      const out = JSON.parse(cli.out);
      assert.deepEqual(
        Object.keys(out),
        ["rate", "frames", "mfcc", "mfcc_delta", "mfcc_delta2", "fbank", "energy"],
      );
      assert.equal(out.rate, 16000);
      assert.equal(out.frames, ref.frames);
      for (const kind of ["mfcc", "mfcc_delta", "mfcc_delta2", "fbank", "energy"]) {
        const ours = Float64Array.from((out[kind] as number[][]).flat() as number[]);
        const e = relativeError(ours, ref[kind] as number[][], `timit:features ${kind}`);
        assert.ok(e < TOLERANCE, `timit:features ${kind} differs from the reference by ${e}`);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "speech features match the numpy reference on flite speech (voices slt, kal16, rms)",
  ignore: !numpy.ok || !flite.ok,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "psf_ref_" });
    try {
      const texts: [string, string][] = [
        ["slt", "She had your dark suit in greasy wash water all year."],
        ["kal16", "Don't ask me to carry an oily rag like that."],
        ["rms", "Pizzerias are convenient for a quick lunch."],
      ];
      for (const [voice, text] of texts) {
        const file = `${dir}/${voice}.wav`;
        const r = await run("flite", ["-voice", voice, "-t", text, "-o", file]);
        assert.ok(r.ok, `flite -voice ${voice} failed: ${r.err}`);
        const { rate, samples } = readRiff(await Deno.readFile(file));
        assert.equal(rate, 16000, `flite voice ${voice} is not 16 kHz`);
        compare(samples, await reference([file]), `flite ${voice}`);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

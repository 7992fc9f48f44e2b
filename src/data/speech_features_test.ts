/**
 * Closed-form checks of the python_speech_features-compatible features (docs/spec/TIMIT.md,
 * "Features"): power spectrum of a sine at a bin frequency, of a constant and of an impulse,
 * frame counts and zero padding, mel bin edges, the DCT, the lifter, deltas, the feature layout,
 * frame labels, and errors. The comparison with an independent numpy implementation on speech
 * is tests/speech_features_reference_test.ts.
 */
import assert from "node:assert/strict";
import {
  dctOrtho,
  deltas,
  frameLabels,
  logFilterbank,
  melBinEdges,
  mfcc,
  powerSpectrum,
  speechFeatures,
  speechFrames,
} from "./speech_features.ts";

const BINS = 257;

function close(actual: number, expected: number, rel: number, what: string): void {
  const scale = Math.max(Math.abs(expected), 1e-300);
  assert.ok(
    Math.abs(actual - expected) <= rel * scale,
    `${what}: got ${actual}, expected ${expected} (relative error ${
      Math.abs(actual - expected) / scale
    })`,
  );
}

/** The pre-emphasised, zero-padded samples of frame f, computed from the definition. */
function emphasisedFrame(signal: ArrayLike<number>, f: number): Float64Array {
  const out = new Float64Array(400);
  for (let n = 0; n < 400; n++) {
    const i = f * 160 + n;
    if (i >= signal.length) break;
    out[n] = i === 0 ? signal[0] : signal[i] - 0.97 * signal[i - 1];
  }
  return out;
}

/** Frame energy sum_{k=0..256} |X_k|^2 / 512 from Parseval: (512 sum e^2 + X_0^2 + X_256^2) / 1024. */
function energyClosedForm(e: Float64Array): number {
  let sq = 0, x0 = 0, x256 = 0;
  for (let n = 0; n < e.length; n++) {
    sq += e[n] * e[n];
    x0 += e[n];
    x256 += n % 2 === 0 ? e[n] : -e[n];
  }
  return (512 * sq + x0 * x0 + x256 * x256) / 1024;
}

Deno.test("a sine at bin 64 (2 kHz): the power spectrum peaks there with (200 B)^2 / 512", () => {
  const A = 1000, w = (2 * Math.PI * 64) / 512;
  const signal = Float64Array.from({ length: 4000 }, (_, n) => A * Math.cos(w * n));
  const { frames, power } = powerSpectrum(signal);
  assert.equal(frames, 24); // 1 + ceil(3600 / 160)
  // After pre-emphasis every sample but the first is B cos(w n + phi), B = A |1 - 0.97 e^{-iw}|.
  // Over 400 samples (a whole number of periods of 2w) X_64 = 200 B e^{i phi'} and X_k vanishes
  // for every other k = 64 + 32 m (a whole number of periods of k -+ 64).
  const B2 = A * A * (1 + 0.97 * 0.97 - 2 * 0.97 * Math.cos(w));
  const peak = (200 * 200 * B2) / 512;
  for (let f = 1; f < frames - 2; f++) {
    const row = power.subarray(f * BINS, (f + 1) * BINS);
    let arg = 0;
    for (let k = 1; k < BINS; k++) if (row[k] > row[arg]) arg = k;
    assert.equal(arg, 64, `frame ${f}: peak bin`);
    close(row[64], peak, 1e-12, `frame ${f}: power at bin 64`);
    for (const k of [0, 32, 96, 128, 160, 192, 224, 256]) {
      assert.ok(row[k] < 1e-20 * peak, `frame ${f}: bin ${k} should vanish, got ${row[k]}`);
    }
  }
});

Deno.test("frame energy equals the Parseval closed form on a random integer signal", () => {
  let seed = 12345;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const signal = Int16Array.from({ length: 2345 }, () => Math.round((rand() - 0.5) * 20000));
  const { frames, energy } = powerSpectrum(signal);
  assert.equal(frames, 1 + Math.ceil((2345 - 400) / 160));
  for (let f = 0; f < frames; f++) {
    close(energy[f], energyClosedForm(emphasisedFrame(signal, f)), 1e-12, `frame ${f} energy`);
  }
});

Deno.test("a constant after pre-emphasis: 0.03 c everywhere but the first sample; last frame zero-padded", () => {
  const c = 100;
  const signal = new Array(1000).fill(c);
  const { frames, power, energy } = powerSpectrum(signal);
  assert.equal(frames, 5); // 1 + ceil(600 / 160)
  // Frame 0: [c, 0.03c x 399]; frames 1..3: 0.03c x 400; frame 4: 0.03c x 360 then 40 zeros.
  const x0 = [c + 399 * 0.03 * c, 12 * c, 12 * c, 12 * c, 360 * 0.03 * c];
  const x256 = [c - 0.03 * c, 0, 0, 0, 0];
  const sq = [c * c + 399 * (0.03 * c) ** 2, 400 * (0.03 * c) ** 2, 400 * (0.03 * c) ** 2];
  sq.push(sq[1], 360 * (0.03 * c) ** 2);
  for (let f = 0; f < frames; f++) {
    close(power[f * BINS], (x0[f] * x0[f]) / 512, 1e-12, `frame ${f} power at bin 0`);
    const e = (512 * sq[f] + x0[f] ** 2 + x256[f] ** 2) / 1024;
    close(energy[f], e, 1e-12, `frame ${f} energy`);
  }
  const m = mfcc(signal);
  for (let f = 0; f < frames; f++) close(m.mfcc[f * 13], Math.log(energy[f]), 1e-14, "c0");
});

Deno.test("frame counts: 1 + ceil((N - 400) / 160), 1 up to 400; the last frame covers sample N - 1", () => {
  const expected: Record<number, number> = {
    1: 1,
    399: 1,
    400: 1,
    401: 2,
    560: 2,
    561: 3,
    720: 3,
    721: 4,
    800: 4,
    1999: 11,
    2000: 11,
    2001: 12,
  };
  for (const [n, f] of Object.entries(expected)) {
    assert.equal(speechFrames({ length: Number(n) }), f, `N = ${n}`);
  }
  for (let n = 1; n <= 2000; n++) {
    const f = speechFrames(new Int16Array(n));
    assert.equal(f, n <= 400 ? 1 : 1 + Math.ceil((n - 400) / 160), `N = ${n}`);
    assert.ok((f - 1) * 160 + 400 >= n, `N = ${n}: the last frame must reach sample N - 1`);
    if (f > 1) assert.ok((f - 2) * 160 + 400 < n, `N = ${n}: one frame too many`);
  }
});

Deno.test("zero padding at the end: an impulse at the last sample lands in the last frame only", () => {
  const s = 1000;
  for (const [n, frames, pos] of [[561, 3, 240], [560, 2, 399], [400, 1, 399], [7, 1, 6]]) {
    const signal = new Float64Array(n);
    signal[n - 1] = s;
    const fb = logFilterbank(signal);
    assert.equal(fb.frames, frames, `N = ${n}`);
    // Pre-emphasis keeps the impulse (the previous sample is 0); a lone sample in a frame has a
    // flat power spectrum s^2 / 512 over all 257 bins, whatever its position `pos`.
    close(fb.energy[frames - 1], Math.log((257 * s * s) / 512), 1e-13, `N = ${n} energy`);
    assert.ok(pos < 400);
    for (let f = 0; f < frames - 1; f++) {
      // Earlier frames end before the impulse (sample n - 1 >= f * 160 + 400): zero energy.
      if (n - 1 >= f * 160 + 400) {
        assert.equal(fb.energy[f], Math.log(Number.EPSILON));
        assert.equal(fb.energy[f], Math.log(2.220446049250313e-16));
        for (let j = 0; j < 40; j++) assert.equal(fb.fbank[f * 40 + j], Math.log(Number.EPSILON));
      }
    }
  }
});

Deno.test("mel bin edges: floor(513 * mel2hz(linspace(0, hz2mel(8000), n + 2)) / 16000)", () => {
  // Computed by hand from the formula (mel = 2595 log10(1 + f / 700)); none lies near an integer.
  assert.deepEqual(
    Array.from(melBinEdges(26)),
    [0, 2, 4, 7, 10, 13, 16, 20, 24, 29, 34, 40, 46, 53, 60, 68, 77, 87, 97, 109, 122, 136, 152]
      .concat([169, 188, 209, 231, 256]),
  );
  assert.deepEqual(
    Array.from(melBinEdges(40)),
    [0, 1, 2, 4, 6, 8, 10, 12, 14, 16, 19, 21, 24, 27, 30, 33, 37, 41, 45, 49, 54, 59, 64, 69, 75]
      .concat([81, 88, 95, 103, 110, 119, 128, 137, 148, 158, 170, 182, 195, 209, 224, 239, 256]),
  );
  // One point by hand: hz2mel(8000) = 2840.02; point 1 of 26 filters = 2840.02 / 27 = 105.19
  // mel = 700 (10^(105.19 / 2595) - 1) = 68.48 Hz; 513 * 68.48 / 16000 = 2.196 -> bin 2.
  const mel8k = 2595 * Math.log10(1 + 8000 / 700);
  close(mel8k, 2840.0230467083188, 1e-12, "hz2mel(8000)");
});

Deno.test("filter bank and MFCC of an impulse (flat spectrum): closed forms with the lifter", () => {
  const s = 3000;
  const flat = (s * s) / 512;
  for (const nFilters of [26, 40]) {
    const edges = melBinEdges(nFilters);
    const fb = logFilterbank([s], { nFilters });
    assert.equal(fb.frames, 1);
    close(fb.energy[0], Math.log(257 * flat), 1e-14, "log energy");
    for (let j = 0; j < nFilters; j++) {
      // sum of a triangle's weights on bins lo..hi-1: (mid - lo - 1) / 2 + (hi - mid + 1) / 2.
      const area = (edges[j + 2] - edges[j]) / 2;
      close(fb.fbank[j], Math.log(flat * area), 1e-13, `${nFilters} filters, filter ${j}`);
    }
  }
  const edges = melBinEdges(26);
  const logs = Array.from({ length: 26 }, (_, j) => Math.log(flat * (edges[j + 2] - edges[j]) / 2));
  const m = mfcc([s]);
  close(m.mfcc[0], Math.log(257 * flat), 1e-14, "c0 = log energy");
  for (let k = 1; k < 13; k++) {
    let c = 0;
    for (let j = 0; j < 26; j++) c += logs[j] * Math.cos((Math.PI * k * (2 * j + 1)) / 52);
    c *= Math.sqrt(2 / 26) * (1 + 11 * Math.sin((Math.PI * k) / 22));
    close(m.mfcc[k], c, 1e-12, `c${k}`);
  }
});

Deno.test("the DCT-II is orthonormal", () => {
  for (const n of [1, 2, 13, 26]) {
    const cols = Array.from({ length: n }, (_, i) => {
      const e = new Float64Array(n);
      e[i] = 1;
      return dctOrtho(e);
    });
    // Rows of D: D[k][i] = cols[i][k]. D D^T = I.
    for (let a = 0; a < n; a++) {
      for (let b = 0; b < n; b++) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += cols[i][a] * cols[i][b];
        assert.ok(
          Math.abs(dot - (a === b ? 1 : 0)) < 1e-14,
          `n = ${n}: (D D^T)[${a}][${b}] = ${dot}`,
        );
      }
    }
    const y = dctOrtho(new Float64Array(n).fill(2));
    close(y[0], 2 * Math.sqrt(n), 1e-15, "DC of a constant");
    for (let k = 1; k < n; k++) assert.ok(Math.abs(y[k]) < 1e-14);
  }
  assert.equal(dctOrtho([1, 2, 3, 4], 2).length, 2);
});

Deno.test("deltas: a linear ramp gives its slope away from the edges, 0.5 and 0.8 of it at them", () => {
  const frames = 10, dim = 3, slope = [1.5, -2, 0];
  const x = new Float64Array(frames * dim);
  for (let t = 0; t < frames; t++) for (let d = 0; d < dim; d++) x[t * dim + d] = slope[d] * t + d;
  const dx = deltas(x, { frames, dim });
  const factor = [0.5, 0.8, 1, 1, 1, 1, 1, 1, 0.8, 0.5];
  for (let t = 0; t < frames; t++) {
    for (let d = 0; d < dim; d++) {
      close(dx[t * dim + d], factor[t] * slope[d], 1e-15, `frame ${t} dim ${d}`);
    }
  }
  const d1 = deltas(x, { frames, dim }, { n: 1 });
  for (let t = 1; t < frames - 1; t++) close(d1[t * dim], slope[0], 1e-15, "n = 1");
  close(d1[0], slope[0] / 2, 1e-15, "n = 1 edge");
  assert.deepEqual(Array.from(deltas(new Float64Array([4, 5]), { frames: 1, dim: 2 })), [0, 0]);
  assert.equal(deltas(new Float64Array(0), { frames: 0, dim: 5 }).length, 0);
});

Deno.test("speechFeatures layout: fbank [40 log fbank, log energy] + deltas + delta-deltas = 123; mfcc 39", () => {
  const signal = Int16Array.from({ length: 3000 }, (_, i) => Math.round(3000 * Math.sin(i / 7)));
  const fb = logFilterbank(signal);
  const feats = speechFeatures(signal, "fbank");
  assert.equal(feats.dim, 123);
  assert.equal(feats.frames, speechFrames(signal));
  assert.equal(feats.data.length, feats.frames * 123);
  const base = new Float64Array(feats.frames * 41);
  for (let f = 0; f < feats.frames; f++) {
    base.set(fb.fbank.subarray(f * 40, f * 40 + 40), f * 41);
    base[f * 41 + 40] = fb.energy[f];
  }
  const d1 = deltas(base, { frames: feats.frames, dim: 41 });
  const d2 = deltas(d1, { frames: feats.frames, dim: 41 });
  for (let f = 0; f < feats.frames; f++) {
    const row = feats.data.subarray(f * 123, f * 123 + 123);
    assert.deepEqual(
      Array.from(row.subarray(0, 41)),
      Array.from(base.subarray(f * 41, f * 41 + 41)),
    );
    assert.deepEqual(
      Array.from(row.subarray(41, 82)),
      Array.from(d1.subarray(f * 41, f * 41 + 41)),
    );
    assert.deepEqual(Array.from(row.subarray(82)), Array.from(d2.subarray(f * 41, f * 41 + 41)));
  }
  const m = mfcc(signal), mf = speechFeatures(Array.from(signal), "mfcc");
  assert.equal(mf.dim, 39);
  const md = deltas(m.mfcc, { frames: m.frames, dim: 13 });
  const mdd = deltas(md, { frames: m.frames, dim: 13 });
  for (let f = 0; f < m.frames; f++) {
    const row = Array.from(mf.data.subarray(f * 39, f * 39 + 39));
    assert.deepEqual(row.slice(0, 13), Array.from(m.mfcc.subarray(f * 13, f * 13 + 13)));
    assert.deepEqual(row.slice(13, 26), Array.from(md.subarray(f * 13, f * 13 + 13)));
    assert.deepEqual(row.slice(26), Array.from(mdd.subarray(f * 13, f * 13 + 13)));
  }
});

Deno.test("frame labels: the segment holding the centre f * 160 + 200; before, between, past", () => {
  const seg = (start: number, end: number, label: string) => ({ start, end, label });
  // Centres: 200, 360, 520, 680, 840, 1000, 1160, 1320, 1480, 1640, 1800, 1960, 2120.
  const phn = [
    seg(0, 1000, "h#"),
    seg(1000, 1160, "b"),
    seg(1160, 1800, "iy"),
    seg(1800, 1961, "h#"),
  ];
  assert.deepEqual(frameLabels(phn, 13), [
    "h#",
    "h#",
    "h#",
    "h#",
    "h#", // centres < 1000
    "b", // 1000: start inclusive
    "iy", // 1160: end exclusive
    "iy",
    "iy",
    "iy",
    "h#", // 1800
    "h#", // 1960 < 1961
    "h#", // 2120: past the last segment
  ]); // deno-fmt-ignore
  assert.deepEqual(frameLabels([...phn].reverse(), 13), frameLabels(phn, 13), "any order");
  // Past the end takes the last label, before the start the first.
  assert.deepEqual(frameLabels([seg(300, 500, "a"), seg(500, 600, "b")], 4), ["a", "a", "b", "b"]);
  // A gap takes the segment before it; the containing segment wins over a later, shorter one.
  assert.deepEqual(frameLabels([seg(0, 300, "a"), seg(600, 900, "b")], 4), ["a", "a", "a", "b"]);
  assert.deepEqual(frameLabels([seg(0, 1000, "a"), seg(300, 400, "b")], 3), ["a", "b", "a"]);
  assert.deepEqual(frameLabels([], 0), []);
});

Deno.test("errors: empty or non-finite signals, bad shapes and options, bad segments", () => {
  const err = (f: () => unknown, message: string) =>
    assert.throws(f, (e: unknown) => {
      assert.ok(e instanceof RangeError, `expected a RangeError, got ${e}`);
      assert.equal(e.message, message);
      return true;
    });
  const pre = "Cannot compute speech features: ";
  err(() => speechFrames([]), `${pre}the signal is empty`);
  err(() => mfcc(new Int16Array(0)), `${pre}the signal is empty`);
  err(() => logFilterbank([1, NaN, 3]), `${pre}sample 1 must be a finite number, got NaN`);
  err(
    () => speechFeatures([1, 2, Infinity], "fbank"),
    `${pre}sample 2 must be a finite number, got Infinity`,
  );
  err(
    () => speechFeatures([1, 2], "mel" as "mfcc"),
    `${pre}kind must be one of "fbank", "mfcc", got "mel"`,
  );
  err(
    () => logFilterbank([1], { nFilters: 0 }),
    `${pre}nFilters must be an integer from 1 to 128, got 0`,
  );
  err(
    () => deltas(new Float64Array(5), { frames: 2, dim: 3 }),
    `${pre}features has length 5, expected frames * dim = 6`,
  );
  err(
    () => deltas(new Float64Array(6), { frames: 2, dim: 3 }, { n: 0 }),
    `${pre}options.n must be an integer >= 1, got 0`,
  );
  err(() => frameLabels([], 3), "Cannot label frames: there are no segments");
  err(
    () => frameLabels([{ start: 0, end: NaN, label: "a" }], 3),
    "Cannot label frames: segment 0 must have finite start and end, got 0 and NaN",
  );
  err(
    () => frameLabels([{ start: 10, end: 5, label: "a" }], 3),
    "Cannot label frames: segment 0 ends (5) before it starts (10)",
  );
  err(
    () => frameLabels([{ start: 0, end: 5, label: "a" }], 1.5),
    "Cannot label frames: frames must be an integer >= 0, got 1.5",
  );
});

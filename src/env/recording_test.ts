import assert from "node:assert/strict";
import { decode as decodePng } from "fast-png";
import { encodeGif, encodeStrip, type Frame } from "./recording.ts";

/** One decoded GIF image: its size, delay (ms) and RGB pixels. */
interface GifImage {
  width: number;
  height: number;
  delayMs: number;
  rgb: Uint8Array;
}

/** GIF LZW decoding of one image's data (written here from the GIF89a specification). */
function lzw(data: Uint8Array, minCodeSize: number, pixels: number): Uint8Array {
  const out = new Uint8Array(pixels);
  const clear = 1 << minCodeSize, end = clear + 1;
  let dict: number[][] = [];
  const reset = () => {
    dict = Array.from({ length: clear + 2 }, (_, i) => (i < clear ? [i] : []));
  };
  reset();
  let size = minCodeSize + 1, bit = 0, n = 0, prev: number[] | undefined;
  while (bit + size <= data.length * 8) {
    let code = 0;
    for (let k = 0; k < size; k++, bit++) code |= ((data[bit >> 3] >> (bit & 7)) & 1) << k;
    if (code === clear) {
      reset();
      size = minCodeSize + 1;
      prev = undefined;
      continue;
    }
    if (code === end) break;
    const entry = code < dict.length ? dict[code] : [...prev!, prev![0]];
    for (const v of entry) out[n++] = v;
    if (prev) dict.push([...prev, entry[0]]);
    if (dict.length === 1 << size && size < 12) size++;
    prev = entry;
  }
  assert.equal(n, pixels, "pixel count");
  return out;
}

/** Walks a GIF file's blocks and decodes every image. */
function decodeGif(bytes: Uint8Array): { width: number; height: number; images: GifImage[] } {
  const text = new TextDecoder().decode(bytes.subarray(0, 6));
  assert.ok(text === "GIF89a" || text === "GIF87a", `header ${text}`);
  const u16 = (at: number) => bytes[at] | (bytes[at + 1] << 8);
  const width = u16(6), height = u16(8);
  let at = 13;
  let global: Uint8Array | undefined;
  if (bytes[10] & 0x80) {
    const n = 3 * 2 ** ((bytes[10] & 7) + 1);
    global = bytes.subarray(at, at + n);
    at += n;
  }
  const subBlocks = () => {
    const parts: number[] = [];
    while (bytes[at] !== 0) {
      parts.push(...bytes.subarray(at + 1, at + 1 + bytes[at]));
      at += 1 + bytes[at];
    }
    at++;
    return Uint8Array.from(parts);
  };
  const images: GifImage[] = [];
  let delayMs = 0;
  for (;;) {
    const kind = bytes[at++];
    if (kind === 0x3b) break;
    if (kind === 0x21) {
      const label = bytes[at++];
      const body = subBlocks();
      if (label === 0xf9) delayMs = (body[1] | (body[2] << 8)) * 10;
    } else if (kind === 0x2c) {
      const w = u16(at + 4), h = u16(at + 6), packed = bytes[at + 8];
      at += 9;
      let palette = global;
      if (packed & 0x80) {
        const n = 3 * 2 ** ((packed & 7) + 1);
        palette = bytes.subarray(at, at + n);
        at += n;
      }
      const minCodeSize = bytes[at++];
      const index = lzw(subBlocks(), minCodeSize, w * h);
      const rgb = new Uint8Array(w * h * 3);
      index.forEach((p, i) => rgb.set(palette!.subarray(3 * p, 3 * p + 3), 3 * i));
      images.push({ width: w, height: h, delayMs, rgb });
    } else throw new Error(`unexpected GIF block 0x${kind.toString(16)} at ${at - 1}`);
  }
  return { width, height, images };
}

// Colours that rgb444 quantization keeps exactly (multiples of 17).
const RGB_FRAME = Uint8Array.of(
  255,
  0,
  0,
  0,
  255,
  0,
  0,
  0,
  255,
  17,
  34,
  51,
  255,
  255,
  255,
  0,
  0,
  0,
);
const RGB_SHAPE = { height: 2, width: 3, channels: 3 };

/** The frame scaled by pixel repetition (the reference, by index arithmetic). */
function scaledRgb(frame: Frame, shape: typeof RGB_SHAPE, s: number): number[] {
  const out: number[] = [];
  for (let y = 0; y < shape.height * s; y++) {
    for (let x = 0; x < shape.width * s; x++) {
      const p = Math.floor(y / s) * shape.width + Math.floor(x / s);
      for (let c = 0; c < 3; c++) {
        const v = frame[p * shape.channels + (shape.channels === 3 ? c : 0)];
        out.push(
          frame instanceof Float32Array ? Math.max(0, Math.min(255, Math.round(v * 255))) : v,
        );
      }
    }
  }
  return out;
}

Deno.test("encodeGif: one image per frame, scaled by pixel repetition, with the delay", () => {
  const second = RGB_FRAME.slice().reverse();
  const gif = decodeGif(encodeGif([RGB_FRAME, second], RGB_SHAPE, { scale: 2, delayMs: 120 }));
  assert.equal(gif.width, 6);
  assert.equal(gif.height, 4);
  assert.equal(gif.images.length, 2);
  assert.deepEqual(gif.images.map((i) => [i.width, i.height, i.delayMs]), [[6, 4, 120], [
    6,
    4,
    120,
  ]]);
  assert.deepEqual([...gif.images[0].rgb], scaledRgb(RGB_FRAME, RGB_SHAPE, 2));
  assert.deepEqual([...gif.images[1].rgb], scaledRgb(second, RGB_SHAPE, 2));
  // Default delay 66 ms is stored in hundredths: 70 ms.
  assert.equal(decodeGif(encodeGif([RGB_FRAME], RGB_SHAPE)).images[0].delayMs, 70);
});

Deno.test("encodeGif: grey frames (uint8 and float32 in [0, 1]) become grey pixels", () => {
  const shape = { height: 1, width: 4, channels: 1 };
  const grey = Uint8Array.of(0, 68, 136, 255);
  const unit = Float32Array.of(0, 68 / 255, 136 / 255, 1.5); // 1.5 clips to 255
  const gif = decodeGif(encodeGif([grey, unit], shape));
  const want = [0, 0, 0, 68, 68, 68, 136, 136, 136, 255, 255, 255];
  assert.deepEqual([...gif.images[0].rgb], want);
  assert.deepEqual([...gif.images[1].rgb], want);
});

Deno.test("encodeStrip: frames side by side with a 2-pixel white gap, wrapping after columns (decoded PNG)", () => {
  const shape = { height: 1, width: 2, channels: 1 };
  const frames = [Uint8Array.of(10, 20), Uint8Array.of(30, 40), Float32Array.of(0, 1)];
  const png = decodePng(encodeStrip(frames, shape, { columns: 2, scale: 2 }));
  // Two columns of 4 pixels + gap 2 = 10 wide; two rows of 2 pixels + gap 2 = 6 high.
  assert.deepEqual([png.width, png.height, png.channels, png.depth], [10, 6, 3, 8]);
  const grey = (x: number, y: number) => {
    const i = (y * png.width + x) * 3;
    assert.equal(png.data[i], png.data[i + 1]);
    assert.equal(png.data[i], png.data[i + 2]);
    return png.data[i];
  };
  const rows = Array.from(
    { length: 6 },
    (_, y) => Array.from({ length: 10 }, (_, x) => grey(x, y)),
  );
  const W = 255;
  assert.deepEqual(rows, [
    [10, 10, 20, 20, W, W, 30, 30, 40, 40],
    [10, 10, 20, 20, W, W, 30, 30, 40, 40],
    [W, W, W, W, W, W, W, W, W, W],
    [W, W, W, W, W, W, W, W, W, W],
    [0, 0, 255, 255, W, W, W, W, W, W],
    [0, 0, 255, 255, W, W, W, W, W, W],
  ]);
  const one = decodePng(encodeStrip([RGB_FRAME], RGB_SHAPE));
  assert.deepEqual([one.width, one.height], [3, 2]);
  assert.deepEqual([...one.data], [...RGB_FRAME]);
  // More columns than frames: one row of all of them.
  assert.equal(decodePng(encodeStrip(frames, shape, { columns: 9 })).width, 3 * 2 + 2 * 2);
});

Deno.test("recordings: no frames, a frame of another shape and bad options are refused naming them", () => {
  const shape = { height: 2, width: 2, channels: 1 };
  const f = new Uint8Array(4);
  const cases: [() => unknown, string, string][] = [
    [() => encodeGif([], shape), "RangeError", "Cannot encode GIF: no frames"],
    [() => encodeStrip([], shape), "RangeError", "Cannot encode strip: no frames"],
    [
      () => encodeStrip([f, new Uint8Array(3)], shape),
      "RangeError",
      "Cannot record frame: expected 2x2x1 = 4 values, got 3",
    ],
    [
      () => encodeGif([new Uint8Array(8)], { height: 2, width: 2, channels: 2 }),
      "RangeError",
      "Cannot record frame: channels must be 1 or 3",
    ],
    [
      () => encodeStrip([f], shape, { columns: 0 }),
      "RangeError",
      "Cannot encode strip: columns must be >= 1, got 0",
    ],
    [
      () => encodeStrip([f], shape, { columns: 1.5 }),
      "TypeError",
      "Cannot encode strip: columns must be an integer, got 1.5",
    ],
    [
      () => encodeStrip([f], shape, { scale: 0 }),
      "RangeError",
      "Cannot encode strip: scale must be >= 1, got 0",
    ],
    [
      () => encodeGif([f], shape, { scale: 1.5 }),
      "TypeError",
      "Cannot encode GIF: scale must be an integer, got 1.5",
    ],
    [
      () => encodeGif([f], shape, { delayMs: -5 }),
      "RangeError",
      "Cannot encode GIF: delayMs must be >= 0, got -5",
    ],
  ];
  for (const [fn, name, message] of cases) assert.throws(fn, { name, message });
});

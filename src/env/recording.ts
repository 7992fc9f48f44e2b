/**
 * Recordings of episodes: an animated GIF (gifenc) or a PNG strip of frames (fast-png), from raw
 * RGB frames or preprocessed grey ones. The encoders are libraries; this module only lays frames
 * out (scaling by pixel repetition, grey to palette indices, a strip of frames side by side).
 *
 * @module
 */
import gifenc from "gifenc";
import { encode as encodePng } from "fast-png";
import type { ObservationShape } from "./vector_env.ts";
import { checkNumber } from "../util/errors.ts";

/** One frame: uint8 RGB (or grey) values, or float32 grey in [0, 1]. */
export type Frame = Uint8Array | Float32Array;

/** The RGB bytes of a frame, scaled up `scale` times by pixel repetition. */
function rgbOf(frame: Frame, shape: ObservationShape, scale: number): Uint8Array {
  const { height: H, width: W, channels: C } = shape;
  if (frame.length !== H * W * C) {
    throw new RangeError(
      `Cannot record frame: expected ${H}x${W}x${C} = ${H * W * C} values, got ${frame.length}`,
    );
  }
  if (C !== 1 && C !== 3) throw new RangeError(`Cannot record frame: channels must be 1 or 3`);
  const out = new Uint8Array(H * scale * W * scale * 3);
  const value = (i: number) =>
    frame instanceof Float32Array
      ? Math.max(0, Math.min(255, Math.round(frame[i] * 255)))
      : frame[i];
  for (let y = 0; y < H * scale; y++) {
    const sy = Math.floor(y / scale);
    for (let x = 0; x < W * scale; x++) {
      const sx = Math.floor(x / scale), at = (y * W * scale + x) * 3;
      for (let c = 0; c < 3; c++) out[at + c] = value((sy * W + sx) * C + (C === 3 ? c : 0));
    }
  }
  return out;
}

/**
 * An animated GIF of frames.
 * @param frames The frames, in order.
 * @param shape Their shape.
 * @param options Milliseconds per frame (default 66), scale (default 1), loop (default forever).
 * @returns The GIF file's bytes.
 * @throws {RangeError|TypeError} For no frames, a frame of another shape, a scale that is not an
 *   integer >= 1 or a negative delay.
 */
export function encodeGif(
  frames: readonly Frame[],
  shape: ObservationShape,
  options: { delayMs?: number; scale?: number } = {},
): Uint8Array {
  if (frames.length === 0) throw new RangeError("Cannot encode GIF: no frames");
  const scale = checkNumber("encode GIF", "scale", options.scale ?? 1, { min: 1, integer: true });
  checkNumber("encode GIF", "delayMs", options.delayMs ?? 66, { min: 0 });
  const w = shape.width * scale, h = shape.height * scale;
  const gif = gifenc.GIFEncoder();
  for (const frame of frames) {
    const rgb = rgbOf(frame, shape, scale);
    const rgba = new Uint8Array(w * h * 4);
    for (let i = 0; i < w * h; i++) {
      rgba[4 * i] = rgb[3 * i];
      rgba[4 * i + 1] = rgb[3 * i + 1];
      rgba[4 * i + 2] = rgb[3 * i + 2];
      rgba[4 * i + 3] = 255;
    }
    const palette = gifenc.quantize(rgba, 256, { format: "rgb444" });
    const index = gifenc.applyPalette(rgba, palette, "rgb444");
    gif.writeFrame(index, w, h, { palette, delay: options.delayMs ?? 66 });
  }
  gif.finish();
  return gif.bytes();
}

/**
 * A PNG of frames side by side (wrapping after `columns`), with a 2-pixel white gap.
 * @param frames The frames.
 * @param shape Their shape.
 * @param options Frames per row (default all), scale (default 1).
 * @returns The PNG file's bytes.
 * @throws {RangeError|TypeError} For no frames, a frame of another shape, or a scale or columns
 *   that is not an integer >= 1.
 */
export function encodeStrip(
  frames: readonly Frame[],
  shape: ObservationShape,
  options: { columns?: number; scale?: number } = {},
): Uint8Array {
  if (frames.length === 0) throw new RangeError("Cannot encode strip: no frames");
  const action = "encode strip", gap = 2;
  const scale = checkNumber(action, "scale", options.scale ?? 1, { min: 1, integer: true });
  const columns = Math.min(
    checkNumber(action, "columns", options.columns ?? frames.length, { min: 1, integer: true }),
    frames.length,
  );
  const rows = Math.ceil(frames.length / columns);
  const fw = shape.width * scale, fh = shape.height * scale;
  const W = columns * fw + (columns - 1) * gap, H = rows * fh + (rows - 1) * gap;
  const data = new Uint8Array(W * H * 3).fill(255);
  frames.forEach((frame, k) => {
    const rgb = rgbOf(frame, shape, scale);
    const x0 = (k % columns) * (fw + gap), y0 = Math.floor(k / columns) * (fh + gap);
    for (let y = 0; y < fh; y++) {
      data.set(rgb.subarray(y * fw * 3, (y + 1) * fw * 3), ((y0 + y) * W + x0) * 3);
    }
  });
  return encodePng({ width: W, height: H, data, channels: 3, depth: 8 });
}

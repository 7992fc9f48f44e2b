/**
 * The raw frame format of the TypeScript games: the Atari 2600 screen as the Arcade Learning
 * Environment returns it, 210 rows x 160 columns of RGB bytes, row-major, channels last; and the
 * few drawing operations the games need (filled rectangles, copies from a background frame, a
 * blocky digit font). No Deno API here: it runs in browsers and workers.
 *
 * @module
 */

/** Rows of a frame (as the ALE's Atari screen). */
export const FRAME_HEIGHT = 210;
/** Columns of a frame. */
export const FRAME_WIDTH = 160;
/** Bytes per pixel (RGB). */
export const FRAME_CHANNELS = 3;
/** Bytes of one frame. */
export const FRAME_BYTES = FRAME_HEIGHT * FRAME_WIDTH * FRAME_CHANNELS;

/** A colour packed as 0xRRGGBB. */
export type Rgb = number;

/**
 * Packs a colour.
 * @param r Red, 0..255.
 * @param g Green, 0..255.
 * @param b Blue, 0..255.
 * @returns The colour as 0xRRGGBB.
 */
export function rgb(r: number, g: number, b: number): Rgb {
  return ((r & 255) << 16) | ((g & 255) << 8) | (b & 255);
}

/** An axis-aligned rectangle of pixels: columns [x, x + w), rows [y, y + h). */
export interface Rect {
  /** Left column. */
  x: number;
  /** Top row. */
  y: number;
  /** Width in columns. */
  w: number;
  /** Height in rows. */
  h: number;
}

/**
 * Fills a rectangle of one frame with a colour, clipped to the frame.
 * @param frames Frames, one after another.
 * @param offset Byte offset of the frame in `frames`.
 * @param x Left column (may lie outside the frame).
 * @param y Top row (may lie outside the frame).
 * @param w Width in columns.
 * @param h Height in rows.
 * @param colour The colour, 0xRRGGBB.
 */
export function fillRect(
  frames: Uint8Array,
  offset: number,
  x: number,
  y: number,
  w: number,
  h: number,
  colour: Rgb,
): void {
  const x0 = x < 0 ? 0 : x, y0 = y < 0 ? 0 : y;
  const x1 = x + w > FRAME_WIDTH ? FRAME_WIDTH : x + w;
  const y1 = y + h > FRAME_HEIGHT ? FRAME_HEIGHT : y + h;
  if (x1 <= x0 || y1 <= y0) return;
  const r = (colour >>> 16) & 255, g = (colour >>> 8) & 255, b = colour & 255;
  for (let row = y0; row < y1; row++) {
    let p = offset + (row * FRAME_WIDTH + x0) * 3;
    for (let col = x0; col < x1; col++) {
      frames[p] = r;
      frames[p + 1] = g;
      frames[p + 2] = b;
      p += 3;
    }
  }
}

/**
 * Copies a rectangle of a background frame into one frame, clipped to the frame.
 * @param frames Frames, one after another.
 * @param offset Byte offset of the frame in `frames`.
 * @param background One frame ({@linkcode FRAME_BYTES} bytes).
 * @param x Left column (may lie outside the frame).
 * @param y Top row (may lie outside the frame).
 * @param w Width in columns.
 * @param h Height in rows.
 */
export function restoreRect(
  frames: Uint8Array,
  offset: number,
  background: Uint8Array,
  x: number,
  y: number,
  w: number,
  h: number,
): void {
  const x0 = x < 0 ? 0 : x, y0 = y < 0 ? 0 : y;
  const x1 = x + w > FRAME_WIDTH ? FRAME_WIDTH : x + w;
  const y1 = y + h > FRAME_HEIGHT ? FRAME_HEIGHT : y + h;
  if (x1 <= x0 || y1 <= y0) return;
  const n = (x1 - x0) * 3;
  for (let row = y0; row < y1; row++) {
    const p = (row * FRAME_WIDTH + x0) * 3;
    if (n <= 24) {
      for (let k = 0; k < n; k++) frames[offset + p + k] = background[p + k];
    } else {
      frames.set(background.subarray(p, p + n), offset + p);
    }
  }
}

/**
 * Makes a background frame: one colour with filled rectangles on it.
 * @param colour The background colour.
 * @param rects Rectangles drawn over it, each with its colour.
 * @returns One frame of {@linkcode FRAME_BYTES} bytes.
 */
export function makeBackground(
  colour: Rgb,
  rects: readonly (Rect & { colour: Rgb })[] = [],
): Uint8Array {
  const frame = new Uint8Array(FRAME_BYTES);
  fillRect(frame, 0, 0, 0, FRAME_WIDTH, FRAME_HEIGHT, colour);
  for (const r of rects) fillRect(frame, 0, r.x, r.y, r.w, r.h, r.colour);
  return frame;
}

/** Columns of a glyph of the digit font, before scaling. */
export const GLYPH_COLUMNS = 3;
/** Rows of a glyph of the digit font, before scaling. */
export const GLYPH_ROWS = 5;

/** 3x5 glyphs of 0-9: five rows of three bits each (bit 2 = left column). */
const GLYPHS: readonly number[][] = [
  [0b111, 0b101, 0b101, 0b101, 0b111],
  [0b010, 0b110, 0b010, 0b010, 0b111],
  [0b111, 0b001, 0b111, 0b100, 0b111],
  [0b111, 0b001, 0b111, 0b001, 0b111],
  [0b101, 0b101, 0b111, 0b001, 0b001],
  [0b111, 0b100, 0b111, 0b001, 0b111],
  [0b111, 0b100, 0b111, 0b101, 0b111],
  [0b111, 0b001, 0b001, 0b001, 0b001],
  [0b111, 0b101, 0b111, 0b101, 0b111],
  [0b111, 0b101, 0b111, 0b001, 0b111],
];

/**
 * Draws a non-negative integer right-aligned in the blocky 3x5 digit font, each font pixel a
 * `scaleX` x `scaleY` block, digits `gap` columns apart.
 * @param frames Frames, one after another.
 * @param offset Byte offset of the frame in `frames`.
 * @param value The number (an integer >= 0).
 * @param right The column just right of the last digit.
 * @param top The top row.
 * @param scaleX Columns per font pixel.
 * @param scaleY Rows per font pixel.
 * @param gap Columns between digits.
 * @param colour The colour.
 */
export function drawNumber(
  frames: Uint8Array,
  offset: number,
  value: number,
  right: number,
  top: number,
  scaleX: number,
  scaleY: number,
  gap: number,
  colour: Rgb,
): void {
  let v = Math.max(0, Math.floor(value));
  let x = right - GLYPH_COLUMNS * scaleX;
  do {
    const glyph = GLYPHS[v % 10];
    for (let row = 0; row < GLYPH_ROWS; row++) {
      const bits = glyph[row];
      for (let col = 0; col < GLYPH_COLUMNS; col++) {
        if (bits & (4 >> col)) {
          fillRect(frames, offset, x + col * scaleX, top + row * scaleY, scaleX, scaleY, colour);
        }
      }
    }
    v = Math.floor(v / 10);
    x -= GLYPH_COLUMNS * scaleX + gap;
  } while (v > 0);
}

/**
 * Seeded pseudo-random numbers: xoshiro128** seeded through splitmix32, with normal deviates
 * by the Box-Muller transform. Every random choice in the library goes through an explicit
 * `Rng`; there is no hidden `Math.random`. The state can be saved and restored exactly.
 *
 * @module
 */

/** The complete state of an {@linkcode Rng}, for checkpoints. */
export interface RngState {
  /** The four 32-bit words of xoshiro128**. */
  s: [number, number, number, number];
  /** A cached second normal deviate, or null. */
  spare: number | null;
}

/**
 * A seeded generator of uniform and normal deviates.
 *
 * @example Reproducible draws
 * ```ts
 * import { Rng } from "./rng.ts";
 * import assert from "node:assert/strict";
 * const a = new Rng(42), b = new Rng(42);
 * assert.equal(a.uniform(), b.uniform());
 * ```
 */
export class Rng {
  #s: Uint32Array;
  #spare: number | null = null;

  /**
   * Creates a generator from a seed.
   *
   * @param seed Any integer; equal seeds give equal streams.
   * @throws {TypeError} If the seed is not a finite integer.
   */
  constructor(seed: number) {
    if (!Number.isInteger(seed)) {
      throw new TypeError(`Cannot create Rng: seed must be an integer, got ${seed}`);
    }
    this.#s = new Uint32Array(4);
    let x = (seed >>> 0) ^ Math.floor(seed / 0x100000000);
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.#s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    if (this.#s.every((w) => w === 0)) this.#s[0] = 1;
  }

  /**
   * Draws 32 random bits.
   * @returns The next 32-bit unsigned integer.
   */
  nextUint32(): number {
    const s = this.#s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /**
   * Draws a uniform deviate.
   * @returns A uniform deviate in [0, 1) with 53 random bits.
   */
  uniform(): number {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /**
   * Draws a standard normal deviate.
   * @returns A standard normal deviate.
   */
  normal(): number {
    if (this.#spare !== null) {
      const v = this.#spare;
      this.#spare = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    const phi = 2 * Math.PI * this.uniform();
    this.#spare = r * Math.sin(phi);
    return r * Math.cos(phi);
  }

  /**
   * Draws a uniform integer.
   *
   * @param n Exclusive upper bound, a positive integer.
   * @returns A uniform integer in [0, n).
   */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /**
   * Saves the generator's state.
   * @returns A copy of the state, for {@linkcode Rng.fromState}.
   */
  state(): RngState {
    const s = this.#s;
    return { s: [s[0], s[1], s[2], s[3]], spare: this.#spare };
  }

  /**
   * Restores a generator from a saved state.
   *
   * @param state A state from {@linkcode Rng.state}.
   * @returns A generator that continues exactly where the saved one was.
   */
  static fromState(state: RngState): Rng {
    const rng = new Rng(0);
    rng.#s.set(state.s);
    rng.#spare = state.spare;
    return rng;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

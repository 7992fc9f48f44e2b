/**
 * A bump allocator over the core's linear memory. Buffers are 16-byte aligned (v128 loads);
 * `mark`/`release` free everything allocated since a mark. Views are made on demand because
 * memory growth detaches earlier ones.
 *
 * @module
 */
import type { Precision } from "../backend.ts";
import type { FloatArray } from "../../grad/readout_error.ts";

const PAGE = 65536;
const MAX_BYTES = 4 * 1024 * 1024 * 1024 - PAGE;

/** Bump allocator over a WebAssembly.Memory. */
export class Arena {
  readonly #memory: WebAssembly.Memory;
  #top: number;

  /**
   * @param memory The core's memory.
   * @param base First free byte (the module's heap base).
   */
  constructor(memory: WebAssembly.Memory, base: number) {
    this.#memory = memory;
    this.#top = align(base);
  }

  /**
   * Allocates `count` elements of `bytes` bytes each.
   * @param zeroed Whether to clear the bytes (default true).
   * @returns The byte address.
   * @throws {RangeError} When 4 GiB of wasm memory would not suffice.
   */
  alloc(count: number, bytes: number, zeroed = true): number {
    const ptr = this.#top;
    const end = align(ptr + count * bytes);
    if (end > MAX_BYTES) {
      throw new RangeError(
        `Cannot allocate core memory: needs ${
          Math.ceil(end / 2 ** 20)
        } MiB, more than the 4 GiB a ` +
          "wasm32 memory can hold; use a smaller batch or fewer steps",
      );
    }
    const have = this.#memory.buffer.byteLength;
    if (end > have) this.#memory.grow(Math.ceil((end - have) / PAGE));
    if (zeroed) new Uint8Array(this.#memory.buffer, ptr, end - ptr).fill(0);
    this.#top = end;
    return ptr;
  }

  /** @returns A mark to release back to. */
  mark(): number {
    return this.#top;
  }

  /** Frees everything allocated after `mark`. */
  release(mark: number): void {
    this.#top = mark;
  }

  /** @returns A view of `length` floats of the given precision at `ptr`. */
  floats(ptr: number, length: number, precision: Precision): FloatArray {
    return precision === "f32"
      ? new Float32Array(this.#memory.buffer, ptr, length)
      : new Float64Array(this.#memory.buffer, ptr, length);
  }

  /** @returns A view of `length` int32 values at `ptr`. */
  i32(ptr: number, length: number): Int32Array {
    return new Int32Array(this.#memory.buffer, ptr, length);
  }

  /** @returns A view of `length` bytes at `ptr`. */
  u8(ptr: number, length: number): Uint8Array {
    return new Uint8Array(this.#memory.buffer, ptr, length);
  }

  /** @returns A view of `length` float64 values at `ptr`. */
  f64(ptr: number, length: number): Float64Array {
    return new Float64Array(this.#memory.buffer, ptr, length);
  }
}

function align(n: number): number {
  return Math.ceil(n / 16) * 16;
}

/**
 * One instance of the WebAssembly core holding one network: its own memory, the kernels of one
 * precision, and the network's constants and weights at fixed addresses.
 *
 * @module
 */
import type { Precision } from "../backend.ts";
import type { ResolvedNetworkConfig } from "../../model/config.ts";
import { deriveConstants, type ModelConstants } from "../../model/constants.ts";
import type { Matrix, Weights } from "../../model/weights.ts";
import type { FloatArray } from "../../grad/readout_error.ts";
import { Arena } from "./arena.ts";
import { checkFeedbackMatrix } from "../../grad/feedback.ts";
import { bindKernels, type Kernels, profiledKernels } from "./kernels.ts";
import { instantiateCore } from "./module.ts";

/** Slots of the f64 constants block (core-wasm/assembly/consts.ts). */
export const CONSTANT_ORDER = [
  "alpha",
  "rho",
  "thr",
  "gamma",
  "s",
  "dt",
  "nRef",
  "kappa",
  "c",
] as const;

/** Addresses of the network's resident buffers. */
export interface NetworkPointers {
  /** Constants block (f64). */
  cst: number;
  /** beta per neuron. */
  beta: number;
  /** w_in [nIn][n]. */
  wIn: number;
  /** w_rec [n][n], zero diagonal. */
  wRec: number;
  /** w_rec transposed, zero diagonal. */
  wRecT: number;
  /** w_out transposed, [nOut][n]. */
  wOutT: number;
  /** Readout bias [nOut], or 0 when the readout has none. */
  bias: number;
  /** e-prop feedback matrix B transposed, [nOut][n]. */
  fbT: number;
}

/** One instance of the core: its memory, allocator and the kernels of one precision. */
export class CoreMemory {
  /** Kernels of this precision. */
  readonly k: Kernels;
  /** Allocator over this instance's memory. */
  readonly arena: Arena;
  /** Arithmetic precision. */
  readonly precision: Precision;
  /** Bytes per float. */
  readonly bytes: number;

  /**
   * @param module The compiled core.
   * @param precision f32 or f64.
   * @param options `profile`: accumulate each kernel's milliseconds there.
   */
  constructor(
    module: WebAssembly.Module,
    precision: Precision,
    options: { profile?: Map<string, number> } = {},
  ) {
    const core = instantiateCore(module);
    const k = bindKernels(core, precision);
    this.k = options.profile ? profiledKernels(k, options.profile) : k;
    this.arena = new Arena(core.memory, core.heapBase());
    this.precision = precision;
    this.bytes = precision === "f32" ? 4 : 8;
  }

  /**
   * Allocates floats in this instance's memory.
   * @param count Number of floats.
   * @param zeroed Whether to clear them (default true); skip it for buffers a kernel overwrites.
   * @returns Their byte address.
   */
  alloc(count: number, zeroed = true): number {
    return this.arena.alloc(count, this.bytes, zeroed);
  }

  /**
   * Allocates and fills a constants block (always float64, read by every kernel).
   * @param values The constants in the order of core-wasm/assembly/consts.ts.
   * @returns Its byte address.
   */
  constants(values: ArrayLike<number>): number {
    const ptr = this.arena.alloc(values.length, 8);
    this.arena.f64(ptr, values.length).set(values);
    return ptr;
  }

  /**
   * Allocates int32 values (e.g. sequence lengths).
   * @param values The values.
   * @returns Their byte address.
   */
  int32(values: ArrayLike<number>): number {
    const ptr = this.arena.alloc(values.length, 4);
    this.arena.i32(ptr, values.length).set(values);
    return ptr;
  }

  /** @returns A live view of `length` floats at `ptr` (invalid after the next allocation). */
  view(ptr: number, length: number): FloatArray {
    return this.arena.floats(ptr, length, this.precision);
  }

  /** Copies values into the floats at `ptr`. */
  write(ptr: number, data: ArrayLike<number>): void {
    this.view(ptr, data.length).set(data);
  }

  /** @returns A float64 copy of `length` floats at `ptr`. */
  read(ptr: number, length: number): Float64Array {
    return Float64Array.from(this.view(ptr, length));
  }

  /** @returns The byte address of float number `index` of the buffer at `ptr`. */
  at(ptr: number, index: number): number {
    return ptr + index * this.bytes;
  }
}

/** A core instance bound to one network and precision. */
export class CoreInstance extends CoreMemory {
  /** The network. */
  readonly config: ResolvedNetworkConfig;
  /** Its derived constants. */
  readonly consts: ModelConstants;
  /** Resident buffers. */
  readonly ptr: NetworkPointers;

  /**
   * @param module The compiled core.
   * @param config The network.
   * @param precision f32 or f64.
   */
  constructor(module: WebAssembly.Module, config: ResolvedNetworkConfig, precision: Precision) {
    super(module, precision);
    this.config = config;
    this.consts = deriveConstants(config);
    const { nIn, nRec: n } = config.neuron;
    const nOut = config.readout.nOut;
    const cst = this.constants(CONSTANT_ORDER.map((key) => this.consts[key]));
    this.ptr = {
      cst,
      beta: this.alloc(n),
      wIn: this.alloc(nIn * n),
      wRec: this.alloc(n * n),
      wRecT: this.alloc(n * n),
      wOutT: this.alloc(n * nOut),
      bias: config.readout.bias ? this.alloc(nOut) : 0,
      fbT: this.alloc(n * nOut),
    };
    this.write(this.ptr.beta, config.neuron.beta);
  }

  /** Writes validated weights (zeroing the diagonal of w_rec) and refreshes its transpose. */
  loadWeights(w: Weights): void {
    const n = this.config.neuron.nRec;
    this.write(this.ptr.wIn, w.wIn.data);
    const rec = Float64Array.from(w.wRec.data);
    for (let j = 0; j < n; j++) rec[j * n + j] = 0;
    this.write(this.ptr.wRec, rec);
    this.k.transpose(n, n, this.ptr.wRec, this.ptr.wRecT);
    this.write(this.ptr.wOutT, transposed(w.wOut));
    if (this.ptr.bias !== 0 && w.bOut) this.write(this.ptr.bias, w.bOut);
  }

  /** Writes the e-prop feedback matrix; without one, copies w_out (symmetric feedback). */
  loadFeedback(feedback: Matrix | undefined): void {
    const { nRec } = this.config.neuron;
    const nOut = this.config.readout.nOut;
    if (feedback === undefined) {
      this.view(this.ptr.fbT, nRec * nOut).set(this.view(this.ptr.wOutT, nRec * nOut));
      return;
    }
    checkFeedbackMatrix(feedback, { nRec, nOut });
    this.write(this.ptr.fbT, transposed(feedback));
  }
}

/** @returns The values of m transposed, row-major [cols][rows]. */
export function transposed(m: Matrix): Float64Array {
  const out = new Float64Array(m.rows * m.cols);
  for (let r = 0; r < m.rows; r++) {
    for (let c = 0; c < m.cols; c++) out[c * m.rows + r] = m.data[r * m.cols + c];
  }
  return out;
}

/**
 * One LSNN population as a layer on the WebAssembly core: its resident constants and weights,
 * the forward pass (input current computed once per frame), the exact reverse pass given dE/dz
 * from outside, and e-prop given learning signals from outside, in the factorized and online
 * forms. Everything here runs in the population's own time: a backward population's caller
 * reverses its inputs and signals within each sequence (see wasm_network.ts).
 *
 * @module
 */
import type { Population } from "../../net/network.ts";
import type { PopulationParams } from "../../net/params.ts";
import type { Matrix } from "../../model/weights.ts";
import { CONSTANT_ORDER, type CoreMemory } from "./core_instance.ts";

/** Sizes of one call. */
export interface SequenceShape {
  /** Sequences B. */
  B: number;
  /** Steps T. */
  T: number;
  /** Valid steps per sequence (int32 buffer), or 0 when all are valid. */
  lens: number;
}

/** A population's input, own time, [frames][B][nIn], each frame held for `repeat` steps. */
export interface PopulationInput {
  /** Address. */
  x: number;
  /** Frames in it. */
  frames: number;
  /** Steps per frame. */
  repeat: number;
}

/** What the forward pass records (own time, [T][B][n]). */
export interface PopulationRecord {
  /** The input it ran on. */
  input: PopulationInput;
  /** Spikes (1/dt), zero past each length. */
  z: number;
  /** Pseudo-derivatives, zero while refractory and past each length. */
  psi: number;
  /** Membrane potentials, when recorded (else 0). */
  v: number;
  /** Adaptive thresholds, when recorded (else 0). */
  thr: number;
}

/** The population's weight gradients, at core addresses. */
export interface PopulationGradients {
  /** dE/dw_in [nIn][n]. */
  wIn: number;
  /** dE/dw_rec [n][n] (diagonal not yet zeroed). */
  wRec: number;
}

/** One population resident in a core instance. */
export class WasmPopulation {
  /** Its description. */
  readonly pop: Population;
  readonly #core: CoreMemory;
  readonly #cst: number;
  readonly #beta: number;
  readonly #wIn: number;
  /** s * w_in transposed [n][nIn]: maps dE/dv to dE/d(input). */
  readonly #wInTs: number;
  readonly #wRec: number;
  readonly #wRecT: number;

  /**
   * @param core The core instance (allocates resident buffers there).
   * @param pop The population.
   */
  constructor(core: CoreMemory, pop: Population) {
    this.#core = core;
    this.pop = pop;
    const { nIn, nRec: n, consts } = pop;
    // The trace filter of the online form is the identity (kappa 0, c 1): signals reaching a
    // population already carry their readout filter's adjoint.
    const values: Record<(typeof CONSTANT_ORDER)[number], number> = { ...consts, kappa: 0, c: 1 };
    this.#cst = core.constants(CONSTANT_ORDER.map((key) => values[key]));
    this.#beta = core.alloc(n);
    core.write(this.#beta, pop.beta);
    this.#wIn = core.alloc(nIn * n);
    this.#wInTs = core.alloc(nIn * n);
    this.#wRec = core.alloc(n * n);
    this.#wRecT = core.alloc(n * n);
  }

  /** Writes validated weights (zero diagonal for w_rec) and their transposes. */
  load(p: PopulationParams): void {
    const core = this.#core;
    const { nRec: n, consts } = this.pop;
    core.write(this.#wIn, p.wIn.data);
    core.write(this.#wInTs, transposedScaled(p.wIn, consts.s));
    const rec = Float64Array.from(p.wRec.data);
    for (let j = 0; j < n; j++) rec[j * n + j] = 0;
    core.write(this.#wRec, rec);
    core.k.transpose(n, n, this.#wRec, this.#wRecT);
  }

  /**
   * Forward pass from the zero state.
   * @param input Own-time input frames.
   * @param shape Batch, steps, lengths.
   * @param record Whether to record v and the adaptive threshold too.
   * @returns The record.
   */
  forward(input: PopulationInput, shape: SequenceShape, record = false): PopulationRecord {
    const core = this.#core;
    const { nIn, nRec: n } = this.pop;
    const { B, T, lens } = shape;
    const size = B * n;
    // Frames held for several steps: the input current once per frame, as one blocked product
    // over all frames. Spike inputs (one step per frame): per step inside the loop, in cache.
    let I = 0;
    if (input.repeat > 1) {
      I = core.alloc(input.frames * size);
      core.k.gemmNN(input.frames * B, nIn, n, input.x, this.#wIn, I);
    }
    const [v, a, r, cur, zInit] = [0, 0, 0, 0, 0].map(() => core.alloc(size));
    const z = core.alloc(T * size, false);
    const psi = core.alloc(T * size, false);
    const vRec = record ? core.alloc(T * size, false) : 0;
    const thr = record ? core.alloc(T * size, false) : 0;
    core.k.lsnnForwardFrames(
      T,
      input.repeat,
      B,
      nIn,
      n,
      this.#cst,
      input.x,
      this.#wIn,
      I,
      this.#wRec,
      this.#beta,
      lens,
      zInit,
      v,
      a,
      r,
      cur,
      z,
      psi,
      vRec,
      thr,
    );
    return { input, z, psi, v: vRec, thr };
  }

  /**
   * Exact reverse pass given G = dE/dz(t) from outside the population (readout, regularizer,
   * layers above).
   * @param rec The forward record.
   * @param G Own-time [T][B][n].
   * @param options `ltrue`: also write the true learning signal of eq. (1) (returned).
   * @returns gv = dE/dv(t) [T][B][n], and ltrue when asked (else 0).
   */
  backward(
    rec: PopulationRecord,
    G: number,
    shape: SequenceShape,
    options: { ltrue?: boolean } = {},
  ): { gv: number; ltrue: number } {
    const core = this.#core;
    const n = this.pop.nRec;
    const { B, T } = shape;
    const size = B * n;
    const gv = core.alloc(T * size, false);
    const ltrue = options.ltrue ? core.alloc(T * size, false) : 0;
    core.k.bpttBackward(
      T,
      B,
      n,
      this.#cst,
      G,
      rec.psi,
      this.#wRecT,
      this.#beta,
      gv,
      ltrue,
      core.alloc(size),
      core.alloc(size),
    );
    return { gv, ltrue };
  }

  /**
   * dE/d(input) = s gv w_in^T, own time [T][B][nIn]: the signal sent to the layer below.
   * @param gv dE/dv from {@linkcode backward}.
   * @returns Its address.
   */
  inputSignal(gv: number, shape: SequenceShape): number {
    const core = this.#core;
    const { nIn, nRec: n } = this.pop;
    const out = core.alloc(shape.T * shape.B * nIn);
    core.k.gemmNN(shape.T * shape.B, n, nIn, gv, this.#wInTs, out);
    return out;
  }

  /**
   * Factorized e-prop: turns the per-step signal D(t) that multiplies the eligibility traces
   * e(t) into dE/dv-like factors by one backward pass over each neuron's own recursion (in place).
   */
  traceAdjoint(rec: PopulationRecord, D: number, shape: SequenceShape): void {
    const core = this.#core;
    const n = this.pop.nRec;
    const { B, T } = shape;
    core.k.traceAdjoint(T, B, n, this.#cst, D, rec.psi, this.#beta, D, core.alloc(B * n));
  }

  /**
   * Weight gradients from per-step factors M(t) (gv for BPTT, the trace adjoint for e-prop):
   * dw_in = s sum_f x(f)^T (sum of M over frame f's steps), dw_rec = s sum_t z(t-1)^T M(t).
   */
  weightGradients(rec: PopulationRecord, M: number, shape: SequenceShape): PopulationGradients {
    const core = this.#core;
    const { nIn, nRec: n, consts } = this.pop;
    const { B, T } = shape;
    const size = B * n;
    const { x, frames, repeat } = rec.input;
    let Mx = M;
    if (repeat > 1) {
      Mx = core.alloc(frames * size, false);
      core.k.poolFrames(frames, repeat, B, n, M, Mx, 1);
    }
    const wIn = core.alloc(nIn * n);
    core.k.gemmTN(frames * B, nIn, n, x, Mx, wIn, consts.s);
    const wRec = core.alloc(n * n);
    if (T > 1) core.k.gemmTN((T - 1) * B, n, n, rec.z, core.at(M, size), wRec, consts.s);
    return { wIn, wRec };
  }

  /**
   * Online e-prop: per-synapse eligibility traces streamed forward in the population's own time
   * against the per-step signal G(t) (EPROP.md section 4 with an identity trace filter, since
   * G already holds the readout filter's adjoint). Equals the factorized form to rounding.
   */
  onlineGradients(rec: PopulationRecord, G: number, shape: SequenceShape): PopulationGradients {
    const core = this.#core;
    const { nIn, nRec: n } = this.pop;
    const { B, T } = shape;
    const size = B * n;
    const nPre = nIn + n;
    const epsV = core.alloc(B * nPre);
    const epsA = core.alloc(B * nPre * n);
    const ebar = core.alloc(B * nPre * n);
    const g = core.alloc(nPre * n);
    const S = core.alloc(nPre * n);
    const scratch = core.alloc(3 * n);
    const zeros = core.alloc(size);
    const { x, repeat } = rec.input;
    for (let t = 0; t < T; t++) {
      const prev = t === 0 ? -1 : (t - 1) * size;
      core.k.onlineTraceStep(
        B,
        nIn,
        n,
        this.#cst,
        core.at(x, Math.floor(t / repeat) * B * nIn),
        prev < 0 ? zeros : core.at(rec.z, prev),
        prev < 0 ? zeros : core.at(rec.psi, prev),
        core.at(rec.psi, t * size),
        core.at(G, t * size),
        0,
        this.#beta,
        epsV,
        epsA,
        ebar,
        g,
        S,
        scratch,
      );
    }
    return { wIn: g, wRec: core.at(g, nIn * n) };
  }

  /**
   * Reads gradients back as matrices (zero diagonal for w_rec).
   * @returns The population's gradients.
   */
  read(grads: PopulationGradients): { wIn: Matrix; wRec: Matrix } {
    const core = this.#core;
    const { nIn, nRec: n } = this.pop;
    const wRec = core.read(grads.wRec, n * n);
    for (let j = 0; j < n; j++) wRec[j * n + j] = 0;
    return {
      wIn: { rows: nIn, cols: n, data: core.read(grads.wIn, nIn * n) },
      wRec: { rows: n, cols: n, data: wRec },
    };
  }
}

function transposedScaled(m: Matrix, s: number): Float64Array {
  const out = new Float64Array(m.rows * m.cols);
  for (let r = 0; r < m.rows; r++) {
    for (let c = 0; c < m.cols; c++) out[c * m.rows + r] = s * m.data[r * m.cols + c];
  }
  return out;
}

/**
 * Online e-prop on the WebAssembly core (EPROP.md section 4): per-synapse eligibility traces
 * updated step by step; memory O(batch x synapses), independent of the sequence length, so it
 * runs on a stream. It gives the same gradient as the factorized form.
 *
 * @module
 */
import type { Gradients } from "../backend.ts";
import type { FloatArray } from "../../grad/readout_error.ts";
import type { RateRegularizer } from "../../grad/rate_regularizer.ts";
import type { CoreInstance } from "./core_instance.ts";
import { gradientMatrices } from "./gradient_readback.ts";

/**
 * Computes dE/dy of one step: reads `io.y` ([B][nOut]), writes `io.dEdy` ([B][nOut]), returns the
 * step's loss contribution. `ReadoutError.step` has this shape.
 */
export type StepError = (t: number, io: { y: FloatArray; dEdy: FloatArray }) => number;

/** What {@linkcode OnlineEprop.finish} returns. */
export interface OnlineEpropResult {
  /** Readout loss summed over the steps. */
  readoutLoss: number;
  /** Regularizer loss. */
  regularizationLoss: number;
  /** Number of recurrent spikes. */
  spikes: number;
  /** Accumulated e-prop gradients (w_out and bias exact). */
  grads: Gradients;
}

/** Step-by-step e-prop learner for a batch of B parallel streams, from the zero state. */
export class OnlineEprop {
  readonly #core: CoreInstance;
  readonly #B: number;
  readonly #reg: RateRegularizer | undefined;
  readonly #p: Record<string, number>;
  #t = 0;
  #readoutLoss = 0;

  /**
   * Allocates the traces and state of B streams in the core's memory.
   *
   * @param core The core instance (its weights and feedback matrix are used as loaded).
   * @param options Number of parallel streams B, and an optional firing-rate regularizer.
   */
  constructor(
    core: CoreInstance,
    options: { batchSize: number; regularizer?: RateRegularizer },
  ) {
    const { batchSize, regularizer } = options;
    this.#core = core;
    this.#B = batchSize;
    this.#reg = regularizer;
    const { nIn, nRec: n } = core.config.neuron;
    const nOut = core.config.readout.nOut;
    const size = batchSize * n;
    const nPre = nIn + n;
    const a = (count: number) => core.alloc(count);
    this.#p = {
      x: a(batchSize * nIn),
      v: a(size),
      adapt: a(size),
      r: a(size),
      cur: a(size),
      z0: a(size),
      z1: a(size),
      psi0: a(size),
      psi1: a(size),
      zbar0: a(size),
      zbar1: a(size),
      y: a(batchSize * nOut),
      dEdy: a(batchSize * nOut),
      L: a(size),
      reg: a(n),
      stepSums: a(n),
      sums: a(n),
      epsV: a(batchSize * nPre),
      epsA: a(batchSize * nPre * n),
      ebar: a(batchSize * nPre * n),
      g: a(nPre * n),
      S: a(nPre * n),
      gOutT: a(n * nOut),
      gBias: a(nOut),
      scratch: a(3 * n),
    };
  }

  /** Number of steps taken. */
  get steps(): number {
    return this.#t;
  }

  /**
   * Advances every stream by one step.
   * @param x Inputs of this step, [B][nIn].
   * @param error Computes dE/dy of this step.
   * @throws {TypeError} If x has the wrong length or a non-finite value.
   */
  step(x: ArrayLike<number>, error: StepError): void {
    const len = this.#B * this.#core.config.neuron.nIn;
    if (x.length !== len) {
      throw new TypeError(`Cannot step online e-prop: x must have length ${len}, got ${x.length}`);
    }
    for (let i = 0; i < len; i++) {
      if (!Number.isFinite(x[i])) {
        throw new TypeError(`Cannot step online e-prop: x[${i}] must be finite, got ${x[i]}`);
      }
    }
    this.#core.write(this.#p.x, x);
    this.stepAt(this.#p.x, error);
  }

  /** As {@linkcode OnlineEprop.step}, with the inputs already in core memory at `xPtr`. */
  stepAt(xPtr: number, error: StepError): void {
    const core = this.#core;
    const { k, ptr } = core;
    const p = this.#p;
    const B = this.#B;
    const { nIn, nRec: n } = core.config.neuron;
    const nOut = core.config.readout.nOut;
    const t = this.#t;
    const [zPrev, zCur] = t % 2 === 0 ? [p.z0, p.z1] : [p.z1, p.z0];
    const [psiPrev, psiCur] = t % 2 === 0 ? [p.psi0, p.psi1] : [p.psi1, p.psi0];
    const [zbarPrev, zbarCur] = t % 2 === 0 ? [p.zbar0, p.zbar1] : [p.zbar1, p.zbar0];
    k.lsnnStep(
      B,
      nIn,
      n,
      ptr.cst,
      xPtr,
      ptr.wIn,
      ptr.wRec,
      ptr.beta,
      zPrev,
      p.v,
      p.adapt,
      p.r,
      p.cur,
      zCur,
      psiCur,
      0,
      0,
    );
    k.readoutStep(
      B,
      n,
      nOut,
      ptr.cst,
      zCur,
      t === 0 ? 0 : zbarPrev,
      zbarCur,
      p.y,
      ptr.wOutT,
      ptr.bias,
    );
    this.#readoutLoss += error(t, {
      y: core.view(p.y, B * nOut),
      dEdy: core.view(p.dEdy, B * nOut),
    });
    k.projectError(B, n, nOut, p.dEdy, ptr.fbT, p.L);
    let regPtr = 0;
    if (this.#reg?.online) {
      core.view(p.stepSums, n).fill(0);
      k.addColumnSums(B, n, zCur, p.stepSums);
      this.#reg.step(core.view(p.stepSums, n), core.view(p.reg, n));
      regPtr = p.reg;
    }
    k.onlineTraceStep(
      B,
      nIn,
      n,
      ptr.cst,
      xPtr,
      zPrev,
      psiPrev,
      psiCur,
      p.L,
      regPtr,
      ptr.beta,
      p.epsV,
      p.epsA,
      p.ebar,
      p.g,
      p.S,
      p.scratch,
    );
    k.gemmTN(B, nOut, n, p.dEdy, zbarCur, p.gOutT, 1);
    if (ptr.bias !== 0) k.addColumnSums(B, nOut, p.dEdy, p.gBias);
    k.addColumnSums(B, n, zCur, p.sums);
    this.#t = t + 1;
  }

  /**
   * Reads the current neuron state.
   * @returns Copies of the current neuron state of every stream, [B][nRec] each.
   */
  state(): { v: Float64Array; a: Float64Array; refractory: Float64Array; z: Float64Array } {
    const core = this.#core;
    const size = this.#B * core.config.neuron.nRec;
    const p = this.#p;
    return {
      v: core.read(p.v, size),
      a: core.read(p.adapt, size),
      refractory: core.read(p.r, size),
      z: core.read(this.#t % 2 === 1 ? p.z1 : p.z0, size),
    };
  }

  /** Adds the regularizer's end-of-batch signal and returns the accumulated gradients. */
  finish(): OnlineEpropResult {
    const core = this.#core;
    const { nIn, nRec: n, dtMs } = core.config.neuron;
    const nPre = nIn + n;
    const p = this.#p;
    const sums = core.read(p.sums, n);
    let regLoss = 0;
    if (this.#reg) {
      if (!this.#reg.online) {
        const signal = new Float64Array(n);
        this.#reg.finish(sums, signal);
        const g = core.view(p.g, nPre * n);
        const S = core.view(p.S, nPre * n);
        for (let i = 0; i < nPre; i++) {
          for (let j = 0; j < n; j++) g[i * n + j] += signal[j] * S[i * n + j];
        }
      }
      regLoss = this.#reg.loss(sums);
    }
    return {
      readoutLoss: this.#readoutLoss,
      regularizationLoss: regLoss,
      spikes: sums.reduce((acc, s) => acc + s, 0) * dtMs,
      grads: gradientMatrices(core, {
        wIn: p.g,
        wRec: core.at(p.g, nIn * n),
        wOutT: p.gOutT,
        bias: p.gBias,
      }),
    };
  }
}

/**
 * A leaky readout head on the WebAssembly core: zbar(u) = kappa zbar(u-1) + c s(u),
 * y(u) = zbar(u) w_out + b over the head's time axis u (steps, or frames when pooled), its exact
 * weight gradients, and the signal dE/ds it sends back through w_out or a feedback matrix.
 *
 * @module
 */
import type { ResolvedHead } from "../../net/network.ts";
import type { HeadParams } from "../../net/params.ts";
import { checkFeedbackMatrix } from "../../grad/feedback.ts";
import type { Matrix } from "../../model/weights.ts";
import { CONSTANT_ORDER, type CoreMemory, transposed } from "./core_instance.ts";

/** A forward pass of the head, [U][B][...]. */
export interface HeadRecord {
  /** Features read, [U][B][nFeat]. */
  s: number;
  /** Filtered features. */
  zbar: number;
  /** Outputs [U][B][nOut]. */
  y: number;
}

/** One head resident in a core instance. */
export class WasmHead {
  /** Its description. */
  readonly head: ResolvedHead;
  readonly #core: CoreMemory;
  readonly #cst: number;
  /** Constants of an identity filter (kappa 0, c 1): the projected error without the filter. */
  readonly #cstUnfiltered: number;
  readonly #wOutT: number;
  readonly #bias: number;
  readonly #fbT: number;

  /**
   * @param core The core instance.
   * @param head The head.
   */
  constructor(core: CoreMemory, head: ResolvedHead) {
    this.#core = core;
    this.head = head;
    const values: Record<string, number> = { kappa: head.kappa, c: head.c };
    this.#cst = core.constants(CONSTANT_ORDER.map((key) => values[key] ?? 0));
    const identity: Record<string, number> = { kappa: 0, c: 1 };
    this.#cstUnfiltered = core.constants(CONSTANT_ORDER.map((key) => identity[key] ?? 0));
    this.#wOutT = core.alloc(head.nFeat * head.nOut);
    this.#bias = head.bias ? core.alloc(head.nOut) : 0;
    this.#fbT = core.alloc(head.nFeat * head.nOut);
  }

  /** Writes validated weights. */
  load(p: HeadParams): void {
    this.#core.write(this.#wOutT, transposed(p.wOut));
    if (this.#bias !== 0 && p.bOut) this.#core.write(this.#bias, p.bOut);
  }

  /**
   * @param s Features [U][B][nFeat].
   * @returns The record with y.
   */
  forward(s: number, U: number, B: number): HeadRecord {
    const core = this.#core;
    const { nFeat, nOut } = this.head;
    const zbar = core.alloc(U * B * nFeat, false);
    const y = core.alloc(U * B * nOut, false);
    core.k.readoutForward(U, B, nFeat, nOut, this.#cst, s, zbar, y, this.#wOutT, this.#bias);
    return { s, zbar, y };
  }

  /**
   * dE/ds(u) = c sum_{u' >= u} kappa^(u'-u) B dE/dy(u') for B = w_out (exact) or a feedback
   * matrix (e-prop), by one backward pass.
   * @param dEdy [U][B][nOut].
   * @param options Feedback matrix nFeat x nOut (default w_out); `unfiltered`: B dE/dy(u) alone,
   *   without the filter's adjoint (the learning signal L(u) of EPROP.md 3.2); `add`: a vector
   *   added at every unit in the same pass ([nFeat], stride 0, or [U][nFeat], stride nFeat).
   * @returns dE/ds [U][B][nFeat].
   */
  featureSignal(
    dEdy: number,
    U: number,
    B: number,
    options: {
      feedback?: Matrix;
      unfiltered?: boolean;
      add?: { ptr: number; stride: number };
    } = {},
  ): number {
    const core = this.#core;
    const { nFeat, nOut } = this.head;
    let fb = this.#wOutT;
    if (options.feedback) {
      checkFeedbackMatrix(options.feedback, { nRec: nFeat, nOut, action: "compute gradients" });
      core.write(this.#fbT, transposed(options.feedback));
      fb = this.#fbT;
    }
    const out = core.alloc(U * B * nFeat, false);
    const cst = options.unfiltered ? this.#cstUnfiltered : this.#cst;
    const add = options.add ?? { ptr: 0, stride: 0 };
    core.k.learningSignal(
      U,
      B,
      nFeat,
      nOut,
      cst,
      dEdy,
      fb,
      add.ptr,
      add.stride,
      out,
      core.alloc(B * nFeat),
    );
    return out;
  }

  /** @returns Exact dE/dw_out (and dE/db) of the head, read back. */
  gradients(rec: HeadRecord, dEdy: number, U: number, B: number): HeadParams {
    const core = this.#core;
    const { nFeat, nOut, bias } = this.head;
    const gOutT = core.alloc(nFeat * nOut);
    core.k.gemmTN(U * B, nOut, nFeat, dEdy, rec.zbar, gOutT, 1);
    const wOut = transposed({ rows: nOut, cols: nFeat, data: core.read(gOutT, nFeat * nOut) });
    const out: HeadParams = { wOut: { rows: nFeat, cols: nOut, data: wOut } };
    if (bias) {
      const gb = core.alloc(nOut);
      core.k.addColumnSums(U * B, nOut, dEdy, gb);
      out.bOut = core.read(gb, nOut);
    }
    return out;
  }
}

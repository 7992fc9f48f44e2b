/**
 * The LSTM baseline of Fig. 2 on the WebAssembly core: one LSTM layer (bidirectional by default)
 * and a per-frame linear readout with bias, y_t = [h_t(forward), h_t(backward)] W_out + b, trained
 * by BPTT or by e-prop for LSTM (the cell's eligibility traces with a learning signal through
 * feedback matrices: stop-gradient on the recurrent hidden state, EPROP.md section 7). The cell
 * runs in core kernels (core-wasm/assembly/lstm.ts); products and layouts use the core's kernels.
 *
 * Parameters use the network parameter tree: `layers[0].forward` (and `.backward`) hold
 * `wIn` [nIn][4H], `wRec` [H][4H] and `bias` [4H], gates packed as [i | f | g | o]; `heads[0]`
 * holds `wOut` [dirs H][nOut] and `bOut` [nOut].
 *
 * It is a {@linkcode NetworkBackend} for the networks of one layer of kind "lstm"
 * (net/lstm_spec.ts, `lstmSpecOf`); the factory's `createNetworkBackend` returns it for them.
 *
 * @module
 */
import type { Precision } from "../backend.ts";
import { checkChoice, describe } from "../../util/errors.ts";
import { checkSequenceBatch, type SequenceBatch } from "../../net/batch.ts";
import { createLoss, type LossSpec, type SequenceLoss } from "../../net/losses.ts";
import { addL2 } from "../../net/objective.ts";
import type { NetworkObjective } from "../../net/objective.ts";
import { copyNetworkParams, type NetworkParams } from "../../net/params.ts";
import type {
  NetworkBackend,
  NetworkEvaluation,
  NetworkGradientOptions,
  NetworkGradientResult,
  NetworkTrajectory,
} from "../network_backend.ts";
import { type NetworkSpec, type ResolvedNetwork, resolveNetwork } from "../../net/network.ts";
import { initWasm, type WasmSource } from "./module.ts";
import { CoreMemory } from "./core_instance.ts";

import {
  checkLstmParams,
  lstmNetworkSpec,
  type LstmSpec,
  lstmSpecOf,
  resolveLstmSpec as resolve,
} from "../../net/lstm_spec.ts";

/**
 * Rows of a weight-gradient product per kernel call: a tile of P and D stays in cache (on the
 * Fig. 2 LSTM, 64 rows make the products 3.5 times faster than one call over all rows).
 */
export const LSTM_GRADIENT_TILE = 64;

/**
 * G[K][N] += P[R][K]^T D[R][N] in tiles of rows: the same kernel on blocks of
 * {@linkcode LSTM_GRADIENT_TILE} rows, so that each block of P and D is read from cache.
 */
function gradientProduct(
  core: CoreMemory,
  R: number,
  K: number,
  N: number,
  P: number,
  D: number,
  G: number,
): void {
  for (let r = 0; r < R; r += LSTM_GRADIENT_TILE) {
    const rows = Math.min(LSTM_GRADIENT_TILE, R - r);
    core.k.gemmTNDense(rows, K, N, core.at(P, r * K), core.at(D, r * N), G, 1);
  }
}

/** Addresses of one direction's resident weights. */
interface DirectionPointers {
  wIn: number;
  wRec: number;
  wRecT: number;
  bias: number;
}

/** A forward pass held in core memory (released by the caller). */
interface LstmPass {
  mark: number;
  T: number;
  B: number;
  lengths: Int32Array;
  lens: number;
  /** Per direction: inputs in its own time [T][B][nIn], gate activations, c and h. */
  dirs: { x: number; gates: number; c: number; h: number }[];
  /** Features [T][B][dirs H] in input time. */
  feat: number;
  /** Outputs [T][B][nOut]. */
  y: number;
}

/** Options of {@linkcode LstmNetwork.create}. */
export interface LstmNetworkOptions {
  /** Arithmetic (default f32). */
  precision?: Precision;
  /** The compiled core (default: the bundled one). */
  module?: WasmSource;
  /** Accumulate each kernel's milliseconds here (for benchmarks). */
  profile?: Map<string, number>;
}

/** The LSTM baseline on one WebAssembly core instance. */
export class LstmNetwork implements NetworkBackend {
  /** Backend name. */
  readonly name = "wasm";
  /** The shape. */
  readonly spec: Required<LstmSpec>;
  /** The network: one lstm layer (no LSNN populations) and its head. */
  readonly net: ResolvedNetwork;
  /** Arithmetic precision. */
  readonly precision: Precision;
  #core: CoreMemory | undefined;
  #params: NetworkParams;
  #dirs: DirectionPointers[];
  #wOut: number;
  #wOutT: number;
  #bOut: number;

  private constructor(
    module: WebAssembly.Module,
    spec: Required<LstmSpec>,
    net: ResolvedNetwork,
    params: NetworkParams,
    precision: Precision,
    profile?: Map<string, number>,
  ) {
    this.spec = spec;
    this.precision = precision;
    const nDirs = spec.bidirectional ? 2 : 1, H = spec.nHidden, G = 4 * H;
    this.net = net;
    const core = new CoreMemory(module, precision, { profile });
    this.#core = core;
    this.#dirs = Array.from({ length: nDirs }, () => ({
      wIn: core.alloc(spec.nIn * G),
      wRec: core.alloc(H * G),
      wRecT: core.alloc(G * H),
      bias: core.alloc(G),
    }));
    this.#wOut = core.alloc(nDirs * H * spec.nOut);
    this.#wOutT = core.alloc(nDirs * H * spec.nOut);
    this.#bOut = core.alloc(spec.nOut);
    this.#params = params;
    this.setParams(params);
  }

  /**
   * Compiles (or takes) the core and loads the parameters.
   * @param spec The shape, or a network of one lstm layer (as a spec or resolved).
   * @param params Initial parameters ({@linkcode initLstmParams}).
   * @param options Precision, module.
   * @returns The network.
   * @throws {TypeError|RangeError} For a shape, network, parameters or option it cannot take.
   */
  static async create(
    spec: LstmSpec | NetworkSpec | ResolvedNetwork,
    params: NetworkParams,
    options: LstmNetworkOptions = {},
  ): Promise<LstmNetwork> {
    const isNetwork = typeof spec === "object" && spec !== null && "layers" in spec;
    const s = isNetwork ? lstmSpecOf(spec) : resolve(spec as LstmSpec);
    const net = isNetwork
      ? ("populations" in spec ? spec : resolveNetwork(spec as NetworkSpec))
      : resolveNetwork(lstmNetworkSpec(s));
    const precision = checkChoice("create LSTM", "precision", options.precision ?? "f32", [
      "f32",
      "f64",
    ]);
    checkLstmParams(s, params);
    return new LstmNetwork(
      await initWasm(options.module),
      s,
      net,
      params,
      precision,
      options.profile,
    );
  }

  get #c(): CoreMemory {
    if (!this.#core) throw new Error("Cannot use LSTM: it was disposed");
    return this.#core;
  }

  /** Replaces the parameters (validated, copied). */
  setParams(params: NetworkParams): void {
    checkLstmParams(this.spec, params);
    this.#params = copyNetworkParams(params);
    const core = this.#c, H = this.spec.nHidden, G = 4 * H;
    this.#dirs.forEach((d, i) => {
      const pp = i === 0 ? params.layers[0].forward : params.layers[0].backward!;
      core.write(d.wIn, pp.wIn.data);
      core.write(d.wRec, pp.wRec.data);
      core.k.transpose(H, G, d.wRec, d.wRecT);
      core.write(d.bias, pp.bias!);
    });
    const head = params.heads[0];
    core.write(this.#wOut, head.wOut.data);
    core.k.transpose(head.wOut.rows, head.wOut.cols, this.#wOut, this.#wOutT);
    core.write(this.#bOut, head.bOut!);
  }

  /** @returns A copy of the parameters. */
  getParams(): NetworkParams {
    return copyNetworkParams(this.#params);
  }

  #forward(batch: SequenceBatch): LstmPass {
    const core = this.#c, k = core.k;
    const { nIn, nHidden: H, nOut } = this.spec, G = 4 * H;
    const lengths = checkSequenceBatch({ nIn }, batch);
    const B = batch.batchSize, T = batch.frames, nDirs = this.#dirs.length, nFeat = nDirs * H;
    const mark = core.arena.mark();
    try {
      const lens = core.int32(lengths);
      const raw = core.alloc(B * T * nIn, false);
      core.write(raw, batch.inputs);
      const x0 = core.alloc(T * B * nIn, false);
      k.toTimeMajor(B, T, nIn, lens, raw, x0);
      const feat = core.alloc(T * B * nFeat);
      const dirs = this.#dirs.map((d, i) => {
        let x = x0;
        if (i === 1) {
          x = core.alloc(T * B * nIn, false);
          k.reverseWithin(T, B, nIn, lens, x0, x);
        }
        const gates = core.alloc(T * B * G);
        k.addRowVector(T, B, G, d.bias, 0, gates);
        k.gemmNNDense(T * B, nIn, G, x, d.wIn, gates);
        const c = core.alloc(T * B * H, false);
        const h = core.alloc(T * B * H, false);
        k.lstmForward(T, B, H, d.wRec, gates, c, h);
        let hIn = h;
        if (i === 1) {
          hIn = core.alloc(T * B * H, false);
          k.reverseWithin(T, B, H, lens, h, hIn);
        }
        k.copyColumns(T * B, H, H, hIn, 0, nFeat, feat, i * H, 0);
        return { x, gates, c, h };
      });
      const y = core.alloc(T * B * nOut);
      k.addRowVector(T, B, nOut, this.#bOut, 0, y);
      k.gemmNNDense(T * B, nFeat, nOut, feat, this.#wOut, y);
      return { mark, T, B, lengths, lens, dirs, feat, y };
    } catch (e) {
      core.arena.release(mark);
      throw e;
    }
  }

  #loss(objective: NetworkObjective): { loss: SequenceLoss; l2: number } {
    if (
      typeof objective !== "object" || objective === null || !Array.isArray(objective.losses) ||
      objective.losses.length !== 1 || objective.losses[0] === undefined
    ) {
      throw new TypeError(
        `Cannot evaluate LSTM objective: losses must be an array with one loss (the readout's), got ${
          describe(objective?.losses)
        }`,
      );
    }
    const l2 = objective.l2 ?? 0;
    if (!Number.isFinite(l2) || l2 < 0) {
      throw new RangeError(`Cannot evaluate LSTM objective: l2 must be a number >= 0, got ${l2}`);
    }
    return { loss: createLoss(objective.losses[0] as LossSpec | SequenceLoss, "losses[0]"), l2 };
  }

  #headLoss(pass: LstmPass, loss: SequenceLoss, dEdy: number): number {
    const core = this.#c, nOut = this.spec.nOut;
    const ctx = {
      batchSize: pass.B,
      units: pass.T,
      nOut,
      lengths: pass.lengths,
      field: "losses[0]",
    };
    loss.check(ctx);
    const n = pass.T * pass.B * nOut;
    const y = core.view(pass.y, n);
    const d = core.view(dEdy, n);
    const value = loss.evaluate(y, d, ctx);
    if (!Number.isFinite(value)) {
      throw new RangeError(`Cannot evaluate LSTM objective: the loss is not finite (${value})`);
    }
    return value;
  }

  #outputs(pass: LstmPass): Float64Array {
    const { T, B } = pass, nOut = this.spec.nOut;
    const y = this.#c.view(pass.y, T * B * nOut);
    const out = new Float64Array(B * T * nOut);
    for (let t = 0; t < T; t++) {
      for (let b = 0; b < B; b++) {
        out.set(y.subarray((t * B + b) * nOut, (t * B + b + 1) * nOut), (b * T + t) * nOut);
      }
    }
    return out;
  }

  /**
   * Forward pass with records: an LSTM has no LSNN populations, so only the head's outputs.
   * @param batch The inputs.
   * @returns Empty population records and the outputs [B][T][nOut].
   */
  simulate(batch: SequenceBatch): NetworkTrajectory {
    const core = this.#c;
    const pass = this.#forward(batch);
    try {
      return { z: [], v: [], thr: [], psi: [], outputs: [this.#outputs(pass)] };
    } finally {
      core.arena.release(pass.mark);
    }
  }

  /**
   * Forward pass and objective (the head's loss and L2; an LSTM has no spikes, so no regularizer).
   * @param batch The inputs.
   * @param objective One loss for the readout, L2.
   * @returns Loss and outputs (batch-major [B][T][nOut]).
   */
  evaluate(batch: SequenceBatch, objective: NetworkObjective): NetworkEvaluation {
    const { loss, l2 } = this.#loss(objective);
    const core = this.#c;
    const pass = this.#forward(batch);
    try {
      const dEdy = core.alloc(pass.T * pass.B * this.spec.nOut);
      const head = this.#headLoss(pass, loss, dEdy);
      const l2Loss = addL2(l2, this.#params);
      return {
        loss: head + l2Loss,
        headLosses: [head],
        regularizationLoss: 0,
        l2Loss,
        spikes: 0,
        rates: [],
        outputs: [this.#outputs(pass)],
      };
    } finally {
      core.arena.release(pass.mark);
    }
  }

  /**
   * Loss and gradients by BPTT (exact) or e-prop for LSTM (learning signal dE/dh through the
   * feedback matrix, B = w_out when none is given; no error through h_{t-1}).
   * @param batch The inputs.
   * @param objective One loss for the readout, L2.
   * @param options `method` "bptt" or "eprop"; `feedback` [matrix nFeat x nOut or undefined].
   * @returns Loss and gradients.
   */
  gradients(
    batch: SequenceBatch,
    objective: NetworkObjective,
    options: NetworkGradientOptions,
  ): NetworkGradientResult {
    const method = checkChoice("compute LSTM gradients", "method", options?.method, [
      "bptt",
      "eprop",
    ]);
    const { loss, l2 } = this.#loss(objective);
    const core = this.#c, k = core.k;
    const { nIn, nHidden: H, nOut } = this.spec, G = 4 * H;
    const nFeat = this.#dirs.length * H;
    const fb = method === "eprop" ? options.feedback?.[0] : undefined;
    if (fb !== undefined && (fb.rows !== nFeat || fb.cols !== nOut)) {
      throw new TypeError(
        `Cannot compute LSTM gradients: feedback[0] must be ${nFeat}x${nOut}, got ${fb.rows}x${fb.cols}`,
      );
    }
    const pass = this.#forward(batch);
    try {
      const { T, B, lens } = pass, rows = T * B;
      const dEdy = core.alloc(rows * nOut);
      const head = this.#headLoss(pass, loss, dEdy);
      const grads = copyNetworkParams(this.#params);
      // Readout.
      const gOut = core.alloc(nFeat * nOut);
      gradientProduct(core, rows, nFeat, nOut, pass.feat, dEdy, gOut);
      grads.heads[0].wOut.data.set(core.view(gOut, nFeat * nOut));
      const gb = core.alloc(nOut);
      k.addColumnSums(rows, nOut, dEdy, gb);
      grads.heads[0].bOut!.set(core.view(gb, nOut));
      // dE/dh (BPTT, symmetric e-prop) or the learning signal B (y - y*) (e-prop).
      let backT = this.#wOutT;
      if (fb) {
        const raw = core.alloc(nFeat * nOut, false);
        core.write(raw, fb.data);
        backT = core.alloc(nFeat * nOut, false);
        k.transpose(nFeat, nOut, raw, backT);
      }
      const dFeat = core.alloc(rows * nFeat);
      k.gemmNNDense(rows, nOut, nFeat, dEdy, backT, dFeat);
      const full = method === "bptt" ? 1 : 0;
      this.#dirs.forEach((d, i) => {
        const { x, gates, c, h } = pass.dirs[i];
        let dh = core.alloc(rows * H, false);
        k.copyColumns(rows, H, nFeat, dFeat, i * H, H, dh, 0, 0);
        if (i === 1) {
          const own = core.alloc(rows * H, false);
          k.reverseWithin(T, B, H, lens, dh, own);
          dh = own;
        }
        const dGates = core.alloc(rows * G, false);
        k.lstmBackward(
          T,
          B,
          H,
          d.wRecT,
          gates,
          c,
          dh,
          dGates,
          core.alloc(B * H),
          core.alloc(B * H),
          full,
        );
        const pp = i === 0 ? grads.layers[0].forward : grads.layers[0].backward!;
        const gIn = core.alloc(nIn * G);
        gradientProduct(core, rows, nIn, G, x, dGates, gIn);
        pp.wIn.data.set(core.view(gIn, nIn * G));
        const gRec = core.alloc(H * G);
        if (T > 1) gradientProduct(core, (T - 1) * B, H, G, h, core.at(dGates, B * G), gRec);
        pp.wRec.data.set(core.view(gRec, H * G));
        const gBias = core.alloc(G);
        k.addColumnSums(rows, G, dGates, gBias);
        pp.bias!.set(core.view(gBias, G));
      });
      const l2Loss = addL2(l2, this.#params, grads);
      return {
        loss: head + l2Loss,
        headLosses: [head],
        regularizationLoss: 0,
        l2Loss,
        spikes: 0,
        rates: [],
        outputs: [],
        grads,
      };
    } finally {
      core.arena.release(pass.mark);
    }
  }

  /** Releases the core instance. */
  dispose(): void {
    this.#core = undefined;
  }
}

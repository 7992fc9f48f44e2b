/**
 * A composed network (stacked, bidirectional LSNN layers and readout heads) on the WebAssembly
 * core: the assembly of {@linkcode WasmPopulation}s and {@linkcode WasmHead}s, with the routing
 * of errors between them.
 *
 * - Forward: layer 0's populations read the input frames (each held `repeat` steps), upper
 *   layers the features of the layer below; a backward population runs on its inputs reversed
 *   within each sequence and its spikes are reversed back. Heads read (pooled) features.
 * - BPTT / eq. (1): each head's dE/dy goes through w_out and its filter's adjoint to the features,
 *   is spread over each frame's steps, and reaches each population with its regularizer term;
 *   layers are processed top-down, each sending s gv w_in^T to the layer below.
 * - e-prop: the same routing through each head's feedback matrix, but layer-local (nothing
 *   crosses layers or recurrent synapses); the traces run in each population's own time.
 *
 * @module
 */
import type { Precision } from "../backend.ts";
import type {
  NetworkBackend,
  NetworkEvaluation,
  NetworkGradientOptions,
  NetworkGradientResult,
  NetworkTrajectory,
} from "../network_backend.ts";
import {
  checkLayerKinds,
  type NetworkSpec,
  type ResolvedNetwork,
  resolveNetwork,
} from "../../net/network.ts";
import {
  checkNetworkParams,
  copyNetworkParams,
  type NetworkParams,
  populationParams,
} from "../../net/params.ts";
import { checkFiniteInputs, checkSequenceBatch, type SequenceBatch } from "../../net/batch.ts";
import {
  addL2,
  type NetworkObjective,
  type ResolvedNetworkObjective,
  resolveNetworkObjective,
} from "../../net/objective.ts";
import { rateRegularization, type SpikeCounts } from "../../net/regularization.ts";
import { checkChoice } from "../../util/errors.ts";
import { CoreMemory } from "./core_instance.ts";
import { initWasm, type WasmSource } from "./module.ts";
import {
  type PopulationInput,
  type PopulationRecord,
  type SequenceShape,
  WasmPopulation,
} from "./lsnn_population.ts";
import { type HeadRecord, WasmHead } from "./readout_head.ts";
import type { Matrix } from "../../model/weights.ts";

/** Options of {@linkcode WasmNetwork.create}. */
export interface WasmNetworkOptions {
  /** "f32" (default, fast) or "f64" (verification). */
  precision?: Precision;
  /** Where the core comes from (default: the embedded module). */
  module?: WasmSource;
  /** Profiling: each kernel's wall time accumulates here (milliseconds by kernel name). */
  profile?: Map<string, number>;
}

/** Everything one forward pass leaves in core memory. */
interface ForwardPass {
  shape: SequenceShape;
  frames: number;
  lengths: Int32Array;
  /** Valid frames per sequence (int32 buffer). */
  lensFrames: number;
  /**
   * Valid steps per sequence (int32 buffer), always present: reversals need it even when every
   * sequence is full (`shape.lens` is then 0, which tells the neuron loop to skip masking).
   */
  lensSteps: number;
  records: PopulationRecord[];
  /** Per layer: features [T][B][width] in input time. */
  features: number[];
  heads: HeadRecord[];
}

/** The regularizer of one pass: its signals in core memory, loss and online estimates. */
interface RegularizerPass {
  signals: ({ ptr: number; stride: number } | undefined)[];
  loss: number;
  estimates?: Float64Array[];
}

/** Each head's loss, and dE/dy in core memory (undefined for a head without a loss). */
interface LossPass {
  values: number[];
  dEdy: (number | undefined)[];
}

/**
 * A composed network on the WebAssembly core.
 *
 * @example A bidirectional layer with a frame-pooled head: eq. (1) equals BPTT
 * ```ts
 * import { WasmNetwork } from "./wasm_network.ts";
 * import { resolveNetwork } from "../../net/network.ts";
 * import { initNetworkParams } from "../../net/params.ts";
 * import { Rng } from "../../util/rng.ts";
 * import assert from "node:assert/strict";
 * const net = resolveNetwork({
 *   nIn: 3, repeat: 2,
 *   layers: [{ neuron: { nRec: 6, thr: 0.3, beta: 0.05, nRef: 2 }, bidirectional: true }],
 *   heads: [{ nOut: 2, pool: "frame_mean", tauOut: 3, filter: "paper", bias: true }],
 * });
 * const rng = new Rng(3);
 * const wasm = await WasmNetwork.create(net, initNetworkParams(net, rng), { precision: "f64" });
 * const batch = {
 *   batchSize: 2, frames: 5, lengths: Int32Array.of(5, 3),
 *   inputs: new Float64Array(2 * 5 * 3).map(() => rng.normal()),
 * };
 * const objective = { losses: [{ type: "ce_frames" as const, labels: new Int32Array(10) }] };
 * const bptt = wasm.gradients(batch, objective, { method: "bptt" });
 * const eq1 = wasm.gradients(batch, objective, { method: "eq1" });
 * const a = bptt.grads.layers[0].backward!.wIn.data, b = eq1.grads.layers[0].backward!.wIn.data;
 * assert.ok(a.every((v, i) => Math.abs(v - b[i]) < 1e-12));
 * ```
 */
export class WasmNetwork implements NetworkBackend {
  /** Backend name. */
  readonly name = "wasm";
  /** Arithmetic precision. */
  readonly precision: Precision;
  /** The network. */
  readonly net: ResolvedNetwork;
  #core: CoreMemory | undefined;
  readonly #populations: WasmPopulation[];
  readonly #heads: WasmHead[];
  #params: NetworkParams;
  /** A gradient begun by beginGradients: its arena mark, forward pass and losses. */
  #pending: { mark: number; fwd: ForwardPass; losses: LossPass } | undefined;

  private constructor(
    module: WebAssembly.Module,
    net: ResolvedNetwork,
    params: NetworkParams,
    options: { precision: Precision; profile?: Map<string, number> },
  ) {
    this.net = net;
    this.precision = options.precision;
    const core = new CoreMemory(module, options.precision, { profile: options.profile });
    this.#core = core;
    this.#populations = net.populations.map((p) => new WasmPopulation(core, p));
    this.#heads = net.heads.map((h) => new WasmHead(core, h));
    this.#params = copyNetworkParams(params);
    this.setParams(params);
  }

  /**
   * Builds the network on a new core instance.
   *
   * @param spec The network (resolved here if it is a spec).
   * @param params Its parameters.
   * @param options Precision and module source.
   * @returns The ready network.
   * @throws {TypeError|RangeError} For an invalid network or parameters.
   */
  static async create(
    spec: NetworkSpec | ResolvedNetwork,
    params: NetworkParams,
    options: WasmNetworkOptions = {},
  ): Promise<WasmNetwork> {
    const net = "populations" in spec ? spec : resolveNetwork(spec);
    checkLayerKinds(net, "wasm (LSNN network)", ["lsnn"]);
    const precision = checkChoice("create network", "precision", options.precision ?? "f32", [
      "f32",
      "f64",
    ]);
    checkNetworkParams(net, params);
    return new WasmNetwork(await initWasm(options.module), net, params, {
      precision,
      profile: options.profile,
    });
  }

  /** Replaces the parameters (validated). */
  setParams(params: NetworkParams): void {
    checkNetworkParams(this.net, params);
    this.#params = copyNetworkParams(params);
    this.#populations.forEach((p, i) => p.load(populationParams(this.net, params, i)));
    this.#heads.forEach((h, i) => h.load(params.heads[i]));
  }

  /**
   * Returns a copy of the parameters.
   * @returns A copy of the parameters.
   */
  getParams(): NetworkParams {
    return copyNetworkParams(this.#params);
  }

  /** Forward pass with v, thresholds and spikes of every population (input time) and outputs. */
  simulate(batch: SequenceBatch): NetworkTrajectory {
    return this.#scoped(() => {
      const fwd = this.#forward(batch, true);
      const core = this.#coreOrThrow;
      const { B, T } = fwd.shape;
      const toInput = (ptr: number, i: number) => {
        const n = this.net.populations[i].nRec;
        if (this.net.populations[i].direction === "backward") {
          const out = core.alloc(T * B * n, false);
          core.k.reverseWithin(T, B, n, fwd.lensSteps, ptr, out);
          return batchMajor(core.view(out, T * B * n), B, T, n);
        }
        return batchMajor(core.view(ptr, T * B * n), B, T, n);
      };
      return {
        z: fwd.records.map((r, i) => toInput(r.z, i)),
        v: fwd.records.map((r, i) => toInput(r.v, i)),
        thr: fwd.records.map((r, i) => toInput(r.thr, i)),
        psi: fwd.records.map((r, i) => toInput(r.psi, i)),
        outputs: this.#outputs(fwd),
      };
    });
  }

  /** Forward pass and objective. */
  evaluate(
    batch: SequenceBatch,
    objective: NetworkObjective,
    options: { rateEstimates?: Float64Array[] } = {},
  ): NetworkEvaluation {
    const obj = resolveNetworkObjective(this.net, objective);
    return this.#scoped(() => {
      const fwd = this.#forward(batch, false);
      const losses = this.#losses(fwd, obj);
      const counts = this.#spikeCounts(fwd, obj.regularization?.type === "online");
      const reg = this.#regularize(fwd, obj, counts, options.rateEstimates);
      const l2Loss = addL2(obj.l2, this.#params);
      return this.#evaluation(fwd, counts, losses.values, reg, l2Loss);
    });
  }

  /** Loss and gradients by BPTT, e-prop or eq. (1). */
  gradients(
    batch: SequenceBatch,
    objective: NetworkObjective,
    options: NetworkGradientOptions,
  ): NetworkGradientResult {
    const action = "compute gradients";
    const obj = resolveNetworkObjective(this.net, objective);
    const method = checkChoice(action, "method", options?.method, ["bptt", "eprop", "eq1"]);
    const form = checkChoice(action, "form", options.form ?? "factorized", [
      "online",
      "factorized",
    ]);
    if ((options.implementation ?? "hardcoded") !== "hardcoded") {
      throw new RangeError(
        `Cannot ${action}: the wasm backend computes e-prop from its traces (implementation "hardcoded"); automatic differentiation needs the tfjs backend`,
      );
    }
    const feedback = options.feedback ?? [];
    if (!Array.isArray(feedback) || feedback.length > this.net.heads.length) {
      throw new TypeError(
        `Cannot ${action}: feedback must be an array with at most one matrix per head (${this.net.heads.length})`,
      );
    }
    return this.#scoped(() => {
      const fwd = this.#forward(batch, false);
      const losses = this.#losses(fwd, obj);
      const counts = this.#spikeCounts(fwd, obj.regularization?.type === "online");
      const reg = this.#regularize(fwd, obj, counts, options.rateEstimates);
      const grads = this.#backward(fwd, losses, reg.signals, { method, form, feedback });
      const l2Loss = addL2(obj.l2, this.#params, grads);
      return { ...this.#evaluation(fwd, counts, losses.values, reg, l2Loss, false), grads };
    });
  }

  /**
   * Phase one of a gradient over a part of a batch (a worker's share): the forward pass and the
   * losses, kept in core memory until {@linkcode finishGradients}. The regularizer couples the
   * parts through their spike counts, so its signals come from whoever holds the whole batch.
   *
   * @param batch The part.
   * @param objective Its objective (losses of the part; the regularizer and L2 are not applied
   *   here).
   * @param options `normalizers`: each head's loss normalizer over the whole batch;
   *   `stepSums`: also count spikes per step (online regularizer); `outputs`: also return the
   *   heads' outputs (batch-major).
   * @returns The part's head losses and spike counts.
   */
  beginGradients(
    batch: SequenceBatch,
    objective: NetworkObjective,
    options: { normalizers?: (number | undefined)[]; stepSums?: boolean; outputs?: boolean } = {},
  ): { headLosses: number[]; counts: SpikeCounts[]; outputs?: Float64Array[] } {
    const obj = resolveNetworkObjective(this.net, objective);
    const core = this.#coreOrThrow;
    if (this.#pending) core.arena.release(this.#pending.mark);
    this.#pending = undefined;
    const mark = core.arena.mark();
    try {
      const fwd = this.#forward(batch, false);
      const losses = this.#losses(fwd, obj, options.normalizers);
      const counts = this.#spikeCounts(fwd, options.stepSums ?? false);
      this.#pending = { mark, fwd, losses };
      const out = { headLosses: losses.values, counts };
      return options.outputs ? { ...out, outputs: this.#outputs(fwd) } : out;
    } catch (e) {
      core.arena.release(mark);
      throw e;
    }
  }

  /** Drops a gradient begun by {@linkcode beginGradients} (e.g. after an evaluation). */
  cancelGradients(): void {
    if (this.#pending) this.#coreOrThrow.arena.release(this.#pending.mark);
    this.#pending = undefined;
  }

  /**
   * Phase two: the gradients of the part begun by {@linkcode beginGradients}, given the
   * regularizer's signals for the whole batch (see src/net/regularization.ts). No L2 term.
   *
   * @param signals Per population, or undefined without a regularizer.
   * @param options Method, e-prop form and feedback.
   * @returns The part's gradients.
   * @throws {Error} When no gradient was begun.
   */
  finishGradients(
    signals: { data: Float64Array; stride: number }[] | undefined,
    options: NetworkGradientOptions,
  ): NetworkParams {
    const core = this.#coreOrThrow;
    const pending = this.#pending;
    if (!pending) throw new Error("Cannot finish gradients: no beginGradients before");
    this.#pending = undefined;
    try {
      const ptrs = this.net.populations.map((_, i) => {
        const sig = signals?.[i];
        if (!sig) return undefined;
        const ptr = core.alloc(sig.data.length, false);
        core.write(ptr, sig.data);
        return { ptr, stride: sig.stride };
      });
      return this.#backward(pending.fwd, pending.losses, ptrs, {
        method: checkChoice("compute gradients", "method", options?.method, [
          "bptt",
          "eprop",
          "eq1",
        ]),
        form: options.form ?? "factorized",
        feedback: options.feedback ?? [],
      });
    } finally {
      core.arena.release(pending.mark);
    }
  }

  /** Head and population gradients of a forward pass, given dE/dy and the regularizer signals. */
  #backward(
    fwd: ForwardPass,
    losses: LossPass,
    reg: ({ ptr: number; stride: number } | undefined)[],
    options: {
      method: "bptt" | "eprop" | "eq1";
      form: "online" | "factorized";
      feedback: (Matrix | undefined)[];
    },
  ): NetworkParams {
    const { method, form, feedback } = options;
    const grads: NetworkParams = copyNetworkParams(this.#params);
    this.#heads.forEach((head, h) => {
      const dEdy = losses.dEdy[h];
      grads.heads[h] = dEdy
        ? head.gradients(fwd.heads[h], dEdy, fwd.frames, fwd.shape.B)
        : zeroHead(this.#params.heads[h]);
    });
    const layerSignals = this.#layerSignals(fwd, losses.dEdy, {
      feedback: method === "eprop" ? feedback : undefined,
      reg,
    });
    // Populations, top layer first.
    for (let l = this.net.layers.length - 1; l >= 0; l--) {
      for (const pop of this.net.layers[l].populations) {
        const unit = this.#populations[pop.index];
        const rec = fwd.records[pop.index];
        const G = this.#populationSignal(pop.index, layerSignals, fwd, reg[pop.index]);
        let result;
        if (method === "eprop" && form === "online") {
          result = unit.onlineGradients(rec, G, fwd.shape);
        } else if (method === "eprop") {
          unit.traceAdjoint(rec, G, fwd.shape);
          result = unit.weightGradients(rec, G, fwd.shape);
        } else {
          const { gv, ltrue } = unit.backward(rec, G, fwd.shape, { ltrue: method === "eq1" });
          if (l > 0) {
            this.#sendDown(
              pop.index,
              unit.inputSignal(gv, fwd.shape),
              fwd,
              layerSignals.get(l - 1),
            );
          }
          if (method === "eq1") unit.traceAdjoint(rec, ltrue, fwd.shape);
          result = unit.weightGradients(rec, method === "eq1" ? ltrue : gv, fwd.shape);
        }
        const m = unit.read(result);
        const target = populationParams(this.net, grads, pop.index);
        target.wIn = m.wIn;
        target.wRec = m.wRec;
      }
    }
    return grads;
  }

  /**
   * Per-population learning signals, batch-major [B][T][nRec] in input time.
   *
   * @param batch The batch.
   * @param objective The objective.
   * @param options `kind` "true": dE/dz_j(t) of eq. (1), through everything outside the neuron's
   *   own adaptation (heads, regularizer, recurrence, reset, layers above); "feedback": the e-prop
   *   learning signal L_j(t) = sum_k B[j][k] dE/dy_k(t) of every head that reads the population
   *   (spread over a frame's steps for a pooled head), without the regularizer. `feedback` per head
   *   (default w_out).
   * @returns One array per population.
   */
  learningSignals(
    batch: SequenceBatch,
    objective: NetworkObjective,
    options: {
      kind: "true" | "feedback";
      feedback?: (Matrix | undefined)[];
      rateEstimates?: Float64Array[];
    },
  ): Float64Array[] {
    const obj = resolveNetworkObjective(this.net, objective);
    const kind = checkChoice("compute learning signals", "kind", options?.kind, [
      "true",
      "feedback",
    ]);
    return this.#scoped(() => {
      const core = this.#coreOrThrow;
      const fwd = this.#forward(batch, false);
      const { B, T } = fwd.shape;
      const losses = this.#losses(fwd, obj);
      const counts = this.#spikeCounts(fwd, obj.regularization?.type === "online");
      const reg = this.#regularize(fwd, obj, counts, options.rateEstimates);
      const layerSignals = this.#layerSignals(fwd, losses.dEdy, {
        feedback: kind === "feedback" ? options.feedback : undefined,
        unfiltered: kind === "feedback",
        reg: kind === "true" ? reg.signals : undefined,
      });
      const out: Float64Array[] = new Array(this.net.populations.length);
      for (let l = this.net.layers.length - 1; l >= 0; l--) {
        for (const pop of this.net.layers[l].populations) {
          const n = pop.nRec;
          if (kind === "feedback") {
            const G = core.alloc(T * B * n, false);
            const width = this.net.layers[l].width;
            core.k.copyColumns(T * B, n, width, layerSignals.get(l), pop.layerOffset, n, G, 0, 0);
            out[pop.index] = batchMajor(core.view(G, T * B * n), B, T, n);
            continue;
          }
          const unit = this.#populations[pop.index];
          const G = this.#populationSignal(pop.index, layerSignals, fwd, reg.signals[pop.index]);
          const { gv, ltrue } = unit.backward(fwd.records[pop.index], G, fwd.shape, {
            ltrue: true,
          });
          if (l > 0) {
            this.#sendDown(
              pop.index,
              unit.inputSignal(gv, fwd.shape),
              fwd,
              layerSignals.get(l - 1),
            );
          }
          let inputTime = ltrue;
          if (pop.direction === "backward") {
            inputTime = core.alloc(T * B * n, false);
            core.k.reverseWithin(T, B, n, fwd.lensSteps, ltrue, inputTime);
          }
          out[pop.index] = batchMajor(core.view(inputTime, T * B * n), B, T, n);
        }
      }
      return out;
    });
  }

  /**
   * Every head's dE/dy sent back through w_out (or its feedback matrix) and the filter's adjoint
   * to the features it reads, spread over each frame's steps: per layer [T][B][width].
   */
  #layerSignals(
    fwd: ForwardPass,
    dEdy: (number | undefined)[],
    options: {
      feedback?: (Matrix | undefined)[];
      unfiltered?: boolean;
      reg?: ({ ptr: number; stride: number } | undefined)[];
    },
  ): LayerSignals {
    const { B } = fwd.shape;
    const signals = new LayerSignals(this.#coreOrThrow, this.net, fwd.shape);
    this.#heads.forEach((head, h) => {
      const d = dEdy[h];
      if (d === undefined) return;
      // The first head that reads exactly a one-population layer per step hands its signal to
      // the population as is: the population's regularizer term is added in the same pass.
      const l = this.#adoptable(head, signals);
      const pop = l >= 0 ? this.net.layers[l].populations[0].index : -1;
      const add = pop >= 0 ? options.reg?.[pop] : undefined;
      const dS = head.featureSignal(d, fwd.frames, B, {
        feedback: options.feedback?.[h],
        unfiltered: options.unfiltered,
        add,
      });
      if (add) signals.regularized.add(pop);
      this.#spreadToLayers(head, dS, fwd, signals);
    });
    return signals;
  }

  /** The one-population layer whose signal the head's own would become, or -1. */
  #adoptable(head: WasmHead, signals: LayerSignals): number {
    const h = head.head;
    if (h.pool !== "none") return -1;
    return this.net.layers.findIndex((layer, l) =>
      layer.populations.length === 1 && layer.width === h.nFeat &&
      layer.populations[0].offset === h.featureOffset && !signals.has(l)
    );
  }

  /** Releases the core instance; later calls throw. */
  dispose(): void {
    this.#core = undefined;
  }

  get #coreOrThrow(): CoreMemory {
    if (!this.#core) throw new Error("Cannot use a disposed WasmNetwork");
    return this.#core;
  }

  #scoped<R>(fn: () => R): R {
    const core = this.#coreOrThrow;
    const mark = core.arena.mark();
    try {
      return fn();
    } finally {
      core.arena.release(mark);
    }
  }

  #forward(batch: SequenceBatch, record: boolean): ForwardPass {
    const core = this.#coreOrThrow;
    const net = this.net;
    const lengths = checkSequenceBatch(net, batch, { finite: false });
    const { batchSize: B, frames: F } = batch;
    const R = net.repeat;
    const T = F * R;
    const allFull = lengths.every((l) => l === F);
    const lensFrames = core.int32(lengths);
    const lensSteps = core.int32(lengths.map((l) => l * R));
    const shape: SequenceShape = { B, T, lens: allFull ? 0 : lensSteps };
    // One bulk copy into core memory, then time-major with padding cleared by the core.
    const size = F * B * net.nIn;
    const raw = core.alloc(size, false);
    core.write(raw, batch.inputs);
    const x = core.alloc(size, false);
    core.k.toTimeMajor(B, F, net.nIn, allFull ? 0 : lensFrames, raw, x);
    // The copy holds zeros for padding: a non-finite value in it is a bad valid input.
    if (core.k.countNonFinite(x, size) > 0) checkFiniteInputs(batch, lengths);
    let below: PopulationInput = { x, frames: F, repeat: R };
    let belowLens = lensFrames;
    const records: PopulationRecord[] = [];
    const features: number[] = [];
    for (const layer of net.layers) {
      // A one-population layer's features are its spikes; a bidirectional layer concatenates.
      const single = layer.populations.length === 1;
      let feat = single ? 0 : core.alloc(T * B * layer.width, false);
      for (const pop of layer.populations) {
        let input = below;
        if (pop.direction === "backward") {
          const rev = core.alloc(below.frames * B * pop.nIn, false);
          core.k.reverseWithin(below.frames, B, pop.nIn, belowLens, below.x, rev);
          input = { ...below, x: rev };
        }
        const rec = this.#populations[pop.index].forward(input, shape, record);
        records.push(rec);
        let z = rec.z;
        if (pop.direction === "backward") {
          z = core.alloc(T * B * pop.nRec, false);
          core.k.reverseWithin(T, B, pop.nRec, lensSteps, rec.z, z);
        }
        if (single) feat = z;
        else {core.k.copyColumns(
            T * B,
            pop.nRec,
            pop.nRec,
            z,
            0,
            layer.width,
            feat,
            pop.layerOffset,
            0,
          );}
      }
      features.push(feat);
      below = { x: feat, frames: T, repeat: 1 };
      belowLens = lensSteps;
    }
    const fwd: ForwardPass = {
      shape,
      frames: F,
      lengths,
      lensFrames,
      lensSteps,
      records,
      features,
      heads: [],
    };
    const pooled = new Map<number, number>();
    fwd.heads = this.#heads.map((head) => {
      const h = head.head;
      const whole = net.layers.findIndex((layer) =>
        layer.populations[0].offset === h.featureOffset && layer.width === h.nFeat
      );
      if (whole >= 0 && h.pool === "none") return head.forward(features[whole], F, B);
      const s = core.alloc(F * B * h.nFeat, false);
      net.layers.forEach((layer, l) => {
        const offset = layer.populations[0].offset - h.featureOffset;
        if (offset < 0 || offset >= h.nFeat) return;
        let src = features[l];
        if (h.pool === "frame_mean") {
          if (!pooled.has(l)) {
            const p = core.alloc(F * B * layer.width, false);
            core.k.poolFrames(F, R, B, layer.width, features[l], p, 1 / R);
            pooled.set(l, p);
          }
          src = pooled.get(l)!;
        }
        core.k.copyColumns(F * B, layer.width, layer.width, src, 0, h.nFeat, s, offset, 0);
      });
      return head.forward(s, F, B);
    });
    return fwd;
  }

  /** Each head's loss and dE/dy ([U][B][nOut], or undefined for a head without a loss). */
  #losses(
    fwd: ForwardPass,
    obj: ResolvedNetworkObjective,
    normalizers?: (number | undefined)[],
  ): LossPass {
    const core = this.#coreOrThrow;
    const B = fwd.shape.B;
    const U = fwd.frames;
    const values: number[] = [];
    const dEdy: (number | undefined)[] = [];
    this.#heads.forEach((head, h) => {
      const loss = obj.losses[h];
      if (!loss) {
        values.push(0);
        dEdy.push(undefined);
        return;
      }
      const { nOut } = head.head;
      const ctx = {
        batchSize: B,
        units: U,
        nOut,
        lengths: fwd.lengths,
        field: `losses[${h}]`,
        normalizer: normalizers?.[h],
      };
      loss.check(ctx);
      const d = core.alloc(U * B * nOut, false);
      values.push(
        loss.evaluate(core.view(fwd.heads[h].y, U * B * nOut), core.view(d, U * B * nOut), ctx),
      );
      dEdy.push(d);
    });
    return { values, dEdy };
  }

  /** Spike counts of each population (own time), per step too for the online regularizer. */
  #spikeCounts(fwd: ForwardPass, perStep: boolean): SpikeCounts[] {
    const core = this.#coreOrThrow;
    const { B, T } = fwd.shape;
    return this.net.populations.map((pop, i) => {
      const n = pop.nRec;
      const z = fwd.records[i].z;
      const sumsPtr = core.alloc(n);
      core.k.addColumnSums(T * B, n, z, sumsPtr);
      const sums = core.read(sumsPtr, n);
      if (!perStep) return { sums };
      const stepSums = new Float64Array(T * n);
      const step = core.alloc(n);
      for (let t = 0; t < T; t++) {
        core.view(step, n).fill(0);
        core.k.addColumnSums(B, n, core.at(z, t * B * n), step);
        stepSums.set(core.view(step, n), t * n);
      }
      return { sums, stepSums };
    });
  }

  /**
   * The regularizer from the spike counts: its loss, and the signal dE/dz it adds at every step
   * (own time), written into core memory: [n] (stride 0) or [T][n] (online type, stride n).
   */
  #regularize(
    fwd: ForwardPass,
    obj: ResolvedNetworkObjective,
    counts: SpikeCounts[],
    estimates?: Float64Array[],
  ): RegularizerPass {
    const cfg = obj.regularization;
    if (!cfg) return { signals: this.net.populations.map(() => undefined), loss: 0 };
    const core = this.#coreOrThrow;
    const r = rateRegularization(this.net, cfg, {
      batchSize: fwd.shape.B,
      steps: fwd.shape.T,
      populations: counts,
      estimates,
    });
    const signals = r.signals.map((sig) => {
      const ptr = core.alloc(sig.data.length, false);
      core.write(ptr, sig.data);
      return { ptr, stride: sig.stride };
    });
    return { signals, loss: r.loss, estimates: r.estimates };
  }

  #evaluation(
    fwd: ForwardPass,
    counts: SpikeCounts[],
    headLosses: number[],
    reg: RegularizerPass,
    l2Loss: number,
    outputs = true,
  ): NetworkEvaluation {
    const { B, T } = fwd.shape;
    let spikes = 0;
    counts.forEach((c, i) => {
      const dt = this.net.populations[i].consts.dt;
      for (const v of c.sums) spikes += v * dt;
    });
    const taskLoss = headLosses.reduce((a, v) => a + v, 0);
    const out: NetworkEvaluation = {
      loss: taskLoss + reg.loss + l2Loss,
      headLosses,
      regularizationLoss: reg.loss,
      l2Loss,
      spikes,
      rates: counts.map((c) => c.sums.map((v) => v / (B * T))),
      outputs: outputs ? this.#outputs(fwd) : [],
    };
    if (reg.estimates) out.rateEstimates = reg.estimates;
    return out;
  }

  #outputs(fwd: ForwardPass): Float64Array[] {
    const core = this.#coreOrThrow;
    const B = fwd.shape.B, U = fwd.frames;
    return fwd.heads.map((h, i) => {
      const nOut = this.net.heads[i].nOut;
      return batchMajor(core.view(h.y, U * B * nOut), B, U, nOut);
    });
  }

  /** Adds a head's feature signal dS [U][B][nFeat] to each read layer's step signal [T][B][width]. */
  #spreadToLayers(head: WasmHead, dS: number, fwd: ForwardPass, signals: LayerSignals): void {
    const core = this.#coreOrThrow;
    const h = head.head;
    const { B } = fwd.shape;
    const F = fwd.frames, R = this.net.repeat;
    this.net.layers.forEach((layer, l) => {
      const offset = layer.populations[0].offset - h.featureOffset;
      if (offset < 0 || offset >= h.nFeat) return;
      if (h.pool === "none") {
        // A head that reads exactly this layer hands over its signal without a copy.
        if (h.nFeat === layer.width && signals.adopt(l, dS)) return;
        core.k.copyColumns(
          F * B,
          layer.width,
          h.nFeat,
          dS,
          offset,
          layer.width,
          signals.get(l),
          0,
          1,
        );
        return;
      }
      const part = core.alloc(F * B * layer.width, false);
      core.k.copyColumns(F * B, layer.width, h.nFeat, dS, offset, layer.width, part, 0, 0);
      core.k.spreadFrames(F, R, B, layer.width, part, signals.get(l), 1 / R);
    });
  }

  /** The population's own-time dE/dz: its columns of the layer signal, plus its regularizer. */
  #populationSignal(
    index: number,
    signals: LayerSignals,
    fwd: ForwardPass,
    reg: { ptr: number; stride: number } | undefined,
  ): number {
    const core = this.#coreOrThrow;
    const pop = this.net.populations[index];
    const width = this.net.layers[pop.layer].width;
    const { B, T } = fwd.shape;
    const n = pop.nRec;
    const layerSignal = signals.get(pop.layer);
    // A one-population layer's signal is the population's own (used once, changed in place).
    let G = layerSignal;
    if (width !== n) {
      G = core.alloc(T * B * n, false);
      core.k.copyColumns(T * B, n, width, layerSignal, pop.layerOffset, n, G, 0, 0);
    }
    if (pop.direction === "backward") {
      const own = core.alloc(T * B * n, false);
      core.k.reverseWithin(T, B, n, fwd.lensSteps, G, own);
      G = own;
    }
    if (reg && !signals.regularized.has(index)) {
      core.k.addRowVector(T, B, n, reg.ptr, reg.stride, G);
    }
    return G;
  }

  /** Adds a population's own-time input signal to the layer below's step signal (input time). */
  #sendDown(index: number, signal: number, fwd: ForwardPass, below: number): void {
    // below: the layer signal of the layer under this population (LayerSignals.get).
    const core = this.#coreOrThrow;
    const pop = this.net.populations[index];
    const { B, T } = fwd.shape;
    let s = signal;
    if (pop.direction === "backward") {
      s = core.alloc(T * B * pop.nIn, false);
      core.k.reverseWithin(T, B, pop.nIn, fwd.lensSteps, signal, s);
    }
    core.k.copyColumns(T * B, pop.nIn, pop.nIn, s, 0, pop.nIn, below, 0, 1);
  }
}

/**
 * The step signals dE/dz of each layer's features [T][B][width], allocated (zeroed) when first
 * needed; a head's own signal buffer can be adopted as a layer's first signal without a copy.
 */
class LayerSignals {
  readonly #core: CoreMemory;
  readonly #net: ResolvedNetwork;
  readonly #shape: SequenceShape;
  readonly #ptr: (number | undefined)[];
  /** Populations whose regularizer term is already in their layer's signal. */
  readonly regularized = new Set<number>();

  constructor(core: CoreMemory, net: ResolvedNetwork, shape: SequenceShape) {
    this.#core = core;
    this.#net = net;
    this.#shape = shape;
    this.#ptr = net.layers.map(() => undefined);
  }

  /** @returns Layer l's signal, allocated as zeros if nothing was added yet. */
  get(l: number): number {
    let p = this.#ptr[l];
    if (p === undefined) {
      p = this.#core.alloc(this.#shape.T * this.#shape.B * this.#net.layers[l].width);
      this.#ptr[l] = p;
    }
    return p;
  }

  /** @returns Whether layer l has a signal yet. */
  has(l: number): boolean {
    return this.#ptr[l] !== undefined;
  }

  /** Takes `ptr` as layer l's signal if it has none yet; @returns whether it did. */
  adopt(l: number, ptr: number): boolean {
    if (this.#ptr[l] !== undefined) return false;
    this.#ptr[l] = ptr;
    return true;
  }
}

function zeroHead(h: NetworkParams["heads"][number]): NetworkParams["heads"][number] {
  const out = {
    wOut: { rows: h.wOut.rows, cols: h.wOut.cols, data: new Float64Array(h.wOut.data.length) },
  };
  return h.bOut ? { ...out, bOut: new Float64Array(h.bOut.length) } : out;
}

/** Time-major [T][B][C] to batch-major [B][T][C], as float64. */
function batchMajor(view: ArrayLike<number>, B: number, T: number, C: number): Float64Array {
  const out = new Float64Array(T * B * C);
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      for (let c = 0; c < C; c++) out[(b * T + t) * C + c] = view[(t * B + b) * C + c];
    }
  }
  return out;
}

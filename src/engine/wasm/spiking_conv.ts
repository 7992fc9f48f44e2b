/**
 * The spiking convolutional front end of the Atari agent (Bellec et al. 2020, Figs. 4-5;
 * EPROP.md section 7) on the WebAssembly core: a stack of convolutional layers of LIF neurons
 * (by default the paper's: 84x84x1 grey frames, 16 filters 8x8 stride 4 -> 20x20x16, then 8
 * filters 4x4 stride 1 -> 17x17x8), run over a sequence of frames for a batch of trials, with
 * the gradients of the filters by BPTT or by e-prop.
 *
 * Dynamics (the library's LIF conventions, src/model/constants.ts; no adaptation, no
 * refractoriness, reset by subtraction, all state zero at the start unless given):
 * ```
 * I_0(t) = conv(frame(floor(t / stepsPerFrame)), W_0)      each frame shown for stepsPerFrame steps
 * I_l(t) = conv(z_{l-1}(t), W_l)                            l >= 1, event-driven over the spikes
 * v_l(t) = alpha v_l(t-1) + s I_l(t) - thr z_l(t-1)          alpha = exp(-dt / tau_m)
 * z_l(t) = H(v_l(t) - thr) / dt,   psi_l(t) = (gamma / thr) max(0, 1 - |v_l(t) - thr| / thr)
 * ```
 * Paper settings: tau_m = 1 step (alpha = exp(-1)), thr 0.1, gamma 1, s = 1, 5 steps per frame.
 * Weights are channels-last, [kh][kw][Cin][Cout]. A layer with `bias: true` adds its bias b_l
 * [Cout] to every output channel's current: I_l(t) = conv(., W_l) + b_l, and its gradient is
 * dE/db_l = s sum_t sum_positions gv_l(t) (per channel). Sequences are time-major: frames
 * [F][B][H][W][C], spikes and errors [T][B][h][w][c] with T = F x stepsPerFrame.
 *
 * Gradients, from an external error dE/dz_l(t) at the spikes of any layer (e.g. the next stage's
 * readout of conv2's spikes and of pooled conv1 spikes):
 * - **BPTT** (exact): gv_l(t) = psi_l(t) (gz_l(t) - thr gv_l(t+1)) + alpha gv_l(t+1), with
 *   gz_l(t) = dE/dz_l(t) + s conv^T(gv_{l+1}(t), W_{l+1}); dE/dW_l = s sum_t input_l(t) (x) gv_l(t)
 *   summed over positions (shared weights).
 * - **e-prop**: per synapse eps(t) = alpha eps(t-1) + input(t), e(t) = psi(t) eps(t) and
 *   dE/dW = s sum_t L(t) e(t), summed over positions. It is computed in the factorized form
 *   (EPROP.md 3.3): the same reverse filter as BPTT without the reset term, then one product.
 *   The learning signal L_l is the external dE/dz_l plus, by `propagate`, the error from the
 *   layer above: "none"; "instant" (default; online) s conv^T(psi_{l+1}(t) L_{l+1}(t)), the
 *   same-step path through the layer above; "stopgrad" s conv^T(gv_{l+1}(t)), the error through
 *   that layer's membrane up to the end of the sequence (what autodiff gives with the
 *   stop-gradient on the reset, as the authors' TensorFlow code; not online).
 *
 * Costs on the membrane potentials (the seed's voltage regularizer): `forward` with
 * `recordPotentials` keeps v_l(t) of every step ({@linkcode SpikingConvPass.potentials}), and
 * `gradients` takes an external error dE/dv_l(t) (`dEdv`), added where v_l(t) is in the reverse
 * pass: gv_l(t) = [the above] + dEdv_l(t). In BPTT and in e-prop's factorized form alike this
 * adds s sum_t input_l(t) (x) sum_{u >= t} alpha^(u-t) dEdv_l(u) = s sum_t dEdv_l(t) eps(t) to
 * dE/dW_l (BPTT also carries it through the reset terms), and it reaches the layer below with gv:
 * through all of gv for BPTT and "stopgrad"; for "instant" only its same-step part
 * psi_l(t) L_l(t) + dEdv_l(t) (the u = t term of "stopgrad", still online); "none" passes nothing.
 *
 * @module
 */
import type { Precision } from "../backend.ts";
import type { FloatArray } from "../../grad/readout_error.ts";
import { checkChoice, checkNumber, describe } from "../../util/errors.ts";
import { initWasm, type WasmSource } from "./module.ts";
import { CONSTANT_ORDER, CoreMemory } from "./core_instance.ts";

import {
  BUILD_SPIKING_CONV as BUILD,
  checkShape,
  checkSpikingConvParams,
  type ResolvedSpikingConvSpec,
  resolveSpikingConvSpec,
  spikingConvHasBias,
  type SpikingConvParams,
  type SpikingConvSpec,
  type SpikingConvState,
} from "../../net/spiking_conv_spec.ts";

/** Options of {@linkcode SpikingConv.forward}. */
export interface SpikingConvForwardOptions {
  /** State to start from (default zero), e.g. {@linkcode SpikingConvPass.state} of a previous pass. */
  state?: SpikingConvState;
  /**
   * Keep every layer's membrane potential at every step (default false), for
   * {@linkcode SpikingConvPass.potentials}; costs T x B x units values per layer.
   */
  recordPotentials?: boolean;
}

/** Options of {@linkcode SpikingConv.gradients}. */
export interface SpikingConvGradientOptions {
  /** "bptt" (exact) or "eprop". */
  method: "bptt" | "eprop";
  /**
   * e-prop: the learning signal a layer receives from the layer above, besides its external
   * error: "none", "instant" (default: the same-step path, online) or "stopgrad" (through the
   * layer above's membrane to the end of the sequence). BPTT takes "none" (each layer's error
   * stays in it: a stop-gradient on the spikes between layers, as the authors' agent) and
   * otherwise propagates everything.
   */
  propagate?: "none" | "instant" | "stopgrad";
  /**
   * Per layer, an external error at the membrane potentials dE/dv(t) [T][B][h][w][c] (e.g. of a
   * voltage regularizer on {@linkcode SpikingConvPass.potentials}), or undefined for none; a
   * shorter array (or none) leaves the remaining layers without.
   */
  dEdv?: readonly (ArrayLike<number> | undefined)[];
}

/** Core addresses of one forward pass (valid until released). */
interface PassRecord {
  mark: number;
  B: number;
  F: number;
  T: number;
  x: number;
  z: number[];
  psi: number[];
  v: number[];
  /** Per layer, the recorded potentials [T][B][units] (0: not recorded). */
  vRec: number[];
  released: boolean;
}

const passRecords = new WeakMap<SpikingConvPass, PassRecord>();

/**
 * The record of one forward pass in core memory: spikes and pseudo-derivatives of every layer at
 * every step. It stays valid until released, until the next forward pass of the same network or
 * until the network's parameters change.
 */
export class SpikingConvPass {
  /** Trials. */
  readonly batchSize: number;
  /** Frames. */
  readonly frames: number;
  /** Network steps: frames x stepsPerFrame. */
  readonly steps: number;
  /** Whether the pass kept the potentials (forward's `recordPotentials`). */
  readonly recordsPotentials: boolean;
  readonly #net: SpikingConv;
  readonly #core: CoreMemory;

  /** @internal Made by {@linkcode SpikingConv.forward}. */
  constructor(net: SpikingConv, core: CoreMemory, record: PassRecord) {
    this.#net = net;
    this.#core = core;
    this.batchSize = record.B;
    this.frames = record.F;
    this.steps = record.T;
    this.recordsPotentials = record.vRec.some((p) => p !== 0);
    passRecords.set(this, record);
  }

  #layer(layer: number): { rec: PassRecord; n: number } {
    const rec = recordOf(this);
    const layers = this.#net.spec.layers;
    if (!Number.isInteger(layer) || layer < 0 || layer >= layers.length) {
      throw new RangeError(
        `Cannot read spiking CNN pass: layer must be an integer in [0, ${layers.length - 1}], got ${
          describe(layer)
        }`,
      );
    }
    return { rec, n: rec.B * layers[layer].units };
  }

  /**
   * @param layer Layer index (0 = the one reading the frames).
   * @returns A copy of its spikes [T][B][h][w][c] (values 0 or 1/dt), in the core's precision.
   */
  spikes(layer: number): FloatArray {
    const { rec, n } = this.#layer(layer);
    return this.#core.view(rec.z[layer], rec.T * n).slice();
  }

  /**
   * @param layer Layer index.
   * @returns A copy of its pseudo-derivatives [T][B][h][w][c], in the core's precision.
   */
  psi(layer: number): FloatArray {
    const { rec, n } = this.#layer(layer);
    return this.#core.view(rec.psi[layer], rec.T * n).slice();
  }

  /**
   * @param layer Layer index.
   * @returns A copy of its membrane potentials v(t) [T][B][h][w][c] (after leak, input and reset,
   *   the value compared with thr), in the core's precision.
   * @throws {Error} If the pass was run without `recordPotentials`.
   */
  potentials(layer: number): FloatArray {
    const { rec, n } = this.#layer(layer);
    if (rec.vRec[layer] === 0) {
      throw new Error(
        "Cannot read spiking CNN potentials: the pass did not record them (run forward with " +
          "recordPotentials: true)",
      );
    }
    return this.#core.view(rec.vRec[layer], rec.T * n).slice();
  }

  /** @returns Per layer, the fraction of neuron-steps with a spike. */
  rates(): number[] {
    return this.#net.spec.layers.map((_, l) => {
      const { rec, n } = this.#layer(l);
      const z = this.#core.view(rec.z[l], rec.T * n);
      let count = 0;
      for (let i = 0; i < z.length; i++) if (z[i] !== 0) count++;
      return count / z.length;
    });
  }

  /** @returns The state after the last step (float64 copies), to continue with the next frames. */
  state(): SpikingConvState {
    const rec = recordOf(this);
    const layers = this.#net.spec.layers;
    return {
      v: layers.map((l, i) => this.#core.read(rec.v[i], rec.B * l.units)),
      z: layers.map((l, i) => {
        const n = rec.B * l.units;
        return this.#core.read(this.#core.at(rec.z[i], (rec.T - 1) * n), n);
      }),
    };
  }

  /** Frees the pass's core memory; the pass cannot be used afterwards. */
  release(): void {
    this.#net.releasePass(this);
  }
}

function copyParams(p: SpikingConvParams): SpikingConvParams {
  const weights = p.weights.map((w) => Float64Array.from(w));
  return p.b === undefined
    ? { weights }
    : { weights, b: p.b.map((b) => b === undefined ? undefined : Float64Array.from(b)) };
}

function recordOf(pass: SpikingConvPass): PassRecord {
  const rec = passRecords.get(pass);
  if (!rec) throw new TypeError("Cannot use spiking CNN pass: not a pass of a SpikingConv");
  if (rec.released) {
    throw new Error(
      "Cannot use spiking CNN pass: it was released (by release(), a later forward pass or new " +
        "parameters)",
    );
  }
  return rec;
}

/** Options of {@linkcode SpikingConv.create}. */
export interface SpikingConvOptions {
  /** Arithmetic (default f32). */
  precision?: Precision;
  /** The compiled core (default: the bundled one). */
  module?: WasmSource;
  /** Accumulate each kernel's milliseconds here (for benchmarks). */
  profile?: Map<string, number>;
}

/** Addresses of one layer's resident filters. */
interface LayerPointers {
  /** [k][k][Cin][Cout]. */
  w: number;
  /** [k][k][Cout][Cin] (input-gradient kernel). */
  wT: number;
  /** The bias [Cout] (0: the layer has none). */
  b: number;
}

/** A spiking CNN on one WebAssembly core instance. */
export class SpikingConv {
  /** The resolved shape. */
  readonly spec: ResolvedSpikingConvSpec;
  /** Arithmetic precision. */
  readonly precision: Precision;
  #core: CoreMemory | undefined;
  #cst: number;
  #layers: LayerPointers[];
  #params: SpikingConvParams;
  #live: PassRecord | undefined;

  private constructor(
    module: WebAssembly.Module,
    spec: ResolvedSpikingConvSpec,
    params: SpikingConvParams,
    precision: Precision,
    profile?: Map<string, number>,
  ) {
    this.spec = spec;
    this.precision = precision;
    const core = new CoreMemory(module, precision, { profile });
    this.#core = core;
    const consts: Record<(typeof CONSTANT_ORDER)[number], number> = {
      alpha: spec.alpha,
      rho: 0,
      thr: spec.thr,
      gamma: spec.dampening,
      s: spec.s,
      dt: spec.dtMs,
      nRef: 0,
      kappa: 0,
      c: 0,
    };
    this.#cst = core.constants(CONSTANT_ORDER.map((key) => consts[key]));
    this.#layers = spec.layers.map((l) => ({
      w: core.alloc(l.weights),
      wT: core.alloc(l.weights),
      b: l.bias ? core.alloc(l.channels) : 0,
    }));
    this.#params = params;
    this.setParams(params);
  }

  /**
   * Compiles (or takes) the core and loads the filters.
   * @param spec The shape (default: the paper's).
   * @param params Filters ({@linkcode initSpikingConvParams}).
   * @param options Precision, module.
   * @returns The network.
   * @throws {TypeError | RangeError} For a bad shape, parameters or option, naming the field.
   */
  static async create(
    spec: SpikingConvSpec,
    params: SpikingConvParams,
    options: SpikingConvOptions = {},
  ): Promise<SpikingConv> {
    const s = resolveSpikingConvSpec(spec);
    const precision = checkChoice(BUILD, "precision", options.precision ?? "f32", ["f32", "f64"]);
    checkSpikingConvParams(s, params);
    return new SpikingConv(await initWasm(options.module), s, params, precision, options.profile);
  }

  get #c(): CoreMemory {
    if (!this.#core) throw new Error("Cannot use spiking CNN: it was disposed");
    return this.#core;
  }

  /** Replaces the filters and biases (validated, copied); releases the live pass. */
  setParams(params: SpikingConvParams): void {
    checkSpikingConvParams(this.spec, params);
    const core = this.#c;
    this.#releaseLive();
    this.#params = copyParams(params);
    this.spec.layers.forEach((l, i) => {
      const p = this.#layers[i];
      core.write(p.w, this.#params.weights[i]);
      if (p.b !== 0) core.write(p.b, this.#params.b![i]!);
      const block = l.inChannels * l.channels;
      for (let q = 0; q < l.kernel * l.kernel; q++) {
        core.k.transpose(
          l.inChannels,
          l.channels,
          core.at(p.w, q * block),
          core.at(p.wT, q * block),
        );
      }
    });
  }

  /** @returns A copy of the filters (and biases). */
  getParams(): SpikingConvParams {
    return copyParams(this.#params);
  }

  #releaseLive(): void {
    if (this.#live) {
      this.#live.released = true;
      this.#c.arena.release(this.#live.mark);
      this.#live = undefined;
    }
  }

  /**
   * Frees a pass (a no-op for one already released).
   * @param pass A pass of this network.
   */
  releasePass(pass: SpikingConvPass): void {
    const rec = passRecords.get(pass);
    if (rec && rec === this.#live) this.#releaseLive();
  }

  /**
   * Writes an external array into core memory at `ptr`, checking its kind, length and values.
   */
  #writeChecked(action: string, field: string, value: unknown, ptr: number, length: number): void {
    const arr = checkShape(action, field, value, length);
    const core = this.#c;
    core.write(ptr, arr);
    if (core.k.countNonFinite(ptr, length) > 0) {
      const view = core.view(ptr, length);
      let i = 0;
      while (i < length && Number.isFinite(view[i])) i++;
      throw new TypeError(
        `Cannot ${action}: ${field}[${i}] must be a finite number${
          this.precision === "f32" ? " (in float32)" : ""
        }, got ${describe(arr[i])}`,
      );
    }
  }

  /**
   * Runs the network over a sequence of frames.
   * @param frames Pixels, time-major [nFrames][B][height][width][channels] (values in [0, 1] for
   *   the paper's Atari frames).
   * @param B Trials.
   * @param nFrames Frames per trial; the pass has nFrames x stepsPerFrame steps.
   * @param options `state` to start from (default zero); `recordPotentials` to keep v(t).
   * @returns The pass (spikes and pseudo-derivatives in core memory), valid until released or
   *   replaced by the next forward pass.
   * @throws {TypeError | RangeError} Naming the bad argument (`frames`, `B`, `nFrames`, `state.v[1]`,
   *   `recordPotentials`).
   */
  forward(
    frames: ArrayLike<number>,
    B: number,
    nFrames: number,
    options: SpikingConvForwardOptions = {},
  ): SpikingConvPass {
    const action = "run spiking CNN";
    checkNumber(action, "B", B, { min: 1, integer: true });
    checkNumber(action, "nFrames", nFrames, { min: 1, integer: true });
    const spec = this.spec, core = this.#c, k = core.k;
    const F = nFrames, T = F * spec.stepsPerFrame;
    const pixels = spec.height * spec.width * spec.channels;
    const state = options?.state;
    if (state !== undefined && (typeof state !== "object" || state === null)) {
      throw new TypeError(`Cannot ${action}: state must be an object, got ${describe(state)}`);
    }
    const record = options?.recordPotentials ?? false;
    if (typeof record !== "boolean") {
      throw new TypeError(
        `Cannot ${action}: recordPotentials must be a boolean, got ${describe(record)}`,
      );
    }
    for (const key of ["v", "z"] as const) {
      if (
        state !== undefined &&
        (!Array.isArray(state[key]) || state[key].length !== spec.layers.length)
      ) {
        throw new TypeError(
          `Cannot ${action}: state.${key} must be an array of ${spec.layers.length} arrays, got ${
            describe(state[key])
          }`,
        );
      }
    }
    // Shapes first, so that a malformed call leaves the live pass alone.
    checkShape(action, "frames", frames, F * B * pixels);
    spec.layers.forEach((l, i) => {
      if (state === undefined) return;
      checkShape(action, `state.v[${i}]`, state.v[i], B * l.units);
      checkShape(action, `state.z[${i}]`, state.z[i], B * l.units);
    });
    this.#releaseLive();
    const mark = core.arena.mark();
    try {
      const x = core.alloc(F * B * pixels, false);
      this.#writeChecked(action, "frames", frames, x, F * B * pixels);
      const rec: PassRecord = {
        mark,
        B,
        F,
        T,
        x,
        z: [],
        psi: [],
        v: [],
        vRec: [],
        released: false,
      };
      const zInit: number[] = [];
      spec.layers.forEach((l, i) => {
        const n = B * l.units;
        rec.z.push(core.alloc(T * n, false));
        rec.psi.push(core.alloc(T * n, false));
        rec.v.push(core.alloc(n));
        rec.vRec.push(record ? core.alloc(T * n, false) : 0);
        zInit.push(core.alloc(n));
        if (state) {
          this.#writeChecked(action, `state.v[${i}]`, state.v[i], rec.v[i], n);
          this.#writeChecked(action, `state.z[${i}]`, state.z[i], zInit[i], n);
        }
      });
      spec.layers.forEach((l, i) => {
        const n = B * l.units, p = this.#layers[i];
        const scratch = core.arena.mark();
        // the first layer's current is the frame's, the same for its stepsPerFrame steps
        const first = i === 0, images = first ? F : T;
        const I = core.alloc(images * n, false);
        k.convForward(
          images * B,
          l.inHeight,
          l.inWidth,
          l.inChannels,
          l.kernel,
          l.kernel,
          l.stride,
          l.channels,
          first ? x : rec.z[i - 1],
          p.w,
          I,
        );
        // the bias: the same current for every position of a channel, at every step
        if (p.b !== 0) k.addRowVector((images * n) / l.channels, 1, l.channels, p.b, 0, I);
        k.lifForward(
          T,
          first ? spec.stepsPerFrame : 1,
          n,
          this.#cst,
          I,
          zInit[i],
          rec.v[i],
          rec.z[i],
          rec.psi[i],
          rec.vRec[i],
        );
        core.arena.release(scratch);
      });
      this.#live = rec;
      return new SpikingConvPass(this, core, rec);
    } catch (e) {
      core.arena.release(mark);
      throw e;
    }
  }

  /**
   * Gradients of the filters from external errors at the spikes (and at the potentials); the
   * biases' gradients too: {@linkcode SpikingConv.parameterGradients}.
   * @param pass The live pass of this network.
   * @param dEdz Per layer, dE/dz [T][B][h][w][c] (time-major like the spikes), or undefined for
   *   none; a shorter array leaves the remaining layers without external error.
   * @param options `method` "bptt" or "eprop"; for e-prop, `propagate`; `dEdv`, errors at the
   *   potentials per layer [T][B][h][w][c] (see the module header for where they go).
   * @returns dE/dW per layer, [kernel][kernel][inChannels][filters] (float64 copies).
   * @throws {TypeError | RangeError} Naming the bad argument (`dEdz[1]`, `dEdv[1]`, `method`,
   *   `propagate`).
   */
  gradients(
    pass: SpikingConvPass,
    dEdz: readonly (ArrayLike<number> | undefined)[],
    options: SpikingConvGradientOptions,
  ): Float64Array[] {
    return this.parameterGradients(pass, dEdz, options).weights;
  }

  /**
   * Gradients of every parameter (filters, and the biases of the layers that have one) from
   * external errors at the spikes (and at the potentials), as {@linkcode gradients}.
   * @param pass The live pass of this network.
   * @param dEdz Per layer, dE/dz [T][B][h][w][c], or undefined for none.
   * @param options As for {@linkcode gradients}.
   * @returns dE/dparams with the parameters' shape: `weights` per layer and, when a layer has a
   *   bias, `b` per layer (dE/db [filters], undefined for a layer without bias).
   * @throws {TypeError | RangeError} As {@linkcode gradients}.
   */
  parameterGradients(
    pass: SpikingConvPass,
    dEdz: readonly (ArrayLike<number> | undefined)[],
    options: SpikingConvGradientOptions,
  ): SpikingConvParams {
    const action = "compute spiking CNN gradients";
    const method = checkChoice(action, "method", options?.method, ["bptt", "eprop"]);
    if (method === "bptt" && options.propagate !== undefined && options.propagate !== "none") {
      throw new TypeError(
        `Cannot ${action}: propagate applies to method "eprop", or "none" to BPTT (which otherwise propagates everything), got ${options.propagate}`,
      );
    }
    const propagate = method === "eprop"
      ? checkChoice(action, "propagate", options.propagate ?? "instant", [
        "none",
        "instant",
        "stopgrad",
      ])
      : options.propagate === "none"
      ? "none"
      : "stopgrad";
    const rec = recordOf(pass);
    if (rec !== this.#live) {
      throw new Error(`Cannot ${action}: the pass belongs to another network`);
    }
    const spec = this.spec, core = this.#c, k = core.k, layers = spec.layers;
    if (!Array.isArray(dEdz) || dEdz.length > layers.length) {
      throw new TypeError(
        `Cannot ${action}: dEdz must be an array of at most ${layers.length} arrays (one per layer), got ${
          describe(dEdz)
        }`,
      );
    }
    const dEdv = options.dEdv;
    if (dEdv !== undefined && (!Array.isArray(dEdv) || dEdv.length > layers.length)) {
      throw new TypeError(
        `Cannot ${action}: dEdv must be an array of at most ${layers.length} arrays (one per layer), got ${
          describe(dEdv)
        }`,
      );
    }
    const { B, F, T } = rec;
    const mark = core.arena.mark();
    try {
      const gz = layers.map((l, i) => {
        const n = T * B * l.units;
        const ptr = core.alloc(n);
        if (dEdz[i] !== undefined) this.#writeChecked(action, `dEdz[${i}]`, dEdz[i], ptr, n);
        return ptr;
      });
      const gvExt = layers.map((l, i) => {
        if (dEdv?.[i] === undefined) return 0;
        const n = T * B * l.units;
        const ptr = core.alloc(n, false);
        this.#writeChecked(action, `dEdv[${i}]`, dEdv[i], ptr, n);
        return ptr;
      });
      const grads: Float64Array[] = new Array(layers.length);
      const gBias: (Float64Array | undefined)[] = new Array(layers.length).fill(undefined);
      const reset = method === "bptt" ? 1 : 0;
      for (let i = layers.length - 1; i >= 0; i--) {
        const l = layers[i], n = B * l.units, p = this.#layers[i];
        const scratch = core.arena.mark();
        const gv = core.alloc(T * n, false);
        const pg = i > 0 && propagate === "instant" ? core.alloc(T * n, false) : 0;
        k.lifBackward(T, n, this.#cst, rec.psi[i], gz[i], gv, pg, reset, gvExt[i]);
        const G = core.alloc(l.weights);
        if (i === 0) {
          const S = core.alloc(F * n, false);
          k.poolFrames(F, spec.stepsPerFrame, 1, n, gv, S, 1);
          k.convWeightGrad(
            F * B,
            l.inHeight,
            l.inWidth,
            l.inChannels,
            l.kernel,
            l.kernel,
            l.stride,
            l.channels,
            rec.x,
            S,
            G,
            spec.s,
          );
        } else {
          k.convWeightGrad(
            T * B,
            l.inHeight,
            l.inWidth,
            l.inChannels,
            l.kernel,
            l.kernel,
            l.stride,
            l.channels,
            rec.z[i - 1],
            gv,
            G,
            spec.s,
          );
        }
        grads[i] = core.read(G, l.weights);
        if (p.b !== 0) {
          const gb = core.alloc(l.channels);
          k.addColumnSums((T * n) / l.channels, l.channels, gv, gb);
          gBias[i] = core.read(gb, l.channels).map((g) => spec.s * g);
        }
        if (i > 0 && propagate !== "none") {
          const src = propagate === "instant" ? pg : gv;
          k.convInputGrad(
            T * B,
            l.inHeight,
            l.inWidth,
            l.inChannels,
            l.kernel,
            l.kernel,
            l.stride,
            l.channels,
            src,
            p.wT,
            gz[i - 1],
            spec.s,
          );
        }
        core.arena.release(scratch);
      }
      return spikingConvHasBias(spec) ? { weights: grads, b: gBias } : { weights: grads };
    } finally {
      core.arena.release(mark);
    }
  }

  /** Releases the core instance (and with it the live pass). */
  dispose(): void {
    if (this.#live) this.#live.released = true;
    this.#core = undefined;
    this.#live = undefined;
  }
}

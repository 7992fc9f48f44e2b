/**
 * The step-wise engine interface (issue 22, Deliver 2): what an agent needs from an engine to run
 * an LSNN population one stretch of network steps at a time for B episodes, carrying each
 * episode's state from call to call, and to differentiate a recorded span of such steps given
 * errors from outside the population, exactly (BPTT) or by e-prop. The spiking CNN's engine is
 * described here too, so that learners reach both through this file and the factory
 * (`./factory/step_engines.ts`), never an engine's internals.
 *
 * Layouts are time-major: [T][B][n] for per-step values of B episodes, [B][n] for a state.
 *
 * @module
 */
import type { Precision } from "../util/vocabulary.ts";
import { describe } from "../util/errors.ts";
import type {
  ResolvedSpikingConvSpec,
  SpikingConvParams,
  SpikingConvState,
} from "../net/spiking_conv_spec.ts";

/** Shape and constants of one LSNN population run step by step (EPROP.md section 1, s = dt = 1). */
export interface StepPopulationSpec {
  /** Inputs per step. */
  nIn: number;
  /** Neurons. */
  n: number;
  /** Membrane decay alpha. */
  alpha: number;
  /** Adaptation decay rho. */
  rho: number;
  /** Base threshold. */
  thr: number;
  /** Pseudo-derivative dampening gamma. */
  dampening: number;
  /** Refractory steps. */
  nRef: number;
  /** Adaptation strength per neuron [n] (0: LIF). */
  beta: ArrayLike<number>;
}

/** The weights of a population: w_in [nIn][n] and w_rec [n][n] (diagonal ignored). */
export interface StepWeights {
  /** Input weights [nIn][n]. */
  wIn: ArrayLike<number>;
  /** Recurrent weights [n][n]. */
  wRec: ArrayLike<number>;
}

/** The state of B episodes between calls (plain data: saved and restored as it is). */
export interface StepState {
  /** Episodes B. */
  readonly batch: number;
  /** Membrane potentials [B][n]. */
  v: Float64Array;
  /** Adaptation [B][n]. */
  a: Float64Array;
  /** Refractory counters [B][n]. */
  r: Float64Array;
  /** Last spikes [B][n]. */
  z: Float64Array;
  /** Last pseudo-derivatives [B][n]. */
  psi: Float64Array;
}

/** What one call of {@linkcode LsnnStepEngine.step} ran and recorded (S steps, B episodes). */
export interface StepRecord {
  /** Steps S. */
  steps: number;
  /** Episodes B. */
  batch: number;
  /** The inputs [S][B][nIn]. */
  x: Float64Array;
  /** Spikes before the first step [B][n]. */
  zBefore: Float64Array;
  /** Pseudo-derivatives before the first step [B][n]. */
  psiBefore: Float64Array;
  /** Spikes [S][B][n]. */
  z: Float64Array;
  /** Pseudo-derivatives [S][B][n]. */
  psi: Float64Array;
  /** Membrane potentials [S][B][n]. */
  v: Float64Array;
  /** Adaptive thresholds A = thr + beta a [S][B][n]. */
  thr: Float64Array;
}

/** What a reverse pass reads of each record of its span. */
export type SpanRecord = Pick<StepRecord, "steps" | "batch" | "x" | "zBefore" | "z" | "psi">;

/** Errors from outside the population over a span of T steps (the records' steps in order). */
export interface SpanErrors {
  /**
   * [T][B][n]: dE/dz(t) for BPTT; for e-prop the learning signal that multiplies the
   * eligibility traces e_ji(t).
   */
  dEdz: Float64Array;
  /** [T][B][n] or undefined: dE/dv(t) (BPTT), the error at eps_v(t) (e-prop). */
  dEdv?: Float64Array;
  /** [T][B][n] or undefined: dE/da(t) (BPTT), the error at eps_a(t) (e-prop); LIF columns unused. */
  dEda?: Float64Array;
  /**
   * [T][B] or undefined: 1 where episode b ended at step t, so that nothing flows back from step
   * t+1 (its next episode) into step t, and the traces restart after t.
   */
  cut?: Uint8Array;
}

/** What {@linkcode LsnnStepEngine.reverse} returns. */
export interface SpanReverse {
  /**
   * dE/dv(t) along what the method differentiates [T][B][n] (BPTT: the exact one; e-prop: the
   * trace adjoint, so that sum_t D(t) pre(t) is the e-prop gradient).
   */
  D: Float64Array;
}

/** An LSNN population on an engine, stepped for B episodes. */
export interface LsnnStepEngine {
  /** The population. */
  readonly spec: StepPopulationSpec;
  /** Arithmetic precision. */
  readonly precision: Precision;
  /**
   * Loads weights (copied; call again after they change).
   * @param w The weights.
   */
  setWeights(w: StepWeights): void;
  /**
   * @param batch Episodes B.
   * @returns Every episode at the zero state.
   */
  initState(batch: number): StepState;
  /**
   * Sets the episodes where `mask[b]` is non-zero back to the zero state.
   * @param state The state.
   * @param mask One flag per episode.
   */
  reset(state: StepState, mask: ArrayLike<number>): void;
  /**
   * Runs S network steps for every episode, advancing the state.
   * @param input Inputs [S][B][nIn].
   * @param state The state (advanced in place).
   * @param steps S (default 1).
   * @returns The record.
   */
  step(input: ArrayLike<number>, state: StepState, steps?: number): StepRecord;
  /**
   * The reverse pass over a recorded span (the records of consecutive calls), given errors from
   * outside: exact (BPTT) or e-prop. Adds dE/dw_in and dE/dw_rec (diagonal not zeroed) to
   * `into`, truncated at the span's start; without `into`, only D is computed (e.g. for the
   * error sent to the inputs, {@linkcode LsnnStepEngine.inputSignal}).
   * @param span The records.
   * @param errors dE/dz (or the learning signal), dE/dv, dE/da, cuts.
   * @param method "bptt" or "eprop".
   * @param into Gradients to add to: wIn [nIn][n], wRec [n][n]; undefined: none.
   * @returns dE/dv along the method.
   */
  reverse(
    span: readonly SpanRecord[],
    errors: SpanErrors,
    method: "bptt" | "eprop",
    into?: { wIn: Float64Array; wRec: Float64Array },
  ): SpanReverse;
  /**
   * The error sent to the inputs: dE/dx(t) = D(t) w_in^T.
   * @param D dE/dv [T][B][n] ({@linkcode SpanReverse.D}).
   * @param rows T x B.
   * @returns [T][B][nIn].
   */
  inputSignal(D: Float64Array, rows: number): Float64Array;
  /** Frees the engine's memory. */
  dispose(): void;
}

/** One forward pass of a spiking CNN engine, valid until released. */
export interface SpikingConvPassView {
  /**
   * @param layer Layer index.
   * @returns Its spikes [T][B][units] (a view: copy to keep).
   */
  spikes(layer: number): ArrayLike<number>;
  /**
   * @param layer Layer index.
   * @returns Its potentials [T][B][units] (when recorded).
   */
  potentials(layer: number): ArrayLike<number>;
  /** @returns The state after the pass's last step. */
  state(): SpikingConvState;
  /** Frees the record. */
  release(): void;
}

/** A spiking CNN on an engine. */
export interface SpikingConvEngine {
  /** The resolved shape. */
  readonly spec: ResolvedSpikingConvSpec;
  /**
   * Runs B sequences of F frames.
   * @param frames [B][F][h][w] (F = 1: [B][h][w]).
   * @param batchSize B.
   * @param nFrames F.
   * @param options Starting state, whether to record potentials.
   */
  forward(
    frames: ArrayLike<number>,
    batchSize: number,
    nFrames: number,
    options?: { state?: SpikingConvState; recordPotentials?: boolean },
  ): SpikingConvPassView;
  /**
   * The filters' gradients from external errors at the spikes (and potentials) of a pass.
   * @returns dE/dW per layer.
   */
  gradients(
    pass: SpikingConvPassView,
    dEdz: readonly (ArrayLike<number> | undefined)[],
    options: { method: "bptt" | "eprop"; dEdv?: readonly (ArrayLike<number> | undefined)[] },
  ): Float64Array[];
  /**
   * The filters' and biases' gradients from external errors at the spikes (and potentials) of a
   * pass; `propagate: "none"` keeps each layer's error in that layer (a stop-gradient on every
   * layer's spikes as the next layer's input), for BPTT as for e-prop.
   * @returns dE/dW per layer, and dE/db per layer with a bias.
   */
  parameterGradients(
    pass: SpikingConvPassView,
    dEdz: readonly (ArrayLike<number> | undefined)[],
    options: {
      method: "bptt" | "eprop";
      propagate?: "none" | "instant" | "stopgrad";
      dEdv?: readonly (ArrayLike<number> | undefined)[];
    },
  ): SpikingConvParams;
  /** Loads new filters. */
  setParams(params: SpikingConvParams): void;
  /** Frees the engine's memory. */
  dispose(): void;
}

/** Where an engine's compiled code comes from (default: the bundled core). */
export type EngineSource = WebAssembly.Module | BufferSource | URL;

/** Shape and constants of the online reward traces ({@linkcode RewardTraceEngine}). */
export interface RewardTraceSpec {
  /** Inputs of the LSNN. */
  nIn: number;
  /** Neurons (LIF first). */
  n: number;
  /** LIF neurons. */
  nLif: number;
  /** Network steps per agent step S. */
  steps: number;
  /** Episodes B. */
  batch: number;
  /** Membrane decay alpha (the eps_v filter). */
  alpha: number;
  /** Adaptation decay rho. */
  rho: number;
  /** Adaptation strength beta of the ALIF neurons. */
  beta: number;
  /** Readout filter kappa (ebar = kappa ebar + (1 - kappa) e). */
  kappa: number;
  /** Decay of the learning-signal trace F per agent step (the discount). */
  discount: number;
  /** Whether the voltage regularizer's terms are added (cv, ca of each frame). */
  voltage: boolean;
}

/** What one agent step of one episode brings to its traces ([S] rows, S = steps per frame). */
export interface RewardTraceFrame {
  /** LSNN inputs [S][nIn]. */
  x: ArrayLike<number>;
  /** Spikes one step earlier [S][n] (the recurrent synapses' presynaptic values). */
  zPrev: ArrayLike<number>;
  /** Pseudo-derivatives [S][n]. */
  psi: ArrayLike<number>;
  /** Pseudo-derivatives one step earlier [S][n]. */
  psiPrev: ArrayLike<number>;
  /** Learning signal of the frame [n] (F = gamma F + L ebar). */
  L: ArrayLike<number>;
  /** Immediate learning signal [n] (g += LH ebar: the entropy term). */
  LH: ArrayLike<number>;
  /** Voltage regularizer's derivatives by v [S][n] (with `voltage`). */
  cv?: ArrayLike<number>;
  /** Voltage regularizer's derivatives by a [S][n] (with `voltage`). */
  ca?: ArrayLike<number>;
}

/** One synapse group's traces in {@linkcode RewardTraceState}. */
export interface RewardTraceGroupState {
  /** eps_v [B][nPre] (float64). */
  epsV: Float64Array;
  /** eps_a [B][nPre][nAlif], in the engine's precision. */
  epsA: Float32Array | Float64Array;
  /** ebar [B][nPre][n]. */
  ebar: Float32Array | Float64Array;
  /** F [B][nPre][n]. */
  F: Float32Array | Float64Array;
  /** Unfiltered trace sums [nPre][n]. */
  S: Float32Array | Float64Array;
  /** Accumulated gradient [nPre][n]. */
  g: Float32Array | Float64Array;
}

/** The complete state of a {@linkcode RewardTraceEngine} (input and recurrent synapses). */
export interface RewardTraceState {
  /** Input synapses. */
  in: RewardTraceGroupState;
  /** Recurrent synapses. */
  rec: RewardTraceGroupState;
}

/**
 * Per-synapse eligibility traces of the online reward-based e-prop (EPROP.md sections 3.1 and
 * 6) for B episodes, with the learning-signal traces F and the accumulated gradient:
 * ```
 * per step:  eps_v, eps_a, e as EPROP.md 3.1;  ebar = kappa ebar + (1 - kappa) e;  S += e
 * per frame: g += delta F + LH ebar (+ the voltage terms);  F = gamma F + L ebar
 * ```
 */
export interface RewardTraceEngine {
  /** The shape. */
  readonly spec: RewardTraceSpec;
  /** Arithmetic of the traces. */
  readonly precision: Precision;
  /** Bytes of trace memory, fixed at construction. */
  readonly stateBytes: number;
  /**
   * Advances episode b's traces through one agent step and adds delta x F (before F's update).
   * @param b Episode.
   * @param frame The step's values.
   * @param delta The TD error applied to the traces so far.
   */
  frame(b: number, frame: RewardTraceFrame, delta: number): void;
  /** g += delta x F of episode b (its TD error at an episode's end). */
  applyDelta(b: number, delta: number): void;
  /** Episode b's traces back to zero (its next episode starts). */
  clear(b: number): void;
  /**
   * The accumulated gradient plus signal_j x S (the rate regularizer), then g and S back to zero.
   * @param signal Per neuron [n].
   * @returns dE/dw_in [nIn][n] and dE/dw_rec [n][n].
   */
  take(signal: ArrayLike<number>): { wIn: Float64Array; wRec: Float64Array };
  /** @returns Copies of every trace. */
  save(): RewardTraceState;
  /**
   * Restores {@linkcode RewardTraceEngine.save}'s state.
   * @throws {RangeError} For arrays of the wrong size, naming the field.
   */
  load(state: RewardTraceState): void;
  /** Frees the engine's memory. */
  dispose(): void;
}

/**
 * B episodes of an n-neuron population at the zero state (what `initState` returns).
 * @param batch Episodes B, an integer >= 1.
 * @param n Neurons.
 * @returns The state.
 * @throws {RangeError} For a batch that is not an integer >= 1.
 */
export function zeroStepState(batch: number, n: number): StepState {
  if (!Number.isInteger(batch) || batch < 1) {
    throw new RangeError(`Cannot start LSNN state: batch must be an integer >= 1, got ${batch}`);
  }
  const size = batch * n;
  return {
    batch,
    v: new Float64Array(size),
    a: new Float64Array(size),
    r: new Float64Array(size),
    z: new Float64Array(size),
    psi: new Float64Array(size),
  };
}

/**
 * Checks a state's shape: B >= 1 and every array a Float64Array of B x n values.
 * @param action What was being done, for the message.
 * @param state The state.
 * @param n Neurons.
 * @throws {RangeError} Naming the first field of the wrong kind or size.
 */
export function checkStepState(action: string, state: StepState, n: number): void {
  if (!Number.isInteger(state?.batch) || state.batch < 1) {
    throw new RangeError(
      `Cannot ${action}: state.batch must be an integer >= 1, got ${describe(state?.batch)}`,
    );
  }
  const size = state.batch * n;
  for (const key of ["v", "a", "r", "z", "psi"] as const) {
    if (!(state[key] instanceof Float64Array) || state[key].length !== size) {
      throw new RangeError(
        `Cannot ${action}: state.${key} must be a Float64Array of B x n = ${size} values, got ${
          describe(state[key])
        }`,
      );
    }
  }
}

/**
 * Sets the episodes where `mask[b]` is non-zero back to the zero state (what `reset` does).
 * @param state The state, changed in place.
 * @param mask One flag per episode.
 * @param n Neurons.
 * @throws {RangeError} For a state of the wrong shape or a mask of the wrong length.
 */
export function resetStepState(state: StepState, mask: ArrayLike<number>, n: number): void {
  checkStepState("reset LSNN state", state, n);
  if (mask?.length !== state.batch) {
    throw new RangeError(
      `Cannot reset LSNN state: mask must hold one flag per episode (${state.batch}), got ${mask?.length}`,
    );
  }
  for (let b = 0; b < state.batch; b++) {
    if (!mask[b]) continue;
    for (const arr of [state.v, state.a, state.r, state.z, state.psi]) {
      arr.fill(0, b * n, (b + 1) * n);
    }
  }
}

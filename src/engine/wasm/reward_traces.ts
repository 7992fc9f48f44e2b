/**
 * The online reward traces (../step_engine.ts RewardTraceEngine) on one WebAssembly core
 * instance: eps_a, ebar, F, the sums S and the gradient in the core's memory; eps_v (float64)
 * here. `frame` queues an episode's agent step (its inputs copied into a slot of the core) and
 * the queue runs as one call of the kernel `rewardTraceFrames` per synapse group when every
 * episode has a frame queued, when an episode comes back, and before any other method: the
 * kernel takes each row of the shared sums S and g through the queued episodes in the order of
 * their calls, the same additions as one call per frame, with the row in cache.
 *
 * @module
 */
import type {
  RewardTraceEngine,
  RewardTraceFrame,
  RewardTraceGroupState,
  RewardTraceSpec,
  RewardTraceState,
} from "../step_engine.ts";
import type { Precision } from "../../util/vocabulary.ts";
import { CoreMemory } from "./core_instance.ts";
import { copyExactLength } from "../../util/errors.ts";

/** One synapse group's traces: input (pre = x) or recurrent (pre = z(t-1)). */
interface SynapseTraces {
  nPre: number;
  recurrent: boolean;
  /** eps_v per episode and presynaptic neuron [B][nPre] (float64, here). */
  epsV: Float64Array;
  /** Core addresses, per episode b at b x size: eps_a [B][nPre][nAlif], ebar and F [B][nPre][n]. */
  epsA: number;
  ebar: number;
  F: number;
  /** Core addresses of the sums over episodes: unfiltered traces S and the gradient g [nPre][n]. */
  S: number;
  g: number;
}

/** The online reward traces of B episodes on a WebAssembly core. */
export class WasmRewardTraces implements RewardTraceEngine {
  /** The shape. */
  readonly spec: RewardTraceSpec;
  readonly #core: CoreMemory;
  readonly #in: SynapseTraces;
  readonly #rec: SynapseTraces;
  /**
   * Queue slots in the core, one per episode of the queue: evIn, evOldIn [S][nIn], evRec,
   * evOldRec [S][n], psi, psiPrev, cv, ca [S][n], L, LH [n].
   */
  readonly #slots: Record<
    "evIn" | "evOldIn" | "evRec" | "evOldRec" | "psi" | "psiPrev" | "L" | "LH" | "cv" | "ca",
    number
  >[];
  /** The kernel's table (11 addresses per entry, B entries) and the deltas (f64 [B]). */
  readonly #table: number;
  readonly #deltas: number;
  /** The queued frames in call order, and which episodes have one. */
  #queue: { b: number; delta: number }[] = [];
  readonly #queued: Uint8Array;

  /**
   * @param module The compiled core.
   * @param spec The shape.
   * @param precision Arithmetic of the traces.
   */
  constructor(module: WebAssembly.Module, spec: RewardTraceSpec, precision: Precision) {
    const what = "Cannot set up reward traces";
    for (const key of ["nIn", "n", "steps", "batch"] as const) {
      if (!Number.isInteger(spec[key]) || spec[key] < 1) {
        throw new RangeError(`${what}: ${key} must be an integer >= 1, got ${spec[key]}`);
      }
    }
    if (!Number.isInteger(spec.nLif) || spec.nLif < 0 || spec.nLif > spec.n) {
      throw new RangeError(`${what}: nLif must be an integer in [0, n], got ${spec.nLif}`);
    }
    this.spec = spec;
    const core = this.#core = new CoreMemory(module, precision);
    const B = spec.batch, n = spec.n, S = spec.steps, nAlif = n - spec.nLif;
    const traces = (nPre: number, recurrent: boolean): SynapseTraces => ({
      nPre,
      recurrent,
      epsV: new Float64Array(B * nPre),
      epsA: core.alloc(B * nPre * nAlif),
      ebar: core.alloc(B * nPre * n),
      F: core.alloc(B * nPre * n),
      S: core.alloc(nPre * n),
      g: core.alloc(nPre * n),
    });
    this.#in = traces(spec.nIn, false);
    this.#rec = traces(n, true);
    this.#slots = Array.from({ length: B }, () => ({
      evIn: core.alloc(S * spec.nIn),
      evOldIn: core.alloc(S * spec.nIn),
      evRec: core.alloc(S * n),
      evOldRec: core.alloc(S * n),
      psi: core.alloc(S * n),
      psiPrev: core.alloc(S * n),
      L: core.alloc(n),
      LH: core.alloc(n),
      cv: core.alloc(S * n),
      ca: core.alloc(S * n),
    }));
    this.#table = core.arena.alloc(B * 11, 4);
    this.#deltas = core.arena.alloc(B, 8);
    this.#queued = new Uint8Array(B);
  }

  /** Arithmetic of the traces. */
  get precision(): Precision {
    return this.#core.precision;
  }

  /** Bytes of trace memory (core and eps_v), fixed at construction. */
  get stateBytes(): number {
    return this.#core.arena.mark() + 8 * (this.#in.epsV.length + this.#rec.epsV.length);
  }

  frame(b: number, f: RewardTraceFrame, delta: number): void {
    if (this.#queued[b]) this.#flush();
    const core = this.#core, { n, nIn } = this.spec, q = this.#queue.length;
    const slot = this.#slots[q];
    if (this.spec.voltage) {
      core.write(slot.cv, f.cv!);
      core.write(slot.ca, f.ca!);
    }
    core.write(slot.psi, f.psi);
    core.write(slot.psiPrev, f.psiPrev);
    core.write(slot.L, f.L);
    core.write(slot.LH, f.LH);
    this.#epsV(this.#in, b, (s, i) => f.x[s * nIn + i], slot.evIn, slot.evOldIn);
    this.#epsV(this.#rec, b, (s, i) => f.zPrev[s * n + i], slot.evRec, slot.evOldRec);
    this.#queue.push({ b, delta });
    this.#queued[b] = 1;
    if (this.#queue.length === this.spec.batch) this.#flush();
  }

  /** Advances one episode's eps_v of a synapse group through the frame, into ev and evOld. */
  #epsV(
    t: SynapseTraces,
    b: number,
    preAt: (s: number, i: number) => number,
    evAt: number,
    evOldAt: number,
  ): void {
    const S = this.spec.steps, nPre = t.nPre, core = this.#core, alpha = this.spec.alpha;
    const ev = core.view(evAt, S * nPre), evOld = core.view(evOldAt, S * nPre);
    for (let i = 0; i < nPre; i++) {
      let e0 = t.epsV[b * nPre + i];
      for (let s = 0; s < S; s++) {
        evOld[s * nPre + i] = e0;
        e0 = alpha * e0 + preAt(s, i);
        ev[s * nPre + i] = e0;
      }
      t.epsV[b * nPre + i] = e0;
    }
  }

  /** Runs the queued frames, each synapse group in one kernel call, and empties the queue. */
  #flush(): void {
    const Q = this.#queue.length;
    if (Q === 0) return;
    const spec = this.spec, n = spec.n, S = spec.steps, core = this.#core;
    const nAlif = n - spec.nLif;
    const table = core.arena.i32(this.#table, Q * 11), deltas = core.arena.f64(this.#deltas, Q);
    for (const t of [this.#in, this.#rec]) {
      const size = t.nPre * n;
      this.#queue.forEach(({ b, delta }, q) => {
        const slot = this.#slots[q];
        table.set([
          t === this.#in ? slot.evIn : slot.evRec,
          t === this.#in ? slot.evOldIn : slot.evOldRec,
          slot.psi,
          slot.psiPrev,
          slot.L,
          slot.LH,
          slot.cv,
          slot.ca,
          core.at(t.ebar, b * size),
          core.at(t.F, b * size),
          core.at(t.epsA, b * t.nPre * nAlif),
        ], q * 11);
        deltas[q] = delta;
      });
      core.k.rewardTraceFrames(
        ...[Q, t.nPre, n, spec.nLif, S, t.recurrent ? 1 : 0, this.#table, this.#deltas],
        ...[spec.voltage ? 1 : 0, spec.kappa, 1 - spec.kappa, spec.rho, spec.beta, spec.discount],
        ...[t.S, t.g],
      );
    }
    this.#queue = [];
    this.#queued.fill(0);
  }

  applyDelta(b: number, delta: number): void {
    this.#flush();
    const n = this.spec.n, core = this.#core;
    for (const t of [this.#in, this.#rec]) {
      const size = t.nPre * n;
      const F = core.view(core.at(t.F, b * size), size), grad = core.view(t.g, size);
      for (let k = 0; k < size; k++) grad[k] += delta * F[k];
    }
  }

  clear(b: number): void {
    this.#flush();
    const n = this.spec.n, nAlif = n - this.spec.nLif, core = this.#core;
    for (const t of [this.#in, this.#rec]) {
      t.epsV.fill(0, b * t.nPre, (b + 1) * t.nPre);
      const a = t.nPre * nAlif, size = t.nPre * n;
      core.view(core.at(t.epsA, b * a), a).fill(0);
      core.view(core.at(t.ebar, b * size), size).fill(0);
      core.view(core.at(t.F, b * size), size).fill(0);
    }
  }

  take(signal: ArrayLike<number>): { wIn: Float64Array; wRec: Float64Array } {
    this.#flush();
    const n = this.spec.n, core = this.#core;
    const out = (t: SynapseTraces) => {
      const size = t.nPre * n, grad = core.read(t.g, size);
      const S = core.view(t.S, size);
      for (let i = 0; i < t.nPre; i++) {
        for (let j = 0; j < n; j++) grad[i * n + j] += signal[j] * S[i * n + j];
      }
      S.fill(0);
      core.view(t.g, size).fill(0);
      return grad;
    };
    return { wIn: out(this.#in), wRec: out(this.#rec) };
  }

  save(): RewardTraceState {
    this.#flush();
    const core = this.#core, { batch: B, n, nLif } = this.spec;
    const traces = (t: SynapseTraces): RewardTraceGroupState => ({
      epsV: t.epsV.slice(),
      epsA: core.view(t.epsA, B * t.nPre * (n - nLif)).slice(),
      ebar: core.view(t.ebar, B * t.nPre * n).slice(),
      F: core.view(t.F, B * t.nPre * n).slice(),
      S: core.view(t.S, t.nPre * n).slice(),
      g: core.view(t.g, t.nPre * n).slice(),
    });
    return { in: traces(this.#in), rec: traces(this.#rec) };
  }

  load(s: RewardTraceState): void {
    this.#flush();
    const core = this.#core, { batch: B, n, nLif } = this.spec;
    const copy = (
      name: string,
      to: Parameters<typeof copyExactLength>[2],
      from: ArrayLike<number>,
    ) => copyExactLength("load online learner state", name, to, from);
    for (const [name, t] of [["in", this.#in], ["rec", this.#rec]] as const) {
      const saved = s?.[name];
      copy(`${name}.epsV`, t.epsV, saved?.epsV);
      copy(`${name}.epsA`, core.view(t.epsA, B * t.nPre * (n - nLif)), saved?.epsA);
      copy(`${name}.ebar`, core.view(t.ebar, B * t.nPre * n), saved?.ebar);
      copy(`${name}.F`, core.view(t.F, B * t.nPre * n), saved?.F);
      copy(`${name}.S`, core.view(t.S, t.nPre * n), saved?.S);
      copy(`${name}.g`, core.view(t.g, t.nPre * n), saved?.g);
    }
  }

  dispose(): void {
    // the instance's memory goes with it; nothing is shared
  }
}

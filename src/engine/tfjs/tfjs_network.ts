/**
 * The TensorFlow.js implementation of a composed network ({@linkcode NetworkBackend}): input
 * frames repeated, stacked and bidirectional LSNN layers, pooled readout heads, variable-length
 * sequences (NETWORK_CASE.md). BPTT and layer-local e-prop by automatic differentiation (the
 * autodiff reference for the WebAssembly core), e-prop also hard-coded with eligibility traces
 * (factorized, or per synapse: the "online" form), and eq. (1) from the true learning signals;
 * the firing-rate regularizer of either type. Arithmetic is float32. The single population of
 * Figs. 3/S7 ({@linkcode TfjsBackend}) runs on it.
 *
 * @module
 */
import { tf, type TfBackendName, useTfBackend } from "./tf.ts";
import { traceGradient } from "./hardcoded_eprop.ts";
import {
  type NetworkGraphWeights,
  type NetworkRecord,
  presynapticInputs,
  readoutLearningSignals,
  reverseTime,
  runNetworkGraph,
  type SequenceTensors,
  sequenceTensors,
  toInputTime,
  traceGradientFactorized,
} from "./network_graph.ts";
import type { Precision } from "../backend.ts";
import type {
  NetworkBackend,
  NetworkEvaluation,
  NetworkGradientOptions,
  NetworkGradientResult,
  NetworkTrajectory,
} from "../network_backend.ts";
import { checkSequenceBatch, type SequenceBatch } from "../../net/batch.ts";
import {
  checkLayerKinds,
  type NetworkSpec,
  type ResolvedNetwork,
  resolveNetwork,
} from "../../net/network.ts";
import {
  addL2,
  type NetworkObjective,
  type ResolvedNetworkObjective,
  resolveNetworkObjective,
} from "../../net/objective.ts";
import {
  checkNetworkParams,
  copyNetworkParams,
  type NetworkParams,
  zeroNetworkParams,
} from "../../net/params.ts";
import type { LossContext } from "../../net/losses.ts";
import { rateRegularization, type SpikeCounts } from "../../net/regularization.ts";
import type { Matrix } from "../../model/weights.ts";
import { checkChoice, checkFiniteArray, describe } from "../../util/errors.ts";

/** Options of {@linkcode TfjsNetwork.create}. */
export interface TfjsNetworkOptions {
  /** TensorFlow.js backend (default "cpu"). */
  tfBackend?: TfBackendName;
}

interface PopulationWeightTensors {
  wIn: tf.Tensor2D;
  wRec: tf.Tensor2D;
  beta: tf.Tensor1D;
  /** 1 - I: removes autapses. */
  mask: tf.Tensor2D;
}

interface WeightTensors {
  populations: PopulationWeightTensors[];
  heads: { wOut: tf.Tensor2D; bOut?: tf.Tensor1D }[];
}

/** A validated call: lengths, objective and each head's loss context. */
interface Prepared {
  lengths: Int32Array;
  objective: ResolvedNetworkObjective;
  contexts: LossContext[];
}

/** What the objective of one run gave. */
interface ObjectiveValues {
  /** Differentiable E: head losses injected as sum(y * dE/dy), the regularizer as sum(z dE/dz). */
  loss: tf.Scalar;
  headLosses: number[];
  regularizationLoss: number;
  /** Per head, dE/dy [U, B, nOut] (undefined without a loss). */
  dEdy: (tf.Tensor3D | undefined)[];
  /** Per head, y batch-major. */
  outputs: Float64Array[];
  /** Per population, sum over batch and steps of z. */
  sums: Float64Array[];
  /**
   * Per population, the regularizer's dE/dz in its own time: [1, 1, n] (every step, simple type)
   * or [T, 1, n] (online type); empty without a regularizer.
   */
  regSignals: tf.Tensor3D[];
  /** Online regularizer: the updated rate estimates. */
  rateEstimates?: Float64Array[];
}

/**
 * A composed network on TensorFlow.js. TensorFlow.js has one active backend per process;
 * `create` activates the requested one and every call checks it is still active.
 *
 * Methods of {@linkcode TfjsNetwork.gradients}: "bptt" (autodiff through everything), "eprop"
 * (layer-local, per-head feedback; implementation "autodiff", the default here, or "hardcoded")
 * and "eq1" (true dE/dz of each population times its eligibility traces; equals BPTT). The
 * regularizer is of the "simple" or the "online" type (each population's rate estimate carried
 * from call to call in `rateEstimates`), as on the WebAssembly core.
 *
 * @example BPTT equals eq. (1) on a bidirectional layer
 * ```ts
 * import { TfjsNetwork } from "./tfjs_network.ts";
 * import { initNetworkParams } from "../../net/params.ts";
 * import { resolveNetwork } from "../../net/network.ts";
 * import { Rng } from "../../util/rng.ts";
 * import assert from "node:assert/strict";
 * const net = resolveNetwork({
 *   nIn: 2, repeat: 2,
 *   layers: [{ neuron: { nRec: 3, thr: 0.2 }, bidirectional: true }],
 *   heads: [{ nOut: 2, pool: "frame_mean", bias: true }],
 * });
 * const rng = new Rng(1);
 * const backend = await TfjsNetwork.create(net, initNetworkParams(net, rng));
 * const batch = { batchSize: 1, frames: 4, inputs: new Float64Array(8).map(() => rng.normal()) };
 * const objective = { losses: [{ type: "ce_frames" as const, labels: new Int32Array(4) }] };
 * const bptt = backend.gradients(batch, objective, { method: "bptt" });
 * const eq1 = backend.gradients(batch, objective, { method: "eq1" });
 * const a = bptt.grads.layers[0].forward.wIn.data, b = eq1.grads.layers[0].forward.wIn.data;
 * assert.ok(a.every((x, i) => Math.abs(x - b[i]) < 1e-5));
 * backend.dispose();
 * ```
 */
export class TfjsNetwork implements NetworkBackend {
  /** "tfjs-" and the TensorFlow.js backend. */
  readonly name: string;
  /** Always float32. */
  readonly precision: Precision = "f32";
  /** The network. */
  readonly net: ResolvedNetwork;
  readonly #tfBackend: TfBackendName;
  #params: NetworkParams;
  #tensors: WeightTensors | undefined;

  private constructor(net: ResolvedNetwork, params: NetworkParams, tfBackend: TfBackendName) {
    this.net = net;
    this.#tfBackend = tfBackend;
    this.name = `tfjs-${tfBackend}`;
    this.#params = params;
    this.setParams(params);
  }

  /**
   * Creates a network, activating the TensorFlow.js backend.
   *
   * @param spec The network, as a spec or already resolved.
   * @param params Its parameters (copied).
   * @param options Which TensorFlow.js backend (default "cpu").
   * @returns The network.
   * @throws {TypeError|RangeError} For an invalid network, parameters or backend name.
   */
  static async create(
    spec: NetworkSpec | ResolvedNetwork,
    params: NetworkParams,
    options: TfjsNetworkOptions = {},
  ): Promise<TfjsNetwork> {
    const net = isResolved(spec) ? spec : resolveNetwork(spec);
    checkLayerKinds(net, "tfjs", ["lsnn"]);
    checkNetworkParams(net, params);
    const tfBackend = options.tfBackend ?? "cpu";
    await useTfBackend(tfBackend);
    return new TfjsNetwork(net, params, tfBackend);
  }

  /**
   * Replaces the parameters.
   *
   * @param params The parameters (validated and copied).
   * @throws {TypeError} Naming the first leaf of the wrong shape or with a non-finite value.
   */
  setParams(params: NetworkParams): void {
    checkNetworkParams(this.net, params);
    this.#params = copyNetworkParams(params);
    this.#disposeTensors();
    const p = this.#params;
    const f32 = (m: Matrix) => tf.tensor2d(Float32Array.from(m.data), [m.rows, m.cols]);
    this.#tensors = {
      populations: this.net.populations.map((pop) => {
        const layer = p.layers[pop.layer];
        const pp = pop.direction === "forward" ? layer.forward : layer.backward!;
        return {
          wIn: f32(pp.wIn),
          wRec: f32(pp.wRec),
          beta: tf.tensor1d(Float32Array.from(pop.beta)),
          mask: tf.tidy(() => tf.sub(1, tf.eye(pop.nRec)) as tf.Tensor2D),
        };
      }),
      heads: p.heads.map((h) => ({
        wOut: f32(h.wOut),
        ...(h.bOut ? { bOut: tf.tensor1d(Float32Array.from(h.bOut)) } : {}),
      })),
    };
  }

  /**
   * Returns a copy of the current parameters.
   *
   * @returns The parameters.
   */
  getParams(): NetworkParams {
    return copyNetworkParams(this.#params);
  }

  /**
   * Forward pass with records: spikes, potentials, thresholds and pseudo-derivatives of every
   * population in input time (all zero past each sequence's length), and every head's outputs.
   *
   * @param batch The batch.
   * @returns The records, batch-major.
   * @throws {TypeError|RangeError} For an invalid batch.
   */
  simulate(batch: SequenceBatch): NetworkTrajectory {
    const lengths = checkSequenceBatch(this.net, batch);
    const w = this.#active();
    let out: NetworkTrajectory | undefined;
    tf.tidy(() => {
      const seq = sequenceTensors(this.net, { ...batch, lengths });
      const rec = runNetworkGraph(this.net, graphWeights(w), { seq, mode: "bptt" });
      const inputTime = (x: tf.Tensor3D, i: number) =>
        batchMajor(toInputTime(x, { population: this.net.populations[i], seq }));
      out = {
        z: rec.populations.map((p) => batchMajor(p.z)),
        v: rec.populations.map((p, i) => inputTime(p.vOwn, i)),
        thr: rec.populations.map((p, i) => inputTime(p.thrOwn, i)),
        psi: rec.populations.map((p, i) => inputTime(p.psiOwn, i)),
        outputs: rec.heads.map((h) => batchMajor(h.y)),
      };
    });
    return out!;
  }

  /**
   * Forward pass and objective, no gradients.
   *
   * @param batch The batch.
   * @param objective Losses per head, regularizer, L2.
   * @param options Online regularizer: each population's rate estimate from the previous call.
   * @returns Losses, spikes, rates and outputs (and the updated estimates).
   * @throws {TypeError|RangeError} For an invalid batch or objective.
   */
  evaluate(
    batch: SequenceBatch,
    objective: NetworkObjective,
    options: { rateEstimates?: Float64Array[] } = {},
  ): NetworkEvaluation {
    const prep = this.#prepare(batch, objective);
    const w = this.#active();
    let out: NetworkEvaluation | undefined;
    tf.tidy(() => {
      const seq = sequenceTensors(this.net, { ...batch, lengths: prep.lengths });
      const rec = runNetworkGraph(this.net, graphWeights(w), { seq, mode: "bptt" });
      const values = this.#objective(rec, prep, { seq, estimates: options.rateEstimates });
      const l2Loss = addL2(prep.objective.l2, this.#params, zeroNetworkParams(this.net));
      out = this.#evaluation(values, l2Loss, seq);
    });
    return out!;
  }

  /**
   * Loss and gradients.
   *
   * @param batch The batch.
   * @param objective Losses per head, regularizer, L2.
   * @param options Method; e-prop feedback per head, implementation ("autodiff", the default, or
   *   "hardcoded") and, hard-coded, form ("factorized", the default, or "online": per-synapse
   *   traces); the online regularizer's rate estimates.
   * @returns The evaluation and dE/dparams (zero diagonals in w_rec; L2 term included).
   * @throws {TypeError|RangeError} For an invalid batch, objective or option.
   */
  gradients(
    batch: SequenceBatch,
    objective: NetworkObjective,
    options: NetworkGradientOptions,
  ): NetworkGradientResult {
    const action = "compute gradients";
    const method = checkChoice(action, "method", options?.method, ["bptt", "eprop", "eq1"]);
    const implementation = checkChoice(
      action,
      "implementation",
      options.implementation ?? "autodiff",
      ["hardcoded", "autodiff"],
    );
    const form = checkChoice(action, "form", options.form ?? "factorized", [
      "online",
      "factorized",
    ]);
    const feedback = method === "eprop" ? this.#checkFeedback(options.feedback) : [];
    const estimates = options.rateEstimates;
    const prep = this.#prepare(batch, objective);
    const w = this.#active();
    const net = this.net;
    const kept: tf.Tensor[] = [];
    let result: NetworkGradientResult | undefined;
    try {
      tf.tidy(() => {
        const seq = sequenceTensors(net, { ...batch, lengths: prep.lengths });
        const fb = feedback.map((m) =>
          m ? tf.tensor2d(Float32Array.from(m.data), [m.rows, m.cols]) : undefined
        );
        const lossHeads = net.heads.map((_, h) => h).filter((h) => prep.objective.losses[h]);
        const headVars = lossHeads.flatMap((h) => {
          const t = w.heads[h];
          return t.bOut ? [t.wOut, t.bOut] : [t.wOut];
        });
        /** Weights with the trainable head tensors replaced by `args` (in headVars order). */
        const withHeads = (args: tf.Tensor[]): NetworkGraphWeights => {
          const gw = graphWeights(w);
          let i = 0;
          for (const h of lossHeads) {
            gw.heads[h] = { wOut: args[i++] as tf.Tensor2D };
            if (w.heads[h].bOut) gw.heads[h].bOut = args[i++] as tf.Tensor1D;
          }
          return gw;
        };
        let values: ObjectiveValues | undefined;
        const popGrads: { wIn: tf.Tensor; wRec: tf.Tensor }[] = [];
        const headGrads: tf.Tensor[] = [];
        if (method === "bptt" || (method === "eprop" && implementation === "autodiff")) {
          const popVars = w.populations.flatMap((p) => [p.wIn, p.wRec]);
          const g = tf.grads((...args: tf.Tensor[]) => {
            const gw = withHeads(args.slice(popVars.length));
            gw.populations = w.populations.map((p, i) => ({
              wIn: args[2 * i] as tf.Tensor2D,
              wRec: tf.mul(args[2 * i + 1], p.mask) as tf.Tensor2D,
              beta: p.beta,
            }));
            const rec = runNetworkGraph(net, gw, {
              seq,
              mode: method === "bptt" ? "bptt" : "eprop",
              feedback: fb,
            });
            values = this.#objective(rec, prep, { seq, estimates });
            return values.loss;
          })([...popVars, ...headVars]);
          w.populations.forEach((_, i) => popGrads.push({ wIn: g[2 * i], wRec: g[2 * i + 1] }));
          headGrads.push(...g.slice(popVars.length));
        } else {
          let rec: NetworkRecord | undefined;
          let signals: tf.Tensor[];
          if (method === "eq1") {
            const probes = net.populations.map((p) =>
              tf.zeros([seq.steps, seq.batchSize, p.nRec]) as tf.Tensor3D
            );
            const g = tf.grads((...args: tf.Tensor[]) => {
              rec = runNetworkGraph(net, withHeads(args.slice(probes.length)), {
                seq,
                mode: "bptt",
                probes: args.slice(0, probes.length) as tf.Tensor3D[],
              });
              // The forward scope disposes what f does not return; keep what the traces read.
              for (const p of rec.populations) kept.push(tf.keep(p.zOwn), tf.keep(p.psiOwn));
              for (const f of rec.features) kept.push(tf.keep(f));
              values = this.#objective(rec, prep, { seq, estimates });
              return values.loss;
            })([...probes, ...headVars]);
            signals = g.slice(0, probes.length);
            headGrads.push(...g.slice(probes.length));
          } else {
            rec = runNetworkGraph(net, graphWeights(w), { seq, mode: "bptt" });
            values = this.#objective(rec, prep, { seq, estimates });
            const readout = readoutLearningSignals(net, values.dEdy, {
              feedback: net.heads.map((_, h) => fb[h] ?? w.heads[h].wOut),
              seq,
            });
            const regSignals = values.regSignals;
            signals = net.populations.map((p, i) => {
              const s = p.direction === "forward" ? readout[i] : reverseTime(readout[i], seq);
              return regSignals.length ? tf.add(s, regSignals[i]) : s;
            });
            for (const h of lossHeads) {
              headGrads.push(...exactReadoutGradients(net.heads[h].bias, {
                zbar: rec.heads[h].zbar,
                dEdy: values.dEdy[h]!,
              }));
            }
          }
          popGrads.push(
            ...traceGradients(net, rec!, {
              signals,
              seq,
              weights: w,
              perSynapse: method === "eprop" && form === "online",
            }),
          );
        }
        const grads = zeroNetworkParams(net);
        const read = (t: tf.Tensor, into: Float64Array) => into.set(t.dataSync());
        net.populations.forEach((p, i) => {
          const layer = grads.layers[p.layer];
          const pg = p.direction === "forward" ? layer.forward : layer.backward!;
          read(popGrads[i].wIn, pg.wIn.data);
          read(popGrads[i].wRec, pg.wRec.data);
        });
        let k = 0;
        for (const h of lossHeads) {
          read(headGrads[k++], grads.heads[h].wOut.data);
          if (net.heads[h].bias) read(headGrads[k++], grads.heads[h].bOut!);
        }
        const l2Loss = addL2(prep.objective.l2, this.#params, grads);
        result = { ...this.#evaluation(values!, l2Loss, seq), grads };
      });
    } finally {
      for (const t of kept) t.dispose();
    }
    return result!;
  }

  /** Frees the weight tensors; later calls throw. */
  dispose(): void {
    this.#disposeTensors();
  }

  #disposeTensors(): void {
    if (!this.#tensors) return;
    for (const p of this.#tensors.populations) {
      for (const t of Object.values(p)) t.dispose();
    }
    for (const h of this.#tensors.heads) {
      h.wOut.dispose();
      h.bOut?.dispose();
    }
    this.#tensors = undefined;
  }

  #active(): WeightTensors {
    if (!this.#tensors) throw new Error("Cannot use a disposed TfjsNetwork");
    if (tf.getBackend() !== this.#tfBackend) {
      throw new Error(
        `Cannot use TfjsNetwork: it was created on tfjs backend "${this.#tfBackend}" but "${tf.getBackend()}" is active`,
      );
    }
    return this.#tensors;
  }

  /** Validates a batch and an objective against the network. */
  #prepare(batch: SequenceBatch, objective: NetworkObjective): Prepared {
    const lengths = checkSequenceBatch(this.net, batch);
    const resolved = resolveNetworkObjective(this.net, objective);
    const contexts = this.net.heads.map((head, h): LossContext => {
      const pooled = head.pool === "frame_mean";
      return {
        batchSize: batch.batchSize,
        units: pooled ? batch.frames : batch.frames * this.net.repeat,
        nOut: head.nOut,
        lengths: pooled ? Int32Array.from(lengths) : lengths.map((l) => l * this.net.repeat),
        field: `losses[${h}]`,
      };
    });
    resolved.losses.forEach((loss, h) => loss?.check(contexts[h]));
    return { lengths, objective: resolved, contexts };
  }

  /** Checks e-prop feedback matrices, one per head (undefined: symmetric). */
  #checkFeedback(feedback: (Matrix | undefined)[] | undefined): (Matrix | undefined)[] {
    const action = "compute gradients";
    if (feedback === undefined) return this.net.heads.map(() => undefined);
    if (!Array.isArray(feedback) || feedback.length > this.net.heads.length) {
      throw new TypeError(
        `Cannot ${action}: feedback must be an array of at most ${this.net.heads.length} matrices (one per head), got ${
          describe(feedback)
        }`,
      );
    }
    return this.net.heads.map((head, h) => {
      const m = feedback[h];
      if (m === undefined) return undefined;
      if (
        typeof m !== "object" || m === null || m.rows !== head.nFeat || m.cols !== head.nOut
      ) {
        throw new TypeError(
          `Cannot ${action}: feedback[${h}] must be ${head.nFeat}x${head.nOut} (the head's w_out shape), got ${
            m && typeof m === "object" ? `${m.rows}x${m.cols}` : describe(m)
          }`,
        );
      }
      checkFiniteArray(action, `feedback[${h}].data`, m.data, head.nFeat * head.nOut);
      return m;
    });
  }

  /**
   * The objective of one run: each head's loss from its SequenceLoss on y's values, injected as
   * sum(y * dE/dy) so that autodiff carries exactly dE/dy, and the regularizer from the spike
   * counts (src/net/regularization.ts, as on the core), injected as sum(z * dE/dz) in each
   * population's own time.
   */
  #objective(
    rec: NetworkRecord,
    prep: Prepared,
    options: { seq: SequenceTensors; estimates?: Float64Array[] },
  ): ObjectiveValues {
    const { seq, estimates } = options;
    const terms: tf.Tensor[] = [];
    const headLosses: number[] = [];
    const dEdy: (tf.Tensor3D | undefined)[] = [];
    const outputs = rec.heads.map((h, i) => {
      const y = Float64Array.from(h.y.dataSync());
      const loss = prep.objective.losses[i];
      if (loss) {
        const d = new Float64Array(y.length);
        headLosses.push(loss.evaluate(y, d, prep.contexts[i]));
        const dy = tf.tensor3d(Float32Array.from(d), h.y.shape);
        dEdy.push(dy);
        terms.push(tf.sum(tf.mul(h.y, dy)));
      } else {
        headLosses.push(0);
        dEdy.push(undefined);
      }
      return batchMajorData(y, h.y.shape);
    });
    const reg = prep.objective.regularization;
    const counts = rec.populations.map((p) => spikeCounts(p.zOwn, reg?.type === "online"));
    const sums = counts.map((c) => c.sums);
    if (!reg) {
      const loss = (terms.length ? tf.addN(terms) : tf.scalar(0)) as tf.Scalar;
      return { loss, headLosses, regularizationLoss: 0, dEdy, outputs, sums, regSignals: [] };
    }
    const r = rateRegularization(this.net, reg, {
      batchSize: seq.batchSize,
      steps: seq.steps,
      populations: counts,
      estimates,
    });
    const regSignals = r.signals.map((sig, i) => {
      const n = this.net.populations[i].nRec;
      const signal = tf.tensor3d(Float32Array.from(sig.data), [sig.stride ? seq.steps : 1, 1, n]);
      terms.push(tf.sum(tf.mul(rec.populations[i].zOwn, signal)));
      return signal;
    });
    const loss = tf.addN(terms) as tf.Scalar;
    return {
      loss,
      headLosses,
      regularizationLoss: r.loss,
      dEdy,
      outputs,
      sums,
      regSignals,
      ...(r.estimates ? { rateEstimates: r.estimates } : {}),
    };
  }

  #evaluation(values: ObjectiveValues, l2Loss: number, seq: SequenceTensors): NetworkEvaluation {
    const { headLosses, regularizationLoss, sums, outputs, rateEstimates } = values;
    const steps = seq.batchSize * seq.steps;
    const total = sums.reduce((a, s) => a + s.reduce((x, y) => x + y, 0), 0);
    return {
      loss: headLosses.reduce((a, b) => a + b, 0) + regularizationLoss + l2Loss,
      headLosses,
      regularizationLoss,
      l2Loss,
      spikes: Math.round(total * this.net.dtMs),
      rates: sums.map((s) => s.map((v) => v / steps)),
      outputs,
      ...(rateEstimates ? { rateEstimates } : {}),
    };
  }
}

/**
 * Eq. (1) / hard-coded e-prop: per population, sum_t L(t) e(t) with the signals in its own time,
 * its eligibility traces from its own-time presynaptic values (x or the layer below, z(t-1)),
 * factorized or (`perSynapse`) with per-synapse traces.
 */
function traceGradients(
  net: ResolvedNetwork,
  rec: NetworkRecord,
  options: {
    signals: tf.Tensor[];
    seq: SequenceTensors;
    weights: WeightTensors;
    perSynapse: boolean;
  },
): { wIn: tf.Tensor; wRec: tf.Tensor }[] {
  const { signals, seq, weights } = options;
  return net.populations.map((p, i) => {
    const { zOwn, psiOwn } = rec.populations[i];
    const x = presynapticInputs(p, {
      below: p.layer > 0 ? rec.features[p.layer - 1] : undefined,
      seq,
    });
    const [T, B, n] = zOwn.shape;
    const beta = weights.populations[i].beta;
    const signal = signals[i] as tf.Tensor3D;
    let g: tf.Tensor2D;
    if (options.perSynapse) {
      g = traceGradient(p.consts, { x, z: zOwn, psi: psiOwn, beta, unfiltered: signal });
    } else {
      const zPrev = tf.concat([tf.zeros([1, B, n]), tf.slice(zOwn, [0, 0, 0], [T - 1, B, n])]);
      g = traceGradientFactorized(p.consts, {
        pre: tf.concat([x, zPrev], 2) as tf.Tensor3D,
        psi: psiOwn,
        beta,
        signal,
      });
    }
    return {
      wIn: tf.slice(g, [0, 0], [p.nIn, n]),
      wRec: tf.mul(tf.slice(g, [p.nIn, 0], [n, n]), weights.populations[i].mask),
    };
  });
}

/** dE/dw_out = sum zbar (x) dE/dy and dE/db = sum dE/dy, over units and batch. */
function exactReadoutGradients(
  bias: boolean,
  records: { zbar: tf.Tensor3D; dEdy: tf.Tensor3D },
): tf.Tensor[] {
  const [U, B, nFeat] = records.zbar.shape;
  const flatDy = tf.reshape(records.dEdy, [U * B, records.dEdy.shape[2]]) as tf.Tensor2D;
  const flatZbar = tf.reshape(records.zbar, [U * B, nFeat]) as tf.Tensor2D;
  const wOut = tf.matMul(flatZbar, flatDy, true, false);
  return bias ? [wOut, tf.sum(flatDy, 0)] : [wOut];
}

/** Spike counts of a population from its own-time spikes [T, B, n] (per step: online type). */
function spikeCounts(zOwn: tf.Tensor3D, perStep: boolean): SpikeCounts {
  const z = zOwn.dataSync();
  const [T, B, n] = zOwn.shape;
  const sums = new Float64Array(n);
  for (let i = 0; i < z.length; i++) sums[i % n] += z[i];
  if (!perStep) return { sums };
  const stepSums = new Float64Array(T * n);
  for (let t = 0; t < T; t++) {
    for (let i = t * B * n; i < (t + 1) * B * n; i++) stepSums[t * n + (i % n)] += z[i];
  }
  return { sums, stepSums };
}

function isResolved(spec: NetworkSpec | ResolvedNetwork): spec is ResolvedNetwork {
  return typeof spec === "object" && spec !== null &&
    Array.isArray((spec as ResolvedNetwork).populations);
}

function graphWeights(w: WeightTensors): NetworkGraphWeights {
  return {
    populations: w.populations.map((p) => ({
      wIn: p.wIn,
      wRec: tf.mul(p.wRec, p.mask) as tf.Tensor2D,
      beta: p.beta,
    })),
    heads: w.heads.map((h) => ({ ...h })),
  };
}

/** [T, B, n] tensor -> batch-major [B][T][n] values. */
function batchMajor(t: tf.Tensor3D): Float64Array {
  return batchMajorData(t.dataSync(), t.shape);
}

function batchMajorData(data: ArrayLike<number>, shape: [number, number, number]): Float64Array {
  const [T, B, n] = shape;
  const out = new Float64Array(T * B * n);
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      // + 0 turns the -0 of masked negative values into 0.
      for (let i = 0; i < n; i++) out[(b * T + t) * n + i] = data[(t * B + b) * n + i] + 0;
    }
  }
  return out;
}

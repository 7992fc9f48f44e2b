/**
 * An autodiff reference for the gradient of the Atari agent's actor-critic loss over one
 * recorded unroll (src/agent/reward_unroll.ts), in TensorFlow.js: the whole forward pass is
 * rebuilt as a graph (spiking CNN with its biases, LSNN of EPROP.md section 1 with adaptation
 * and refractoriness, features [z, then each of spec.headPools: a CNN layer's spikes
 * average-pooled by tf.avgPool, "valid", flattened [y][x][c]] filtered by kappa and 1 - kappa,
 * heads at each frame's last step) and differentiated by tf.grads.
 *
 * Loss (returns R computed from the rewards as in reward_unroll.ts, constants; A = R - V; m the
 * optional step mask `stepMask`, default 1, the authors' finished_mask):
 * ```
 * E_pg   = sum_{k,b} m[k][b] (-log pi(a) sg(A)),   E_V = sum_{k,b} m[k][b] 0.5 c_V A^2
 * E_H    = sum_{k,b} m[k][b] (-c_H H(pi)),          E_ac = E_pg + E_V + E_H
 * E_rate = c_reg sum_j (sum_{b,t} z_j(t) / (B T) - f_0)^2
 * E_volt = c_volt / B sum_{b,t,j} [relu(v_j(t) - A_j(t))^2 + relu(-v_j(t) - A_j(t))^2]
 * ```
 * with v the potential compared with the threshold and A_j = thr + beta a_j (thr for LIF).
 *
 * Modes: "bptt" differentiates every path. "eprop" stops the gradient on the spike copy used for
 * recurrence and reset (kept on the neuron's own adaptation, EPROP.md 3.4), and the heads' error
 * reaches the LSNN's spikes through the random feedback (B^pi, B^V) instead of their rows of wPi
 * and wV; the heads' weights get their exact gradient. With `feedback: "symmetric"` (the
 * authors' e-prop) the heads read z directly, so the error reaches the spikes through the heads'
 * own current rows of wPi and wV, the stop-gradients kept. In both modes the heads' weights get
 * their exact gradient.
 *
 * The CNN (with `trainCnn`: filters conv0, conv1, ... and biases conv0Bias, ...): with
 * `cnnPath: "through-lsnn"` (default) the error reaches it through W_in and through the pooled
 * features' rows of the heads' true weights, its parameters get the gradient of
 * `cnnTaskScale E_ac + E_rate + E_volt + E_cnnvolt`. With `cnnPath: "pooled"` (the authors'
 * spiking_agent.py with avg_ba) a stop-gradient sits on every CNN layer's spikes where they feed
 * the next CNN layer and where the last layer feeds the LSNN, so only each layer's pooled
 * features carry an error into it, and its parameters get the gradient of their own loss
 * `cnnTaskScale (E_pg + E_V) + E_cnnvolt` (no entropy: the authors' total_loss_for_cnn). Inside
 * each CNN layer the gradient is exact BPTT (reset included). The other parameters get the
 * gradient of the total loss `E_ac + E_rate + E_volt + E_cnnvolt` in every configuration.
 *
 * Teacher forcing: every spike's forward value (each CNN layer's and the LSNN's) is the one of a
 * recorded run of AgentNetwork (LSNN in float64, CNN on the WebAssembly core at `precision`), so
 * float32 cannot flip a decision; the refractory counters follow from those spikes, so they are
 * the recorded ones too. Everything else (potentials, thresholds, pseudo-derivatives, features,
 * policy and value) is computed by the graph in float32 on the tfjs backend in use (select "cpu"
 * with useTfBackend for a reference: it computes in float32 exactly as written).
 *
 * @module
 */
import { tf } from "./tf.ts";
import {
  customOp,
  freeMask,
  pseudoDerivative,
  readoutWithFeedback,
  refractoryCounter,
  stopGradient,
} from "./lsnn_graph.ts";
import { runSpikingConvGraph } from "./spiking_conv_graph.ts";
import {
  type AgentTeacherRecord,
  type AgentUnroll,
  checkUnroll,
  type UnrollShape,
} from "../../net/agent_unroll.ts";
import {
  type AgentFeedback,
  type AgentParams,
  checkAgentParams,
  convBiasName,
} from "../../net/agent_params.ts";
import type { ResolvedAgentSpec } from "../../net/agent_spec.ts";
import { checkChoice, checkFiniteValues, checkNumber, describe } from "../../util/errors.ts";

export type { AgentTeacherRecord, AgentUnroll } from "../../net/agent_unroll.ts";

/** The constants of the losses (the actor-critic constants of the agent's learners). */
export interface AgentLossConstants {
  /** Discount gamma per agent step. */
  discount: number;
  /** Baseline (value) cost c_V. */
  valueCost: number;
  /** Entropy cost c_H. */
  entropyCost: number;
  /** Firing-rate regularization c_reg. */
  rateCost: number;
  /** Target rate per network step. */
  rateTarget: number;
  /** Voltage regularization of the LSNN. */
  voltageCost: number;
  /** Voltage regularization of the CNN (with `trainCnn`). */
  cnnVoltageCost: number;
}

/** Options of {@linkcode agentUnrollGradient}. */
export interface AgentGraphOptions {
  /** "eprop" (default; stop-gradients and random feedback) or "bptt" (exact). */
  mode?: "eprop" | "bptt";
  /** Voltage regularizer cost c_v (default: the constants' `voltageCost`). */
  voltageCost?: number;
  /**
   * The CNN's voltage regularizer cost (default: the constants' `cnnVoltageCost`; only with
   * `trainCnn`): c sum_units mean_t [(mean_b max(0, v - thr))^2 + (mean_b max(0, -v - thr))^2].
   */
  cnnVoltageCost?: number;
  /** Also return conv0, conv1, ... and the biases conv0Bias, ... (default false). */
  trainCnn?: boolean;
  /**
   * Factor of the task loss in the CNN's gradient (default 1; regularizers unscaled): of E_ac
   * with cnnPath "through-lsnn", of E_pg + E_V with "pooled".
   */
  cnnTaskScale?: number;
  /**
   * Mode "eprop" only (ignored by "bptt", whose heads' errors follow their weights anyway):
   * "random" (default; the feedback B^pi, B^V carries the heads' errors to the LSNN's spikes) or
   * "symmetric" (the authors' e-prop: the heads' own current rows of wPi and wV do).
   */
  feedback?: "random" | "symmetric";
  /**
   * How the CNN learns (with `trainCnn`): "through-lsnn" (default; through W_in and the pooled
   * features, the total loss scaled as `cnnTaskScale` says) or "pooled" (the authors': only the
   * pooled features carry an error, stop-gradients between the layers and into the LSNN, the
   * loss cnnTaskScale (E_pg + E_V) + E_cnnvolt).
   */
  cnnPath?: "through-lsnn" | "pooled";
  /**
   * K x B factors (agent step k, episode b; k-major) on each step's policy-gradient, value and
   * entropy losses (the authors' finished_mask; the regularizers are not masked). Default: 1.
   */
  stepMask?: ArrayLike<number>;
  /**
   * The recorded forward run over the unroll whose spikes are teacher-forced (the agent records
   * it: agent/agent_teacher.ts).
   */
  teacher: AgentTeacherRecord;
  /** Filled in, when given: how far the graph's own float32 decisions are from the record. */
  diagnostics?: AgentGraphDiagnostics;
}

/** What {@linkcode agentUnrollGradient} measured on the way. */
export interface AgentGraphDiagnostics {
  /** LSNN spikes where the graph's v - A > 0 (not refractory) disagrees with the record. */
  lsnnFlips?: number;
  /** Per CNN layer, the same count for v - thr. */
  convFlips?: number[];
  /** Largest |V_graph - V_record| over the unroll. */
  valueError?: number;
  /**
   * The losses E_ac (= pg + value + entropy), E_rate, E_volt and the CNN's voltage term of the
   * graph.
   */
  losses?: {
    ac: number;
    pg: number;
    value: number;
    entropy: number;
    rate: number;
    voltage: number;
    cnnVoltage: number;
  };
}

const ACTION = "compute agent unroll gradient";

/**
 * The gradient of the unroll's loss with respect to every trained parameter, by autodiff.
 * @param spec The agent's shape.
 * @param params Its parameters.
 * @param feedback The fixed random feedback (used in mode "eprop").
 * @param ac Actor-critic constants (discount, valueCost, entropyCost, rateCost, rateTarget).
 * @param unroll The recorded unroll, from the zero state.
 * @param options The recorded run (teacher), mode, regularizer, CNN training.
 * @returns Gradients keyed like zeroAgentGradients (wIn, wRec, wPi, bPi, wV, bV), plus conv0,
 *   conv1, ... and conv0Bias, ... (layers with a bias) when `trainCnn`; float64 copies of
 *   float32 values.
 * @throws {TypeError | RangeError} Naming the bad field.
 */
export function agentUnrollGradient(
  spec: ResolvedAgentSpec,
  params: AgentParams,
  feedback: AgentFeedback,
  ac: AgentLossConstants,
  unroll: AgentUnroll,
  options: AgentGraphOptions,
): Record<string, Float64Array> {
  checkAgentParams(spec, params);
  const mode = checkChoice(ACTION, "options.mode", options.mode ?? "eprop", ["eprop", "bptt"]);
  const voltageCost = checkNumber(
    ACTION,
    "options.voltageCost",
    options.voltageCost ?? ac.voltageCost,
    {
      min: 0,
    },
  );
  const cnnTaskScale = checkNumber(ACTION, "options.cnnTaskScale", options.cnnTaskScale ?? 1);
  const cnnVoltageCost = checkNumber(
    ACTION,
    "options.cnnVoltageCost",
    options.cnnVoltageCost ?? ac.cnnVoltageCost,
    { min: 0 },
  );
  const trainCnn = options.trainCnn ?? false;
  if (typeof trainCnn !== "boolean") {
    throw new TypeError(`Cannot ${ACTION}: options.trainCnn must be a boolean, got ${trainCnn}`);
  }
  const fbKind = checkChoice(ACTION, "options.feedback", options.feedback ?? "random", [
    "random",
    "symmetric",
  ]);
  const cnnPath = checkChoice(ACTION, "options.cnnPath", options.cnnPath ?? "through-lsnn", [
    "through-lsnn",
    "pooled",
  ]);
  const random = mode === "eprop" && fbKind === "random";
  if (random) {
    for (const [key, size] of [["bPi", spec.n * spec.numActions], ["bV", spec.n]] as const) {
      const f = feedback?.[key];
      if (!(f instanceof Float64Array) || f.length !== size) {
        throw new TypeError(
          `Cannot ${ACTION}: feedback.${key} must be a Float64Array of ${size}, got ${describe(f)}`,
        );
      }
    }
  }
  const shape = checkUnroll(spec, unroll);
  const teacher = checkTeacher(spec, shape, options?.teacher);
  let stepMask: Float64Array | undefined;
  if (options.stepMask !== undefined) {
    checkFiniteValues(ACTION, "options.stepMask", options.stepMask, shape.K * shape.B);
    stepMask = Float64Array.from(options.stepMask);
  }
  const returns = unrollReturns(ac, unroll, shape);
  const graph: GraphInput = {
    spec,
    feedback,
    ac,
    unroll,
    shape,
    teacher,
    returns,
    mode,
    random,
    pooledPath: cnnPath === "pooled",
    stepMask,
  };
  const convNames = spec.conv.layers.flatMap((l, i) =>
    l.bias ? [`conv${i}`, convBiasName(i)] : [`conv${i}`]
  );
  const lsnnNames = ["wIn", "wRec", "wPi", "bPi", "wV", "bV"];
  const cnnVolt = trainCnn ? cnnVoltageCost : 0;
  const total: LossWeights = { pgv: 1, entropy: 1, reg: 1, voltageCost, cnnVoltageCost: cnnVolt };
  // the CNN's own loss, where it differs from the total loss
  const cnnLoss: LossWeights | undefined = !trainCnn
    ? undefined
    : cnnPath === "pooled"
    ? { pgv: cnnTaskScale, entropy: 0, reg: 0, voltageCost, cnnVoltageCost: cnnVolt }
    : cnnTaskScale !== 1
    ? { ...total, pgv: cnnTaskScale, entropy: cnnTaskScale }
    : undefined;
  const names = trainCnn && !cnnLoss ? [...lsnnNames, ...convNames] : lsnnNames;
  const grads = gradientsOf(graph, params, names, total, options.diagnostics);
  if (cnnLoss) Object.assign(grads, gradientsOf(graph, params, convNames, cnnLoss));
  return grads;
}

/** Checks the recorded run against the unroll's shape, naming the field. */
function checkTeacher(
  spec: ResolvedAgentSpec,
  { K, B }: UnrollShape,
  teacher: AgentTeacherRecord | undefined,
): AgentTeacherRecord {
  const T = K * spec.stepsPerFrame;
  const sizes: [string, ArrayLike<number> | undefined, number][] = [
    ["z", teacher?.z, T * B * spec.n],
    ["value", teacher?.value, K * B],
    ...spec.conv.layers.map((l, i) =>
      [`conv[${i}]`, teacher?.conv?.[i], T * B * l.units] as [string, ArrayLike<number>, number]
    ),
  ];
  for (const [name, data, want] of sizes) {
    if (data?.length !== want) {
      throw new TypeError(
        `Cannot ${ACTION}: options.teacher.${name} must hold ${want} values (the recorded run over the unroll), got ${
          describe(data)
        }`,
      );
    }
  }
  return teacher!;
}

/** The n-step returns R [K][B] of reward_unroll.ts (bootstrapped where given, cut at ends). */
function unrollReturns(
  ac: AgentLossConstants,
  unroll: AgentUnroll,
  shape: UnrollShape,
): Float64Array {
  const { K, B } = shape, R = new Float64Array(K * B);
  for (let b = 0; b < B; b++) {
    let r = unroll.bootstrap ? unroll.bootstrap[b] : 0;
    for (let k = K - 1; k >= 0; k--) {
      if (unroll.ended[k][b]) r = 0;
      r = unroll.rewards[k][b] + ac.discount * r;
      R[k * B + b] = r;
    }
  }
  return R;
}

interface GraphInput {
  spec: ResolvedAgentSpec;
  feedback: AgentFeedback;
  ac: AgentLossConstants;
  unroll: AgentUnroll;
  shape: UnrollShape;
  teacher: AgentTeacherRecord;
  returns: Float64Array;
  mode: "eprop" | "bptt";
  /** The heads' errors reach the LSNN through the random feedback (eprop, feedback "random"). */
  random: boolean;
  /** cnnPath "pooled": stop-gradients between the CNN's layers and into the LSNN. */
  pooledPath: boolean;
  stepMask?: Float64Array;
}

/** Weights of the loss's parts in one differentiation. */
interface LossWeights {
  /** Of E_pg + E_V. */
  pgv: number;
  /** Of E_H. */
  entropy: number;
  /** Of E_rate + E_volt (0 or 1). */
  reg: number;
  /** c_v of E_volt (0: the term is not built). */
  voltageCost: number;
  /** The CNN's voltage cost (0: the term is not built). */
  cnnVoltageCost: number;
}

/** Param shapes in the graph. */
function paramShape(spec: ResolvedAgentSpec, name: string): number[] {
  const l = spec.conv.layers[parseInt(name.slice(4))];
  if (name.endsWith("Bias")) return [l.channels];
  const shapes: Record<string, number[]> = {
    wIn: [spec.nIn, spec.n],
    wRec: [spec.n, spec.n],
    wPi: [spec.nFeatures, spec.numActions],
    bPi: [spec.numActions],
    wV: [spec.nFeatures, 1],
    bV: [1],
  };
  return shapes[name] ?? [l.kernel, l.kernel, l.inChannels, l.channels];
}

function gradientsOf(
  g: GraphInput,
  params: AgentParams,
  names: string[],
  w: LossWeights,
  diagnostics?: AgentGraphDiagnostics,
): Record<string, Float64Array> {
  const out: Record<string, Float64Array> = {};
  tf.tidy(() => {
    const all = Object.keys(params);
    const tensors: Record<string, tf.Tensor> = {};
    for (const name of all) {
      tensors[name] = tf.tensor(Float32Array.from(params[name]), paramShape(g.spec, name));
    }
    const grads = tf.grads((...xs: tf.Tensor[]) => {
      const p = { ...tensors };
      names.forEach((name, i) => p[name] = xs[i]);
      const loss = unrollLoss(g, p, w.voltageCost, w.cnnVoltageCost, diagnostics);
      const task = tf.add(
        tf.mul(w.pgv, tf.add(loss.pg, loss.value)),
        tf.mul(w.entropy, loss.entropy),
      );
      const reg = tf.add(tf.mul(w.reg, tf.add(loss.rate, loss.voltage)), loss.cnnVoltage);
      return tf.add(task, reg) as tf.Scalar;
    })(names.map((name) => tensors[name]));
    names.forEach((name, i) => out[name] = Float64Array.from(grads[i].dataSync()));
  });
  return out;
}

/** The forced spike: forward value from the record, dz/dv = psi, dz/dA = -psi. */
function forcedSpike(
  spec: ResolvedAgentSpec,
): (v: tf.Tensor, A: tf.Tensor, free: tf.Tensor, forced: tf.Tensor) => tf.Tensor {
  const k = { gamma: spec.dampening, thr: spec.thr };
  return customOp(([v, A, free, forced], save) => {
    save([pseudoDerivative(k, { v, A, free })]);
    return {
      value: tf.clone(forced),
      gradFunc: (dy, saved) => {
        const d = tf.mul(dy, saved[0]);
        return [d, tf.neg(d), tf.zerosLike(dy), tf.zerosLike(dy)];
      },
    };
  });
}

/** The three losses of the unroll as scalars (inside tf.grads). */
function unrollLoss(
  g: GraphInput,
  p: Record<string, tf.Tensor>,
  voltageCost: number,
  cnnVoltageCost: number,
  diagnostics?: AgentGraphDiagnostics,
): {
  pg: tf.Scalar;
  value: tf.Scalar;
  entropy: tf.Scalar;
  rate: tf.Scalar;
  voltage: tf.Scalar;
  cnnVoltage: tf.Scalar;
} {
  const { spec, shape: { K, B }, teacher, mode, ac } = g;
  const S = spec.stepsPerFrame, T = K * S, n = spec.n, A = spec.numActions;
  const layers = spec.conv.layers, nP = spec.nPooled;
  // CNN (spikes forced to the record's; gradients by exact BPTT through the graph's potentials)
  const keep = tf.tensor2d(
    Float32Array.from(
      { length: K * B },
      (_, i) => i < B ? 1 : 1 - g.unroll.ended[i / B - 1 | 0][i % B],
    ),
    [K, B],
  );
  const frames = tf.tensor(
    Float32Array.from(g.unroll.frames.flatMap((f) => Array.from(f))),
    [K, B, spec.frameSize, spec.frameSize, 1],
  );
  const forcedConv = layers.map((l, i) =>
    tf.tensor(Float32Array.from(teacher.conv[i]), [T, B, l.height, l.width, l.channels])
  );
  const cnn = runSpikingConvGraph(spec.conv, layers.map((_, l) => p[`conv${l}`]), frames, {
    forcedSpikes: forcedConv,
    keep,
    bias: layers.map((l, i) => l.bias ? p[convBiasName(i)] : undefined),
    stopBetweenLayers: g.pooledPath,
  });
  const last = cnn.z[layers.length - 1];
  const x = tf.unstack(tf.reshape(g.pooledPath ? stopGradient(last) : last, [T, B, spec.nIn]));
  // the pooled features [T, B, nPooled]: each pool's [y][x][c], the pools in order
  const pools = spec.headPools.map((hp) => {
    const { height, width, channels } = hp.source;
    const z = tf.reshape(cnn.z[hp.layer], [T * B, height, width, channels]) as tf.Tensor4D;
    return tf.reshape(tf.avgPool(z, hp.kernel, hp.stride, "valid"), [T, B, hp.units]);
  });
  const pooled = nP > 0 ? tf.unstack(pools.length === 1 ? pools[0] : tf.concat(pools, 2)) : [];
  // LSNN
  const zForced = tf.unstack(tf.tensor3d(Float32Array.from(teacher.z), [T, B, n]));
  const keepRows = tf.unstack(tf.reshape(keep, [K, B, 1]));
  const beta = tf.tensor1d(
    Float32Array.from({ length: n }, (_, j) => j < spec.nLif ? 0 : spec.beta),
  );
  const notDiag = tf.sub(1, tf.eye(n));
  const wRec = tf.mul(p.wRec, notDiag) as tf.Tensor2D;
  const wPiZ = tf.slice(p.wPi, [0, 0], [n, A]) as tf.Tensor2D;
  const wPiF = tf.slice(p.wPi, [n, 0], [nP, A]) as tf.Tensor2D;
  const wVZ = tf.slice(p.wV, [0, 0], [n, 1]) as tf.Tensor2D;
  const wVF = tf.slice(p.wV, [n, 0], [nP, 1]) as tf.Tensor2D;
  const fbPi = g.random ? tf.tensor2d(Float32Array.from(g.feedback.bPi), [n, A]) : undefined;
  const fbV = g.random ? tf.tensor2d(Float32Array.from(g.feedback.bV), [n, 1]) : undefined;
  // random e-prop: the heads' error reaches z through the feedback; their weights get the exact
  // gradient (symmetric e-prop and BPTT: the heads read z directly)
  const head = (zbar: tf.Tensor2D, wZ: tf.Tensor2D, fb?: tf.Tensor2D) =>
    fb ? readoutWithFeedback(zbar, wZ, fb) : tf.matMul(zbar, wZ);
  const fromPooled = (pbar: tf.Tensor, wF: tf.Tensor2D) =>
    nP > 0 ? tf.matMul(pbar as tf.Tensor2D, wF) : tf.zeros([B, wF.shape[1]]);
  const mask = g.stepMask ? tf.tensor2d(Float32Array.from(g.stepMask), [K, B]) : undefined;
  const maskRows = mask ? tf.unstack(mask) : undefined;
  const spike = forcedSpike(spec);
  const refractory = refractoryCounter({ nRef: spec.nRef, dt: 1 });
  const { alpha, rho, thr, kappa } = spec;
  let v: tf.Tensor = tf.zeros([B, n]), a: tf.Tensor = tf.zeros([B, n]);
  let r: tf.Tensor = tf.zeros([B, n]), zRec: tf.Tensor = tf.zeros([B, n]);
  let zAdapt: tf.Tensor = tf.zeros([B, n]);
  let zbar: tf.Tensor = tf.zeros([B, n]), pbar: tf.Tensor = tf.zeros([B, nP]);
  let spikes: tf.Tensor = tf.zeros([n]), volt: tf.Tensor = tf.scalar(0);
  let pgLoss: tf.Tensor = tf.scalar(0), valueLoss: tf.Tensor = tf.scalar(0);
  let entropyLoss: tf.Tensor = tf.scalar(0), flips: tf.Tensor = tf.scalar(0);
  const values: tf.Tensor[] = [];
  for (let t = 0; t < T; t++) {
    const k = Math.floor(t / S), s = t % S;
    if (s === 0 && k > 0) {
      const m = keepRows[k];
      [v, a, r, zRec, zAdapt, zbar, pbar] = [v, a, r, zRec, zAdapt, zbar, pbar].map((u) =>
        tf.mul(u, m)
      );
    }
    a = tf.add(tf.mul(rho, a), zAdapt);
    const current = tf.add(
      tf.matMul(x[t] as tf.Tensor2D, p.wIn as tf.Tensor2D),
      tf.matMul(zRec as tf.Tensor2D, wRec),
    );
    v = tf.sub(tf.add(tf.mul(alpha, v), current), tf.mul(thr, zRec));
    const Athr = tf.add(thr, tf.mul(beta, a));
    const free = freeMask(r);
    const z = spike(v, Athr, free, zForced[t]);
    if (diagnostics) {
      const own = tf.mul(tf.cast(tf.greater(tf.sub(v, Athr), 0), "float32"), free);
      flips = tf.add(flips, tf.sum(tf.abs(tf.sub(own, zForced[t]))));
    }
    r = refractory(r, z);
    zRec = mode === "eprop" ? stopGradient(z) : z;
    zAdapt = z;
    spikes = tf.add(spikes, tf.sum(z, 0));
    if (voltageCost > 0) {
      const above = tf.relu(tf.sub(v, Athr)), below = tf.relu(tf.sub(tf.neg(v), Athr));
      volt = tf.add(volt, tf.sum(tf.add(tf.square(above), tf.square(below))));
    }
    zbar = tf.add(tf.mul(kappa, zbar), tf.mul(1 - kappa, z));
    if (nP > 0) pbar = tf.add(tf.mul(kappa, pbar), tf.mul(1 - kappa, pooled[t]));
    if (s < S - 1) continue;
    // heads at the frame's last step
    const logits = tf.add(
      tf.add(head(zbar as tf.Tensor2D, wPiZ, fbPi), fromPooled(pbar, wPiF)),
      p.bPi,
    );
    const value = tf.reshape(
      tf.add(
        tf.add(head(zbar as tf.Tensor2D, wVZ, fbV), fromPooled(pbar, wVF)),
        p.bV,
      ),
      [B],
    );
    values.push(value);
    const logPi = tf.logSoftmax(logits);
    const onehot = tf.oneHot(tf.tensor1d(Int32Array.from(g.unroll.actions[k]), "int32"), A);
    const adv = tf.sub(
      tf.tensor1d(Float32Array.from(g.returns.subarray(k * B, (k + 1) * B))),
      value,
    );
    const m = maskRows?.[k];
    const masked = (u: tf.Tensor) => tf.sum(m ? tf.mul(u, m) : u);
    const policy = tf.mul(tf.neg(tf.sum(tf.mul(onehot, logPi), 1)), stopGradient(adv));
    const negEntropy = tf.sum(tf.mul(tf.exp(logPi), logPi), 1);
    pgLoss = tf.add(pgLoss, masked(policy));
    valueLoss = tf.add(valueLoss, masked(tf.mul(0.5 * ac.valueCost, tf.square(adv))));
    entropyLoss = tf.add(entropyLoss, masked(tf.mul(ac.entropyCost, negEntropy)));
  }
  const d = tf.sub(tf.div(spikes, B * T), ac.rateTarget);
  const rate = tf.mul(ac.rateCost, tf.sum(tf.square(d))) as tf.Scalar;
  const voltage = tf.mul(voltageCost / B, volt) as tf.Scalar;
  // the authors' CNN voltage term ("avg_time", their tensors batch-major): sum over units, mean
  // over episodes of the squared time means (over the unroll) of max(0, v - thr), max(0, -v - thr)
  let cnnVoltage: tf.Tensor = tf.scalar(0);
  if (cnnVoltageCost > 0) {
    const thrC = spec.conv.thr;
    for (const vv of cnn.v) {
      const up = tf.mean(tf.relu(tf.sub(vv, thrC)), 0);
      const down = tf.mean(tf.relu(tf.sub(tf.neg(vv), thrC)), 0);
      const sq = tf.add(tf.sum(tf.square(up)), tf.sum(tf.square(down)));
      cnnVoltage = tf.add(cnnVoltage, tf.mul(cnnVoltageCost / B, sq));
    }
  }
  if (diagnostics) {
    diagnostics.lsnnFlips = flips.dataSync()[0];
    diagnostics.convFlips = cnn.v.map((vv, i) => {
      const own = tf.cast(tf.greater(vv, spec.conv.thr), "float32");
      return tf.sum(tf.abs(tf.sub(tf.mul(own, 1 / spec.conv.dtMs), forcedConv[i]))).dataSync()[0];
    });
    const V = Array.from(tf.stack(values).dataSync());
    diagnostics.valueError = V.reduce((m, x, i) => Math.max(m, Math.abs(x - teacher.value[i])), 0);
    const [pg, value, entropy] = [pgLoss, valueLoss, entropyLoss].map((u) => u.dataSync()[0]);
    diagnostics.losses = {
      ac: pg + value + entropy,
      pg,
      value,
      entropy,
      rate: rate.dataSync()[0],
      voltage: voltage.dataSync()[0],
      cnnVoltage: cnnVoltage.dataSync()[0],
    };
  }
  return {
    pg: pgLoss as tf.Scalar,
    value: valueLoss as tf.Scalar,
    entropy: entropyLoss as tf.Scalar,
    rate,
    voltage,
    cnnVoltage: cnnVoltage as tf.Scalar,
  };
}

/**
 * Gradient cases (docs/spec/GRADIENT_CASE.md): one small network, data and loss as JSON, and
 * the result format that `deno task grad` prints.
 *
 * @module
 */
import type { NetworkConfig, ResolvedNetworkConfig } from "../model/config.ts";
import { resolveNetworkConfig } from "../model/config.ts";
import type { Batch, Objective } from "../model/objective.ts";
import { resolveObjective } from "../model/objective.ts";
import { matrixToRows, type Weights } from "../model/weights.ts";
import type {
  Backend,
  EpropForm,
  EpropImplementation,
  GradientResult,
  Gradients,
} from "../engine/backend.ts";
import { describe } from "../util/errors.ts";
import {
  CASE_NEURON_FIELDS,
  caseNeuron,
  fail,
  matrix,
  num,
  object,
  readTensor,
} from "./json_fields.ts";

/** A parsed, validated gradient case. */
export interface GradientCase {
  /** The network. */
  config: ResolvedNetworkConfig;
  /** Its weights. */
  weights: Weights;
  /** The data. */
  batch: Batch;
  /** Loss and regularizer. */
  objective: Objective;
}

/** The result object of GRADIENT_CASE.md. */
export interface GradientCaseResult {
  /** E of the forward pass. */
  loss: number;
  /** Total recurrent spikes. */
  spikes: number;
  /** Exact gradient. */
  bptt: { w_in: number[][]; w_rec: number[][]; w_out: number[][] };
  /** Symmetric e-prop. */
  eprop: { w_in: number[][]; w_rec: number[][]; w_out: number[][] };
  /** Eq. (1) with the true learning signal. */
  eq1: { w_in: number[][]; w_rec: number[][] };
}

/**
 * Parses and validates a gradient case.
 * @param json The parsed JSON.
 * @returns The case.
 * @throws {TypeError|RangeError} Naming the offending field.
 */
export function parseGradientCase(json: unknown): GradientCase {
  const root = object(json, "case");
  const neuron = object(root.neuron, "neuron");
  const readout = object(root.readout, "readout");
  const known = ["n_in", "dt", ...CASE_NEURON_FIELDS];
  for (const key of Object.keys(neuron)) {
    if (!known.includes(key)) fail(`neuron.${key} is not a known field`);
  }
  for (const key of Object.keys(readout)) {
    if (!["n_out", "tau_out", "filter"].includes(key)) fail(`readout.${key} is not a known field`);
  }
  const fields = [
    "neuron",
    "readout",
    "w_in",
    "w_rec",
    "w_out",
    "inputs",
    "targets",
    "labels",
    "loss",
    "regularization",
  ];
  for (const key of Object.keys(root)) {
    if (!fields.includes(key)) fail(`${key} is not a known field`);
  }
  const nRec = num(neuron.n_rec, "neuron.n_rec");
  // Sizes are checked against the matrices before anything of that size is allocated.
  for (const [field, rows, name] of [["w_rec", nRec, "n_rec"], ["w_in", neuron.n_in, "n_in"]]) {
    const m = root[field as string];
    if (!Array.isArray(m) || m.length !== rows) {
      fail(`${field} must have ${name} (${rows}) rows, got ${describe(m)}`);
    }
  }
  const netConfig: NetworkConfig = {
    neuron: {
      nIn: num(neuron.n_in, "neuron.n_in"),
      ...caseNeuron(neuron, "neuron", nRec),
      dtMs: num(neuron.dt ?? 1, "neuron.dt"),
    },
    readout: {
      nOut: num(readout.n_out, "readout.n_out"),
      tauOutMs: num(readout.tau_out, "readout.tau_out"),
      filter: (readout.filter ?? "normalized") as "normalized",
      bias: false,
    },
  };
  let config: ResolvedNetworkConfig;
  try {
    config = resolveNetworkConfig(netConfig);
  } catch (e) {
    fail(
      caseFieldNames((e as Error).message.replace(/^Cannot build network: /, "")),
      e instanceof RangeError,
    );
  }
  const { nIn } = config.neuron;
  const nOut = config.readout.nOut;
  const weights: Weights = {
    wIn: matrix(root.w_in, nIn, nRec, "w_in"),
    wRec: matrix(root.w_rec, nRec, nRec, "w_rec"),
    wOut: matrix(root.w_out, nRec, nOut, "w_out"),
  };
  if (!Array.isArray(root.inputs) || !Array.isArray(root.inputs[0])) {
    fail(`inputs must be an array [batch][T][${nIn}], got ${describe(root.inputs)}`);
  }
  const B = root.inputs.length;
  const T = (root.inputs[0] as unknown[]).length;
  if (T === 0) fail("inputs must have at least one time step");
  const batch: Batch = {
    batchSize: B,
    steps: T,
    inputs: readTensor(root.inputs, { shape: [B, T, nIn], field: "inputs" }),
  };
  const loss = object(root.loss, "loss");
  let objective: Objective;
  if (loss.type === "mse") {
    batch.targets = readTensor(root.targets, { shape: [B, T, nOut], field: "targets" });
    objective = { loss: { type: "mse" } };
  } else if (loss.type === "ce") {
    const window = num(loss.window ?? T, "loss.window");
    if (!Number.isInteger(window) || window < 1 || window > T) {
      fail(`loss.window must be an integer in [1, ${T}], got ${window}`, true);
    }
    const labels = readTensor(root.labels, { shape: [B], field: "labels" });
    labels.forEach((l, b) => {
      if (!Number.isInteger(l) || l < 0 || l >= nOut) {
        fail(`labels[${b}] must be an integer in [0, ${nOut - 1}], got ${l}`, true);
      }
    });
    batch.labels = Int32Array.from(labels);
    objective = { loss: { type: "ce", window } };
  } else {
    fail(`loss.type must be one of "mse", "ce", got ${describe(loss.type)}`, true);
  }
  if (root.regularization !== undefined) {
    const reg = object(root.regularization, "regularization");
    const c = num(reg.c, "regularization.c");
    const f = num(reg.f_target, "regularization.f_target");
    if (c < 0) fail(`regularization.c must be >= 0, got ${c}`, true);
    if (f < 0) fail(`regularization.f_target must be >= 0, got ${f}`, true);
    objective.regularization = { type: "simple", c, fTarget: f };
  }
  resolveObjective(objective, { config, batch });
  return { config, weights, batch, objective };
}

/** Maps the library's field names in a message back to the case's snake_case names. */
function caseFieldNames(message: string): string {
  const names: Record<string, string> = {
    "neuron.nIn": "neuron.n_in",
    "neuron.nRec": "neuron.n_rec",
    "neuron.tauMMs": "neuron.tau_m",
    "neuron.tauAMs": "neuron.tau_a",
    "neuron.nRef": "neuron.n_ref",
    "neuron.dtMs": "neuron.dt",
    "neuron.inputScaling": "neuron.input_scaling",
    "readout.nOut": "readout.n_out",
    "readout.tauOutMs": "readout.tau_out",
  };
  return message.replace(/^[\w.]+(?=[\[ ])/, (field) => names[field] ?? field);
}

function rows(g: Gradients) {
  return { w_in: matrixToRows(g.wIn), w_rec: matrixToRows(g.wRec), w_out: matrixToRows(g.wOut) };
}

/**
 * Computes the result of a case on a backend loaded with the case's weights.
 * @param backend A backend for `c.config` holding `c.weights`.
 * @param c The case.
 * @param options The e-prop form and implementation (defaults: "factorized", "hardcoded").
 * @returns The result object of GRADIENT_CASE.md.
 */
export function runGradientCase(
  backend: Backend,
  c: GradientCase,
  options: { form?: EpropForm; implementation?: EpropImplementation } = {},
): GradientCaseResult {
  const bptt: GradientResult = backend.gradients(c.batch, c.objective, { method: "bptt" });
  const eprop = backend.gradients(c.batch, c.objective, { method: "eprop", ...options });
  const eq1 = backend.gradients(c.batch, c.objective, { method: "eq1" });
  const e1 = rows(eq1.grads);
  return {
    loss: bptt.loss,
    spikes: bptt.spikes,
    bptt: rows(bptt.grads),
    eprop: rows(eprop.grads),
    eq1: { w_in: e1.w_in, w_rec: e1.w_rec },
  };
}

/**
 * Network gradient cases (format 2, NETWORK_CASE.md): a composed network (input frames repeated,
 * stacked and bidirectional LSNN layers, a pooled readout with bias), its data and objective, as
 * JSON; and the result object `deno task grad` prints for it.
 *
 * @module
 */
import { type NetworkSpec, type ResolvedNetwork, resolveNetwork } from "../net/network.ts";
import { checkNetworkParams, type NetworkParams, type PopulationParams } from "../net/params.ts";
import { checkSequenceBatch, type SequenceBatch } from "../net/batch.ts";
import type { NetworkObjective } from "../net/objective.ts";
import { resolveNetworkObjective } from "../net/objective.ts";
import type { NetworkBackend, NetworkGradientOptions } from "../engine/network_backend.ts";
import { matrixToRows } from "../model/weights.ts";
import {
  CASE_NEURON_FIELDS,
  caseNeuron,
  fail,
  matrix,
  num,
  object,
  readTensor,
} from "./json_fields.ts";
import { describe } from "../util/errors.ts";

/** A parsed format-2 case. */
export interface NetworkCase {
  /** The network. */
  net: ResolvedNetwork;
  /** Its parameters. */
  params: NetworkParams;
  /** The data. */
  batch: SequenceBatch;
  /** The objective (one loss, on the one head). */
  objective: NetworkObjective;
}

/** A matrix as an array of rows. */
export type Rows = number[][];
/** Gradients of one population, as rows. */
export interface PopulationGradientRows {
  /** dE/dw_in. */
  w_in: Rows;
  /** dE/dw_rec. */
  w_rec: Rows;
}
/** Gradients of one layer, as rows. */
export interface LayerGradientRows {
  /** Forward population. */
  forward: PopulationGradientRows;
  /** Backward population, when bidirectional. */
  backward?: PopulationGradientRows;
}
/** Result of a format-2 case (NETWORK_CASE.md). */
export interface NetworkCaseResult {
  /** E of the forward pass. */
  loss: number;
  /** Spikes of all populations over valid steps. */
  spikes: number;
  /** Exact gradient. */
  bptt: { layers: LayerGradientRows[]; w_out: Rows; b_out?: number[] };
  /** Symmetric layer-local e-prop. */
  eprop: { layers: LayerGradientRows[]; w_out: Rows; b_out?: number[] };
  /** Eq. (1) with the true dE/dz; equals bptt. */
  eq1: { layers: LayerGradientRows[] };
}

function known(obj: Record<string, unknown>, field: string, keys: readonly string[]) {
  for (const key of Object.keys(obj)) {
    if (!keys.includes(key)) fail(`${field}${field ? "." : ""}${key} is not a known field`);
  }
}

/** Case field names for the library's camelCase names in messages. */
const CASE_NAMES: [RegExp, string][] = [
  [/\.nRec\b/, ".n_rec"],
  [/\.tauMMs\b/, ".tau_m"],
  [/\.tauAMs\b/, ".tau_a"],
  [/\.nRef\b/, ".n_ref"],
  [/\.inputScaling\b/, ".input_scaling"],
  [/^heads\[0\]\.tauOut\b/, "readout.tau_out"],
  [/^heads\[0\]\.nOut\b/, "readout.n_out"],
  [/^heads\[0\]\./, "readout."],
  [/^nIn\b/, "inputs"],
];

/**
 * Tells a format-2 case from a format-1 one.
 *
 * @param json A parsed case.
 * @returns Whether it says it is format 2.
 */
export function isNetworkCase(json: unknown): boolean {
  return typeof json === "object" && json !== null && (json as { format?: unknown }).format === 2;
}

/**
 * Parses and validates a format-2 case.
 *
 * @param json The parsed JSON.
 * @returns The case.
 * @throws {TypeError|RangeError} Naming the first invalid field, as the case spells it.
 */
export function parseNetworkCase(json: unknown): NetworkCase {
  const root = object(json, "case");
  known(root, "", [
    "format",
    "dt",
    "inputs",
    "lengths",
    "repeat",
    "layers",
    "readout",
    "loss",
    "regularization",
    "l2",
  ]);
  if (root.format !== 2) fail(`format must be 2, got ${describe(root.format)}`, true);
  const dt = num(root.dt ?? 1, "dt");
  if (dt !== 1) fail(`dt must be 1 in format 2, got ${dt}`, true);
  if (!Array.isArray(root.inputs) || !Array.isArray(root.inputs[0])) {
    fail(`inputs must be an array [batch][frames][n_in], got ${describe(root.inputs)}`);
  }
  const B = root.inputs.length;
  const F = (root.inputs[0] as unknown[]).length;
  if (F === 0) fail("inputs must have at least one frame");
  const first = (root.inputs[0] as unknown[])[0];
  if (!Array.isArray(first)) fail(`inputs[0][0] must be an array, got ${describe(first)}`);
  const nIn = first.length;
  if (nIn === 0) fail("inputs[0][0] must have at least one value");
  if (!Array.isArray(root.layers) || root.layers.length === 0) {
    fail(`layers must be a non-empty array, got ${describe(root.layers)}`);
  }
  const readout = object(root.readout, "readout");
  known(readout, "readout", ["from", "pool", "tau_out", "filter", "w_out", "b_out"]);
  if (!Array.isArray(readout.w_out) || !Array.isArray(readout.w_out[0])) {
    fail(`readout.w_out must be an array of rows, got ${describe(readout.w_out)}`);
  }
  const nOut = (readout.w_out[0] as unknown[]).length;
  const layerJson = (root.layers as unknown[]).map((l, i) => object(l, `layers[${i}]`));
  const spec: NetworkSpec = {
    nIn,
    dtMs: dt,
    repeat: num(root.repeat ?? 1, "repeat"),
    layers: layerJson.map((l, i) => {
      known(l, `layers[${i}]`, ["neuron", "bidirectional", "forward", "backward"]);
      const n = object(l.neuron, `layers[${i}].neuron`);
      known(n, `layers[${i}].neuron`, CASE_NEURON_FIELDS);
      const nRec = num(n.n_rec, `layers[${i}].neuron.n_rec`);
      // Sizes are checked against the matrices before anything of that size is allocated.
      const wRec = (l.forward as { w_rec?: unknown } | undefined)?.w_rec;
      if (!Array.isArray(wRec) || wRec.length !== nRec) {
        fail(`layers[${i}].forward.w_rec must have n_rec (${nRec}) rows, got ${describe(wRec)}`);
      }
      return {
        neuron: caseNeuron(n, `layers[${i}].neuron`, nRec, { dampening: 0.3, betaLength: nRec }),
        bidirectional: (l.bidirectional ?? false) as boolean,
      };
    }),
    heads: [{
      name: "readout",
      nOut,
      from: (readout.from ?? "last") as "last",
      pool: (readout.pool ?? "none") as "none",
      tauOut: num(readout.tau_out, "readout.tau_out"),
      filter: (readout.filter ?? "normalized") as "normalized",
      bias: readout.b_out !== undefined,
    }],
  };
  let net: ResolvedNetwork;
  try {
    net = resolveNetwork(spec);
  } catch (e) {
    let message = (e as Error).message.replace(/^Cannot build network: /, "");
    for (const [pattern, name] of CASE_NAMES) message = message.replace(pattern, name);
    fail(message, e instanceof RangeError);
  }
  const head = net.heads[0];
  const population = (json: unknown, field: string, nInP: number, n: number) => {
    const p = object(json, field);
    known(p, field, ["w_in", "w_rec"]);
    return {
      wIn: matrix(p.w_in, nInP, n, `${field}.w_in`),
      wRec: matrix(p.w_rec, n, n, `${field}.w_rec`),
    } satisfies PopulationParams;
  };
  const params: NetworkParams = {
    layers: net.layers.map((layer, i) => {
      const [f, b] = layer.populations;
      const l = layerJson[i];
      if (!b && l.backward !== undefined) {
        fail(`layers[${i}].backward is given, but the layer is not bidirectional`);
      }
      const forward = population(l.forward, `layers[${i}].forward`, f.nIn, f.nRec);
      return b
        ? { forward, backward: population(l.backward, `layers[${i}].backward`, b.nIn, b.nRec) }
        : { forward };
    }),
    heads: [{
      wOut: matrix(readout.w_out, head.nFeat, nOut, "readout.w_out"),
      ...(head.bias
        ? { bOut: readTensor(readout.b_out, { shape: [nOut], field: "readout.b_out" }) }
        : {}),
    }],
  };
  checkNetworkParams(net, params);
  const lengths = readTensor(root.lengths ?? new Array(B).fill(F), {
    shape: [B],
    field: "lengths",
  });
  lengths.forEach((l, b) => {
    if (!Number.isInteger(l) || l < 1 || l > F) {
      fail(`lengths[${b}] must be an integer in [1, ${F}], got ${l}`, true);
    }
  });
  const batch: SequenceBatch = {
    batchSize: B,
    frames: F,
    inputs: readTensor(root.inputs, { shape: [B, F, nIn], field: "inputs" }),
    lengths: Int32Array.from(lengths),
  };
  checkSequenceBatch(net, batch);
  const loss = object(root.loss, "loss");
  known(loss, "loss", ["type", "labels"]);
  if (loss.type !== "ce_frames") {
    fail(`loss.type must be "ce_frames", got ${describe(loss.type)}`, true);
  }
  const labels = readTensor(loss.labels, { shape: [B, F], field: "loss.labels" });
  for (let b = 0; b < B; b++) {
    for (let f = 0; f < batch.lengths![b]; f++) {
      const l = labels[b * F + f];
      if (!Number.isInteger(l) || l < 0 || l >= nOut) {
        fail(`loss.labels[${b}][${f}] must be an integer in [0, ${nOut - 1}], got ${l}`, true);
      }
    }
  }
  const objective: NetworkObjective = {
    losses: [{
      type: "ce_frames",
      labels: Int32Array.from(labels, (l) => Number.isInteger(l) ? l : 0),
    }],
  };
  if (root.regularization !== undefined) {
    const reg = object(root.regularization, "regularization");
    known(reg, "regularization", ["c", "f_target"]);
    const c = num(reg.c, "regularization.c");
    const f = num(reg.f_target, "regularization.f_target");
    if (c < 0) fail(`regularization.c must be >= 0, got ${c}`, true);
    if (f < 0) fail(`regularization.f_target must be >= 0, got ${f}`, true);
    objective.regularization = { type: "simple", c, fTarget: f };
  }
  if (root.l2 !== undefined) {
    const l2 = num(root.l2, "l2");
    if (l2 < 0) fail(`l2 must be >= 0, got ${l2}`, true);
    objective.l2 = l2;
  }
  resolveNetworkObjective(net, objective);
  return { net, params, batch, objective };
}

/**
 * Computes a case's result: BPTT, symmetric e-prop and eq. (1).
 *
 * @param backend A backend built for the case's network and parameters.
 * @param c The case.
 * @param options e-prop form and implementation.
 * @returns The result object of NETWORK_CASE.md.
 */
export function runNetworkCase(
  backend: NetworkBackend,
  c: NetworkCase,
  options: Pick<NetworkGradientOptions, "form" | "implementation"> = {},
): NetworkCaseResult {
  const bptt = backend.gradients(c.batch, c.objective, { method: "bptt" });
  const eprop = backend.gradients(c.batch, c.objective, { method: "eprop", ...options });
  const eq1 = backend.gradients(c.batch, c.objective, { method: "eq1" });
  const layers = (g: NetworkParams) =>
    g.layers.map((l) => {
      const pop = (p: PopulationParams) => ({
        w_in: matrixToRows(p.wIn),
        w_rec: matrixToRows(p.wRec),
      });
      return l.backward
        ? { forward: pop(l.forward), backward: pop(l.backward) }
        : { forward: pop(l.forward) };
    });
  const full = (g: NetworkParams) => ({
    layers: layers(g),
    w_out: matrixToRows(g.heads[0].wOut),
    ...(g.heads[0].bOut ? { b_out: Array.from(g.heads[0].bOut) } : {}),
  });
  return {
    loss: bptt.loss,
    spikes: bptt.spikes,
    bptt: full(bptt.grads),
    eprop: full(eprop.grads),
    eq1: { layers: layers(eq1.grads) },
  };
}

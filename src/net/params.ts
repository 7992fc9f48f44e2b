/**
 * The parameter tree of a network: per layer the input and recurrent weights of each population,
 * per head its readout weights and bias. Gradients have the same shape. Optimizers, the L2 term
 * and checkpoints walk the tree's leaves ({@linkcode paramLeaves}) instead of naming matrices.
 *
 * @module
 */
import type { ResolvedLayer, ResolvedNetwork } from "./network.ts";
import { glorotUniformMatrix, type Matrix, normalMatrix, zeroMatrix } from "../model/weights.ts";
import type { Rng } from "../util/rng.ts";
import { checkFiniteArray, describe } from "../util/errors.ts";

/** Weights of one population (pre x post). */
export interface PopulationParams {
  /** w_in, nIn x nRec. */
  wIn: Matrix;
  /** w_rec, nRec x nRec; the diagonal is ignored (no autapses). */
  wRec: Matrix;
  /** Bias of a population that has one (the LSTM's gates; LSNN populations have none). */
  bias?: Float64Array;
}

/** Weights of one layer. */
export interface LayerParams {
  /** The forward population. */
  forward: PopulationParams;
  /** The backward population, for a bidirectional layer. */
  backward?: PopulationParams;
}

/** Weights of one head. */
export interface HeadParams {
  /** w_out, nFeat x nOut. */
  wOut: Matrix;
  /** Bias, when the head has one. */
  bOut?: Float64Array;
}

/** All parameters (or gradients) of a network. */
export interface NetworkParams {
  /** One entry per layer. */
  layers: LayerParams[];
  /** One entry per head. */
  heads: HeadParams[];
}

/** One leaf of a parameter tree. */
export interface ParamLeaf {
  /** Path, e.g. "layers[0].backward.wRec" or "heads[1].bOut". */
  path: string;
  /** Its values (shared with the tree). */
  data: Float64Array;
  /** Whether it is a recurrent matrix (diagonal excluded from L2 and gradients). */
  recurrent?: number;
}

/**
 * Finds one population's weights in a parameter tree.
 *
 * @param net The network.
 * @param p A parameter tree.
 * @returns The population parameters of population `index` of `net.populations`.
 */
export function populationParams(
  net: ResolvedNetwork,
  p: NetworkParams,
  index: number,
): PopulationParams {
  const pop = net.populations[index];
  const layer = p.layers[pop.layer];
  return pop.direction === "forward" ? layer.forward : layer.backward!;
}

/** A conv layer has no place in a network parameter tree: its parameters are SpikingConvParams. */
function refuseConv(action: string, layer: ResolvedLayer, l: number): void {
  if (layer.kind === "conv") {
    throw new RangeError(
      `Cannot ${action}: layers[${l}].kind "conv" has no network parameter tree (its filters are SpikingConvParams: initSpikingConvParams)`,
    );
  }
}

/**
 * Draws initial weights: per LSNN layer w_in N(0,1)/sqrt(nIn), w_rec N(0,1)/sqrt(nRec) (zero
 * diagonal); per LSTM layer and direction w_in [nIn][4H] then w_rec [H][4H] uniform in
 * +-1/sqrt(H), bias [4H] 1 for the forget gate and 0 otherwise (lstm_spec.ts); w_out
 * Glorot-uniform (or N(0,1)/sqrt(nFeat) with `readout: "normal"`), biases zero.
 *
 * @param net The network.
 * @param rng Random numbers.
 * @param options Readout initialiser.
 * @returns Fresh parameters.
 */
export function initNetworkParams(
  net: ResolvedNetwork,
  rng: Rng,
  options: { readout?: "glorot" | "normal" } = {},
): NetworkParams {
  const population = (nIn: number, nRec: number): PopulationParams => {
    const wIn = normalMatrix([nIn, nRec], rng);
    const wRec = normalMatrix([nRec, nRec], rng);
    for (let j = 0; j < nRec; j++) wRec.data[j * nRec + j] = 0;
    return { wIn, wRec };
  };
  const lstmDirection = (nIn: number, H: number): PopulationParams => {
    const G = 4 * H, r = 1 / Math.sqrt(H);
    const uniform = (rows: number, cols: number): Matrix => {
      const m = zeroMatrix(rows, cols);
      for (let k = 0; k < m.data.length; k++) m.data[k] = (2 * rng.uniform() - 1) * r;
      return m;
    };
    const wIn = uniform(nIn, G), wRec = uniform(H, G);
    const bias = new Float64Array(G);
    bias.fill(1, H, 2 * H);
    return { wIn, wRec, bias };
  };
  const layers = net.layers.map((layer, l) => {
    refuseConv("initialise network parameters", layer, l);
    if (layer.kind === "lstm") {
      const [f, b] = layer.units!;
      const out: LayerParams = { forward: lstmDirection(f.nIn, f.size) };
      if (b) out.backward = lstmDirection(b.nIn, b.size);
      return out;
    }
    const [f, b] = layer.populations;
    const out: LayerParams = { forward: population(f.nIn, f.nRec) };
    if (b) out.backward = population(b.nIn, b.nRec);
    return out;
  });
  const heads = net.heads.map((h): HeadParams => {
    const wOut = (options.readout ?? "glorot") === "glorot"
      ? glorotUniformMatrix([h.nFeat, h.nOut], rng)
      : normalMatrix([h.nFeat, h.nOut], rng);
    return h.bias ? { wOut, bOut: new Float64Array(h.nOut) } : { wOut };
  });
  return { layers, heads };
}

/**
 * Makes a parameter tree of zeros (e.g. for gradients).
 *
 * @param net The network.
 * @returns A tree of zeros with the network's shapes.
 */
export function zeroNetworkParams(net: ResolvedNetwork): NetworkParams {
  return {
    layers: net.layers.map((layer, l) => {
      refuseConv("make network parameters", layer, l);
      if (layer.kind === "lstm") {
        const G = 4 * layer.nHidden!;
        const dir = (u: { nIn: number; size: number }) => ({
          wIn: zeroMatrix(u.nIn, G),
          wRec: zeroMatrix(u.size, G),
          bias: new Float64Array(G),
        });
        const [f, b] = layer.units!;
        return b ? { forward: dir(f), backward: dir(b) } : { forward: dir(f) };
      }
      const [f, b] = layer.populations;
      const pop = (p: typeof f) => ({
        wIn: zeroMatrix(p.nIn, p.nRec),
        wRec: zeroMatrix(p.nRec, p.nRec),
      });
      return b ? { forward: pop(f), backward: pop(b) } : { forward: pop(f) };
    }),
    heads: net.heads.map((h) =>
      h.bias
        ? { wOut: zeroMatrix(h.nFeat, h.nOut), bOut: new Float64Array(h.nOut) }
        : { wOut: zeroMatrix(h.nFeat, h.nOut) }
    ),
  };
}

/**
 * Checks one weight matrix of a parameter tree: its shape and that every value is finite.
 *
 * @param action What failed, for the message ("set network parameters").
 * @param path The matrix's path, e.g. "layers[0].forward.wIn".
 * @param m The matrix.
 * @param rows Rows expected.
 * @param cols Columns expected.
 * @throws {TypeError|RangeError} Naming the path and what was expected.
 */
export function checkMatrixParam(
  action: string,
  path: string,
  m: Matrix | undefined,
  rows: number,
  cols: number,
): void {
  if (!m || typeof m !== "object" || m.rows !== rows || m.cols !== cols) {
    throw new TypeError(
      `Cannot ${action}: ${path} must be ${rows}x${cols}, got ${
        m && typeof m === "object" ? `${m.rows}x${m.cols}` : describe(m)
      }`,
    );
  }
  checkFiniteArray(action, path, m.data, rows * cols);
}

/**
 * Checks that parameters fit a network.
 *
 * @param net The network.
 * @param p The parameters.
 * @throws {TypeError} Naming the first leaf of the wrong shape or with a non-finite value.
 */
export function checkNetworkParams(net: ResolvedNetwork, p: NetworkParams): void {
  const action = "set network parameters";
  const matrix = (path: string, m: Matrix | undefined, rows: number, cols: number) =>
    checkMatrixParam(action, path, m, rows, cols);
  if (!p || !Array.isArray(p.layers) || p.layers.length !== net.layers.length) {
    throw new TypeError(
      `Cannot ${action}: layers must be an array of ${net.layers.length}, got ${
        describe(p?.layers)
      }`,
    );
  }
  if (!Array.isArray(p.heads) || p.heads.length !== net.heads.length) {
    throw new TypeError(
      `Cannot ${action}: heads must be an array of ${net.heads.length}, got ${describe(p?.heads)}`,
    );
  }
  for (const pop of net.populations) {
    const path = `layers[${pop.layer}].${pop.direction}`;
    const pp = pop.direction === "forward"
      ? p.layers[pop.layer]?.forward
      : p.layers[pop.layer]?.backward;
    if (!pp) throw new TypeError(`Cannot ${action}: ${path} is missing`);
    matrix(`${path}.wIn`, pp.wIn, pop.nIn, pop.nRec);
    matrix(`${path}.wRec`, pp.wRec, pop.nRec, pop.nRec);
    if (pp.bias !== undefined) {
      throw new TypeError(`Cannot ${action}: ${path}.bias given, but LSNN populations have none`);
    }
  }
  net.layers.forEach((layer, l) => {
    refuseConv(action, layer, l);
    for (const u of layer.kind === "lstm" ? layer.units! : []) {
      const path = `layers[${l}].${u.direction}`, G = 4 * u.size;
      const pp = p.layers[l]?.[u.direction];
      if (!pp) throw new TypeError(`Cannot ${action}: ${path} is missing`);
      matrix(`${path}.wIn`, pp.wIn, u.nIn, G);
      matrix(`${path}.wRec`, pp.wRec, u.size, G);
      checkFiniteArray(action, `${path}.bias`, pp.bias, G);
    }
    if (!layer.bidirectional && p.layers[l].backward !== undefined) {
      throw new TypeError(
        `Cannot ${action}: layers[${l}].backward given, but layer ${l} is not bidirectional`,
      );
    }
  });
  net.heads.forEach((h, i) => {
    matrix(`heads[${i}].wOut`, p.heads[i]?.wOut, h.nFeat, h.nOut);
    if (h.bias) checkFiniteArray(action, `heads[${i}].bOut`, p.heads[i].bOut, h.nOut);
    else if (p.heads[i].bOut !== undefined) {
      throw new TypeError(`Cannot ${action}: heads[${i}].bOut given, but the head has no bias`);
    }
  });
}

/**
 * Lists the leaves of a parameter tree.
 *
 * @param p A parameter tree.
 * @returns Its leaves in a fixed order (layers bottom-up, forward before backward, w_in before
 *   w_rec; then heads, w_out before b_out), sharing the tree's arrays.
 */
export function paramLeaves(p: NetworkParams): ParamLeaf[] {
  const out: ParamLeaf[] = [];
  p.layers.forEach((layer, l) => {
    for (const dir of ["forward", "backward"] as const) {
      const pp = layer[dir];
      if (!pp) continue;
      out.push({ path: `layers[${l}].${dir}.wIn`, data: pp.wIn.data });
      out.push(
        pp.wRec.rows === pp.wRec.cols
          ? { path: `layers[${l}].${dir}.wRec`, data: pp.wRec.data, recurrent: pp.wRec.rows }
          : { path: `layers[${l}].${dir}.wRec`, data: pp.wRec.data },
      );
      if (pp.bias) out.push({ path: `layers[${l}].${dir}.bias`, data: pp.bias });
    }
  });
  p.heads.forEach((h, i) => {
    out.push({ path: `heads[${i}].wOut`, data: h.wOut.data });
    if (h.bOut) out.push({ path: `heads[${i}].bOut`, data: h.bOut });
  });
  return out;
}

/** A parameter tree's shape with something else at its leaves (see {@linkcode mapParamTree}). */
export interface ParamTreeOf<T> {
  /** One entry per layer: each population's matrices (and bias) as leaves. */
  layers: {
    forward: ParamPopulationOf<T>;
    backward?: ParamPopulationOf<T>;
  }[];
  /** One entry per head. */
  heads: { wOut: ParamMatrixOf<T>; bOut?: T }[];
}

/** A matrix leaf's shape with `T` for its data. */
export interface ParamMatrixOf<T> {
  /** Rows. */
  rows: number;
  /** Columns. */
  cols: number;
  /** The mapped data. */
  data: T;
}

/** A population's leaves with `T` for their data. */
export interface ParamPopulationOf<T> {
  /** w_in. */
  wIn: ParamMatrixOf<T>;
  /** w_rec. */
  wRec: ParamMatrixOf<T>;
  /** Bias, when the population has one. */
  bias?: T;
}

/**
 * Maps every leaf of a parameter tree, keeping its shape: the one walk that copies, serialises
 * and zips trees (optimizers, L2 and workers walk the same leaves through
 * {@linkcode paramLeaves}, in the same order and with the same paths).
 *
 * @param p A parameter tree.
 * @param f Called with each leaf's data and path (as {@linkcode paramLeaves} names it).
 * @returns The tree of results.
 */
export function mapParamTree<T>(
  p: NetworkParams,
  f: (data: Float64Array, path: string) => T,
): ParamTreeOf<T> {
  const m = (x: Matrix, path: string): ParamMatrixOf<T> => ({
    rows: x.rows,
    cols: x.cols,
    data: f(x.data, path),
  });
  const pop = (x: PopulationParams, path: string): ParamPopulationOf<T> =>
    x.bias
      ? {
        wIn: m(x.wIn, `${path}.wIn`),
        wRec: m(x.wRec, `${path}.wRec`),
        bias: f(x.bias, `${path}.bias`),
      }
      : { wIn: m(x.wIn, `${path}.wIn`), wRec: m(x.wRec, `${path}.wRec`) };
  return {
    layers: p.layers.map((l, i) =>
      l.backward
        ? {
          forward: pop(l.forward, `layers[${i}].forward`),
          backward: pop(l.backward, `layers[${i}].backward`),
        }
        : { forward: pop(l.forward, `layers[${i}].forward`) }
    ),
    heads: p.heads.map((h, i) =>
      h.bOut
        ? { wOut: m(h.wOut, `heads[${i}].wOut`), bOut: f(h.bOut, `heads[${i}].bOut`) }
        : { wOut: m(h.wOut, `heads[${i}].wOut`) }
    ),
  };
}

/**
 * Deep-copies a parameter tree.
 *
 * @param p A parameter tree.
 * @returns A deep copy.
 */
export function copyNetworkParams(p: NetworkParams): NetworkParams {
  return mapParamTree(p, (data) => Float64Array.from(data));
}

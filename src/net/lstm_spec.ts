/**
 * The LSTM layer's definition (the model layer; the Fig. 2 baseline): its shape, the parameter
 * tree's layout (`layers[0].forward`/`.backward`: `wIn` [nIn][4H], `wRec` [H][4H], `bias` [4H],
 * gates packed as [i | f | g | o]; `heads[0]`: `wOut` [dirs H][nOut], `bOut` [nOut]), its
 * initialisation and checks. The engines run it (engine/wasm/lstm_network.ts).
 *
 * @module
 */
import type { Matrix } from "../model/weights.ts";
import { glorotUniformMatrix, zeroMatrix } from "../model/weights.ts";
import type { Rng } from "../util/rng.ts";
import { checkFiniteArray, describe } from "../util/errors.ts";
import { checkMatrixParam, type NetworkParams, type PopulationParams } from "./params.ts";

/** Shape of an LSTM network. */
export interface LstmSpec {
  /** Inputs per frame. */
  nIn: number;
  /** LSTM units per direction (H). */
  nHidden: number;
  /** Readout outputs (classes). */
  nOut: number;
  /** Whether a backward direction reads the reversed sequence (default true). */
  bidirectional?: boolean;
}

/** What the trainer sees of the network: one head reading every direction's hidden state. */
export interface LstmHeads {
  /** The one head: nFeat = directions x H features, nOut outputs. */
  readonly heads: readonly [{ readonly nFeat: number; readonly nOut: number }];
}

/**
 * Checks an LSTM's shape and fills its defaults.
 * @param spec The shape.
 * @returns It, resolved.
 * @throws {RangeError} Naming the first size that is not an integer >= 1.
 */
export function resolveLstmSpec(spec: LstmSpec): Required<LstmSpec> {
  const action = "create LSTM";
  for (const field of ["nIn", "nHidden", "nOut"] as const) {
    const v = spec?.[field];
    if (!Number.isInteger(v) || v < 1) {
      throw new RangeError(
        `Cannot ${action}: ${field} must be an integer >= 1, got ${describe(v)}`,
      );
    }
  }
  return { ...spec, bidirectional: spec.bidirectional ?? true };
}

/**
 * Initial parameters: gate weights uniform in +-1/sqrt(H), forget-gate bias 1 (other biases 0),
 * readout Glorot-uniform with zero bias.
 * @param spec The shape.
 * @param rng Draws.
 * @returns The parameter tree.
 */
export function initLstmParams(spec: LstmSpec, rng: Rng): NetworkParams {
  const s = resolveLstmSpec(spec), H = s.nHidden, G = 4 * H, r = 1 / Math.sqrt(H);
  const uniform = (rows: number, cols: number): Matrix => {
    const m = zeroMatrix(rows, cols);
    for (let k = 0; k < m.data.length; k++) m.data[k] = (2 * rng.uniform() - 1) * r;
    return m;
  };
  const direction = (): PopulationParams => {
    const bias = new Float64Array(G);
    bias.fill(1, H, 2 * H);
    return { wIn: uniform(s.nIn, G), wRec: uniform(H, G), bias };
  };
  const forward = direction();
  const layer = s.bidirectional ? { forward, backward: direction() } : { forward };
  const dirs = s.bidirectional ? 2 : 1;
  return {
    layers: [layer],
    heads: [{
      wOut: glorotUniformMatrix([dirs * H, s.nOut], rng),
      bOut: new Float64Array(s.nOut),
    }],
  };
}

/**
 * Checks a parameter tree against an LSTM's shape.
 * @param spec The shape.
 * @param p The tree.
 * @throws {TypeError} Naming the first field of the wrong shape or with a non-finite value.
 */
export function checkLstmParams(spec: LstmSpec, p: NetworkParams): void {
  const s = resolveLstmSpec(spec), H = s.nHidden, G = 4 * H;
  const action = "set LSTM parameters";
  const matrix = (path: string, m: Matrix | undefined, rows: number, cols: number) =>
    checkMatrixParam(action, path, m, rows, cols);
  if (!p || !Array.isArray(p.layers) || p.layers.length !== 1) {
    throw new TypeError(
      `Cannot ${action}: layers must be an array of 1, got ${describe(p?.layers)}`,
    );
  }
  const dirs = s.bidirectional ? ["forward", "backward"] as const : ["forward"] as const;
  if (!s.bidirectional && p.layers[0].backward !== undefined) {
    throw new TypeError(`Cannot ${action}: layers[0].backward given, but the LSTM is one-way`);
  }
  for (const d of dirs) {
    const pp = p.layers[0][d];
    if (!pp) throw new TypeError(`Cannot ${action}: layers[0].${d} is missing`);
    matrix(`layers[0].${d}.wIn`, pp.wIn, s.nIn, G);
    matrix(`layers[0].${d}.wRec`, pp.wRec, H, G);
    checkFiniteArray(action, `layers[0].${d}.bias`, pp.bias, G);
  }
  if (!Array.isArray(p.heads) || p.heads.length !== 1) {
    throw new TypeError(`Cannot ${action}: heads must be an array of 1, got ${describe(p?.heads)}`);
  }
  matrix("heads[0].wOut", p.heads[0].wOut, dirs.length * H, s.nOut);
  checkFiniteArray(action, "heads[0].bOut", p.heads[0].bOut, s.nOut);
}

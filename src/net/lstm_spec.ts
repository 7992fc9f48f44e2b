/**
 * The LSTM network's definition (the model layer; the Fig. 2 baseline): its shape, the parameter
 * tree's layout (`layers[0].forward`/`.backward`: `wIn` [nIn][4H], `wRec` [H][4H], `bias` [4H],
 * gates packed as [i | f | g | o]; `heads[0]`: `wOut` [dirs H][nOut], `bOut` [nOut]), its
 * initialisation and checks. The engines run it (engine/wasm/lstm_network.ts).
 *
 * An {@linkcode LstmSpec} is a view of a {@linkcode NetworkSpec} with one layer of kind "lstm"
 * and one unfiltered head with a bias ({@linkcode lstmNetworkSpec}, {@linkcode lstmSpecOf}):
 * the factory's `createNetworkBackend` runs such a network on the LSTM engine.
 *
 * @module
 */
import type { Rng } from "../util/rng.ts";
import { checkFiniteArray, describe } from "../util/errors.ts";
import type { Matrix } from "../model/weights.ts";
import { checkMatrixParam, initNetworkParams, type NetworkParams } from "./params.ts";
import { layerKind, type NetworkSpec, type ResolvedNetwork, resolveNetwork } from "./network.ts";

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

/** Options of {@linkcode lstmNetworkSpec}. */
export interface LstmNetworkSpecOptions {
  /** The head's name (default "head0"). */
  headName?: string;
}

/**
 * The network an LSTM shape describes: one layer of kind "lstm" and one head reading it per
 * frame without filter (tauOut 0: y_t = h_t w_out + b), with a bias.
 *
 * @param spec The shape.
 * @param options The head's name.
 * @returns The network spec.
 *
 * @example
 * ```ts
 * import { lstmNetworkSpec } from "./lstm_spec.ts";
 * import assert from "node:assert/strict";
 * const net = lstmNetworkSpec({ nIn: 39, nHidden: 200, nOut: 61 });
 * assert.deepEqual(net.layers, [{ kind: "lstm", nHidden: 200, bidirectional: true }]);
 * ```
 */
export function lstmNetworkSpec(
  spec: LstmSpec,
  options: LstmNetworkSpecOptions = {},
): NetworkSpec {
  const s = resolveLstmSpec(spec);
  return {
    nIn: s.nIn,
    dtMs: 1,
    repeat: 1,
    layers: [{ kind: "lstm", nHidden: s.nHidden, bidirectional: s.bidirectional }],
    heads: [{
      name: options.headName ?? "head0",
      nOut: s.nOut,
      from: "last",
      pool: "none",
      tauOut: 0,
      filter: "normalized",
      bias: true,
    }],
  };
}

/**
 * The LSTM shape of a network that the LSTM engine runs: exactly one layer, of kind "lstm", and
 * one head with a bias and no filter (tauOut 0, pool "none"), repeat 1.
 *
 * @param net The network, as a spec or resolved.
 * @returns Its LSTM shape.
 * @throws {TypeError|RangeError} Naming the field that keeps it from being an LSTM network.
 */
export function lstmSpecOf(net: NetworkSpec | ResolvedNetwork): Required<LstmSpec> {
  const r = "populations" in net ? net : resolveNetwork(net);
  const action = "run network on engine wasm (LSTM)";
  if (r.layers.length !== 1 || layerKind(r.layers[0]) !== "lstm") {
    const k = r.layers.map(layerKind);
    throw new RangeError(
      `Cannot ${action}: it runs one layer of kind "lstm", got layers of kinds [${
        k.map((x) => `"${x}"`).join(", ")
      }]${k.includes("lstm") ? " (mixed or stacked LSTM networks are not run)" : ""}`,
    );
  }
  if (r.repeat !== 1) {
    throw new RangeError(
      `Cannot ${action}: repeat must be 1 (one step per frame), got ${r.repeat}`,
    );
  }
  if (r.heads.length !== 1) {
    throw new RangeError(`Cannot ${action}: heads must hold one head, got ${r.heads.length}`);
  }
  const h = r.heads[0];
  if (h.pool !== "none" || h.kappa !== 0 || !h.bias) {
    throw new RangeError(
      `Cannot ${action}: heads[0] must be the LSTM's per-frame linear readout (pool "none", tauOut 0, bias true), got pool "${h.pool}", tauOut ${h.spec.tauOut}, bias ${h.bias}`,
    );
  }
  const layer = r.layers[0];
  return {
    nIn: r.nIn,
    nHidden: layer.nHidden!,
    nOut: h.nOut,
    bidirectional: layer.bidirectional,
  };
}

/**
 * Initial parameters: gate weights uniform in +-1/sqrt(H), forget-gate bias 1 (other biases 0),
 * readout Glorot-uniform with zero bias: those of the network {@linkcode lstmNetworkSpec}
 * describes (`initNetworkParams`, the one definition).
 * @param spec The shape.
 * @param rng Draws.
 * @returns The parameter tree.
 */
export function initLstmParams(spec: LstmSpec, rng: Rng): NetworkParams {
  return initNetworkParams(resolveNetwork(lstmNetworkSpec(spec)), rng);
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

/**
 * The paper's networks as {@linkcode NetworkSpec}s (plain data, no engines): Fig. 3 and Fig. S7
 * (the single-population presets of model/presets.ts as composed specs), Fig. 2's LSNN and LSTM,
 * and the Atari agent (Figs. 4-5) as conv stages + LSNN + heads.
 *
 * They live here, beside the network spec, and not in model/presets.ts: net/ imports model/
 * (the neuron fields, the weights), so a model/ module importing the network spec would close an
 * import cycle between the two folders, which tests/architecture_test.ts forbids.
 *
 * @module
 */
import type { ResolvedNetworkConfig } from "../model/config.ts";
import { resolveNetworkConfig } from "../model/config.ts";
import {
  fig3Network,
  type Fig3NetworkOptions,
  figS7Network,
  type FigS7NetworkOptions,
} from "../model/presets.ts";
import type { NetworkSpec } from "./network.ts";
import { lstmNetworkSpec } from "./lstm_spec.ts";
import type { ResolvedAgentSpec } from "./agent_spec.ts";

/**
 * A single-population network (model/config.ts) as a composed spec: one forward LSNN layer and
 * one per-step head named "readout".
 *
 * @param config The resolved single-population network.
 * @returns The same network as a composed spec.
 *
 * @example
 * ```ts
 * import { singlePopulationNetworkSpec } from "./presets.ts";
 * import { resolveNetworkConfig } from "../model/config.ts";
 * import assert from "node:assert/strict";
 * const spec = singlePopulationNetworkSpec(
 *   resolveNetworkConfig({ neuron: { nIn: 2, nRec: 3 }, readout: { nOut: 1 } }),
 * );
 * assert.equal(spec.heads[0].name, "readout");
 * ```
 */
export function singlePopulationNetworkSpec(config: ResolvedNetworkConfig): NetworkSpec {
  const { neuron: n, readout: r } = config;
  return {
    nIn: n.nIn,
    dtMs: n.dtMs,
    repeat: 1,
    layers: [{
      neuron: {
        nRec: n.nRec,
        tauMMs: n.tauMMs,
        tauAMs: n.tauAMs,
        thr: n.thr,
        beta: n.beta,
        dampening: n.dampening,
        nRef: n.nRef,
        inputScaling: n.inputScaling,
      },
    }],
    heads: [{
      name: "readout",
      nOut: r.nOut,
      pool: "none",
      tauOut: r.tauOutMs,
      filter: r.filter,
      bias: r.bias,
    }],
  };
}

/**
 * The Fig. 3 evidence-accumulation network (model/presets.ts `fig3Network`) as a spec.
 *
 * @param options Overrides of the paper's values.
 * @returns The spec: 40 inputs, 50 LIF + 50 ALIF, two outputs.
 *
 * @example
 * ```ts
 * import { fig3NetworkSpec } from "./presets.ts";
 * import { resolveNetwork } from "./network.ts";
 * import assert from "node:assert/strict";
 * const net = resolveNetwork(fig3NetworkSpec());
 * assert.equal(net.populations[0].nRec, 100);
 * assert.equal(net.heads[0].nOut, 2);
 * ```
 */
export function fig3NetworkSpec(options: Fig3NetworkOptions = {}): NetworkSpec {
  return singlePopulationNetworkSpec(resolveNetworkConfig(fig3Network(options)));
}

/**
 * The Fig. S7 pattern-generation network (model/presets.ts `figS7Network`) as a spec.
 *
 * @param options Overrides of the paper's values.
 * @returns The spec: 100 inputs, 100 LIF with leaky input scaling, one output.
 *
 * @example
 * ```ts
 * import { figS7NetworkSpec } from "./presets.ts";
 * import { resolveNetwork } from "./network.ts";
 * import assert from "node:assert/strict";
 * const net = resolveNetwork(figS7NetworkSpec());
 * assert.equal(net.populations[0].consts.s, 1 - Math.exp(-1 / 30));
 * ```
 */
export function figS7NetworkSpec(options: FigS7NetworkOptions = {}): NetworkSpec {
  return singlePopulationNetworkSpec(resolveNetworkConfig(figS7Network(options)));
}

/** Options of {@linkcode fig2LsnnNetwork}; defaults are the `fig2` command's. */
export interface Fig2LsnnOptions {
  /** Features per frame (default 123, the paper's filter bank with deltas). */
  nIn?: number;
  /** LIF per direction (default 300). */
  nRegular?: number;
  /** ALIF per direction (default 100). */
  nAdaptive?: number;
  /** Bidirectional layers (default 1). */
  nLayers?: number;
  /** Membrane time constant in ms (default 20). */
  tauMMs?: number;
  /** Adaptation time constant in ms (default 200). */
  tauAMs?: number;
  /** Threshold (default 0.205). */
  thr?: number;
  /** Adaptation strength of the ALIF neurons (default 0.184). */
  beta?: number;
  /** Dampening factor (default 0.3). */
  dampening?: number;
  /** Refractory steps (default 2). */
  nRef?: number;
  /** Steps per frame (default 5). */
  repeat?: number;
  /** Readout time constant in frames (default 3). */
  tauOut?: number;
}

/**
 * The Fig. 2 LSNN (TIMIT frame-wise phone classification): bidirectional layers of LIF then ALIF
 * neurons, each frame shown for `repeat` steps, one head "phones" of 61 classes per frame
 * (frame-mean pooling, the paper's filter, with bias). The `fig2` command builds it from here.
 *
 * @param options Overrides of the command's defaults.
 * @returns The spec.
 *
 * @example
 * ```ts
 * import { fig2LsnnNetwork } from "./presets.ts";
 * import { resolveNetwork } from "./network.ts";
 * import assert from "node:assert/strict";
 * const net = resolveNetwork(fig2LsnnNetwork());
 * assert.equal(net.populations.length, 2);
 * assert.equal(net.heads[0].nFeat, 800);
 * ```
 */
export function fig2LsnnNetwork(options: Fig2LsnnOptions = {}): NetworkSpec {
  const nReg = options.nRegular ?? 300, nAd = options.nAdaptive ?? 100;
  const b = options.beta ?? 0.184;
  const neuron = {
    nRec: nReg + nAd,
    tauMMs: options.tauMMs ?? 20,
    tauAMs: options.tauAMs ?? 200,
    thr: options.thr ?? 0.205,
    beta: Array.from({ length: nReg + nAd }, (_, j) => (j < nReg ? 0 : b)),
    dampening: options.dampening ?? 0.3,
    nRef: options.nRef ?? 2,
  };
  return {
    nIn: options.nIn ?? 123,
    repeat: options.repeat ?? 5,
    layers: Array.from({ length: options.nLayers ?? 1 }, () => ({ neuron, bidirectional: true })),
    heads: [{
      name: "phones",
      nOut: 61,
      pool: "frame_mean",
      tauOut: options.tauOut ?? 3,
      filter: "paper",
      bias: true,
    }],
  };
}

/** Options of {@linkcode fig2LstmNetwork}. */
export interface Fig2LstmOptions {
  /** Features per frame (default 123). */
  nIn?: number;
  /** LSTM units per direction (default 200). */
  nHidden?: number;
}

/**
 * The Fig. 2 LSTM baseline: one bidirectional LSTM layer and a per-frame linear readout "phones"
 * of 61 classes with bias (tauOut 0: no filter). `createNetworkBackend` runs it on the LSTM
 * engine; the `fig2 --model lstm` command builds it from here.
 *
 * @param options Inputs and units.
 * @returns The spec.
 *
 * @example
 * ```ts
 * import { fig2LstmNetwork } from "./presets.ts";
 * import { resolveNetwork } from "./network.ts";
 * import assert from "node:assert/strict";
 * const net = resolveNetwork(fig2LstmNetwork({ nHidden: 8 }));
 * assert.equal(net.layers[0].kind, "lstm");
 * assert.equal(net.heads[0].nFeat, 16);
 * ```
 */
export function fig2LstmNetwork(options: Fig2LstmOptions = {}): NetworkSpec {
  return lstmNetworkSpec(
    { nIn: options.nIn ?? 123, nHidden: options.nHidden ?? 200, nOut: 61, bidirectional: true },
    { headName: "phones" },
  );
}

/**
 * The Atari agent (Figs. 4-5) as a network spec: layer 0 the spiking conv front end over the
 * frames (nIn = frameSize^2 grey pixels, each frame for stepsPerFrame steps, its stages' biases
 * as the agent's), reading out its stages' spikes average-pooled as the agent's heads do
 * (`headPools`: headWidth = nPooled); layer 1 the LSNN of nLif LIF then nAlif ALIF neurons on
 * the last stage's spikes; heads "policy" (numActions logits) and "value" (1) reading all
 * features through the low-pass filter at each frame's last step (pool "frame_last", tauOut in
 * steps). It describes the shapes of `resolveAgentSpec`; the agent does not run from it yet.
 * The heads' feature rows are in layer order, the pooled conv features first, then the LSNN's
 * (the agent's `wPi`/`wV` put the LSNN's rows first).
 *
 * @param spec The agent's resolved spec.
 * @returns The network spec.
 *
 * @example The paper's agent
 * ```ts
 * import { agentNetworkSpec } from "./presets.ts";
 * import { resolveAgentSpec } from "./agent_spec.ts";
 * import { resolveNetwork } from "./network.ts";
 * import assert from "node:assert/strict";
 * const agent = resolveAgentSpec();
 * const net = resolveNetwork(agentNetworkSpec(agent));
 * assert.equal(net.populations[0].nIn, agent.nIn);
 * assert.equal(net.heads[0].nFeat, agent.nFeatures);
 * ```
 */
export function agentNetworkSpec(spec: ResolvedAgentSpec): NetworkSpec {
  return {
    nIn: spec.frameSize * spec.frameSize,
    dtMs: 1,
    repeat: spec.stepsPerFrame,
    layers: [
      {
        kind: "conv",
        conv: {
          height: spec.frameSize,
          width: spec.frameSize,
          channels: 1,
          layers: spec.convLayers.map(({ filters, kernel, stride, bias }) => ({
            filters,
            kernel,
            stride,
            bias,
          })),
          thr: spec.convThr,
          tauMMs: spec.convTauM,
          dampening: spec.convDampening,
        },
        headPools: spec.headPools.map(({ layer, kernel, stride }) => ({ layer, kernel, stride })),
      },
      {
        neuron: {
          nRec: spec.n,
          tauMMs: spec.tauM,
          tauAMs: spec.tauA,
          thr: spec.thr,
          beta: Array.from({ length: spec.n }, (_, j) => (j < spec.nLif ? 0 : spec.beta)),
          dampening: spec.dampening,
          nRef: spec.nRef,
        },
      },
    ],
    heads: ["policy", "value"].map((name) => ({
      name,
      nOut: name === "policy" ? spec.numActions : 1,
      from: "all" as const,
      pool: "frame_last" as const,
      tauOut: spec.tauOut,
      filter: "normalized" as const,
      bias: true,
    })),
  };
}

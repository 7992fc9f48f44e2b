/**
 * The recorded unroll that the agent's autodiff reference (./agent_graph.ts) takes, its checks,
 * and the recorded forward run whose spikes the reference teacher-forces: AgentNetwork (LSNN in
 * float64, CNN on the WebAssembly core) and a SpikingConv of the same precision for the spikes
 * of every CNN layer, both reset where an episode ended.
 *
 * @module
 */
import { AgentNetwork } from "../../agent/agent_network.ts";
import type { AgentParams } from "../../net/agent_params.ts";
import type { ResolvedAgentSpec } from "../../net/agent_spec.ts";
import { SpikingConv } from "../wasm/spiking_conv.ts";
import type { SpikingConvState } from "../../net/spiking_conv_spec.ts";
import type { WasmSource } from "../wasm/module.ts";
import { describe } from "../../util/errors.ts";

/** An unroll of K agent steps of B episodes, all starting from the zero state. */
export interface AgentUnroll {
  /** Per step k, the observations fed to AgentNetwork.step: [B][frameSize][frameSize]. */
  frames: readonly ArrayLike<number>[];
  /** Per step, the actions taken [B] (integers in [0, numActions)). */
  actions: readonly ArrayLike<number>[];
  /** Per step, the (clipped) rewards [B]. */
  rewards: readonly ArrayLike<number>[];
  /** Per step, 1 where the episode ended after it (its state is reset before step k + 1). */
  ended: readonly ArrayLike<number>[];
  /** Value of the state after the unroll per episode [B] where it goes on (default: 0). */
  bootstrap?: ArrayLike<number>;
}

/** The checked unroll's sizes. */
export interface UnrollShape {
  /** Agent steps. */
  K: number;
  /** Episodes. */
  B: number;
}

const CHECK = "compute agent unroll gradient";

/**
 * Checks an unroll against a shape.
 * @param spec The agent's shape.
 * @param unroll The recorded data.
 * @returns K and B.
 * @throws {TypeError | RangeError} Naming the field, e.g. `unroll.actions[3][1]`.
 */
export function checkUnroll(spec: ResolvedAgentSpec, unroll: AgentUnroll): UnrollShape {
  if (typeof unroll !== "object" || unroll === null) {
    throw new TypeError(`Cannot ${CHECK}: unroll must be an object, got ${describe(unroll)}`);
  }
  const fields = ["frames", "actions", "rewards", "ended"] as const;
  for (const f of fields) {
    if (!Array.isArray(unroll[f]) || unroll[f].length < 1) {
      throw new TypeError(
        `Cannot ${CHECK}: unroll.${f} must be a non-empty array (one entry per step), got ${
          describe(unroll[f])
        }`,
      );
    }
  }
  const K = unroll.frames.length;
  const B = unroll.actions[0]?.length;
  if (!Number.isInteger(B) || B < 1) {
    throw new TypeError(`Cannot ${CHECK}: unroll.actions[0] must hold B >= 1 actions`);
  }
  const size = spec.frameSize * spec.frameSize;
  const sizes = { frames: B * size, actions: B, rewards: B, ended: B };
  for (const f of fields) {
    if (unroll[f].length !== K) {
      throw new RangeError(
        `Cannot ${CHECK}: unroll.${f} must have ${K} steps (as unroll.frames), got ${
          unroll[f].length
        }`,
      );
    }
    unroll[f].forEach((row, k) => checkRow(`unroll.${f}[${k}]`, row, sizes[f]));
  }
  unroll.actions.forEach((row, k) => {
    for (let b = 0; b < B; b++) {
      const a = row[b];
      if (!Number.isInteger(a) || a < 0 || a >= spec.numActions) {
        throw new RangeError(
          `Cannot ${CHECK}: unroll.actions[${k}][${b}] must be an integer in [0, ${
            spec.numActions - 1
          }], got ${a}`,
        );
      }
    }
  });
  if (unroll.bootstrap !== undefined) checkRow("unroll.bootstrap", unroll.bootstrap, B);
  return { K, B };
}

function checkRow(field: string, row: ArrayLike<number>, length: number): void {
  if (row === null || typeof row !== "object" || typeof row.length !== "number") {
    throw new TypeError(`Cannot ${CHECK}: ${field} must be an array of ${length} numbers`);
  }
  if (row.length !== length) {
    throw new RangeError(`Cannot ${CHECK}: ${field} must have length ${length}, got ${row.length}`);
  }
  for (let i = 0; i < length; i++) {
    if (typeof row[i] !== "number" || !Number.isFinite(row[i])) {
      throw new TypeError(`Cannot ${CHECK}: ${field}[${i}] must be a finite number, got ${row[i]}`);
    }
  }
}

/** The recorded forward run, time-major over the unroll's T = K x stepsPerFrame steps. */
export interface AgentTeacherRecord {
  /** Per CNN layer, spikes [T][B][h][w][c]. */
  conv: Float64Array[];
  /** LSNN spikes [T][B][n]. */
  z: Float64Array;
  /** Values V [K][B] (for diagnostics). */
  value: Float64Array;
}

/**
 * Runs the agent's forward pass over the unroll (episodes reset where they ended).
 * @param spec The agent's shape.
 * @param params The parameters.
 * @param unroll The checked unroll.
 * @param shape Its K and B.
 * @param options CNN precision and module.
 * @returns Every spike of the run.
 * @throws {Error} If the agent's CNN and the separate SpikingConv disagree (they must not).
 */
export async function recordAgentRun(
  spec: ResolvedAgentSpec,
  params: AgentParams,
  unroll: AgentUnroll,
  shape: UnrollShape,
  options: { precision: "f32" | "f64"; module?: WasmSource },
): Promise<AgentTeacherRecord> {
  const { K, B } = shape, S = spec.stepsPerFrame, n = spec.n, layers = spec.conv.layers;
  const net = await AgentNetwork.create(spec, B, params, options);
  const conv = await SpikingConv.create(spec.conv, {
    weights: layers.map((_, l) => params[`conv${l}`]),
  }, options);
  const out: AgentTeacherRecord = {
    conv: layers.map((l) => new Float64Array(K * S * B * l.units)),
    z: new Float64Array(K * S * B * n),
    value: new Float64Array(K * B),
  };
  let state: SpikingConvState | undefined;
  try {
    for (let k = 0; k < K; k++) {
      const rec = net.step(unroll.frames[k]);
      const pass = conv.forward(unroll.frames[k], B, 1, { state });
      layers.forEach((l, i) => out.conv[i].set(pass.spikes(i), k * S * B * l.units));
      const last = pass.spikes(layers.length - 1);
      if (last.some((v, i) => v !== rec.x[i])) {
        throw new Error("Cannot record agent run: the CNN's spikes differ from the agent's inputs");
      }
      state = pass.state();
      pass.release();
      out.z.set(rec.z, k * S * B * n);
      out.value.set(rec.value, k * B);
      const ended = unroll.ended[k];
      net.resetEpisodes(ended);
      for (let b = 0; b < B; b++) {
        if (!ended[b]) continue;
        layers.forEach((l, i) => {
          state!.v[i].fill(0, b * l.units, (b + 1) * l.units);
          state!.z[i].fill(0, b * l.units, (b + 1) * l.units);
        });
      }
    }
  } finally {
    net.dispose();
    conv.dispose();
  }
  return out;
}

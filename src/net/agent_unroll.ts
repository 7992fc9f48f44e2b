/**
 * A recorded unroll of the agent (frames, actions, rewards, episode ends), its checks, and the
 * record of a forward run over it (every spike), as the agent's autodiff reference
 * (engine/tfjs/agent_graph.ts) takes them; the run is recorded by the agent
 * (agent/agent_teacher.ts).
 *
 * @module
 */
import type { ResolvedAgentSpec } from "./agent_spec.ts";
import { describe } from "../util/errors.ts";

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

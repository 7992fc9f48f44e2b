/**
 * The objective of a composed network: one loss per head (or none, for a head that is only read),
 * a firing-rate regularizer over every LSNN population, and an L2 weight penalty.
 *
 * E = sum over heads of E_head + sum over populations of E_rate + l2 * (sum of squares of every
 * w_in, w_rec without its diagonal, w_out and b_out).
 *
 * @module
 */
import { createLoss, type LossSpec, type SequenceLoss } from "./losses.ts";
import type { ResolvedNetwork } from "./network.ts";
import { type RegularizationConfig, resolveRegularization } from "../model/objective.ts";
import { checkNumber, describe } from "../util/errors.ts";
import { type NetworkParams, paramLeaves } from "./params.ts";

/** Objective of a network. */
export interface NetworkObjective {
  /** One entry per head: its loss, or undefined for a head without one. */
  losses: (LossSpec | SequenceLoss | undefined)[];
  /** Firing-rate regularizer applied to every population (EPROP.md section 2). */
  regularization?: RegularizationConfig;
  /** L2 coefficient (default 0). */
  l2?: number;
}

/** A validated objective. */
export interface ResolvedNetworkObjective {
  /** Per head. */
  losses: (SequenceLoss | undefined)[];
  /** Regularizer, if any. */
  regularization?: Required<RegularizationConfig>;
  /** L2 coefficient. */
  l2: number;
}

/**
 * Validates an objective against a network.
 *
 * @param net The network.
 * @param objective The objective.
 * @returns It validated (the losses are checked against a batch later).
 * @throws {TypeError|RangeError} Naming the field.
 */
export function resolveNetworkObjective(
  net: ResolvedNetwork,
  objective: NetworkObjective,
): ResolvedNetworkObjective {
  const action = "evaluate objective";
  if (typeof objective !== "object" || objective === null || !Array.isArray(objective.losses)) {
    throw new TypeError(
      `Cannot ${action}: losses must be an array with one entry per head, got ${
        describe(objective?.losses)
      }`,
    );
  }
  if (objective.losses.length !== net.heads.length) {
    throw new TypeError(
      `Cannot ${action}: losses must have one entry per head (${net.heads.length}), got ${objective.losses.length}`,
    );
  }
  const losses = objective.losses.map((l, i) =>
    l === undefined ? undefined : createLoss(l, `losses[${i}]`)
  );
  if (losses.every((l) => l === undefined) && !objective.regularization) {
    throw new RangeError(`Cannot ${action}: no head has a loss and there is no regularizer`);
  }
  return {
    losses,
    regularization: objective.regularization
      ? resolveRegularization(objective.regularization)
      : undefined,
    l2: checkNumber(action, "l2", objective.l2 ?? 0, { min: 0 }),
  };
}

/**
 * The L2 term E_l2 = l2 * (sum of squares of every weight, w_rec without its diagonal), and, when
 * a gradient tree is given, its gradient 2 l2 W added to it.
 *
 * @param l2 The coefficient.
 * @param params The weights.
 * @param grads The gradients, changed in place (optional).
 * @returns E_l2.
 */
export function addL2(l2: number, params: NetworkParams, grads?: NetworkParams): number {
  if (l2 === 0) return 0;
  const g = grads ? paramLeaves(grads) : undefined;
  let loss = 0;
  paramLeaves(params).forEach((leaf, i) => {
    const n = leaf.recurrent;
    for (let k = 0; k < leaf.data.length; k++) {
      if (n !== undefined && Math.floor(k / n) === k % n) continue;
      loss += leaf.data[k] * leaf.data[k];
      if (g) g[i].data[k] += 2 * l2 * leaf.data[k];
    }
  });
  return l2 * loss;
}

/**
 * Optimizers (EPROP.md section 5): Adam exactly as TensorFlow 1's AdamOptimizer, and plain
 * gradient descent. Parameters and gradients are named float64 arrays updated in place; the
 * optimizer state can be saved and restored exactly.
 *
 * Adam (TF1): t += 1; lr_t = lr sqrt(1 - beta2^t) / (1 - beta1^t);
 *   m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2;  w -= lr_t m / (sqrt(v) + epsilon)
 * (bias correction folded into the step size; epsilon added to sqrt(v) uncorrected).
 *
 * @module
 */
import { checkChoice, checkNumber } from "../util/errors.ts";

export type { ParameterSet } from "../net/parameter_set.ts";
import type { ParameterSet } from "../net/parameter_set.ts";

/** Serializable optimizer state. */
export interface OptimizerState {
  /** Which optimizer. */
  kind: "adam" | "sgd";
  /** Steps taken. */
  t: number;
  /** Adam first moments, by parameter. */
  m?: Record<string, number[]>;
  /** Adam second moments, by parameter. */
  v?: Record<string, number[]>;
}

/** An optimizer. */
export interface Optimizer {
  /** Which optimizer. */
  readonly kind: "adam" | "sgd";
  /** Learning rate (may be changed between steps, e.g. for a ramp). */
  learningRate: number;
  /**
   * Applies one update in place.
   * @param params The parameters.
   * @param grads Their gradients (same names and lengths).
   */
  step(params: ParameterSet, grads: ParameterSet): void;
  /**
   * Saves the state.
   * @returns A copy of the state.
   */
  state(): OptimizerState;
  /** Restores a saved state. */
  restore(state: OptimizerState): void;
}

/** Options of {@linkcode createOptimizer}. */
export interface OptimizerOptions {
  /** Learning rate (> 0). */
  learningRate: number;
  /** Adam beta1 (default 0.9). */
  beta1?: number;
  /** Adam beta2 (default 0.999). */
  beta2?: number;
  /** Adam epsilon (default 1e-8). */
  epsilon?: number;
}

/**
 * Creates an optimizer.
 * @param kind "adam" or "sgd" (plain gradient descent).
 * @param options Learning rate and Adam constants.
 * @returns The optimizer.
 * @throws {RangeError} For an unknown kind or out-of-range constants.
 *
 * @example One Adam step moves each weight by about the learning rate
 * ```ts
 * import { createOptimizer } from "./optimizer.ts";
 * import assert from "node:assert/strict";
 * const adam = createOptimizer("adam", { learningRate: 0.1 });
 * const params = { w: Float64Array.of(1) };
 * adam.step(params, { w: Float64Array.of(3) });
 * assert.ok(Math.abs(params.w[0] - 0.9) < 1e-6);
 * ```
 */
export function createOptimizer(kind: "adam" | "sgd", options: OptimizerOptions): Optimizer {
  const action = "create optimizer";
  checkChoice(action, "kind", kind, ["adam", "sgd"]);
  const learningRate = checkNumber(action, "learningRate", options?.learningRate, {
    min: 0,
    exclusiveMin: true,
  });
  if (kind === "sgd") return new GradientDescent(learningRate);
  return new Adam(learningRate, {
    beta1: checkNumber(action, "beta1", options.beta1 ?? 0.9, { min: 0, max: 0.999999999 }),
    beta2: checkNumber(action, "beta2", options.beta2 ?? 0.999, { min: 0, max: 0.999999999 }),
    epsilon: checkNumber(action, "epsilon", options.epsilon ?? 1e-8, {
      min: 0,
      exclusiveMin: true,
    }),
  });
}

function checkShapes(params: ParameterSet, grads: ParameterSet): void {
  for (const name of Object.keys(params)) {
    const g = grads[name];
    if (!g || g.length !== params[name].length) {
      throw new TypeError(
        `Cannot apply optimizer: gradient ${name} must have length ${
          params[name].length
        }, got ${g?.length}`,
      );
    }
  }
}

class GradientDescent implements Optimizer {
  readonly kind = "sgd";
  learningRate: number;
  #t = 0;

  constructor(learningRate: number) {
    this.learningRate = learningRate;
  }

  step(params: ParameterSet, grads: ParameterSet): void {
    checkShapes(params, grads);
    for (const [name, w] of Object.entries(params)) {
      const g = grads[name];
      for (let i = 0; i < w.length; i++) w[i] -= this.learningRate * g[i];
    }
    this.#t++;
  }

  state(): OptimizerState {
    return { kind: "sgd", t: this.#t };
  }

  restore(state: OptimizerState): void {
    if (state.kind !== "sgd") {
      throw new TypeError(`Cannot restore optimizer: expected sgd state, got ${state.kind}`);
    }
    this.#t = state.t;
  }
}

class Adam implements Optimizer {
  readonly kind = "adam";
  learningRate: number;
  readonly #beta1: number;
  readonly #beta2: number;
  readonly #epsilon: number;
  #t = 0;
  #m = new Map<string, Float64Array>();
  #v = new Map<string, Float64Array>();

  constructor(learningRate: number, c: { beta1: number; beta2: number; epsilon: number }) {
    this.learningRate = learningRate;
    this.#beta1 = c.beta1;
    this.#beta2 = c.beta2;
    this.#epsilon = c.epsilon;
  }

  step(params: ParameterSet, grads: ParameterSet): void {
    checkShapes(params, grads);
    this.#t++;
    const t = this.#t;
    const b1 = this.#beta1, b2 = this.#beta2;
    const lrT = this.learningRate * Math.sqrt(1 - b2 ** t) / (1 - b1 ** t);
    for (const [name, w] of Object.entries(params)) {
      const g = grads[name];
      let m = this.#m.get(name), v = this.#v.get(name);
      if (!m || !v) {
        m = new Float64Array(w.length);
        v = new Float64Array(w.length);
        this.#m.set(name, m);
        this.#v.set(name, v);
      }
      for (let i = 0; i < w.length; i++) {
        m[i] = b1 * m[i] + (1 - b1) * g[i];
        v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
        w[i] -= lrT * m[i] / (Math.sqrt(v[i]) + this.#epsilon);
      }
    }
  }

  state(): OptimizerState {
    const dump = (map: Map<string, Float64Array>) =>
      Object.fromEntries([...map].map(([k, a]) => [k, Array.from(a)]));
    return { kind: "adam", t: this.#t, m: dump(this.#m), v: dump(this.#v) };
  }

  restore(state: OptimizerState): void {
    if (state.kind !== "adam") {
      throw new TypeError(`Cannot restore optimizer: expected adam state, got ${state.kind}`);
    }
    const load = (rec: Record<string, number[]> | undefined) =>
      new Map(Object.entries(rec ?? {}).map(([k, a]) => [k, Float64Array.from(a)]));
    this.#t = state.t;
    this.#m = load(state.m);
    this.#v = load(state.v);
  }
}

/**
 * The words every layer shares: arithmetic precision, gradient methods and e-prop's forms and
 * implementations (the ground floor: the model, the engines, learners and apps all use them).
 *
 * @module
 */

/** Arithmetic precision of a backend. */
export type Precision = "f32" | "f64";

/**
 * How a gradient is computed:
 * - "bptt": the exact gradient (reverse pass through all paths);
 * - "eprop": e-prop with the given feedback matrix (EPROP.md 3.3);
 * - "eq1": eq. (1) with the true learning signal dE/dz; equals "bptt".
 */
export type GradientMethod = "bptt" | "eprop" | "eq1";

/** The two computations of the e-prop gradient (EPROP.md 3.3); they agree to rounding error. */
export type EpropForm = "online" | "factorized";

/**
 * How e-prop is implemented: "hardcoded" (eligibility traces and learning signals written out,
 * both backends) or "autodiff" (automatic differentiation with the stop-gradient trick, tfjs only).
 */
export type EpropImplementation = "hardcoded" | "autodiff";

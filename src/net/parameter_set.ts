/**
 * A flat set of named parameter arrays (the agent's parameters, an optimizer's moments).
 *
 * @module
 */

/** Named parameter (or gradient) arrays. */
export type ParameterSet = Record<string, Float64Array>;

// Layout of the f64 constants block every kernel reads (written by src/engine/wasm/).
// Decays are derived once in TypeScript (src/model/constants.ts), never here.
export const C_ALPHA = 0; // exp(-dt / tau_m)
export const C_RHO = 1; // exp(-dt / tau_a)
export const C_THR = 2; // base threshold
export const C_GAMMA = 3; // dampening factor of the pseudo-derivative
export const C_S = 4; // input scaling: 1 or 1 - alpha
export const C_DT = 5; // time step (ms)
export const C_NREF = 6; // refractory steps
export const C_KAPPA = 7; // exp(-dt / tau_out)
export const C_C = 8; // readout filter gain: 1 - kappa (normalized) or 1 (paper)
export const C_COUNT = 9;

/** Reads constant `idx` of the block at `cst` as T. */
// @ts-ignore: decorator
@inline export function constant<T>(cst: usize, idx: i32): T {
  return <T>load<f64>(cst + (<usize>idx << 3));
}

/**
 * Reading gradient buffers out of core memory into float64 matrices.
 *
 * @module
 */
import type { Gradients } from "../backend.ts";
import { type CoreInstance, transposed } from "./core_instance.ts";

/**
 * @param core The core instance.
 * @param at Addresses of the w_in [nIn][n], w_rec [n][n], transposed w_out [nOut][n] and bias
 *   gradients.
 * @returns Float64 gradients; the diagonal of w_rec is zeroed (no autapses).
 */
export function gradientMatrices(
  core: CoreInstance,
  at: { wIn: number; wRec: number; wOutT: number; bias: number },
): Gradients {
  const { nIn, nRec: n } = core.config.neuron;
  const { nOut, bias } = core.config.readout;
  const wRec = core.read(at.wRec, n * n);
  for (let j = 0; j < n; j++) wRec[j * n + j] = 0;
  const grads: Gradients = {
    wIn: { rows: nIn, cols: n, data: core.read(at.wIn, nIn * n) },
    wRec: { rows: n, cols: n, data: wRec },
    wOut: {
      rows: n,
      cols: nOut,
      data: transposed({ rows: nOut, cols: n, data: core.read(at.wOutT, n * nOut) }),
    },
  };
  if (bias) grads.bOut = core.read(at.bias, nOut);
  return grads;
}

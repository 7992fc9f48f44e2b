/**
 * A recorded forward pass of the single population of Figs. 3/S7 (what the engines return and
 * the float64 reference of the eligibility traces reads).
 *
 * @module
 */

/** A recorded forward pass, batch-major. */
export interface Trajectory {
  /** Number of trials. */
  batchSize: number;
  /** Number of steps. */
  steps: number;
  /** Spikes z [B][T][nRec] (1/dt per spike). */
  z: Float64Array;
  /** Membrane potentials [B][T][nRec]. */
  v: Float64Array;
  /** Adaptive thresholds A [B][T][nRec]. */
  thr: Float64Array;
  /** Pseudo-derivatives psi [B][T][nRec]. */
  psi: Float64Array;
  /** Readout y [B][T][nOut]. */
  y: Float64Array;
}

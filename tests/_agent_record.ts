/**
 * The recorded run that the agent's autodiff reference teacher-forces, in float64: what
 * src/agent/agent_teacher.ts `recordAgentRun` records (the agent's network over the unroll, and
 * a spiking CNN engine of the same precision, biases included, for the spikes of every CNN
 * layer; it throws if the two CNNs disagree).
 */
import { recordAgentRun } from "../src/agent/agent_teacher.ts";
import type { AgentParams } from "../src/net/agent_params.ts";
import type { ResolvedAgentSpec } from "../src/net/agent_spec.ts";
import { type AgentTeacherRecord, type AgentUnroll, checkUnroll } from "../src/net/agent_unroll.ts";

/**
 * Runs the agent's forward pass over the unroll in float64 (episodes reset where they ended).
 * @param spec The agent's shape.
 * @param params The parameters.
 * @param unroll The unroll.
 * @returns Every spike of the run and the values.
 */
export function recordRun(
  spec: ResolvedAgentSpec,
  params: AgentParams,
  unroll: AgentUnroll,
): Promise<AgentTeacherRecord> {
  return recordAgentRun(spec, params, unroll, checkUnroll(spec, unroll), { precision: "f64" });
}

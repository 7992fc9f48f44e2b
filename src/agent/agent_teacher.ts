/**
 * The recorded forward run whose spikes the agent's autodiff reference teacher-forces
 * (engine/tfjs/agent_graph.ts): the agent's network (LSNN in float64, CNN at `precision`) over
 * an unroll, and a spiking CNN engine of the same precision for the spikes of every CNN layer,
 * both reset where an episode ended.
 *
 * @module
 */
import { AgentNetwork, convParams } from "./agent_network.ts";
import type { AgentParams } from "../net/agent_params.ts";
import type { ResolvedAgentSpec } from "../net/agent_spec.ts";
import type { AgentTeacherRecord, AgentUnroll, UnrollShape } from "../net/agent_unroll.ts";
import type { SpikingConvState } from "../net/spiking_conv_spec.ts";
import type { EngineSource } from "../engine/step_engine.ts";
import { createSpikingConvEngine } from "../engine/factory/step_engines.ts";

/**
 * Runs the agent's forward pass over the unroll (episodes reset where they ended).
 * @param spec The agent's shape.
 * @param params The parameters.
 * @param unroll The checked unroll (checkUnroll).
 * @param shape Its K and B.
 * @param options CNN precision and module.
 * @returns Every spike of the run.
 * @throws {Error} If the agent's CNN and the separate CNN engine disagree (they must not).
 */
export async function recordAgentRun(
  spec: ResolvedAgentSpec,
  params: AgentParams,
  unroll: AgentUnroll,
  shape: UnrollShape,
  options: { precision: "f32" | "f64"; module?: EngineSource },
): Promise<AgentTeacherRecord> {
  const { K, B } = shape, S = spec.stepsPerFrame, n = spec.n, layers = spec.conv.layers;
  const net = await AgentNetwork.create(spec, B, params, options);
  const conv = await createSpikingConvEngine(spec.conv, convParams(spec, params), options);
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
      for (let i = 0; i < last.length; i++) {
        if (last[i] !== rec.x[i]) {
          throw new Error(
            "Cannot record agent run: the CNN's spikes differ from the agent's inputs",
          );
        }
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

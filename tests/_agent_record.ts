/**
 * The recorded run that the agent's autodiff reference teacher-forces, for agents whose CNN
 * layers have biases: what src/agent/agent_teacher.ts `recordAgentRun` records (the agent's
 * network over the unroll, and a spiking CNN engine of the same precision for the spikes of
 * every CNN layer, both reset where an episode ended), with the engine given the biases
 * (conv{l}Bias) as well as the filters. Checks that the engine's last layer gives the agent's
 * LSNN inputs, so a missing or different bias cannot pass unnoticed.
 */
import { AgentNetwork } from "../src/agent/agent_network.ts";
import { type AgentParams, convBiasName } from "../src/net/agent_params.ts";
import type { ResolvedAgentSpec } from "../src/net/agent_spec.ts";
import type { AgentTeacherRecord, AgentUnroll } from "../src/net/agent_unroll.ts";
import type { SpikingConvState } from "../src/net/spiking_conv_spec.ts";
import { createSpikingConvEngine } from "../src/engine/factory/step_engines.ts";

/**
 * Runs the agent's forward pass over the unroll in float64 (episodes reset where they ended).
 * @param spec The agent's shape.
 * @param params The parameters (with the CNN's biases where its layers have them).
 * @param unroll The unroll.
 * @returns Every spike of the run and the values.
 * @throws {Error} If the separate CNN engine's last layer differs from the agent's inputs.
 */
export async function recordRun(
  spec: ResolvedAgentSpec,
  params: AgentParams,
  unroll: AgentUnroll,
): Promise<AgentTeacherRecord> {
  const K = unroll.frames.length, B = unroll.actions[0].length;
  const S = spec.stepsPerFrame, n = spec.n, layers = spec.conv.layers;
  const net = await AgentNetwork.create(spec, B, params, { precision: "f64" });
  const weights = layers.map((_, l) => params[`conv${l}`]);
  const b = layers.map((l, i) => l.bias ? params[convBiasName(i)] : undefined);
  const conv = await createSpikingConvEngine(
    spec.conv,
    layers.some((l) => l.bias) ? { weights, b } : { weights },
    { precision: "f64" },
  );
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
        if (last[i] !== rec.x[i]) throw new Error("the CNN's spikes differ from the agent's");
      }
      state = pass.state();
      pass.release();
      out.z.set(rec.z, k * S * B * n);
      out.value.set(rec.value, k * B);
      net.resetEpisodes(unroll.ended[k]);
      for (let e = 0; e < B; e++) {
        if (!unroll.ended[k][e]) continue;
        layers.forEach((l, i) => {
          state!.v[i].fill(0, e * l.units, (e + 1) * l.units);
          state!.z[i].fill(0, e * l.units, (e + 1) * l.units);
        });
      }
    }
  } finally {
    net.dispose();
    conv.dispose();
  }
  return out;
}

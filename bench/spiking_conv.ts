/**
 * Speed of the spiking CNN front end of the Atari agent (the paper's layers: 84x84x1 -> 20x20x16
 * -> 17x17x8, 5 steps per frame) on preprocessed TypeScript Pong frames: the forward pass, BPTT
 * and e-prop gradients for a batch, and the event-driven against the dense convolution kernels on
 * conv2 (input: conv1's spikes), with the layers' firing rates.
 *
 * `deno run --allow-read bench/spiking_conv.ts [--batch 32] [--frames 1] [--repeats 10]
 * [--precision f32|f64]`
 *
 * @module
 */
import { parseArgs } from "node:util";
import { createGame } from "../src/env/games/index.ts";
import { preprocess } from "../src/env/preprocess.ts";
import { SpikingConv } from "../src/engine/wasm/spiking_conv.ts";
import { initSpikingConvParams } from "../src/net/spiking_conv_spec.ts";
import { CoreMemory } from "../src/engine/wasm/core_instance.ts";
import { initWasm } from "../src/engine/wasm/module.ts";
import { Rng } from "../src/util/rng.ts";

/**
 * Preprocessed Pong frames from a random policy, time-major [frames][B][84][84][1].
 * @param B Parallel episodes.
 * @param frames Frames per episode (after a warm-up of 30 agent steps).
 * @param seed Seed of the game and the policy.
 * @returns The frames.
 */
export async function pongFrames(B: number, frames: number, seed: number): Promise<Float32Array> {
  const env = preprocess(createGame("pong", { numEnvs: B, seed }));
  const rng = new Rng(seed);
  let obs = await env.reset(seed);
  const actions = new Int32Array(B);
  const step = async () => {
    for (let b = 0; b < B; b++) actions[b] = rng.int(env.actions.length);
    obs = (await env.step(actions)).observations;
  };
  for (let i = 0; i < 30; i++) await step();
  const out = new Float32Array(frames * obs.length);
  for (let f = 0; f < frames; f++) {
    out.set(obs, f * obs.length);
    await step();
  }
  await env.close();
  return out;
}

/** Median of repeated timings in ms. */
function time(repeats: number, fn: () => void): number {
  fn();
  const t: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const start = performance.now();
    fn();
    t.push(performance.now() - start);
  }
  t.sort((a, b) => a - b);
  return t[Math.floor(t.length / 2)];
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      batch: { type: "string", default: "32" },
      frames: { type: "string", default: "1" },
      repeats: { type: "string", default: "10" },
      precision: { type: "string", default: "f32" },
    },
  });
  const B = Number(values.batch), F = Number(values.frames), repeats = Number(values.repeats);
  const precision = values.precision === "f64" ? "f64" : "f32";
  const frames = await pongFrames(B, F, 1);
  const net = await SpikingConv.create({}, initSpikingConvParams({}, new Rng(1)), { precision });
  const [l1, l2] = net.spec.layers;
  let pass = net.forward(frames, B, F);
  const forwardMs = time(repeats, () => {
    pass = net.forward(frames, B, F);
  });
  const rates = pass.rates();
  const T = pass.steps;
  const rng = new Rng(2);
  const dEdz = [
    Float64Array.from({ length: T * B * l1.units }, () => rng.normal() * 0.01),
    Float64Array.from({ length: T * B * l2.units }, () => rng.normal()),
  ];
  const bpttMs = time(repeats, () => net.gradients(pass, dEdz, { method: "bptt" }));
  const epropMs = time(repeats, () => net.gradients(pass, dEdz, { method: "eprop" }));
  // conv2 alone on conv1's spikes: event-driven against dense.
  const core = new CoreMemory(await initWasm(), precision);
  const z1 = core.alloc(T * B * l1.units, false);
  core.write(z1, pass.spikes(0));
  const w2 = core.alloc(l2.weights, false);
  core.write(w2, net.getParams().weights[1]);
  const y = core.alloc(T * B * l2.units, false);
  const g = core.alloc(l2.weights);
  const args = [T * B, l2.inHeight, l2.inWidth, l2.inChannels, l2.kernel, l2.kernel, l2.stride];
  const eventMs = time(repeats, () => core.k.convForwardEvent(...args, l2.channels, z1, w2, y));
  const denseMs = time(repeats, () => core.k.convForwardDense(...args, l2.channels, z1, w2, y));
  const gEventMs = time(
    repeats,
    () => core.k.convWeightGradEvent(...args, l2.channels, z1, y, g, 1),
  );
  const gDenseMs = time(
    repeats,
    () => core.k.convWeightGradDense(...args, l2.channels, z1, y, g, 1),
  );
  console.log(
    `spiking CNN 84x84x1 -> 20x20x16 -> 17x17x8, B ${B}, ${F} frame(s) x 5 steps, ${precision}`,
  );
  console.log(
    `rates (spikes per neuron-step): conv1 ${rates[0].toFixed(3)}, conv2 ${rates[1].toFixed(3)}`,
  );
  console.log(
    `forward ${forwardMs.toFixed(1)} ms; gradients BPTT ${bpttMs.toFixed(1)} ms, e-prop ${
      epropMs.toFixed(1)
    } ms (on that forward pass)`,
  );
  console.log(
    `conv2 on conv1's spikes (density ${rates[0].toFixed(3)}): forward event ${
      eventMs.toFixed(1)
    } ms, dense ${denseMs.toFixed(1)} ms; weight gradient event ${gEventMs.toFixed(1)} ms, dense ${
      gDenseMs.toFixed(1)
    } ms`,
  );
}

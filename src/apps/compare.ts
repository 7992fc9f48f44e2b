/**
 * How close is e-prop to the exact gradient? On the Fig. 3 network (40 inputs, 50 LIF + 50 ALIF)
 * with Fig. 3-like Poisson input, prints for each learning rule the cosine similarity of its
 * (w_in, w_rec) gradient with BPTT's and the ratio of norms, and checks that eq. (1) reproduces
 * BPTT.
 *
 *   deno task compare [--seed N] [--steps T] [--batch B] [--precision f32|f64] (--help for more)
 *
 * @module
 */
import { createFeedback } from "../grad/feedback.ts";
import { initWeights } from "../model/weights.ts";
import { resolveNetworkConfig } from "../model/config.ts";
import { fig3Network } from "../model/presets.ts";
import { Rng } from "../util/rng.ts";
import type { GradientOptions, Gradients } from "../engine/backend.ts";
import { createBackend } from "../engine/factory/load_backend.ts";

import { checkMemory, commandMain } from "../cli/command.ts";
import { type FlagSpecs, MAX_SEED } from "../cli/flags.ts";

/** The flags of `deno task compare`. */
export const COMPARE_FLAGS: FlagSpecs = {
  seed: { type: "int", default: 1, min: 0, max: MAX_SEED, help: "random seed" },
  steps: { type: "int", default: 600, min: 1, max: 1_000_000, help: "time steps T" },
  batch: { type: "int", default: 8, min: 1, max: 100_000, help: "trials B" },
  precision: { type: "string", default: "f64", choices: ["f64", "f32"], help: "core precision" },
};

const USAGE = `usage: deno task compare [options]

How close is e-prop to the exact gradient? On the Fig. 3 network with Fig. 3-like Poisson input,
prints the cosine similarity of each rule's gradient with BPTT's and the ratio of norms.`;

/**
 * Runs the comparison.
 * @param args Command-line arguments.
 * @returns The exit code.
 */
export function main(args: string[]): Promise<number> {
  return commandMain(
    {
      name: "compare",
      usage: USAGE,
      flags: COMPARE_FLAGS,
      check: (v) =>
        checkMemory(8 * 10 * (v.steps as number) * (v.batch as number) * 140, {
          what: `--steps ${v.steps} with --batch ${v.batch}`,
        }),
    },
    args,
    async ({ values }) => {
      const rng = new Rng(values.seed as number);
      const T = values.steps as number, B = values.batch as number;
      const config = resolveNetworkConfig(fig3Network());
      const { nIn, nRec } = config.neuron;
      const backend = await createBackend(config, initWeights(config, rng), {
        precision: values.precision as "f32" | "f64",
      });
      const inputs = new Float64Array(B * T * nIn).map(() => (rng.uniform() < 0.02 ? 1 : 0));
      const batch = {
        batchSize: B,
        steps: T,
        inputs,
        labels: Int32Array.from({ length: B }, () => rng.int(2)),
      };
      const objective = {
        loss: { type: "ce" as const, window: Math.min(150, T) },
        regularization: { c: 1, fTarget: 0.01 },
      };

      const flat = (g: Gradients) => Float64Array.of(...g.wIn.data, ...g.wRec.data);
      const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, v, i) => s + v * b[i], 0);
      const wOut = backend.getWeights().wOut;
      const rules: [string, GradientOptions][] = [
        ["eq. (1), true learning signal", { method: "eq1" }],
        ["e-prop, symmetric feedback", { method: "eprop" }],
        ["e-prop, random feedback", {
          method: "eprop",
          feedback: createFeedback("random", { nRec, nOut: 2, rng }).matrix(wOut),
        }],
        ["e-prop, global signal", {
          method: "eprop",
          feedback: createFeedback("global", { nRec, nOut: 2 }).matrix(wOut),
        }],
      ];
      const bptt = backend.gradients(batch, objective, { method: "bptt" });
      const ref = flat(bptt.grads);
      console.log(
        `Fig. 3 network, T = ${T}, batch ${B}, ${values.precision}: loss ${
          bptt.loss.toFixed(4)
        }, ` +
          `${bptt.spikes} spikes (${
            (bptt.spikes / (B * T * nRec) * 1000).toFixed(1)
          } Hz mean rate)\n`,
      );
      console.log("| rule | cosine with BPTT | norm / BPTT norm |");
      console.log("|---|---:|---:|");
      for (const [name, options] of rules) {
        const g = flat(backend.gradients(batch, objective, options).grads);
        const cosine = dot(g, ref) / Math.sqrt(dot(g, g) * dot(ref, ref));
        console.log(
          `| ${name} | ${cosine.toFixed(6)} | ${Math.sqrt(dot(g, g) / dot(ref, ref)).toFixed(4)} |`,
        );
      }
    },
  );
}

if (import.meta.main) Deno.exit(await main(Deno.args));

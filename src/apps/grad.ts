/**
 * `deno task grad CASE.json [options]`: reads a gradient case (docs/spec/GRADIENT_CASE.md, or
 * format 2, docs/spec/NETWORK_CASE.md) and prints the result JSON on stdout, and nothing else
 * there. A malformed case gives one line on stderr naming the field, and exit code 2.
 *
 * @module
 */
import { parseCase } from "../cases/run_case.ts";
import { commandMain, InputError, readTextInput } from "../cli/command.ts";
import { FlagError, type FlagSpecs } from "../cli/flags.ts";

const USAGE = `usage: deno task grad{positionals} [options]

Computes BPTT, symmetric e-prop and eq. (1) gradients of a gradient case and prints the
result JSON on stdout: format 1 (one LSNN population, docs/spec/GRADIENT_CASE.md) or format 2
("format": 2: stacked and bidirectional layers, frame-pooled readout, docs/spec/NETWORK_CASE.md).`;

/** The flags of `deno task grad`. */
export const GRAD_FLAGS: FlagSpecs = {
  backend: { type: "string", default: "wasm", choices: ["wasm", "tfjs"], help: "compute backend" },
  precision: {
    type: "string",
    default: "auto",
    choices: ["auto", "f64", "f32"],
    help: "arithmetic precision (auto: f64 on wasm, f32 on tfjs, which has no f64)",
  },
  "eprop-form": {
    type: "string",
    default: "factorized",
    choices: ["factorized", "online"],
    help: "e-prop computation of the wasm core",
    appliesWhen: { backend: ["wasm"] },
  },
  "eprop-impl": {
    type: "string",
    default: "hardcoded",
    choices: ["hardcoded", "autodiff"],
    help: "e-prop implementation (autodiff: tfjs only)",
  },
  "tf-backend": {
    type: "string",
    default: "cpu",
    choices: ["cpu", "wasm"],
    help: "TensorFlow.js backend",
    appliesWhen: { backend: ["tfjs"] },
  },
};

/**
 * Runs the command.
 * @param args Command-line arguments.
 * @returns The exit code.
 */
export function main(args: string[]): Promise<number> {
  return commandMain(
    {
      name: "grad",
      usage: USAGE,
      flags: GRAD_FLAGS,
      positionals: ["CASE.json"],
      check: (v) => {
        if (v.backend === "tfjs" && v.precision === "f64") {
          throw new FlagError("--backend tfjs computes in float32; use --precision f32");
        }
        if (v["eprop-impl"] === "autodiff" && v.backend !== "tfjs") {
          throw new FlagError("--eprop-impl autodiff needs --backend tfjs");
        }
      },
    },
    args,
    async ({ values, positionals: [file] }) => {
      const backendName = values.backend as "wasm" | "tfjs";
      const precision = values.precision === "auto"
        ? (backendName === "tfjs" ? "f32" : "f64")
        : values.precision as "f32" | "f64";
      const form = values["eprop-form"] as "factorized" | "online";
      const implementation = values["eprop-impl"] as "hardcoded" | "autodiff";
      const tfBackend = values["tf-backend"] as "cpu" | "wasm";
      const text = await readTextInput(file);
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (e) {
        throw new InputError(
          `${file} is not valid JSON: ${(e as Error).message.replace(/\s+/g, " ")}`,
        );
      }
      const c = parseCase(json);
      console.log(
        JSON.stringify(
          await c.run({ backend: backendName, precision, tfBackend, form, implementation }),
        ),
      );
    },
  );
}

if (import.meta.main) Deno.exit(await main(Deno.args));

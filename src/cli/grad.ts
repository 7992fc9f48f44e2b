/**
 * `deno task grad CASE.json [--precision f64|f32] [--backend wasm] [--eprop-form factorized|online]`
 *
 * Reads a gradient case (shared/spec/GRADIENT_CASE.md) and prints the result JSON on stdout, and
 * nothing else there. A malformed case gives an error on stderr naming the field, and exit code 2.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { parseGradientCase, runGradientCase } from "./gradient_case.ts";
import { WasmBackend } from "../backend/wasm/wasm_backend.ts";

const USAGE = `usage: deno task grad CASE.json [options]

Computes BPTT, symmetric e-prop and eq. (1) gradients of a gradient case and prints the
result JSON of GRADIENT_CASE.md on stdout.

options:
  --precision f64|f32              arithmetic precision (default f64)
  --backend wasm                   compute backend (default wasm)
  --eprop-form factorized|online   e-prop computation (default factorized)
  -h, --help                       this text`;

/** Runs the command; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        precision: { type: "string", default: "f64" },
        backend: { type: "string", default: "wasm" },
        "eprop-form": { type: "string", default: "factorized" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (e) {
    console.error(`grad: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.error(USAGE);
    return 0;
  }
  const usageError = (message: string) => {
    console.error(`grad: ${message}\n\n${USAGE}`);
    return 2;
  };
  if (positionals.length !== 1) {
    return usageError(`expected one CASE.json, got ${positionals.length}`);
  }
  if (values.precision !== "f64" && values.precision !== "f32") {
    return usageError(`--precision must be f64 or f32, got "${values.precision}"`);
  }
  if (values.backend !== "wasm") {
    return usageError(
      `--backend must be wasm (the tfjs backend is not available yet), got "${values.backend}"`,
    );
  }
  const form = values["eprop-form"];
  if (form !== "factorized" && form !== "online") {
    return usageError(`--eprop-form must be factorized or online, got "${form}"`);
  }
  let text: string;
  try {
    text = await Deno.readTextFile(positionals[0]);
  } catch (e) {
    console.error(`grad: cannot read ${positionals[0]}: ${(e as Error).message}`);
    return 2;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    console.error(`grad: ${positionals[0]} is not valid JSON: ${(e as Error).message}`);
    return 2;
  }
  try {
    const c = parseGradientCase(json);
    const backend = await WasmBackend.create(c.config, c.weights, { precision: values.precision });
    const result = runGradientCase(backend, c, { form });
    console.log(JSON.stringify(result));
    return 0;
  } catch (e) {
    if (e instanceof TypeError || e instanceof RangeError) {
      console.error(`grad: ${e.message}`);
      return 2;
    }
    throw e;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));

/**
 * `deno task grad CASE.json [--backend wasm|tfjs] [--precision f64|f32] [--eprop-form factorized|online]
 *  [--eprop-impl hardcoded|autodiff] [--tf-backend cpu|wasm]`
 *
 * Reads a gradient case (docs/spec/GRADIENT_CASE.md) and prints the result JSON on stdout, and
 * nothing else there. A malformed case gives an error on stderr naming the field, and exit code 2.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { parseGradientCase, runGradientCase } from "../cases/gradient_case.ts";
import { WasmBackend } from "../backend/wasm/wasm_backend.ts";
import { WasmNetwork } from "../backend/wasm/wasm_network.ts";
import { isNetworkCase, parseNetworkCase, runNetworkCase } from "../cases/network_case.ts";

const USAGE = `usage: deno task grad CASE.json [options]

Computes BPTT, symmetric e-prop and eq. (1) gradients of a gradient case and prints the
result JSON on stdout: format 1 (one LSNN population, docs/spec/GRADIENT_CASE.md) or format 2
("format": 2: stacked and bidirectional layers, frame-pooled readout, docs/spec/NETWORK_CASE.md).

options:
  --backend wasm|tfjs              compute backend (default wasm)
  --precision f64|f32              arithmetic precision (default f64 on wasm; tfjs is f32 only)
  --eprop-form factorized|online   e-prop computation of the wasm core (default factorized)
  --eprop-impl hardcoded|autodiff  e-prop implementation (default hardcoded; autodiff needs tfjs)
  --tf-backend cpu|wasm            TensorFlow.js backend for --backend tfjs (default cpu)
  -h, --help                       this text`;

/** Runs the command; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        precision: { type: "string" },
        backend: { type: "string", default: "wasm" },
        "eprop-form": { type: "string", default: "factorized" },
        "eprop-impl": { type: "string", default: "hardcoded" },
        "tf-backend": { type: "string", default: "cpu" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (e) {
    console.error(`grad: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const usageError = (message: string) => {
    console.error(`grad: ${message}\n\n${USAGE}`);
    return 2;
  };
  if (positionals.length !== 1) {
    return usageError(`expected one CASE.json, got ${positionals.length}`);
  }
  const backendName = values.backend;
  if (backendName !== "wasm" && backendName !== "tfjs") {
    return usageError(`--backend must be wasm or tfjs, got "${backendName}"`);
  }
  const precision = values.precision ?? (backendName === "tfjs" ? "f32" : "f64");
  if (precision !== "f64" && precision !== "f32") {
    return usageError(`--precision must be f64 or f32, got "${precision}"`);
  }
  if (backendName === "tfjs" && precision !== "f32") {
    return usageError("--backend tfjs computes in float32; use --precision f32");
  }
  const form = values["eprop-form"];
  if (form !== "factorized" && form !== "online") {
    return usageError(`--eprop-form must be factorized or online, got "${form}"`);
  }
  const implementation = values["eprop-impl"];
  if (implementation !== "hardcoded" && implementation !== "autodiff") {
    return usageError(`--eprop-impl must be hardcoded or autodiff, got "${implementation}"`);
  }
  if (implementation === "autodiff" && backendName !== "tfjs") {
    return usageError("--eprop-impl autodiff needs --backend tfjs");
  }
  const tfBackend = values["tf-backend"];
  if (tfBackend !== "cpu" && tfBackend !== "wasm") {
    return usageError(`--tf-backend must be cpu or wasm, got "${tfBackend}"`);
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
    if (isNetworkCase(json)) {
      const c = parseNetworkCase(json);
      const backend = backendName === "wasm"
        ? await WasmNetwork.create(c.net, c.params, { precision })
        : await (await import("../backend/tfjs/tfjs_network.ts")).TfjsNetwork.create(
          c.net,
          c.params,
          { tfBackend },
        );
      const result = runNetworkCase(backend, c, { form, implementation });
      backend.dispose();
      console.log(JSON.stringify(result));
      return 0;
    }
    const c = parseGradientCase(json);
    const backend = backendName === "wasm"
      ? await WasmBackend.create(c.config, c.weights, { precision })
      : await (await import("../backend/tfjs/tfjs_backend.ts")).TfjsBackend.create(
        c.config,
        c.weights,
        {
          tfBackend,
        },
      );
    const result = runGradientCase(backend, c, { form, implementation });
    backend.dispose();
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

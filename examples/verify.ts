/**
 * The paper's numerical verifications on both backends (core f64 and f32; tfjs):
 *
 *   deno task verify                    both checks
 *   deno task verify:factorization      eq. (1) vs BPTT
 *   deno task verify:autodiff           hard-coded vs autodiff e-prop
 *
 * Flags: --out DIR (default out/verify), --seed N (default 8), --tf-backend cpu|wasm, --help.
 * Prints the gradient matrices and errors, writes figures (SVG and PNG) and results.json to the
 * output folder, and exits 1 when an error exceeds its tolerance (f64 1e-10, f32 1e-4 relative)
 * or a run is degenerate (no spikes, an all-zero or NaN gradient).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { DegenerateRunError, formatChecks } from "../src/verify/checks.ts";
import {
  type VerificationReport,
  verifyAutodiff,
  verifyFactorization,
} from "../src/verify/verifications.ts";
import { saveFigure } from "../src/plot/render.ts";

const USAGE =
  `usage: deno task verify [--only factorization|autodiff] [--out DIR] [--seed N] [--tf-backend cpu|wasm]

Reproduces the two numerical verifications of the e-prop paper's repository on the WebAssembly core
(f64 and f32) and on TensorFlow.js, writes figures, and fails when an error exceeds its tolerance.`;

async function main(args: string[]): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args,
      options: {
        only: { type: "string" },
        out: { type: "string", default: "out/verify" },
        seed: { type: "string", default: "8" },
        "tf-backend": { type: "string", default: "cpu" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (e) {
    console.error(`verify: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const seed = Number(values.seed);
  if (!Number.isInteger(seed)) {
    console.error(`verify: --seed must be an integer, got "${values.seed}"`);
    return 2;
  }
  const only = values.only;
  if (only !== undefined && only !== "factorization" && only !== "autodiff") {
    console.error(`verify: --only must be factorization or autodiff, got "${only}"`);
    return 2;
  }
  const tfBackend = values["tf-backend"];
  if (tfBackend !== "cpu" && tfBackend !== "wasm") {
    console.error(`verify: --tf-backend must be cpu or wasm, got "${tfBackend}"`);
    return 2;
  }
  const runs = [
    ["factorization", verifyFactorization],
    ["autodiff", verifyAutodiff],
  ] as const;
  const reports: VerificationReport[] = [];
  try {
    for (const [name, run] of runs) {
      if (only && only !== name) continue;
      const report = await run({ seed, tfBackend });
      reports.push(report);
      console.log(
        `\n=== ${report.title} ===\n${report.printout}\n\n${formatChecks(report.checks)}`,
      );
      for (const [file, spec] of Object.entries(report.figures)) {
        const paths = await saveFigure(spec, { dir: values.out, name: file });
        console.log(`figure: ${paths.svg}, ${paths.png}`);
      }
    }
  } catch (e) {
    if (e instanceof DegenerateRunError) {
      console.error(`verify: refusing a degenerate run: ${e.message} (try another --seed)`);
      return 1;
    }
    throw e;
  }
  await Deno.writeTextFile(
    `${values.out}/results.json`,
    JSON.stringify(
      {
        seed,
        tfBackend,
        reports: reports.map((r) => ({ title: r.title, spikes: r.spikes, checks: r.checks })),
      },
      null,
      2,
    ) + "\n",
  );
  const failed = reports.flatMap((r) => r.checks).filter((c) => c.passed === false);
  if (failed.length > 0) {
    console.error(
      `\nverify: ${failed.length} check(s) FAILED: ${
        failed.map((c) => `${c.name} (${c.backend})`).join("; ")
      }`,
    );
    return 1;
  }
  const total = reports.flatMap((r) => r.checks).length;
  console.log(`\nverify: all ${total} checks passed; results in ${values.out}/`);
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));

/**
 * The paper's numerical verifications on both backends (core f64 and f32; tfjs):
 *
 *   deno task verify                    both checks
 *   deno task verify:factorization      eq. (1) vs BPTT
 *   deno task verify:autodiff           hard-coded vs autodiff e-prop
 *
 * Flags (`--help` lists them with defaults): --only, --out, --seed, --tf-backend.
 * Prints the gradient matrices and errors, writes figures (SVG and PNG) and results.json to the
 * output folder, and exits 1 when an error exceeds its tolerance (f64 1e-10, f32 1e-4 relative)
 * or a run is degenerate (no spikes, an all-zero or NaN gradient).
 *
 * @module
 */
import { DegenerateRunError, formatChecks } from "../verify/checks.ts";
import {
  type VerificationReport,
  verifyAutodiff,
  verifyFactorization,
} from "../verify/verifications.ts";
import { saveFigure } from "../plot/render.ts";
import { commandMain, RunFailure } from "../cli/command.ts";
import { type FlagSpecs, MAX_SEED } from "../cli/flags.ts";
import { prepareOutputDir } from "../experiments/run_dir.ts";

const USAGE = `usage: deno task verify [options]

Reproduces the two numerical verifications of the e-prop paper's repository on the WebAssembly core
(f64 and f32) and on TensorFlow.js, writes figures and results.json to --out, and fails (exit 1)
when an error exceeds its tolerance (f64 1e-10, f32 1e-4 relative) or a run is degenerate.`;

/** The flags of `deno task verify`. */
export const VERIFY_FLAGS: FlagSpecs = {
  only: {
    type: "string",
    default: "both",
    choices: ["both", "factorization", "autodiff"],
    help: "which verification: eq. (1) vs BPTT, or hard-coded vs autodiff e-prop",
  },
  out: { type: "string", default: "out/verify", help: "output folder (figures, results.json)" },
  seed: {
    type: "int",
    default: 8,
    min: 0,
    max: MAX_SEED,
    help: "random seed of the network and data",
  },
  "tf-backend": {
    type: "string",
    default: "cpu",
    choices: ["cpu", "wasm"],
    help: "TensorFlow.js backend",
  },
};

/**
 * Runs the verifications.
 * @param args Command-line arguments.
 * @returns The exit code.
 */
export function main(args: string[]): Promise<number> {
  return commandMain(
    { name: "verify", usage: USAGE, flags: VERIFY_FLAGS },
    args,
    async ({ values }) => {
      const seed = values.seed as number;
      const only = values.only === "both" ? undefined : values.only as string;
      const tfBackend = values["tf-backend"] as "cpu" | "wasm";
      const out = values.out as string;
      await prepareOutputDir(out, "verify");
      const runs = [
        ["factorization", verifyFactorization],
        ["autodiff", verifyAutodiff],
      ] as const;
      const reports: VerificationReport[] = [];
      try {
        for (const [name, run] of runs) {
          if (only && only !== name) continue;
          console.log(`verify: ${name} (seed ${seed}, tfjs ${tfBackend}) ...`);
          const report = await run({ seed, tfBackend });
          reports.push(report);
          console.log(
            `\n=== ${report.title} ===\n${report.printout}\n\n${formatChecks(report.checks)}`,
          );
          for (const [file, spec] of Object.entries(report.figures)) {
            const paths = await saveFigure(spec, { dir: out, name: file });
            console.log(`figure: ${paths.svg}, ${paths.png}`);
          }
        }
      } catch (e) {
        if (e instanceof DegenerateRunError) {
          throw new RunFailure(`refusing a degenerate run: ${e.message} (try another --seed)`);
        }
        throw e;
      }
      await Deno.writeTextFile(
        `${out}/results.json`,
        JSON.stringify(
          {
            task: "verify",
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
        throw new RunFailure(
          `${failed.length} check(s) FAILED: ${
            failed.map((c) => `${c.name} (${c.backend})`).join("; ")
          }`,
        );
      }
      const total = reports.flatMap((r) => r.checks).length;
      console.log(`\nverify: all ${total} checks passed; results in ${out}/`);
    },
  );
}

if (import.meta.main) Deno.exit(await main(Deno.args));

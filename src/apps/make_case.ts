/**
 * Writes a gradient case (docs/spec/GRADIENT_CASE.md) for a small random LSNN, to feed
 * `deno task grad` or another implementation.
 *
 *   deno task make-case [--seed N] [--loss mse|ce] [--steps T] [--batch B] [--out FILE|-]
 *
 * @module
 */
import { Rng } from "../util/rng.ts";
import { commandMain, fileError, InputError } from "../cli/command.ts";
import { type FlagSpecs, MAX_SEED } from "../cli/flags.ts";

/** The flags of `deno task make-case`. */
export const MAKE_CASE_FLAGS: FlagSpecs = {
  seed: { type: "int", default: 1, min: 0, max: MAX_SEED, help: "random seed" },
  loss: { type: "string", default: "ce", choices: ["ce", "mse"], help: "loss of the case" },
  steps: { type: "int", default: 80, min: 4, max: 100_000, help: "time steps T" },
  batch: { type: "int", default: 2, min: 1, max: 1000, help: "trials B" },
  out: { type: "string", default: "-", help: "file to write (- for stdout)" },
  force: { type: "boolean", default: false, help: "replace an existing --out file" },
};

const USAGE = `usage: deno task make-case [options]

Writes a gradient case (docs/spec/GRADIENT_CASE.md) for a small random LSNN (4 inputs, 10 neurons,
2 outputs), to feed deno task grad or another implementation.`;

/**
 * Writes the case.
 * @param args Command-line arguments.
 * @returns The exit code.
 */
export function main(args: string[]): Promise<number> {
  return commandMain(
    {
      name: "make-case",
      usage: USAGE,
      flags: MAKE_CASE_FLAGS,
    },
    args,
    async ({ values }) => {
      const rng = new Rng(values.seed as number);
      const nIn = 4, nRec = 10, nOut = 2;
      const T = values.steps as number, B = values.batch as number;
      const round = (x: number) => Math.round(x * 1e6) / 1e6;
      const matrix = (rows: number, cols: number, scale: number) =>
        Array.from(
          { length: rows },
          () => Array.from({ length: cols }, () => round(rng.normal() * scale)),
        );
      const wRec = matrix(nRec, nRec, 0.4);
      wRec.forEach((row, j) => (row[j] = 0));
      const c: Record<string, unknown> = {
        neuron: {
          n_in: nIn,
          n_rec: nRec,
          tau_m: 20,
          tau_a: 500,
          thr: 0.5,
          beta: Array.from({ length: nRec }, (_, j) => (j < nRec / 2 ? 0 : 0.07)),
          dampening: 0.3,
          n_ref: 2,
          dt: 1,
        },
        readout: { n_out: nOut, tau_out: 20, filter: "normalized" },
        w_in: matrix(nIn, nRec, 1.2),
        w_rec: wRec,
        w_out: matrix(nRec, nOut, 1),
        inputs: Array.from(
          { length: B },
          () =>
            Array.from(
              { length: T },
              () => Array.from({ length: nIn }, () => (rng.uniform() < 0.15 ? 1 : 0)),
            ),
        ),
        targets: Array.from(
          { length: B },
          () =>
            Array.from(
              { length: T },
              (_, t) => Array.from({ length: nOut }, (_, k) => round(Math.sin(t / 10 + k))),
            ),
        ),
        loss: values.loss === "ce" ? { type: "ce", window: Math.ceil(T / 4) } : { type: "mse" },
        regularization: { c: 0.5, f_target: 0.01 },
      };
      if (values.loss === "ce") c.labels = Array.from({ length: B }, () => rng.int(nOut));
      const text = JSON.stringify(c) + "\n";
      const out = values.out as string;
      if (out === "-") {
        await Deno.stdout.write(new TextEncoder().encode(text));
        return;
      }
      try {
        // createNew: an existing file is never overwritten.
        await Deno.writeTextFile(out, text, { createNew: !values.force });
      } catch (e) {
        if (e instanceof Deno.errors.AlreadyExists) {
          throw new InputError(
            `${out} exists; choose another --out, or pass --force to replace it`,
          );
        }
        throw fileError(e, `write ${out}`);
      }
      console.error(`make-case: wrote ${out}`);
    },
  );
}

if (import.meta.main) Deno.exit(await main(Deno.args));

/**
 * `deno task fig2:table --data DIR`: every method of Fig. 2 (LSNN by BPTT and by e-prop with
 * symmetric, random, adaptive and global feedback; the LSTM by BPTT and e-prop), each run in its
 * own folder under --out (finished runs collected, interrupted ones resumed), and the comparison
 * printed as a table with the learning curves of all runs on one plot. `--help` lists the flags.
 *
 * @module
 */
import { fig2TableMain } from "../experiments/fig2_table.ts";

/**
 * Runs `deno task fig2:table`.
 * @param args Command-line arguments.
 * @returns The exit code.
 */
export function main(args: string[]): Promise<number> {
  return fig2TableMain(args);
}

if (import.meta.main) Deno.exit(await main(Deno.args));

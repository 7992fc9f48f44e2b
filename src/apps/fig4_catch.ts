/**
 * `deno task fig4:catch`: the quick proof of reward-based e-prop on the TypeScript Catch, each
 * form and seed a `deno task fig4` run, with the random policy's score; table and learning
 * curves in --runs (src/experiments/fig4_catch.ts; `--help` lists the flags).
 *
 * @module
 */
import { fig4CatchMain } from "../experiments/fig4_catch.ts";

/**
 * Runs `deno task fig4:catch`.
 * @param args Command-line arguments.
 * @returns The exit code.
 */
export function main(args: string[]): Promise<number> {
  return fig4CatchMain(args);
}

if (import.meta.main) Deno.exit(await main(Deno.args));

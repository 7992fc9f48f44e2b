/**
 * `deno task fig4:catch`: the quick proof of reward-based e-prop on the TypeScript Catch, each
 * form and seed a `deno task fig4` run, with the random policy's score; table and learning
 * curves in --runs (src/experiments/fig4_catch.ts; `--help` lists the flags).
 *
 * @module
 */
import { fig4CatchMain } from "../src/experiments/fig4_catch.ts";

if (import.meta.main) Deno.exit(await fig4CatchMain(Deno.args));

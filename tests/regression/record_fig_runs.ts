/**
 * Records the Fig. 3 and Fig. S7 regression numbers: a few training iterations per
 * configuration, with their losses and weight checksums. Run once before a change to the engine
 * (`deno run -A tests/regression/record_fig_runs.ts > tests/regression/fig_runs.json`); the test
 * `tests/regression_test.ts` compares every later build against the file.
 */
import { regressionRuns } from "./fig_runs.ts";

const out: Record<string, unknown> = {};
for (const [name, run] of Object.entries(regressionRuns)) out[name] = await run();
console.log(JSON.stringify(out, null, 1));

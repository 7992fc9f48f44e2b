import { parseSweepSpec } from "./spec.ts";
import {
  checkRunFlags,
  expandGrid,
  expandSweep,
  flagArgs,
  jobId,
  runValues,
  sweepSize,
  tooBig,
} from "./runs.ts";
import { SWEEP_EXPERIMENTS } from "./experiments.ts";
import { InputError } from "../cli/command.ts";
import { FlagError } from "../cli/flags.ts";
import { assert, assertEquals, assertRejects, assertThrows } from "../../tests/_sweep_asserts.ts";

function spec(o: Record<string, unknown>) {
  return parseSweepSpec(JSON.stringify(o), "s.json");
}

Deno.test("sweep runs: grid x variants, flags checked against the experiment", async () => {
  assertEquals(expandGrid({}), [{}]);
  assertEquals(expandGrid({ a: [1, 2], b: ["x", "y"] }), [
    { a: 1, b: "x" },
    { a: 1, b: "y" },
    { a: 2, b: "x" },
    { a: 2, b: "y" },
  ]);
  assertEquals(flagArgs({ seed: 1, thr: -0.5, method: "bptt", resume: false, debug: true }), [
    "--seed",
    "1",
    "--thr=-0.5",
    "--method",
    "bptt",
    "--debug",
  ]);
  const s = spec({
    experiment: "fig3",
    flags: { "n-iter": 5 },
    grid: { seed: [0, 1] },
    variants: [{ method: "eprop", feedback: "random" }, { method: "bptt" }],
  });
  const runs = await expandSweep(s, "s.json");
  assertEquals(runs.map((r) => r.label), [
    "method=eprop feedback=random seed=0",
    "method=eprop feedback=random seed=1",
    "method=bptt seed=0",
    "method=bptt seed=1",
  ]);
  assertEquals(runs.map((r) => r.setting), [
    "method=eprop feedback=random",
    "method=eprop feedback=random",
    "method=bptt",
    "method=bptt",
  ]);
  assertEquals(runs[2].args, ["--n-iter", "5", "--method", "bptt", "--seed", "0"]);
  assertEquals(new Set(runs.map((r) => r.jobId)).size, 4);
  // Flags the experiment refuses: named, with the run, before anything runs.
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ experiment: "fig3", flags: { "n-itr": 5 } }, /run 1: unknown flag --n-itr/],
    [{ experiment: "fig3", grid: { seed: [-1] } }, /run "seed=-1": --seed must be >= 0/],
    [
      { experiment: "fig3", variants: [{ method: "bptt", feedback: "random" }, {}] },
      /run "method=bptt feedback=random": --feedback applies only with --method eprop/,
    ],
    [{ experiment: "fig3", flags: { "n-regular": 0, "n-adaptive": 0 } }, /at least 1/],
    [{ experiment: "fig3", variants: [{ seed: 1 }, { seed: "1" }] }, /have the same flags/],
  ];
  for (const [o, re] of cases) {
    const e = await assertRejects(() => expandSweep(spec(o), "s.json"), InputError);
    assert(re.test(e.message), `${e.message} should match ${re}`);
  }
  assertThrows(() => checkRunFlags("fig9", {}), FlagError, "unknown experiment fig9");
});

Deno.test("job ids: stable, independent of the flags' order and of how a value is written", async () => {
  const a = await jobId("fig3", { seed: 1, method: "bptt", "n-iter": 50 });
  assertEquals(a, await jobId("fig3", { "n-iter": 50, method: "bptt", seed: 1 }));
  assertEquals(a, await jobId("fig3", { "n-iter": "50", method: "bptt", seed: "1" }));
  assertEquals(a, await jobId("fig3", { "n-iter": 50, method: "bptt", seed: 1, resume: false }));
  assert(/^fig3-[0-9a-f]{16}$/.test(a), a);
  assert(a !== await jobId("fig3", { seed: 2, method: "bptt", "n-iter": 50 }));
  assert(a !== await jobId("figS7", { seed: 1, method: "bptt", "n-iter": 50 }));
  // Keyed by every flag with defaults filled: a default given explicitly is the same run, a
  // bookkeeping flag does not count, an edited common flag is a new run.
  const d = SWEEP_EXPERIMENTS.fig3.flags["n-iter"].default;
  assertEquals(jobId("fig3", { seed: 0 }), jobId("fig3", { seed: 0, "n-iter": d }));
  assertEquals(jobId("fig3", { seed: 0 }), jobId("fig3", { seed: 0, "print-every": 3 }));
  assert(jobId("fig3", { seed: 0, "n-iter": 2 }) !== jobId("fig3", { seed: 0, "n-iter": 3 }));
  // Recorded once: a change of the derivation would make every queued sweep run again.
  assertEquals(await jobId("fig3", { seed: 0 }), "fig3-1d34a0c6247e61e9");
});

Deno.test("sweepSize and tooBig: the product of the list lengths times the variants, named", () => {
  assertEquals(sweepSize({ grid: {}, variants: [{}] }), 1);
  assertEquals(sweepSize({ grid: {}, variants: [] }), 1);
  assertEquals(sweepSize({ grid: { a: [1, 2, 3], b: [1, 2] }, variants: [{}, {}] }), 12);
  // No overflow: a huge grid is a huge float.
  const big = Array.from({ length: 1000 }, (_, i) => i);
  assertEquals(sweepSize({ grid: { a: big, b: big, c: big, d: big }, variants: [{}] }), 1e12);
  assertEquals(
    tooBig({ grid: {}, variants: [{}, {}] }, "p.json", 12345),
    "sweep spec p.json: grid (none) x 2 variant(s) gives 12,345 runs, more than the 10,000 a sweep may hold; split it into smaller sweeps",
  );
});

Deno.test("expandSweep: labels only of what varies, the averaged-over value, readable folders", async () => {
  const runs = await expandSweep(
    spec({
      experiment: "fig3",
      flags: { "n-iter": 2 },
      grid: { seed: [3], "learning-rate": [0.01] },
      variants: [{ method: "bptt" }],
    }),
    "s.json",
  );
  // One variant: its flags do not vary, so they are left out of the label.
  assertEquals(runs.length, 1);
  const [r] = runs;
  assertEquals(r.label, "seed=3 learning-rate=0.01");
  assertEquals(r.setting, "learning-rate=0.01");
  assertEquals(r.over, 3);
  assertEquals(r.folder, `seed=3_learning-rate=0.01_${r.jobId}`);
  assertEquals(r.flags, { "n-iter": 2, method: "bptt", seed: 3, "learning-rate": 0.01 });
  assertEquals(r.values.seed, 3);
  assertEquals(r.values.method, "bptt");
  assertEquals(r.jobId, jobId("fig3", r.flags));
  // Nothing varies: the folder is the job id alone, and over is absent when the run does not set it.
  const [alone] = await expandSweep(spec({ experiment: "fig3" }), "s.json");
  assertEquals([alone.label, alone.folder, alone.over], ["", alone.jobId, undefined]);
  // A long label gives the job id alone too; characters a folder name should not hold become "-".
  const long = "x".repeat(120);
  const [lr] = await expandSweep(spec({ experiment: "fig2", grid: { data: [long] } }), "s.json");
  assertEquals(lr.folder, lr.jobId);
  const [odd] = await expandSweep(
    spec({ experiment: "fig2", grid: { data: ["a/b c"] } }),
    "s.json",
  );
  assertEquals(odd.folder, `data=a-b_c_${odd.jobId}`);
});

Deno.test("runValues: a switch only as a boolean, a value flag never as one; unknown experiments and non-objects refused", () => {
  assertEquals(runValues("fig2", { data: "d", "no-figures": true })["no-figures"], true);
  assertEquals(runValues("fig2", { data: "d", "no-figures": false })["no-figures"], false);
  const cases: [string, unknown, string][] = [
    ["fig2", { "no-figures": "yes" }, '--no-figures is a switch: give true or false, got "yes"'],
    ["fig2", { "no-figures": 1 }, "--no-figures is a switch: give true or false, got 1"],
    ["fig3", { seed: false }, "--seed takes a value (int), got false"],
    ["fig3", { seed: true }, "--seed takes a value (int), got true"],
    ["fig3", [1], "the flags must be an object of flag values, got [1]"],
    ["fig3", null, "the flags must be an object of flag values, got null"],
    ["toString", {}, "unknown experiment toString; expected one of fig3, figS7, fig2, fig4, fig5"],
  ];
  for (const [experiment, flags, message] of cases) {
    const e = assertThrows(() => runValues(experiment, flags as Record<string, number>), FlagError);
    assertEquals(e.message, message);
  }
  // The experiment's own check of combinations runs too.
  assertThrows(
    () => runValues("fig3", { "n-regular": 0, "n-adaptive": 0 }),
    FlagError,
    "--n-regular plus --n-adaptive must be at least 1",
  );
  // Defaults filled in: every flag of the experiment has a value.
  const all = runValues("fig3", {});
  for (const name of Object.keys(SWEEP_EXPERIMENTS.fig3.flags)) assert(name in all, name);
});

import nodeAssert from "node:assert/strict";
import { loadSweepSpec, parseSweepSpec } from "./spec.ts";
import { MAX_SWEEP_RUNS } from "./runs.ts";
import { InputError } from "../cli/command.ts";
import { assert, assertEquals, assertThrows } from "../../tests/_sweep_asserts.ts";

function spec(o: Record<string, unknown>) {
  return parseSweepSpec(JSON.stringify(o), "s.json");
}

Deno.test("sweep spec: defaults, and bad specs give one line naming the field", () => {
  const s = spec({ experiment: "fig3", grid: { seed: [0, 1] } });
  assertEquals(s.name, "s");
  assertEquals(s.out, "out/sweeps/s");
  assertEquals(s.over, "seed");
  assertEquals(s.variants, [{}]);
  const bad: [Record<string, unknown> | string, RegExp][] = [
    ["{", /not valid JSON/],
    [[1] as unknown as Record<string, unknown>, /expected a JSON object/],
    [{}, /experiment: expected one of fig3, figS7, fig2, fig4, fig5, got nothing/],
    [{ experiment: "fig9" }, /experiment: expected one of .* got "fig9"/],
    [{ experiment: "fig3", seeds: [1] }, /unknown field "seeds"/],
    [{ experiment: "fig3", grid: { seed: [] } }, /grid\.seed: expected a non-empty list/],
    [{ experiment: "fig3", grid: { seed: 3 } }, /grid\.seed: expected a non-empty list/],
    [{ experiment: "fig3", grid: { seed: [1, 1] } }, /grid\.seed: lists 1 twice/],
    [{ experiment: "fig3", flags: { out: "x" } }, /flags\.out: the sweep sets --out itself/],
    [{ experiment: "fig3", flags: { seed: [1] } }, /flags\.seed: expected a number, string/],
    [{ experiment: "fig3", flags: { seed: 1 }, grid: { seed: [2] } }, /also in flags/],
    [{ experiment: "fig3", variants: {} }, /variants: expected a non-empty list/],
    [{ experiment: "fig3", variants: [{ resume: true }] }, /variants\[0\]\.resume/],
    [{ experiment: "fig3", name: "a b" }, /name: expected letters/],
  ];
  for (const [o, re] of bad) {
    const text = typeof o === "string" ? o : JSON.stringify(o);
    const e = assertThrows(() => parseSweepSpec(text, "s.json"), InputError);
    assert(re.test(e.message), `${e.message} should match ${re}`);
    assert(e.message.startsWith("sweep spec s.json: "), e.message);
    assert(!e.message.includes("\n"), e.message);
  }
});

Deno.test("sweep spec: every field given, dashes stripped from flag names, the name from the file", () => {
  const s = parseSweepSpec(
    JSON.stringify({
      name: "my.sweep_1",
      experiment: "figS7",
      flags: { "--n-iter": 3, method: "bptt" },
      grid: { "--seed": [0, 1], thr: [0.03, 0.05] },
      variants: [{ "reg-f": 10 }, { "reg-f": 20 }],
      out: "runs/here",
      over: "--thr",
    }),
    "specs/x.json",
  );
  assertEquals(s, {
    name: "my.sweep_1",
    experiment: "figS7",
    flags: { "n-iter": 3, method: "bptt" },
    grid: { seed: [0, 1], thr: [0.03, 0.05] },
    variants: [{ "reg-f": 10 }, { "reg-f": 20 }],
    out: "runs/here",
    over: "thr",
  });
  assertEquals(parseSweepSpec('{"experiment": "fig3"}', "a/b/Grid.JSON").name, "Grid");
  assertEquals(parseSweepSpec('{"experiment": "fig3"}', "a/b/Grid.JSON").out, "out/sweeps/Grid");
});

Deno.test("sweep spec: more fields refused naming them (variants against grid, out, over, size)", () => {
  const cases: [Record<string, unknown>, string][] = [
    [
      { experiment: "fig3", grid: [1] },
      'grid: expected an object of flag lists ({"seed": [0, 1, 2]}), got a list',
    ],
    [{ experiment: "fig3", grid: { "a b": [1] } }, 'grid: "a b" is not a flag name'],
    [
      { experiment: "fig3", grid: { seed: [null] } },
      "grid.seed: expected a non-empty list of numbers, strings or booleans",
    ],
    [
      { experiment: "fig3", grid: { resume: [true] } },
      "grid.resume: the sweep sets --resume itself",
    ],
    [
      { experiment: "fig3", flags: [] },
      'flags: expected an object of flags ({"seed": 1, ...}), got a list',
    ],
    [{ experiment: "fig3", flags: { "-x": 1 } }, 'flags: "-x" is not a flag name'],
    [
      { experiment: "fig3", flags: { thr: null } },
      "flags.thr: expected a number, string or boolean, got null",
    ],
    [
      { experiment: "fig3", variants: [] },
      "variants: expected a non-empty list of flag objects, got a list",
    ],
    [
      { experiment: "fig3", variants: [{}, 3] },
      'variants[1]: expected an object of flags ({"seed": 1, ...}), got 3',
    ],
    [
      { experiment: "fig3", flags: { seed: 1 }, variants: [{ seed: 2 }] },
      "variants[0].seed: --seed is also in flags; give it in one place",
    ],
    [
      { experiment: "fig3", grid: { seed: [1, 2] }, variants: [{ seed: 2 }] },
      "variants[0].seed: --seed is also in grid; give it in one place",
    ],
    [{ experiment: "fig3", out: " " }, 'out: expected a folder path, got " "'],
    [{ experiment: "fig3", out: 3 }, "out: expected a folder path, got 3"],
    [{ experiment: "fig3", over: "" }, 'over: expected a flag name, got ""'],
    [{ experiment: "fig3", over: "colour" }, "over: --colour is not a flag of fig3"],
    [{ experiment: "fig3", name: 7 }, 'name: expected letters, digits, ".", "_" or "-", got 7'],
  ];
  for (const [o, part] of cases) {
    const e = assertThrows(() => spec(o), InputError);
    assert(e.message.startsWith("sweep spec s.json: "), e.message);
    assert(e.message.includes(part), `${e.message} lacks ${part}`);
  }
  // Too many runs: refused before anything is expanded, naming the sizes.
  const values = Array.from({ length: 101 }, (_, i) => i);
  const e = assertThrows(
    () => spec({ experiment: "fig3", grid: { seed: values, "n-iter": values } }),
    InputError,
  );
  assertEquals(
    e.message,
    `sweep spec s.json: grid seed 101 x n-iter 101 x 1 variant(s) gives 10,201 runs, more than the ${
      MAX_SWEEP_RUNS.toLocaleString("en-US")
    } a sweep may hold; split it into smaller sweeps`,
  );
});

Deno.test("loadSweepSpec: reads the file; a missing one is an InputError naming it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/seeds.json`, '{"experiment": "fig3", "grid": {"seed": [4]}}');
    const s = await loadSweepSpec(`${dir}/seeds.json`);
    assertEquals([s.name, s.grid], ["seeds", { seed: [4] }]);
    const missing = `${dir}/none.json`;
    await nodeAssert.rejects(loadSweepSpec(missing), (e: Error) => {
      nodeAssert.ok(e instanceof InputError);
      nodeAssert.ok(e.message.includes(`the sweep spec --spec ${missing}`), e.message);
      return true;
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

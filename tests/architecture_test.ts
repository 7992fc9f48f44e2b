/**
 * The layering rules (README, "Architecture"), checked on the import graph of every module under
 * `src/`: the model imports only the ground floor; the engines only the model, the ground floor
 * and the engine interface, never each other; learners and apps reach engines only through the
 * interface or its factory; only apps import the command layer; no cycle between folders.
 */
import assert from "node:assert/strict";
import {
  checkLayers,
  type ImportEdge,
  importSpecifiers,
  readImportGraph,
} from "./_import_graph.ts";
import { ROOT } from "./_bad_input.ts";

const graph = await readImportGraph(ROOT.pathname);

const base = checkLayers(graph);

Deno.test("architecture: every import under src/ obeys the layers; no folder cycle", () => {
  assert.ok(graph.length > 500, `only ${graph.length} imports read`);
  assert.deepEqual(base, [], `${base.length} broken rules:\n${base.join("\n")}`);
});

Deno.test("architecture: a forbidden import fails the check, naming the file and the import", () => {
  const cases: [ImportEdge, RegExp][] = [
    [
      { from: "src/net/network.ts", to: "src/engine/backend.ts" },
      /src\/net\/network\.ts imports src\/engine\/backend\.ts: model .* may import only ground, model, not interface/,
    ],
    [
      { from: "src/engine/tfjs/tfjs_network.ts", to: "src/engine/wasm/module.ts" },
      /engines src\/engine\/tfjs and src\/engine\/wasm never import each other/,
    ],
    [
      { from: "src/agent/agent_trainer.ts", to: "src/engine/wasm/wasm_network.ts" },
      /learners \(src\/agent\) may import only .*not engines \(src\/engine\/wasm\)/,
    ],
    [
      { from: "src/train/trainer.ts", to: "src/cli/flags.ts" },
      /learners \(src\/train\) .* not apps \(src\/cli\)/,
    ],
    [
      { from: "src/engine/wasm/wasm_network.ts", to: "src/agent/agent_trainer.ts" },
      /engines \(src\/engine\/wasm\) may import only ground, model, interface, not learners/,
    ],
    [
      { from: "src/newfolder/x.ts", to: "src/util/errors.ts" },
      /folder src\/newfolder belongs to no layer/,
    ],
    [
      { from: "src/train/trainer.ts", to: "core-wasm/generated/core_wasm.ts" },
      /may import outside src\//,
    ],
  ];
  for (const [edge, message] of cases) {
    const problems = checkLayers([...graph, edge]).filter((p) => !base.includes(p));
    // (an upward import also closes a folder cycle: that is reported too)
    assert.ok(problems.some((p) => message.test(p)), `${edge.from} -> ${edge.to}: ${problems}`);
  }
  // a cycle between two folders of one layer
  const cycle = checkLayers([
    ...graph,
    { from: "src/net/network.ts", to: "src/grad/feedback.ts" },
    { from: "src/grad/feedback.ts", to: "src/net/losses.ts" },
  ]);
  assert.ok(
    cycle.some((p) =>
      /^import cycle between folders src\/(net|grad) -> src\/(grad|net): .*src\/grad\/feedback\.ts -> src\/net\/losses\.ts/
        .test(p)
    ),
    cycle.join("\n"),
  );
});

Deno.test("architecture: imports are read from code (static, dynamic, worker URLs), not comments", () => {
  const text = [
    'import type { A } from "../a.ts";',
    'export { b } from "./b.ts";',
    'const c = await import("../c/c.ts");',
    'new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });',
    '// import { d } from "../d.ts";',
    '/** import { e } from "../e.ts"; */',
    'import { f } from "npm:f";',
    'const u = "https://example.org/x.ts"; // a URL',
  ].join("\n");
  assert.deepEqual(importSpecifiers(text), ["../a.ts", "./b.ts", "../c/c.ts", "./worker.ts"]);
});

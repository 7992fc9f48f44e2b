import assert from "node:assert/strict";
import { type FlagSpecs, negatedFlag, parseFlags } from "./flags.ts";

const SPECS: FlagSpecs = {
  bias: { type: "boolean", default: true, help: "" },
  "no-figure": { type: "boolean", default: false, help: "" },
  figure: { type: "boolean", default: true, help: "" },
  size: { type: "int", default: 4, help: "" },
};

Deno.test("--no-<flag> turns a boolean flag off; a flag named no-... keeps its meaning", () => {
  assert.equal(negatedFlag("--no-bias", SPECS), "bias");
  assert.equal(negatedFlag("--no-figure", SPECS), undefined); // its own flag
  assert.equal(negatedFlag("--no-size", SPECS), undefined); // not a boolean
  const a = parseFlags(["--no-bias", "--no-figure"], SPECS);
  assert.deepEqual([a.values.bias, a.values["no-figure"], a.values.figure], [false, true, true]);
  assert.ok(a.given.has("bias"));
  assert.throws(() => parseFlags(["--no-bias", "--bias"], SPECS), /--bias is given more than once/);
  assert.throws(() => parseFlags(["--no-size"], SPECS), /unknown flag --no-size/);
});

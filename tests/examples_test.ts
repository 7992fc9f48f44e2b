/**
 * The user-facing scripts of examples/ run as their doc comments say, through the public API.
 *
 * @module
 */
import assert from "node:assert/strict";

const ROOT = new URL("..", import.meta.url);

async function run(args: string[]): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return text;
}

Deno.test("examples/case_gradients.ts: eq. (1) equals BPTT on the bundled case", async () => {
  const out = await run(["--allow-read", "examples/case_gradients.ts"]);
  assert.match(out, /^loss \d+\.\d+, \d+ spikes/);
  for (const key of ["w_in", "w_rec"]) {
    const m = out.match(new RegExp(`${key}: \\|eq\\. \\(1\\) - BPTT\\| <= (\\S+), `));
    assert.ok(m && Number(m[1]) < 1e-12, out);
  }
});

Deno.test("examples/train_fig3.ts trains the Fig. 3 network and prints progress", async () => {
  const out = await run(["examples/train_fig3.ts", "10"]);
  assert.match(out, /iter 10\/10 \| loss \d+\.\d+ .*\| val err \d+\.\d+%/);
});

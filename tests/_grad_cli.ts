/**
 * Runs `deno task grad` as a user would (with the task's one permission, --allow-read) and
 * returns its parsed stdout; fails the test, with its stderr, when it exits non-zero.
 */
import assert from "node:assert/strict";

/**
 * @param args Arguments after `grad` (a case file and flags).
 * @returns The printed result JSON.
 */
export async function runGradCli(args: string[]): Promise<unknown> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "src/apps/grad.ts", ...args],
    cwd: new URL("..", import.meta.url),
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

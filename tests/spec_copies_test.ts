/**
 * The repository carries its own copies of the golden cases (tests/golden/) and of the
 * specifications the code and README point to (docs/spec/), so that a clone alone runs its
 * tests. Where the workspace's shared/ folder sits beside the repository, the copies must equal it.
 */
import assert from "node:assert/strict";

const SHARED = new URL("../../shared/", import.meta.url);
const COPIES: [string, string][] = [
  ["golden/", "tests/golden/"],
  ["spec/", "docs/spec/"],
  ["peers/", "bench/peers/"],
];

async function exists(url: URL): Promise<boolean> {
  try {
    await Deno.stat(url);
    return true;
  } catch {
    return false;
  }
}

Deno.test("golden cases and specs in the repository equal ../shared (where it exists)", async (t) => {
  if (!(await exists(SHARED))) {
    console.log("skipped: no ../shared beside the repository; the in-repository copies are used");
    return;
  }
  for (const [from, to] of COPIES) {
    const local = new URL(`../${to}`, import.meta.url);
    for await (const entry of Deno.readDir(local)) {
      // bench/peers also holds this project's own reference scripts.
      if (from === "peers/" && !(await exists(new URL(`${from}${entry.name}`, SHARED)))) continue;
      await t.step(`${to}${entry.name}`, async () => {
        const shared = new URL(`${from}${entry.name}`, SHARED);
        assert.ok(await exists(shared), `${to}${entry.name} has no counterpart in shared/${from}`);
        assert.equal(
          await Deno.readTextFile(new URL(entry.name, local)),
          await Deno.readTextFile(shared),
          `${to}${entry.name} differs from shared/${from}${entry.name}; copy it again`,
        );
      });
    }
  }
  for await (const entry of Deno.readDir(new URL("golden/", SHARED))) {
    assert.ok(
      await exists(new URL(`golden/${entry.name}`, import.meta.url)),
      `shared/golden/${entry.name} has no copy in tests/golden/`,
    );
  }
});

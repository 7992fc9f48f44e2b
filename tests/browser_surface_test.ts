/**
 * The library surface runs without Deno APIs: every local module reachable from the entry points
 * that browsers and edge workers import (`deno info --json`, plus the modules that
 * `new Worker(new URL("./x.ts", import.meta.url))` starts) is searched for a use of the `Deno`
 * namespace, and the entries that must stay free of npm packages are checked for them too.
 * The type-level counterpart is `deno check --config tests/dom/deno.json mod.ts ...`, which
 * checks against the DOM library only.
 */
import assert from "node:assert/strict";

const ROOT = new URL("..", import.meta.url);

/** Entries for browsers and edge workers, and whether they may load npm packages. */
const ENTRIES: { file: string; npm: boolean }[] = [
  { file: "mod.ts", npm: false },
  { file: "core.ts", npm: false },
  { file: "train.ts", npm: false },
  { file: "edge/gradient_worker.ts", npm: false },
  { file: "env.ts", npm: false },
  { file: "tfjs.ts", npm: true },
];

/** A use of the Deno namespace: `Deno.x`, `Deno?.x`, `Deno[...]`, `typeof Deno`. */
const DENO_USE = /\bDeno(?:\??\.[A-Za-z_$]|\s*\[)|typeof\s+Deno\b|globalThis\s*\.\s*Deno\b/;

/** `new Worker(new URL("./x.ts", import.meta.url)...)`: a module graph of its own. */
const WORKER_URL = /new\s+Worker\(\s*new\s+URL\(\s*["']([^"']+)["']\s*,\s*import\.meta\.url/g;

interface InfoModule {
  specifier: string;
  local?: string;
  error?: string;
}

interface Info {
  modules: InfoModule[];
  npmPackages: Record<string, unknown>;
}

async function denoInfo(file: string): Promise<Info> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", file],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  assert.equal(out.code, 0, `deno info ${file}: ${new TextDecoder().decode(out.stderr)}`);
  return JSON.parse(new TextDecoder().decode(out.stdout)) as Info;
}

/** The local files reachable from `file`, following worker URLs; npm package names seen. */
async function reachable(file: string): Promise<{ files: string[]; npm: string[] }> {
  const files = new Set<string>();
  const npm = new Set<string>();
  const queue = [file];
  const seenRoots = new Set<string>();
  while (queue.length > 0) {
    const next = queue.pop()!;
    if (seenRoots.has(next)) continue;
    seenRoots.add(next);
    const info = await denoInfo(next);
    for (const name of Object.keys(info.npmPackages)) npm.add(name);
    for (const m of info.modules) {
      assert.equal(m.error, undefined, `${m.specifier}: ${m.error}`);
      if (m.specifier.startsWith("npm:")) npm.add(m.specifier);
      if (!m.specifier.startsWith("file:") || !m.local || files.has(m.local)) continue;
      files.add(m.local);
      const text = await Deno.readTextFile(m.local);
      for (const w of text.matchAll(WORKER_URL)) {
        queue.push(decodeURIComponent(new URL(w[1], m.specifier).pathname));
      }
    }
  }
  return { files: [...files].sort(), npm: [...npm].sort() };
}

for (const entry of ENTRIES) {
  Deno.test(`${entry.file}: no Deno API in any reachable module${entry.npm ? "" : ", no npm package"}`, async () => {
    const { files, npm } = await reachable(new URL(entry.file, ROOT).pathname);
    assert.ok(files.length > 0);
    if (!entry.npm) {
      assert.deepEqual(npm, [], `${entry.file} pulls npm packages: ${npm.join(", ")}`);
    }
    const uses: string[] = [];
    for (const file of files) {
      const lines = (await Deno.readTextFile(file)).split("\n");
      lines.forEach((line, i) => {
        if (DENO_USE.test(line)) {
          uses.push(`${file.slice(ROOT.pathname.length)}:${i + 1}: ${line.trim()}`);
        }
      });
    }
    assert.deepEqual(uses, [], `Deno API reachable from ${entry.file}:\n${uses.join("\n")}`);
  });
}

Deno.test("the Deno-use pattern finds uses and passes prose", () => {
  for (
    const use of ["Deno.readFile(x)", "Deno?.env", 'Deno["args"]', "typeof Deno", "globalThis.Deno"]
  ) {
    assert.ok(DENO_USE.test(use), use);
  }
  for (
    const prose of ["runs in Deno, browsers", "in Deno. The", "Deno and browsers", "deno.json"]
  ) {
    assert.ok(!DENO_USE.test(prose), prose);
  }
});

/**
 * The library from a plain URL import: the repository is served on 127.0.0.1 (a child process,
 * tests/_serve_files.ts) and a script outside it, run with no config file (`--no-config`) in a
 * fresh Deno cache (DENO_DIR in a temporary folder), imports `http://127.0.0.1:PORT/mod.ts` and
 * computes the gradients of golden cases (format 1 and 2, f64), which must match the references
 * within 1e-9.
 *
 * It takes exactly one permission, `--allow-import=127.0.0.1:PORT`: the same script with none
 * fails on the import, and with that one alone it runs. Afterwards the fresh cache holds no npm
 * package, and no module of the TensorFlow.js backend or of the figures was fetched (they load
 * only through their own entry points, `tfjs.ts` and `plot.ts`). The plain core file
 * `core-wasm/generated/core.wasm` also loads from its URL (`initWasm(new URL(...))`, which fetches
 * it: `--allow-net` for that host too).
 */
import assert from "node:assert/strict";
import { compareNested } from "./_result_compare.ts";

const ROOT = new URL("..", import.meta.url);
const rootPath = decodeURIComponent(ROOT.pathname).replace(/\/$/, "");
const GOLDEN = new URL("tests/golden/", ROOT);
const CASES = ["alif_ce_reg", "stacked.v2"];

interface Server {
  port: number;
  /** Request lines so far ("GET /mod.ts 200"). */
  requests: string[];
  stop(): Promise<void>;
}

/** Starts tests/_serve_files.ts on the repository and waits for its port. */
async function startServer(): Promise<Server> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-config",
      "--no-lock",
      `--allow-net=127.0.0.1`,
      `--allow-read=${rootPath}`,
      new URL("tests/_serve_files.ts", ROOT).pathname,
      rootPath,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
    env: { NO_COLOR: "1" },
  }).spawn();
  const requests: string[] = [];
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).pipeThrough(lineSplitter());
  const reader = lines.getReader();
  let port = 0;
  const deadline = setTimeout(() => child.kill("SIGKILL"), 15_000);
  while (port === 0) {
    const { value, done } = await reader.read();
    if (done) break;
    const m = value.match(/^listening (\d+)$/);
    if (m) port = Number(m[1]);
  }
  clearTimeout(deadline);
  if (port === 0) {
    await child.status;
    throw new Error("the file server did not start");
  }
  const drained = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      requests.push(value);
    }
  })();
  return {
    port,
    requests,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
      await drained;
    },
  };
}

function lineSplitter(): TransformStream<string, string> {
  let rest = "";
  return new TransformStream({
    transform(chunk, controller) {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop()!;
      for (const line of parts) controller.enqueue(line);
    },
    flush(controller) {
      if (rest) controller.enqueue(rest);
    },
  });
}

/** Runs a script with no config, in the given Deno cache, with exactly the given flags. */
async function runScript(
  dir: string,
  denoDir: string,
  flags: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-config", "--no-prompt", ...flags, "client.ts"],
    cwd: dir,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: {
      DENO_DIR: denoDir,
      NO_COLOR: "1",
      DENO_NO_UPDATE_CHECK: "1",
      NO_PROXY: "127.0.0.1",
      no_proxy: "127.0.0.1",
    },
  }).output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

/** The client: imports the served mod.ts; the cases are inlined (no file or network access). */
async function clientSource(base: string, coreUrl?: string): Promise<string> {
  const cases: unknown[] = [];
  for (const name of CASES) {
    cases.push(JSON.parse(await Deno.readTextFile(new URL(`${name}.case.json`, GOLDEN))));
  }
  return `import {
  initWasm,
  isNetworkCase,
  parseGradientCase,
  parseNetworkCase,
  runGradientCase,
  runNetworkCase,
  WasmBackend,
  WasmNetwork,
} from "${base}/mod.ts";

const module = ${coreUrl ? `await initWasm(new URL("${coreUrl}"))` : "undefined"};
const cases = ${JSON.stringify(cases)};
const results = [];
for (const json of cases) {
  if (isNetworkCase(json)) {
    const c = parseNetworkCase(json);
    const backend = await WasmNetwork.create(c.net, c.params, { precision: "f64", module });
    results.push(runNetworkCase(backend, c));
    backend.dispose();
  } else {
    const c = parseGradientCase(json);
    const backend = await WasmBackend.create(c.config, c.weights, { precision: "f64", module });
    results.push(runGradientCase(backend, c));
    backend.dispose();
  }
}
console.log(JSON.stringify(results));
`;
}

interface Result {
  loss: number;
  spikes: number;
  bptt: unknown;
  eprop: unknown;
  eq1: unknown;
}

async function assertMatchesGolden(stdout: string): Promise<void> {
  const results = JSON.parse(stdout) as Result[];
  assert.equal(results.length, CASES.length);
  for (const [i, name] of CASES.entries()) {
    const expected = JSON.parse(
      await Deno.readTextFile(new URL(`${name}.expected.json`, GOLDEN)),
    ) as Result;
    const got = results[i];
    assert.equal(got.spikes, expected.spikes, `${name}: spikes`);
    assert.ok(
      Math.abs(got.loss - expected.loss) <= 1e-9 * Math.abs(expected.loss),
      `${name}: loss ${got.loss} vs ${expected.loss}`,
    );
    const errors = compareNested(
      { bptt: got.bptt, eprop: got.eprop, eq1: got.eq1 },
      { bptt: expected.bptt, eprop: expected.eprop, eq1: expected.eq1 },
    );
    assert.ok(errors.size >= 8, `${name}: only ${errors.size} matrices compared`);
    for (const [key, err] of errors) {
      assert.ok(err < 1e-9, `${name} ${key}: relative error ${err} >= 1e-9`);
    }
  }
}

/** Every file under `dir`, relative to it. */
async function listFiles(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(`${dir}/${prefix}`)) {
    const rel = `${prefix}${entry.name}`;
    if (entry.isDirectory) out.push(...await listFiles(dir, `${rel}/`));
    else out.push(rel);
  }
  return out;
}

Deno.test("mod.ts from a URL: golden gradients with --allow-import=127.0.0.1:PORT alone, no npm package", async () => {
  const server = await startServer();
  const dir = await Deno.makeTempDir({ prefix: "eprop_url_import_" });
  try {
    const host = `127.0.0.1:${server.port}`;
    const denoDir = `${dir}/deno_dir`;
    await Deno.writeTextFile(`${dir}/client.ts`, await clientSource(`http://${host}`));

    // With no permission at all the import itself is refused: the import permission is needed.
    const none = await runScript(dir, denoDir, []);
    assert.notEqual(none.code, 0, "ran without --allow-import");
    assert.match(none.stderr, /import/i, none.stderr);

    // With exactly --allow-import for the server, it runs and matches the references.
    const run = await runScript(dir, denoDir, [`--allow-import=${host}`]);
    assert.equal(run.code, 0, run.stderr);
    await assertMatchesGolden(run.stdout);

    // The fresh cache: remote modules of the server only, no npm package.
    const files = await listFiles(denoDir);
    const npm = files.filter((f) => f.startsWith("npm/"));
    assert.deepEqual(npm, [], `the URL import pulled npm packages: ${npm.join(", ")}`);
    const remote = files.filter((f) => f.startsWith("remote/"));
    assert.ok(remote.length > 0, `no remote module cached: ${files.join(", ")}`);
    const others = remote.filter((f) => !f.startsWith(`remote/http/127.0.0.1_PORT${server.port}/`));
    assert.deepEqual(others, [], `modules from elsewhere: ${others.join(", ")}`);

    // What was fetched: TypeScript modules of the library only, nothing of tfjs or the figures.
    const fetched = server.requests
      .map((line) => line.match(/^GET (\S+) (\d+)$/))
      .filter((m): m is RegExpMatchArray => m !== null);
    assert.ok(fetched.length > 0, "no request reached the server");
    for (const [, path, status] of fetched) {
      assert.equal(status, "200", `GET ${path} answered ${status}`);
      assert.ok(path.endsWith(".ts"), `fetched ${path}`);
      assert.ok(
        !path.startsWith("/src/engine/tfjs/") && !path.startsWith("/src/plot/"),
        `importing mod.ts fetched ${path}`,
      );
    }
    console.log(
      `url import: ${fetched.length} modules fetched; without permissions: ${
        none.stderr.trim().split("\n")[0]
      }; with --allow-import=${host} only: ok; cache: ${remote.length} remote files, ` +
        `${npm.length} npm files (${[...new Set(files.map((f) => f.split("/")[0]))].join(", ")})`,
    );
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("core-wasm/generated/core.wasm loads from its URL (initWasm(new URL(...)))", async () => {
  const server = await startServer();
  const dir = await Deno.makeTempDir({ prefix: "eprop_url_wasm_" });
  try {
    const host = `127.0.0.1:${server.port}`;
    const coreUrl = `http://${host}/core-wasm/generated/core.wasm`;
    await Deno.writeTextFile(`${dir}/client.ts`, await clientSource(`http://${host}`, coreUrl));
    const run = await runScript(dir, `${dir}/deno_dir`, [
      `--allow-import=${host}`,
      `--allow-net=${host}`,
    ]);
    assert.equal(run.code, 0, run.stderr);
    await assertMatchesGolden(run.stdout);
    assert.ok(
      server.requests.includes("GET /core-wasm/generated/core.wasm 200"),
      server.requests.join("\n"),
    );
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

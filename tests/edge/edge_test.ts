/**
 * The edge worker (`edge/gradient_worker.ts`) under workerd, Cloudflare's runtime, from npm:
 * bundled by `edge/build.ts` (esbuild) into one ES module beside `core.wasm`, which the config
 * binds as a Wasm module (the worker imports it as `./core.wasm`, as wrangler bundles do).
 * workerd refuses to compile WebAssembly from bytes (a probe worker in the same process shows
 * it), and the bundle holds no wasm bytes, so the worker runs only on the precompiled module it
 * is handed.
 *
 * Every golden case is POSTed and the answer compared with the reference: f64 (the default, as
 * `deno task grad`) within 1e-9 relative max-abs error with identical spike counts, and against
 * the same computation in this Deno process; f32 within 1e-4; the online e-prop form; and the
 * error answers (405, 400 naming the field).
 *
 * Run by `deno task test:edge` (`--allow-net=127.0.0.1`). In the normal suite, which has no
 * network permission, it is ignored, and it never loads esbuild or workerd there. Where workerd
 * cannot run, the test says why and is ignored.
 */
import assert from "node:assert/strict";
import {
  isNetworkCase,
  parseGradientCase,
  parseNetworkCase,
  runGradientCase,
  runNetworkCase,
  WasmBackend,
  WasmNetwork,
} from "../../mod.ts";
import { compareNested } from "../_result_compare.ts";

const ROOT = new URL("../../", import.meta.url);
const GOLDEN = new URL("tests/golden/", ROOT);
const CASES = ["lif_mse", "alif_mse", "alif_ce_reg", "stacked.v2", "timit_bidir.v2"];
/** workerd's compatibility date for the worker (any date the binary supports). */
const COMPATIBILITY_DATE = "2025-06-01";

/** Imports by a specifier built at run time, so that the normal suite never loads the tools. */
function importAtRunTime<T>(path: string): Promise<T> {
  return import(new URL(path, import.meta.url).href) as Promise<T>;
}

interface Tools {
  buildEdgeWorker(outDir: string): Promise<{ worker: string; wasm: string; bytes: number }>;
  workerd: string;
}

/** Why the test cannot run here, or the tools it runs with. */
async function prepare(): Promise<string | Tools> {
  const net = await Deno.permissions.query({ name: "net", host: "127.0.0.1" });
  if (net.state !== "granted") {
    return "needs --allow-net=127.0.0.1 (run it with deno task test:edge)";
  }
  let workerd: string;
  try {
    const mod = await importAtRunTime<{ workerdBinary(): string }>("./_workerd.ts");
    workerd = mod.workerdBinary();
    const out = await new Deno.Command(workerd, { args: ["--version"], stdout: "piped" }).output();
    if (!out.success) return `workerd --version exited with ${out.code}`;
  } catch (e) {
    return `workerd cannot run here: ${(e as Error).message.split("\n")[0]}`;
  }
  const build = await importAtRunTime<Pick<Tools, "buildEdgeWorker">>("../../edge/build.ts");
  return { buildEdgeWorker: build.buildEdgeWorker, workerd };
}

const tools = await prepare();
if (typeof tools === "string") console.log(`edge test ignored: ${tools}`);

/** A free port on 127.0.0.1 (the listener is closed again before workerd binds it). */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Reports whether this runtime may compile WebAssembly from bytes, and what it bound. */
const PROBE_WORKER = `import coreWasm from "./core.wasm";
export default {
  async fetch() {
    let compile = "allowed";
    try {
      await WebAssembly.compile(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
    } catch (e) {
      compile = String(e);
    }
    const bound = coreWasm instanceof WebAssembly.Module;
    return new Response(JSON.stringify({ compile, bound }));
  },
};
`;

function config(workerPort: number, probePort: number): string {
  return `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "gradients", worker = .gradientWorker),
    (name = "probe", worker = .probeWorker),
  ],
  sockets = [
    (name = "http", address = "127.0.0.1:${workerPort}", http = (), service = "gradients"),
    (name = "probe", address = "127.0.0.1:${probePort}", http = (), service = "probe"),
  ],
);

const gradientWorker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "worker.js"),
    (name = "core.wasm", wasm = embed "core.wasm"),
  ],
  compatibilityDate = "${COMPATIBILITY_DATE}",
);

const probeWorker :Workerd.Worker = (
  modules = [
    (name = "probe.js", esModule = embed "probe.js"),
    (name = "core.wasm", wasm = embed "core.wasm"),
  ],
  compatibilityDate = "${COMPATIBILITY_DATE}",
);
`;
}

interface Result {
  loss: number;
  spikes: number;
  bptt: unknown;
  eprop: unknown;
  eq1: unknown;
}

async function readJson(name: string): Promise<unknown> {
  return JSON.parse(await Deno.readTextFile(new URL(name, GOLDEN)));
}

/** The same case computed in this process (f64, factorized), as `deno task grad` would. */
async function local(json: unknown): Promise<Result> {
  if (isNetworkCase(json)) {
    const c = parseNetworkCase(json);
    const backend = await WasmNetwork.create(c.net, c.params, { precision: "f64" });
    const result = runNetworkCase(backend, c);
    backend.dispose();
    return result;
  }
  const c = parseGradientCase(json);
  const backend = await WasmBackend.create(c.config, c.weights, { precision: "f64" });
  const result = runGradientCase(backend, c);
  backend.dispose();
  return result;
}

/** Largest relative error of every matrix, and the loss error; asserts spikes are equal. */
function worstError(got: Result, expected: Result, what: string): number {
  assert.equal(got.spikes, expected.spikes, `${what}: spikes`);
  const errors = compareNested(
    { bptt: got.bptt, eprop: got.eprop, eq1: got.eq1 },
    { bptt: expected.bptt, eprop: expected.eprop, eq1: expected.eq1 },
  );
  assert.ok(errors.size >= 8, `${what}: only ${errors.size} matrices compared`);
  let worst = Math.abs(got.loss - expected.loss) / Math.abs(expected.loss);
  for (const err of errors.values()) worst = Math.max(worst, err);
  return worst;
}

Deno.test({
  name: "edge worker under workerd: golden cases from the precompiled core, errors named",
  ignore: typeof tools === "string",
  async fn() {
    const { buildEdgeWorker, workerd } = tools as Tools;
    const dir = await Deno.makeTempDir({ prefix: "eprop_edge_" });
    let child: Deno.ChildProcess | undefined;
    let stderr: Promise<string> | undefined;
    try {
      const bundle = await buildEdgeWorker(dir);
      // The bundle holds no wasm bytes (base64 "AGFzbQ" is the wasm magic): no fallback to them.
      assert.ok(!(await Deno.readTextFile(bundle.worker)).includes("AGFzbQ"));
      await Deno.writeTextFile(`${dir}/probe.js`, PROBE_WORKER);
      const workerPort = freePort(), probePort = freePort();
      await Deno.writeTextFile(`${dir}/config.capnp`, config(workerPort, probePort));
      child = new Deno.Command(workerd, {
        args: ["serve", "config.capnp"],
        cwd: dir,
        stdin: "null",
        stdout: "null",
        stderr: "piped",
      }).spawn();
      stderr = new Response(child.stderr).text();
      const url = `http://127.0.0.1:${workerPort}/`;

      // Wait until workerd answers (a GET gets the 405 of the worker).
      const start = Date.now();
      let first: Response | undefined;
      while (!first) {
        try {
          first = await fetch(url);
        } catch {
          if (Date.now() - start > 20_000) throw new Error("workerd did not start in 20 s");
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
      const startMs = Date.now() - start;
      assert.equal(first.status, 405);
      assert.equal(first.headers.get("allow"), "POST");
      assert.match((await first.json() as { error: string }).error, /POST/);

      // workerd, like Cloudflare, refuses to compile from bytes; the bound core is a Module.
      const probe = await (await fetch(`http://127.0.0.1:${probePort}/`)).json() as {
        compile: string;
        bound: boolean;
      };
      assert.match(probe.compile, /CompileError.*disallowed/, probe.compile);
      assert.equal(probe.bound, true);

      const post = async (body: string, query = ""): Promise<Response> =>
        await fetch(`${url}${query}`, { method: "POST", body });
      const report: string[] = [];
      for (const name of CASES) {
        const text = await Deno.readTextFile(new URL(`${name}.case.json`, GOLDEN));
        const expected = await readJson(`${name}.expected.json`) as Result;
        const response = await post(text);
        assert.equal(response.status, 200, await response.clone().text());
        const got = await response.json() as Result;
        const err = worstError(got, expected, name);
        assert.ok(err < 1e-9, `${name}: relative error ${err} >= 1e-9`);
        const here = await local(JSON.parse(text));
        const vsDeno = worstError(got, here, `${name} (vs Deno)`);
        assert.ok(vsDeno < 1e-12, `${name}: workerd and Deno differ by ${vsDeno}`);
        report.push(`${name} ${err.toExponential(2)} (vs Deno ${vsDeno.toExponential(1)})`);
      }

      // f32 and the online form through the query.
      {
        const text = await Deno.readTextFile(new URL("alif_ce_reg.case.json", GOLDEN));
        const expected = await readJson("alif_ce_reg.expected.json") as Result;
        const f32 = await post(text, "?precision=f32");
        assert.equal(f32.status, 200);
        const errF32 = worstError(await f32.json() as Result, expected, "f32");
        assert.ok(errF32 < 1e-4, `f32: relative error ${errF32}`);
        const online = await post(text, "?form=online");
        assert.equal(online.status, 200);
        const errOnline = worstError(await online.json() as Result, expected, "online");
        assert.ok(errOnline < 1e-9, `online: relative error ${errOnline}`);
        report.push(
          `alif_ce_reg f32 ${errF32.toExponential(2)}, online ${errOnline.toExponential(2)}`,
        );
      }

      // Bad requests: the field is named.
      const bad = async (body: string, pattern: RegExp, query = "") => {
        const response = await post(body, query);
        const answer = await response.json() as { error?: string };
        assert.equal(response.status, 400, JSON.stringify(answer));
        assert.match(answer.error ?? "", pattern);
      };
      await bad('{"neuron": {}}', /readout must be an object/);
      await bad("{not json", /not valid JSON/);
      await bad('{"format": 2}', /inputs must be an array/);
      const lif = await Deno.readTextFile(new URL("lif_mse.case.json", GOLDEN));
      const wrongTau = JSON.parse(lif);
      wrongTau.neuron.tau_m = -20;
      await bad(JSON.stringify(wrongTau), /tau_m/);
      await bad(lif, /precision must be one of f64, f32/, "?precision=f16");
      await bad(lif, /unknown query parameter/, "?backend=tfjs");
      const put = await fetch(url, { method: "PUT", body: lif });
      assert.equal(put.status, 405);
      await put.body?.cancel();

      console.log(
        `edge (workerd, bundle ${bundle.bytes} bytes, ready in ${startMs} ms): ` +
          `worst relative error per case: ${report.join("; ")}`,
      );
    } finally {
      if (child) {
        child.kill("SIGTERM");
        await child.status;
      }
      const log = await stderr;
      if (log?.trim()) console.log(`workerd stderr:\n${log.trim()}`);
      await Deno.remove(dir, { recursive: true });
    }
  },
});

// deno-lint-ignore-file no-import-prefix -- a full npm: specifier keeps this script runnable with --no-config or from a URL, where deno.json import maps do not apply.
/**
 * Bundles the edge worker (`edge/gradient_worker.ts`) for workerd / Cloudflare Workers with
 * esbuild: one ES module, `worker.js`, beside a copy of the core, `core.wasm`
 * (`core-wasm/generated/core.wasm`). The bundle's entry imports the core the way wrangler does,
 * `import coreWasm from "./core.wasm"` (the runtime hands it over as a precompiled
 * `WebAssembly.Module`), and passes it to the worker as `env.CORE_WASM`. The base64 copy of the
 * core that `mod.ts` embeds is left out of the bundle (`WASM_BASE64` is empty there), so the
 * bundle holds no WebAssembly bytes and cannot compile any: the core comes from the runtime.
 *
 * Usage: `deno run --allow-read --allow-write --allow-env --allow-run edge/build.ts [OUT_DIR]`
 * (default `dist/edge/`). Load the two files into workerd as
 * `(name = "worker.js", esModule = embed "worker.js")` and
 * `(name = "core.wasm", wasm = embed "core.wasm")`.
 *
 * @module
 */
import * as esbuild from "npm:esbuild@0.28.2";

const root = new URL("../", import.meta.url);

/** The bundle's entry: the core imported as a module (wrangler style), handed over as env. */
export const ENTRY_SOURCE: string = `import coreWasm from "./core.wasm";
import worker from "./gradient_worker.ts";

export default {
  fetch(request, env, ctx) {
    return worker.fetch(request, { ...env, CORE_WASM: coreWasm }, ctx);
  },
};
`;

/** Where {@linkcode buildEdgeWorker} wrote the bundle. */
export interface EdgeBundle {
  /** The ES module, `worker.js`. */
  worker: string;
  /** The core, `core.wasm`, imported by the worker as `./core.wasm`. */
  wasm: string;
  /** Size of `worker.js` in bytes. */
  bytes: number;
}

/**
 * Bundles the worker into `outDir`.
 *
 * @param outDir The folder to write `worker.js` and `core.wasm` into (created if missing).
 * @returns The paths written.
 * @throws {Error} With esbuild's messages when bundling fails.
 */
export async function buildEdgeWorker(outDir: string | URL): Promise<EdgeBundle> {
  const dir = typeof outDir === "string" ? outDir : decodeURIComponent(outDir.pathname);
  await Deno.mkdir(dir, { recursive: true });
  const worker = `${dir.replace(/\/$/, "")}/worker.js`;
  const wasm = `${dir.replace(/\/$/, "")}/core.wasm`;
  try {
    const result = await esbuild.build({
      stdin: {
        contents: ENTRY_SOURCE,
        resolveDir: decodeURIComponent(new URL("edge/", root).pathname),
        sourcefile: "entry.js",
        loader: "js",
      },
      bundle: true,
      format: "esm",
      platform: "neutral",
      target: "es2022",
      outfile: worker,
      write: true,
      logLevel: "silent",
      plugins: [{
        name: "core-wasm-module",
        setup(build) {
          // The core stays a separate module that the runtime compiles (wrangler's CompiledWasm).
          build.onResolve({ filter: /\.wasm$/ }, (args) => ({ path: args.path, external: true }));
          // The embedded base64 copy is left out: the bundle holds no wasm bytes to compile.
          build.onLoad({ filter: /core-wasm[\\/]generated[\\/]core_wasm\.ts$/ }, async (args) => {
            const text = await Deno.readTextFile(args.path);
            const hash = text.match(/export const SOURCE_HASH = "([0-9a-f]+)"/)?.[1] ?? "";
            return {
              contents: `export const SOURCE_HASH = "${hash}";\nexport const WASM_BASE64 = "";\n`,
              loader: "ts",
            };
          });
        },
      }],
    });
    if (result.errors.length > 0) {
      throw new Error(result.errors.map((e) => e.text).join("\n"));
    }
  } finally {
    await esbuild.stop();
  }
  await Deno.copyFile(new URL("core-wasm/generated/core.wasm", root), wasm);
  return { worker, wasm, bytes: (await Deno.stat(worker)).size };
}

if (import.meta.main) {
  const out = Deno.args[0] ?? decodeURIComponent(new URL("dist/edge/", root).pathname);
  const bundle = await buildEdgeWorker(out);
  console.log(`edge: ${bundle.worker} (${bundle.bytes} bytes), ${bundle.wasm}`);
}

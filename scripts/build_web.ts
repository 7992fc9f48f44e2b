// deno-lint-ignore-file no-import-prefix -- the bundler is a build tool, pinned here rather than in the library's import map.
/**
 * Builds the browser bundles with esbuild into `dist/`:
 *
 * - `dist/eprop.js`: `mod.ts` as one ES module for browsers and workers, the WebAssembly core
 *   embedded (no extra fetch); the build fails if it refers to `Deno.`.
 * - `dist/eprop-tfjs.js`: `tfjs.ts` with TensorFlow.js bundled in (minified). The `npm:`
 *   specifiers are resolved offline to the packages in Deno's npm cache, following the package
 *   graph that `deno info --json` reports for the committed `deno.lock`.
 * - `dist/web/`: the live Fig. 3 page (`examples/web/`): `index.html`, `app.js` and
 *   `trainer_worker.js`, which import `../eprop.js` (and `../eprop-tfjs.js` on demand) rather
 *   than bundling the library again; the golden case it checks (`golden/`); and
 *   `deno_reference.json`, the same case computed here in Deno (f64 and f32, as exact bits) and
 *   the validations of a short training run, which the page compares with its own.
 *
 * The output is the same bytes on every build (no timestamps, no absolute paths); each file's
 * size and the start of its SHA-256 are printed.
 *
 * Usage: `deno task build:web [--force]`. Each output is listed with its SHA-256 in its folder's
 * `.eprop-outputs.json`; an existing file that is not listed there (or was changed since) is
 * refused before any work unless `--force`, and the build deletes nothing.
 *
 * @module
 */
import * as esbuild from "npm:esbuild@0.28.2";
import { GOLDEN_CASE, wasmCaseBits } from "../examples/web/gradient_check.ts";
import type { FlagSpecs } from "../src/cli/flags.ts";
import { type SessionSettings, validationTrace } from "../examples/web/session.ts";
import { commandMain, fileError, InputError, RunFailure } from "../src/cli/command.ts";
import {
  checkReplaceable,
  OUTPUTS_MANIFEST,
  probeWritable,
  writeOutput,
} from "../src/cli/outputs.ts";

const ROOT = decodeURIComponent(new URL("..", import.meta.url).pathname).replace(/\/$/, "");
const DIST = `${ROOT}/dist`;
const WEB = `${DIST}/web`;

/** The training run whose first validations the page must reproduce exactly. */
export const REFERENCE_RUN: { settings: SessionSettings; iterations: number; every: number } = {
  settings: { preset: "small", method: "eprop", feedback: "random", seed: 0 },
  iterations: 50,
  every: 10,
};

/** One npm package of the graph: where Deno keeps it and what it depends on (package ids). */
interface NpmPackage {
  name: string;
  version: string;
  dependencies: string[];
  localPath: string;
}

/** The npm part of `deno info --json`: packages by id, and `npm:` specifiers to package ids. */
interface NpmGraph {
  packages: Map<string, NpmPackage>;
  specifiers: Map<string, string>;
}

/** Reads the npm package graph of an entry point (and caches its packages) through Deno. */
async function npmGraph(entry: string): Promise<NpmGraph> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "--lock=deno.lock", "--frozen", entry],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`deno info ${entry} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    modules: { kind: string; specifier: string; npmPackage?: string }[];
    redirects: Record<string, string>;
    npmPackages: Record<string, NpmPackage>;
  };
  const packages = new Map(Object.entries(info.npmPackages));
  const byModule = new Map(
    info.modules.filter((m) => m.kind === "npm" && m.npmPackage).map((m) => [
      m.specifier,
      m.npmPackage!,
    ]),
  );
  const specifiers = new Map<string, string>();
  for (const [from, to] of Object.entries(info.redirects)) {
    const id = byModule.get(to);
    if (from.startsWith("npm:") && id) specifiers.set(from, id);
  }
  return { packages, specifiers };
}

/** Splits "name/sub/path" (scoped or not) into the package name and the path inside it. */
function splitPackage(spec: string): { name: string; sub: string } {
  const parts = spec.split("/");
  const n = spec.startsWith("@") ? 2 : 1;
  return { name: parts.slice(0, n).join("/"), sub: parts.slice(n).join("/") };
}

/**
 * An esbuild plugin that resolves `npm:` specifiers and the bare imports inside npm packages to
 * the files in Deno's npm cache, honouring each package's `browser` field map.
 */
function denoNpmPlugin(graph: NpmGraph): esbuild.Plugin {
  // Longest paths first, so that the owner of a file is the innermost package.
  const owners = [...graph.packages.entries()]
    .sort(([a, p], [b, q]) => q.localPath.length - p.localPath.length || (a < b ? -1 : 1));
  const ownerOf = (file: string) => owners.find(([, p]) => file.startsWith(p.localPath + "/"))?.[1];
  const browserMaps = new Map<string, Record<string, string | false>>();
  const browserMap = (p: NpmPackage) => {
    let map = browserMaps.get(p.localPath);
    if (!map) {
      const json = JSON.parse(Deno.readTextFileSync(`${p.localPath}/package.json`));
      map = typeof json.browser === "object" && json.browser ? json.browser : {};
      browserMaps.set(p.localPath, map!);
    }
    return map!;
  };
  return {
    name: "deno-npm",
    setup(build) {
      const inPackage = async (p: NpmPackage, sub: string, kind: esbuild.ImportKind) => {
        const r = await build.resolve(sub ? `./${sub}` : "./", { resolveDir: p.localPath, kind });
        return r.errors.length
          ? { errors: r.errors }
          : { path: r.path, sideEffects: r.sideEffects };
      };
      build.onResolve({ filter: /^npm:/ }, (args) => {
        const m = /^npm:(@?[^@/]+(?:\/[^@/]+)?@[^/]+)(?:\/(.*))?$/.exec(args.path);
        const id = m && graph.specifiers.get(`npm:${m[1]}`);
        if (!id) {
          return { errors: [{ text: `${args.path} is not in the npm graph of deno.lock` }] };
        }
        return inPackage(graph.packages.get(id)!, m![2] ?? "", args.kind);
      });
      build.onResolve({ filter: /^[^./]/ }, (args) => {
        const owner = ownerOf(args.importer);
        if (!owner || /^[a-z]+:/i.test(args.path)) return undefined;
        const mapped = browserMap(owner)[args.path];
        if (mapped === false) return { path: args.path, namespace: "deno-npm-empty" };
        if (typeof mapped === "string") return inPackage(owner, mapped, args.kind);
        const { name, sub } = splitPackage(args.path);
        const dep = owner.dependencies.map((id) => graph.packages.get(id)!)
          .find((p) => p?.name === name);
        if (!dep) {
          return {
            errors: [{
              text: `${args.path} is not a dependency of ${owner.name}@${owner.version}`,
            }],
          };
        }
        return inPackage(dep, sub, args.kind);
      });
      build.onLoad({ filter: /.*/, namespace: "deno-npm-empty" }, () => ({
        contents: "module.exports = {};",
        loader: "js",
      }));
    },
  };
}

/** Keeps the page's imports of the library as imports of the bundles beside it. */
const libraryAsBundles: esbuild.Plugin = {
  name: "library-as-bundles",
  setup(build) {
    build.onResolve({ filter: /(^|\/)(mod|tfjs)\.ts$/ }, (args) => {
      const path = `${args.resolveDir}/${args.path}`.replace(/\/examples\/web\/\.\.\/\.\.\//, "/");
      if (path === `${ROOT}/mod.ts`) return { path: "../eprop.js", external: true };
      if (path === `${ROOT}/tfjs.ts`) return { path: "../eprop-tfjs.js", external: true };
      return undefined;
    });
  },
};

const COMMON: esbuild.BuildOptions = {
  absWorkingDir: ROOT,
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  write: false,
  logLevel: "warning",
  charset: "utf8",
};

async function bundle(options: esbuild.BuildOptions): Promise<Uint8Array> {
  const result = await esbuild.build({ ...COMMON, ...options });
  if (result.outputFiles!.length !== 1) throw new Error("expected one output file");
  return result.outputFiles![0].contents;
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as BufferSource));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Fails if a browser bundle refers to the Deno namespace. */
function checkNoDeno(name: string, bytes: Uint8Array): void {
  const text = new TextDecoder().decode(bytes);
  // `Deno.x`, `Deno?.x`, `Deno[...]`, `typeof Deno`, `globalThis.Deno` (as tests/browser_surface_test.ts).
  const m = /\bDeno(?:\??\.[A-Za-z_$]|\s*\[)|typeof\s+Deno\b|globalThis\s*\.\s*Deno\b/.exec(text);
  if (m) {
    const line = text.slice(0, m.index).split("\n").length;
    throw new RunFailure(`${name} refers to ${m[0]} (line ${line}); a browser bundle must not`);
  }
}

/** The files this build writes, below dist/ (and only these: it deletes nothing). */
export const OUTPUTS: readonly string[] = [
  "eprop.js",
  "eprop-tfjs.js",
  "gradient_worker.js",
  "web/app.js",
  "web/trainer_worker.js",
  "web/index.html",
  `web/golden/${GOLDEN_CASE}.case.json`,
  `web/golden/${GOLDEN_CASE}.expected.json`,
  "web/deno_reference.json",
];

/** The folders the outputs go into. */
const FOLDERS = ["", "web", "web/golden"];

/** The path as the user knows it (relative to the repository). */
const shown = (path: string) => path.slice(ROOT.length + 1);

/**
 * Checks dist/ before any work: its folders are folders, and each output may be replaced (it is
 * new, build:web wrote it and nobody changed it since, or --force), and dist/ can be written.
 * @param force Replace outputs this build did not write.
 * @returns The files in dist/web/ that are not this build's (left alone).
 * @throws {InputError} Naming the path and what to do.
 */
async function checkDist(force: boolean): Promise<string[]> {
  for (const folder of FOLDERS) {
    const path = folder ? `${DIST}/${folder}` : DIST;
    let info: Deno.FileInfo;
    try {
      info = await Deno.stat(path);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) break;
      throw fileError(e, `read ${shown(path)}`);
    }
    if (!info.isDirectory) {
      throw new InputError(
        `${shown(path)} is a file, not a folder: build:web writes its bundles into ${
          shown(path)
        }/; move the file away`,
      );
    }
  }
  for (const name of OUTPUTS) {
    try {
      await checkReplaceable(`${DIST}/${name}`, { task: "build:web", force });
    } catch (e) {
      if (!(e instanceof InputError) || !/already exists/.test(e.message)) throw e;
      throw new InputError(
        `dist/${name} already exists and build:web did not write it (or it was changed since); pass --force to replace it`,
      );
    }
  }
  const foreign: string[] = [];
  const ours = new Set(OUTPUTS.map((n) => `${DIST}/${n}`));
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(dir)) {
      const p = `${dir}/${e.name}`;
      if (e.isDirectory) await walk(p);
      else if (!ours.has(p) && e.name !== OUTPUTS_MANIFEST) foreign.push(shown(p));
    }
  };
  await walk(WEB).catch((e) => {
    if (!(e instanceof Deno.errors.NotFound)) throw fileError(e, "read dist/web");
  });
  return foreign.sort();
}

/** The first line of an error (esbuild's and deno info's are long). */
function firstLine(e: unknown): string {
  return ((e as Error)?.message ?? String(e)).split("\n").find((l) => l.trim() !== "")?.trim() ??
    "";
}

async function build(force: boolean): Promise<void> {
  const started = performance.now();
  const foreign = await checkDist(force);
  try {
    await Deno.mkdir(`${WEB}/golden`, { recursive: true });
  } catch (e) {
    throw fileError(e, "write into dist/");
  }
  await probeWritable(DIST, "write into dist/");
  const files = new Map<string, Uint8Array>();
  try {
    const graph = await npmGraph("tfjs.ts");
    files.set("eprop.js", await bundle({ entryPoints: ["mod.ts"] }));
    // The worker module of ParallelNetwork, found beside eprop.js.
    files.set(
      "gradient_worker.js",
      await bundle({ entryPoints: ["src/engine/wasm/gradient_worker.ts"] }),
    );
    files.set(
      "eprop-tfjs.js",
      await bundle({ entryPoints: ["tfjs.ts"], minify: true, plugins: [denoNpmPlugin(graph)] }),
    );
    for (const name of ["app", "trainer_worker"]) {
      files.set(
        `web/${name}.js`,
        await bundle({ entryPoints: [`examples/web/${name}.ts`], plugins: [libraryAsBundles] }),
      );
    }
  } catch (e) {
    throw new RunFailure(`the bundling failed: ${firstLine(e)}`);
  } finally {
    await esbuild.stop();
  }
  for (const name of ["eprop.js", "gradient_worker.js", "web/app.js", "web/trainer_worker.js"]) {
    checkNoDeno(name, files.get(name)!);
  }
  const text = (s: string) => new TextEncoder().encode(s);
  files.set("web/index.html", await Deno.readFile(`${ROOT}/examples/web/index.html`));
  for (const suffix of ["case", "expected"]) {
    const name = `${GOLDEN_CASE}.${suffix}.json`;
    files.set(`web/golden/${name}`, await Deno.readFile(`${ROOT}/tests/golden/${name}`));
  }
  // The Deno side of the page's checks.
  const caseJson = JSON.parse(
    await Deno.readTextFile(`${ROOT}/tests/golden/${GOLDEN_CASE}.case.json`),
  );
  const reference = {
    case: GOLDEN_CASE,
    runtime: { deno: Deno.version.deno, v8: Deno.version.v8 },
    f64: await wasmCaseBits(caseJson, "f64"),
    f32: await wasmCaseBits(caseJson, "f32"),
    training: {
      ...REFERENCE_RUN,
      validations: await validationTrace(REFERENCE_RUN.settings, REFERENCE_RUN),
    },
  };
  files.set("web/deno_reference.json", text(JSON.stringify(reference, null, 1) + "\n"));
  const missing = OUTPUTS.filter((n) => !files.has(n));
  if (missing.length || files.size !== OUTPUTS.length) {
    throw new RunFailure(`internal: the outputs differ from OUTPUTS (${missing.join(", ")})`);
  }

  for (const [name, bytes] of [...files].sort(([a], [b]) => (a < b ? -1 : 1))) {
    await writeOutput(`${DIST}/${name}`, bytes, { task: "build:web", force });
    const kb = (bytes.length / 1024).toFixed(1).padStart(8);
    console.log(`${kb} KiB  sha256 ${(await sha256(bytes)).slice(0, 16)}  dist/${name}`);
  }
  if (foreign.length) {
    console.log(
      `dist/web also holds ${foreign.length} file(s) build:web did not write, left alone: ${
        foreign.join(", ")
      }`,
    );
  }
  console.log(`built dist/ in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

/** The flags of `deno task build:web`. */
export const BUILD_FLAGS: FlagSpecs = {
  force: {
    type: "boolean",
    default: false,
    help:
      "replace files in dist/ that build:web did not write or that were changed since (it never deletes any)",
  },
};

/**
 * Runs the build.
 * @param args Command-line arguments (`--force`, `--help`).
 * @returns The exit code.
 */
export function main(args: string[]): Promise<number> {
  return commandMain(
    {
      name: "build:web",
      usage: `usage: deno task build:web [--force]

Bundles mod.ts (dist/eprop.js), tfjs.ts with TensorFlow.js (dist/eprop-tfjs.js) and the live
page examples/web/ (dist/web/) with esbuild, and records the page's Deno reference. Its outputs are
listed with their SHA-256 in each folder's .eprop-outputs.json; a file there that it did not write
is replaced only with --force, and nothing is deleted.`,
      flags: BUILD_FLAGS,
    },
    args,
    ({ values }) => build(values.force as boolean),
  );
}

if (import.meta.main) Deno.exit(await main(Deno.args));

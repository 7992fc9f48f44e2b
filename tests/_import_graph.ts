/**
 * The import graph of the library's modules under `src/`, and the layering rules it must obey
 * (README, "Architecture"): each folder belongs to one layer, and a layer may import only the
 * layers below it. {@linkcode checkLayers} lists every import that breaks a rule, and every
 * cycle between folders, each naming the importing file and what it imports.
 */
import { dirname, join, normalize, relative } from "node:path";

/** The layers, bottom-up, with their folders (relative to `src/`). */
export const LAYERS = {
  ground: ["util"],
  model: ["model", "net", "grad"],
  interface: ["engine"],
  engines: ["engine/wasm", "engine/tfjs"],
  factory: ["engine/factory"],
  libraries: ["data", "env", "env/ale", "env/games", "plot", "tasks"],
  learners: ["train", "agent", "cases", "verify"],
  apps: ["experiments", "cli", "sweep", "apps"],
} as const satisfies Record<string, readonly string[]>;

/** A layer's name. */
export type Layer = keyof typeof LAYERS;

/** What each layer may import (besides its own folder). */
export const MAY_IMPORT: Record<Layer, readonly Layer[]> = {
  ground: ["ground"],
  model: ["ground", "model"],
  interface: ["ground", "model", "interface"],
  // an engine imports only its own folder among the engines (checked apart: wasm never tfjs)
  engines: ["ground", "model", "interface"],
  factory: ["ground", "model", "interface", "engines", "factory"],
  libraries: ["ground", "model", "libraries"],
  learners: ["ground", "model", "interface", "factory", "libraries", "learners"],
  apps: ["ground", "model", "interface", "factory", "libraries", "learners", "apps"],
};

/** Imports that leave `src/`, by the folder allowed to make them. */
export const OUTSIDE_SRC: Record<string, readonly string[]> = {
  "engine/wasm": ["core-wasm/generated"],
};

/** One import of one module. */
export interface ImportEdge {
  /** The importing file, relative to the repository root (e.g. `src/agent/x.ts`). */
  from: string;
  /** The imported file, relative to the repository root. */
  to: string;
}

const SPECIFIER =
  /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|new\s+URL\(\s*)["'](\.{1,2}\/[^"'`]+)["']/g;

/**
 * The relative imports of a module's text: static imports and re-exports, dynamic imports with
 * a literal specifier, and `new URL("./x.ts", import.meta.url)` (workers), comments left out.
 * @param text The module's source.
 * @returns The specifiers as written.
 */
export function importSpecifiers(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
  return [...code.matchAll(SPECIFIER)].map((m) => m[1]).filter((s) =>
    /\.(ts|js|json|wasm)$/.test(s)
  );
}

/**
 * Reads every module under `src/` (test files `*_test.ts` beside their modules left out).
 * @param root The repository root.
 * @returns Its import edges.
 */
export async function readImportGraph(root: string): Promise<ImportEdge[]> {
  const edges: ImportEdge[] = [];
  async function walk(dir: string): Promise<void> {
    for await (const e of Deno.readDir(join(root, dir))) {
      const path = `${dir}/${e.name}`;
      if (e.isDirectory) await walk(path);
      else if (e.name.endsWith(".ts") && !e.name.endsWith("_test.ts")) {
        const text = await Deno.readTextFile(join(root, path));
        for (const s of importSpecifiers(text)) {
          edges.push({ from: path, to: normalize(join(dirname(path), s)) });
        }
      }
    }
  }
  await walk("src");
  return edges;
}

/** The folder of a file under `src/` (e.g. `engine/wasm`), or undefined outside `src/`. */
export function folderOf(file: string): string | undefined {
  const rel = relative("src", file);
  if (rel.startsWith("..")) return undefined;
  const d = dirname(rel);
  return d === "." ? "" : d;
}

function layerOf(folder: string): Layer | undefined {
  for (const [layer, folders] of Object.entries(LAYERS)) {
    if ((folders as readonly string[]).includes(folder)) return layer as Layer;
  }
  return undefined;
}

/**
 * Checks the layering rules and the absence of folder cycles.
 * @param edges The import graph.
 * @returns One line per broken rule, naming the import; empty when the graph obeys.
 */
export function checkLayers(edges: readonly ImportEdge[]): string[] {
  const problems: string[] = [];
  const folderEdges = new Map<string, Map<string, ImportEdge>>();
  for (const edge of edges) {
    const a = folderOf(edge.from)!, b = folderOf(edge.to);
    const la = layerOf(a);
    if (la === undefined) {
      problems.push(`${edge.from}: folder src/${a} belongs to no layer (add it to LAYERS)`);
      continue;
    }
    if (b === undefined) {
      const allowed = OUTSIDE_SRC[a] ?? [];
      if (!allowed.some((p) => edge.to.startsWith(`${p}/`))) {
        problems.push(
          `${edge.from} imports ${edge.to}: only ${
            Object.entries(OUTSIDE_SRC).map(([f, p]) => `src/${f} (${p.join(", ")})`).join(", ")
          } may import outside src/`,
        );
      }
      continue;
    }
    if (a !== b) {
      if (!folderEdges.has(a)) folderEdges.set(a, new Map());
      if (!folderEdges.get(a)!.has(b)) folderEdges.get(a)!.set(b, edge);
    }
    const lb = layerOf(b);
    if (lb === undefined) {
      problems.push(`${edge.from} imports ${edge.to}: src/${b} belongs to no layer`);
      continue;
    }
    if (la === "engines" && lb === "engines" && a !== b) {
      problems.push(
        `${edge.from} imports ${edge.to}: the engines src/${a} and src/${b} never import each other`,
      );
    } else if (la !== lb && !MAY_IMPORT[la].includes(lb)) {
      problems.push(
        `${edge.from} imports ${edge.to}: ${la} (src/${a}) may import only ${
          MAY_IMPORT[la].join(", ")
        }, not ${lb} (src/${b})`,
      );
    }
  }
  for (const cycle of folderCycles(folderEdges)) {
    const hops = cycle.map((f, i) => {
      const e = folderEdges.get(f)!.get(cycle[(i + 1) % cycle.length])!;
      return `${e.from} -> ${e.to}`;
    });
    problems.push(
      `import cycle between folders ${cycle.map((f) => `src/${f}`).join(" -> ")}: ${
        hops.join("; ")
      }`,
    );
  }
  return problems;
}

/** Strongly connected components of more than one folder, each as a cycle through them. */
function folderCycles(graph: Map<string, Map<string, ImportEdge>>): string[][] {
  const index = new Map<string, number>(), low = new Map<string, number>();
  const stack: string[] = [], on = new Set<string>(), out: string[][] = [];
  let next = 0;
  const visit = (v: string) => {
    index.set(v, next), low.set(v, next++), stack.push(v), on.add(v);
    for (const w of graph.get(v)?.keys() ?? []) {
      if (!index.has(w)) visit(w), low.set(v, Math.min(low.get(v)!, low.get(w)!));
      else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do (w = stack.pop()!), on.delete(w), component.push(w); while (w !== v);
      if (component.length > 1) out.push(cycleThrough(component, graph));
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

/** A cycle through a strongly connected component's first folder (breadth-first back to it). */
function cycleThrough(component: string[], graph: Map<string, Map<string, ImportEdge>>): string[] {
  const set = new Set(component), start = component[0];
  const from = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift()!;
    for (const w of graph.get(v)?.keys() ?? []) {
      if (!set.has(w)) continue;
      if (w === start) {
        const path = [v];
        while (path[0] !== start) path.unshift(from.get(path[0])!);
        return path;
      }
      if (!from.has(w)) from.set(w, v), queue.push(w);
    }
  }
  return component;
}

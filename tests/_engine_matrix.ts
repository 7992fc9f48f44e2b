/**
 * The engine test matrix: layer kinds x engines x precisions x checks. This module names the
 * cells, says which cells cannot run and why, gives every tolerance as a function of precision,
 * opens an engine for a cell behind one asynchronous interface, and registers one `Deno.test` per
 * cell and check, named after the cell (`engine matrix: network x workers x f32: bptt = eq1`), so
 * that a failure names its cell. A cell that cannot run is registered as an ignored test whose
 * name gives the reason: skipped by construction, never silently missing.
 *
 * @module
 */
import type { Backend, GradientOptions, GradientResult } from "../src/engine/backend.ts";
import type {
  NetworkBackend,
  NetworkEvaluation,
  NetworkGradientOptions,
  NetworkGradientResult,
  NetworkTrajectory,
} from "../src/engine/network_backend.ts";
import { WasmBackend } from "../src/engine/wasm/wasm_backend.ts";
import { ParallelBackend } from "../src/engine/wasm/parallel_backend.ts";
import { WasmNetwork } from "../src/engine/wasm/wasm_network.ts";
import { ParallelNetwork } from "../src/engine/wasm/parallel_network.ts";
import { TfjsBackend } from "../src/engine/tfjs/tfjs_backend.ts";
import { TfjsNetwork } from "../src/engine/tfjs/tfjs_network.ts";
import type { TfBackendName } from "../src/engine/tfjs/tf.ts";
import type { ResolvedNetworkConfig } from "../src/model/config.ts";
import type { Weights } from "../src/model/weights.ts";
import type { Batch, Objective } from "../src/model/objective.ts";
import type { ResolvedNetwork } from "../src/net/network.ts";
import type { NetworkParams } from "../src/net/params.ts";
import type { SequenceBatch } from "../src/net/batch.ts";
import type { NetworkObjective } from "../src/net/objective.ts";

/**
 * Layer kinds: "lsnn", one LSNN population with a readout (Figs. 3/S7, the `Backend` interface);
 * "network", composed LSNN networks (stacked, bidirectional, frame-pooled heads: the
 * `NetworkBackend` interface); "lstm", the LSTM baseline of Fig. 2; "conv", the spiking CNN of
 * the Atari agent; "step", one LSNN population run step by step for B episodes (the
 * `LsnnStepEngine` interface an agent uses).
 */
export type Kind = "lsnn" | "network" | "lstm" | "conv" | "step";
/** Engines: the WebAssembly core on this thread, the core split across 2 workers, tfjs. */
export type Engine = "wasm" | "workers" | "tfjs-cpu" | "tfjs-wasm";
/** Arithmetic of an engine. */
export type Precision = "f64" | "f32";

/** Every layer kind, in test order. */
export const KINDS: readonly Kind[] = ["lsnn", "network", "lstm", "conv", "step"];
/** Every engine, in test order. */
export const ENGINES: readonly Engine[] = ["wasm", "workers", "tfjs-cpu", "tfjs-wasm"];
/** Every precision, in test order. */
export const PRECISIONS: readonly Precision[] = ["f64", "f32"];

/** One cell of the matrix. */
export interface Cell {
  /** The layer kind. */
  kind: Kind;
  /** The engine. */
  engine: Engine;
  /** Its arithmetic. */
  precision: Precision;
}

/** Workers of a "workers" cell: 2, the cores the suite may use. */
export const WORKERS = 2;

/**
 * Why a cell cannot run at all (the engine lacks the kind or the precision), or undefined.
 * @param cell The cell.
 * @returns The reason, or undefined when the engine runs this kind in this precision.
 */
export function cellSkip(cell: Cell): string | undefined {
  const tfjs = cell.engine.startsWith("tfjs");
  if (tfjs && cell.precision === "f64") return "tfjs computes in float32 only";
  if (cell.kind === "lstm" && cell.engine !== "wasm") {
    return "the LSTM runs on one WebAssembly core only (no worker split, no tfjs graph)";
  }
  if (cell.kind === "conv" && cell.engine === "workers") {
    return "the spiking CNN has no worker split";
  }
  if (cell.kind === "step" && cell.engine === "workers") {
    return "the step engine runs B episodes on one engine (no worker split)";
  }
  if (cell.kind === "network" && cell.engine === "tfjs-wasm") {
    return "TfjsNetwork needs the UnsortedSegmentSum kernel, which tfjs-wasm 4.22 does not register";
  }
  if (cell.kind === "conv" && cell.engine === "tfjs-wasm") {
    return "the spiking CNN graph is checked on tfjs-cpu (the same graph; 84x84 takes ~7 s a backend)";
  }
  return undefined;
}

/**
 * A skip for the checks that tfjs-wasm would repeat: it runs the graph tfjs-cpu runs (other
 * kernels under it), so the invariants and golden cases run on tfjs-cpu only, and tfjs-wasm
 * is checked against the float64 core, for leaks and for its errors (2 cores: ~1 s a check).
 * @param cell The cell.
 * @returns The reason on tfjs-wasm, else undefined.
 */
export function sameGraphSkip(cell: Cell): string | undefined {
  return cell.engine === "tfjs-wasm"
    ? "tfjs-wasm runs tfjs-cpu's graph: checked there, and here against the float64 core"
    : undefined;
}

/**
 * How two computed results are related, which sets how far they may part. Sizes behind the
 * numbers: networks of up to 40 neurons and 60 steps (golden, random LSNN problems), composed
 * networks of up to 3 layers, 5 frame repeats and 10 frames, the LSTM of 2 x 4 cells over 7
 * frames, the spiking CNN up to 84x84 over 15 steps; errors are max|a - b| / max|b| over one
 * tensor.
 *
 * - "rounding": the same operations up to the grouping of a handful of terms (a head's exact
 *   gradient under every method, rate estimates, outputs gathered from workers).
 * - "grouping": the same sums split into parts or taken in another order (batch parts on
 *   workers, losses of two gradient methods, a plain loop reference of the same recursion).
 * - "reordered": the same mathematics by another algorithm (eq. (1) against BPTT, online
 *   against factorized e-prop, hard-coded against autodiff e-prop).
 * - "reference": an independent float64 implementation (the golden cases' autodiff), or the
 *   other precision.
 */
export type Agreement = "rounding" | "grouping" | "reordered" | "reference";

const TOLERANCES: Record<Precision, Record<Agreement, number>> = {
  // float64 (unit roundoff 1.1e-16): rounding ~100 u, grouping ~1e4 u, reordered ~1e6 u; the
  // golden references were computed by another float64 program (errors of both add, ~1e7 u).
  f64: { rounding: 1e-14, grouping: 1e-12, reordered: 1e-10, reference: 1e-9 },
  // float32 (unit roundoff 6e-8): rounding ~20 u, grouping ~200 u, reordered or against a float64
  // reference ~2000 u (a surrogate gradient amplifies the potentials' rounding).
  f32: { rounding: 1e-6, grouping: 1e-5, reordered: 1e-4, reference: 1e-4 },
};

/**
 * The one place tolerances come from.
 * @param precision The arithmetic of the less precise side.
 * @param agreement How the two results are related.
 * @returns The largest relative max-abs error allowed.
 */
export function tolerance(precision: Precision, agreement: Agreement): number {
  return TOLERANCES[precision][agreement];
}

/**
 * @param a One side's arithmetic.
 * @param b The other side's.
 * @returns The less precise of the two.
 */
export function lower(a: Precision, b: Precision): Precision {
  return a === "f32" || b === "f32" ? "f32" : "f64";
}

/**
 * Float32 ties: a spike flips between two float32 engines only where the potential lies within
 * float32 rounding of the threshold; at most this fraction of the spikes of a run may flip.
 */
export const MAX_FLIP_FRACTION = 1e-4;

/**
 * @param cell The cell.
 * @param check What the test checks.
 * @returns The test name, e.g. "engine matrix: lstm x wasm x f32: padding invariance".
 */
export function cellName(cell: Cell, check: string): string {
  return `engine matrix: ${cell.kind} x ${cell.engine} x ${cell.precision}: ${check}`;
}

/** The cells of one check, and why the others are left out. */
export interface CheckCells {
  /** The layer kinds the check applies to. */
  kinds: readonly Kind[];
  /** The engines (default: every engine). */
  engines?: readonly Engine[];
  /** The precisions (default: both). */
  precisions?: readonly Precision[];
  /** Why a cell that runs in general cannot run this check (undefined: it can). */
  skip?: (cell: Cell) => string | undefined;
}

/** Cells listed once as skipped (the engine lacks the kind or precision): names registered. */
const listed = new Set<string>();

/**
 * Every cell of the check's kinds, engines and precisions, each with the reason it is skipped
 * (undefined when it runs). A cell the engine cannot run at all is listed once for the whole
 * matrix (by {@linkcode matrixTest}), not once per check.
 * @param cells The check's cells.
 * @returns Cell and reason pairs.
 */
export function checkCells(cells: CheckCells): { cell: Cell; skip?: string; general: boolean }[] {
  const out: { cell: Cell; skip?: string; general: boolean }[] = [];
  for (const kind of cells.kinds) {
    for (const engine of cells.engines ?? ENGINES) {
      for (const precision of cells.precisions ?? PRECISIONS) {
        const cell = { kind, engine, precision };
        const general = cellSkip(cell);
        out.push({ cell, skip: general ?? cells.skip?.(cell), general: general !== undefined });
      }
    }
  }
  return out;
}

/**
 * Registers a check for every cell: a test per cell that runs, an ignored test with the reason
 * per cell that does not.
 * @param check The check's name (the part after the cell in the test name).
 * @param cells The cells.
 * @param fn The test of one cell.
 */
export function matrixTest(
  check: string,
  cells: CheckCells,
  fn: (cell: Cell) => Promise<void> | void,
): void {
  for (const { cell, skip, general } of checkCells(cells)) {
    if (general) {
      const name =
        `engine matrix: ${cell.kind} x ${cell.engine} x ${cell.precision} (skipped: ${skip})`;
      if (!listed.has(name)) {
        listed.add(name);
        Deno.test({ name, ignore: true, fn() {} });
      }
      continue;
    }
    if (skip !== undefined) {
      Deno.test({ name: `${cellName(cell, check)} (skipped: ${skip})`, ignore: true, fn() {} });
      continue;
    }
    Deno.test(cellName(cell, check), () => fn(cell));
  }
}

/** The tfjs backend of a tfjs engine. */
export function tfBackendOf(engine: Engine): TfBackendName {
  if (engine === "tfjs-cpu") return "cpu";
  if (engine === "tfjs-wasm") return "wasm";
  throw new Error(`Cannot pick a tfjs backend: ${engine} is not a tfjs engine`);
}

/** One population with a readout on any engine, behind one asynchronous interface. */
export interface LsnnEngine {
  /** The cell it runs. */
  cell: Cell;
  /** The synchronous backend (on "workers", the local core: use {@linkcode gradients}). */
  backend: Backend;
  /** Gradients, on the workers for a "workers" cell. */
  gradients(batch: Batch, objective: Objective, options: GradientOptions): Promise<GradientResult>;
  /** Frees the engine. */
  dispose(): void;
}

/**
 * @param cell The cell ("lsnn" kind).
 * @param config The network.
 * @param weights Its weights.
 * @returns The engine of the cell holding the weights.
 */
export async function openLsnn(
  cell: Cell,
  config: ResolvedNetworkConfig,
  weights: Weights,
): Promise<LsnnEngine> {
  const { engine, precision } = cell;
  if (engine === "wasm") {
    const backend = await WasmBackend.create(config, weights, { precision });
    return {
      cell,
      backend,
      gradients: (b, o, opt) => Promise.resolve(backend.gradients(b, o, opt)),
      dispose: () => backend.dispose(),
    };
  }
  if (engine === "workers") {
    const backend = await ParallelBackend.create(config, weights, { workers: WORKERS, precision });
    return {
      cell,
      backend,
      gradients: (b, o, opt) => backend.gradientsAsync(b, o, opt),
      dispose: () => backend.dispose(),
    };
  }
  const backend = await TfjsBackend.create(config, weights, { tfBackend: tfBackendOf(engine) });
  return {
    cell,
    backend,
    gradients: (b, o, opt) => Promise.resolve(backend.gradients(b, o, opt)),
    dispose: () => backend.dispose(),
  };
}

/** A composed network on any engine, behind one asynchronous interface. */
export interface NetworkEngine {
  /** The cell it runs. */
  cell: Cell;
  /** Loss and gradients. */
  gradients(
    batch: SequenceBatch,
    objective: NetworkObjective,
    options: NetworkGradientOptions,
  ): Promise<NetworkGradientResult>;
  /** Forward pass and objective. */
  evaluate(batch: SequenceBatch, objective: NetworkObjective): Promise<NetworkEvaluation>;
  /** Forward records (undefined on workers: they return gradients only). */
  simulate?: (batch: SequenceBatch) => NetworkTrajectory;
  /** Frees the engine. */
  dispose(): void;
}

/**
 * @param cell The cell ("network" kind).
 * @param net The network.
 * @param params Its parameters.
 * @returns The engine of the cell holding the parameters.
 */
export async function openNetwork(
  cell: Cell,
  net: ResolvedNetwork,
  params: NetworkParams,
): Promise<NetworkEngine> {
  const { engine, precision } = cell;
  if (engine === "workers") {
    const p = await ParallelNetwork.create(net, params, { workers: WORKERS, precision });
    return {
      cell,
      gradients: (b, o, opt) => p.gradients(b, o, opt),
      evaluate: (b, o) => p.evaluate(b, o),
      dispose: () => p.dispose(),
    };
  }
  const backend: NetworkBackend = engine === "wasm"
    ? await WasmNetwork.create(net, params, { precision })
    : await TfjsNetwork.create(net, params, { tfBackend: tfBackendOf(engine) });
  return {
    cell,
    gradients: (b, o, opt) => Promise.resolve(backend.gradients(b, o, opt)),
    evaluate: (b, o) => Promise.resolve(backend.evaluate(b, o)),
    simulate: (b) => backend.simulate(b),
    dispose: () => backend.dispose(),
  };
}

/**
 * The objective an engine computes: tfjs networks have the simple rate regularizer only, so an
 * online one becomes simple there (on every side of a comparison).
 * @param cell The cell.
 * @param objective The objective.
 * @returns The objective for the cell.
 */
export function objectiveFor(cell: Cell, objective: NetworkObjective): NetworkObjective {
  if (!cell.engine.startsWith("tfjs") || objective.regularization?.type !== "online") {
    return objective;
  }
  return { ...objective, regularization: { ...objective.regularization, type: "simple" } };
}

/** One variant of a check within a cell: a label for the test name and its value. */
export interface Variant<T> {
  /** Shown in brackets after the check: "engine matrix: lsnn x wasm x f64: bptt = eq1 [lif/ref0]". */
  label: string;
  /** What the test runs on. */
  value: T;
}

/**
 * Registers a check with one test per cell and variant (a golden case, a random network);
 * cells that cannot run are listed as by {@linkcode matrixTest}.
 * @param check The check's name.
 * @param cells The cells.
 * @param variants The variants of a cell.
 * @param fn The test of one cell and variant.
 */
export function matrixTests<T>(
  check: string,
  cells: CheckCells,
  variants: (cell: Cell) => Variant<T>[],
  fn: (cell: Cell, value: T) => Promise<void> | void,
): void {
  for (const { cell, skip } of checkCells(cells)) {
    if (skip !== undefined) {
      const only = { kinds: [cell.kind], engines: [cell.engine], precisions: [cell.precision] };
      matrixTest(check, { ...cells, ...only }, () => {});
      continue;
    }
    for (const v of variants(cell)) {
      Deno.test(`${cellName(cell, check)} [${v.label}]`, () => fn(cell, v.value));
    }
  }
}

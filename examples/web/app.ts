/// <reference lib="dom" />
/**
 * The live Fig. 3 page: trains the evidence-accumulation network with e-prop (or BPTT) in a Web
 * Worker on the WebAssembly core and draws the learning curve and one trial as it learns; checks
 * a golden gradient case computed in the page against the result recorded in Deno (bit for bit
 * in f64), and the TensorFlow.js backend on WebGL against the golden gradients.
 *
 * Bundled by `scripts/build_web.ts` into `dist/web/app.js`, which imports the library from
 * `../eprop.js` (and TensorFlow.js from `../eprop-tfjs.js`, on demand). What the checks found is
 * kept in `globalThis.epropPage` for tests.
 *
 * @module
 */
import {
  type GradientCaseResult,
  initWasm,
  initWeights,
  parseGradientCase,
  resolveNetworkConfig,
  Rng,
  runGradientCase,
  simdSupported,
  WasmBackend,
} from "../../mod.ts";
import {
  type CaseBits,
  compareBits,
  compareWithExpected,
  type Comparison,
  GOLDEN_CASE,
  resultBits,
  runWasmCase,
} from "./gradient_check.ts";
import type { FromWorker, ToWorker } from "./protocol.ts";
import {
  type IterationRecord,
  PRESETS,
  type SessionSettings,
  type Snapshot,
  type ValidationRecord,
} from "./session.ts";
import { drawLearningCurve, drawTrial } from "./plots.ts";

/** The reference that `deno task build:web` records in Deno (`dist/web/deno_reference.json`). */
export interface DenoReference {
  /** The golden case's name. */
  case: string;
  /** The Deno that computed it. */
  runtime: { deno: string; v8: string };
  /** The case on the f64 core. */
  f64: CaseBits;
  /** The case on the f32 core. */
  f32: CaseBits;
  /** A short training run: its settings and its validations at iteration 0 and every `every`. */
  training: {
    settings: SessionSettings;
    iterations: number;
    every: number;
    validations: ValidationRecord[];
  };
}

/** What the gradient check found. */
export interface GradientReport {
  /** f64 in the page against f64 in Deno. */
  f64: Comparison;
  /** f32 in the page against f32 in Deno. */
  f32: Comparison;
  /** f64 in the page against the golden float64 reference (relative). */
  golden: Comparison;
  /** The Deno that recorded the reference. */
  reference: { deno: string; v8: string };
  /** Milliseconds the three computations took. */
  ms: number;
}

/** What the TensorFlow.js check found. */
export interface TfjsReport {
  /** The tfjs backend used. */
  backend: string;
  /** The WebGL renderer (e.g. SwiftShader), when known. */
  renderer: string;
  /** Against the golden float64 reference (relative max-abs error per matrix). */
  golden: Comparison;
  /** Milliseconds it took (shader compilation included). */
  ms: number;
}

/** The page's state, for tests and the console. */
export interface PageState {
  /** Whether the core compiled and ran here, with SIMD. */
  core?: { ok: boolean; simd: boolean; ms: number; error?: string };
  /** The worker's core. */
  worker?: { ok: boolean; simd: boolean; ms: number; error?: string };
  /** Training iterations of the current run. */
  iterations: IterationRecord[];
  /** Validations of the current run. */
  validations: ValidationRecord[];
  /** The run's settings. */
  settings?: SessionSettings;
  /** Whether a run is going. */
  running: boolean;
  /** Why the last run stopped. */
  stopped?: string;
  /** Last error shown. */
  error?: string;
  /** The gradient check's report. */
  gradient?: GradientReport;
  /** The tfjs check's report. */
  tfjs?: TfjsReport;
  /** The Deno reference (loaded by the gradient check). */
  reference?: DenoReference;
}

const state: PageState = { iterations: [], validations: [], running: false };

/** The page's operations and state, for tests. */
const page = {
  state,
  start,
  stop,
  checkGradient,
  checkTfjs,
};
(globalThis as unknown as { epropPage: typeof page }).epropPage = page;

function $<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`The page has no #${id}`);
  return el as T;
}

const controls = {
  preset: $<HTMLSelectElement>("preset"),
  method: $<HTMLSelectElement>("method"),
  feedback: $<HTMLSelectElement>("feedback"),
  seed: $<HTMLInputElement>("seed"),
  start: $<HTMLButtonElement>("start"),
  stop: $<HTMLButtonElement>("stop"),
  checkGradient: $<HTMLButtonElement>("check-gradient"),
  checkTfjs: $<HTMLButtonElement>("check-tfjs"),
};
const curve = $<HTMLCanvasElement>("curve");
const trial = $<HTMLCanvasElement>("trial");

for (const [key, preset] of Object.entries(PRESETS)) {
  const option = document.createElement("option");
  option.value = key;
  option.textContent = preset.label;
  controls.preset.append(option);
}
controls.method.onchange = () => {
  controls.feedback.disabled = controls.method.value === "bptt";
};

function setStatus(id: string, status: "idle" | "busy" | "ok" | "failed", text: string): void {
  const el = $(id);
  el.dataset.state = status;
  el.textContent = text;
}

function showError(message: string): void {
  state.error = message;
  console.error(message);
  setStatus("run-status", "failed", message);
}

// ---- training -------------------------------------------------------------------------------

const worker = new Worker(new URL("./trainer_worker.js", import.meta.url), { type: "module" });
let run = 0;
let latest: Snapshot | undefined;
let trialDrawn: Snapshot | undefined;
let msPerIteration = 0;
let drawPending = false;
let lastDraw = 0;
/** Least milliseconds between redraws: drawing competes with the worker for the CPU. */
const DRAW_MS = 250;

/** Redraws on the next frame, at most every {@linkcode DRAW_MS} (the trial only when new). */
function redraw(): void {
  if (drawPending) return;
  drawPending = true;
  const wait = Math.max(0, lastDraw + DRAW_MS - performance.now());
  setTimeout(() =>
    requestAnimationFrame(() => {
      drawPending = false;
      lastDraw = performance.now();
      drawLearningCurve(curve, state.iterations, state.validations);
      if (latest && latest !== trialDrawn) {
        drawTrial(trial, latest);
        trialDrawn = latest;
      }
      const it = state.iterations.at(-1), v = state.validations.at(-1);
      $("iteration").textContent = String(it?.iteration ?? 0);
      $("speed").textContent = msPerIteration ? `${msPerIteration.toFixed(0)} ms` : "-";
      $("loss").textContent = it ? it.loss.toFixed(3) : "-";
      $("val-error").textContent = v ? `${(100 * v.error).toFixed(1)}%` : "-";
      $("rate").textContent = it ? `${it.rateHz.toFixed(1)} Hz` : "-";
    }), wait);
}

function settings(): SessionSettings {
  const seed = Number(controls.seed.value);
  if (!Number.isInteger(seed) || seed < 0 || seed > 2 ** 31) {
    throw new RangeError(`seed must be an integer in [0, 2^31], got ${controls.seed.value}`);
  }
  return {
    preset: controls.preset.value as SessionSettings["preset"],
    method: controls.method.value as SessionSettings["method"],
    feedback: controls.feedback.value as SessionSettings["feedback"],
    seed,
  };
}

/**
 * Starts a run with the given settings (default: the controls'), ending any run in progress.
 * @param chosen Settings to use; the controls are set to them.
 */
function start(chosen?: SessionSettings): void {
  try {
    const s = chosen ?? settings();
    if (chosen) {
      controls.preset.value = s.preset;
      controls.method.value = s.method;
      controls.feedback.value = s.feedback;
      controls.seed.value = String(s.seed);
      controls.feedback.disabled = s.method === "bptt";
    }
    run++;
    state.settings = s;
    state.iterations = [];
    state.validations = [];
    state.running = true;
    state.stopped = undefined;
    state.error = undefined;
    latest = undefined;
    msPerIteration = 0;
    const message: ToWorker = { type: "start", run, settings: s, validateEvery: 10 };
    worker.postMessage(message);
    setStatus("run-status", "busy", "starting…");
    controls.stop.disabled = false;
    redraw();
  } catch (e) {
    showError((e as Error).message);
  }
}

/** Stops the run in progress after its current iteration. */
function stop(): void {
  worker.postMessage({ type: "stop" } satisfies ToWorker);
}

worker.onmessage = (event: MessageEvent<FromWorker>) => {
  const m = event.data;
  if (m.type === "ready") {
    state.worker = { ok: true, simd: m.simd, ms: m.ms };
    return;
  }
  if (m.run !== run) return;
  switch (m.type) {
    case "started":
      setStatus(
        "run-status",
        "busy",
        `training: ${m.nRec} neurons, T = ${m.steps} ms (network built in ${m.ms.toFixed(0)} ms)`,
      );
      break;
    case "iteration":
      state.iterations.push(m.record);
      msPerIteration = m.msPerIteration;
      break;
    case "validation":
      state.validations.push(m.record);
      break;
    case "snapshot":
      latest = m.snapshot;
      break;
    case "stopped": {
      state.running = false;
      const why = m.reason === "criterion"
        ? "validation error below 7%"
        : m.reason === "budget"
        ? "iteration budget reached"
        : "stopped";
      state.stopped = m.reason;
      setStatus("run-status", "ok", `${why} at iteration ${m.iteration}`);
      controls.stop.disabled = true;
      break;
    }
    case "error":
      state.running = false;
      controls.stop.disabled = true;
      showError(`training failed: ${m.message}`);
      break;
  }
  redraw();
};
worker.onerror = (e) => {
  e.preventDefault();
  state.worker = { ok: false, simd: false, ms: 0, error: e.message };
  showError(`the training worker failed: ${e.message}`);
};

globalThis.addEventListener("resize", () => {
  trialDrawn = undefined;
  redraw();
});
controls.start.onclick = () => start();
controls.stop.onclick = () => stop();

// ---- checks ---------------------------------------------------------------------------------

async function fetchJson<T>(path: string): Promise<T> {
  const response = await fetch(new URL(path, import.meta.url));
  if (!response.ok) throw new Error(`Cannot load ${path}: HTTP ${response.status}`);
  return await response.json() as T;
}

function describe(c: Comparison): string {
  return c.identical
    ? `${c.values} values bit-identical`
    : `${c.identicalValues}/${c.values} bit-identical, max rel. diff ${c.maxRel.toExponential(2)}`;
}

/**
 * Computes the golden case in the page (f64 and f32) and compares it with Deno's result.
 * @returns The report (also in `epropPage.state.gradient`).
 */
async function checkGradient(): Promise<GradientReport> {
  setStatus("grad-status", "busy", "computing…");
  controls.checkGradient.disabled = true;
  try {
    const [caseJson, expected, reference] = await Promise.all([
      fetchJson<unknown>(`./golden/${GOLDEN_CASE}.case.json`),
      fetchJson<GradientCaseResult>(`./golden/${GOLDEN_CASE}.expected.json`),
      fetchJson<DenoReference>("./deno_reference.json"),
    ]);
    state.reference = reference;
    const t0 = performance.now();
    const f64 = await runWasmCase(caseJson, "f64");
    const f32 = await runWasmCase(caseJson, "f32");
    const ms = performance.now() - t0;
    const report: GradientReport = {
      f64: compareBits(resultBits(f64, "f64"), reference.f64),
      f32: compareBits(resultBits(f32, "f32"), reference.f32),
      golden: compareWithExpected(f64, expected),
      reference: reference.runtime,
      ms,
    };
    state.gradient = report;
    const ok = report.f64.identical && report.f32.maxRel <= 1e-6;
    setStatus(
      "grad-status",
      ok ? "ok" : "failed",
      `${GOLDEN_CASE}: f64 vs Deno ${reference.runtime.deno}: ${describe(report.f64)}; ` +
        `f32: ${describe(report.f32)}; f64 vs golden: max rel. error ${
          report.golden.maxRel.toExponential(2)
        } (${ms.toFixed(0)} ms)`,
    );
    return report;
  } catch (e) {
    setStatus("grad-status", "failed", `failed: ${(e as Error).message}`);
    console.error(e);
    throw e;
  } finally {
    controls.checkGradient.disabled = false;
  }
}

function webglRenderer(): string {
  const gl = document.createElement("canvas").getContext("webgl2");
  if (!gl) return "no WebGL2";
  const info = gl.getExtension("WEBGL_debug_renderer_info");
  return String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
}

/**
 * Computes the golden case on the TensorFlow.js backend (loading `eprop-tfjs.js`) and compares
 * it with the golden float64 gradients.
 * @param tfBackend The tfjs backend (default "webgl").
 * @returns The report (also in `epropPage.state.tfjs`).
 */
async function checkTfjs(tfBackend: "webgl" | "webgpu" | "cpu" = "webgl"): Promise<TfjsReport> {
  setStatus("tfjs-status", "busy", `loading TensorFlow.js, computing on ${tfBackend}…`);
  controls.checkTfjs.disabled = true;
  try {
    const [caseJson, expected] = await Promise.all([
      fetchJson<unknown>(`./golden/${GOLDEN_CASE}.case.json`),
      fetchJson<GradientCaseResult>(`./golden/${GOLDEN_CASE}.expected.json`),
    ]);
    const t0 = performance.now();
    const { TfjsBackend } = await import("../../tfjs.ts");
    const c = parseGradientCase(caseJson);
    const backend = await TfjsBackend.create(c.config, c.weights, { tfBackend });
    let result: GradientCaseResult;
    try {
      result = runGradientCase(backend, c);
    } finally {
      backend.dispose();
    }
    const report: TfjsReport = {
      backend: tfBackend,
      renderer: tfBackend === "webgl" ? webglRenderer() : "",
      golden: compareWithExpected(result, expected),
      ms: performance.now() - t0,
    };
    state.tfjs = report;
    setStatus(
      "tfjs-status",
      report.golden.maxRel <= 1e-4 ? "ok" : "failed",
      `tfjs-${tfBackend}${report.renderer ? ` (${report.renderer})` : ""}: max rel. error ${
        report.golden.maxRel.toExponential(2)
      } against the golden float64 gradients, spikes ${report.golden.spikes.join(" / ")} (${
        report.ms.toFixed(0)
      } ms)`,
    );
    return report;
  } catch (e) {
    setStatus("tfjs-status", "failed", `failed: ${(e as Error).message}`);
    console.error(e);
    throw e;
  } finally {
    controls.checkTfjs.disabled = false;
  }
}

controls.checkGradient.onclick = () => void checkGradient().catch(() => {});
controls.checkTfjs.onclick = () => void checkTfjs().catch(() => {});

// ---- start-up -------------------------------------------------------------------------------

(async () => {
  const t0 = performance.now();
  try {
    await initWasm();
    // Instantiate it too, and run a tiny network once.
    const config = resolveNetworkConfig({ neuron: { nIn: 2, nRec: 3 }, readout: { nOut: 1 } });
    const backend = await WasmBackend.create(config, initWeights(config, new Rng(0)));
    const batch = { batchSize: 1, steps: 4, inputs: new Float64Array(8).fill(1) };
    backend.simulate(batch);
    backend.dispose();
    state.core = { ok: true, simd: simdSupported(), ms: performance.now() - t0 };
    setStatus(
      "core-status",
      "ok",
      `WebAssembly core (SIMD) compiled and instantiated in ${state.core.ms.toFixed(0)} ms`,
    );
  } catch (e) {
    state.core = { ok: false, simd: simdSupported(), ms: 0, error: (e as Error).message };
    setStatus("core-status", "failed", `the core did not load: ${(e as Error).message}`);
  }
  redraw();
})();

/**
 * The paper's two numerical verifications (the original repository's
 * numerical_verification_eprop_factorization_vs_BPTT.py and
 * numerical_verification_eprop_hardcoded_vs_autodiff.py), fixed so that they run and fail loudly,
 * on both backends:
 *
 * - factorization: eq. (1), sum_t dE/dz_j(t) e_ji(t) with the true learning signal, equals BPTT;
 * - autodiff: hard-coded e-prop (traces and learning signals) equals e-prop by automatic
 *   differentiation with the stop-gradient trick.
 *
 * @module
 */
import type { Backend, GradientResult } from "../engine/backend.ts";
import {
  createBackend,
  createWasmBackend,
  type TfBackendName,
} from "../engine/factory/load_backend.ts";
import { createFeedback } from "../grad/feedback.ts";
import { activeSynapses, eligibilityTraces } from "../grad/eligibility.ts";
import { heatmap, lines, raster, row, stack } from "../plot/charts.ts";
import type { FigureSpec } from "../plot/render.ts";
import type { Matrix } from "../model/weights.ts";
import { Rng } from "../util/rng.ts";
import { assertNonDegenerate, type Check, compareGradients } from "./checks.ts";
import { type VerificationProblem, verificationProblem } from "./problem.ts";

/** Tolerances on the relative error (GRADIENT_CASE.md). */
export const TOLERANCE = { f64: 1e-10, f32: 1e-4 } as const;

/** Options shared by both verifications. */
export interface VerificationOptions {
  /** Random seed of weights and data. */
  seed: number;
  /** TensorFlow.js backend for the tfjs runs (default "cpu"). */
  tfBackend?: TfBackendName;
}

/** What a verification produces. */
export interface VerificationReport {
  /** Title. */
  title: string;
  /** All comparisons. */
  checks: Check[];
  /** Text to print (matrices and errors, like the original scripts). */
  printout: string;
  /** Figures by file name. */
  figures: Record<string, FigureSpec>;
  /** Number of spikes of the reference run. */
  spikes: number;
}

async function tfjsBackend(p: VerificationProblem, tfBackend: TfBackendName): Promise<Backend> {
  return await createBackend(p.config, p.weights, { backend: "tfjs", tfBackend });
}

function checked(r: GradientResult, label: string): GradientResult {
  assertNonDegenerate(r, label);
  return r;
}

/**
 * eq. (1) against BPTT on the core (f64, f32) and on tfjs.
 * @param options Seed and tfjs backend.
 * @returns The report.
 * @throws {DegenerateRunError} When a run has no spikes or a zero or non-finite gradient.
 */
export async function verifyFactorization(
  options: VerificationOptions,
): Promise<VerificationReport> {
  const p = verificationProblem({ nRef: 2, steps: 50, batchSize: 1, seed: options.seed });
  const checks: Check[] = [];
  const results: Record<string, { bptt: GradientResult; eq1: GradientResult }> = {};
  const backends: [string, () => Promise<Backend>, number][] = [
    [
      "wasm-f64",
      () => createBackend(p.config, p.weights, { precision: "f64" }),
      TOLERANCE.f64,
    ],
    [
      "wasm-f32",
      () => createBackend(p.config, p.weights, { precision: "f32" }),
      TOLERANCE.f32,
    ],
    [
      `tfjs-${options.tfBackend ?? "cpu"}`,
      () => tfjsBackend(p, options.tfBackend ?? "cpu"),
      TOLERANCE.f32,
    ],
  ];
  for (const [name, make, tolerance] of backends) {
    const backend = await make();
    const bptt = checked(
      backend.gradients(p.batch, p.objective, { method: "bptt" }),
      `${name} BPTT`,
    );
    const eq1 = checked(
      backend.gradients(p.batch, p.objective, { method: "eq1" }),
      `${name} eq. (1)`,
    );
    results[name] = { bptt, eq1 };
    checks.push(compareGradients(eq1, bptt, { name: "eq. (1) vs BPTT", backend: name, tolerance }));
    backend.dispose();
  }
  const ref = results["wasm-f64"];
  for (const name of Object.keys(results).slice(1)) {
    checks.push(compareGradients(results[name].bptt, ref.bptt, {
      name: "BPTT vs wasm-f64 BPTT",
      backend: name,
      tolerance: TOLERANCE.f32,
      sameTrajectory: false,
    }));
  }
  const printout = [
    `Setup: 3 inputs, 4 LIF + 4 ALIF, tau_m 20 ms, tau_a 500 ms, thr 0.62, beta 0.07, gamma 0.3, n_ref 2,`,
    `T = 50, 100 Hz Poisson input, MSE through a kappa = exp(-1/20) readout; seed ${options.seed}; ${ref.bptt.spikes} spikes.`,
    "",
    "wasm-f64: dE/dW_rec by BPTT",
    formatRows(ref.bptt.grads.wRec),
    "wasm-f64: dE/dW_rec by eq. (1), sum_t dE/dz_j(t) e_ji(t)",
    formatRows(ref.eq1.grads.wRec),
    `max |BPTT - eq. (1)| over W_in and W_rec: ${checks[0].maxAbsError.toExponential(3)} ` +
    `(relative ${checks[0].relativeError.toExponential(3)})`,
  ].join("\n");
  const wasm = await createWasmBackend(p.config, p.weights, { precision: "f64" });
  const figures = {
    factorization_gradients: gradientFigure(
      "Eq. (1) reproduces BPTT (wasm-f64)",
      ["BPTT", ref.bptt],
      ["eq. (1)", ref.eq1],
    ),
    factorization_activity: activityFigure(wasm, p, {
      title: "Factorization check: activity, true learning signals, eligibility traces",
      signal: wasm.learningSignals(p.batch, p.objective, { kind: "true" }),
      signalTitle: "true learning signal dE/dz_j(t)",
      filtered: false,
    }),
  };
  return { title: "eq. (1) vs BPTT", checks, printout, figures, spikes: ref.bptt.spikes };
}

/**
 * Hard-coded e-prop against autodiff e-prop (tfjs), with symmetric and random feedback; the core's
 * two hard-coded forms against each other (f64) and against tfjs autodiff (f32 tolerance).
 * @param options Seed and tfjs backend.
 * @returns The report.
 * @throws {DegenerateRunError} When a run has no spikes or a zero or non-finite gradient.
 */
export async function verifyAutodiff(options: VerificationOptions): Promise<VerificationReport> {
  const p = verificationProblem({ nRef: 3, steps: 10, batchSize: 4, seed: options.seed });
  const tfName = `tfjs-${options.tfBackend ?? "cpu"}`;
  const feedback = createFeedback("random", { nRec: 8, nOut: 2, rng: new Rng(options.seed + 1) })
    .matrix(p.weights.wOut);
  const checks: Check[] = [];
  const tfb = await tfjsBackend(p, options.tfBackend ?? "cpu");
  const auto: Record<string, GradientResult> = {};
  const hard: Record<string, GradientResult> = {};
  for (const [fb, matrix] of [["symmetric", undefined], ["random", feedback]] as const) {
    auto[fb] = checked(
      tfb.gradients(p.batch, p.objective, {
        method: "eprop",
        implementation: "autodiff",
        feedback: matrix,
      }),
      `${tfName} autodiff e-prop (${fb})`,
    );
    hard[fb] = checked(
      tfb.gradients(p.batch, p.objective, {
        method: "eprop",
        implementation: "hardcoded",
        feedback: matrix,
      }),
      `${tfName} hard-coded e-prop (${fb})`,
    );
    checks.push(compareGradients(hard[fb], auto[fb], {
      name: `hard-coded vs autodiff e-prop, ${fb} feedback`,
      backend: tfName,
      tolerance: TOLERANCE.f32,
    }));
  }
  tfb.dispose();
  for (const precision of ["f64", "f32"] as const) {
    const wasm = await createBackend(p.config, p.weights, { precision });
    for (const [fb, matrix] of [["symmetric", undefined], ["random", feedback]] as const) {
      const online = checked(
        wasm.gradients(p.batch, p.objective, { method: "eprop", form: "online", feedback: matrix }),
        `wasm-${precision} online e-prop`,
      );
      const factorized = checked(
        wasm.gradients(p.batch, p.objective, {
          method: "eprop",
          form: "factorized",
          feedback: matrix,
        }),
        `wasm-${precision} factorized e-prop`,
      );
      checks.push(compareGradients(online, factorized, {
        name: `hard-coded online vs factorized, ${fb} feedback`,
        backend: `wasm-${precision}`,
        tolerance: TOLERANCE[precision],
      }));
      checks.push(compareGradients(factorized, auto[fb], {
        name: `hard-coded vs ${tfName} autodiff, ${fb} feedback`,
        backend: `wasm-${precision}`,
        tolerance: TOLERANCE.f32,
        sameTrajectory: false,
      }));
    }
  }
  const printout = [
    `Setup: as the factorization check, n_ref 3, T = 10, batch 4; seed ${options.seed}; ${auto.symmetric.spikes} spikes.`,
    "",
    `${tfName}: dE/dW_rec by e-prop with autodiff (stop-gradient trick), symmetric feedback`,
    formatRows(auto.symmetric.grads.wRec),
    `${tfName}: dE/dW_rec by hard-coded e-prop (eligibility traces x learning signals)`,
    formatRows(hard.symmetric.grads.wRec),
    `max |hard-coded - autodiff|: ${checks[0].maxAbsError.toExponential(3)} (relative ${
      checks[0].relativeError.toExponential(3)
    })`,
  ].join("\n");
  const wasm = await createWasmBackend(p.config, p.weights, { precision: "f64" });
  const figures = {
    autodiff_gradients: gradientFigure(
      `Hard-coded e-prop equals autodiff e-prop (${tfName}, symmetric feedback)`,
      ["autodiff", auto.symmetric],
      ["hard-coded", hard.symmetric],
    ),
    autodiff_activity: activityFigure(wasm, p, {
      title: "Autodiff check: activity, e-prop learning signals, filtered eligibility traces",
      signal: wasm.learningSignals(p.batch, p.objective, { kind: "feedback" }),
      signalTitle: "learning signal L_j(t) = sum_k w_out[j][k] dE/dy_k(t)",
      filtered: true,
    }),
  };
  return {
    title: "hard-coded vs autodiff e-prop",
    checks,
    printout,
    figures,
    spikes: auto.symmetric.spikes,
  };
}

function formatRows(m: Matrix): string {
  const out = [];
  for (let r = 0; r < m.rows; r++) {
    out.push(
      "  [" + Array.from(m.data.subarray(r * m.cols, (r + 1) * m.cols), (v) =>
        v.toFixed(5).padStart(9)).join(" ") +
        "]",
    );
  }
  return out.join("\n");
}

function gradientFigure(
  title: string,
  a: [string, GradientResult],
  b: [string, GradientResult],
): FigureSpec {
  const charts = [];
  for (const key of ["wIn", "wRec"] as const) {
    const extent = Math.max(
      ...a[1].grads[key].data.map(Math.abs),
      ...b[1].grads[key].data.map(Math.abs),
    );
    const ga = a[1].grads[key], gb = b[1].grads[key];
    const diff = { ...ga, data: ga.data.map((v, i) => v - gb.data[i]) };
    charts.push(row([
      heatmap(ga, { title: `dE/d${key} (${a[0]})`, extent }),
      heatmap(gb, { title: `dE/d${key} (${b[0]})`, extent }),
      heatmap(diff, {
        title: `difference (max ${Math.max(...diff.data.map(Math.abs)).toExponential(1)})`,
      }),
    ]));
  }
  return stack(charts, { title });
}

function activityFigure(
  backend: Backend,
  p: VerificationProblem,
  options: { title: string; signal: Float64Array; signalTitle: string; filtered: boolean },
): FigureSpec {
  const { nIn, nRec: n } = p.config.neuron;
  const T = p.batch.steps;
  const trajectory = backend.simulate(p.batch);
  const trial = (data: ArrayLike<number>, width: number) =>
    Array.from({ length: T * width }, (_, i) => data[i]);
  const synapses = activeSynapses(p.config, { batch: p.batch, trajectory, trial: 0 });
  const traces = eligibilityTraces(p.config, { batch: p.batch, trajectory, trial: 0, synapses });
  const perNeuron = (data: Float64Array) =>
    Array.from({ length: n }, (_, j) => ({
      name: `${j < 4 ? "LIF" : "ALIF"} ${j}`,
      values: Array.from({ length: T }, (_, t) => data[t * n + j]),
    }));
  return stack([
    raster(trial(p.batch.inputs, nIn), {
      n: nIn,
      steps: T,
      title: "input spikes (trial 0)",
      unitTitle: "input",
    }),
    raster(trial(trajectory.z, n), {
      n,
      steps: T,
      title: "network spikes",
      groups: [{ name: "LIF", from: 0, to: 4 }, { name: "ALIF", from: 4, to: 8 }],
    }),
    lines(perNeuron(Float64Array.from(trial(trajectory.thr, n))).slice(4), {
      title: "adaptive thresholds A_j(t) of the ALIF neurons",
      yTitle: "A_j",
    }),
    lines(perNeuron(Float64Array.from(trial(options.signal, n))), {
      title: options.signalTitle,
      yTitle: "L_j",
    }),
    lines(
      traces.map((tr) => ({
        name: `${tr.synapse.kind} ${tr.synapse.pre}->${tr.synapse.post}`,
        values: options.filtered ? tr.ebar : tr.e,
      })),
      {
        title: options.filtered
          ? "filtered eligibility traces ebar_ji(t)"
          : "eligibility traces e_ji(t)",
        yTitle: "e",
      },
    ),
  ], { title: options.title });
}

/**
 * The experiments a sweep can run: each one's command-line script, its flags (so that a sweep's
 * flag sets are checked before any job starts), and the numbers of its results.json that a
 * sweep report averages. Adding an experiment is one entry in {@linkcode SWEEP_EXPERIMENTS}.
 *
 * @module
 */
import type { FlagSpecs, FlagValues } from "../cli/flags.ts";
import { checkFig3Flags, FIG3_FLAGS } from "../experiments/fig3.ts";
import { checkFigS7Flags, FIGS7_FLAGS } from "../experiments/figs7.ts";
import { checkFig2Flags, FIG2_FLAGS } from "../experiments/fig2.ts";
import { atariFlags } from "../experiments/atari.ts";

/** One number of a run's results.json that the report shows. */
export interface SweepMetric {
  /** Column name. */
  name: string;
  /** Dotted path into results.json; a `-1` part takes an array's last element. */
  path: string;
  /** How to print it: a percentage of a fraction, a plain number, or an integer. */
  format: "percent" | "number" | "integer";
}

/** An experiment a sweep can run. */
export interface SweepExperiment {
  /** The script, relative to the repository root (run with `deno run`). */
  script: string;
  /** Its flags. */
  flags: FlagSpecs;
  /** Its check of flag combinations (throws a FlagError). */
  check?: (values: FlagValues) => void;
  /** The numbers the report averages, first one plotted. */
  metrics: readonly SweepMetric[];
  /** Deno permissions it needs besides --allow-read and --allow-write. */
  permissions?: readonly string[];
  /**
   * Whether a results.json is a finished run's (default: any results.json is; experiments that
   * write it while they run say what marks the end).
   */
  finished?: (results: unknown) => boolean;
}

/** The fig4/fig5 entries: a results.json is finished once it holds its summary. */
function atariExperiment(script: string, env: string, out: string): SweepExperiment {
  return {
    script,
    flags: atariFlags(env, out),
    permissions: ["--allow-run", "--allow-env"],
    finished: (r) => metricValue(r, "summary.frames") !== undefined,
    metrics: [
      { name: "score, last 64 episodes", path: "summary.lastScore", format: "number" },
      { name: "score, first 32 episodes", path: "summary.firstScore", format: "number" },
      { name: "episodes", path: "summary.episodes", format: "integer" },
      { name: "frames/s", path: "framesPerSecond", format: "number" },
    ],
  };
}

/** Every experiment a sweep can name, by name. */
export const SWEEP_EXPERIMENTS: Readonly<Record<string, SweepExperiment>> = {
  fig3: {
    script: "src/apps/fig3.ts",
    flags: FIG3_FLAGS,
    check: checkFig3Flags,
    metrics: [
      { name: "test error", path: "test.error", format: "percent" },
      { name: "last validation error", path: "validation.-1.error", format: "percent" },
      { name: "iterations", path: "iterations", format: "integer" },
    ],
  },
  figS7: {
    script: "src/apps/figs7.ts",
    flags: FIGS7_FLAGS,
    check: checkFigS7Flags,
    metrics: [
      { name: "final MSE", path: "finalMse", format: "number" },
      { name: "MSE reduction", path: "mseReduction", format: "number" },
      { name: "rate (Hz)", path: "finalRateHz", format: "number" },
    ],
  },
  fig2: {
    script: "src/apps/fig2.ts",
    flags: FIG2_FLAGS,
    check: checkFig2Flags,
    metrics: [
      { name: "test 39", path: "best.test.frameError39", format: "percent" },
      { name: "test 61", path: "best.test.frameError61", format: "percent" },
      { name: "val 39", path: "best.validation.frameError39", format: "percent" },
      { name: "epochs", path: "epochs", format: "number" },
    ],
  },
  fig4: atariExperiment("src/apps/fig4.ts", "ale:pong", "out/fig4"),
  fig5: atariExperiment("src/apps/fig5.ts", "ale:fishing_derby", "out/fig5"),
};

/** Flags a sweep sets itself for every run; a spec may not give them. */
export const SWEEP_OWNED_FLAGS: readonly string[] = ["out", "resume"];

/**
 * Reads one number out of results.json.
 * @param results The parsed results.json.
 * @param path A dotted path (`-1` takes an array's last element).
 * @returns The number, or undefined where the path holds none.
 */
export function metricValue(results: unknown, path: string): number | undefined {
  let at: unknown = results;
  for (const part of path.split(".")) {
    if (at === null || typeof at !== "object") return undefined;
    if (Array.isArray(at)) at = part === "-1" ? at.at(-1) : at[Number(part)];
    else at = (at as Record<string, unknown>)[part];
  }
  return typeof at === "number" && Number.isFinite(at) ? at : undefined;
}

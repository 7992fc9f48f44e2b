/**
 * The runs of a sweep: its grid and variants expanded into flag sets, each checked against the
 * experiment's flags (as its command line would check them) and given a job id derived from the
 * experiment and the flags, so that the same run always gets the same id.
 *
 * @module
 */
import { FlagError, parseFlags } from "../cli/flags.ts";
import { InputError } from "../cli/command.ts";
import { SWEEP_EXPERIMENTS } from "./experiments.ts";
import type { SpecFlags, SpecValue, SweepSpec } from "./spec.ts";

/** One run of a sweep. */
export interface SweepRun {
  /** The experiment. */
  experiment: string;
  /** Its flags (without --out and --resume). */
  flags: SpecFlags;
  /** The flags as command-line arguments. */
  args: string[];
  /** The flags that vary across the sweep, as "name=value" joined by spaces. */
  label: string;
  /** The label without the flag averaged over: the setting the run belongs to. */
  setting: string;
  /** The averaged-over flag's value, when the run sets it. */
  over?: SpecValue;
  /** The job id: the experiment and a hash of its flags. */
  jobId: string;
  /** Folder name of the run in a local sweep. */
  folder: string;
}

/**
 * Every combination of a grid's values, the last flag varying fastest.
 * @param grid Flags with lists of values.
 * @returns The flag sets (one empty set for an empty grid).
 */
export function expandGrid(grid: Record<string, readonly SpecValue[]>): SpecFlags[] {
  let sets: SpecFlags[] = [{}];
  for (const [name, values] of Object.entries(grid)) {
    sets = sets.flatMap((set) => values.map((v) => ({ ...set, [name]: v })));
  }
  return sets;
}

/**
 * Flags as command-line arguments: `--name value` (`--name=-1` for a value starting with a dash),
 * a true boolean as `--name` alone, a false one left out.
 * @param flags The flags.
 * @returns The arguments.
 */
export function flagArgs(flags: SpecFlags): string[] {
  const args: string[] = [];
  for (const [name, v] of Object.entries(flags)) {
    if (v === false) continue;
    if (v === true) args.push(`--${name}`);
    else if (String(v).startsWith("-")) args.push(`--${name}=${v}`); // not read as a flag
    else args.push(`--${name}`, String(v));
  }
  return args;
}

/**
 * The job id of a run: the experiment and the first 16 hex digits of the SHA-256 of its flags
 * as the experiment parses them, sorted by name (so neither the order of the flags nor the way
 * a value is written, `"5"` or `5`, changes it).
 * @param experiment The experiment.
 * @param flags The flags.
 * @returns E.g. "fig3-3f2a9c0d1e2b4a5c".
 * @throws {FlagError} When the experiment's parser refuses the flags.
 */
export async function jobId(experiment: string, flags: SpecFlags): Promise<string> {
  const spec = SWEEP_EXPERIMENTS[experiment];
  if (!spec) throw new FlagError(`unknown experiment ${experiment}`);
  const { values, given } = parseFlags(flagArgs(flags), spec.flags);
  const canonical = JSON.stringify([experiment, [...given].sort().map((n) => [n, values[n]])]);
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonical));
  const hex = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
  return `${experiment}-${hex.slice(0, 16)}`;
}

/**
 * Checks a run's flags as the experiment's command line would: known flags, types, ranges and
 * combinations.
 * @param experiment The experiment.
 * @param flags The flags.
 * @throws {FlagError} Naming the flag.
 */
export function checkRunFlags(experiment: string, flags: SpecFlags): void {
  const spec = SWEEP_EXPERIMENTS[experiment];
  if (!spec) {
    throw new FlagError(
      `unknown experiment ${experiment}; expected one of ${
        Object.keys(SWEEP_EXPERIMENTS).join(", ")
      }`,
    );
  }
  const { values } = parseFlags(flagArgs(flags), spec.flags);
  spec.check?.(values);
}

function folderName(label: string, id: string): string {
  const safe = label.replace(/ /g, "_").replace(/[^\w.=-]/g, "-");
  return safe === "" || safe.length > 100 ? id : safe;
}

/**
 * Expands a spec into its runs and checks each one against the experiment.
 * @param spec The spec.
 * @param path The spec file (for messages).
 * @returns The runs, variants first, then the grid.
 * @throws {InputError} One line naming the run and the flag, or two runs that are the same.
 */
export async function expandSweep(spec: SweepSpec, path: string): Promise<SweepRun[]> {
  const points = expandGrid(spec.grid);
  const varying = new Set([
    ...Object.keys(spec.grid),
    ...(spec.variants.length > 1 ? spec.variants.flatMap((v) => Object.keys(v)) : []),
  ]);
  const runs: SweepRun[] = [];
  const byId = new Map<string, string>();
  for (const variant of spec.variants) {
    for (const point of points) {
      const flags = { ...spec.flags, ...variant, ...point };
      const shown = Object.entries(flags).filter(([k]) => varying.has(k));
      const label = shown.map(([k, v]) => `${k}=${v}`).join(" ");
      try {
        checkRunFlags(spec.experiment, flags);
      } catch (e) {
        if (!(e instanceof FlagError)) throw e;
        throw new InputError(
          `sweep spec ${path}: run ${label === "" ? "1" : `"${label}"`}: ${e.message}`,
        );
      }
      const id = await jobId(spec.experiment, flags);
      const same = byId.get(id);
      if (same !== undefined) {
        throw new InputError(
          `sweep spec ${path}: runs "${same}" and "${label}" have the same flags; list each once`,
        );
      }
      byId.set(id, label);
      runs.push({
        experiment: spec.experiment,
        flags,
        args: flagArgs(flags),
        label,
        setting: shown.filter(([k]) => k !== spec.over).map(([k, v]) => `${k}=${v}`).join(" "),
        over: spec.over in flags ? flags[spec.over] : undefined,
        jobId: id,
        folder: folderName(label, id),
      });
    }
  }
  return runs;
}

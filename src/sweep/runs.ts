/**
 * The runs of a sweep: its grid and variants expanded into flag sets, each checked against the
 * experiment's flags (as its command line would check them) and given a job id derived from the
 * experiment and the flags, so that the same run always gets the same id.
 *
 * @module
 */
import { FlagError, type FlagValues, parseFlags } from "../cli/flags.ts";
import { computationKey } from "../cli/run_key.ts";
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
  /** Folder name of the run in a local sweep: the label (when short) and the job id. */
  folder: string;
  /** Every flag as the experiment parses it, defaults filled in (what the job id hashes). */
  values: FlagValues;
}

/** The most runs a sweep may hold (a larger grid is refused before it is expanded). */
export const MAX_SWEEP_RUNS = 10_000;

/**
 * How many runs a spec holds: the product of the grid's list lengths times the variants,
 * counted without expanding anything.
 * @param spec The spec (grid and variants).
 * @returns The count (a float: a huge grid gives a huge number, not an overflow).
 */
export function sweepSize(spec: Pick<SweepSpec, "grid" | "variants">): number {
  let n = Math.max(1, spec.variants.length);
  for (const values of Object.values(spec.grid)) n *= values.length;
  return n;
}

/** The message for a sweep over {@linkcode MAX_SWEEP_RUNS}. */
export function tooBig(
  spec: Pick<SweepSpec, "grid" | "variants">,
  path: string,
  n: number,
): string {
  const sizes = Object.entries(spec.grid).map(([k, v]) => `${k} ${v.length}`).join(" x ");
  return `sweep spec ${path}: grid ${sizes || "(none)"} x ${
    Math.max(1, spec.variants.length)
  } variant(s) gives ${n.toLocaleString("en-US")} runs, more than the ${
    MAX_SWEEP_RUNS.toLocaleString("en-US")
  } a sweep may hold; split it into smaller sweeps`;
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
 * The flags of a run as the experiment parses them, defaults filled in, after checking that each
 * value has the flag's type (a JSON boolean only for a switch, and a switch only as a boolean:
 * `false` for a flag that takes a value would otherwise silently mean its default).
 * @param experiment The experiment.
 * @param flags The flags.
 * @returns All values, defaults filled in.
 * @throws {FlagError} Naming the flag.
 */
export function runValues(experiment: string, flags: SpecFlags): FlagValues {
  const spec = Object.hasOwn(SWEEP_EXPERIMENTS, experiment)
    ? SWEEP_EXPERIMENTS[experiment]
    : undefined;
  if (!spec) {
    throw new FlagError(
      `unknown experiment ${experiment}; expected one of ${
        Object.keys(SWEEP_EXPERIMENTS).join(", ")
      }`,
    );
  }
  if (flags === null || typeof flags !== "object" || Array.isArray(flags)) {
    throw new FlagError(`the flags must be an object of flag values, got ${JSON.stringify(flags)}`);
  }
  for (const [name, v] of Object.entries(flags)) {
    const s = Object.hasOwn(spec.flags, name) ? spec.flags[name] : undefined;
    if (!s) continue; // parseFlags names the unknown flag
    if (s.type === "boolean" && typeof v !== "boolean") {
      throw new FlagError(`--${name} is a switch: give true or false, got ${JSON.stringify(v)}`);
    }
    if (s.type !== "boolean" && typeof v === "boolean") {
      throw new FlagError(`--${name} takes a value (${s.type}), got ${v}`);
    }
    if (s.type === "boolean" && v === false && s.default === true) {
      throw new FlagError(`--${name} is on by default and cannot be switched off here`);
    }
  }
  const { values } = parseFlags(flagArgs(flags), spec.flags);
  spec.check?.(values);
  return values;
}

/**
 * The job id of a run: {@linkcode computationKey} over ALL the flags the experiment parses,
 * defaults filled in, bookkeeping flags (--out, --resume, --print-every, --checkpoint-every)
 * left out. So editing any flag that changes the computation (a spec's common flags too) gives
 * a new id and a new folder, never the old results under the old name; and neither the order of
 * the flags nor the way a value is written (`"5"` or `5`) changes it.
 * @param experiment The experiment.
 * @param flags The flags.
 * @returns E.g. "fig3-3f2a9c0d1e2b4a5c".
 * @throws {FlagError} When the experiment's parser refuses the flags.
 */
export function jobId(experiment: string, flags: SpecFlags): string {
  return computationKey(experiment, runValues(experiment, flags));
}

/**
 * Checks a run's flags as the experiment's command line would: known flags, types, ranges and
 * combinations.
 * @param experiment The experiment.
 * @param flags The flags.
 * @throws {FlagError} Naming the flag.
 */
export function checkRunFlags(experiment: string, flags: SpecFlags): void {
  runValues(experiment, flags);
}

/** A readable folder name: the label (when short) and the key, which decides. */
function folderName(label: string, id: string): string {
  const safe = label.replace(/ /g, "_").replace(/[^\w.=-]/g, "-");
  return safe === "" || safe.length > 100 ? id : `${safe}_${id}`;
}

/**
 * Expands a spec into its runs and checks each one against the experiment.
 * @param spec The spec.
 * @param path The spec file (for messages).
 * @returns The runs, variants first, then the grid.
 * @throws {InputError} One line naming the run and the flag, or two runs that are the same.
 */
export async function expandSweep(spec: SweepSpec, path: string): Promise<SweepRun[]> {
  await Promise.resolve();
  const count = sweepSize(spec);
  if (count > MAX_SWEEP_RUNS) throw new InputError(tooBig(spec, path, count));
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
      let values: FlagValues;
      try {
        values = runValues(spec.experiment, flags);
      } catch (e) {
        if (!(e instanceof FlagError) && !(e instanceof TypeError || e instanceof RangeError)) {
          throw e;
        }
        throw new InputError(
          `sweep spec ${path}: run ${label === "" ? "1" : `"${label}"`}: ${e.message}`,
        );
      }
      const id = computationKey(spec.experiment, values);
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
        values,
      });
    }
  }
  return runs;
}

/**
 * Sweep specs: a JSON file that names an experiment and the flag sets of its runs: flags every
 * run gets, a grid (every combination of the listed values) and variants (a list of flag sets,
 * each crossed with the grid). A bad spec is refused with one line naming the field and what was
 * expected.
 *
 * @module
 */
import { InputError, readTextInput } from "../cli/command.ts";
import { SWEEP_EXPERIMENTS, SWEEP_OWNED_FLAGS } from "./experiments.ts";
import { MAX_SWEEP_RUNS, sweepSize, tooBig } from "./runs.ts";

/** A flag's value in a spec: a number, a string, or a boolean (true gives the flag alone). */
export type SpecValue = number | string | boolean;

/** A set of flags by kebab-case name, without the dashes. */
export type SpecFlags = Record<string, SpecValue>;

/** A parsed sweep spec. */
export interface SweepSpec {
  /** The sweep's name (default: the spec file's name without .json). */
  name: string;
  /** The experiment, a key of SWEEP_EXPERIMENTS. */
  experiment: string;
  /** Flags of every run. */
  flags: SpecFlags;
  /** Flags with lists of values; every combination is a run. */
  grid: Record<string, SpecValue[]>;
  /** Flag sets, each crossed with the grid (default: one empty set). */
  variants: SpecFlags[];
  /** Folder of the local runs and of the report (default: out/sweeps/<name>). */
  out: string;
  /** The flag the report averages over (default "seed"). */
  over: string;
}

const FIELDS = ["name", "experiment", "flags", "grid", "variants", "out", "over"];

/** A flag's name: letters, digits and dashes. */
const FLAG_NAME = /^[A-Za-z0-9][A-Za-z0-9-]*$/;

function isValue(v: unknown): v is SpecValue {
  return typeof v === "string" || typeof v === "boolean" ||
    (typeof v === "number" && Number.isFinite(v));
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return "a list";
  if (v === null) return "null";
  if (typeof v === "object") return "an object";
  return JSON.stringify(v);
}

/**
 * Checks a flag set.
 * @throws {InputError} Naming the field.
 */
function flagSet(raw: unknown, where: string, fail: (m: string) => never): SpecFlags {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    fail(`${where}: expected an object of flags ({"seed": 1, ...}), got ${describe(raw)}`);
  }
  const out: SpecFlags = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    const name = k.replace(/^--/, "");
    if (!FLAG_NAME.test(name)) fail(`${where}: "${k}" is not a flag name`);
    if (!isValue(v)) {
      fail(`${where}.${k}: expected a number, string or boolean, got ${describe(v)}`);
    }
    if (SWEEP_OWNED_FLAGS.includes(name)) {
      fail(`${where}.${k}: the sweep sets --${name} itself; leave it out`);
    }
    out[name] = v;
  }
  return out;
}

/**
 * Parses and checks a sweep spec (its structure; the flags are checked against the experiment
 * when the runs are expanded).
 * @param text The file's text.
 * @param path The file (for messages and the default name).
 * @returns The spec with defaults filled in.
 * @throws {InputError} One line naming the field and what was expected.
 */
export function parseSweepSpec(text: string, path: string): SweepSpec {
  const fail = (message: string): never => {
    throw new InputError(`sweep spec ${path}: ${message}`);
  };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    fail(`not valid JSON (${(e as Error).message})`);
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    fail(`expected a JSON object, got ${describe(raw)}`);
  }
  const o = raw as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!FIELDS.includes(k)) fail(`unknown field "${k}"; expected some of ${FIELDS.join(", ")}`);
  }
  const names = Object.keys(SWEEP_EXPERIMENTS);
  if (typeof o.experiment !== "string" || !Object.hasOwn(SWEEP_EXPERIMENTS, o.experiment)) {
    fail(
      `experiment: expected one of ${names.join(", ")}, got ${
        o.experiment === undefined ? "nothing" : describe(o.experiment)
      }`,
    );
  }
  const base = path.replace(/^.*\//, "").replace(/\.json$/i, "");
  const name = o.name ?? base;
  if (typeof name !== "string" || !/^[\w.-]+$/.test(name)) {
    fail(`name: expected letters, digits, ".", "_" or "-", got ${describe(name)}`);
  }
  const flags = o.flags === undefined ? {} : flagSet(o.flags, "flags", fail);
  const grid: Record<string, SpecValue[]> = {};
  if (o.grid !== undefined) {
    if (o.grid === null || typeof o.grid !== "object" || Array.isArray(o.grid)) {
      fail(`grid: expected an object of flag lists ({"seed": [0, 1, 2]}), got ${describe(o.grid)}`);
    }
    for (const [k, list] of Object.entries(o.grid as Record<string, unknown>)) {
      const flag = k.replace(/^--/, "");
      if (!FLAG_NAME.test(flag)) fail(`grid: "${k}" is not a flag name`);
      if (!Array.isArray(list) || list.length === 0 || !list.every(isValue)) {
        fail(`grid.${k}: expected a non-empty list of numbers, strings or booleans`);
      }
      if (SWEEP_OWNED_FLAGS.includes(flag)) fail(`grid.${k}: the sweep sets --${flag} itself`);
      if (flag in flags) fail(`grid.${k}: --${flag} is also in flags; give it in one place`);
      const twice = (list as SpecValue[]).find((v, i) => (list as SpecValue[]).indexOf(v) !== i);
      if (twice !== undefined) fail(`grid.${k}: lists ${JSON.stringify(twice)} twice`);
      grid[flag] = list as SpecValue[];
    }
  }
  let variants: SpecFlags[] = [{}];
  if (o.variants !== undefined) {
    if (!Array.isArray(o.variants) || o.variants.length === 0) {
      fail(`variants: expected a non-empty list of flag objects, got ${describe(o.variants)}`);
    }
    variants = (o.variants as unknown[]).map((v, i) => {
      const set = flagSet(v, `variants[${i}]`, fail);
      for (const k of Object.keys(set)) {
        if (k in flags) fail(`variants[${i}].${k}: --${k} is also in flags; give it in one place`);
        if (k in grid) fail(`variants[${i}].${k}: --${k} is also in grid; give it in one place`);
      }
      return set;
    });
  }
  const count = sweepSize({ grid, variants });
  if (count > MAX_SWEEP_RUNS) throw new InputError(tooBig({ grid, variants }, path, count));
  const out = o.out ?? `out/sweeps/${name}`;
  if (typeof out !== "string" || out.trim() === "") {
    fail(`out: expected a folder path, got ${describe(out)}`);
  }
  const over = o.over ?? "seed";
  if (typeof over !== "string" || over === "") {
    fail(`over: expected a flag name, got ${describe(over)}`);
  }
  const overFlag = (over as string).replace(/^--/, "");
  if (!Object.hasOwn(SWEEP_EXPERIMENTS[o.experiment as string].flags, overFlag)) {
    fail(`over: --${overFlag} is not a flag of ${o.experiment as string}`);
  }
  return {
    name: name as string,
    experiment: o.experiment as string,
    flags,
    grid,
    variants,
    out: out as string,
    over: (over as string).replace(/^--/, ""),
  };
}

/**
 * Reads and parses a sweep spec file.
 * @param path The file.
 * @returns The spec.
 * @throws {InputError} When the file is missing or the spec is bad.
 */
export async function loadSweepSpec(path: string): Promise<SweepSpec> {
  return parseSweepSpec(await readTextInput(path, `the sweep spec --spec ${path}`), path);
}

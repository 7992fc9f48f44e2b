/**
 * Typed command-line flags in kebab case (the original scripts' flags), parsed with
 * `node:util` parseArgs, converted and validated with errors that name the flag, and rendered as
 * `--help` text. Flags the user gave explicitly are reported separately, so a resumed run can
 * check them against its checkpoint.
 *
 * @module
 */
import { parseArgs } from "node:util";

/** One flag. */
export interface FlagSpec {
  /** "int", "number", "string" or "boolean". */
  type: "int" | "number" | "string" | "boolean";
  /** Default value. */
  default: number | string | boolean;
  /** Help text. */
  help: string;
  /** Allowed values of a string flag. */
  choices?: readonly string[];
  /** Smallest allowed value of a numeric flag. */
  min?: number;
  /** Whether the minimum is exclusive. */
  exclusiveMin?: boolean;
}

/** Flag specs by kebab-case name. */
export type FlagSpecs = Record<string, FlagSpec>;

/** Parsed values by kebab-case name. */
export type FlagValues = Record<string, number | string | boolean>;

/** A command-line problem; the message names the flag. */
export class FlagError extends Error {
  /** @param message What is wrong. */
  constructor(message: string) {
    super(message);
    this.name = "FlagError";
  }
}

/**
 * Parses and validates flags.
 * @param args The arguments.
 * @param specs The flags.
 * @returns All values (defaults filled in) and the names given explicitly.
 * @throws {FlagError} For an unknown flag or a bad value.
 */
export function parseFlags(
  args: string[],
  specs: FlagSpecs,
): { values: FlagValues; given: Set<string> } {
  const options: Record<string, { type: "string" | "boolean" }> = {};
  for (const [name, spec] of Object.entries(specs)) {
    options[name] = { type: spec.type === "boolean" ? "boolean" : "string" };
  }
  let raw: Record<string, string | boolean | undefined>;
  try {
    raw = parseArgs({ args, options, allowPositionals: false }).values as Record<
      string,
      string | boolean | undefined
    >;
  } catch (e) {
    throw new FlagError((e as Error).message);
  }
  const values: FlagValues = {};
  const given = new Set<string>();
  for (const [name, spec] of Object.entries(specs)) {
    const v = raw[name];
    if (v === undefined) {
      values[name] = spec.default;
      continue;
    }
    given.add(name);
    values[name] = convert(name, spec, v);
  }
  return { values, given };
}

function convert(name: string, spec: FlagSpec, v: string | boolean): number | string | boolean {
  if (spec.type === "boolean") return v as boolean;
  const text = v as string;
  if (spec.type === "string") {
    if (spec.choices && !spec.choices.includes(text)) {
      throw new FlagError(`--${name} must be one of ${spec.choices.join(", ")}, got "${text}"`);
    }
    return text;
  }
  const x = Number(text);
  if (text.trim() === "" || !Number.isFinite(x) || (spec.type === "int" && !Number.isInteger(x))) {
    throw new FlagError(
      `--${name} must be ${spec.type === "int" ? "an integer" : "a number"}, got "${text}"`,
    );
  }
  if (spec.min !== undefined && (spec.exclusiveMin ? !(x > spec.min) : !(x >= spec.min))) {
    throw new FlagError(
      `--${name} must be ${spec.exclusiveMin ? ">" : ">="} ${spec.min}, got ${x}`,
    );
  }
  return x;
}

/**
 * Renders the help text.
 * @param usage First lines (command and purpose).
 * @param specs The flags.
 * @returns The text.
 */
export function flagHelp(usage: string, specs: FlagSpecs): string {
  const rows = Object.entries(specs).map(([name, s]) => {
    const kind = s.choices
      ? s.choices.join("|")
      : s.type === "boolean"
      ? ""
      : s.type === "int"
      ? "N"
      : s.type === "number"
      ? "X"
      : "S";
    return [
      `  --${name}${kind ? ` ${kind}` : ""}`,
      `${s.help}${s.type === "boolean" ? "" : ` (default ${s.default})`}`,
    ];
  });
  const width = Math.max(...rows.map((r) => r[0].length)) + 2;
  return `${usage}\n\noptions:\n${
    rows.map(([a, b]) => a.padEnd(width) + b).join("\n")
  }\n  -h, --help`.trimEnd();
}

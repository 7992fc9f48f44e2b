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
  /** "int", "number", "string", "boolean", or "ints" (comma-separated integers). */
  type: "int" | "number" | "string" | "boolean" | "ints";
  /** Default value ("ints": the comma-separated text). */
  default: number | string | boolean;
  /** Help text. */
  help: string;
  /** Allowed values of a string flag. */
  choices?: readonly string[];
  /** Smallest allowed value of a numeric flag (each value of "ints"). */
  min?: number;
  /** Whether the minimum is exclusive. */
  exclusiveMin?: boolean;
  /** Largest allowed value of a numeric flag (each value of "ints"). */
  max?: number;
  /** Whether the maximum is exclusive. */
  exclusiveMax?: boolean;
  /**
   * The flag matters only when other flags have these values (e.g. `{ method: ["eprop"] }`);
   * giving it otherwise is refused rather than silently ignored.
   */
  appliesWhen?: Record<string, readonly (string | number | boolean)[]>;
}

/** Largest seed: any integer a user types is taken exactly up to 2^53 - 1. */
export const MAX_SEED = Number.MAX_SAFE_INTEGER;

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
 * The boolean flag that `--no-<flag>` turns off, if `arg` is one (a flag named `no-...` itself
 * keeps its meaning).
 * @param arg A command-line argument.
 * @param specs The flags.
 * @returns The flag's name, or undefined.
 */
export function negatedFlag(arg: string, specs: FlagSpecs): string | undefined {
  if (!arg.startsWith("--no-") || arg.slice(2) in specs) return undefined;
  const name = arg.slice(5);
  return specs[name]?.type === "boolean" ? name : undefined;
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
  const negated = new Set<string>();
  const rest: string[] = [];
  for (const a of args) {
    const name = negatedFlag(a, specs);
    if (name) {
      if (negated.has(name)) {
        throw new FlagError(`--${name} is given more than once; give each flag once`);
      }
      negated.add(name);
    } else rest.push(a);
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      options,
      allowPositionals: false,
      tokens: true,
      strict: true,
    });
  } catch (e) {
    throw new FlagError(parseArgsMessage((e as Error).message, specs));
  }
  const seen = new Set<string>();
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== "option") continue;
    if (seen.has(token.name) || negated.has(token.name)) {
      throw new FlagError(`--${token.name} is given more than once; give each flag once`);
    }
    seen.add(token.name);
  }
  const raw = parsed.values as Record<string, string | boolean | undefined>;
  for (const name of negated) raw[name] = false;
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
  for (const name of given) {
    const when = specs[name].appliesWhen;
    if (!when) continue;
    for (const [other, allowed] of Object.entries(when)) {
      if (!allowed.includes(values[other] as string)) {
        const need = allowed.map((a) => `--${other} ${a}`).join(" or ");
        throw new FlagError(
          `--${name} applies only with ${need}, not with --${other} ${values[other]}; leave it out`,
        );
      }
    }
  }
  return { values, given };
}

/** parseArgs' messages, restated in this module's words. */
function parseArgsMessage(message: string, specs: FlagSpecs): string {
  const unknown = message.match(/Unknown option '([^']+)'/);
  if (unknown) return `unknown flag ${unknown[1]}`;
  const missing = message.match(/Option '(--[\w-]+)[^']*' argument missing/);
  if (missing) {
    const spec = specs[missing[1].slice(2)];
    const kind = spec?.choices
      ? spec.choices.join("|")
      : spec?.type === "string"
      ? "a value"
      : spec?.type === "ints"
      ? "comma-separated integers"
      : `a ${spec?.type === "int" ? "integer" : "number"}`;
    return `${missing[1]} needs ${kind}`;
  }
  const ambiguous = message.match(/Option '(--[\w-]+)' argument is ambiguous/);
  if (ambiguous) {
    return `${ambiguous[1]} needs a value (one starting with a dash: ${ambiguous[1]}=-1)`;
  }
  const positional = message.match(/Unexpected argument '([^']+)'/);
  if (positional) return `unexpected argument "${positional[1]}" (flags start with --)`;
  return message.replace(/\s+/g, " ");
}

function convert(
  name: string,
  spec: FlagSpec,
  v: string | boolean,
): number | string | boolean {
  if (spec.type === "boolean") return v as boolean;
  const text = v as string;
  if (spec.type === "string") {
    if (spec.choices && !spec.choices.includes(text)) {
      throw new FlagError(`--${name} must be one of ${spec.choices.join(", ")}, got "${text}"`);
    }
    if (text.trim() === "") throw new FlagError(`--${name} must not be empty`);
    return text;
  }
  if (spec.type === "ints") {
    const parts = text.split(",").map((p) => p.trim());
    if (text.trim() === "" || parts.some((p) => p === "")) {
      throw new FlagError(`--${name} must be integers separated by commas, got "${text}"`);
    }
    parts.forEach((p) => number(name, { ...spec, type: "int" }, p));
    return parts.join(",");
  }
  return number(name, spec, text);
}

function number(name: string, spec: FlagSpec, text: string): number {
  const x = Number(text);
  if (text.trim() === "" || !Number.isFinite(x) || (spec.type === "int" && !Number.isInteger(x))) {
    throw new FlagError(
      `--${name} must be ${spec.type === "int" ? "an integer" : "a number"}, got "${text}"`,
    );
  }
  if (spec.type === "int" && !Number.isSafeInteger(x)) {
    throw new FlagError(`--${name} must be an integer of at most 2^53 - 1, got "${text}"`);
  }
  if (spec.min !== undefined && (spec.exclusiveMin ? !(x > spec.min) : !(x >= spec.min))) {
    throw new FlagError(
      `--${name} must be ${spec.exclusiveMin ? ">" : ">="} ${spec.min}, got ${x}`,
    );
  }
  if (spec.max !== undefined && (spec.exclusiveMax ? !(x < spec.max) : !(x <= spec.max))) {
    throw new FlagError(
      `--${name} must be ${spec.exclusiveMax ? "<" : "<="} ${spec.max}, got ${x}`,
    );
  }
  return x;
}

/**
 * The integers of an "ints" flag's value.
 * @param value The flag's value (comma-separated text).
 * @returns The integers.
 */
export function intList(value: number | string | boolean): number[] {
  return String(value).split(",").map(Number);
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
      : s.type === "ints"
      ? "N,N,..."
      : "S";
    const range = [
      s.min !== undefined ? `${s.exclusiveMin ? ">" : ">="} ${s.min}` : "",
      s.max !== undefined ? `${s.exclusiveMax ? "<" : "<="} ${s.max}` : "",
    ].filter((x) => x).join(", ");
    const when = s.appliesWhen
      ? `; only with ${
        Object.entries(s.appliesWhen).map(([k, v]) => `--${k} ${v.join("|")}`).join(", ")
      }`
      : "";
    const facts = s.type === "boolean"
      ? (s.default === true ? `default on; --no-${name} turns it off${when}` : when.slice(2))
      : `default ${s.default === "" ? "none" : s.default}${range ? `; ${range}` : ""}${when}`;
    return [`  --${name}${kind ? ` ${kind}` : ""}`, `${s.help}${facts ? ` (${facts})` : ""}`];
  });
  rows.push(["  --debug", "print the stack trace of an unexpected error"]);
  rows.push(["  -h, --help", "this text"]);
  const width = Math.max(...rows.map((r) => r[0].length)) + 2;
  return `${usage}\n\noptions:\n${rows.map(([a, b]) => a.padEnd(width) + b).join("\n")}`;
}

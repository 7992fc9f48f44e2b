/**
 * The command-line layer every task shares: `--help` on stdout, flags parsed and checked before
 * any work, positional arguments, and errors turned into one line on stderr with an exit code:
 * 0 done, 2 bad input (a flag, a file, a run folder, a value a library check refused), 1 the run
 * failed (diverged, a check failed, an unexpected error). A stack trace only with `--debug`.
 *
 * @module
 */
import {
  FlagError,
  flagHelp,
  type FlagSpecs,
  type FlagValues,
  negatedFlag,
  parseFlags,
} from "./flags.ts";

/** Bad input other than a flag: a file, a folder, a checkpoint (exit 2). */
export class InputError extends Error {
  /** @param message What is wrong and what to do. */
  constructor(message: string) {
    super(message);
    this.name = "InputError";
  }
}

/** The run itself failed: it diverged, a check failed (exit 1). */
export class RunFailure extends Error {
  /** @param message What failed. */
  constructor(message: string) {
    super(message);
    this.name = "RunFailure";
  }
}

/** A task's command line. */
export interface CommandSpec {
  /** Task name as run: `deno task NAME`. */
  name: string;
  /** Usage and purpose, shown above the flags by `--help`. */
  usage: string;
  /** The flags. */
  flags: FlagSpecs;
  /** Names of the positional arguments, all required (e.g. ["CASE.json"]). */
  positionals?: readonly string[];
  /**
   * Checks combinations of flags before any work.
   * @throws {FlagError} Naming the flags.
   */
  check?: (values: FlagValues, given: Set<string>) => void;
}

/** What a task's body receives. */
export interface CommandContext {
  /** Flag values, defaults filled in. */
  values: FlagValues;
  /** Flags given explicitly. */
  given: Set<string>;
  /** Positional arguments. */
  positionals: string[];
  /** The raw arguments (for tasks that pass them on, such as a sweep). */
  args: string[];
}

/** Library checks say "Cannot <action>: <what>"; engine errors do not have that form. */
const LIBRARY_MESSAGE = /^Cannot [^:]+: /;

/**
 * Runs a task: parses its command line, runs the body, and maps errors to exit codes.
 *
 * @param spec The command line.
 * @param args The arguments.
 * @param body The task; returns its exit code (default 0).
 * @returns The exit code.
 */
export async function commandMain(
  spec: CommandSpec,
  args: string[],
  body: (ctx: CommandContext) => Promise<number | void> | number | void,
): Promise<number> {
  const debug = args.includes("--debug");
  const rest = args.filter((a) => a !== "--debug");
  const flagsEnd = rest.indexOf("--");
  const flagPart = flagsEnd < 0 ? rest : rest.slice(0, flagsEnd);
  if (flagPart.includes("--help") || flagPart.includes("-h")) {
    const pos = spec.positionals?.length ? ` ${spec.positionals.join(" ")}` : "";
    console.log(flagHelp(spec.usage.replace("{positionals}", pos), spec.flags));
    return 0;
  }
  const fail = (code: number, message: string) => {
    console.error(`${spec.name}: ${message}`);
    return code;
  };
  try {
    const { flags, positionals } = splitPositionals(rest, spec);
    const want = spec.positionals ?? [];
    if (positionals.length !== want.length) {
      throw new FlagError(
        want.length === 0
          ? `unexpected argument "${positionals[0]}" (flags start with --)`
          : `expected ${want.join(" ")}, got ${positionals.length} argument(s)`,
      );
    }
    const { values, given } = parseFlags(flags, spec.flags);
    spec.check?.(values, given);
    return (await body({ values, given, positionals, args: rest })) ?? 0;
  } catch (e) {
    const err = e as Error;
    if (debug) console.error(err?.stack ?? String(e));
    if (e instanceof FlagError) {
      return fail(2, `${err.message}\n(see deno task ${spec.name} --help)`);
    }
    if (e instanceof InputError) return fail(2, err.message);
    if ((e instanceof TypeError || e instanceof RangeError) && LIBRARY_MESSAGE.test(err.message)) {
      return fail(2, err.message);
    }
    if (e instanceof RunFailure || err?.name === "DivergenceError") return fail(1, err.message);
    return fail(
      1,
      `unexpected error: ${err?.message ?? String(e)}${
        debug ? "" : " (run again with --debug for the stack trace)"
      }`,
    );
  }
}

/** Separates positional arguments from flags and their values. */
function splitPositionals(
  args: string[],
  spec: CommandSpec,
): { flags: string[]; positionals: string[] } {
  const flags: string[] = [], positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (!a.startsWith("-") || a === "-") {
      positionals.push(a);
      continue;
    }
    const name = negatedFlag(a, spec.flags) ?? a.replace(/^--?/, "").replace(/=.*$/, "");
    const s = spec.flags[name];
    if (!s) throw new FlagError(`unknown flag ${a.replace(/=.*$/, "")}`);
    // "--flag value" becomes "--flag=value", so that a value may start with a dash (--seed -1 is
    // then refused by the flag's range, not misread as another flag).
    if (s && s.type !== "boolean" && !a.includes("=") && i + 1 < args.length) {
      flags.push(`${a}=${args[++i]}`);
    } else flags.push(a);
  }
  return { flags, positionals };
}

/**
 * Turns a file-system error into one line that names the file and what to do.
 *
 * @param e The error.
 * @param what What was being done, e.g. "write results to out/fig3/results.json".
 * @returns An {@linkcode InputError} (to throw).
 */
export function fileError(e: unknown, what: string): InputError {
  const err = e as Error;
  const reason = err instanceof Deno.errors.PermissionDenied
    ? "permission denied"
    : err instanceof Deno.errors.NotFound
    ? "no such file or folder"
    : err instanceof Deno.errors.AlreadyExists
    ? "it already exists"
    : err instanceof Deno.errors.NotADirectory
    ? "a part of the path is a file, not a folder"
    : err instanceof Deno.errors.IsADirectory
    ? "it is a folder"
    : (err?.message ?? String(e));
  return new InputError(`cannot ${what}: ${reason}`);
}

/**
 * Reads a text file a user named, or says in one line why it cannot be read.
 *
 * @param path The file.
 * @param what What the file is, for the message (default: the path), e.g. "the sweep spec --spec
 *   s.json".
 * @returns Its text.
 * @throws {InputError} From {@linkcode fileError}: "cannot read WHAT: REASON".
 */
export async function readTextInput(path: string | URL, what?: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    throw fileError(e, `read ${what ?? String(path)}`);
  }
}

/**
 * Checks that a computation fits in memory before it allocates.
 *
 * @param bytes Estimated bytes.
 * @param options What needs them (named flags) and the limit (default: the 4 GiB a wasm32
 *   memory holds, or the machine's memory when smaller).
 * @throws {FlagError} When it would not fit.
 */
export function checkMemory(bytes: number, options: { what: string; limit?: number }): void {
  let limit = options.limit ?? 4 * 2 ** 30;
  const sys = Deno.permissions.querySync({ name: "sys", kind: "systemMemoryInfo" });
  if (sys.state === "granted") limit = Math.min(limit, Deno.systemMemoryInfo().total * 0.8);
  if (bytes > limit) {
    throw new FlagError(
      `${options.what} needs about ${(bytes / 2 ** 30).toFixed(1)} GiB, more than the ${
        (limit / 2 ** 30).toFixed(1)
      } GiB available; make it smaller`,
    );
  }
}

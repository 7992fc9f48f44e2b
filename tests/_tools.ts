/**
 * Probes for the optional tools some tests need (flite, chattr, chromium, redis-server, python3
 * with a module). Each probe is a function that resolves to false when the tool is missing,
 * whatever the way it is missing: `new Deno.Command(...).output()` throws synchronously for a
 * program that is not on PATH, so a probe must catch that too, not only a rejected promise.
 * A test that needs a missing tool skips with a message ({@linkcode skipNote}).
 *
 * @module
 */

/**
 * Whether a program can be started here (its exit code does not matter: being found is enough).
 * @param cmd Program name (looked up on PATH) or path.
 * @param args Arguments of a harmless call (default `--version`).
 * @returns False when it is missing or cannot be started.
 */
export async function canRun(cmd: string, args: string[] = ["--version"]): Promise<boolean> {
  try {
    await new Deno.Command(cmd, { args, stdin: "null", stdout: "null", stderr: "null" }).output();
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether a program runs and exits 0.
 * @param cmd Program name or path.
 * @param args Arguments.
 * @returns False when it is missing, cannot be started, or fails.
 */
export async function runsOk(cmd: string, args: string[]): Promise<boolean> {
  try {
    const out = await new Deno.Command(cmd, {
      args,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).output();
    return out.success;
  } catch {
    return false;
  }
}

/**
 * Whether a Python interpreter is here and imports the given modules.
 * @param modules Module names, e.g. ["numpy"] or ["torch"].
 * @param python Interpreter (default "python3" on PATH).
 * @returns False when the interpreter or a module is missing.
 */
export function hasPythonModules(modules: string[], python = "python3"): Promise<boolean> {
  return runsOk(python, ["-c", modules.map((m) => `import ${m}`).join("; ")]);
}

/**
 * Prints why a group of tests is skipped (once, at module load).
 * @param test The test file's name.
 * @param missing What is missing and how to get it.
 * @param skipped What is skipped.
 */
export function skipNote(test: string, missing: string, skipped: string): void {
  console.log(`${test}: ${missing}: skipping ${skipped}`);
}

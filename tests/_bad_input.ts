/**
 * The bad-input harness: runs a task as a user would (`deno run` with the task's own command
 * line from deno.json) and checks that a bad input is refused with one line that names the
 * problem, the right exit code, nothing on stdout, no stack trace, and the folder it was given
 * left exactly as it was. Each suite of bad inputs (tests/bad_input*_test.ts) is a list of
 * {@linkcode Case}s run by {@linkcode badInputTests}.
 *
 * @module
 */
import assert from "node:assert/strict";
import { canRun } from "./_tools.ts";

/** The repository. */
export const ROOT = new URL("..", import.meta.url);
const TASKS: Record<string, string | { command: string }> = JSON.parse(
  await Deno.readTextFile(new URL("deno.json", ROOT)),
).tasks;

/** The deno arguments of a task's command ("deno run --allow-read x.ts" -> ["run", ...]). */
export function taskArgs(name: string): string[] {
  const t = TASKS[name];
  const command = typeof t === "string" ? t : t.command;
  const words = command.split(/\s+/);
  assert.equal(words[0], "deno", `task ${name} does not start with deno`);
  return words.slice(1);
}

export interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a task with arguments, as `deno task NAME ARGS` would. */
export async function runTask(name: string, args: string[]): Promise<Outcome> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [...taskArgs(name), ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Every file below a folder with its contents (missing folder: null). */
export async function snapshot(dir: string): Promise<Record<string, string> | null> {
  try {
    await Deno.stat(dir);
  } catch {
    return null;
  }
  const out: Record<string, string> = {};
  const walk = async (d: string) => {
    for await (const e of Deno.readDir(d)) {
      const p = `${d}/${e.name}`;
      if (e.isDirectory) await walk(p);
      else out[p] = await Deno.readTextFile(p).catch(() => "<unreadable>");
    }
  };
  if ((await Deno.stat(dir)).isDirectory) await walk(dir);
  else out[dir] = await Deno.readTextFile(dir);
  return out;
}

export interface Case {
  /** What the case is. */
  what: string;
  task: string;
  /** Arguments; "$DIR" is replaced by a fresh temporary folder. */
  args: string[];
  /** Prepares $DIR (files the run must leave alone). */
  setup?: (dir: string) => Promise<void>;
  /** Expected exit code (default 2). */
  code?: number;
  /** The message. */
  message: RegExp;
  /** Paths (with $DIR) that must not exist afterwards. */
  absent?: string[];
  /** Undoes what setup did that would block removing $DIR. */
  cleanup?: (dir: string) => Promise<void>;
}

/** Whether chattr can make folders immutable here (root cannot write into them then). */
export const CHATTR = await canRun("chattr", ["--help"]);

/** Makes a path immutable (chattr +i) or not. */
export async function immutable(path: string, on: boolean): Promise<void> {
  const out = await new Deno.Command("chattr", { args: [on ? "+i" : "-i", path], stderr: "piped" })
    .output();
  if (on && !out.success) {
    throw new Error(`chattr +i failed: ${new TextDecoder().decode(out.stderr)}`);
  }
}

/**
 * Registers one Deno test per case.
 * @param cases The cases.
 */
export function badInputTests(cases: Case[]): void {
  for (const c of cases) {
    Deno.test(`bad input: ${c.task} ${c.what}`, async () => {
      if (c.cleanup && !CHATTR) {
        console.log("skipped: chattr is missing here (e2fsprogs), CI has it");
        return;
      }
      const dir = await Deno.makeTempDir();
      try {
        await c.setup?.(dir);
        const before = await snapshot(dir);
        const args = c.args.map((a) => a.replaceAll("$DIR", dir));
        const out = await runTask(c.task, args);
        assert.equal(out.code, c.code ?? 2, `exit ${out.code}; stderr: ${out.stderr}`);
        assert.equal(out.stdout, "", `stdout should be empty, got: ${out.stdout}`);
        assert.match(out.stderr, c.message);
        assert.ok(!/\n\s+at /.test(out.stderr), `a stack trace was printed: ${out.stderr}`);
        assert.ok(out.stderr.startsWith(`${c.task}: `), `message not prefixed: ${out.stderr}`);
        assert.deepEqual(await snapshot(dir), before, "the folder changed");
        for (const p of c.absent ?? []) {
          await assert.rejects(Deno.stat(`${dir}/${p}`), `${p} was created`);
        }
      } finally {
        await c.cleanup?.(dir);
        await Deno.remove(dir, { recursive: true });
      }
      await assert.rejects(Deno.stat(new URL("undefined", ROOT)), "./undefined was created");
    });
  }
}

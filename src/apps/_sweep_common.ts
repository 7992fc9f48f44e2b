/**
 * What the sweep commands share: the spec flag, reading the spec and its runs, and opening the
 * queue of `--queue`.
 *
 * @module
 */
import type { Queue } from "bullmq";
import { FlagError, type FlagSpec } from "../cli/flags.ts";
import { fileError, InputError } from "../cli/command.ts";
import { loadSweepSpec, type SweepSpec } from "../sweep/spec.ts";
import { expandSweep, type SweepRun } from "../sweep/runs.ts";
import { parseRedisUrl } from "../sweep/redis_url.ts";
import { openQueue } from "../sweep/queue.ts";

/** `--spec FILE`. */
export const SPEC_FLAG: FlagSpec = {
  type: "string",
  default: "",
  help: "the sweep spec (JSON: experiment, flags, grid, variants, out, over)",
};

/** `--queue redis://HOST:PORT[/DB]`. */
export const QUEUE_FLAG: FlagSpec = {
  type: "string",
  default: "",
  help: "Redis of the BullMQ queue, redis://HOST:PORT[/DB]",
};

/** `--timeout S`: how long to wait for Redis. */
export const TIMEOUT_FLAG: FlagSpec = {
  type: "number",
  default: 5,
  min: 0,
  exclusiveMin: true,
  max: 3600,
  help: "seconds to wait for Redis to answer before giving up",
};

/**
 * Reads `--spec` and expands its runs (each checked against the experiment's flags).
 * @param path The --spec value.
 * @returns The spec and its runs.
 * @throws {FlagError} When --spec is missing.
 * @throws {InputError} For a bad spec.
 */
export async function readSweep(path: string): Promise<{ spec: SweepSpec; runs: SweepRun[] }> {
  if (path === "") throw new FlagError("--spec is required: the sweep spec file (JSON)");
  const spec = await loadSweepSpec(path);
  return { spec, runs: await expandSweep(spec, path) };
}

/**
 * Opens the queue of `--queue`.
 * @param url The --queue value.
 * @param timeoutSeconds How long to wait for Redis.
 * @returns The queue.
 * @throws {FlagError} For a malformed URL.
 * @throws {InputError} When Redis does not answer in time.
 */
export function queueOf(url: string, timeoutSeconds: number): Promise<Queue> {
  return openQueue(parseRedisUrl(url), timeoutSeconds * 1000);
}

/** Whether a folder takes a file (a temporary one, removed at once). */
async function probeWrite(dir: string, what: string): Promise<void> {
  let tmp: string;
  try {
    tmp = await Deno.makeTempFile({ dir, prefix: ".eprop-probe-" });
  } catch (e) {
    throw fileError(e, `write into ${what}`);
  }
  await Deno.remove(tmp).catch(() => {});
}

/**
 * Checks a folder a command will write into, without creating it: an existing folder must take
 * files; a missing one needs an existing, writable parent.
 * @param dir The folder.
 * @param flag The flag that gave it (for messages), e.g. "--dir".
 * @param parents Whether missing parents will be created too (a default folder such as
 *   out/sweep-worker): then the nearest existing folder above it must take files.
 * @throws {InputError} One line naming the flag and the folder.
 */
export async function checkWritableDir(dir: string, flag: string, parents = false): Promise<void> {
  if (dir.trim() === "") throw new FlagError(`${flag} must name a folder`);
  let info: Deno.FileInfo | undefined;
  try {
    info = await Deno.stat(dir);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw fileError(e, `use ${flag} ${dir}`);
  }
  if (info !== undefined) {
    if (!info.isDirectory) throw new InputError(`${flag} ${dir} is a file, not a folder`);
    return await probeWrite(dir, `${flag} ${dir}`);
  }
  const trimmed = dir.replace(/\/+$/, "");
  const parent = trimmed.includes("/") ? trimmed.slice(0, trimmed.lastIndexOf("/")) || "/" : ".";
  let p: Deno.FileInfo;
  try {
    p = await Deno.stat(parent);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      if (parents && parent !== trimmed) return await checkWritableDir(parent, flag, true);
      throw new InputError(
        `${flag} ${dir}: its parent folder ${parent} does not exist (create it first)`,
      );
    }
    throw fileError(e, `use ${flag} ${dir}`);
  }
  if (!p.isDirectory) throw new InputError(`${flag} ${dir}: ${parent} is a file, not a folder`);
  await probeWrite(parent, `${flag} ${dir} (its parent folder ${parent})`);
}

/**
 * Files a command writes, written so that nothing a user wrote is lost: atomically (a
 * temporary file renamed over the target, so an interrupted write leaves the old file or the new
 * one, never half of one), and never over a file the command did not write unless `--force`.
 * A folder's outputs are listed with their SHA-256 in its `.eprop-outputs.json`; a file listed
 * there whose bytes still match may be replaced by the next run, any other existing file is
 * refused, naming it and `--force`.
 *
 * @module
 */
import { fileError, InputError } from "./command.ts";
import { sha256Hex } from "./run_key.ts";

/** The file in a folder that lists the outputs written into it, with their SHA-256. */
export const OUTPUTS_MANIFEST = ".eprop-outputs.json";

/** How an output may be written. */
export interface OutputOptions {
  /** The task that writes it (for messages), e.g. "fig2:table". */
  task: string;
  /** Replace an existing file even if this task did not write it (`--force`). */
  force?: boolean;
  /**
   * List the file in its folder's {@linkcode OUTPUTS_MANIFEST}, so that a later run may replace
   * it without `--force` (default true; false for a single file in a user's folder, e.g. a GIF
   * path, which is then replaced only with `--force`).
   */
  record?: boolean;
}

function split(path: string): { dir: string; name: string } {
  const i = path.lastIndexOf("/");
  return i < 0
    ? { dir: ".", name: path }
    : { dir: path.slice(0, i) || "/", name: path.slice(i + 1) };
}

async function readManifest(dir: string): Promise<Record<string, string>> {
  try {
    const m = JSON.parse(await Deno.readTextFile(`${dir}/${OUTPUTS_MANIFEST}`));
    return typeof m === "object" && m !== null && !Array.isArray(m) ? m : {};
  } catch {
    return {};
  }
}

async function readIfExists(path: string): Promise<Uint8Array | undefined> {
  try {
    const info = await Deno.stat(path);
    if (info.isDirectory) throw new InputError(`cannot write ${path}: it is a folder`);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    if (e instanceof InputError) throw e;
    throw fileError(e, `read ${path}`);
  }
  try {
    return await Deno.readFile(path);
  } catch (e) {
    throw fileError(e, `read ${path}`);
  }
}

/**
 * Whether `path` may be written: it does not exist, `--force` was given, or the folder's
 * manifest lists it with its current bytes (this task, or another of the project's commands,
 * wrote it and nobody changed it since).
 * @param path The file.
 * @param options The task and `--force`.
 * @throws {InputError} Naming the file and `--force`, when it may not.
 */
export async function checkReplaceable(path: string, options: OutputOptions): Promise<void> {
  if (options.force) {
    await readIfExists(path); // still refuses a folder
    return;
  }
  const bytes = await readIfExists(path);
  if (bytes === undefined) return;
  const { dir, name } = split(path);
  const listed = (await readManifest(dir))[name];
  if (listed !== undefined && listed === sha256Hex(bytes)) return;
  throw new InputError(
    `${path} already exists and was not written by ${
      listed === undefined ? "this project" : "this project as it is now (it was changed since)"
    }; pass --force to replace it, or choose another path`,
  );
}

/**
 * Writes a file atomically: a temporary file beside it, renamed over it.
 * @param path The file.
 * @param data Text (UTF-8) or bytes.
 * @throws {InputError} Naming the file when it cannot be written.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${crypto.randomUUID().slice(0, 8)}`;
  try {
    if (typeof data === "string") await Deno.writeTextFile(tmp, data);
    else await Deno.writeFile(tmp, data);
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw fileError(e, `write ${path}`);
  }
}

/**
 * Writes an output: checks that it may replace what is there ({@linkcode checkReplaceable}),
 * writes it atomically and lists it in its folder's manifest.
 * @param path The file.
 * @param data Text or bytes.
 * @param options The task, `--force`, and whether to list it.
 * @throws {InputError} When the file may not be replaced or cannot be written.
 */
export async function writeOutput(
  path: string,
  data: string | Uint8Array,
  options: OutputOptions,
): Promise<void> {
  await checkReplaceable(path, options);
  await writeFileAtomic(path, data);
  if (options.record === false) return;
  await recordOutput(path, data);
}

/**
 * Lists a file this task wrote (by other means, e.g. a figure renderer) in its folder's manifest.
 * @param path The file.
 * @param data Its bytes (read from the file when omitted).
 */
export async function recordOutput(path: string, data?: string | Uint8Array): Promise<void> {
  const { dir, name } = split(path);
  const bytes = data ?? await Deno.readFile(path);
  const manifest = await readManifest(dir);
  manifest[name] = sha256Hex(bytes);
  await writeFileAtomic(`${dir}/${OUTPUTS_MANIFEST}`, JSON.stringify(manifest, null, 1) + "\n");
}

/**
 * A path's file information, or undefined when nothing is there.
 * @param path The path.
 * @returns Its information, or undefined.
 * @throws {InputError} When it cannot be read for another reason (named).
 */
export async function statIfExists(path: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.stat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw fileError(e, `read ${path}`);
  }
}

/**
 * Writes and removes a probe file, so that an unwritable folder fails before any work.
 * @param dir The folder (it must exist).
 * @param what What is being done, for the message: "cannot <what>: <reason>" (e.g.
 *   "write into --out runs/a").
 * @throws {InputError} When the folder cannot be written.
 */
export async function probeWritable(dir: string, what: string): Promise<void> {
  const probe = `${dir}/.write-test-${crypto.randomUUID().slice(0, 8)}`;
  try {
    await Deno.writeFile(probe, new Uint8Array(0), { createNew: true });
    await Deno.remove(probe);
  } catch (e) {
    throw fileError(e, what);
  }
}

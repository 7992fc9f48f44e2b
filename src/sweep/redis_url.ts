/**
 * The `--queue redis://HOST:PORT[/DB]` flag: parsed into connection options for BullMQ (ioredis),
 * and a reachability check with a timeout, so that an unreachable Redis is one line, not a hang.
 *
 * @module
 */
import { FlagError } from "../cli/flags.ts";
import { InputError } from "../cli/command.ts";

/** Where Redis is. */
export interface RedisTarget {
  /** Host name or address. */
  host: string;
  /** TCP port. */
  port: number;
  /** Database number. */
  db: number;
  /** User name, when the URL gives one. */
  username?: string;
  /** Password, when the URL gives one. */
  password?: string;
  /** Whether to use TLS (rediss://). */
  tls: boolean;
}

/**
 * Parses a Redis URL.
 * @param text E.g. "redis://127.0.0.1:6379", "redis://:secret@host:6380/2", "rediss://host".
 * @returns Host, port (default 6379), database (default 0), credentials.
 * @throws {FlagError} Naming --queue and the expected form.
 */
export function parseRedisUrl(text: string): RedisTarget {
  const expected = `--queue must be redis://HOST:PORT[/DB] (or rediss:// for TLS), got "${text}"`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new FlagError(expected);
  }
  if ((url.protocol !== "redis:" && url.protocol !== "rediss:") || url.hostname === "") {
    throw new FlagError(expected);
  }
  if (url.search !== "" || url.hash !== "") throw new FlagError(expected);
  const port = url.port === "" ? 6379 : Number(url.port);
  const path = url.pathname.replace(/^\//, "");
  if (path !== "" && !/^\d+$/.test(path)) {
    throw new FlagError(`--queue: the database after the port must be a number, got "/${path}"`);
  }
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, "$1"),
    port,
    db: path === "" ? 0 : Number(path),
    username: url.username === "" ? undefined : decodeURIComponent(url.username),
    password: url.password === "" ? undefined : decodeURIComponent(url.password),
    tls: url.protocol === "rediss:",
  };
}

/**
 * Connection options for BullMQ: commands wait for a reconnect instead of failing (so a Redis
 * restart pauses a worker or a follower rather than ending it), and a first connection gives up
 * after `timeoutMs`.
 * @param t The target.
 * @param timeoutMs Connect timeout.
 * @returns ioredis options.
 */
export function connectionOptions(t: RedisTarget, timeoutMs = 5000): Record<string, unknown> {
  return {
    host: t.host,
    port: t.port,
    db: t.db,
    ...(t.username ? { username: t.username } : {}),
    ...(t.password ? { password: t.password } : {}),
    ...(t.tls ? { tls: {} } : {}),
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: null,
    retryStrategy: (times: number) => Math.min(200 * times, 2000),
  };
}

/**
 * Checks that something accepts TCP connections at the target within a timeout.
 * @param t The target.
 * @param timeoutMs How long to wait.
 * @throws {InputError} "cannot reach Redis at HOST:PORT: <reason>".
 */
export async function checkReachable(t: RedisTarget, timeoutMs = 5000): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const where = `${t.host}:${t.port}`;
  const attempt = Deno.connect({ hostname: t.host, port: t.port });
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new InputError(`cannot reach Redis at ${where}: no answer within ${timeoutMs / 1000} s`),
        ),
      timeoutMs,
    );
  });
  try {
    const conn = await Promise.race([attempt, timeout]);
    conn.close();
  } catch (e) {
    attempt.then((c) => c.close(), () => {});
    if (e instanceof InputError) throw e;
    throw new InputError(
      `cannot reach Redis at ${where}: ${(e as Error).message.replace(/\s+/g, " ")}`,
    );
  } finally {
    clearTimeout(timer);
  }
}

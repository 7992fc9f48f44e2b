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
  if (!(port >= 1 && port <= 65535)) {
    throw new FlagError(`--queue: the port must be 1 to 65535, got ${port}`);
  }
  const path = url.pathname.replace(/^\//, "");
  if (path !== "" && !/^\d+$/.test(path)) {
    throw new FlagError(`--queue: the database after the port must be a number, got "/${path}"`);
  }
  if (path !== "" && Number(path) > 65535) {
    throw new FlagError(`--queue: the database must be 0 to 65535, got ${path}`);
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

/** One command in Redis' wire protocol (RESP). */
function command(words: readonly string[]): string {
  return `*${words.length}\r\n` +
    words.map((w) => `$${new TextEncoder().encode(w).length}\r\n${w}\r\n`).join("");
}

/**
 * Checks that a working Redis answers at the target within a timeout: a TCP connection is not
 * enough (a listener that never answers would make a worker wait forever), so it sends AUTH
 * (when the URL has a password), SELECT (for a database other than 0) and PING, and wants
 * `+PONG` back.
 * @param t The target.
 * @param timeoutMs How long to wait for everything.
 * @throws {InputError} "cannot reach Redis at HOST:PORT: <reason>", or what Redis refused.
 */
export async function checkReachable(t: RedisTarget, timeoutMs = 5000): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const where = `${t.host}:${t.port}`;
  let conn: Deno.Conn | undefined;
  const closeConn = () => {
    try {
      conn?.close();
    } catch { /* closed */ }
  };
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new InputError(
            `cannot reach Redis at ${where}: no answer to PING within ${timeoutMs / 1000} s`,
          ),
        ),
      timeoutMs,
    );
  });
  const talk = async () => {
    conn = t.tls
      ? await Deno.connectTls({ hostname: t.host, port: t.port })
      : await Deno.connect({ hostname: t.host, port: t.port });
    const sent: string[][] = [];
    if (t.password !== undefined) {
      sent.push(t.username ? ["AUTH", t.username, t.password] : ["AUTH", t.password]);
    }
    if (t.db !== 0) sent.push(["SELECT", String(t.db)]);
    sent.push(["PING"]);
    const bytes = new TextEncoder().encode(sent.map(command).join(""));
    for (let at = 0; at < bytes.length;) at += await conn.write(bytes.subarray(at));
    let text = "";
    const buf = new Uint8Array(4096);
    const decoder = new TextDecoder();
    while (text.split("\r\n").length <= sent.length) {
      const n = await conn.read(buf);
      if (n === null) {
        throw new InputError(`cannot reach Redis at ${where}: it closed the connection`);
      }
      text += decoder.decode(buf.subarray(0, n), { stream: true });
      if (text.length > 65536) break;
    }
    const lines = text.split("\r\n");
    for (let i = 0; i < sent.length; i++) {
      const line = (lines[i] ?? "").slice(0, 120).replace(/\s+/g, " ");
      const what = sent[i][0] === "AUTH" ? "the password" : sent[i][0];
      if (line.startsWith("-")) {
        throw new InputError(`Redis at ${where} refused ${what}: ${line.slice(1)}`);
      }
      if (!line.startsWith("+")) {
        throw new InputError(
          `cannot reach Redis at ${where}: it did not answer ${
            sent[i][0]
          } as Redis does (got "${line}")`,
        );
      }
    }
  };
  try {
    await Promise.race([talk(), timeout]);
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(
      `cannot reach Redis at ${where}: ${(e as Error).message.replace(/\s+/g, " ")}`,
    );
  } finally {
    clearTimeout(timer);
    closeConn();
  }
}

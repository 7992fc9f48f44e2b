import assert from "node:assert/strict";
import { connectionOptions, parseRedisUrl } from "./redis_url.ts";
import { FlagError } from "../cli/flags.ts";

Deno.test("parseRedisUrl: host, port (default 6379), database (default 0), credentials, TLS", () => {
  assert.deepEqual(parseRedisUrl("redis://127.0.0.1:6379"), {
    host: "127.0.0.1",
    port: 6379,
    db: 0,
    username: undefined,
    password: undefined,
    tls: false,
  });
  assert.deepEqual(parseRedisUrl("redis://:secret@host:6380/2"), {
    host: "host",
    port: 6380,
    db: 2,
    username: undefined,
    password: "secret",
    tls: false,
  });
  assert.deepEqual(parseRedisUrl("rediss://user:p%40ss%3Aword@example.org"), {
    host: "example.org",
    port: 6379,
    db: 0,
    username: "user",
    password: "p@ss:word",
    tls: true,
  });
  assert.equal(parseRedisUrl("redis://[::1]:7000/").host, "::1");
  assert.equal(parseRedisUrl("redis://h/15").db, 15);
  assert.equal(parseRedisUrl("redis://h:65535").port, 65535);
});

Deno.test("parseRedisUrl: anything else is a FlagError naming --queue and the expected form", () => {
  const form = (t: string) =>
    `--queue must be redis://HOST:PORT[/DB] (or rediss:// for TLS), got "${t}"`;
  const cases: [string, string][] = [
    ["localhost:6379", form("localhost:6379")],
    ["http://host:6379", form("http://host:6379")],
    ["redis://", form("redis://")],
    ["redis://host:6379?db=1", form("redis://host:6379?db=1")],
    ["redis://host:6379#x", form("redis://host:6379#x")],
    ["redis://host:99999", form("redis://host:99999")],
    ["redis://host:0", "--queue: the port must be 1 to 65535, got 0"],
    ["redis://host/abc", '--queue: the database after the port must be a number, got "/abc"'],
    ["redis://host/1/2", '--queue: the database after the port must be a number, got "/1/2"'],
    ["redis://host/70000", "--queue: the database must be 0 to 65535, got 70000"],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseRedisUrl(text), (e: Error) => {
      assert.ok(e instanceof FlagError, `${text}: ${e}`);
      assert.equal(e.message, message);
      return true;
    });
  }
});

Deno.test("connectionOptions: the target, credentials and TLS only when given, waiting retries", () => {
  const plain = connectionOptions(parseRedisUrl("redis://h:1/3"));
  assert.deepEqual(
    { ...plain, retryStrategy: undefined },
    {
      host: "h",
      port: 1,
      db: 3,
      connectTimeout: 5000,
      maxRetriesPerRequest: null,
      retryStrategy: undefined,
    },
  );
  const retry = plain.retryStrategy as (times: number) => number;
  assert.deepEqual([1, 2, 5, 10, 100].map(retry), [200, 400, 1000, 2000, 2000]);
  const full = connectionOptions(parseRedisUrl("rediss://u:p@h"), 250);
  assert.equal(full.username, "u");
  assert.equal(full.password, "p");
  assert.deepEqual(full.tls, {});
  assert.equal(full.connectTimeout, 250);
});

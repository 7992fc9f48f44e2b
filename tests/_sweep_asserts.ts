/**
 * Assertions in the shape the sweep suites use (assert, assertEquals, and an error's class and
 * part of its message), over node:assert/strict.
 */
import nodeAssert from "node:assert/strict";

/** Asserts that ok is truthy. */
export function assert(ok: unknown, message = "assertion failed"): asserts ok {
  nodeAssert.ok(ok, message);
}

/** Asserts deep strict equality. */
export function assertEquals(a: unknown, b: unknown, message?: string): void {
  if (message === undefined) nodeAssert.deepStrictEqual(a, b);
  else nodeAssert.deepStrictEqual(a, b, message);
}

/** An error class. */
export type ErrorClass<E> = new (...args: never[]) => E;

/** The error `fn` throws, checked for its class and (optionally) part of its message. */
export function assertThrows<E extends Error>(
  fn: () => unknown,
  cls: ErrorClass<E>,
  part?: string,
): E {
  try {
    fn();
  } catch (e) {
    nodeAssert.ok(e instanceof cls, `expected ${cls.name}, got ${e}`);
    if (part) nodeAssert.ok((e as E).message.includes(part), `${(e as E).message} lacks ${part}`);
    return e as E;
  }
  throw new Error("expected an error");
}

/** The error `fn` rejects with, checked like {@linkcode assertThrows}. */
export async function assertRejects<E extends Error>(
  fn: () => Promise<unknown>,
  cls: ErrorClass<E>,
  part?: string,
): Promise<E> {
  try {
    await fn();
  } catch (e) {
    nodeAssert.ok(e instanceof cls, `expected ${cls.name}, got ${e}`);
    if (part) nodeAssert.ok((e as E).message.includes(part), `${(e as E).message} lacks ${part}`);
    return e as E;
  }
  throw new Error("expected a rejection");
}

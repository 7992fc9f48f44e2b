/**
 * One request/response protocol for workers (Web Workers in Deno and browsers, or any pair of
 * message ports): the caller's {@linkcode RpcClient} sends `{ id, method, request }`, the
 * worker's {@linkcode serveRpc} answers `{ id, reply }` or `{ id, error: { name, message } }`. A
 * protocol is a type that names each method's request and reply, so both sides are checked
 * against one declaration. An error thrown by a handler reaches the caller with its message (and
 * its kind: `TypeError` and `RangeError` stay what they are); a worker that fails outright rejects
 * every pending call; {@linkcode RpcClient.terminate} ends the worker and rejects what is pending.
 * Messages are structured clones; buffers named in a transfer list move instead of being copied.
 * No Deno API here.
 *
 * @example A protocol served on one port of a channel, called from the other
 * ```ts
 * import { RpcClient, serveRpc } from "./worker_rpc.ts";
 * import assert from "node:assert/strict";
 * type Sum = { add: { request: number[]; reply: number } };
 * const { port1, port2 } = new MessageChannel();
 * serveRpc<Sum>(port2, { add: (xs) => xs.reduce((a, b) => a + b, 0) });
 * const client = new RpcClient<Sum>(port1, { name: "adder" });
 * assert.equal(await client.call("add", [1, 2, 3]), 6);
 * client.terminate();
 * port2.close();
 * ```
 *
 * @module
 */

/** A protocol: each method's request and reply (plain data, structured-cloneable). */
export type RpcProtocol = Record<string, { request: unknown; reply: unknown }>;

/** The caller's side of a worker: a `Worker`, or a `MessagePort`. */
export interface RpcTarget {
  /** Sends a message. */
  postMessage(message: unknown, transfer: Transferable[]): void;
  /** Receives the answers. */
  onmessage: ((event: MessageEvent) => void) | null;
  /** Reports a worker that failed outright (a `Worker` has it). */
  onerror?: ((event: ErrorEvent) => void) | null;
  /** Ends a worker (`Worker.terminate`). */
  terminate?: () => void;
  /** Closes a port (`MessagePort.close`). */
  close?: () => void;
}

/** The worker's side: its global scope, or a `MessagePort`. */
export interface RpcScope {
  /** Sends an answer. */
  postMessage(message: unknown, transfer: Transferable[]): void;
  /** Receives the requests. */
  onmessage: ((event: MessageEvent) => void) | null;
}

/** A request as it crosses. */
interface RpcRequestMessage {
  id: number;
  method: string;
  request: unknown;
}

/** An answer as it crosses. */
interface RpcReplyMessage {
  id: number;
  reply?: unknown;
  error?: { name: string; message: string };
}

/** A handler's reply with buffers to move rather than copy (see {@linkcode transferring}). */
export class Transferring<T> {
  /** The reply. */
  readonly value: T;
  /** Buffers that move with it. */
  readonly transfer: Transferable[];

  /**
   * Wraps a reply with its transfer list.
   * @param value The reply.
   * @param transfer Buffers that move with it (they are unusable in the worker afterwards).
   */
  constructor(value: T, transfer: Transferable[]) {
    this.value = value;
    this.transfer = transfer;
  }
}

/**
 * Marks a handler's reply to be sent with buffers moved rather than copied.
 * @param value The reply.
 * @param transfer The buffers.
 * @returns What the handler returns.
 */
export function transferring<T>(value: T, transfer: Transferable[]): Transferring<T> {
  return new Transferring(value, transfer);
}

/** The worker's handlers: one a method, taking its request, returning (or resolving to) its reply. */
export type RpcHandlers<P extends RpcProtocol> = {
  [M in keyof P]: (
    request: P[M]["request"],
  ) =>
    | P[M]["reply"]
    | Transferring<P[M]["reply"]>
    | Promise<P[M]["reply"] | Transferring<P[M]["reply"]>>;
};

/**
 * Serves a protocol in a worker: every request runs its handler and is answered with the reply
 * or the error the handler threw. Requests run as they arrive (a caller that needs order awaits
 * each call).
 * @param scope The worker's global scope (`globalThis` in a worker) or a port.
 * @param handlers One handler a method.
 */
export function serveRpc<P extends RpcProtocol>(scope: RpcScope, handlers: RpcHandlers<P>): void {
  scope.onmessage = async (event: MessageEvent) => {
    const { id, method, request } = event.data as RpcRequestMessage;
    try {
      const handler = Object.hasOwn(handlers, method) ? handlers[method] : undefined;
      if (typeof handler !== "function") {
        throw new TypeError(
          `unknown method "${method}" (expected one of ${Object.keys(handlers).join(", ")})`,
        );
      }
      const out = await handler(request);
      if (out instanceof Transferring) {
        scope.postMessage({ id, reply: out.value } satisfies RpcReplyMessage, out.transfer);
      } else scope.postMessage({ id, reply: out } satisfies RpcReplyMessage, []);
    } catch (e) {
      const err = e as Error;
      const error = { name: err?.name ?? "Error", message: err?.message ?? String(e) };
      scope.postMessage({ id, error } satisfies RpcReplyMessage, []);
    }
  };
}

/** Options of {@linkcode RpcClient}. */
export interface RpcClientOptions {
  /** Names the worker in messages (e.g. "agent worker"). */
  name: string;
  /** Put before a handler's error message (default none). */
  errorPrefix?: string;
  /** The message of a worker that failed outright (default `${name} failed: <event message>`). */
  failure?: (message: string) => string;
  /** The message of calls pending or made after {@linkcode RpcClient.terminate}. */
  disposed?: string;
}

/** The error kinds that cross as themselves; any other is an `Error` with the same message. */
const KINDS: Record<string, ErrorConstructor> = { TypeError, RangeError };

/** The caller's side of a protocol: typed calls to a worker, each a promise of its reply. */
export class RpcClient<P extends RpcProtocol> {
  readonly #target: RpcTarget;
  readonly #options: RpcClientOptions;
  readonly #pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void }
  >();
  #next = 0;
  #closed = false;

  /**
   * Takes over a worker's (or port's) message and error handlers.
   * @param target The worker (or a port) that serves the protocol.
   * @param options Its name in messages, and the messages of failures.
   */
  constructor(target: RpcTarget, options: RpcClientOptions) {
    this.#target = target;
    this.#options = options;
    target.onmessage = (event: MessageEvent) => {
      const data = event.data as RpcReplyMessage;
      const p = this.#pending.get(data?.id);
      if (!p) return;
      this.#pending.delete(data.id);
      if (data.error) {
        const Kind = KINDS[data.error.name] ?? Error;
        p.reject(new Kind(`${options.errorPrefix ?? ""}${data.error.message}`));
      } else p.resolve(data.reply);
    };
    if ("onerror" in target) {
      target.onerror = (event: ErrorEvent) => {
        event.preventDefault();
        const text = options.failure?.(event.message) ?? `${options.name} failed: ${event.message}`;
        this.#rejectAll(new Error(text));
      };
    }
  }

  /**
   * Calls a method of the worker.
   * @param method The method.
   * @param request Its request.
   * @param transfer Buffers of the request to move rather than copy.
   * @returns Its reply.
   * @throws {Error} The handler's error (its kind kept for TypeError and RangeError), the
   *   worker's failure, or the client's end.
   */
  call<M extends keyof P & string>(
    method: M,
    request: P[M]["request"],
    transfer: Transferable[] = [],
  ): Promise<P[M]["reply"]> {
    if (this.#closed) return Promise.reject(new Error(this.#disposedMessage()));
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#target.postMessage({ id, method, request } satisfies RpcRequestMessage, transfer);
    });
  }

  /** Ends the worker (or closes the port); pending and later calls reject. */
  terminate(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#target.terminate?.();
    this.#target.close?.();
    this.#rejectAll(new Error(this.#disposedMessage()));
  }

  #disposedMessage(): string {
    return this.#options.disposed ?? `${this.#options.name} was terminated`;
  }

  #rejectAll(error: Error): void {
    for (const p of this.#pending.values()) p.reject(error);
    this.#pending.clear();
  }
}

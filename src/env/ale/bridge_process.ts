/**
 * The Python side of the ALE bridge as a child process (Deno only): framing of the binary
 * protocol of ale_bridge.py over stdin/stdout (8-byte header: u32 code, u32 payload length,
 * little-endian), the tail of its stderr for error messages, timeouts and a clean shutdown.
 *
 * @module
 */

/** Message codes of the protocol (see ale_bridge.py). */
export const Op = { config: 1, reset: 2, step: 3, resetSome: 4, replay: 5 } as const;
/** Reply codes of the protocol. */
export const Reply = { hello: 1, frames: 2, error: 3 } as const;

const STDERR_TAIL = 4000;

/** Reads exact byte counts from a stream. */
class ByteReader {
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #chunks: Uint8Array[] = [];
  #have = 0;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader();
  }

  /** The next n bytes (a fresh buffer), or null at the end of the stream. */
  async read(n: number): Promise<Uint8Array | null> {
    while (this.#have < n) {
      const { value, done } = await this.#reader.read();
      if (done) return null;
      this.#chunks.push(value);
      this.#have += value.length;
    }
    const out = new Uint8Array(n);
    let at = 0;
    while (at < n) {
      const c = this.#chunks[0], take = Math.min(c.length, n - at);
      out.set(c.subarray(0, take), at);
      at += take;
      if (take === c.length) this.#chunks.shift();
      else this.#chunks[0] = c.subarray(take);
    }
    this.#have -= n;
    return out;
  }

  async cancel(): Promise<void> {
    await this.#reader.cancel().catch(() => {});
  }
}

/** A running ale_bridge.py. */
export class BridgeProcess {
  /** Process id. */
  readonly pid: number;
  #child: Deno.ChildProcess;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #reader: ByteReader;
  #stderr = "";
  #stderrDone: Promise<void>;
  #status: Promise<Deno.CommandStatus>;
  #exited = false;
  #label: string;

  private constructor(child: Deno.ChildProcess, label: string) {
    this.#child = child;
    this.pid = child.pid;
    this.#label = label;
    this.#writer = child.stdin.getWriter();
    this.#reader = new ByteReader(child.stdout);
    this.#status = child.status.then((s) => {
      this.#exited = true;
      return s;
    });
    this.#stderrDone = (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of child.stderr) {
        this.#stderr = (this.#stderr + decoder.decode(chunk, { stream: true })).slice(-STDERR_TAIL);
      }
    })().catch(() => {});
  }

  /**
   * Starts the bridge.
   * @param python The Python executable.
   * @param label Names the environment in messages ("ale:pong").
   * @returns The running process.
   * @throws {Error} If Python cannot be started.
   */
  static start(python: string, label: string): BridgeProcess {
    const url = new URL("./ale_bridge.py", import.meta.url);
    if (url.protocol !== "file:") {
      throw new Error(
        `Cannot start the ALE bridge: ale_bridge.py must be a local file, got ${url}`,
      );
    }
    let path = decodeURIComponent(url.pathname);
    if (Deno.build.os === "windows") path = path.replace(/^\/([A-Za-z]:)/, "$1");
    try {
      const child = new Deno.Command(python, {
        args: [path],
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
        env: { PYTHONUNBUFFERED: "1", PYTHONDONTWRITEBYTECODE: "1" },
      }).spawn();
      child.unref();
      return new BridgeProcess(child, label);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) {
        throw new Error(
          `Cannot create ${label}: Python executable "${python}" not found (options.python); the Arcade Learning Environment needs python3 with ale-py: pip install ale-py gymnasium`,
        );
      }
      throw e;
    }
  }

  /** Whether the process has exited. */
  get exited(): boolean {
    return this.#exited;
  }

  /** The last lines the bridge wrote to stderr. */
  get stderrTail(): string {
    return this.#stderr.trim();
  }

  /**
   * Sends one message and waits for the reply.
   * @param op Message code.
   * @param payload Message body.
   * @param timeoutMs Kill the bridge and fail if no reply comes in this time.
   * @returns Reply code and body (a fresh, aligned buffer).
   * @throws {Error} With the bridge's error text, or when it died (with its stderr tail).
   */
  async request(
    op: number,
    payload: Uint8Array,
    timeoutMs: number,
  ): Promise<{ code: number; body: Uint8Array }> {
    this.#child.ref();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    try {
      const exchange = (async () => {
        const head = new Uint8Array(8 + payload.length);
        const view = new DataView(head.buffer);
        view.setUint32(0, op, true);
        view.setUint32(4, payload.length, true);
        head.set(payload, 8);
        try {
          await this.#writer.write(head);
        } catch {
          return null;
        }
        const h = await this.#reader.read(8);
        if (!h) return null;
        const hv = new DataView(h.buffer);
        const code = hv.getUint32(0, true), size = hv.getUint32(4, true);
        const body = size ? await this.#reader.read(size) : new Uint8Array(0);
        return body ? { code, body } : null;
      })();
      const r = await Promise.race([exchange, timeout]);
      if (r === "timeout") {
        this.kill();
        await this.#status;
        throw new Error(
          `${this.#label}: the ALE bridge did not answer within ${timeoutMs} ms and was stopped${this.#tail()}`,
        );
      }
      if (r === null) {
        const s = await this.#status;
        await Promise.race([this.#stderrDone, new Promise((ok) => setTimeout(ok, 200))]);
        throw new Error(
          `${this.#label}: the ALE bridge died (exit code ${s.code}${
            s.signal ? `, ${s.signal}` : ""
          })${this.#tail()}`,
        );
      }
      if (r.code === Reply.error) {
        throw new Error(`${this.#label}: ${new TextDecoder().decode(r.body)}`);
      }
      return r;
    } finally {
      clearTimeout(timer);
      if (!this.#exited) this.#child.unref();
    }
  }

  #tail(): string {
    const t = this.stderrTail;
    return t ? `; its stderr ends with:\n${t}` : "";
  }

  /** Sends SIGKILL if the process still runs. */
  kill(): void {
    if (this.#exited) return;
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }

  /**
   * Closes stdin (the bridge exits on its own), waits for the exit (SIGKILL after `graceMs`) and
   * releases the pipes.
   * @param graceMs Time the bridge gets to exit.
   * @returns The exit status.
   */
  async close(graceMs = 5000): Promise<Deno.CommandStatus> {
    if (!this.#exited) this.#child.ref();
    await this.#writer.close().catch(() => {});
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<"late">((ok) => {
      timer = setTimeout(() => ok("late"), graceMs);
    });
    const first = await Promise.race([this.#status, late]);
    clearTimeout(timer);
    if (first === "late") this.kill();
    const status = await this.#status;
    await this.#reader.cancel();
    await this.#stderrDone;
    return status;
  }
}

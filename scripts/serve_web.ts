/**
 * A static file server for the built browser bundles (`deno task build:web` first): serves the
 * repository's `dist/` on 127.0.0.1, so that the live page is at `/web/` (where `/` leads) and
 * the bundles it imports at `/eprop.js` and `/eprop-tfjs.js`.
 *
 *   deno task serve:web [--port N]   (default 8437; 0 picks a free port)
 *
 * @module
 */
import { commandMain, fileError, InputError } from "../src/cli/command.ts";
import type { FlagSpecs } from "../src/cli/flags.ts";

/** The flags of `deno task serve:web`. */
export const SERVE_FLAGS: FlagSpecs = {
  port: { type: "int", default: 8437, min: 0, max: 65535, help: "port (0: any free port)" },
};

/** The folder served by default: the repository's `dist/`. */
export const DIST_DIR: string = decodeURIComponent(new URL("../dist", import.meta.url).pathname);

const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  json: "application/json; charset=utf-8",
  css: "text/css; charset=utf-8",
  wasm: "application/wasm",
  png: "image/png",
  svg: "image/svg+xml",
  txt: "text/plain; charset=utf-8",
};

/** Options of {@linkcode serveWeb}. */
export interface ServeWebOptions {
  /** Port (default 8437; 0: any free port, see the server's `addr`). */
  port?: number;
  /** Folder to serve (default {@linkcode DIST_DIR}). */
  root?: string;
  /** Called once listening, with the page's address. */
  onListen?: (url: string) => void;
  /** Abort to stop the server. */
  signal?: AbortSignal;
}

/**
 * Answers one request from the files under `root`: GET and HEAD only, no path outside `root`,
 * a folder's `index.html` for the folder (with a redirect to add the trailing slash), `/` to
 * `/web/`.
 * @param request The request.
 * @param root The folder served.
 * @returns The response.
 */
export async function serveFile(request: Request, root: string): Promise<Response> {
  if (request.method !== "GET" && request.method !== "HEAD") {
    return new Response("method not allowed\n", { status: 405 });
  }
  const url = new URL(request.url);
  let path: string;
  try {
    path = decodeURIComponent(url.pathname);
  } catch {
    return new Response("bad path\n", { status: 400 });
  }
  if (path === "/") return Response.redirect(new URL("/web/", url), 302);
  const parts = path.split("/").filter((p) => p !== "");
  if (parts.some((p) => p === ".." || p === "." || p.includes("\\") || p.includes("\0"))) {
    return new Response("bad path\n", { status: 400 });
  }
  let file = [root, ...parts].join("/");
  try {
    let info = await Deno.stat(file);
    if (info.isDirectory) {
      if (!path.endsWith("/")) return Response.redirect(new URL(`${path}/`, url), 301);
      file += "/index.html";
      info = await Deno.stat(file);
    }
    if (!info.isFile) return new Response("not found\n", { status: 404 });
    const type = TYPES[file.slice(file.lastIndexOf(".") + 1)] ?? "application/octet-stream";
    const headers = { "content-type": type, "cache-control": "no-store" };
    if (request.method === "HEAD") return new Response(null, { headers });
    return new Response((await Deno.open(file)).readable, { headers });
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) {
      return new Response("not found\n", { status: 404 });
    }
    if (e instanceof Deno.errors.PermissionDenied) {
      return new Response("forbidden\n", { status: 403 });
    }
    throw e;
  }
}

/**
 * Serves a folder (default `dist/`) on 127.0.0.1.
 * @param options Port, folder, and a callback with the address.
 * @returns The server (`addr.port` is the port; `shutdown()` stops it).
 */
export function serveWeb(options: ServeWebOptions = {}): Deno.HttpServer<Deno.NetAddr> {
  const root = (options.root ?? DIST_DIR).replace(/\/$/, "");
  return Deno.serve({
    hostname: "127.0.0.1",
    port: options.port ?? 8437,
    signal: options.signal,
    onListen: ({ hostname, port }) => options.onListen?.(`http://${hostname}:${port}/web/`),
  }, (request) => serveFile(request, root));
}

/** Where the page must be: `dist/web/index.html`, made by `deno task build:web`. */
async function checkBuilt(root: string): Promise<void> {
  const build = "run deno task build:web first";
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(root);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new InputError(`dist/ is missing: ${build}`);
    throw fileError(e, "read dist/");
  }
  if (!info.isDirectory) {
    throw new InputError(`dist is a file, not the folder of the build; move it away and ${build}`);
  }
  try {
    info = await Deno.stat(`${root}/web/index.html`);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) {
      throw new InputError(`dist/web/index.html is missing: ${build}`);
    }
    throw fileError(e, "read dist/web/index.html");
  }
  if (!info.isFile) {
    throw new InputError(`dist/web/index.html is not a file: move it away and ${build}`);
  }
}

/**
 * Starts {@linkcode serveWeb}, turning a port that cannot be had into one line.
 * @param options As {@linkcode serveWeb}.
 * @returns The server.
 * @throws {InputError} For a port in use or one that needs privileges.
 */
export function listenWeb(options: ServeWebOptions): Deno.HttpServer<Deno.NetAddr> {
  const port = options.port ?? 8437;
  try {
    return serveWeb(options);
  } catch (e) {
    if (e instanceof Deno.errors.AddrInUse) {
      throw new InputError(`port ${port} on 127.0.0.1 is in use; choose another with --port`);
    }
    if (e instanceof Deno.errors.PermissionDenied) {
      throw new InputError(
        `port ${port} on 127.0.0.1 cannot be opened (permission denied: ports below 1024 need privileges); choose another with --port`,
      );
    }
    if (e instanceof Deno.errors.AddrNotAvailable) {
      throw new InputError(`127.0.0.1 is not available here: ${(e as Error).message}`);
    }
    throw e;
  }
}

/**
 * Runs the server until interrupted.
 * @param args Command-line arguments.
 * @returns The exit code.
 */
export function main(args: string[]): Promise<number> {
  return commandMain(
    {
      name: "serve:web",
      usage: `usage: deno task serve:web [--port N]

Serves the built page and bundles (dist/, made by deno task build:web) on 127.0.0.1, the page at
/web/, until Ctrl-C.`,
      flags: SERVE_FLAGS,
    },
    args,
    async ({ values }) => {
      await checkBuilt(DIST_DIR);
      const controller = new AbortController();
      const server = listenWeb({
        port: values.port as number,
        signal: controller.signal,
        onListen: (url) => console.log(`serving dist/ at ${url} (Ctrl-C to stop)`),
      });
      const stop = () => {
        if (controller.signal.aborted) return;
        console.log("serve:web: stopped");
        controller.abort();
      };
      const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
      for (const s of signals) Deno.addSignalListener(s, stop);
      try {
        await server.finished;
      } finally {
        for (const s of signals) Deno.removeSignalListener(s, stop);
      }
    },
  );
}

if (import.meta.main) Deno.exit(await main(Deno.args));

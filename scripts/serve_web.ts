/**
 * A static file server for the built browser bundles (`deno task build:web` first): serves the
 * repository's `dist/` on 127.0.0.1, so that the live page is at `/web/` (where `/` leads) and
 * the bundles it imports at `/eprop.js` and `/eprop-tfjs.js`.
 *
 *   deno task serve:web [--port N]   (default 8437; 0 picks a free port)
 *
 * @module
 */
import { commandMain, InputError } from "../src/cli/command.ts";
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

/**
 * Runs the server until interrupted.
 * @param args Command-line arguments.
 * @returns The exit code.
 */
export function main(args: string[]): Promise<number> {
  return commandMain(
    {
      name: "serve:web",
      usage: `usage: deno task serve:web [options]

Serves the built page and bundles (dist/, made by deno task build:web) on 127.0.0.1.`,
      flags: SERVE_FLAGS,
    },
    args,
    async ({ values }) => {
      try {
        await Deno.stat(`${DIST_DIR}/web/index.html`);
      } catch {
        throw new InputError("dist/web/index.html is missing: run deno task build:web first");
      }
      const server = serveWeb({
        port: values.port as number,
        onListen: (url) => console.log(`serving dist/ at ${url} (Ctrl-C to stop)`),
      });
      await server.finished;
    },
  );
}

if (import.meta.main) Deno.exit(await main(Deno.args));

/**
 * A static file server for tests that load the library over HTTP: serves the folder given as the
 * first argument on 127.0.0.1 at a free port, with the media types Deno and browsers expect.
 * Prints `listening PORT` on stdout once it listens, then one line per request,
 * `GET /path STATUS`. Runs as its own process (`deno run --allow-net=127.0.0.1
 * --allow-read=DIR tests/_serve_files.ts DIR`), so that the test that starts it needs no network
 * permission itself.
 *
 * @module
 */

const MEDIA_TYPES: Record<string, string> = {
  ".ts": "application/typescript; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".md": "text/markdown; charset=utf-8",
};

/**
 * Serves `root` until the process is ended.
 * @param root The folder to serve (absolute path).
 * @returns The server.
 */
export function serveFiles(root: string): Deno.HttpServer {
  const base = root.replace(/\/$/, "");
  return Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: ({ port }) => console.log(`listening ${port}`),
  }, async (request) => {
    const path = decodeURIComponent(new URL(request.url).pathname);
    const answer = (status: number, body: BodyInit | null, type = "text/plain") => {
      console.log(`${request.method} ${path} ${status}`);
      return new Response(body, { status, headers: { "content-type": type } });
    };
    if (request.method !== "GET" && request.method !== "HEAD") {
      return answer(405, "only GET");
    }
    if (path.split("/").some((part) => part === ".." || part.startsWith("."))) {
      return answer(403, "forbidden");
    }
    try {
      const body = await Deno.readFile(`${base}${path}`);
      const ext = path.slice(path.lastIndexOf("."));
      return answer(200, body, MEDIA_TYPES[ext] ?? "application/octet-stream");
    } catch {
      return answer(404, "not found");
    }
  });
}

if (import.meta.main) {
  if (Deno.args.length !== 1) {
    console.error("usage: deno run --allow-net=127.0.0.1 --allow-read=DIR _serve_files.ts DIR");
    Deno.exit(2);
  }
  serveFiles(Deno.args[0]);
}

/**
 * An edge worker (Cloudflare Workers, workerd, any runtime with the module-worker `fetch`
 * interface) that computes the gradients of a gradient case: POST the case as JSON (format 1,
 * docs/spec/GRADIENT_CASE.md, or format 2, docs/spec/NETWORK_CASE.md) and the answer is the
 * result JSON that `deno task grad` prints for it.
 *
 * - `200`: the result (loss, spikes, BPTT, symmetric e-prop and eq. (1) gradients).
 * - `400` `{ "error": "..." }`: a body that is not JSON, a malformed case (the message names the
 *   field, as `deno task grad` does), or a bad query parameter.
 * - `405`: any method but POST. `413`: a body over {@linkcode MAX_BODY_BYTES}.
 * - `500` `{ "error": "..." }`: the core is not bound, or the computation failed.
 *
 * Query parameters: `precision` (`f64`, the default, as `deno task grad`; or `f32`) and `form`
 * (`factorized`, the default, or `online`), the e-prop form.
 *
 * Edge runtimes forbid compiling WebAssembly from bytes, so this worker never does: the core
 * comes precompiled from the host, as the `CORE_WASM` binding of the environment (a
 * `WebAssembly.Module`, e.g. wrangler's `import coreWasm from "./core.wasm"` of
 * `core-wasm/generated/core.wasm`, passed on by the entry module that `edge/build.ts` writes),
 * and is handed to the backends as their `module`.
 *
 * @module
 */
import { parseCase, type ParsedCase } from "../src/cases/run_case.ts";

/** The environment of the worker: the precompiled core (`core-wasm/generated/core.wasm`). */
export interface GradientWorkerEnv {
  /** The core as a `WebAssembly.Module`, compiled by the host. */
  CORE_WASM?: WebAssembly.Module;
}

/** The largest request body accepted, in bytes (a 413 answers a larger one). */
export const MAX_BODY_BYTES = 8 * 1024 * 1024;

const PRECISIONS = ["f64", "f32"] as const;
const FORMS = ["factorized", "online"] as const;

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

function error(status: number, message: string, headers: Record<string, string> = {}): Response {
  return json(status, { error: message }, headers);
}

/** A query parameter that must be one of `choices`; the first choice is the default. */
function choice<T extends string>(
  params: URLSearchParams,
  name: string,
  choices: readonly T[],
): T {
  const values = params.getAll(name);
  if (values.length === 0) return choices[0];
  if (values.length > 1) throw new RangeError(`query parameter ${name} is given more than once`);
  const value = values[0];
  if (!(choices as readonly string[]).includes(value)) {
    throw new RangeError(
      `query parameter ${name} must be one of ${choices.join(", ")}, got ${JSON.stringify(value)}`,
    );
  }
  return value as T;
}

/**
 * Answers one request.
 *
 * @param request The request: a POST whose body is a gradient case as JSON.
 * @param module The precompiled core; it is passed to the backends and never compiled here.
 * @returns The result JSON (200), or `{ error }` with 400, 405, 413 or 500.
 */
export async function handleGradientRequest(
  request: Request,
  module: WebAssembly.Module | undefined,
): Promise<Response> {
  if (request.method !== "POST") {
    return error(405, `method ${request.method} is not allowed; POST a gradient case as JSON`, {
      allow: "POST",
    });
  }
  if (!(module instanceof WebAssembly.Module)) {
    return error(
      500,
      "the core is not bound: CORE_WASM must be the WebAssembly.Module of core-wasm/generated/core.wasm",
    );
  }
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) {
    return error(413, `the request body is over ${MAX_BODY_BYTES} bytes`);
  }
  let precision: (typeof PRECISIONS)[number];
  let form: (typeof FORMS)[number];
  try {
    const params = new URL(request.url).searchParams;
    for (const name of params.keys()) {
      if (name !== "precision" && name !== "form") {
        throw new RangeError(`unknown query parameter ${name} (known: precision, form)`);
      }
    }
    precision = choice(params, "precision", PRECISIONS);
    form = choice(params, "form", FORMS);
  } catch (e) {
    return error(400, (e as Error).message);
  }
  const text = await request.text();
  if (text.length > MAX_BODY_BYTES) {
    return error(413, `the request body is over ${MAX_BODY_BYTES} bytes`);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (e) {
    return error(400, `the request body is not valid JSON: ${(e as Error).message}`);
  }
  // Parsing names the offending field; anything wrong with the case is the client's (400).
  let parsed: ParsedCase;
  try {
    parsed = parseCase(body);
  } catch (e) {
    return error(400, (e as Error).message);
  }
  const run = () => parsed.run({ backend: "wasm", precision, module, form });
  try {
    return json(200, await run());
  } catch (e) {
    return error(500, `Cannot compute gradients: ${(e as Error).message}`);
  }
}

/** A module worker: `fetch(request, env)`. */
export interface GradientWorker {
  /**
   * Answers one request.
   * @param request The request.
   * @param env The environment, holding the precompiled core.
   * @returns The response.
   */
  fetch(request: Request, env: GradientWorkerEnv): Promise<Response>;
}

/** The module worker: the core comes from `env.CORE_WASM`. */
const worker: GradientWorker = {
  fetch(request: Request, env: GradientWorkerEnv): Promise<Response> {
    return handleGradientRequest(request, env?.CORE_WASM);
  },
};

export default worker;

/**
 * The edge worker's request handling, in Deno (no workerd; tests/edge/edge_test.ts runs the
 * bundle under workerd): the answer to a golden case equals what `deno task grad` computes, and
 * the error answers (405, 400 naming the field or parameter, 413, 500 without a bound core).
 */
import assert from "node:assert/strict";
import worker, { handleGradientRequest, MAX_BODY_BYTES } from "../../edge/gradient_worker.ts";
import { initWasm } from "../../mod.ts";

const GOLDEN = new URL("../golden/", import.meta.url);

function post(body: string, query = "", headers: Record<string, string> = {}): Request {
  return new Request(`http://worker.test/${query}`, { method: "POST", body, headers });
}

async function errorOf(response: Response): Promise<string> {
  const body = await response.json() as { error?: unknown };
  assert.equal(typeof body.error, "string");
  return body.error as string;
}

Deno.test("edge worker: a golden case gives the result of deno task grad, bit for bit", async () => {
  const module = await initWasm();
  for (const name of ["alif_ce_reg", "stacked.v2"]) {
    const file = new URL(`${name}.case.json`, GOLDEN);
    const response = await worker.fetch(post(await Deno.readTextFile(file)), {
      CORE_WASM: module,
    });
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read", "src/apps/grad.ts", file.pathname],
      cwd: new URL("../../", import.meta.url),
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.equal(await response.text(), new TextDecoder().decode(out.stdout).trim());
  }
});

Deno.test("edge worker: errors are answered with a status and a message naming the problem", async () => {
  const module = await initWasm();
  const lif = await Deno.readTextFile(new URL("lif_mse.case.json", GOLDEN));

  const get = await handleGradientRequest(new Request("http://worker.test/"), module);
  assert.equal(get.status, 405);
  assert.equal(get.headers.get("allow"), "POST");
  assert.match(await errorOf(get), /method GET is not allowed/);

  const cases: [Request, number, RegExp][] = [
    [post('{"neuron": {}}'), 400, /readout must be an object/],
    [post("[1,"), 400, /not valid JSON/],
    [post('{"format": 2, "inputs": []}'), 400, /Cannot read gradient case/],
    [post(lif, "?precision=f16"), 400, /precision must be one of f64, f32, got "f16"/],
    [post(lif, "?form=online&form=factorized"), 400, /form is given more than once/],
    [post(lif, "?backend=tfjs"), 400, /unknown query parameter backend/],
    [
      post(lif, "", { "content-length": String(MAX_BODY_BYTES + 1) }),
      413,
      /over 8388608 bytes/,
    ],
  ];
  for (const [request, status, pattern] of cases) {
    const response = await handleGradientRequest(request, module);
    assert.equal(response.status, status, request.url);
    assert.match(await errorOf(response), pattern);
  }

  // Without the binding the worker refuses; it never falls back to compiling bytes.
  const unbound = await worker.fetch(post(lif), {});
  assert.equal(unbound.status, 500);
  assert.match(await errorOf(unbound), /CORE_WASM/);
});

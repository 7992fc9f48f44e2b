// deno-lint-ignore-file no-import-prefix -- the browser driver is a test tool, pinned here rather than in the library's import map.
/**
 * The library in a real browser: serves `dist/` (built by `deno task build:web`) on a free local
 * port, drives Debian's headless Chromium through playwright-core, and checks on the live page
 * that the WebAssembly core instantiates; that the golden case computed in the page equals the
 * result recorded in Deno bit for bit in f64 (and within 1e-6 in f32); that training lowers the
 * validation loss, through the same validations as the same run in Deno; that the TensorFlow.js
 * backend on WebGL (SwiftShader) gives the golden gradients within 1e-4; and that the console
 * shows no error. A screenshot of the page goes to `out/web/page.png`.
 *
 * Without Chromium (`/usr/bin/chromium`, or the path in `CHROMIUM`) the test says so and passes.
 * Run by `deno task test:web` (`deno test ... tests/web/ -- --web`); without `--web` it registers
 * nothing, so that `deno task test` leaves it out.
 */
import assert from "node:assert/strict";
import { serveWeb } from "../../scripts/serve_web.ts";
import type { PageState } from "../../examples/web/app.ts";
import type { ValidationRecord } from "../../examples/web/session.ts";
import type { Browser } from "npm:playwright-core@1.65.1";

/** Whether to run: only when asked (`-- --web`), so that `deno task test` leaves it out. */
const ENABLED = Deno.args.includes("--web");
const ROOT = decodeURIComponent(new URL("../..", import.meta.url).pathname).replace(/\/$/, "");
const CHROMIUM = Deno.env.get("CHROMIUM") ?? "/usr/bin/chromium";
const SCREENSHOT = `${ROOT}/out/web/page.png`;

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** The page's state (`globalThis.epropPage.state`), read from the browser. */
type Reader = () => Promise<PageState>;

async function webTest(t: Deno.TestContext): Promise<void> {
  if (!(await exists(CHROMIUM))) {
    console.log(`skip: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM)`);
    return;
  }
  assert.ok(
    await exists(`${ROOT}/dist/web/index.html`),
    "dist/web/index.html is missing: run deno task build:web first",
  );
  const { chromium } = await import("npm:playwright-core@1.65.1");
  const reference = JSON.parse(await Deno.readTextFile(`${ROOT}/dist/web/deno_reference.json`));
  const abort = new AbortController();
  const server = serveWeb({ port: 0, root: `${ROOT}/dist`, signal: abort.signal });
  const errors: string[] = [];
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless=new",
        "--no-sandbox",
        "--use-angle=swiftshader",
        "--enable-unsafe-swiftshader",
      ],
    });
    const page = await browser.newPage({ viewport: { width: 1420, height: 1000 } });
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(`console: ${m.text()}`);
    });
    page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
    page.on("requestfailed", (r) => errors.push(`request failed: ${r.url()}`));
    page.on("response", (r) => {
      if (r.status() >= 400) errors.push(`HTTP ${r.status()}: ${r.url()}`);
    });
    const url = `http://127.0.0.1:${server.addr.port}/web/`;
    await page.goto(url);
    const read: Reader = () =>
      page.evaluate(() =>
        JSON.parse(JSON.stringify(
          (globalThis as unknown as { epropPage: { state: PageState } })
            .epropPage.state,
        ))
      );

    await t.step(
      "the WebAssembly core compiles and instantiates, in the page and the worker",
      async () => {
        await page.waitForFunction(
          () => {
            const s = (globalThis as unknown as { epropPage?: { state: PageState } }).epropPage
              ?.state;
            return s?.core && s?.worker;
          },
          undefined,
          { timeout: 30_000 },
        );
        const s = await read();
        assert.ok(s.core?.ok, `core: ${s.core?.error}`);
        assert.ok(s.core?.simd);
        assert.ok(s.worker?.ok, `worker: ${s.worker?.error}`);
        console.log(
          `core ready in ${s.core!.ms.toFixed(0)} ms, worker in ${s.worker!.ms.toFixed(0)} ms`,
        );
      },
    );

    await t.step("golden case: bit for bit as in Deno (f64), within 1e-6 (f32)", async () => {
      await page.click("#check-gradient");
      await page.waitForSelector("#grad-status:is([data-state=ok], [data-state=failed])", {
        timeout: 60_000,
      });
      const g = (await read()).gradient!;
      assert.ok(g, "no gradient report");
      console.log(
        `f64: ${g.f64.identicalValues}/${g.f64.values} values bit-identical to Deno ${g.reference.deno}` +
          ` (max abs diff ${g.f64.maxAbs}); f32: ${g.f32.identicalValues}/${g.f32.values} identical,` +
          ` max rel diff ${g.f32.maxRel}; f64 vs golden: ${g.golden.maxRel.toExponential(2)}`,
      );
      assert.ok(g.f64.identical, `f64 differs from Deno: ${JSON.stringify(g.f64.arrays)}`);
      assert.equal(g.f64.spikes[0], g.f64.spikes[1]);
      assert.ok(g.f32.maxRel <= 1e-6, `f32 differs from Deno: ${JSON.stringify(g.f32.arrays)}`);
      assert.equal(g.f32.spikes[0], g.f32.spikes[1]);
      assert.ok(g.golden.maxRel < 1e-9, `f64 vs golden: ${g.golden.maxRel}`);
    });

    await t.step(
      "training lowers the loss, through the validations of the same run in Deno",
      async () => {
        const run = reference.training;
        await page.selectOption("#preset", run.settings.preset);
        await page.selectOption("#method", run.settings.method);
        await page.selectOption("#feedback", run.settings.feedback);
        await page.fill("#seed", String(run.settings.seed));
        const t0 = performance.now();
        await page.click("#start");
        await page.waitForFunction(
          (last: number) => {
            const s =
              (globalThis as unknown as { epropPage: { state: PageState } }).epropPage.state;
            return s.error || !s.running && s.stopped ||
              (s.validations.at(-1)?.iteration ?? -1) >= last;
          },
          run.iterations,
          { timeout: 90_000 },
        );
        // The run may have met the stopping criterion by then (its stop button is then
        // disabled): stop it the way the button does, which does nothing to a stopped run.
        await page.evaluate(() =>
          (globalThis as unknown as { epropPage: { stop(): void } }).epropPage.stop()
        );
        await page.waitForFunction(() =>
          !(globalThis as unknown as { epropPage: { state: PageState } }).epropPage.state.running
        );
        const s = await read();
        assert.equal(s.error, undefined);
        assert.deepEqual(s.settings, run.settings);
        const seconds = (performance.now() - t0) / 1000;
        const got = s.validations.slice(0, run.validations.length);
        const fmt = (v: ValidationRecord[]) =>
          v.map((r) => `${r.iteration}: ${r.loss.toFixed(4)} (${(100 * r.error).toFixed(1)}%)`)
            .join(", ");
        console.log(
          `${s.iterations.length} iterations in ${seconds.toFixed(1)} s; validation ${fmt(got)}`,
        );
        assert.deepEqual(got, run.validations, `Deno: ${fmt(run.validations)}`);
        assert.ok(got.at(-1)!.loss < got[0].loss, "the validation loss did not go down");
        const it = s.iterations;
        const mean = (r: typeof it) => r.reduce((a, x) => a + x.loss, 0) / r.length;
        console.log(
          `batch loss: first 10 ${mean(it.slice(0, 10)).toFixed(3)}, last 10 ${
            mean(it.slice(-10)).toFixed(3)
          }`,
        );
      },
    );

    await t.step("tfjs on WebGL (SwiftShader): the golden gradients within 1e-4", async () => {
      await page.click("#check-tfjs");
      await page.waitForSelector("#tfjs-status:is([data-state=ok], [data-state=failed])", {
        timeout: 120_000,
      });
      const r = (await read()).tfjs;
      assert.ok(r, `no tfjs report: ${await page.textContent("#tfjs-status")}`);
      console.log(
        `tfjs-${r.backend} on ${r.renderer}: max rel error ${r.golden.maxRel.toExponential(2)}, ` +
          `spikes ${r.golden.spikes.join(" / ")}, ${r.ms.toFixed(0)} ms; per matrix: ${
            r.golden.arrays.map((a) => `${a.key} ${a.maxRel.toExponential(1)}`).join(", ")
          }`,
      );
      assert.equal(r.backend, "webgl");
      assert.equal(r.golden.spikes[0], r.golden.spikes[1]);
      assert.ok(r.golden.maxRel <= 1e-4, `tfjs-webgl vs golden: ${r.golden.maxRel}`);
    });

    await Deno.mkdir(`${ROOT}/out/web`, { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    console.log(`screenshot: ${SCREENSHOT.slice(ROOT.length + 1)}`);
    assert.deepEqual(errors, [], "the page reported errors");
  } finally {
    await browser?.close();
    abort.abort();
    await server.finished;
  }
}

if (ENABLED) {
  Deno.test({
    name: "the live page in headless Chromium: core, gradients as in Deno, training, tfjs on WebGL",
    // playwright-core keeps its pipes to the browser open between its own calls.
    sanitizeOps: false,
    sanitizeResources: false,
  }, webTest);
}

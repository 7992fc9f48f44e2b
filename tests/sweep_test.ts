/**
 * Sweeps (spec parsing, grid expansion and job ids are tested beside src/sweep/spec.ts and
 * runs.ts): the report's mean and spread, the bad-input lines of the commands, and,
 * against a real redis-server started here on 127.0.0.1 (skipped with a message where it is not
 * installed), the faults: a worker killed midway (the job resumes elsewhere from its checkpoint
 * and ends as an uninterrupted run), Redis restarted during a sweep (nothing lost), and a job
 * with bad flags (fails once, no retries).
 */
import { parseSweepSpec } from "../src/sweep/spec.ts";
import { checkRunFlags, expandSweep } from "../src/sweep/runs.ts";
import { formatSweepReport, spread, sweepReport } from "../src/sweep/report.ts";
import { SWEEP_EXPERIMENTS } from "../src/sweep/experiments.ts";
import { parseProgressLine } from "../src/sweep/progress.ts";
import { checkReachable, parseRedisUrl } from "../src/sweep/redis_url.ts";
import { InputError } from "../src/cli/command.ts";
import { FlagError } from "../src/cli/flags.ts";
import { openQueue, QUEUE_NAME, submitRuns, type SweepJobResult } from "../src/sweep/queue.ts";
import { runJob } from "../src/sweep/run_job.ts";
import { runsOk } from "./_tools.ts";
import { assert, assertEquals, assertRejects, assertThrows } from "./_sweep_asserts.ts";

const ROOT = new URL("../", import.meta.url).pathname;

function spec(o: Record<string, unknown>) {
  return parseSweepSpec(JSON.stringify(o), "s.json");
}

Deno.test("sweep report: mean and sample sd per setting, runs not finished shown as such", async () => {
  const s1 = spread([1, 2, 3, 4]);
  assertEquals([s1.n, s1.mean, s1.min, s1.max], [4, 2.5, 1, 4]);
  assert(Math.abs(s1.sd - Math.sqrt(5 / 3)) < 1e-15);
  assert(Number.isNaN(spread([7]).sd));
  assert(Number.isNaN(spread([]).mean));
  const runs = await expandSweep(
    spec({ experiment: "fig3", grid: { seed: [0, 1, 2] }, variants: [{ method: "bptt" }, {}] }),
    "s.json",
  );
  const result = (err: number, it: number) => ({
    test: { error: err },
    validation: [{ error: 0.5 }, { error: err / 2 }],
    iterations: it,
  });
  const results = new Map<string, unknown>([
    [runs[0].jobId, result(0.1, 10)],
    [runs[1].jobId, result(0.2, 20)],
    [runs[2].jobId, result(0.3, 30)],
    [runs[3].jobId, result(0.4, 40)],
  ]);
  const metrics = SWEEP_EXPERIMENTS.fig3.metrics;
  const report = sweepReport(runs, results, metrics);
  assertEquals(report.settings.map((s) => s.setting), ["method=bptt", ""]);
  assert(Math.abs(report.settings[0].metrics["test error"].mean - 0.2) < 1e-15);
  assert(Math.abs(report.settings[0].metrics["test error"].sd - 0.1) < 1e-15);
  assert(Math.abs(report.settings[0].metrics["last validation error"].mean - 0.1) < 1e-15);
  assertEquals(report.settings[1].metrics.iterations.n, 1);
  const lines = formatSweepReport(report, metrics);
  assertEquals(lines[2], "| method=bptt | 3/3 | 20.00% ± 10.00% | 10.00% ± 5.00% | 20 ± 10 |");
  assertEquals(lines[3], "| (all) | 1/3 | 40.00% | 20.00% | 40 |");
  assert(lines.at(-1)!.endsWith("| not finished | not finished | not finished |"));
});

Deno.test("progress lines and --queue URLs", () => {
  assertEquals(
    parseProgressLine(
      "iter 120/2000 | loss 0.5120 (reg 0.0031) | val err 31.2% | 12.3 Hz | 6.10 it/s | ETA 5m08s",
    ),
    { iteration: 120, total: 2000, loss: 0.512, validationError: 0.312, rateHz: 12.3 },
  );
  assertEquals(parseProgressLine("iter 1/5 | loss 0.7 | 2.00 it/s | ETA 2s"), {
    iteration: 1,
    total: 5,
    loss: 0.7,
  });
  assertEquals(parseProgressLine("fig3: e-prop on wasm"), undefined);
  assertEquals(
    parseProgressLine(
      "frames 70016/1000000  2410 frames/s  episodes 64  mean score (last 32) -4.81  updates 54  rate 66.9 Hz  ETA 6m26s",
    ),
    { iteration: 70016, total: 1000000, score: -4.81, rateHz: 66.9 },
  );
  assertEquals(
    parseProgressLine(
      "frames 9984/20000  1416 frames/s  episodes 0  mean score (last 0) 0.00  updates 0  rate 0.0 Hz  ETA 7s",
    ),
    { iteration: 9984, total: 20000, rateHz: 0 },
  );
  assertEquals(parseRedisUrl("redis://127.0.0.1:6390/2"), {
    host: "127.0.0.1",
    port: 6390,
    db: 2,
    username: undefined,
    password: undefined,
    tls: false,
  });
  assertEquals(parseRedisUrl("redis://:pw@h").password, "pw");
  assertEquals(parseRedisUrl("redis://h").port, 6379);
  for (const bad of ["127.0.0.1:6379", "http://h:1", "redis://", "redis://h:99999"]) {
    assertThrows(() => parseRedisUrl(bad), FlagError, "--queue must be redis://HOST:PORT");
  }
  assertThrows(() => parseRedisUrl("redis://h:1/x"), FlagError, "database after the port");
});

/** Runs a command of src/apps/ and returns its exit code and output. */
async function cli(script: string, args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}src/apps/${script}`, ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

Deno.test("sweep commands: bad input is one line on stderr, exit 2, no hang", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/bad.json`,
      JSON.stringify({ experiment: "fig3", flags: { "n-itr": 1 } }),
    );
    await Deno.writeTextFile(
      `${dir}/ok.json`,
      JSON.stringify({ experiment: "fig3", grid: { seed: [0] } }),
    );
    const port = freePort();
    const cases: [string, string[], string][] = [
      [
        "sweep.ts",
        ["--spec", `${dir}/missing.json`],
        `sweep: cannot read the sweep spec --spec ${dir}/missing.json: no such file or folder`,
      ],
      [
        "sweep.ts",
        ["--spec", `${dir}/bad.json`],
        `sweep: sweep spec ${dir}/bad.json: run 1: unknown flag --n-itr`,
      ],
      [
        "sweep.ts",
        ["--spec", `${dir}/ok.json`, "--queue", "localhost:6379"],
        `sweep: --queue must be redis://HOST:PORT[/DB] (or rediss:// for TLS), got "localhost:6379"`,
      ],
      ["sweep.ts", [
        "--spec",
        `${dir}/ok.json`,
        "--queue",
        `redis://127.0.0.1:${port}`,
        "--timeout",
        "2",
      ], `sweep: cannot reach Redis at 127.0.0.1:${port}: `],
      [
        "sweep_worker.ts",
        ["--queue", `redis://127.0.0.1:${port}`],
        `worker: cannot reach Redis at 127.0.0.1:${port}: `,
      ],
      [
        "sweep_report.ts",
        ["--spec", `${dir}/ok.json`, "--queue", "redis://h:1/x"],
        "sweep:report: --queue: the database after the port must be a number",
      ],
    ];
    for (const [script, args, start] of cases) {
      const r = await cli(script, args);
      assertEquals(r.code, 2, `${script} ${args.join(" ")}: ${r.stderr}`);
      assert(r.stderr.startsWith(start), `${r.stderr} should start with ${start}`);
      assert(r.stderr.trim().split("\n").length <= 2, r.stderr); // the line, maybe "(see --help)"
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// ---- against a real Redis ----

const HAVE_REDIS = await runsOk("redis-server", ["--version"]);
if (!HAVE_REDIS) {
  console.log(
    "sweep_test: redis-server is not installed; the queue tests are skipped (apt-get install redis-server)",
  );
}

/** A redis-server on a free port of 127.0.0.1 with its data (append-only file) in `dir`. */
class TestRedis {
  proc?: Deno.ChildProcess;
  constructor(readonly dir: string, readonly port: number) {}
  async start() {
    this.proc = new Deno.Command("redis-server", {
      args: [
        "--port",
        String(this.port),
        "--bind",
        "127.0.0.1",
        "--dir",
        this.dir,
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
        "--save",
        "",
      ],
      stdout: "null",
      stderr: "null",
    }).spawn();
    for (let i = 0; i < 100; i++) {
      try {
        (await Deno.connect({ hostname: "127.0.0.1", port: this.port })).close();
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    throw new Error("redis-server did not start");
  }
  async stop() {
    this.proc?.kill("SIGTERM");
    await this.proc?.status;
  }
  get url() {
    return `redis://127.0.0.1:${this.port}`;
  }
}

function worker(url: string, dir: string, extra: string[] = []): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      `${ROOT}src/apps/sweep_worker.ts`,
      "--queue",
      url,
      "--dir",
      dir,
      "--stall-seconds",
      "2",
      ...extra,
    ],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
}

async function untilState(
  queue: Awaited<ReturnType<typeof openQueue>>,
  id: string,
  want: (s: string, job: { progress: unknown }) => boolean,
  seconds: number,
) {
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    const job = await queue.getJob(id);
    // The state is read after the job's fields: fetch the job again once the state is the one
    // wanted, so that its fields (attemptsMade, returnvalue) are those of that state, not older.
    if (job && want(await job.getState(), job)) return (await queue.getJob(id)) ?? job;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`job ${id} did not get there within ${seconds} s`);
}

const deterministic = (r: unknown) => {
  const { trainingTimeSeconds: _t, secondsPerIteration: _s, flags: _f, ...rest } = r as Record<
    string,
    unknown
  >;
  return rest;
};

Deno.test({
  name:
    "queue faults: a killed worker's job resumes elsewhere; Redis restarts; bad flags fail once",
  ignore: !HAVE_REDIS,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    const redis = new TestRedis(dir, freePort());
    await redis.start();
    const procs: Deno.ChildProcess[] = [];
    const queue = await openQueue(parseRedisUrl(redis.url), 3000);
    try {
      const s = spec({
        experiment: "fig3",
        flags: {
          "n-iter": 60,
          "n-batch": 4,
          "validate-every": 10,
          "checkpoint-every": 10,
          "print-every": 5,
          workers: 1,
        },
        grid: { seed: [3] },
      });
      const runs = await expandSweep(s, "s.json");
      // The reference: the same run, uninterrupted, on its own.
      const reference = runJob("fig3", runs[0].flags, `${dir}/reference`);
      assertEquals(await submitRuns(queue, runs), { added: 1, present: 0 });
      assertEquals(await submitRuns(queue, runs), { added: 0, present: 1 }); // idempotent
      const w1 = worker(redis.url, `${dir}/runs`);
      procs.push(w1);
      // Kill it (SIGKILL) once the run has passed a checkpoint.
      await untilState(
        queue,
        runs[0].jobId,
        (st, j) => st === "active" && ((j.progress as { iteration?: number }).iteration ?? 0) >= 25,
        60,
      );
      w1.kill("SIGKILL");
      await w1.status;
      // The experiment died with its worker: nothing writes into the run folder any more.
      const cp = await Deno.stat(`${dir}/runs/${runs[0].jobId}/checkpoint.json`);
      // Redis restarts while the job waits for a worker: the job is still there afterwards.
      await redis.stop();
      await redis.start();
      const w2 = worker(redis.url, `${dir}/runs`);
      procs.push(w2);
      const job = await untilState(
        queue,
        runs[0].jobId,
        (st) => st === "completed" || st === "failed",
        60,
      );
      assertEquals(
        await job.getState(),
        "completed",
        (job as { failedReason?: string }).failedReason,
      );
      const result = job.returnvalue as SweepJobResult;
      assertEquals(result.start, "resumed");
      assert(
        cp.mtime!.getTime() <=
          (await Deno.stat(`${dir}/runs/${runs[0].jobId}/results.json`)).mtime!.getTime(),
      );
      const ref = await reference;
      assertEquals(deterministic(result.results), deterministic(ref.results));
      // Bad flags (queued by hand past the sweep's checks): fail once, no retries.
      await queue.add("fig3", { experiment: "fig3", flags: { "n-itr": 5 }, label: "bad" }, {
        jobId: "bad-1",
        attempts: 3,
      });
      const bad = await untilState(queue, "bad-1", (st) => st === "failed", 30);
      assertEquals(bad.attemptsMade, 1);
      assertEquals(bad.failedReason, "bad flags: unknown flag --n-itr");
      assertEquals(QUEUE_NAME, "eprop-sweep");
    } finally {
      for (const p of procs) {
        try {
          p.kill("SIGKILL");
        } catch { /* gone */ }
        await p.status;
        await p.stdout.cancel().catch(() => {});
        await p.stderr.cancel().catch(() => {});
      }
      await queue.close();
      await redis.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "checkReachable: a closed port is one line, not a hang",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const port = freePort();
    const t0 = Date.now();
    await assertRejects(
      () => checkReachable({ host: "127.0.0.1", port, db: 0, tls: false }, 1000),
      InputError,
      `cannot reach Redis at 127.0.0.1:${port}`,
    );
    assert(Date.now() - t0 < 3000);
  },
});

Deno.test("fig4 in a sweep: a run is finished once results.json holds its summary; an unfinished one resumes", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sweep-fig4-" });
  try {
    const flags = {
      env: "catch",
      size: 42,
      "n-lif": 6,
      "n-alif": 3,
      pool: 1,
      "episodes-parallel": 4,
      update: "every-unroll",
      "unroll-length": 10,
      "max-episode-steps": 30,
      form: "bptt",
      frames: 1600,
      "checkpoint-every": 0,
      "record-steps": 0,
      seed: 3,
    };
    checkRunFlags("fig4", flags);
    const first = await runJob("fig4", flags, dir);
    assertEquals(first.start, "new");
    const summary = (first.results as { summary: Record<string, number> }).summary;
    assert(summary.frames >= 1600 && summary.episodes > 0, JSON.stringify(summary));
    assert(Number.isFinite(summary.lastScore) && Number.isFinite(summary.firstScore));
    assertEquals((await runJob("fig4", flags, dir)).start, "done");
    // a results.json without its summary is a run cut short: resumed from its checkpoint
    const path = `${dir}/results.json`;
    const r = JSON.parse(await Deno.readTextFile(path));
    delete r.summary;
    await Deno.writeTextFile(path, JSON.stringify(r));
    const again = await runJob("fig4", flags, dir);
    assertEquals(again.start, "resumed");
    assertEquals((again.results as { summary: unknown }).summary, summary);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * Bad inputs and faults of sweep, worker and sweep:report (issue 21): specs, grid size, flags,
 * --queue URLs and a listener that never answers, --dir, the report's outputs, --help; then
 * staleness (an edited spec runs what is new, an interrupted or foreign run is never counted),
 * nothing lost (a run folder the sweep did not write is refused, never deleted), and a fig4 job
 * taken over by a worker with another --dir from the Redis copy of its checkpoint.
 *
 * @module
 */
import assert from "node:assert/strict";
import { badInputTests, type Case, CHATTR, immutable, runTask } from "./_bad_input.ts";
import { runsOk, skipNote } from "./_tools.ts";
import { parseSweepSpec } from "../src/sweep/spec.ts";
import { expandSweep } from "../src/sweep/runs.ts";
import { localRunDir } from "../src/sweep/local.ts";
import { parseRedisUrl } from "../src/sweep/redis_url.ts";
import { checkpointKey, openQueue, submitRuns, type SweepJobResult } from "../src/sweep/queue.ts";
import { decodeCheckpointCopy } from "../src/sweep/checkpoint_copy.ts";
import { runJob } from "../src/sweep/run_job.ts";

const ROOT = new URL("../", import.meta.url).pathname;

/** A listener that accepts TCP connections (the kernel's backlog) and never answers. */
const silent = Deno.listen({ hostname: "127.0.0.1", port: 0 });
const SILENT = `redis://127.0.0.1:${(silent.addr as Deno.NetAddr).port}`;

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}
const CLOSED = `redis://127.0.0.1:${freePort()}`;

/** Writes a spec into the case's folder. */
function specFile(spec: unknown, name = "s.json") {
  return async (dir: string) => {
    const text = typeof spec === "string" ? spec : JSON.stringify(spec).replaceAll("$DIR", dir);
    await Deno.writeTextFile(`${dir}/${name}`, text);
  };
}

const OK = { experiment: "fig3", grid: { seed: [0, 1] }, out: "$DIR/sw" };
const BIG_GRID = Object.fromEntries(
  Array.from({ length: 10 }, (_, i) => [`f${i}`, Array.from({ length: 10 }, (_, j) => j)]),
);

const spec = (what: string, s: unknown, message: RegExp): Case => ({
  what: `spec: ${what}`,
  task: "sweep",
  args: ["--spec", "$DIR/s.json"],
  setup: specFile(s),
  message,
});

const cases: Case[] = [
  {
    what: "no --spec",
    task: "sweep",
    args: [],
    message: /^sweep: --spec is required/,
  },
  {
    what: "spec file missing",
    task: "sweep",
    args: ["--spec", "$DIR/none.json"],
    message: /cannot read the sweep spec --spec .*none\.json: no such file/,
  },
  {
    what: "spec is a folder",
    task: "sweep",
    args: ["--spec", "$DIR"],
    message: /cannot read the sweep spec --spec .*: it is a folder/,
  },
  spec("not JSON", "{experiment: fig3", /not valid JSON/),
  spec("a JSON list", "[1, 2]", /expected a JSON object, got a list/),
  spec("no experiment", { grid: { seed: [1] } }, /experiment: expected one of .*got nothing/),
  spec("unknown experiment", { experiment: "fig9" }, /experiment: expected one of fig3/),
  spec("unknown field", { experiment: "fig3", grd: {} }, /unknown field "grd"/),
  spec("a flag of the wrong type", { experiment: "fig3", flags: { "n-iter": "many" } }, /--n-iter/),
  spec(
    "a flag given an object",
    { experiment: "fig3", flags: { "n-iter": { a: 1 } } },
    /flags\.n-iter: expected a number, string or boolean, got an object/,
  ),
  spec("an unknown flag", { experiment: "fig3", flags: { "n-itr": 1 } }, /unknown flag --n-itr/),
  spec(
    "false for a flag that takes a value",
    { experiment: "fig3", flags: { method: false } },
    /--method takes a value/,
  ),
  spec(
    "a string for a switch",
    { experiment: "fig4", flags: { "zero-mean-filters": "yes" } },
    /--zero-mean-filters is a switch/,
  ),
  spec("a grid that is not a list", { experiment: "fig3", grid: { seed: 1 } }, /grid\.seed/),
  spec("an empty grid list", { experiment: "fig3", grid: { seed: [] } }, /grid\.seed/),
  spec("a grid value twice", { experiment: "fig3", grid: { seed: [1, 1] } }, /lists 1 twice/),
  spec("experiment toString", { experiment: "toString" }, /experiment: expected one of/),
  spec(
    "a flag named __proto__",
    '{"experiment": "fig3", "flags": {"__proto__": 1}}',
    /"__proto__" is not a flag name/,
  ),
  spec("over names no flag", { experiment: "fig3", over: "sed" }, /over: --sed is not a flag/),
  spec("--out in flags", { experiment: "fig3", flags: { out: "x" } }, /sets --out itself/),
  spec(
    "a grid of 10 flags x 10 values",
    { experiment: "fig3", grid: BIG_GRID },
    /grid f0 10 x .* gives 10,000,000,000 runs, more than the 10,000/,
  ),
  spec(
    "out is a file",
    { experiment: "fig3", out: "$DIR/s.json" },
    /the sweep's out folder .*s\.json is a file, not a folder/,
  ),
  {
    what: "--local out of range",
    task: "sweep",
    args: ["--spec", "$DIR/s.json", "--local", "-1"],
    setup: specFile(OK),
    message: /--local/,
  },
  {
    what: "--local twice",
    task: "sweep",
    args: ["--spec", "$DIR/s.json", "--local", "1", "--local", "2"],
    setup: specFile(OK),
    message: /--local is given more than once/,
  },
  {
    what: "--local with --queue",
    task: "sweep",
    args: ["--spec", "$DIR/s.json", "--local", "1", "--queue", CLOSED],
    setup: specFile(OK),
    message: /--local runs the sweep here/,
  },
  {
    what: "--timeout without --queue",
    task: "sweep",
    args: ["--spec", "$DIR/s.json", "--timeout", "2"],
    setup: specFile(OK),
    message: /--timeout applies only with --queue/,
  },
  {
    what: "--follow with --no-follow",
    task: "sweep",
    args: ["--spec", "$DIR/s.json", "--queue", CLOSED, "--follow", "--no-follow"],
    setup: specFile(OK),
    message: /--follow and --no-follow exclude each other/,
  },
  {
    what: "--queue of another scheme",
    task: "sweep",
    args: ["--spec", "$DIR/s.json", "--queue", "http://127.0.0.1:6379"],
    setup: specFile(OK),
    message: /--queue must be redis:\/\/HOST:PORT/,
  },
  {
    what: "--queue port out of range",
    task: "worker",
    args: ["--queue", "redis://127.0.0.1:70000", "--dir", "$DIR/w"],
    message: /--queue must be redis/,
  },
  {
    what: "--queue port 0",
    task: "worker",
    args: ["--queue", "redis://127.0.0.1:0", "--dir", "$DIR/w"],
    message: /--queue: the port must be 1 to 65535, got 0/,
  },
  {
    what: "--timeout 0",
    task: "worker",
    args: ["--queue", CLOSED, "--timeout", "0"],
    message: /--timeout/,
  },
  {
    what: "a closed port",
    task: "worker",
    args: ["--queue", CLOSED, "--dir", "$DIR/w", "--timeout", "2"],
    message: /^worker: cannot reach Redis at 127\.0\.0\.1:\d+: /,
  },
  {
    what: "a listener that never answers",
    task: "worker",
    args: ["--queue", SILENT, "--dir", "$DIR/w", "--timeout", "1"],
    message: /^worker: cannot reach Redis at 127\.0\.0\.1:\d+: no answer to PING within 1 s/,
    absent: ["w"],
  },
  {
    what: "a listener that never answers",
    task: "sweep",
    args: ["--spec", "$DIR/s.json", "--queue", SILENT, "--timeout", "1"],
    setup: specFile(OK),
    message: /^sweep: cannot reach Redis at .*: no answer to PING within 1 s/,
  },
  {
    what: "a listener that never answers",
    task: "sweep:report",
    args: ["--spec", "$DIR/s.json", "--queue", SILENT, "--timeout", "1"],
    setup: specFile(OK),
    message: /^sweep:report: cannot reach Redis at .*: no answer to PING within 1 s/,
    absent: ["sw"],
  },
  {
    what: "--dir is a file",
    task: "worker",
    args: ["--queue", CLOSED, "--dir", "$DIR/f"],
    setup: (dir) => Deno.writeTextFile(`${dir}/f`, "mine"),
    message: /--dir .*\/f is a file, not a folder/,
  },
  {
    what: "--dir with a missing parent",
    task: "worker",
    args: ["--queue", CLOSED, "--dir", "$DIR/no/such"],
    message: /--dir .*no\/such: its parent folder .*\/no does not exist/,
    absent: ["no"],
  },
  {
    what: "--dir unwritable",
    task: "worker",
    args: ["--queue", CLOSED, "--dir", "$DIR/ro"],
    setup: async (dir) => {
      await Deno.mkdir(`${dir}/ro`);
      if (CHATTR) await immutable(`${dir}/ro`, true);
    },
    cleanup: (dir) => immutable(`${dir}/ro`, false),
    message: /cannot write into --dir .*ro: permission denied/,
  },
  {
    what: "a user's table.md in --out",
    task: "sweep:report",
    args: ["--spec", "$DIR/s.json", "--out", "$DIR/rep"],
    setup: async (dir) => {
      await specFile(OK)(dir);
      await Deno.mkdir(`${dir}/rep`);
      await Deno.writeTextFile(`${dir}/rep/table.md`, "my notes\n");
    },
    message: /table\.md already exists and was not written by this project; pass --force/,
  },
  {
    what: "a user's table.json in the default report folder",
    task: "sweep:report",
    args: ["--spec", "$DIR/s.json"],
    setup: async (dir) => {
      await specFile(OK)(dir);
      await Deno.mkdir(`${dir}/sw/report`, { recursive: true });
      await Deno.writeTextFile(`${dir}/sw/report/table.json`, "{}\n");
    },
    message: /table\.json already exists and was not written by this project; pass --force/,
  },
  {
    what: "--out is a file",
    task: "sweep:report",
    args: ["--spec", "$DIR/s.json", "--out", "$DIR/s.json"],
    setup: specFile(OK),
    message: /s\.json\/table\.md: a part of the path is a file/,
  },
  {
    what: "--force without anything else wrong, but --timeout without --queue",
    task: "sweep:report",
    args: ["--spec", "$DIR/s.json", "--force", "--timeout", "1"],
    setup: specFile(OK),
    message: /--timeout applies only with --queue/,
  },
];

badInputTests(cases);

Deno.test({
  name: "bad input: sweep, worker, sweep:report --help list every flag with its default",
  sanitizeResources: false,
  fn: async () => {
    const flags: Record<string, string[]> = {
      sweep: ["spec", "queue", "local", "follow", "no-follow", "retry-failed", "timeout"],
      worker: ["queue", "concurrency", "dir", "stall-seconds", "max-stalls", "timeout"],
      "sweep:report": ["spec", "queue", "out", "no-figure", "force", "timeout"],
    };
    for (const [task, names] of Object.entries(flags)) {
      const out = await runTask(task, ["--help"]);
      assert.equal(out.code, 0, out.stderr);
      assert.equal(out.stderr, "");
      for (const n of names) assert.match(out.stdout, new RegExp(`--${n}\\b`), `${task} --${n}`);
      assert.match(out.stdout, /default/);
    }
  },
});

// ---- staleness and nothing lost (local sweeps of tiny fig3 runs) ----

const TINY = {
  "n-batch": 2,
  "n-regular": 4,
  "n-adaptive": 4,
  "validate-every": 1,
  "print-every": 1,
  workers: 1,
};

async function writeSpec(dir: string, nIter: number): Promise<string> {
  const path = `${dir}/s.json`;
  await Deno.writeTextFile(
    path,
    JSON.stringify({
      experiment: "fig3",
      flags: { ...TINY, "n-iter": nIter },
      grid: { seed: [1] },
      out: `${dir}/sw`,
    }),
  );
  return path;
}

Deno.test({
  name: "sweep staleness: edited common flags run anew; interrupted or foreign runs never count",
  sanitizeResources: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "sweep-stale-" });
    try {
      const path = await writeSpec(dir, 2);
      const first = await runTask("sweep", ["--spec", path, "--local", "1"]);
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stdout, /done in/);
      const again = await runTask("sweep", ["--spec", path, "--local", "1"]);
      assert.match(again.stdout, /already finished/);
      const oldRun =
        (await expandSweep(parseSweepSpec(await Deno.readTextFile(path), path), path))[0];
      const oldResults = await Deno.readTextFile(
        `${localRunDir({ out: `${dir}/sw` } as never, oldRun)}/results.json`,
      );
      // n-iter 2 -> 3: a new run (new key, new folder), not "already finished"
      await writeSpec(dir, 3);
      const edited = await runTask("sweep", ["--spec", path, "--local", "1"]);
      assert.equal(edited.code, 0, edited.stderr);
      assert.doesNotMatch(edited.stdout, /already finished/);
      assert.match(edited.stdout, /done in/);
      const rep = await runTask("sweep:report", ["--spec", path, "--no-figure"]);
      assert.equal(rep.code, 0, rep.stderr);
      const table = JSON.parse(await Deno.readTextFile(`${dir}/sw/report/table.json`));
      assert.equal(table.runs.length, 1);
      assert.equal(table.runs[0].values.iterations, 3, JSON.stringify(table.runs[0]));
      // the old run's folder is left as it was
      const newRun =
        (await expandSweep(parseSweepSpec(await Deno.readTextFile(path), path), path))[0];
      assert.notEqual(newRun.jobId, oldRun.jobId);
      assert.equal(
        await Deno.readTextFile(
          `${localRunDir({ out: `${dir}/sw` } as never, oldRun)}/results.json`,
        ),
        oldResults,
      );
      // results.json of other flags in the run's folder: not counted, and the sweep refuses it
      const newDir = localRunDir({ out: `${dir}/sw` } as never, newRun);
      const r = JSON.parse(await Deno.readTextFile(`${newDir}/results.json`));
      r.flags["n-iter"] = 7;
      const foreign = JSON.stringify(r);
      await Deno.writeTextFile(`${newDir}/results.json`, foreign);
      const rep2 = await runTask("sweep:report", ["--spec", path, "--no-figure"]);
      assert.equal(rep2.code, 0, rep2.stderr);
      const table2 = JSON.parse(await Deno.readTextFile(`${dir}/sw/report/table.json`));
      assert.equal(table2.runs[0].values, undefined, "a foreign results.json was counted");
      const refused = await runTask("sweep", ["--spec", path, "--local", "1"]);
      assert.equal(refused.code, 2, refused.stderr);
      assert.equal(refused.stdout, "");
      assert.match(refused.stderr, /^sweep: run "seed=1": .*results\.json was run with --n-iter 7/);
      assert.equal(await Deno.readTextFile(`${newDir}/results.json`), foreign);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "sweep nothing lost: a run folder with files and no checkpoint is refused, never deleted",
  sanitizeResources: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "sweep-lost-" });
    try {
      const path = await writeSpec(dir, 2);
      const run = (await expandSweep(parseSweepSpec(await Deno.readTextFile(path), path), path))[0];
      const runDir = localRunDir({ out: `${dir}/sw` } as never, run);
      await Deno.mkdir(runDir, { recursive: true });
      await Deno.writeTextFile(`${runDir}/notes.txt`, "mine");
      const out = await runTask("sweep", ["--spec", path, "--local", "1"]);
      assert.equal(out.code, 2, out.stderr);
      assert.equal(out.stdout, "");
      assert.match(
        out.stderr,
        /holds notes\.txt but no checkpoint\.json; the sweep deletes nothing/,
      );
      assert.equal(out.stderr.trim().split("\n").length, 1, out.stderr);
      assert.equal(await Deno.readTextFile(`${runDir}/notes.txt`), "mine");
      // and runJob (the worker's path) refuses it the same way
      await assert.rejects(runJob("fig3", run.flags, runDir), /holds notes\.txt/);
      assert.equal(await Deno.readTextFile(`${runDir}/notes.txt`), "mine");
      // a report it wrote may be written again; --force replaces a user's file
      const rep = await runTask("sweep:report", ["--spec", path, "--no-figure"]);
      assert.equal(rep.code, 0, rep.stderr);
      const rep2 = await runTask("sweep:report", ["--spec", path, "--no-figure"]);
      assert.equal(rep2.code, 0, rep2.stderr);
      await Deno.writeTextFile(`${dir}/sw/report/table.md`, "edited by hand\n");
      const rep3 = await runTask("sweep:report", ["--spec", path, "--no-figure"]);
      assert.equal(rep3.code, 2);
      assert.equal(await Deno.readTextFile(`${dir}/sw/report/table.md`), "edited by hand\n");
      const rep4 = await runTask("sweep:report", ["--spec", path, "--no-figure", "--force"]);
      assert.equal(rep4.code, 0, rep4.stderr);
      assert.notEqual(await Deno.readTextFile(`${dir}/sw/report/table.md`), "edited by hand\n");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

// ---- a fig4 job taken over by another worker (real redis-server) ----

const HAVE_REDIS = await runsOk("redis-server", ["--version"]);
if (!HAVE_REDIS) {
  skipNote(
    "bad_input_sweep_test",
    "redis-server (apt-get install redis-server)",
    "the fig4 takeover test",
  );
}

function startWorker(url: string, dir: string): Deno.ChildProcess {
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
    ],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
}

const FIG4 = {
  env: "catch",
  size: 42,
  pool: 1,
  "n-lif": 8,
  "n-alif": 4,
  "episodes-parallel": 2,
  frames: 40000,
  "checkpoint-every": 0,
  "record-steps": 0,
  seed: 5,
};

Deno.test({
  name: "worker: a fig4 job whose worker is killed resumes on a worker with another --dir",
  ignore: !HAVE_REDIS,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "sweep-takeover-" });
    const port = freePort();
    const redis = new Deno.Command("redis-server", {
      args: ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--dir", dir],
      stdout: "null",
      stderr: "null",
    }).spawn();
    const procs: Deno.ChildProcess[] = [];
    const url = `redis://127.0.0.1:${port}`;
    let queue: Awaited<ReturnType<typeof openQueue>> | undefined;
    try {
      for (let i = 0; !queue; i++) {
        queue = await openQueue(parseRedisUrl(url), 1000).catch((e) => {
          if (i > 50) throw e;
          return new Promise<undefined>((r) => setTimeout(() => r(undefined), 100));
        });
      }
      const s = parseSweepSpec(JSON.stringify({ experiment: "fig4", flags: FIG4 }), "t.json");
      const runs = await expandSweep(s, "t.json");
      // following runs that were never submitted would never end: refused
      await Deno.writeTextFile(
        `${dir}/t.json`,
        JSON.stringify({ experiment: "fig4", flags: FIG4 }),
      );
      const follow = await runTask("sweep", [
        "--spec",
        `${dir}/t.json`,
        "--queue",
        url,
        "--follow",
      ]);
      assert.equal(follow.code, 2, follow.stderr);
      assert.equal(follow.stdout, "");
      assert.match(follow.stderr, /^sweep: 1 of the sweep's 1 runs are not in the queue/);
      // a database Redis does not have: refused by Redis, one line
      const db = await runTask("worker", ["--queue", `${url}/999`, "--dir", `${dir}/w`]);
      assert.equal(db.code, 2, db.stderr);
      assert.match(db.stderr, /^worker: Redis at 127\.0\.0\.1:\d+ refused SELECT: ERR DB index/);
      const reference = await runJob("fig4", runs[0].flags, `${dir}/reference`);
      await submitRuns(queue, runs);
      const w1 = startWorker(url, `${dir}/a`);
      procs.push(w1);
      const client = await queue.client;
      const end = Date.now() + 60_000;
      let copied = -1;
      while (copied <= 0) {
        assert.ok(Date.now() < end, "no checkpoint copy reached Redis");
        copied = decodeCheckpointCopy(await client.get(checkpointKey(runs[0].jobId)))?.progress ??
          -1;
        await new Promise((r) => setTimeout(r, 100));
      }
      const copy = decodeCheckpointCopy(await client.get(checkpointKey(runs[0].jobId)))!;
      assert.ok(Object.keys(copy.files).some((n) => /^checkpoint-\d+\.bin$/.test(n)));
      assert.ok(copy.progress < FIG4.frames, "the job finished before the kill");
      w1.kill("SIGKILL");
      await w1.status;
      const w2 = startWorker(url, `${dir}/b`);
      procs.push(w2);
      let job;
      while (true) {
        assert.ok(Date.now() < end + 60_000, "the job did not finish");
        job = await queue.getJob(runs[0].jobId);
        const st = await job?.getState();
        if (st === "completed" || st === "failed") break;
        await new Promise((r) => setTimeout(r, 200));
      }
      // Fetched again after the state was read, so that returnvalue is the finished job's.
      job = await queue.getJob(runs[0].jobId);
      assert.equal(await job!.getState(), "completed", job!.failedReason);
      const result = job!.returnvalue as SweepJobResult;
      assert.equal(result.start, "resumed");
      assert.ok(result.dir.startsWith(`${dir}/b/`), result.dir);
      const strip = (r: unknown) => {
        const { seconds: _s, framesPerSecond: _f, ...rest } = r as Record<string, unknown>;
        return rest;
      };
      const got = strip(result.results) as Record<string, unknown>;
      const want = strip(reference.results) as Record<string, unknown>;
      assert.deepEqual(got.episodes, want.episodes);
      assert.deepEqual(got.summary, want.summary);
      // the parameters: the final checkpoints' binary state is the same
      const bin = `checkpoint-${(want.summary as { frames: number }).frames}.bin`;
      assert.deepEqual(
        await Deno.readFile(`${result.dir}/${bin}`),
        await Deno.readFile(`${dir}/reference/${bin}`),
      );
    } finally {
      for (const p of procs) {
        try {
          p.kill("SIGKILL");
        } catch { /* gone */ }
        await p.status;
        await p.stdout.cancel().catch(() => {});
        await p.stderr.cancel().catch(() => {});
      }
      await queue?.close();
      redis.kill("SIGTERM");
      await redis.status;
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/**
 * `deno task fig4` end to end on the TypeScript Catch with a small agent: progress, results.json,
 * checkpoint.json and the learning curve; resume continues the frame count; bad input is one
 * line with exit 2.
 */
import assert from "node:assert/strict";
import { atariMain } from "../src/experiments/atari.ts";
import { readAgentCheckpoint } from "../src/experiments/agent_checkpoint.ts";
import { encodeState } from "../src/util/state_codec.ts";
import { aleAvailable } from "../src/env/ale/ale_env.ts";
import { fig4CatchRuns } from "../src/apps/fig4_catch.ts";
import { ROOT, runTask, taskArgs } from "./_bad_input.ts";

const small = [
  "--env",
  "catch",
  "--size",
  "24",
  "--head-pools",
  "0:4/4,1:2/2",
  "--n-lif",
  "8",
  "--n-alif",
  "4",
  "--episodes-parallel",
  "4",
  "--update",
  "every-unroll",
  "--unroll-length",
  "10",
  "--print-every",
  "0",
  "--record-steps",
  "30",
];
// 24x24 frames: conv1 8x8 stride 4 -> 5x5x16, conv2 4x4 stride 1 -> 2x2x8; heads read conv1
// pooled 4x4/4 -> 1x1x16 and conv2 pooled 2x2/2 -> 1x1x8

Deno.test("fig4 on catch: results, checkpoint, figure; resume continues", async () => {
  const out = await Deno.makeTempDir();
  try {
    const log: string[] = [], original = console.log;
    console.log = (...a: unknown[]) => log.push(a.join(" "));
    let code;
    try {
      code = await atariMain([...small, "--frames", "4000", "--out", out], "fig4");
    } finally {
      console.log = original;
    }
    assert.equal(code, 0, log.join("\n"));
    assert.ok(log.some((l) => /^frames \d+\/4000 +\d+ frames\/s/.test(l)), log.join("\n"));
    const results = JSON.parse(await Deno.readTextFile(`${out}/results.json`));
    assert.ok(results.updates.length >= 20, `${results.updates.length} updates`);
    assert.ok(results.episodes.length >= 4, `${results.episodes.length} episodes`);
    for (const e of results.episodes) assert.ok(e.score >= -10 && e.score <= 10);
    const state = await readAgentCheckpoint(out);
    assert.ok(state.frames >= 4000 && state.updates === results.updates.length);
    assert.ok((await Deno.stat(`${out}/learning_curve.png`)).size > 1000);
    assert.ok((await Deno.stat(`${out}/agent_episode.png`)).size > 1000);
    const gif = await Deno.readFile(`${out}/episode.gif`);
    assert.equal(new TextDecoder().decode(gif.subarray(0, 6)), "GIF89a");
    const again = await atariMain(
      [...small, "--frames", "6000", "--out", out, "--resume"],
      "fig4",
    );
    assert.equal(again, 0);
    const more = await readAgentCheckpoint(out);
    assert.ok(more.frames >= 6000 && more.updates > state.updates);
    // a resume may not change the run's shape
    const errors: string[] = [], originalError = console.error;
    console.error = (...a: unknown[]) => errors.push(a.join(" "));
    try {
      const bad = [...small, "--frames", "8000", "--out", out, "--resume"];
      bad[bad.indexOf("--n-lif") + 1] = "9";
      assert.equal(await atariMain(bad, "fig4"), 2);
      assert.match(
        errors.pop()!,
        /--n-lif 9 contradicts the checkpoint, which was run with --n-lif 8/,
      );
    } finally {
      console.error = originalError;
    }
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("fig4 --workers 2: episodes in two Web Workers, reproducible under a seed", async () => {
  const run = async () => {
    const out = await Deno.makeTempDir();
    const original = console.log;
    console.log = () => {};
    try {
      const args = [...small, "--frames", "2400", "--workers", "2"];
      args[args.indexOf("--record-steps") + 1] = "0";
      assert.equal(await atariMain([...args, "--out", out], "fig4"), 0);
      return {
        results: JSON.parse(await Deno.readTextFile(`${out}/results.json`)),
        state: await readAgentCheckpoint(out),
      };
    } finally {
      console.log = original;
      await Deno.remove(out, { recursive: true });
    }
  };
  const a = await run(), b = await run();
  assert.equal(a.state.rng.length, 2, "one action generator per worker");
  assert.ok(a.state.updates >= 10);
  assert.deepEqual(b.state.params, a.state.params);
  assert.deepEqual(b.results.episodes, a.results.episodes);
});

/** fig4 run straight to 2400 frames, and stopped at 1200 and resumed: the same run. */
async function exactResume(env: string, extra: string[]): Promise<string> {
  const args = [...small, "--max-episode-steps", "40", "--jitter", "5", ...extra];
  args[args.indexOf("--record-steps") + 1] = "0";
  args[args.indexOf("--env") + 1] = env;
  const read = async (out: string) => ({
    results: JSON.parse(await Deno.readTextFile(`${out}/results.json`)),
    state: await readAgentCheckpoint(out),
    bins: [...Deno.readDirSync(out)].map((e) => e.name).filter((n) => n.endsWith(".bin")),
  });
  const a = await Deno.makeTempDir(), b = await Deno.makeTempDir();
  const original = console.log, log: string[] = [];
  console.log = (...m: unknown[]) => log.push(m.join(" "));
  try {
    assert.equal(await atariMain([...args, "--frames", "2400", "--out", a], "fig4"), 0);
    const stop = [...args, "--frames", "1200", "--checkpoint-every", "0", "--out", b];
    assert.equal(await atariMain(stop, "fig4"), 0);
    const half = await read(b);
    assert.ok(half.state.run, "the checkpoint holds the episodes' state");
    assert.deepEqual(half.bins, [`checkpoint-${half.state.frames}.bin`]);
    assert.equal(await atariMain([...args, "--frames", "2400", "--out", b, "--resume"], "fig4"), 0);
    assert.ok(!log.some((l) => /episodes restart/.test(l)), log.join("\n"));
    const straight = await read(a), resumed = await read(b);
    assert.ok(straight.results.updates.length >= 10 && straight.results.episodes.length >= 4);
    assert.deepEqual(resumed.results.episodes, straight.results.episodes);
    assert.deepEqual(resumed.results.updates, straight.results.updates);
    assert.deepEqual(resumed.state.params, straight.state.params);
    assert.deepEqual(resumed.state.optimizer, straight.state.optimizer);
    assert.deepEqual(resumed.state.rng, straight.state.rng);
    assert.deepEqual(encodeState(resumed.state.run), encodeState(straight.state.run));
    assert.deepEqual(resumed.bins, straight.bins);
    return b;
  } catch (e) {
    await Deno.remove(b, { recursive: true });
    throw e;
  } finally {
    console.log = original;
    await Deno.remove(a, { recursive: true });
  }
}

Deno.test("fig4 --resume continues exactly: stopped at 1200 frames and resumed = straight", async () => {
  const b = await exactResume("catch", []);
  const original = console.log, log: string[] = [];
  console.log = (...m: unknown[]) => log.push(m.join(" "));
  try {
    // an older checkpoint (no episode state) still resumes, with a message
    const doc = JSON.parse(await Deno.readTextFile(`${b}/checkpoint.json`));
    const { run: _r, ...old } = doc.state;
    await Deno.writeTextFile(`${b}/checkpoint.json`, JSON.stringify({ ...doc, state: old }));
    const args = [...small, "--max-episode-steps", "40", "--jitter", "5"];
    args[args.indexOf("--record-steps") + 1] = "0";
    assert.equal(await atariMain([...args, "--frames", "2600", "--out", b, "--resume"], "fig4"), 0);
    assert.ok(log.some((l) => /holds no episode state .*: the episodes restart/.test(l)));
  } finally {
    console.log = original;
    await Deno.remove(b, { recursive: true });
  }
});

Deno.test({
  name: "fig4 --resume continues exactly on ALE Pong, unroll form, 2 workers",
  ignore: (await aleAvailable()) === undefined,
  fn: async () => {
    const b = await exactResume("ale:pong", ["--form", "unroll", "--workers", "2"]);
    await Deno.remove(b, { recursive: true });
  },
});

Deno.test({
  name:
    "fig4 on ALE with 2 workers: the groups' emulators stepped while others compute = one process",
  ignore: (await aleAvailable()) === undefined,
  fn: async () => {
    const args = [...small, "--workers", "2", "--frames", "1600"];
    args[args.indexOf("--env") + 1] = "ale:pong";
    args[args.indexOf("--record-steps") + 1] = "0";
    const runs: Record<string, unknown>[] = [];
    for (const processes of ["1", "2"]) {
      const out = await Deno.makeTempDir();
      try {
        const r = await quiet([...args, "--env-processes", processes, "--out", out]);
        assert.equal(r.code, 0, r.errors.join("\n"));
        const results = JSON.parse(await Deno.readTextFile(`${out}/results.json`));
        const params = (await readAgentCheckpoint(out)).params;
        runs.push({ episodes: results.episodes, updates: results.updates, params });
      } finally {
        await Deno.remove(out, { recursive: true });
      }
    }
    assert.ok((runs[0].updates as unknown[]).length >= 2);
    assert.deepEqual(runs[1], runs[0]);
  },
});

Deno.test("fig4 bad input: one line, exit 2", async () => {
  const out = await Deno.makeTempDir();
  const errors: string[] = [], original = console.error;
  console.error = (...a: unknown[]) => errors.push(a.join(" "));
  try {
    assert.equal(await atariMain(["--env", "tetris", "--out", `${out}/x`], "fig4"), 2);
    assert.match(errors.pop()!, /--env must be ale:<rom id> .*, pong or catch, got "tetris"/);
    assert.equal(await atariMain(["--form", "both"], "fig4"), 2);
    assert.match(errors.pop()!, /form/);
    await Deno.writeTextFile(`${out}/keep.txt`, "user file");
    assert.equal(await atariMain([...small, "--out", out], "fig4"), 2);
    assert.match(
      errors.pop()!,
      /holds files but no run \(keep\.txt\); choose a new or empty folder/,
    );
    assert.equal(await Deno.readTextFile(`${out}/keep.txt`), "user file");
    assert.equal(await atariMain([...small, "--out", `${out}/none`, "--resume"], "fig4"), 2);
    assert.match(errors.pop()!, /--resume: .*none does not exist \(nothing to resume\)/);
  } finally {
    console.error = original;
    await Deno.remove(out, { recursive: true });
  }
});

/** Runs fig4 in this process with console.log silenced; returns the exit code and the log. */
async function quiet(args: string[]): Promise<{ code: number; log: string[]; errors: string[] }> {
  const log: string[] = [], errors: string[] = [];
  const original = console.log, originalError = console.error;
  console.log = (...m: unknown[]) => log.push(m.join(" "));
  console.error = (...m: unknown[]) => errors.push(m.join(" "));
  try {
    return { code: await atariMain(args, "fig4"), log, errors };
  } finally {
    console.log = original;
    console.error = originalError;
  }
}

const readRun = async (out: string) => ({
  results: JSON.parse(await Deno.readTextFile(`${out}/results.json`)),
  state: await readAgentCheckpoint(out),
});

Deno.test("fig4 --resume takes the run's own flags: omitted flags = the uninterrupted run", async () => {
  const own = [
    ...small,
    "--max-episode-steps",
    "40",
    "--learning-rate",
    "0.01",
    "--discount",
    "0.9",
    "--entropy-cost",
    "0.01",
  ];
  own[own.indexOf("--record-steps") + 1] = "0";
  const a = await Deno.makeTempDir(), b = await Deno.makeTempDir();
  try {
    assert.equal((await quiet([...own, "--frames", "2400", "--out", a])).code, 0);
    assert.equal((await quiet([...own, "--frames", "1200", "--out", b])).code, 0);
    // resumed with nothing but the budget: the learning rate, discount and entropy cost are
    // the run's own, not the defaults
    const r = await quiet(["--resume", "--out", b, "--frames", "2400"]);
    assert.equal(r.code, 0, r.errors.join("\n"));
    const straight = await readRun(a), resumed = await readRun(b);
    assert.deepEqual(resumed.results.episodes, straight.results.episodes);
    assert.deepEqual(resumed.results.updates, straight.results.updates);
    assert.deepEqual(resumed.state.params, straight.state.params);
    assert.deepEqual(resumed.state.optimizer, straight.state.optimizer);
    assert.equal(resumed.results.flags["learning-rate"], 0.01);
    assert.equal(resumed.results.flags.discount, 0.9);
    assert.equal(resumed.results.flags["entropy-cost"], 0.01);
    assert.equal(resumed.results.flags.env, "catch");
    // the budget's change is recorded, with the frame count at the resume
    assert.equal(resumed.results.resumes.length, 1);
    assert.deepEqual(resumed.results.resumes[0].changed, { frames: [1200, 2400] });
    assert.ok(
      resumed.results.resumes[0].frames >= 1200 && resumed.results.resumes[0].frames < 2400,
    );
    assert.ok(resumed.results.summary, "the resumed run finished");
  } finally {
    await Deno.remove(a, { recursive: true });
    await Deno.remove(b, { recursive: true });
  }
});

Deno.test("fig4 --resume: a changed flag is refused naming it; a mutable one is recorded", async () => {
  const args = [...small];
  args[args.indexOf("--record-steps") + 1] = "0";
  const out = await Deno.makeTempDir();
  try {
    assert.equal((await quiet([...args, "--frames", "1200", "--out", out])).code, 0);
    const before = await Deno.readTextFile(`${out}/checkpoint.json`);
    for (
      const [flag, value, was] of [
        ["--discount", "0.5", "0.99"],
        ["--entropy-cost", "0.1", "0.0025"],
        ["--form", "online", "unroll"],
        ["--seed", "3", "0"],
      ]
    ) {
      const r = await quiet(["--resume", "--out", out, "--frames", "2400", flag, value]);
      assert.equal(r.code, 2, `${flag}: ${r.log.join("\n")}`);
      assert.match(
        r.errors.join("\n"),
        new RegExp(
          `^fig4: ${flag} ${value} contradicts the checkpoint, which was run with ${flag} ${was}`,
        ),
      );
      assert.deepEqual(r.log, [], "no work before the refusal");
    }
    assert.equal(await Deno.readTextFile(`${out}/checkpoint.json`), before);
    const r = await quiet([
      "--resume",
      "--out",
      out,
      "--frames",
      "2400",
      "--learning-rate",
      "5e-3",
    ]);
    assert.equal(r.code, 0, r.errors.join("\n"));
    const { results, state } = await readRun(out);
    assert.equal(results.flags["learning-rate"], 5e-3);
    assert.deepEqual(results.resumes.map((x: { changed: unknown }) => x.changed), [
      { "learning-rate": [1e-3, 5e-3], frames: [1200, 2400] },
    ]);
    assert.deepEqual(state.resumes, results.resumes);
    // resumed again with no flag: the learning rate stays the run's (5e-3), nothing new recorded
    const again = await quiet(["--resume", "--out", out, "--frames", "3000"]);
    assert.equal(again.code, 0, again.errors.join("\n"));
    const last = await readRun(out);
    assert.equal(last.results.flags["learning-rate"], 5e-3);
    assert.equal(last.results.resumes.length, 2);
    assert.deepEqual(last.results.resumes[1].changed, { frames: [2400, 3000] });
    // a finished run resumed without a larger budget is refused
    const done = await quiet(["--resume", "--out", out]);
    assert.equal(done.code, 2);
    assert.match(done.errors[0], /is finished \(\d+ frames\); pass a larger --frames/);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("fig4 writes its first checkpoint at the first update; Ctrl-C says where it resumes", async () => {
  const out = await Deno.makeTempDir();
  try {
    const args = [...small, "--frames", "100000000", "--checkpoint-every", "100000"];
    const child = new Deno.Command(Deno.execPath(), {
      args: [...taskArgs("fig4"), ...args, "--out", `${out}/run`],
      cwd: ROOT,
      stdout: "null",
      stderr: "piped",
    }).spawn();
    let saved = false;
    for (let i = 0; i < 300 && !saved; i++) {
      await new Promise((r) => setTimeout(r, 100));
      saved = await Deno.stat(`${out}/run/checkpoint.json`).then(() => true, () => false);
    }
    child.kill("SIGINT");
    // a run that ignores Ctrl-C must not hang the test
    const guard = setTimeout(() => child.kill("SIGKILL"), 20_000);
    const { code, stderr } = await child.output();
    clearTimeout(guard);
    assert.ok(saved, "no checkpoint within 30 s");
    assert.equal(code, 130);
    const state = await readAgentCheckpoint(`${out}/run`);
    assert.ok(state.updates >= 1 && state.frames < 100000000);
    const message = new TextDecoder().decode(stderr);
    assert.match(
      message,
      /interrupted: the last checkpoint, at \d+ frames, resumes with: deno task fig4 --resume --out .*\/run/,
    );
    const results = JSON.parse(await Deno.readTextFile(`${out}/run/results.json`));
    assert.equal(results.summary, undefined, "an interrupted run is not finished");
    const r = await quiet([
      "--resume",
      "--out",
      `${out}/run`,
      "--frames",
      String(state.frames + 400),
    ]);
    assert.equal(r.code, 0, r.errors.join("\n"));
    assert.ok(r.log.some((l) => /resumed at \d+ frames/.test(l)));
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("fig4 --frames 1 names only the files it wrote", async () => {
  const out = await Deno.makeTempDir();
  try {
    const args = [...small, "--frames", "1", "--out", `${out}/run`];
    args[args.indexOf("--record-steps") + 1] = "0";
    const r = await quiet(args);
    assert.equal(r.code, 0, r.errors.join("\n"));
    const wrote = r.log.find((l) => l.startsWith("fig4: wrote "))!;
    for (const path of wrote.slice("fig4: wrote ".length).split(", ")) await Deno.stat(path);
    assert.ok(!wrote.includes("learning_curve"));
    assert.ok(r.log.some((l) => /no episode finished .*: no learning curve/.test(l)));
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("fig4:catch resumes an interrupted run, keeps a user's file, never reports an old setting", async () => {
  const runs = await Deno.makeTempDir();
  const catchArgs = ["--runs", runs, "--forms", "online", "--seeds", "0", "--random-episodes", "8"];
  try {
    const [job] = fig4CatchRuns([...catchArgs, "--frames", "2000"]);
    // an interrupted run of this setting: its flags say 2000 frames, its checkpoint is at ~1000
    const half = [...job.args];
    half[half.indexOf("--frames") + 1] = "1000";
    assert.equal((await quiet(half)).code, 0);
    for (const file of ["results.json", "checkpoint.json"]) {
      const doc = JSON.parse(await Deno.readTextFile(`${job.dir}/${file}`));
      doc.flags.frames = 2000;
      delete doc.summary;
      await Deno.writeTextFile(`${job.dir}/${file}`, JSON.stringify(doc));
    }
    const halfFrames = (await readAgentCheckpoint(job.dir)).frames;
    await Deno.writeTextFile(`${job.dir}/notes.txt`, "mine");
    const first = await runTask("fig4:catch", [...catchArgs, "--frames", "2000"]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /\(resumed\)/);
    assert.match(first.stdout, new RegExp(`resumed at ${halfFrames} frames`));
    assert.equal(await Deno.readTextFile(`${job.dir}/notes.txt`), "mine");
    const done = await readRun(job.dir);
    assert.ok(done.results.summary && done.state.frames >= 2000);
    const table = JSON.parse(await Deno.readTextFile(`${runs}/table.json`));
    assert.equal(table.rows.length, 1);
    assert.equal(table.rows[0].dir, job.dir);
    // a finished run is kept as it is
    const keep = await Deno.readTextFile(`${job.dir}/checkpoint.json`);
    const second = await runTask("fig4:catch", [...catchArgs, "--frames", "2000"]);
    assert.equal(second.code, 0, second.stderr);
    assert.ok(!/ -> /.test(second.stdout), "nothing ran");
    assert.equal(await Deno.readTextFile(`${job.dir}/checkpoint.json`), keep);
    // another setting: the old run is not reported (collect: missing), nor touched
    const other = await runTask("fig4:catch", [...catchArgs, "--frames", "3000", "--collect"]);
    assert.equal(other.code, 0, other.stderr);
    assert.match(other.stdout, /\| online \| 0 \| missing \|/);
    assert.equal(await Deno.readTextFile(`${job.dir}/checkpoint.json`), keep);
    const [job3] = fig4CatchRuns([...catchArgs, "--frames", "3000"]);
    assert.notEqual(job3.dir, job.dir);
  } finally {
    await Deno.remove(runs, { recursive: true });
  }
});

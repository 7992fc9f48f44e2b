/**
 * `deno task fig4` end to end on the TypeScript Catch with a small agent: progress, results.json,
 * checkpoint.json and the learning curve; resume continues the frame count; bad input is one
 * line with exit 2.
 */
import assert from "node:assert/strict";
import { atariMain } from "../src/experiments/atari_cli.ts";
import { readAgentCheckpoint } from "../src/experiments/agent_checkpoint.ts";
import { encodeState } from "../src/util/state_codec.ts";
import { aleAvailable } from "../src/env/ale/ale_env.ts";

const small = [
  "--env",
  "catch",
  "--size",
  "24",
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
// 24x24 frames: conv1 8x8 stride 4 -> 5x5x16, conv2 4x4 stride 1 -> 2x2x8, pool 4 -> 1x1x16

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
    const state = JSON.parse(await Deno.readTextFile(`${out}/checkpoint.json`));
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
    const more = JSON.parse(await Deno.readTextFile(`${out}/checkpoint.json`));
    assert.ok(more.frames >= 6000 && more.updates > state.updates);
    // a resume may not change the run's shape
    const errors: string[] = [], originalError = console.error;
    console.error = (...a: unknown[]) => errors.push(a.join(" "));
    try {
      const bad = [...small, "--frames", "8000", "--out", out, "--resume"];
      bad[bad.indexOf("--n-lif") + 1] = "9";
      assert.equal(await atariMain(bad, "fig4"), 2);
      assert.match(errors.pop()!, /--n-lif 9 differs from the run in .* \(--n-lif 8\)/);
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
        state: JSON.parse(await Deno.readTextFile(`${out}/checkpoint.json`)),
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
    const { run: _r, ...old } = JSON.parse(await Deno.readTextFile(`${b}/checkpoint.json`));
    await Deno.writeTextFile(`${b}/checkpoint.json`, JSON.stringify(old));
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

Deno.test("fig4 bad input: one line, exit 2", async () => {
  const out = await Deno.makeTempDir();
  const errors: string[] = [], original = console.error;
  console.error = (...a: unknown[]) => errors.push(a.join(" "));
  try {
    assert.equal(await atariMain(["--env", "tetris", "--out", `${out}/x`], "fig4"), 2);
    assert.match(errors.pop()!, /--env must be ale:<rom>, pong or catch, got tetris/);
    assert.equal(await atariMain(["--form", "both"], "fig4"), 2);
    assert.match(errors.pop()!, /form/);
    await Deno.writeTextFile(`${out}/keep.txt`, "user file");
    assert.equal(await atariMain([...small, "--out", out], "fig4"), 2);
    assert.match(errors.pop()!, /is not empty \(use --resume or another folder\)/);
    assert.equal(await Deno.readTextFile(`${out}/keep.txt`), "user file");
    assert.equal(await atariMain([...small, "--out", `${out}/none`, "--resume"], "fig4"), 2);
    assert.match(errors.pop()!, /checkpoint/);
  } finally {
    console.error = original;
    await Deno.remove(out, { recursive: true });
  }
});

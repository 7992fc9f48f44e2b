/**
 * The one checkpoint format: the supervised trainers and the agent write checkpoint.json through
 * one writer (a side file for a large state, written first, old side files removed), and
 * checkpoints written by the code before it (fixtures in tests/fixtures/checkpoints, made by
 * that code's fig3 and fig4 commands) still load and resume exactly.
 */
import assert from "node:assert/strict";
import { atariMain } from "../src/experiments/atari.ts";
import { readAgentCheckpoint } from "../src/experiments/agent_checkpoint.ts";
import {
  loadCheckpoint,
  readCheckpointFile,
  writeCheckpointFile,
} from "../src/train/checkpoint_file.ts";
import { encodeState } from "../src/util/state_codec.ts";

const FIXTURES = new URL("./fixtures/checkpoints/", import.meta.url).pathname;

async function copyDir(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) {
    if (e.isFile) await Deno.copyFile(`${from}/${e.name}`, `${to}/${e.name}`);
  }
}

Deno.test("checkpoint file: a large state goes to a side file, read back exactly; old side files go", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const big = Float64Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 1e-300 + i);
    const f32 = Float32Array.of(0.1, -0, NaN);
    const envelope = { version: 1 as const, kind: "t", flags: { a: 1 }, state: { big, f32, n: 3 } };
    const path = `${dir}/checkpoint.json`;
    const small = await writeCheckpointFile(path, envelope, { tag: 1, sideFileBytes: 1 << 20 });
    assert.equal(small.binaryBytes, 0, "below the size: inline");
    const big1 = await writeCheckpointFile(path, envelope, { tag: 2, sideFileBytes: 100 });
    assert.equal(big1.binaryBytes, 8000 + 16);
    await writeCheckpointFile(path, envelope, { tag: 3, sideFileBytes: 100 });
    const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assert.deepEqual(names, ["checkpoint-3.bin", "checkpoint.json"]);
    const back = await readCheckpointFile(path, { kind: "t" });
    assert.deepEqual(back.state.big, big);
    assert.deepEqual([...back.state.f32].map((x: number) => Object.is(x, -0) ? "-0" : x), [
      Math.fround(0.1),
      "-0",
      NaN,
    ]);
    assert.deepEqual(back.flags, { a: 1 });
    await assert.rejects(readCheckpointFile(path, { kind: "u" }), /is a t run, not u/);
    await Deno.writeFile(`${dir}/checkpoint-3.bin`, new Uint8Array(5));
    await assert.rejects(
      readCheckpointFile(path),
      /checkpoint-3\.bin holds 5 bytes, .* expects 8016/,
    );
    await Deno.remove(`${dir}/checkpoint-3.bin`);
    await assert.rejects(readCheckpointFile(path), /checkpoint-3\.bin cannot be read/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an agent checkpoint of the earlier format loads and resumes as one of the new format", async () => {
  const dir = await Deno.makeTempDir();
  const original = console.log;
  console.log = () => {};
  try {
    await copyDir(`${FIXTURES}/fig4_v0`, `${dir}/old`);
    const old = await readAgentCheckpoint(`${dir}/old`);
    assert.equal(old.frames, 1200);
    assert.ok(old.run, "the episodes' state of the old side file");
    assert.equal(old.task, "fig4");
    // resume the old folder and a copy rewritten in the new format: the same run
    await copyDir(`${dir}/old`, `${dir}/new`);
    for (const e of Deno.readDirSync(`${dir}/new`)) {
      if (e.name.endsWith(".bin")) Deno.removeSync(`${dir}/new/${e.name}`);
    }
    const { writeAgentCheckpoint } = await import("../src/experiments/agent_checkpoint.ts");
    await writeAgentCheckpoint(`${dir}/new`, old);
    const doc = JSON.parse(await Deno.readTextFile(`${dir}/new/checkpoint.json`));
    assert.equal(doc.version, 1);
    assert.equal(doc.codec, "state-codec");
    assert.equal(doc.binaryFile, "checkpoint-1200.bin");
    const again = await readAgentCheckpoint(`${dir}/new`);
    assert.deepEqual(encodeState(again.run), encodeState(old.run));
    assert.deepEqual(again.params, old.params);
    assert.deepEqual(again.flags, old.flags);
    for (const which of ["old", "new"]) {
      assert.equal(
        await atariMain(["--resume", "--frames", "1800", "--out", `${dir}/${which}`], "fig4"),
        0,
      );
    }
    const a = await readAgentCheckpoint(`${dir}/old`), b = await readAgentCheckpoint(`${dir}/new`);
    assert.ok(a.frames >= 1800);
    assert.deepEqual(a.params, b.params);
    assert.deepEqual(a.optimizer, b.optimizer);
    assert.deepEqual(encodeState(a.run), encodeState(b.run));
    const ra = JSON.parse(await Deno.readTextFile(`${dir}/old/results.json`));
    const rb = JSON.parse(await Deno.readTextFile(`${dir}/new/results.json`));
    assert.deepEqual(ra.episodes, rb.episodes);
  } finally {
    console.log = original;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a fig3 checkpoint written before the one file format still loads", async () => {
  const cp = await loadCheckpoint(`${FIXTURES}/fig3_v0/checkpoint.json`, "fig3");
  assert.equal(cp.state.iteration, 3);
  assert.equal(cp.state.train.length, 3);
  assert.ok(cp.state.weights.wRec.data instanceof Float64Array);
  const results = JSON.parse(await Deno.readTextFile(`${FIXTURES}/fig3_v0/results.json`));
  assert.equal(cp.flags.seed, results.flags?.seed ?? 5);
});

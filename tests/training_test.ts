/**
 * Training machinery end to end: checkpoints round-trip, a resumed run reproduces the
 * uninterrupted one bit for bit (Fig. 3 and Fig. S7), a short run's loss falls, and run folders
 * are never overwritten.
 */
import assert from "node:assert/strict";
import { parseFlags } from "../src/cli/flags.ts";
import {
  checkFig3Flags,
  FIG3_FLAGS,
  FIG3_MUTABLE_FLAGS,
  runFig3,
} from "../src/experiments/fig3.ts";
import {
  checkFigS7Flags,
  FIGS7_FLAGS,
  FIGS7_MUTABLE_FLAGS,
  runFigS7,
} from "../src/experiments/figs7.ts";
import { checkpointPath, startRun } from "../src/experiments/run_dir.ts";
import { loadCheckpoint, saveCheckpoint } from "../src/train/checkpoint_file.ts";
import type { TrainingState } from "../src/train/checkpoint.ts";

const quiet = () => {};

async function run(
  kind: "fig3" | "figS7",
  args: string[],
): Promise<TrainingState> {
  const { values, state } = await startRun(
    args,
    kind === "fig3"
      ? { kind, flags: FIG3_FLAGS, mutable: FIG3_MUTABLE_FLAGS, check: checkFig3Flags }
      : { kind, flags: FIGS7_FLAGS, mutable: FIGS7_MUTABLE_FLAGS, check: checkFigS7Flags },
  );
  const result = kind === "fig3"
    ? await runFig3(values, { state, log: quiet })
    : await runFigS7(values, { state, log: quiet });
  result.backend.dispose();
  return result.state;
}

function assertSameRun(a: TrainingState, b: TrainingState) {
  assert.equal(a.iteration, b.iteration);
  assert.deepEqual(a.weights.wIn.data, b.weights.wIn.data);
  assert.deepEqual(a.weights.wRec.data, b.weights.wRec.data);
  assert.deepEqual(a.weights.wOut.data, b.weights.wOut.data);
  assert.deepEqual(a.optimizer, b.optimizer);
  assert.deepEqual(a.trainRng, b.trainRng);
  assert.deepEqual(a.validRng, b.validRng);
  assert.deepEqual(a.train, b.train);
  assert.deepEqual(a.validation, b.validation);
}

Deno.test("fig3: resuming from a checkpoint reproduces the uninterrupted run bit for bit", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const common = ["--n-batch", "2", "--validate-every", "2", "--print-every", "0", "--seed", "5"];
    const straight = await run("fig3", [...common, "--n-iter", "6", "--out", `${dir}/a`]);
    await run("fig3", [...common, "--n-iter", "3", "--out", `${dir}/b`]);
    const resumed = await run("fig3", ["--resume", "--n-iter", "6", "--out", `${dir}/b`]);
    assert.equal(straight.iteration, 6);
    assertSameRun(straight, resumed);
    // The checkpoint on disk is the final state.
    assertSameRun((await loadCheckpoint(checkpointPath(`${dir}/b`))).state, resumed);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("figS7: resumed run equals the uninterrupted one, and its loss falls", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const common = [
      "--seq-len",
      "200",
      "--print-every",
      "0",
      "--seed",
      "3",
      "--learning-rate",
      "3e-4",
    ];
    const straight = await run("figS7", [...common, "--n-iter", "150", "--out", `${dir}/a`]);
    await run("figS7", [...common, "--n-iter", "70", "--out", `${dir}/b`]);
    const resumed = await run("figS7", ["--resume", "--n-iter", "150", "--out", `${dir}/b`]);
    assertSameRun(straight, resumed);
    const first = straight.train[0].readoutLoss, last = straight.train.at(-1)!.readoutLoss;
    assert.ok(last < 0.65 * first, `MSE did not fall: ${first} -> ${last}`); // measured: 44.8 -> 23.4
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("run folders: a new run never overwrites a checkpoint; resume checks its flags", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const args = ["--seq-len", "50", "--n-iter", "2", "--print-every", "0", "--out", dir];
    await run("figS7", args);
    await assert.rejects(run("figS7", args), { message: new RegExp(`${dir} already holds a run`) });
    await assert.rejects(run("figS7", ["--resume", "--out", dir, "--thr", "0.05"]), {
      message:
        "--thr 0.05 contradicts the checkpoint, which was run with --thr 0.03 (on resume only --n-iter, --learning-rate, --print-every, --checkpoint-every, --gradient-check may change)",
    });
    await assert.rejects(run("figS7", ["--resume", "--out", `${dir}/none`]), {
      message: `--resume: ${dir}/none does not exist (nothing to resume)`,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("checkpoints round-trip float64 values exactly", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const state = await run("figS7", [
      "--seq-len",
      "30",
      "--n-iter",
      "3",
      "--print-every",
      "0",
      "--out",
      dir,
    ]);
    const path = `${dir}/copy.json`;
    await saveCheckpoint(path, { version: 1, flags: { a: 1 }, state });
    const back = await loadCheckpoint(path);
    assertSameRun(back.state, state);
    assert.deepEqual(back.state.feedback, state.feedback);
    await Deno.writeTextFile(path, "{not json");
    await assert.rejects(loadCheckpoint(path), { message: /is not valid JSON/ });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("experiment flags are validated with the flag named", async () => {
  assert.throws(() => parseFlags(["--n-batch", "0"], FIG3_FLAGS), {
    message: "--n-batch must be >= 1, got 0",
  });
  assert.throws(() => parseFlags(["--method", "rtrl"], FIG3_FLAGS), {
    message: '--method must be one of eprop, bptt, got "rtrl"',
  });
  assert.throws(() => parseFlags(["--tau-a", "abc"], FIG3_FLAGS), {
    message: '--tau-a must be a number, got "abc"',
  });
  const dir = Deno.makeTempDirSync();
  try {
    await assert.rejects(
      startRun(["--eprop-impl", "autodiff", "--out", dir], {
        kind: "fig3",
        flags: FIG3_FLAGS,
        mutable: FIG3_MUTABLE_FLAGS,
        check: checkFig3Flags,
      }),
      { message: "--eprop-impl autodiff needs --backend tfjs" },
    );
    await assert.rejects(
      startRun(["--gradient-check", "--out", `${dir}/s7`], {
        kind: "figS7",
        flags: FIGS7_FLAGS,
        mutable: FIGS7_MUTABLE_FLAGS,
        check: checkFigS7Flags,
      }),
      { message: /use --seq-len <= 20, got 1000/ },
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
  assert.throws(() => parseFlags(["--bogus"], FIGS7_FLAGS), {
    message: "unknown flag --bogus",
  });
});

Deno.test("a run that diverges at once leaves its iteration-0 checkpoint; --resume may lower the learning rate, recorded", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const args = ["--seq-len", "50", "--n-iter", "5", "--print-every", "0", "--out", dir];
    await assert.rejects(run("figS7", [...args, "--learning-rate", "1e300"]), {
      name: "DivergenceError",
    });
    const saved = await loadCheckpoint(checkpointPath(dir));
    assert.equal(saved.kind, "figS7");
    assert.equal(saved.state.iteration, 0);
    // Resuming with a lower learning rate and a larger budget is allowed and recorded.
    const { values, state, history } = await startRun(
      ["--resume", "--out", dir, "--learning-rate", "1e-4", "--n-iter", "3"],
      { kind: "figS7", flags: FIGS7_FLAGS, mutable: FIGS7_MUTABLE_FLAGS, check: checkFigS7Flags },
    );
    assert.deepEqual(history, [
      { iteration: 0, changed: { "learning-rate": [1e300, 1e-4], "n-iter": [5, 3] } },
    ]);
    const result = await runFigS7(values, { state, history, log: quiet });
    assert.equal(result.state.iteration, 3);
    const again = await loadCheckpoint(checkpointPath(dir));
    assert.deepEqual(again.history, history);
    assert.equal(again.flags["learning-rate"], 1e-4);
    // Anything else is refused.
    await assert.rejects(run("figS7", ["--resume", "--out", dir, "--reg", "1"]), {
      message: /--reg 1 contradicts the checkpoint, which was run with --reg 300/,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

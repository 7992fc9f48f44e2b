/**
 * fig4, fig5 and fig4:catch with bad inputs, run as a user would: each is refused with one line
 * prefixed by the task that names the problem, exit 2, nothing on stdout, no stack trace, and
 * the folder it was given left as it was. `--help` lists every flag with its default.
 */
import assert from "node:assert/strict";
import { badInputTests, type Case, CHATTR, immutable, runTask } from "./_bad_input.ts";
import { atariMain } from "../src/experiments/atari.ts";
import { FIG4_CATCH_FLAGS, fig4CatchRuns } from "../src/apps/fig4_catch.ts";
import { atariFlags } from "../src/experiments/atari.ts";

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
  "0",
];

/** A finished tiny run in `dir` (made in this process, quietly). */
async function tinyRun(dir: string, extra: string[] = []): Promise<void> {
  const original = console.log;
  console.log = () => {};
  try {
    assert.equal(await atariMain([...small, "--frames", "600", ...extra, "--out", dir], "fig4"), 0);
  } finally {
    console.log = original;
  }
}

const catchArgs = ["--forms", "online", "--seeds", "0", "--frames", "2000"];

const CASES: Case[] = [
  // fig4 flags
  {
    what: "--frames 0",
    task: "fig4",
    args: ["--frames", "0"],
    message: /--frames must be >= 1, got 0/,
  },
  {
    what: "--frames abc",
    task: "fig4",
    args: ["--frames", "abc"],
    message: /--frames must be an integer, got "abc"/,
  },
  {
    what: "--frames twice",
    task: "fig4",
    args: ["--frames", "10", "--frames", "20"],
    message: /--frames is given more than once/,
  },
  {
    what: "--n-lif 1000000 (over its cap)",
    task: "fig4",
    args: ["--n-lif", "1000000", "--out", "$DIR/run"],
    message: /--n-lif must be <= 100000, got 1000000/,
    absent: ["run"],
  },
  {
    what: "--n-lif 100000: refused by the memory estimate before anything",
    task: "fig4",
    args: [...small.slice(0, 6), "--n-lif", "100000", "--out", "$DIR/run"],
    message:
      /fig4: the agent \(--n-lif 100000.*\) needs about [\d.]+ GiB, more than the [\d.]+ GiB available/,
    absent: ["run"],
  },
  {
    what: "--form unroll --unroll-length 100000: refused by the memory estimate",
    task: "fig4",
    args: ["--env", "catch", "--form", "unroll", "--unroll-length", "100000", "--out", "$DIR/run"],
    message: /--unroll-length 100000\) needs about [\d.]+ GiB/,
    absent: ["run"],
  },
  {
    what: "--env tetris",
    task: "fig4",
    args: ["--env", "tetris", "--out", "$DIR/run"],
    message: /--env must be ale:<rom id> .*got "tetris"/,
    absent: ["run"],
  },
  {
    what: "--env ale:Not-A-Rom",
    task: "fig4",
    args: ["--env", "ale:Not-A-Rom"],
    message: /--env must be ale:<rom id> \(snake_case/,
  },
  {
    what: "--env ale:bogus (ale-py missing: how to install it; present: the unknown ROM named)",
    task: "fig4",
    args: ["--env", "ale:bogus", "--out", "$DIR/run"],
    message: /fig4: --env ale:bogus: .*(pip install ale-py|unknown Atari game "bogus")/,
    absent: ["run"],
  },
  {
    what: "--form both",
    task: "fig4",
    args: ["--form", "both"],
    message: /--form must be one of online, unroll, bptt, got "both"/,
  },
  {
    what: "--train-cnn with the online form",
    task: "fig4",
    args: ["--form", "online", "--train-cnn"],
    message: /--train-cnn applies only with --form unroll or --form bptt/,
  },
  {
    what: "--cnn-task-scale without --train-cnn",
    task: "fig4",
    args: ["--no-train-cnn", "--cnn-task-scale", "1e-8"],
    message: /--cnn-task-scale applies only with --train-cnn true/,
  },
  {
    what: "--jitter without --max-episode-steps",
    task: "fig4",
    args: ["--curriculum", "fixed", "--max-episode-steps", "0", "--jitter", "5"],
    message: /--jitter 5 applies only with --max-episode-steps > 0; pass --jitter 0 with no cut/,
  },
  {
    what: "--jitter over --max-episode-steps",
    task: "fig4",
    args: ["--max-episode-steps", "40", "--jitter", "50"],
    message: /--jitter 50 must be below --max-episode-steps 40 \(L\)/,
  },
  {
    what: "--curriculum cubic without a start length",
    task: "fig4",
    args: ["--max-episode-steps", "0", "--jitter", "0"],
    message: /--curriculum cubic needs --max-episode-steps >= 1/,
  },
  {
    what: "--head-pools malformed",
    task: "fig4",
    args: ["--head-pools", "0:8x4"],
    message: /--head-pools must be a comma-separated list of layer:kernel\/stride/,
  },
  {
    what: "--head-pools on a layer the CNN lacks",
    task: "fig4",
    args: ["--head-pools", "2:2/2"],
    message: /do not make an agent: headPools\[0\]\.layer must be <= 1, got 2/,
  },
  {
    what: "--pool with --head-pools",
    task: "fig4",
    args: ["--pool", "4", "--head-pools", "0:4/4"],
    message: /give --pool or --head-pools, not both/,
  },
  {
    what: "--mask with the online form",
    task: "fig4",
    args: ["--form", "online", "--mask", "episode"],
    message: /--mask applies only with --form unroll or --form bptt/,
  },
  {
    what: "--workers over --episodes-parallel",
    task: "fig4",
    args: ["--episodes-parallel", "4", "--workers", "8"],
    message: /--workers 8 must be at most --episodes-parallel 4/,
  },
  {
    what: "--pool over conv1's side",
    task: "fig4",
    args: ["--size", "24", "--pool", "10"],
    message: /--pool 10 must be at most the first CNN layer's side 5/,
  },
  {
    what: "--size 10",
    task: "fig4",
    args: ["--size", "10"],
    message: /--size must be >= 20, got 10/,
  },
  {
    what: "--n-lif 0 --n-alif 0",
    task: "fig4",
    args: ["--n-lif", "0", "--n-alif", "0"],
    message: /--n-lif \+ --n-alif must be at least 1/,
  },
  {
    what: "--seed -1",
    task: "fig4",
    args: ["--seed", "-1"],
    message: /--seed must be >= 0, got -1/,
  },
  {
    what: "--learning-rate 0",
    task: "fig4",
    args: ["--learning-rate", "0"],
    message: /--learning-rate must be > 0, got 0/,
  },
  {
    what: "--discount 1.5",
    task: "fig4",
    args: ["--discount", "1.5"],
    message: /--discount must be <= 1, got 1.5/,
  },
  {
    what: "an unknown flag",
    task: "fig4",
    args: ["--episodes", "3"],
    message: /unknown flag --episodes/,
  },
  {
    what: "fig5 --n-alif -1",
    task: "fig5",
    args: ["--n-alif", "-1"],
    message: /^fig5: --n-alif must be >= 0, got -1/,
  },
  // fig4 run folders
  {
    what: "--out naming a file",
    task: "fig4",
    args: [...small, "--out", "$DIR/notes.txt"],
    setup: (d) => Deno.writeTextFile(`${d}/notes.txt`, "mine"),
    message: /--out .*notes\.txt is a file; give a folder/,
  },
  {
    what: "--out below a file",
    task: "fig4",
    args: [...small, "--out", "$DIR/notes.txt/run"],
    setup: (d) => Deno.writeTextFile(`${d}/notes.txt`, "mine"),
    message: /cannot read .*notes\.txt\/run: a part of the path is a file/,
  },
  {
    what: "--out holding a user's files",
    task: "fig4",
    args: [...small, "--out", "$DIR"],
    setup: (d) => Deno.writeTextFile(`${d}/results.json`, "mine"),
    message: /--out .* holds files but no run \(results\.json\); choose a new or empty folder/,
  },
  {
    what: "a new run into a folder holding a run",
    task: "fig4",
    args: [...small, "--frames", "1200", "--out", "$DIR"],
    setup: (d) => tinyRun(d),
    message: /already holds a run \(checkpoint\.json\); pass --resume to continue it/,
  },
  {
    what: "--out that cannot be written into (immutable)",
    task: "fig4",
    args: [...small, "--out", "$DIR/ro"],
    setup: async (d) => {
      await Deno.mkdir(`${d}/ro`);
      await immutable(`${d}/ro`, true);
    },
    cleanup: (d) => immutable(`${d}/ro`, false),
    message: /cannot write into --out .*ro: (permission denied|Operation not permitted)/,
  },
  // fig4 resume
  {
    what: "--resume of a missing folder",
    task: "fig4",
    args: ["--resume", "--out", "$DIR/none"],
    message: /--resume: .*none does not exist \(nothing to resume\)/,
  },
  {
    what: "--resume of a folder without a checkpoint",
    task: "fig4",
    args: ["--resume", "--out", "$DIR"],
    setup: (d) => Deno.writeTextFile(`${d}/notes.txt`, "mine"),
    message: /--resume: no checkpoint at .*checkpoint\.json \(nothing to resume\)/,
  },
  {
    what: "--resume of a checkpoint that is not JSON",
    task: "fig4",
    args: ["--resume", "--out", "$DIR"],
    setup: async (d) => {
      await Deno.writeTextFile(`${d}/checkpoint.json`, "{ broken");
      await Deno.writeTextFile(`${d}/results.json`, "{}");
    },
    message: /cannot resume from .*checkpoint\.json: it is not JSON/,
  },
  {
    what: "--resume of a checkpoint whose binary file does not match",
    task: "fig4",
    args: ["--resume", "--out", "$DIR", "--frames", "2000"],
    setup: async (d) => {
      await tinyRun(d);
      for (const e of Deno.readDirSync(d)) {
        if (e.name.endsWith(".bin")) await Deno.writeFile(`${d}/${e.name}`, new Uint8Array(3));
      }
    },
    message: /cannot resume from .*checkpoint\.json: .*holds 3 bytes/,
  },
  {
    what: "--resume with a changed --discount",
    task: "fig4",
    args: ["--resume", "--out", "$DIR", "--frames", "2000", "--discount", "0.5"],
    setup: (d) => tinyRun(d),
    message:
      /--discount 0\.5 contradicts the checkpoint, which was run with --discount 0\.99 \(on resume only --learning-rate, --frames/,
  },
  {
    what: "--resume with a changed --n-lif",
    task: "fig4",
    args: ["--resume", "--out", "$DIR", "--frames", "2000", "--n-lif", "9"],
    setup: (d) => tinyRun(d),
    message: /--n-lif 9 contradicts the checkpoint, which was run with --n-lif 8/,
  },
  {
    what: "--resume of a finished run without a larger --frames",
    task: "fig4",
    args: ["--resume", "--out", "$DIR"],
    setup: (d) => tinyRun(d),
    message: /the run in .* is finished \(\d+ frames\); pass a larger --frames to continue it/,
  },
  {
    what: "--resume with --frames below the checkpoint",
    task: "fig4",
    args: ["--resume", "--out", "$DIR", "--frames", "100"],
    setup: (d) => tinyRun(d),
    message: /--frames 100 is not more than the \d+ frames the run in .* has trained/,
  },
  // fig4:catch flags
  {
    what: "--seeds ,",
    task: "fig4:catch",
    args: ["--seeds", ","],
    message: /--seeds must be integers separated by commas, got ","/,
  },
  {
    what: "--seeds 0,0",
    task: "fig4:catch",
    args: ["--seeds", "0,0"],
    message: /--seeds lists 0 twice/,
  },
  {
    what: "--seeds -1",
    task: "fig4:catch",
    args: ["--seeds", "-1"],
    message: /--seeds must be >= 0, got -1/,
  },
  {
    what: "--random-episodes abc",
    task: "fig4:catch",
    args: ["--random-episodes", "abc"],
    message: /--random-episodes must be an integer, got "abc"/,
  },
  {
    what: "--random-episodes 0",
    task: "fig4:catch",
    args: ["--random-episodes", "0"],
    message: /--random-episodes must be >= 1, got 0/,
  },
  {
    what: "--forms online,foo",
    task: "fig4:catch",
    args: ["--forms", "online,foo"],
    message: /--forms must list of online, unroll, bptt, got "foo"/,
  },
  {
    what: "--forms online,online",
    task: "fig4:catch",
    args: ["--forms", "online,online"],
    message: /--forms lists online twice/,
  },
  {
    what: "--forms with --study cnn",
    task: "fig4:catch",
    args: ["--study", "cnn", "--forms", "online"],
    message: /--forms applies only with --study forms/,
  },
  {
    what: "--study bogus",
    task: "fig4:catch",
    args: ["--study", "bogus"],
    message: /--study must be one of forms, cnn/,
  },
  {
    what: "--parallel 0",
    task: "fig4:catch",
    args: ["--parallel", "0"],
    message: /--parallel must be >= 1, got 0/,
  },
  {
    what: "--frames 1.5",
    task: "fig4:catch",
    args: ["--frames", "1.5"],
    message: /--frames must be an integer, got "1.5"/,
  },
  {
    what: "an unknown flag",
    task: "fig4:catch",
    args: ["--seed", "1"],
    message: /unknown flag --seed/,
  },
  // fig4:catch folders
  {
    what: "--runs naming a file",
    task: "fig4:catch",
    args: [...catchArgs, "--runs", "$DIR/notes.txt"],
    setup: (d) => Deno.writeTextFile(`${d}/notes.txt`, "mine"),
    message: /--runs .*notes\.txt is a file; give a folder/,
  },
  {
    what: "a run folder holding a user's files (left as it is, nothing run)",
    task: "fig4:catch",
    args: [...catchArgs, "--runs", "$DIR"],
    setup: async (d) => {
      const [job] = fig4CatchRuns([...catchArgs, "--runs", d]);
      await Deno.mkdir(job.dir);
      await Deno.writeTextFile(`${job.dir}/notes.txt`, "mine");
    },
    message:
      /online-s0-[0-9a-f]{8} holds files but no resumable run \(notes\.txt\); it is left as it is/,
  },
  {
    what: "a table.md it did not write (refused before any run, without --force)",
    task: "fig4:catch",
    args: [...catchArgs, "--runs", "$DIR"],
    setup: (d) => Deno.writeTextFile(`${d}/table.md`, "my notes"),
    message: /table\.md already exists and was not written by this project; pass --force/,
  },
];

badInputTests(CASES);
if (!CHATTR) {
  console.log("bad_input_atari_test: chattr is missing: the immutable-folder case skips");
}

for (
  const [task, flags] of [
    ["fig4", atariFlags("ale:pong", "out/fig4")],
    ["fig5", atariFlags("ale:fishing_derby", "out/fig5")],
    ["fig4:catch", FIG4_CATCH_FLAGS],
  ] as const
) {
  Deno.test(`${task} --help lists every flag with its default and range`, async () => {
    const out = await runTask(task, ["--help"]);
    assert.equal(out.code, 0);
    assert.equal(out.stderr, "");
    for (const [name, spec] of Object.entries(flags)) {
      const line = out.stdout.split("\n").find((l) =>
        l.startsWith(`  --${name} `) || l === `  --${name}`
      );
      assert.ok(line, `--${name} is missing from --help`);
      if (spec.type !== "boolean") assert.ok(line.includes(`default ${spec.default}`), line);
      if (spec.min !== undefined) assert.ok(line.includes(`${spec.min}`), line);
    }
  });
}

/**
 * Every task, run as a user would (`deno run` with the task's own command line from deno.json),
 * with bad inputs: each must be refused with one line that names the problem, exit 2 for bad
 * input (1 for a failed run), nothing on stdout, and leave the run folder and any existing file
 * exactly as they were. `--help` of every task goes to stdout with exit 0.
 */
import assert from "node:assert/strict";
import { badInputTests, type Case, immutable, runTask } from "./_bad_input.ts";

const tiny = ["--n-batch", "2", "--n-iter", "2", "--print-every", "0"];
const goldenCase = new URL("golden/lif_mse.case.json", import.meta.url).pathname;

const CASES: Case[] = [
  // Run folders: nothing a user wrote is lost.
  {
    what: "--out holding files but no run",
    task: "fig3",
    args: [...tiny, "--out", "$DIR"],
    setup: (d) => Deno.writeTextFile(`${d}/results.json`, "mine"),
    message: /--out .* holds files but no run \(results\.json\); choose a new or empty folder/,
  },
  {
    what: "--out naming a file",
    task: "fig3",
    args: [...tiny, "--out", "$DIR/notes.txt"],
    setup: (d) => Deno.writeTextFile(`${d}/notes.txt`, "mine"),
    message: /--out .*notes\.txt is a file; give a folder/,
  },
  {
    what: "--out below a file",
    task: "figS7",
    args: ["--seq-len", "20", "--n-iter", "1", "--out", "$DIR/notes.txt/run"],
    setup: (d) => Deno.writeTextFile(`${d}/notes.txt`, "mine"),
    message:
      /cannot (create|read) .*notes\.txt\/run.*: a part of the path is a file|not a directory/i,
  },
  {
    what: "--out in a folder that cannot be written (immutable)",
    task: "figS7",
    args: ["--seq-len", "20", "--n-iter", "1", "--out", "$DIR/ro/run"],
    setup: async (d) => {
      await Deno.mkdir(`${d}/ro`);
      await immutable(`${d}/ro`, true);
    },
    cleanup: (d) => immutable(`${d}/ro`, false),
    message: /cannot create --out .*ro\/run: (permission denied|Operation not permitted)/,
  },
  {
    what: "--out that cannot be written into (immutable), refused before any work",
    task: "fig3",
    args: [...tiny, "--out", "$DIR/ro"],
    setup: async (d) => {
      await Deno.mkdir(`${d}/ro`);
      await immutable(`${d}/ro`, true);
    },
    cleanup: (d) => immutable(`${d}/ro`, false),
    message: /cannot write into --out .*ro: (permission denied|Operation not permitted)/,
  },
  {
    what: "--out= (empty)",
    task: "fig3",
    args: [...tiny, "--out="],
    message: /--out must not be empty/,
  },
  {
    what: "--out with no value",
    task: "fig3:sweep",
    args: ["--seeds", "1", "--out"],
    message: /--out needs a value/,
    absent: ["undefined"],
  },
  {
    what: "a second run into a folder holding a run",
    task: "figS7",
    args: ["--seq-len", "20", "--n-iter", "1", "--out", "$DIR"],
    setup: (d) => Deno.writeTextFile(`${d}/checkpoint.json`, "{}"),
    message: /already holds a run .*pass --resume to continue it or choose another --out/,
  },
  // Checkpoints that cannot be resumed.
  {
    what: "--resume with a truncated checkpoint",
    task: "fig3",
    args: ["--resume", "--out", "$DIR"],
    setup: (d) => Deno.writeTextFile(`${d}/checkpoint.json`, '{"version":1,"flags":{"n-batch"'),
    message: /cannot resume from .*checkpoint\.json: .*is not valid JSON.*start a new one/,
  },
  {
    what: "--resume with an empty checkpoint ({})",
    task: "fig3",
    args: ["--resume", "--out", "$DIR"],
    setup: (d) => Deno.writeTextFile(`${d}/checkpoint.json`, "{}"),
    message: /cannot resume from .*checkpoint\.json.*not a version-1 checkpoint/,
  },
  {
    what: "--resume with a checkpoint missing its optimizer",
    task: "figS7",
    args: ["--resume", "--out", "$DIR"],
    setup: (d) =>
      Deno.writeTextFile(
        `${d}/checkpoint.json`,
        JSON.stringify({
          version: 1,
          kind: "figS7",
          flags: {},
          state: { iteration: 3, weights: {} },
        }),
      ),
    message: /state\.optimizer must be an adam or sgd state/,
  },
  {
    what: "--resume of another experiment's run",
    task: "figS7",
    args: ["--resume", "--out", "$DIR"],
    setup: (d) =>
      Deno.writeTextFile(
        `${d}/checkpoint.json`,
        JSON.stringify({ version: 1, kind: "fig3", flags: {}, state: {} }),
      ),
    message: /\/checkpoint\.json is a fig3 run, not figS7; resume it with deno task fig3/,
  },
  {
    what: "--resume where there is no folder",
    task: "fig3",
    args: ["--resume", "--out", "$DIR/none"],
    message: /--resume: .*none does not exist/,
    absent: ["none"],
  },
  // Values out of range or nonsense.
  {
    what: "--n-regular 1e9",
    task: "fig3",
    args: ["--n-regular", "1e9"],
    message: /--n-regular must be <= 100000, got 1000000000/,
  },
  {
    what: "--n-batch 1e9",
    task: "fig3",
    args: ["--n-batch", "1e9"],
    message: /--n-batch must be <= 100000/,
  },
  {
    what: "a batch too large for memory",
    task: "fig3",
    args: ["--n-batch", "90000", "--out", "$DIR/run"],
    message: /--n-batch 90000 with 100 neurons over 2250 steps needs about .* GiB/,
    absent: ["run"],
  },
  {
    what: "--dt 1000",
    task: "fig3",
    args: ["--dt", "1000"],
    message: /--dt must be <= 150, got 1000/,
  },
  {
    what: "--stop-crit 5",
    task: "fig3",
    args: ["--stop-crit", "5"],
    message: /--stop-crit must be <= 1, got 5/,
  },
  {
    what: "--reg-rate 1e9",
    task: "fig3",
    args: ["--reg-rate", "1e9"],
    message: /--reg-rate must be <= 1000/,
  },
  {
    what: "--n-ref 1e12",
    task: "fig3",
    args: ["--n-ref", "1e12"],
    message: /--n-ref must be <= 10000/,
  },
  {
    what: "--seed 1e20",
    task: "fig3",
    args: ["--seed", "1e20"],
    message: /--seed must be an integer of at most 2\^53 - 1/,
  },
  {
    what: "--seed -1",
    task: "figS7",
    args: ["--seed", "-1"],
    message: /--seed must be >= 0, got -1/,
  },
  {
    what: "a repeated flag",
    task: "fig3",
    args: ["--seed", "1", "--seed", "2"],
    message: /--seed is given more than once/,
  },
  {
    what: "--feedback with --method bptt (would be ignored)",
    task: "fig3",
    args: ["--method", "bptt", "--feedback", "symmetric"],
    message: /--feedback applies only with --method eprop, not with --method bptt/,
  },
  {
    what: "an unknown flag",
    task: "figS7",
    args: ["--tau-m", "3"],
    message: /unknown flag --tau-m/,
  },
  {
    what: "a stray argument",
    task: "fig3",
    args: ["seed=3"],
    message: /unexpected argument "seed=3"/,
  },
  {
    what: "--n-batch abc",
    task: "figS7",
    args: ["--n-batch", "abc"],
    message: /--n-batch must be an integer, got "abc"/,
  },
  {
    what: "--method rtrl",
    task: "fig3",
    args: ["--method", "rtrl"],
    message: /--method must be one of eprop, bptt, got "rtrl"/,
  },
  {
    what: "--gradient-check on a long sequence",
    task: "figS7",
    args: ["--gradient-check"],
    message: /use --seq-len <= 20, got 1000/,
  },
  {
    what: "--eprop-impl autodiff on wasm",
    task: "fig3",
    args: ["--eprop-impl", "autodiff"],
    message: /--eprop-impl autodiff needs --backend tfjs/,
  },
  // The sweep.
  {
    what: "--seeds with no value",
    task: "fig3:sweep",
    args: ["--seeds"],
    message: /--seeds needs comma-separated integers/,
  },
  {
    what: '--seeds ""',
    task: "fig3:sweep",
    args: ["--seeds", ""],
    message: /--seeds must be integers separated by commas, got ""/,
  },
  {
    what: "--seeds 1,x",
    task: "fig3:sweep",
    args: ["--seeds", "1,x"],
    message: /--seeds must be an integer, got "x"/,
  },
  {
    what: "--seeds 1,1",
    task: "fig3:sweep",
    args: ["--seeds", "1,1", "--out", "$DIR/s"],
    message: /--seeds lists seed 1 twice/,
    absent: ["s"],
  },
  {
    what: "a sweep whose second seed's folder holds files",
    task: "fig3:sweep",
    args: ["--seeds", "1,2", "--n-iter", "1", "--out", "$DIR"],
    setup: async (d) => {
      await Deno.mkdir(`${d}/seed2`);
      await Deno.writeTextFile(`${d}/seed2/mine.txt`, "mine");
    },
    message: /seed2 holds files but no run \(mine\.txt\)/,
    absent: ["seed1/checkpoint.json"],
  },
  // grad and gradient cases.
  {
    what: "grad with no case",
    task: "grad",
    args: [],
    message: /expected CASE\.json, got 0 argument/,
  },
  {
    what: "grad with a missing file",
    task: "grad",
    args: ["$DIR/none.json"],
    message: /cannot read .*none\.json: no such file or folder/,
  },
  {
    what: "grad with a file that is not JSON",
    task: "grad",
    args: ["$DIR/c.json"],
    setup: (d) => Deno.writeTextFile(`${d}/c.json`, "# not json\n\nat all"),
    message: /c\.json is not valid JSON/,
  },
  {
    what: "a case with n_rec 1e9",
    task: "grad",
    args: ["$DIR/c.json"],
    setup: async (d) => {
      const c = JSON.parse(await Deno.readTextFile(goldenCase));
      c.neuron.n_rec = 1e9;
      await Deno.writeTextFile(`${d}/c.json`, JSON.stringify(c));
    },
    message: /w_rec must have n_rec \(1000000000\) rows, got an array of length/,
  },
  {
    what: "a case with an unknown readout field",
    task: "grad",
    args: ["$DIR/c.json"],
    setup: async (d) => {
      const c = JSON.parse(await Deno.readTextFile(goldenCase));
      c.readout.bias = true;
      await Deno.writeTextFile(`${d}/c.json`, JSON.stringify(c));
    },
    message: /readout\.bias is not a known field/,
  },
  {
    what: "a format-2 case with a bad layer",
    task: "grad",
    args: ["$DIR/c.json"],
    setup: async (d) => {
      const c = JSON.parse(
        await Deno.readTextFile(new URL("golden/timit_bidir.v2.case.json", import.meta.url)),
      );
      c.layers[0].neuron.tau_m = -1;
      await Deno.writeTextFile(`${d}/c.json`, JSON.stringify(c));
    },
    message: /layers\[0\]\.neuron\.tau_m must be > 0, got -1/,
  },
  {
    what: "grad --tf-backend without tfjs",
    task: "grad",
    args: [goldenCase, "--tf-backend", "wasm"],
    message: /--tf-backend applies only with --backend tfjs/,
  },
  {
    what: "grad --precision f16",
    task: "grad",
    args: [goldenCase, "--precision", "f16"],
    message: /--precision must be one of auto, f64, f32/,
  },
  // make-case, compare, bench, verify.
  {
    what: "make-case --steps abc",
    task: "make-case",
    args: ["--steps", "abc"],
    message: /--steps must be an integer, got "abc"/,
  },
  {
    what: "make-case --loss hinge",
    task: "make-case",
    args: ["--loss", "hinge"],
    message: /--loss must be one of ce, mse/,
  },
  {
    what: "make-case over an existing file",
    task: "make-case",
    args: ["--out", "$DIR/case.json"],
    setup: (d) => Deno.writeTextFile(`${d}/case.json`, "mine"),
    message: /case\.json exists; choose another --out, or pass --force to replace it/,
  },
  {
    what: "compare --steps 0",
    task: "compare",
    args: ["--steps", "0"],
    message: /--steps must be >= 1, got 0/,
  },
  {
    what: "compare --precision f16",
    task: "compare",
    args: ["--precision", "f16"],
    message: /--precision must be one of f64, f32/,
  },
  {
    what: "compare --batch 1e5 --steps 1e6",
    task: "compare",
    args: ["--batch", "100000", "--steps", "1000000"],
    message: /needs about .* GiB/,
  },
  {
    what: "bench --iterations 0",
    task: "bench",
    args: ["--iterations", "0"],
    message: /--iterations must be >= 1, got 0/,
  },
  {
    what: "bench --skip foo",
    task: "bench",
    args: ["--skip", "foo"],
    message: /--skip must be none or a comma list of fig3, timit, kernels/,
  },
  {
    what: "bench --precision f16",
    task: "bench",
    args: ["--precision", "f16"],
    message: /--precision must be one of f32, f64/,
  },
  {
    what: "verify --only all",
    task: "verify",
    args: ["--only", "all"],
    message: /--only must be one of both, factorization, autodiff/,
  },
  {
    what: "verify --seed x",
    task: "verify",
    args: ["--seed", "x"],
    message: /--seed must be an integer, got "x"/,
  },
  {
    what: "verify into a folder of other files",
    task: "verify",
    args: ["--out", "$DIR"],
    setup: (d) => Deno.writeTextFile(`${d}/thesis.tex`, "mine"),
    message: /holds files that are not an earlier verify output \(thesis\.tex\)/,
  },
];

badInputTests(CASES);

for (
  const task of [
    "fig3",
    "figS7",
    "fig3:sweep",
    "fig2",
    "fig2:table",
    "env:play",
    "grad",
    "verify",
    "compare",
    "make-case",
    "bench",
  ]
) {
  Deno.test(`--help of ${task} goes to stdout with every flag and its default, exit 0`, async () => {
    const out = await runTask(task, ["--help"]);
    assert.equal(out.code, 0);
    assert.equal(out.stderr, "");
    assert.match(out.stdout, /^usage: deno task /);
    assert.match(out.stdout, /\n {2}--debug /);
    const flags = out.stdout.split("\n").filter((l) => /^ {2}--[a-z]/.test(l));
    assert.ok(flags.length >= 3, out.stdout);
    for (const line of flags) {
      // Boolean switches have no value to default; every other flag states its default.
      if (/^ {2}--[a-z0-9-]+ {2,}/.test(line)) continue; // a switch: no value placeholder
      assert.match(line, /\(default [^;)]+/, `no default in: ${line}`);
    }
  });
}

/**
 * Bad inputs of the tool commands env:play, serve:web and build:web, run as a user would (the
 * tasks' own command lines from deno.json): each is refused with one line prefixed with the task,
 * exit 2 (1 for a run that fails), nothing on stdout, and the folder it was given left as it was.
 * Also: `--help` of each, an existing recording that survives without `--force` and is replaced
 * with it, serve:web on a port in use and on a free one, build:web with `dist` a file, with a
 * file it did not write, and leaving foreign files alone. ALE-dependent cases run only where
 * python3 imports ale-py.
 */
import assert from "node:assert/strict";
import { badInputTests, type Case, CHATTR, immutable, ROOT, runTask } from "./_bad_input.ts";
import { skipNote } from "./_tools.ts";
import { aleAvailable } from "../src/env/ale/ale_env.ts";
import { main as envPlayMain } from "../src/apps/env_play.ts";
import type { VectorEnv } from "../src/env/vector_env.ts";
import { createGame } from "../src/env/games/index.ts";
import { OUTPUTS_MANIFEST } from "../src/cli/outputs.ts";

const HAVE_ALE = (await aleAvailable()) !== undefined;
if (!HAVE_ALE) {
  skipNote(
    "bad_input_tools_test.ts",
    "python3 with ale-py is missing (pip install ale-py)",
    "the unknown-ROM case (the ale-py-missing case runs instead)",
  );
}
if (!CHATTR) {
  skipNote("bad_input_tools_test.ts", "chattr is missing (e2fsprogs)", "the unwritable folder");
}

const quick = ["--env", "catch", "--episodes", "1"];
const DIST = `${ROOT.pathname}dist`;

const CASES: Case[] = [
  // env:play: flags.
  {
    what: "--env unknown",
    task: "env:play",
    args: ["--env", "tetris"],
    message: /--env must be one of pong, catch or ale:<rom>.*"tetris"/,
  },
  {
    what: "--env ale: with a malformed ROM id",
    task: "env:play",
    args: ["--env", "ale:Space-Invaders"],
    message: /--env ale:Space-Invaders: the ROM id after ale: must be snake_case/,
  },
  {
    what: "--env ale: with no ROM id",
    task: "env:play",
    args: ["--env", "ale:"],
    message: /--env ale:: the ROM id after ale: must be snake_case/,
  },
  HAVE_ALE
    ? {
      what: "--env ale:<unknown ROM>",
      task: "env:play",
      args: ["--env", "ale:no_such_rom", "--episodes", "1"],
      message: /--env ale:no_such_rom: .*unknown Atari game/,
    }
    : {
      what: "--env ale:pong without ale-py says how to install it",
      task: "env:play",
      args: ["--env", "ale:pong"],
      message: /--env ale:pong needs the Arcade Learning Environment .*pip install ale-py/,
    },
  {
    what: "--episodes 0",
    task: "env:play",
    args: ["--episodes", "0"],
    message: /--episodes must be >= 1, got 0/,
  },
  {
    what: "--episodes not an integer",
    task: "env:play",
    args: ["--episodes", "1.5"],
    message: /--episodes must be an integer, got "1.5"/,
  },
  {
    what: "--episodes too many",
    task: "env:play",
    args: ["--episodes", "2000000"],
    message: /--episodes must be <= 1000000/,
  },
  {
    what: "--episodes given twice",
    task: "env:play",
    args: ["--episodes", "1", "--episodes", "2"],
    message: /--episodes is given more than once/,
  },
  {
    what: "--num-envs -1",
    task: "env:play",
    args: ["--num-envs", "-1"],
    message: /--num-envs must be >= 0/,
  },
  {
    what: "--num-envs too many",
    task: "env:play",
    args: ["--num-envs", "5000"],
    message: /--num-envs must be <= 1024/,
  },
  { what: "--seed -1", task: "env:play", args: ["--seed", "-1"], message: /--seed must be >= 0/ },
  {
    what: "--max-steps 0",
    task: "env:play",
    args: ["--max-steps", "0"],
    message: /--max-steps must be >= 1/,
  },
  {
    what: "--view unknown",
    task: "env:play",
    args: ["--view", "rgb"],
    message: /--view must be one of preprocessed, raw, got "rgb"/,
  },
  {
    what: "--policy unknown",
    task: "env:play",
    args: ["--policy", "greedy"],
    message: /--policy must be one of random/,
  },
  {
    what: "an unknown flag",
    task: "env:play",
    args: ["--frames", "3"],
    message: /unknown flag --frames/,
  },
  {
    what: "a positional argument",
    task: "env:play",
    args: ["pong"],
    message: /unexpected argument "pong"/,
  },
  // env:play: recording flags without a recording.
  {
    what: "--record-frames without --gif or --strip",
    task: "env:play",
    args: [...quick, "--record-frames", "5"],
    message: /--record-frames applies only with --gif FILE or --strip FILE/,
  },
  {
    what: "--strip-frames with --gif but no --strip",
    task: "env:play",
    args: [...quick, "--gif", "$DIR/a.gif", "--strip-frames", "4"],
    message: /--strip-frames applies only with --strip FILE/,
    absent: ["a.gif"],
  },
  {
    what: "--scale without a recording",
    task: "env:play",
    args: [...quick, "--scale", "3"],
    message: /--scale applies only with --gif FILE or --strip FILE/,
  },
  {
    what: "--force without a recording",
    task: "env:play",
    args: [...quick, "--force"],
    message: /--force applies only with --gif FILE or --strip FILE/,
  },
  {
    what: "--scale out of range",
    task: "env:play",
    args: [...quick, "--gif", "$DIR/a.gif", "--scale", "9"],
    message: /--scale must be <= 8, got 9/,
    absent: ["a.gif"],
  },
  {
    what: "--strip-frames above --record-frames",
    task: "env:play",
    args: [...quick, "--strip", "$DIR/s.png", "--strip-frames", "50", "--record-frames", "10"],
    message: /--strip-frames 50 is more than the 10 frames recorded \(--record-frames\)/,
    absent: ["s.png"],
  },
  {
    what: "--gif and --strip the same file",
    task: "env:play",
    args: [...quick, "--gif", "$DIR/a", "--strip", "$DIR/a"],
    message: /--gif and --strip name the same file/,
    absent: ["a"],
  },
  {
    what: "--gif= (empty)",
    task: "env:play",
    args: ["--gif="],
    message: /--gif must not be empty/,
  },
  {
    what: "--gif with no value",
    task: "env:play",
    args: [...quick, "--gif"],
    message: /--gif needs a value/,
  },
  // env:play: recording files, refused before any play.
  {
    what: "--gif naming a folder",
    task: "env:play",
    args: [...quick, "--gif", "$DIR"],
    message: /--gif .* is a folder; give a file in it/,
  },
  {
    what: "--gif ending in a slash",
    task: "env:play",
    args: [...quick, "--gif", "$DIR/"],
    message: /--gif .*\/ names a folder; give a file/,
  },
  {
    what: "--gif in a missing folder",
    task: "env:play",
    args: [...quick, "--gif", "$DIR/missing/a.gif"],
    message: /cannot write --gif .*missing\/a\.gif: its folder .*missing does not exist/,
    absent: ["missing"],
  },
  {
    what: "--strip below a file",
    task: "env:play",
    args: [...quick, "--strip", "$DIR/notes.txt/a.png"],
    setup: (d) => Deno.writeTextFile(`${d}/notes.txt`, "mine"),
    message: /cannot write --strip .*notes\.txt\/a\.png: .*notes\.txt is a file, not a folder/,
  },
  {
    what: "--gif over an existing file (kept without --force)",
    task: "env:play",
    args: [...quick, "--gif", "$DIR/old.gif"],
    setup: (d) => Deno.writeTextFile(`${d}/old.gif`, "my gif"),
    message: /old\.gif already exists and was not written by this project; pass --force/,
  },
  {
    what: "--strip over an existing file (kept without --force)",
    task: "env:play",
    args: [...quick, "--gif", "$DIR/new.gif", "--strip", "$DIR/old.png"],
    setup: (d) => Deno.writeTextFile(`${d}/old.png`, "my png"),
    message: /old\.png already exists .*pass --force/,
    absent: ["new.gif"],
  },
  {
    what: "--gif in a folder that cannot be written (immutable)",
    task: "env:play",
    args: [...quick, "--gif", "$DIR/ro/a.gif"],
    setup: async (d) => {
      await Deno.mkdir(`${d}/ro`);
      await immutable(`${d}/ro`, true);
    },
    cleanup: (d) => immutable(`${d}/ro`, false),
    message:
      /cannot write --gif .*ro\/a\.gif into .*ro: (permission denied|Operation not permitted)/,
  },
  {
    what: "--gif a device, even with --force",
    task: "env:play",
    args: [...quick, "--gif", "/dev/null", "--force"],
    message: /(cannot write --gif \/dev\/null: .*access|--gif \/dev\/null is not a regular file)/,
  },
  // env:play: memory.
  {
    what: "a recording that would not fit in memory (preprocessed, --scale 8)",
    task: "env:play",
    args: [...quick, "--gif", "$DIR/a.gif", "--record-frames", "100000", "--scale", "8"],
    message: /recording --record-frames 100000 frames at --scale 8 .* needs about \d+\.\d GiB/,
    absent: ["a.gif"],
  },
  {
    what: "a raw recording that would not fit in memory, with many episodes",
    task: "env:play",
    args: [
      "--env",
      "pong",
      "--episodes",
      "1000000",
      "--view",
      "raw",
      "--strip",
      "$DIR/s.png",
      "--record-frames",
      "100000",
    ],
    message: /recording --record-frames 100000 frames .*--view raw.* needs about \d+\.\d GiB/,
    absent: ["s.png"],
  },
  // serve:web: flags.
  {
    what: "--port too large",
    task: "serve:web",
    args: ["--port", "70000"],
    message: /--port must be <= 65535/,
  },
  {
    what: "--port negative",
    task: "serve:web",
    args: ["--port", "-1"],
    message: /--port must be >= 0/,
  },
  {
    what: "--port not a number",
    task: "serve:web",
    args: ["--port", "http"],
    message: /--port must be an integer, got "http"/,
  },
  {
    what: "--port fractional",
    task: "serve:web",
    args: ["--port=80.5"],
    message: /--port must be an integer, got "80.5"/,
  },
  {
    what: "--port twice",
    task: "serve:web",
    args: ["--port", "1", "--port", "2"],
    message: /--port is given more than once/,
  },
  {
    what: "an unknown flag",
    task: "serve:web",
    args: ["--host", "0.0.0.0"],
    message: /unknown flag --host/,
  },
  {
    what: "a positional argument",
    task: "serve:web",
    args: ["dist"],
    message: /unexpected argument "dist"/,
  },
  // build:web: flags.
  {
    what: "an unknown flag",
    task: "build:web",
    args: ["--out", "x"],
    message: /unknown flag --out/,
  },
  {
    what: "a positional argument",
    task: "build:web",
    args: ["web"],
    message: /unexpected argument "web"/,
  },
  {
    what: "--force with a value",
    task: "build:web",
    args: ["--force=yes"],
    message: /--force.* does not take an argument/,
  },
];

badInputTests(CASES);

Deno.test("--help of env:play, serve:web and build:web lists every flag with its default", async () => {
  const expected: Record<string, string[]> = {
    "env:play": [
      "env",
      "policy",
      "episodes",
      "num-envs",
      "seed",
      "max-steps",
      "view",
      "gif",
      "strip",
      "force",
      "record-frames",
      "strip-frames",
      "scale",
    ],
    "serve:web": ["port"],
    "build:web": ["force"],
  };
  for (const [task, flags] of Object.entries(expected)) {
    const out = await runTask(task, ["--help"]);
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stderr, "");
    assert.match(out.stdout, new RegExp(`^usage: deno task ${task}`));
    for (const f of flags) assert.match(out.stdout, new RegExp(`\\n  --${f}\\b`), `${task} --${f}`);
    const options = out.stdout.split("\n").filter((l) => /^ {2}--/.test(l));
    assert.equal(options.length, flags.length + 1, `${task}: the flags and --debug`);
  }
  const play = (await runTask("env:play", ["--help"])).stdout;
  assert.match(play, /--episodes N .*\(default 4; >= 1, <= 1000000\)/);
  assert.match(play, /--scale N .*\(default 2; >= 1, <= 8\)/);
  assert.match((await runTask("serve:web", ["--help"])).stdout, /--port N .*default 8437; >= 0/);
});

Deno.test("env:play: a recording replaces an existing file only with --force", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/play.gif`, "mine");
    await Deno.writeTextFile(`${dir}/play.png`, "mine");
    const args = [...quick, "--gif", `${dir}/play.gif`, "--strip", `${dir}/play.png`];
    const refused = await runTask("env:play", args);
    assert.equal(refused.code, 2, refused.stderr);
    assert.equal(refused.stdout, "", "refused before any play");
    assert.equal(await Deno.readTextFile(`${dir}/play.gif`), "mine");
    assert.equal(await Deno.readTextFile(`${dir}/play.png`), "mine");
    const forced = await runTask("env:play", [...args, "--strip-frames", "4", "--force"]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stdout, /episode 1: score -?\d+ in \d+ steps/);
    assert.match(forced.stdout, /frames of episode 1 in .*play\.gif/);
    assert.match(forced.stdout, /a strip of 4 frames .*play\.png/);
    const gif = await Deno.readFile(`${dir}/play.gif`);
    assert.equal(new TextDecoder().decode(gif.subarray(0, 6)), "GIF89a");
    const png = await Deno.readFile(`${dir}/play.png`);
    assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]); // "PNG"
    // Nothing else in the folder: no probe file, no temporary file, no manifest.
    const names = [];
    for await (const e of Deno.readDir(dir)) names.push(e.name);
    assert.deepEqual(names.sort(), ["play.gif", "play.png"]);
    // A single GIF path is not recorded: the next run refuses it again without --force.
    const again = await runTask("env:play", [...quick, "--gif", `${dir}/play.gif`]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /play\.gif already exists/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("env:play: episodes that do not end within --max-steps fail the run (exit 1)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = await runTask("env:play", [
      ...quick,
      "--max-steps",
      "3",
      "--gif",
      `${dir}/a.gif`,
    ]);
    assert.equal(out.code, 1, out.stderr);
    assert.equal(
      out.stderr,
      "env:play: only 0 of 1 episodes ended within --max-steps 3; nothing was recorded\n",
    );
    await assert.rejects(Deno.stat(`${dir}/a.gif`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Runs envPlayMain in-process, catching what it prints. */
async function playInProcess(
  args: string[],
  open: (name: string) => Promise<VectorEnv>,
): Promise<{ code: number; stdout: string[]; stderr: string[] }> {
  const stdout: string[] = [], stderr: string[] = [];
  const error = console.error;
  console.error = (...a: unknown[]) => stderr.push(a.join(" "));
  try {
    const code = await envPlayMain(args, { log: (l) => stdout.push(l), open });
    return { code, stdout, stderr };
  } finally {
    console.error = error;
  }
}

/** A Catch environment named ale:pong whose step (or reset) fails as a dead ALE bridge does. */
function dyingEnv(options: { failAtStep?: number; failReset?: boolean; onClose?: () => void }) {
  const game = createGame("catch", { numEnvs: 1, seed: 0 });
  let n = 0;
  const env: VectorEnv = {
    name: "ale:pong",
    numEnvs: game.numEnvs,
    actions: game.actions,
    observationShape: game.observationShape,
    observationType: game.observationType,
    frameSkip: game.frameSkip,
    reset: (seed?: number) =>
      options.failReset
        ? Promise.reject(new Error("ale:pong: the ALE bridge did not answer within 10 ms"))
        : game.reset(seed),
    step: (a: Int32Array) => {
      if (++n > (options.failAtStep ?? Infinity)) {
        return Promise.reject(
          new Error(
            "ale:pong: the ALE bridge died (exit code 1); its stderr ends with:\nTraceback\n  File x\nMemoryError",
          ),
        );
      }
      return game.step(a);
    },
    close: () => {
      options.onClose?.();
      return game.close();
    },
  };
  return env;
}

Deno.test("env:play: an environment dying mid-play (the ALE bridge) exits 1 with one line", async () => {
  let closed = false;
  const out = await playInProcess(
    ["--episodes", "1"],
    () => Promise.resolve(dyingEnv({ failAtStep: 5, onClose: () => closed = true })),
  );
  assert.equal(out.code, 1);
  assert.equal(out.stderr.length, 1, out.stderr.join("|"));
  assert.ok(!out.stderr[0].includes("\n"), out.stderr[0]);
  assert.match(
    out.stderr[0],
    /^env:play: ale:pong failed while playing after 5 agent steps: ale:pong: the ALE bridge died \(exit code 1\).*MemoryError$/,
  );
  assert.ok(closed, "the environment was closed");
  const reset = await playInProcess(
    ["--episodes", "1"],
    () => Promise.resolve(dyingEnv({ failReset: true })),
  );
  assert.equal(reset.code, 1);
  assert.match(reset.stderr[0], /^env:play: ale:pong failed at the reset after 0 agent steps/);
});

Deno.test("serve:web: a port in use exits 2 naming it", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const port = (listener.addr as Deno.NetAddr).port;
    const built = await ensurePage();
    try {
      const out = await runTask("serve:web", ["--port", String(port)]);
      assert.equal(out.code, 2, out.stderr);
      assert.equal(out.stdout, "");
      assert.equal(
        out.stderr,
        `serve:web: port ${port} on 127.0.0.1 is in use; choose another with --port\n`,
      );
    } finally {
      await built();
    }
  } finally {
    listener.close();
  }
});

/** Whether a path exists. */
async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Makes sure dist/web/index.html exists (a stand-in page when not built); returns a function that
 * removes exactly what it created.
 */
async function ensurePage(): Promise<() => Promise<void>> {
  const made: string[] = [];
  for (const p of [DIST, `${DIST}/web`]) {
    if (!(await exists(p))) {
      await Deno.mkdir(p);
      made.unshift(p);
    }
  }
  const page = `${DIST}/web/index.html`;
  if (!(await exists(page))) {
    await Deno.writeTextFile(page, "<!doctype html><title>stand-in</title>\n");
    made.unshift(page);
  }
  return async () => {
    for (const p of made) await Deno.remove(p);
  };
}

Deno.test("serve:web serves dist/web/index.html on a free port, and / leads there", async () => {
  const built = await ensurePage();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net=127.0.0.1",
      "--allow-read=dist",
      "scripts/serve_web.ts",
      "--port",
      "0",
    ],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  try {
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!/\n/.test(text)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    const m = /serving dist\/ at (http:\/\/127\.0\.0\.1:\d+\/web\/) \(Ctrl-C to stop\)/.exec(text);
    assert.ok(m, text);
    const page = await fetch(m[1]);
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type")!, /text\/html/);
    assert.equal(await page.text(), await Deno.readTextFile(`${DIST}/web/index.html`));
    const root = await fetch(new URL("/", m[1]), { redirect: "manual" });
    assert.equal(root.status, 302);
    assert.equal(new URL(root.headers.get("location")!).pathname, "/web/");
    await root.body?.cancel();
    const outside = await fetch(new URL("/web/%2e%2e/%2e%2e/deno.json", m[1]));
    assert.ok(outside.status === 400 || outside.status === 404, `${outside.status}`);
    await outside.body?.cancel();
    child.kill("SIGTERM");
    let rest = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      rest += value;
    }
    const status = await child.status;
    assert.equal(status.code, 0, rest);
    assert.match(rest, /serve:web: stopped/);
    assert.equal(await new Response(child.stderr).text(), "");
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* already exited */ }
    await child.status;
    await built();
  }
});

Deno.test("serve:web without a built page says to run build:web (exit 2)", async () => {
  await withDistAside(async () => {
    await Deno.mkdir(`${DIST}/web`, { recursive: true });
    const out = await runTask("serve:web", ["--port", "0"]);
    assert.equal(out.code, 2);
    assert.equal(out.stdout, "");
    assert.equal(
      out.stderr,
      "serve:web: dist/web/index.html is missing: run deno task build:web first\n",
    );
  });
});

/** Runs `body` with the repository's dist/ moved aside (and puts it back, removing any new one). */
async function withDistAside(body: () => Promise<void>): Promise<void> {
  const aside = `${ROOT.pathname}.dist-aside-${crypto.randomUUID().slice(0, 8)}`;
  const had = await exists(DIST);
  if (had) await Deno.rename(DIST, aside);
  try {
    await body();
  } finally {
    if (await exists(DIST)) await Deno.remove(DIST, { recursive: true });
    if (had) await Deno.rename(aside, DIST);
  }
}

Deno.test("build:web with dist a file, or dist/web a file, exits 2 naming it and changes nothing", async () => {
  await withDistAside(async () => {
    await Deno.writeTextFile(DIST, "my notes");
    const out = await runTask("build:web", []);
    assert.equal(out.code, 2, out.stderr);
    assert.equal(out.stdout, "");
    assert.equal(
      out.stderr,
      "build:web: dist is a file, not a folder: build:web writes its bundles into dist/; move the file away\n",
    );
    assert.equal(await Deno.readTextFile(DIST), "my notes");
    await Deno.remove(DIST);
    await Deno.mkdir(DIST);
    await Deno.writeTextFile(`${DIST}/web`, "mine");
    const web = await runTask("build:web", ["--force"]);
    assert.equal(web.code, 2, web.stderr);
    assert.match(web.stderr, /^build:web: dist\/web is a file, not a folder/);
    assert.equal(await Deno.readTextFile(`${DIST}/web`), "mine");
  });
});

Deno.test({
  name: "build:web into a dist/ that cannot be written (immutable) exits 2 before any work",
  ignore: !CHATTR,
  fn: async () => {
    await withDistAside(async () => {
      await Deno.mkdir(DIST);
      await immutable(DIST, true);
      try {
        const out = await runTask("build:web", []);
        assert.equal(out.code, 2, out.stderr);
        assert.equal(out.stdout, "");
        assert.match(
          out.stderr,
          /^build:web: cannot write into dist\/: (permission denied|Operation not permitted)/,
        );
      } finally {
        await immutable(DIST, false);
      }
      assert.deepEqual([...Deno.readDirSync(DIST)], []);
    });
  },
});

Deno.test("build:web refuses a file it did not write before any work; leaves foreign files alone", async () => {
  await withDistAside(async () => {
    await Deno.mkdir(`${DIST}/web`, { recursive: true });
    await Deno.writeTextFile(`${DIST}/eprop.js`, "// mine");
    await Deno.writeTextFile(`${DIST}/web/notes.txt`, "mine");
    const refused = await runTask("build:web", []);
    assert.equal(refused.code, 2, refused.stderr);
    assert.equal(refused.stdout, "");
    assert.match(refused.stderr, /^build:web: dist\/eprop\.js already exists .*pass --force/);
    assert.equal(await Deno.readTextFile(`${DIST}/eprop.js`), "// mine");
    assert.ok(!(await exists(`${DIST}/web/index.html`)), "nothing was built");
    // With --force it replaces eprop.js, and leaves dist/web/notes.txt alone.
    const built = await runTask("build:web", ["--force"]);
    assert.equal(built.code, 0, built.stderr);
    assert.match(
      built.stdout,
      /dist\/web also holds 1 file\(s\) build:web did not write.*notes\.txt/,
    );
    assert.equal(await Deno.readTextFile(`${DIST}/web/notes.txt`), "mine");
    assert.notEqual(await Deno.readTextFile(`${DIST}/eprop.js`), "// mine");
    const manifest = JSON.parse(await Deno.readTextFile(`${DIST}/web/${OUTPUTS_MANIFEST}`));
    assert.ok("index.html" in manifest && !("notes.txt" in manifest));
    // Its own outputs it replaces without --force.
    const again = await runTask("build:web", []);
    assert.equal(again.code, 0, again.stderr);
  });
});

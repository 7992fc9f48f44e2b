/**
 * The Atari bridge (src/env/ale/): shapes, determinism under a seed, a random policy's Pong score,
 * raw frames, the TypeScript preprocessing against ALE's own (bit for bit), episode cuts, clean
 * shutdown and clear errors. Skipped (with a message) where python3 has no ale-py.
 */
import assert from "node:assert/strict";
import { aleAvailable, createAleEnv } from "../src/env/ale/ale_env.ts";
import { preprocess, preprocessFrame } from "../src/env/preprocess.ts";
import type { VectorEnv } from "../src/env/vector_env.ts";
import { Rng } from "../src/util/rng.ts";

const version = await aleAvailable();
const ignore = version === undefined;
if (ignore) {
  console.log("env_ale_test: skipped, python3 has no ale-py (pip install ale-py gymnasium)");
}

/** Largest |a - b| in grey levels (values x 255) and how many entries differ. */
function maxDiff(a: Float32Array, b: Float32Array): { levels: number; count: number } {
  let m = 0, count = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (d > 0) count++;
    if (d > m) m = d;
  }
  return { levels: m * 255, count };
}

function randomActions(env: VectorEnv, rng: Rng, out: Int32Array): Int32Array {
  for (let i = 0; i < out.length; i++) out[i] = rng.int(env.actions.length);
  return out;
}

/** Whether no process has this id (SIGCONT: harmless to a running one). */
function processGone(pid: number): boolean {
  try {
    Deno.kill(pid, "SIGCONT");
    return false;
  } catch {
    return true;
  }
}

Deno.test({
  name: "pong: shapes of reset and step, action names, lives",
  ignore,
  async fn() {
    const env = await createAleEnv({ game: "pong", numEnvs: 4, seed: 1 });
    try {
      assert.equal(env.name, "ale:pong");
      assert.equal(env.aleVersion, version);
      assert.deepEqual(env.actions, ["NOOP", "FIRE", "RIGHT", "LEFT", "RIGHTFIRE", "LEFTFIRE"]);
      assert.deepEqual(env.observationShape, { height: 84, width: 84, channels: 1 });
      assert.equal(env.observationType, "float32");
      assert.equal(env.frameSkip, 4);
      const obs = await env.reset();
      assert.ok(obs instanceof Float32Array && obs.length === 4 * 84 * 84);
      assert.ok(obs.every((v) => v >= 0 && v <= 1));
      const s = await env.step(new Int32Array([0, 1, 2, 3]));
      assert.ok(s.observations instanceof Float32Array && s.observations.length === 4 * 84 * 84);
      for (const a of [s.rewards, s.rawRewards, s.terminated, s.truncated, s.lives]) {
        assert.equal(a.length, 4);
      }
      assert.deepEqual([...s.lives], [0, 0, 0, 0]); // Pong has no lives
      assert.deepEqual(s.episodes, []);
    } finally {
      await env.close();
    }
  },
});

Deno.test({
  name: "equal seeds give equal frames and rewards for the same actions",
  ignore,
  async fn() {
    const run = async () => {
      const env = await createAleEnv({ game: "pong", numEnvs: 2, seed: 42 });
      const frames: Float32Array[] = [await env.reset() as Float32Array];
      const rewards: number[] = [], rng = new Rng(9), act = new Int32Array(2);
      for (let t = 0; t < 120; t++) {
        const s = await env.step(randomActions(env, rng, act));
        frames.push(s.observations as Float32Array), rewards.push(...s.rawRewards);
      }
      await env.close();
      return { frames, rewards };
    };
    const a = await run(), b = await run();
    assert.deepEqual(b.rewards, a.rewards);
    a.frames.forEach((f, t) => assert.equal(maxDiff(f, b.frames[t]).count, 0, `step ${t}`));
  },
});

Deno.test({
  name: "episodes split over two bridge processes: step() and stepGroup() equal one process",
  ignore,
  async fn() {
    const N = 5, seed = 7;
    const one = await createAleEnv({ game: "pong", numEnvs: N, seed, maxEpisodeSteps: 40 });
    const two = await createAleEnv({
      game: "pong",
      numEnvs: N,
      seed,
      maxEpisodeSteps: 40,
      processes: 2,
    });
    try {
      assert.deepEqual(two.groupStarts, [0, 3, 5]);
      assert.equal(two.pids.length, 2);
      assert.notEqual(two.pids[0], two.pids[1]);
      assert.deepEqual(one.groupStarts, [0, N]);
      assert.equal(
        maxDiff(await one.reset() as Float32Array, await two.reset() as Float32Array)
          .count,
        0,
      );
      const rng = new Rng(5), act = new Int32Array(N);
      const ends = { one: [] as string[], two: [] as string[] };
      for (let t = 0; t < 90; t++) {
        randomActions(one, rng, act);
        const a = await one.step(act);
        // odd steps: both groups at once, stepped on their own (as a double-buffered agent does)
        const b = t % 2 === 0 ? await two.step(act) : await (async () => {
          const [g0, g1] = await Promise.all([
            two.stepGroup(0, act.slice(0, 3)),
            two.stepGroup(1, act.slice(3)),
          ]);
          const observations = new Float32Array(N * 84 * 84);
          observations.set(g0.observations), observations.set(g1.observations, 3 * 84 * 84);
          return {
            observations,
            rawRewards: Float64Array.of(...g0.rawRewards, ...g1.rawRewards),
            truncated: Uint8Array.of(...g0.truncated, ...g1.truncated),
            episodes: [...g0.episodes, ...g1.episodes],
          };
        })();
        assert.equal(
          maxDiff(a.observations as Float32Array, b.observations as Float32Array).count,
          0,
          `step ${t}`,
        );
        assert.deepEqual([...b.rawRewards], [...a.rawRewards]);
        assert.deepEqual([...b.truncated], [...a.truncated]);
        ends.one.push(...a.episodes.map((e) => JSON.stringify(e)));
        ends.two.push(...b.episodes.map((e) => JSON.stringify(e)));
      }
      assert.ok(ends.one.length >= N, "every episode was cut at least once");
      assert.deepEqual(ends.two.sort(), ends.one.sort());
      await assert.rejects(
        () => two.stepGroup(2, new Int32Array(2)),
        /group must be an integer in \[0, 1\]/,
      );
      await assert.rejects(
        () => two.stepGroup(1, new Int32Array(3)),
        /actions must be an Int32Array of 2 \(one per episode of group 1\)/,
      );
      await assert.rejects(
        createAleEnv({ game: "pong", numEnvs: 2, seed: 1, processes: 3 }),
        /processes must be at most numEnvs \(2\), got 3/,
      );
    } finally {
      await one.close(), await two.close();
    }
    assert.ok(two.pids.every(processGone) || await waitGone(two.pids));
  },
});

/** Waits up to 2 s for processes to exit. */
async function waitGone(pids: readonly number[]): Promise<boolean> {
  for (let i = 0; i < 40 && !pids.every(processGone); i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  return pids.every(processGone);
}

Deno.test({
  name: "a random policy scores about -20.7 at Pong",
  ignore,
  async fn() {
    const N = 12, env = await createAleEnv({ game: "pong", numEnvs: N, seed: 3 });
    try {
      await env.reset();
      const rng = new Rng(4), act = new Int32Array(N), scores: number[] = [];
      let clipped = 0, raw = 0;
      for (let t = 0; t < 5000 && scores.length < N; t++) {
        const s = await env.step(randomActions(env, rng, act));
        for (let i = 0; i < N; i++) clipped += s.rewards[i], raw += s.rawRewards[i];
        for (const e of s.episodes) {
          assert.equal(e.truncated, false);
          assert.ok(e.steps > 500 && e.frames > 4 * (e.steps - 1), `${JSON.stringify(e)}`);
          scores.push(e.score);
        }
      }
      const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
      console.log(`random Pong: ${scores.length} episodes, mean score ${mean.toFixed(2)}`);
      assert.ok(scores.length >= N);
      assert.ok(mean >= -21 && mean <= -19, `mean ${mean}`);
      assert.equal(clipped, raw); // Pong's rewards are +-1 already
    } finally {
      await env.close();
    }
  },
});

Deno.test({
  name: "raw mode: RGB 210x160 frames, one emulator frame per step",
  ignore,
  async fn() {
    const env = await createAleEnv({ game: "fishing_derby", numEnvs: 2, seed: 1, raw: true });
    try {
      assert.deepEqual(env.observationShape, { height: 210, width: 160, channels: 3 });
      assert.equal(env.observationType, "uint8");
      assert.equal(env.frameSkip, 1);
      assert.equal(env.actions.length, 18);
      const obs = await env.reset();
      assert.ok(obs instanceof Uint8Array && obs.length === 2 * 210 * 160 * 3);
      const s = await env.step(new Int32Array([0, 1]));
      assert.ok(s.observations instanceof Uint8Array);
      assert.equal(s.observations.length, 2 * 210 * 160 * 3);
    } finally {
      await env.close();
    }
  },
});

Deno.test({
  name: "TypeScript preprocessing of raw frames equals ALE's own, bit for bit",
  ignore,
  async fn() {
    // Measured: max |difference| 0 on pong, fishing_derby, breakout, ms_pacman, seaquest and
    // enduro (250 agent steps of 4 envs each, sizes 84, 64, 42, 17), up to the first episode end
    // (after it the two sides' next episodes start with different random no-ops).
    for (const game of ["pong", "fishing_derby"]) {
      const N = 3, ref = await createAleEnv({ game, numEnvs: N, seed: 7 });
      const raw = await createAleEnv({ game, numEnvs: N, seed: 7, raw: true });
      const ts = preprocess(raw);
      try {
        // preprocessFrame on its own: each first raw frame against ALE's first frame
        const r0 = await ref.reset() as Float32Array;
        const rawFirst = await raw.reset() as Uint8Array, mine = new Float32Array(84 * 84);
        for (let i = 0; i < N; i++) {
          preprocessFrame(rawFirst.subarray(i * 100800, (i + 1) * 100800), 210, 160, 84, mine);
          assert.equal(maxDiff(mine, r0.subarray(i * 7056, (i + 1) * 7056)).count, 0, `${game}`);
        }
        // the wrapper, step by step (both sides reset again with the same seed)
        assert.equal(maxDiff(await ref.reset() as Float32Array, await ts.reset()).count, 0);
        const rng = new Rng(11), act = new Int32Array(N);
        let worst = 0, steps = 0, distinct = 0;
        let previous = r0;
        for (let t = 0; t < 150; t++) {
          randomActions(ref, rng, act);
          const a = await ref.step(act), b = await ts.step(act);
          if (a.episodes.length || b.episodes.length) break;
          assert.deepEqual([...b.rawRewards], [...a.rawRewards]);
          const oa = a.observations as Float32Array;
          worst = Math.max(worst, maxDiff(oa, b.observations).levels);
          if (maxDiff(oa, previous).count > 0) distinct++;
          previous = oa, steps++;
        }
        console.log(`${game}: ${steps} steps, max |TS - ALE| = ${worst} grey levels`);
        assert.ok(steps >= 100 && distinct >= 50, `${game}: ${steps} steps, ${distinct} distinct`);
        assert.equal(worst, 0);
      } finally {
        await ref.close(), await ts.close();
      }
    }
  },
});

Deno.test({
  name: "episodes are cut at maxEpisodeSteps with jitter and restart at the same step",
  ignore,
  async fn() {
    const env = await createAleEnv({
      game: "pong",
      numEnvs: 2,
      seed: 5,
      maxEpisodeSteps: 20,
      jitter: 5,
    });
    const wrapped = preprocess(
      await createAleEnv({ game: "pong", numEnvs: 2, seed: 5, raw: true }),
      {
        maxEpisodeSteps: 12,
      },
    );
    try {
      await env.reset(), await wrapped.reset();
      const lengths: number[] = [], act = new Int32Array(2);
      for (let t = 0; t < 60; t++) {
        const s = await env.step(act);
        for (const e of s.episodes) {
          assert.equal(e.truncated, true);
          assert.equal(s.truncated[e.env], 1);
          assert.equal(s.terminated[e.env], 0);
          lengths.push(e.steps);
        }
      }
      assert.ok(lengths.length >= 4 && lengths.every((n) => n >= 15 && n <= 20), `${lengths}`);
      let cuts = 0;
      for (let t = 0; t < 12; t++) {
        for (const e of (await wrapped.step(act)).episodes) {
          assert.deepEqual([e.steps, e.truncated], [12, true]), cuts++;
        }
      }
      assert.equal(cuts, 2);
    } finally {
      await env.close(), await wrapped.close();
    }
  },
});

Deno.test({
  name: "close ends the bridge process; a killed bridge is reported with its stderr",
  ignore,
  async fn() {
    const env = await createAleEnv({ game: "pong", numEnvs: 2, seed: 1 });
    await env.reset();
    assert.equal(processGone(env.pid), false);
    await env.close();
    assert.equal(processGone(env.pid), true);
    await env.close(); // twice is fine
    await assert.rejects(
      env.step(new Int32Array(2)),
      /Cannot step ale:pong: the environment is closed/,
    );
    await assert.rejects(env.reset(), /closed/);

    const dying = await createAleEnv({ game: "pong", numEnvs: 2, seed: 1 });
    await dying.reset();
    Deno.kill(dying.pid, "SIGKILL");
    await assert.rejects(
      dying.step(new Int32Array(2)),
      /ale:pong: the ALE bridge (died|has exited)/,
    );
    await dying.close();
  },
});

Deno.test({
  name: "an exception in an ALE worker thread (only logged by ALE) becomes an error, not a hang",
  ignore,
  async fn() {
    const dir = decodeURIComponent(new URL("../src/env/ale/", import.meta.url).pathname);
    const script = [
      "import os, sys, time",
      `sys.path.insert(0, ${JSON.stringify(dir)})`,
      "import ale_bridge as b",
      "b.watch_stderr(b.Channel())",
      "os.write(2, b'Error in worker thread: boom\\n')",
      "time.sleep(20)",
    ].join("\n");
    const out = await new Deno.Command("python3", {
      args: ["-c", script],
      stdout: "piped",
      stderr: "piped",
      env: { PYTHONDONTWRITEBYTECODE: "1" },
    }).output();
    assert.equal(out.code, 3);
    const view = new DataView(out.stdout.buffer);
    assert.equal(view.getUint32(0, true), 3); // ERROR
    const text = new TextDecoder().decode(out.stdout.subarray(8, 8 + view.getUint32(4, true)));
    assert.equal(text, "ALE emulator crashed: Error in worker thread: boom");
    assert.match(new TextDecoder().decode(out.stderr), /Error in worker thread: boom/);
  },
});

Deno.test({
  name: "bad inputs: unknown game, wrong actions, bad options, missing ale-py",
  ignore,
  async fn() {
    await assert.rejects(
      createAleEnv({ game: "pongg", numEnvs: 1, seed: 0 }),
      /Cannot create ale:pongg: unknown Atari game "pongg".*close names: pong/,
    );
    await assert.rejects(
      createAleEnv({ game: "FishingDerby", numEnvs: 1, seed: 0 }),
      /close names: fishing_derby/,
    );
    const env = await createAleEnv({ game: "pong", numEnvs: 2, seed: 0 });
    try {
      await assert.rejects(env.step(new Int32Array(2)), /call reset\(\) first/);
      await env.reset();
      await assert.rejects(env.step(new Int32Array([0, 6])), {
        name: "RangeError",
        message:
          /actions\[1\] must be in \[0, 5\] \(NOOP, FIRE, RIGHT, LEFT, RIGHTFIRE, LEFTFIRE\), got 6/,
      });
      await assert.rejects(env.step(new Int32Array(3)), {
        name: "RangeError",
        message: /Int32Array of 2/,
      });
      await assert.rejects(env.step([0, 0] as unknown as Int32Array), /got object/);
      assert.equal((await env.step(new Int32Array(2))).observations.length, 2 * 84 * 84);
    } finally {
      await env.close();
    }
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ numEnvs: 0 }, /numEnvs must be an integer in \[1, 4096\], got 0/],
      [{ raw: true, frameSkip: 4 }, /frameSkip must be 1 in raw mode, got 4/],
      [{ jitter: 3 }, /jitter must be an integer in \[0, 0\]/],
      [{ noopMax: -1 }, /noopMax must be an integer in \[0, 10000\]/],
      [{ seed: 1.5 }, /seed must be an integer/],
      [{ frameskip: 4 }, /unknown option frameskip/],
    ];
    for (const [extra, message] of bad) {
      await assert.rejects(
        createAleEnv({ game: "pong", numEnvs: 1, seed: 0, ...extra } as never),
        message,
      );
    }
    await assert.rejects(
      createAleEnv({ game: "pong", numEnvs: 1, seed: 0, python: "/nonexistent/python3" }),
      /Python executable "\/nonexistent\/python3" not found/,
    );
    // a Python that cannot see site-packages stands for one without ale-py
    const fake = await Deno.makeTempFile({ suffix: ".sh" });
    try {
      await Deno.writeTextFile(fake, '#!/bin/sh\nexec python3 -S "$@"\n');
      await Deno.chmod(fake, 0o755);
      assert.equal(await aleAvailable(fake), undefined);
      await assert.rejects(
        createAleEnv({ game: "pong", numEnvs: 1, seed: 0, python: fake }),
        /Cannot create ale:pong: ale-py is not installed for .*: pip install ale-py/,
      );
    } finally {
      await Deno.remove(fake);
    }
  },
});

for (const processes of [1, 2]) {
  Deno.test({
    name:
      `ale snapshot/restore: stepping on after a restore repeats the frames (${processes} process(es))`,
    ignore,
    fn: async () => {
      const options = {
        game: "pong",
        numEnvs: 3,
        seed: 9,
        processes,
        maxEpisodeSteps: 12,
        jitter: 3,
      };
      const env = await createAleEnv(options);
      let other: Awaited<ReturnType<typeof createAleEnv>> | undefined;
      try {
        const rng = new Rng(4), actions = new Int32Array(3);
        await env.reset();
        for (let t = 0; t < 20; t++) await env.step(randomActions(env, rng, actions));
        const snap = structuredClone(await env.snapshot());
        const plan = Array.from({ length: 20 }, () => randomActions(env, rng, new Int32Array(3)));
        const play = async (e: VectorEnv) => {
          const out = [];
          for (const a of plan) {
            const s = await e.step(a);
            out.push({
              obs: Array.from(s.observations),
              rewards: Array.from(s.rawRewards),
              ended: Array.from(s.terminated).concat(Array.from(s.truncated)),
              episodes: s.episodes,
            });
          }
          return out;
        };
        const first = await play(env);
        assert.ok(first.some((s) => s.episodes.length > 0), "episodes were cut after the snapshot");
        await env.restore(snap);
        assert.deepEqual(await play(env), first, "restored in the same environment");
        other = await createAleEnv(options);
        await other.restore(structuredClone(snap));
        assert.deepEqual(await play(other), first, "restored in a new environment");
        await assert.rejects(
          () => other!.restore({ ...snap, processes: 3 - processes }),
          /Cannot restore ale:pong: the snapshot is of ale:pong with 3 episodes in/,
        );
      } finally {
        await env.close();
        await other?.close();
      }
    },
  });
}

/** The observations of `steps` agent steps of env under fixed actions (index k at step k). */
async function observe(env: VectorEnv, actions: (k: number) => Int32Array, steps: number) {
  const out: Float32Array[] = [new Float32Array(await env.reset())];
  for (let k = 0; k < steps; k++) {
    out.push(new Float32Array((await env.step(actions(k))).observations));
  }
  await env.close();
  return out;
}

Deno.test({
  name: "pong: actions by name from the full set, sticky actions, the last screen without max-pool",
  ignore,
  async fn() {
    const rng = new Rng(8), picks = Array.from({ length: 120 }, () => rng.int(3));
    const names = ["NOOP", "RIGHT", "LEFT"], minimal = [0, 2, 3]; // NOOP FIRE RIGHT LEFT ...
    const base = { game: "pong", numEnvs: 2, seed: 5 };
    const sub = await createAleEnv({ ...base, actions: names });
    assert.deepEqual(sub.actions, names);
    await assert.rejects(() => sub.step(new Int32Array([3, 0])), /actions\[0\] must be in/);
    const a = await observe(sub, (k) => new Int32Array([picks[k], picks[k]]), 120);
    const b = await observe(
      await createAleEnv(base),
      (k) => new Int32Array([minimal[picks[k]], minimal[picks[k]]]),
      120,
    );
    assert.ok(a.every((o, k) => maxDiff(o, b[k]).count === 0), "the same game, action by name");

    const sticky = (seed: number) => createAleEnv({ ...base, seed, stickyActions: 0.25 });
    const act = (k: number) => new Int32Array([minimal[picks[k]], minimal[picks[k]]]);
    const s1 = await observe(await sticky(5), act, 120);
    const s2 = await observe(await sticky(5), act, 120);
    assert.ok(s1.every((o, k) => maxDiff(o, s2[k]).count === 0), "sticky actions are seeded");
    assert.ok(s1.some((o, k) => maxDiff(o, b[k]).count > 0), "sticky actions change the game");

    // max over the last two frames, then an area resize: never below the last frame's resize
    const last = await observe(await createAleEnv({ ...base, maxPool: false }), act, 120);
    let above = 0;
    for (let k = 0; k < last.length; k++) {
      for (let i = 0; i < last[k].length; i++) {
        assert.ok(b[k][i] >= last[k][i] - 1.5 / 255, `step ${k} pixel ${i}`);
        if (b[k][i] > last[k][i]) above++;
      }
    }
    assert.ok(above > 0, "the max-pool shows the ball's previous position somewhere");
    await assert.rejects(
      () => createAleEnv({ ...base, actions: ["NOOP", "JUMP"] }),
      /actions\[1\] must be an ALE action name \(NOOP, FIRE/,
    );
    await assert.rejects(
      () => createAleEnv({ ...base, stickyActions: -0.1 }),
      /stickyActions must be a probability in \[0, 1\], got -0.1/,
    );
  },
});

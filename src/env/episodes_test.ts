import assert from "node:assert/strict";
import { canResetEpisodes, checkEpisodeLimit, EpisodeClock } from "./episodes.ts";
import type { VectorEnv } from "./vector_env.ts";

Deno.test("checkEpisodeLimit: accepts limits and jitters below them, refuses others naming the field", () => {
  checkEpisodeLimit("Cannot preprocess pong", 0, 0);
  checkEpisodeLimit("Cannot preprocess pong", 100, 99);
  checkEpisodeLimit("Cannot preprocess pong", 1, 0);
  const cases: [number, number, string][] = [
    [
      -1,
      0,
      "Cannot preprocess pong: maxEpisodeSteps must be an integer >= 0 (0: no limit), got -1",
    ],
    [
      2.5,
      0,
      "Cannot preprocess pong: maxEpisodeSteps must be an integer >= 0 (0: no limit), got 2.5",
    ],
    [
      100,
      100,
      "Cannot preprocess pong: jitter must be an integer in [0, 99] (maxEpisodeSteps - 1), got 100",
    ],
    [
      100,
      -1,
      "Cannot preprocess pong: jitter must be an integer in [0, 99] (maxEpisodeSteps - 1), got -1",
    ],
    [
      100,
      0.5,
      "Cannot preprocess pong: jitter must be an integer in [0, 99] (maxEpisodeSteps - 1), got 0.5",
    ],
    [
      0,
      3,
      "Cannot preprocess pong: jitter must be an integer in [0, 0] (there is no maxEpisodeSteps), got 3",
    ],
  ];
  for (const [max, jitter, message] of cases) {
    assert.throws(() => checkEpisodeLimit("Cannot preprocess pong", max, jitter), {
      name: "RangeError",
      message,
    });
  }
});

Deno.test("EpisodeClock: limits drawn in [max - jitter, max], none without a maximum, fixed without jitter", () => {
  const clock = new EpisodeClock(500, 50, 10, 3);
  assert.ok(clock.limit.every((l) => l >= 40 && l <= 50));
  const seen = new Set(clock.limit);
  assert.equal(seen.size, 11, "every limit in the range is drawn among 500");
  assert.ok(new EpisodeClock(4, 0, 0, 1).limit.every((l) => l === 0));
  assert.ok(new EpisodeClock(4, 7, 0, 1).limit.every((l) => l === 7));
  assert.deepEqual(new EpisodeClock(8, 50, 10, 3).limit, clock.limit.subarray(0, 8), "seeded");
  assert.ok(clock.score.every((v) => v === 0) && clock.steps.every((v) => v === 0));
});

Deno.test("EpisodeClock: lastStep at the limit, finish gives the record and starts the slot afresh", () => {
  const clock = new EpisodeClock(2, 3, 0, 1);
  clock.steps[0] = 1;
  assert.equal(clock.lastStep(0), false);
  clock.steps[0] = 2;
  assert.equal(clock.lastStep(0), true, "the third step is the last of 3");
  clock.score[0] = 4.5;
  clock.frames[0] = 12;
  assert.deepEqual(clock.finish(0, true), {
    env: 0,
    score: 4.5,
    steps: 2,
    frames: 12,
    truncated: true,
  });
  assert.deepEqual([clock.score[0], clock.steps[0], clock.frames[0], clock.limit[0]], [0, 0, 0, 3]);
  clock.steps[1] = 9;
  assert.deepEqual(clock.finish(1, false, 40), {
    env: 1,
    score: 0,
    steps: 9,
    frames: 40,
    truncated: false,
  });
  const unlimited = new EpisodeClock(1, 0, 0, 1);
  unlimited.steps[0] = 1e6;
  assert.equal(unlimited.lastStep(0), false);
});

Deno.test("EpisodeClock: a snapshot restored continues exactly as the original; restart = a fresh clock", () => {
  const a = new EpisodeClock(3, 20, 15, 9);
  a.finish(1, true);
  a.score[2] = 7;
  a.steps[2] = 5;
  const state = a.snapshot();
  const b = new EpisodeClock(3, 20, 15, 0);
  b.restore(state);
  assert.deepEqual(b.snapshot(), state);
  for (let k = 0; k < 20; k++) {
    assert.deepEqual(b.finish(k % 3, false), a.finish(k % 3, false));
    assert.deepEqual([...b.limit], [...a.limit]);
  }
  state.score[2] = 99; // a snapshot is a copy
  assert.notEqual(a.score[2], 99);
  a.restart(9);
  assert.deepEqual(a.snapshot(), new EpisodeClock(3, 20, 15, 9).snapshot());
});

Deno.test("EpisodeClock.restore: arrays of another size are refused naming the field", () => {
  const clock = new EpisodeClock(3, 0, 0, 1);
  const s = clock.snapshot();
  assert.throws(() => clock.restore({ ...s, steps: new Int32Array(2) }), {
    name: "RangeError",
    message: "Cannot restore episode clock: steps must hold 3 values, got 2",
  });
  assert.throws(() => clock.restore({ ...s, limit: undefined as unknown as Int32Array }), {
    message: "Cannot restore episode clock: limit must hold 3 values, got undefined",
  });
});

Deno.test("canResetEpisodes: by the presence of resetEpisodes", () => {
  const env = {} as VectorEnv;
  assert.equal(canResetEpisodes(env), false);
  assert.equal(
    canResetEpisodes({ ...env, resetEpisodes: () => Promise.resolve() } as unknown as VectorEnv),
    true,
  );
});

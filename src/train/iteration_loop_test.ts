import assert from "node:assert/strict";
import { type IterationLoop, runIterationLoop } from "./iteration_loop.ts";

/** A loop that writes down what ran when. */
function recorded(options: Partial<IterationLoop> & { stopAt?: number; start?: number }) {
  const events: string[] = [];
  let i = options.start ?? 0, clock = 0;
  const records = Array.from({ length: 7 }, () => ({ loss: 1, regularizationLoss: 0, rateHz: 5 }));
  const loop: IterationLoop = {
    total: 7,
    printEvery: 3,
    validateEvery: 2,
    validateAfterLast: false,
    checkpointEvery: 4,
    now: () => clock,
    done: () => i,
    step: () => {
      i++, clock += 1000, events.push(`step ${i}`);
      return Promise.resolve();
    },
    validate: () => {
      events.push(`validate ${i}`);
      return Promise.resolve(i === options.stopAt);
    },
    records,
    validationError: () => undefined,
    log: (line) =>
      events.push(line.replace(/^iter (\d+)\/7 .*\| ([\d.]+) it\/s.*/, "line $1 $2 it/s")),
    save: () => {
      events.push(`save ${i}`);
      return Promise.resolve();
    },
    ...options,
  };
  return { loop, events };
}

Deno.test("iteration loop: validation, progress lines and checkpoints on their schedule", async () => {
  const { loop, events } = recorded({});
  assert.equal(await runIterationLoop(loop), false);
  assert.deepEqual(events, [
    "save 0",
    ...["step 1", "line 1 1.00 it/s"],
    ...["step 2", "validate 2"],
    ...["step 3", "line 3 1.00 it/s"],
    ...["step 4", "validate 4", "save 4"],
    ...["step 5"],
    ...["step 6", "validate 6", "line 6 1.00 it/s"],
    ...["step 7", "line 7 1.00 it/s"],
    "save 7",
  ]);
});

Deno.test("iteration loop: a validation after the last iteration; a stop ends the run at once", async () => {
  const after = recorded({ validateAfterLast: true, printEvery: 0, checkpointEvery: 0 });
  await runIterationLoop(after.loop);
  assert.deepEqual(after.events.filter((e) => e.startsWith("validate")), [
    "validate 2",
    "validate 4",
    "validate 6",
    "validate 7",
  ]);
  assert.deepEqual(after.events.filter((e) => e.startsWith("save")), ["save 0", "save 7"]);
  const stop = recorded({ stopAt: 4 });
  assert.equal(await runIterationLoop(stop.loop), true);
  assert.deepEqual(stop.events.slice(-4), ["step 4", "validate 4", "line 4 1.00 it/s", "save 4"]);
});

Deno.test("iteration loop: a resumed run does not save at its start; a stopped one does not go on", async () => {
  const resumed = recorded({ start: 5, printEvery: 10 });
  await runIterationLoop(resumed.loop);
  assert.deepEqual(resumed.events, [
    ...["step 6", "validate 6", "line 6 1.00 it/s"],
    ...["step 7", "line 7 1.00 it/s"],
    "save 7",
  ]);
  const stopped = recorded({ start: 5, stopped: true });
  assert.equal(await runIterationLoop(stopped.loop), true);
  assert.deepEqual(stopped.events, ["save 5"]);
});

Deno.test("iteration loop: a line at least every 10 s between scheduled ones", async () => {
  let clock = 0, i = 0;
  const lines: number[] = [];
  await runIterationLoop({
    total: 30,
    printEvery: 100,
    validateEvery: 0,
    validateAfterLast: false,
    checkpointEvery: 0,
    now: () => clock,
    done: () => i,
    step: () => (i++, clock += 4000, Promise.resolve()),
    records: Array.from({ length: 30 }, () => ({ loss: 1, regularizationLoss: 0, rateHz: 5 })),
    validationError: () => undefined,
    log: (l) => lines.push(Number(/^iter (\d+)\/30 /.exec(l)![1])),
  });
  // first, then every 3rd iteration (12 s > 10 s after the previous line), then the last
  assert.deepEqual(lines, [1, 4, 7, 10, 13, 16, 19, 22, 25, 28, 30]);
});

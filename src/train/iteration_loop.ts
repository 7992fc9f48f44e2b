/**
 * The schedule every supervised run shares (Figs. 3, S7 and 2): iterations until the budget or a
 * stop, validation every so many iterations (and optionally after the last), a progress line
 * every so many iterations (also after the first, the last, a stop, and at least every 10 s), and
 * checkpoints every so many iterations, at iteration 0 of a fresh run and at the end. What an
 * iteration computes is the caller's ({@linkcode IterationLoop.step}); the loop only orders it.
 *
 * @module
 */
import { type RunProgress, runProgressLine } from "./progress.ts";

/** What the loop runs. */
export interface IterationLoop {
  /** Iterations in total (including those of a resumed run). */
  total: number;
  /** Progress line every this many iterations (0: never). */
  printEvery: number;
  /** Validate every this many iterations (0: never). */
  validateEvery: number;
  /** Validate after the last iteration too, when it is not a multiple of validateEvery. */
  validateAfterLast: boolean;
  /** Checkpoint every this many iterations (0: only at the start and the end). */
  checkpointEvery: number;
  /** Clock in ms. */
  now: () => number;
  /** Iterations done so far. */
  done(): number;
  /** Runs one iteration (afterwards done() is one more). */
  step(): Promise<void>;
  /** Validates; returns true to stop the run. */
  validate?(): Promise<boolean>;
  /** The run's records, oldest first (the progress line averages the recent ones). */
  records: RunProgress["records"];
  /** The last validation error, if any (for the progress line). */
  validationError(): number | undefined;
  /** Whether the network spikes (default true; the progress line shows rates then). */
  spiking?(): boolean;
  /** Where progress lines go. */
  log(line: string): void;
  /** Saves a checkpoint (absent: no checkpoints). */
  save?(): Promise<void>;
  /** Whether the run was stopped before (a resumed run that had stopped does not go on). */
  stopped?: boolean;
}

/**
 * Runs the loop to the budget or a stop.
 * @param loop What to run.
 * @returns Whether the run stopped on its criterion (before the budget).
 */
export async function runIterationLoop(loop: IterationLoop): Promise<boolean> {
  const started = loop.now(), startIteration = loop.done();
  let lastLine = started, stopped = loop.stopped ?? false;
  if (startIteration === 0) await loop.save?.();
  while (loop.done() < loop.total && !stopped) {
    await loop.step();
    const i = loop.done(), last = i === loop.total;
    if (
      loop.validate && loop.validateEvery > 0 &&
      (i % loop.validateEvery === 0 || (last && loop.validateAfterLast))
    ) {
      stopped = await loop.validate();
    }
    const t = loop.now();
    const due = i % loop.printEvery === 0 || last || stopped || i === startIteration + 1 ||
      t - lastLine > 10_000;
    if (loop.printEvery > 0 && due) {
      lastLine = t;
      loop.log(runProgressLine({
        iteration: i,
        total: loop.total,
        startIteration,
        seconds: (t - started) / 1000,
        window: loop.printEvery,
        records: loop.records,
        validationError: loop.validationError(),
        spiking: loop.spiking?.() ?? true,
      }));
    }
    if (loop.checkpointEvery > 0 && !last && !stopped && i % loop.checkpointEvery === 0) {
      await loop.save?.();
    }
  }
  await loop.save?.();
  return stopped;
}

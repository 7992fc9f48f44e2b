/**
 * Messages between the live page and its training worker (plain data, structured clone). Each
 * run has a number chosen by the page; the worker tags every message of a run with it, so that
 * messages of a run the page has left behind can be told apart.
 *
 * @module
 */
import type { IterationRecord, SessionSettings, Snapshot, ValidationRecord } from "./session.ts";

/** From the page to the worker. */
export type ToWorker =
  | { type: "start"; run: number; settings: SessionSettings; validateEvery: number }
  | { type: "stop" };

/** What the worker reports. */
export type WorkerEvent =
  | { type: "ready"; simd: boolean; ms: number }
  | { type: "started"; settings: SessionSettings; nRec: number; steps: number; ms: number }
  | { type: "iteration"; record: IterationRecord; msPerIteration: number }
  | { type: "validation"; record: ValidationRecord }
  | { type: "snapshot"; snapshot: Snapshot }
  | { type: "stopped"; reason: "stopped" | "budget" | "criterion"; iteration: number }
  | { type: "error"; message: string };

/** From the worker to the page: an event of a run (0 before any run). */
export type FromWorker = WorkerEvent & { run: number };

// Runs in a module Web Worker of the live page: no DOM, no Deno API.
/**
 * The live page's training worker: runs a {@linkcode TrainingSession} iteration by iteration,
 * posting each iteration's loss, a validation every few iterations and a snapshot of the shown
 * trial about twice a second, and answers "stop" between iterations. A run stops by itself at the
 * preset's iteration budget, or when the validation error and the mean error of 8 fresh batches
 * are below 7% (the stopping rule of `deno task fig3`).
 *
 * @module
 */
import { initWasm, simdSupported } from "../../mod.ts";
import type { FromWorker, ToWorker, WorkerEvent } from "./protocol.ts";
import { TrainingSession } from "./session.ts";

interface WorkerScope {
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
}

const scope = globalThis as unknown as WorkerScope;
/** Validation error below which a run stops (the paper's 7%). */
const STOP_ERROR = 0.07;
/** Milliseconds between snapshots. */
const SNAPSHOT_MS = 500;

/** The run in progress (0: none); a "stop" or a newer "start" ends it. */
let current = 0;

/** Lets queued messages (a "stop") in without the 4 ms clamp of nested timers. */
function yieldToMessages(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(0);
  });
}

function post(run: number, event: WorkerEvent): void {
  const message: FromWorker = { ...event, run };
  if (message.type === "snapshot") {
    const s = message.snapshot;
    scope.postMessage(message, [
      s.inputs.buffer as ArrayBuffer,
      s.spikes.buffer as ArrayBuffer,
      s.probabilities.buffer as ArrayBuffer,
      s.signals.buffer as ArrayBuffer,
    ]);
  } else scope.postMessage(message);
}

async function train(start: Extract<ToWorker, { type: "start" }>): Promise<void> {
  const id = start.run;
  const t0 = performance.now();
  const session = await TrainingSession.create(start.settings);
  try {
    post(id, {
      type: "started",
      settings: start.settings,
      nRec: session.config.neuron.nRec,
      steps: session.steps,
      ms: performance.now() - t0,
    });
    post(id, { type: "validation", record: session.validate() });
    post(id, { type: "snapshot", snapshot: session.snapshot() });
    let lastSnapshot = performance.now();
    const trainStart = performance.now();
    while (id === current) {
      if (session.iteration >= session.preset.iterations) {
        post(id, { type: "stopped", reason: "budget", iteration: session.iteration });
        return;
      }
      const record = session.step();
      post(id, {
        type: "iteration",
        record,
        msPerIteration: (performance.now() - trainStart) / session.iteration,
      });
      if (session.iteration % start.validateEvery === 0) {
        const v = session.validate();
        post(id, { type: "validation", record: v });
        if (v.error < STOP_ERROR && session.confirm() < STOP_ERROR) {
          post(id, { type: "snapshot", snapshot: session.snapshot() });
          post(id, { type: "stopped", reason: "criterion", iteration: session.iteration });
          return;
        }
      }
      if (performance.now() - lastSnapshot > SNAPSHOT_MS) {
        post(id, { type: "snapshot", snapshot: session.snapshot() });
        lastSnapshot = performance.now();
      }
      await yieldToMessages();
    }
    post(id, { type: "snapshot", snapshot: session.snapshot() });
    post(id, { type: "stopped", reason: "stopped", iteration: session.iteration });
  } finally {
    session.dispose();
  }
}

scope.onmessage = (event) => {
  const msg = event.data;
  if (msg.type === "stop") current = 0;
  else {
    current = msg.run;
    train(msg).catch((e) => post(msg.run, { type: "error", message: String(e?.message ?? e) }));
  }
};

(async () => {
  const t0 = performance.now();
  try {
    await initWasm();
    post(0, { type: "ready", simd: simdSupported(), ms: performance.now() - t0 });
  } catch (e) {
    post(0, { type: "error", message: String((e as Error)?.message ?? e) });
  }
})();

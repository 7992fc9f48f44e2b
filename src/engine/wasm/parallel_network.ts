/**
 * A composed network whose gradients are split across workers (Web Workers in Deno and
 * browsers), each with its own instance of the WebAssembly core. A batch is cut into contiguous
 * parts of sequences; each worker runs the forward pass and the losses of its part (with the whole
 * batch's loss normalizers), the spike counts come back and give the regularizer's signals for the
 * whole batch, and each worker then computes its part's gradients. The parts are summed in a
 * fixed order, so the result is deterministic and equals the single-worker gradient to rounding.
 *
 * @module
 */
import type { Precision } from "../backend.ts";
import type {
  NetworkEvaluation,
  NetworkGradientOptions,
  NetworkGradientResult,
} from "../network_backend.ts";
import {
  checkLayerKinds,
  type NetworkSpec,
  type ResolvedNetwork,
  resolveNetwork,
} from "../../net/network.ts";
import {
  checkNetworkParams,
  copyNetworkParams,
  type NetworkParams,
  paramLeaves,
} from "../../net/params.ts";
import { checkFiniteInputs, checkSequenceBatch, type SequenceBatch } from "../../net/batch.ts";
import {
  addL2,
  type NetworkObjective,
  type ResolvedNetworkObjective,
  resolveNetworkObjective,
} from "../../net/objective.ts";
import { createLoss, type LossSpec, sliceLoss } from "../../net/losses.ts";
import { addSpikeCounts, rateRegularization, type SpikeCounts } from "../../net/regularization.ts";
import { checkChoice, checkNumber } from "../../util/errors.ts";
import { RpcClient } from "../../util/worker_rpc.ts";

/** What phase one of a gradient (or an evaluation) gets: one worker's part of the batch. */
export interface BeginRequest {
  /** The part of the batch. */
  batch: SequenceBatch;
  /** Its objective (losses of the part only). */
  objective: NetworkObjective;
  /** Loss normalizers of the whole batch. */
  normalizers: (number | undefined)[];
  /** Count spikes per step too. */
  stepSums: boolean;
  /** Return the outputs and drop the pass (an evaluation). */
  outputs: boolean;
}

/** What phase one returns. */
export interface BeginReply {
  /** Head losses of the part. */
  headLosses: number[];
  /** Spike counts of the part. */
  counts: SpikeCounts[];
  /** With `outputs`: the part's outputs. */
  outputs?: Float64Array[];
  /** The input buffer, handed back for the next batch. */
  inputs: ArrayBuffer;
}

/** The gradient workers' protocol (requests and replies through `../../util/worker_rpc.ts`). */
export type GradientProtocol = {
  /** Builds the worker's network. */
  init: {
    request: { spec: NetworkSpec; params: NetworkParams; precision: Precision };
    reply: void;
  };
  /** Replaces its parameters. */
  params: { request: NetworkParams; reply: void };
  /** Phase one: forward pass, losses and spike counts of a part. */
  begin: { request: BeginRequest; reply: BeginReply };
  /** Phase two: the part's gradients, with the regularizer signals of the whole batch. */
  finish: {
    request: {
      signals?: { data: Float64Array; stride: number }[];
      options: NetworkGradientOptions;
    };
    reply: NetworkParams;
  };
};

/** Options of {@linkcode ParallelNetwork.create}. */
export interface ParallelNetworkOptions {
  /** Number of workers (default: the number of cores). */
  workers?: number;
  /** "f32" (default) or "f64". */
  precision?: Precision;
  /**
   * The worker module (default: `gradient_worker.ts` beside this module, or `gradient_worker.js`
   * beside a bundle of it, as `deno task build:web` writes `dist/gradient_worker.js`).
   */
  workerUrl?: string | URL;
}

/** A batch cut into one part per worker, with what every part needs to know of the whole. */
interface BatchPlan {
  obj: ResolvedNetworkObjective;
  parts: { batch: SequenceBatch; objective: NetworkObjective }[];
  normalizers: (number | undefined)[];
  steps: number;
}

/** Starts one gradient worker. */
function startWorker(url: string | URL): RpcClient<GradientProtocol> {
  return new RpcClient<GradientProtocol>(new Worker(url, { type: "module" }), {
    name: "gradient worker",
    failure: (message) => `Cannot compute gradients: a worker failed (${message})`,
    disposed: "Cannot compute gradients: the network was disposed",
  });
}

/**
 * A composed network whose gradients run on several workers.
 *
 * @example Two workers give the single-worker gradient
 * ```ts
 * import { ParallelNetwork } from "./parallel_network.ts";
 * import { WasmNetwork } from "./wasm_network.ts";
 * import { resolveNetwork } from "../../net/network.ts";
 * import { initNetworkParams, paramLeaves } from "../../net/params.ts";
 * import { Rng } from "../../util/rng.ts";
 * import assert from "node:assert/strict";
 * const net = resolveNetwork({ nIn: 3, layers: [{ neuron: { nRec: 8, thr: 0.3 } }], heads: [{ nOut: 2 }] });
 * const params = initNetworkParams(net, new Rng(1));
 * const rng = new Rng(2);
 * const batch = { batchSize: 4, frames: 30, inputs: new Float64Array(4 * 30 * 3).map(() => rng.normal()) };
 * const objective = { losses: [{ type: "ce" as const, labels: Int32Array.of(0, 1, 1, 0), window: 10 }] };
 * const parallel = await ParallelNetwork.create(net, params, { workers: 2, precision: "f64" });
 * const single = await WasmNetwork.create(net, params, { precision: "f64" });
 * const a = await parallel.gradients(batch, objective, { method: "bptt" });
 * const b = single.gradients(batch, objective, { method: "bptt" });
 * const la = paramLeaves(a.grads), lb = paramLeaves(b.grads);
 * la.forEach((leaf, i) => leaf.data.forEach((v, k) => assert.ok(Math.abs(v - lb[i].data[k]) < 1e-12)));
 * parallel.dispose();
 * ```
 */
export class ParallelNetwork {
  /** The network. */
  readonly net: ResolvedNetwork;
  /** Arithmetic precision. */
  readonly precision: Precision;
  /** Number of workers. */
  readonly workers: number;
  readonly #pool: RpcClient<GradientProtocol>[];
  #params: NetworkParams;
  /** Which workers hold the current parameters. */
  #current: boolean[];
  /** Per worker: the buffer its inputs travel in, moved there and back with every batch. */
  #buffers: (ArrayBuffer | undefined)[];

  private constructor(
    net: ResolvedNetwork,
    params: NetworkParams,
    pool: RpcClient<GradientProtocol>[],
    precision: Precision,
  ) {
    this.net = net;
    this.precision = precision;
    this.workers = pool.length;
    this.#pool = pool;
    this.#params = copyNetworkParams(params);
    this.#current = pool.map(() => true);
    this.#buffers = pool.map(() => undefined);
  }

  /**
   * Starts the workers, each with the network.
   *
   * @param spec The network.
   * @param params Its parameters.
   * @param options Number of workers and precision.
   * @returns The ready network.
   * @throws {TypeError|RangeError} For an invalid network, parameters or options.
   */
  static async create(
    spec: NetworkSpec | ResolvedNetwork,
    params: NetworkParams,
    options: ParallelNetworkOptions = {},
  ): Promise<ParallelNetwork> {
    const net = "populations" in spec ? spec : resolveNetwork(spec);
    checkLayerKinds(net, "wasm (parallel LSNN network)", ["lsnn"]);
    checkNetworkParams(net, params);
    const precision = checkChoice("create network", "precision", options.precision ?? "f32", [
      "f32",
      "f64",
    ]);
    const workers = checkNumber("create network", "workers", options.workers ?? defaultWorkers(), {
      min: 1,
      max: 256,
      integer: true,
    });
    const url = options.workerUrl ?? defaultWorkerUrl();
    const pool = Array.from({ length: workers }, () => startWorker(url));
    try {
      await Promise.all(
        pool.map((w) => w.call("init", { spec: net.spec, params, precision })),
      );
    } catch (e) {
      for (const w of pool) w.terminate();
      throw e;
    }
    return new ParallelNetwork(net, params, pool, precision);
  }

  /** Replaces the parameters (sent to each worker with its next request). */
  setParams(params: NetworkParams): void {
    checkNetworkParams(this.net, params);
    this.#params = copyNetworkParams(params);
    this.#current = this.#pool.map(() => false);
  }

  /**
   * Returns a copy of the parameters.
   * @returns A copy of the parameters.
   */
  getParams(): NetworkParams {
    return copyNetworkParams(this.#params);
  }

  /**
   * Loss and gradients, computed on the workers (see the module doc).
   *
   * @param batch The batch.
   * @param objective Its objective; the losses must be given as data (mse, ce, ce_frames).
   * @param options Method, form, feedback, online regularizer estimates.
   * @returns The result; equal to a single core's to rounding, and the same on every call.
   */
  async gradients(
    batch: SequenceBatch,
    objective: NetworkObjective,
    options: NetworkGradientOptions,
  ): Promise<NetworkGradientResult> {
    checkChoice("compute gradients", "method", options?.method, ["bptt", "eprop", "eq1"]);
    const plan = this.#plan(batch, objective);
    const begun = await this.#begin(plan, false, batch);
    const { counts, reg } = this.#regularize(plan, begun, options.rateEstimates);
    const finishOptions: NetworkGradientOptions = {
      method: options.method,
      ...(options.form ? { form: options.form } : {}),
      ...(options.feedback ? { feedback: options.feedback } : {}),
    };
    const parts = await Promise.all(
      plan.parts.map((_, i) =>
        this.#pool[i].call("finish", { signals: reg?.signals, options: finishOptions })
      ),
    );
    const grads = copyNetworkParams(parts[0]);
    const total = paramLeaves(grads);
    for (const part of parts.slice(1)) {
      paramLeaves(part).forEach((leaf, i) => {
        const t = total[i].data;
        for (let k = 0; k < t.length; k++) t[k] += leaf.data[k];
      });
    }
    const l2Loss = addL2(plan.obj.l2, this.#params, grads);
    return { ...this.#evaluation(plan, begun, counts, reg, l2Loss, []), grads };
  }

  /**
   * Forward pass and objective on the workers.
   *
   * @param batch The batch.
   * @param objective Its objective (losses as data).
   * @param options Online regularizer estimates.
   * @returns The evaluation.
   */
  async evaluate(
    batch: SequenceBatch,
    objective: NetworkObjective,
    options: { rateEstimates?: Float64Array[] } = {},
  ): Promise<NetworkEvaluation> {
    const plan = this.#plan(batch, objective);
    const begun = await this.#begin(plan, true, batch);
    const { counts, reg } = this.#regularize(plan, begun, options.rateEstimates);
    const outputs = this.net.heads.map((_, h) => {
      const all = begun.map((r) => r.outputs![h]);
      const out = new Float64Array(all.reduce((a, o) => a + o.length, 0));
      let at = 0;
      for (const o of all) (out.set(o, at), at += o.length);
      return out;
    });
    return this.#evaluation(plan, begun, counts, reg, addL2(plan.obj.l2, this.#params), outputs);
  }

  /** Stops the workers; later calls fail. */
  dispose(): void {
    for (const w of this.#pool) w.terminate();
  }

  /** Validates the batch and cuts it (and its losses) into one contiguous part per worker. */
  #plan(batch: SequenceBatch, objective: NetworkObjective): BatchPlan {
    const obj = resolveNetworkObjective(this.net, objective);
    // Finiteness is checked by each worker's core on its part (see #begin).
    const lengths = checkSequenceBatch(this.net, batch, { finite: false });
    const { batchSize: B, frames: F } = batch;
    const specs = objective.losses.map((l, h) => {
      if (l === undefined) return undefined;
      if (!["mse", "ce", "ce_frames"].includes((l as LossSpec).type)) {
        throw new TypeError(
          `Cannot compute gradients on workers: losses[${h}] must be given as data (type mse, ce or ce_frames)`,
        );
      }
      return l as LossSpec;
    });
    const normalizers = specs.map((spec, h) =>
      spec === undefined ? undefined : createLoss(spec).normalizer?.({
        batchSize: B,
        units: F,
        nOut: this.net.heads[h].nOut,
        lengths,
        field: `losses[${h}]`,
      })
    );
    const k = Math.min(this.workers, B);
    const nIn = this.net.nIn;
    const parts = Array.from({ length: k }, (_, i) => {
      const from = Math.floor(i * B / k), to = Math.floor((i + 1) * B / k);
      // Each worker's inputs travel in a buffer of its own that comes back with its answer, so a
      // batch costs one copy and no allocation (fresh large buffers are slow to touch).
      const count = (to - from) * F * nIn;
      let buffer = this.#buffers[i];
      if (!buffer || buffer.byteLength < count * 8) buffer = new ArrayBuffer(count * 8);
      this.#buffers[i] = undefined;
      const inputs = new Float64Array(buffer, 0, count);
      inputs.set(batch.inputs.subarray(from * F * nIn, to * F * nIn));
      const part: SequenceBatch = {
        batchSize: to - from,
        frames: F,
        inputs,
        lengths: lengths.slice(from, to),
      };
      const losses = specs.map((spec) =>
        spec === undefined ? undefined : sliceLoss(spec, { from, to, batchSize: B, units: F })
      );
      return { batch: part, objective: { losses } as NetworkObjective };
    });
    return { obj, parts, normalizers, steps: F * this.net.repeat };
  }

  /** Phase one on every part's worker (sending new parameters first where needed). */
  async #begin(
    plan: BatchPlan,
    outputs: boolean,
    batch: SequenceBatch,
  ): Promise<BeginReply[]> {
    try {
      return await Promise.all(plan.parts.map(async (part, i) => {
        const w = this.#pool[i];
        if (!this.#current[i]) {
          await w.call("params", this.#params);
          this.#current[i] = true;
        }
        const reply = await w.call("begin", {
          batch: part.batch,
          objective: part.objective,
          normalizers: plan.normalizers,
          stepSums: plan.obj.regularization?.type === "online",
          outputs,
        }, [part.batch.inputs.buffer as ArrayBuffer]);
        this.#buffers[i] = reply.inputs;
        return reply;
      }));
    } catch (e) {
      // A worker's message counts sequences within its part: name those of the whole batch.
      if (e instanceof RangeError && / must be finite, got /.test(e.message)) {
        checkFiniteInputs(batch, checkSequenceBatch(this.net, batch, { finite: false }));
      }
      throw e;
    }
  }

  /** The whole batch's spike counts (the parts' summed in order) and its regularizer. */
  #regularize(plan: BatchPlan, begun: BeginReply[], estimates?: Float64Array[]) {
    const counts = addSpikeCounts(begun.map((r) => r.counts));
    const batchSize = plan.parts.reduce((a, p) => a + p.batch.batchSize, 0);
    const reg = plan.obj.regularization
      ? rateRegularization(this.net, plan.obj.regularization, {
        batchSize,
        steps: plan.steps,
        populations: counts,
        estimates,
      })
      : undefined;
    return { counts, reg };
  }

  #evaluation(
    plan: BatchPlan,
    begun: BeginReply[],
    counts: SpikeCounts[],
    reg: ReturnType<typeof rateRegularization> | undefined,
    l2Loss: number,
    outputs: Float64Array[],
  ): NetworkEvaluation {
    const B = plan.parts.reduce((a, p) => a + p.batch.batchSize, 0);
    const headLosses = this.net.heads.map((_, h) => begun.reduce((a, r) => a + r.headLosses[h], 0));
    let spikes = 0;
    counts.forEach((c, i) => {
      for (const v of c.sums) spikes += v * this.net.populations[i].consts.dt;
    });
    const regLoss = reg?.loss ?? 0;
    const out: NetworkEvaluation = {
      loss: headLosses.reduce((a, v) => a + v, 0) + regLoss + l2Loss,
      headLosses,
      regularizationLoss: regLoss,
      l2Loss,
      spikes,
      rates: counts.map((c) => c.sums.map((v) => v / (B * plan.steps))),
      outputs,
    };
    if (reg?.estimates) out.rateEstimates = reg.estimates;
    return out;
  }
}

/** The worker module beside this one: the source in Deno, the bundled file beside a bundle. */
function defaultWorkerUrl(): string {
  const bundled = !import.meta.url.endsWith(".ts");
  return new URL(bundled ? "./gradient_worker.js" : "./gradient_worker.ts", import.meta.url).href;
}

/**
 * The default number of workers.
 * @returns The number of cores the runtime reports (1 where it reports none).
 */
export function defaultWorkers(): number {
  const n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator
    ?.hardwareConcurrency;
  return typeof n === "number" && n >= 1 ? Math.floor(n) : 1;
}

/**
 * `deno task bench`: speed of one gradient on the Fig. 3 network (40 inputs, 50 LIF + 50 ALIF,
 * T = 2250, batch 64, f32) for BPTT, factorized e-prop and online e-prop, as iterations per second,
 * synaptic updates per second and the ratio to BPTT measured in the same process; then the TIMIT
 * network of Fig. 2 (one bidirectional layer of 300 LIF + 100 ALIF per direction, 123 real-valued
 * inputs, each frame held 5 steps, 300 frames, batch 32) for BPTT and e-prop with the share of
 * time in each part of the computation; then the event-driven and dense matrix kernels across
 * spike densities (the crossover behind the core's DENSE_ABOVE switch).
 *
 * `deno task bench --help` lists the flags with their defaults and ranges.
 *
 * @module
 */
import { checkMemory, commandMain, RunFailure } from "../src/cli/command.ts";
import { ParallelBackend } from "../src/engine/wasm/parallel_backend.ts";
import { defaultWorkers } from "../src/engine/wasm/parallel_network.ts";
import { FlagError, type FlagSpecs, type FlagValues, MAX_SEED } from "../src/cli/flags.ts";
import { WasmBackend } from "../src/engine/wasm/wasm_backend.ts";
import { resolveNetworkConfig } from "../src/model/config.ts";
import { fig3Network } from "../src/model/presets.ts";
import { initWeights } from "../src/model/weights.ts";
import type { Batch, Objective } from "../src/model/objective.ts";
import type { GradientOptions, GradientResult } from "../src/engine/backend.ts";
import { Rng } from "../src/util/rng.ts";
import { initWasm, instantiateCore } from "../src/engine/wasm/module.ts";
import { Arena } from "../src/engine/wasm/arena.ts";
import { bindKernels } from "../src/engine/wasm/kernels.ts";
import { LstmNetwork } from "../src/engine/wasm/lstm_network.ts";
import { initLstmParams } from "../src/net/lstm_spec.ts";
import type { SequenceBatch } from "../src/net/batch.ts";
import { WasmNetwork } from "../src/engine/wasm/wasm_network.ts";
import { resolveNetwork } from "../src/net/network.ts";
import { initNetworkParams } from "../src/net/params.ts";
import type { NetworkObjective } from "../src/net/objective.ts";

/** The flags of `deno task bench`. */
export const BENCH_FLAGS: FlagSpecs = {
  batch: { type: "int", default: 32, min: 1, max: 4096, help: "Fig. 3 network: trials per batch" },
  workers: {
    type: "int",
    default: 0,
    min: 0,
    max: 256,
    help: "Fig. 3 network: workers for the split gradients (0: one per core)",
  },
  peer: {
    type: "boolean",
    default: false,
    help:
      "also run the PyTorch peer (bench/peers/torch_fig3_bench.py, python3-torch) and print ratios",
  },
  steps: { type: "int", default: 2250, min: 1, max: 100_000, help: "Fig. 3 network: time steps" },
  iterations: { type: "int", default: 3, min: 1, max: 1000, help: "timed gradients per rule" },
  precision: { type: "string", default: "f32", choices: ["f32", "f64"], help: "core precision" },
  seed: { type: "int", default: 1, min: 0, max: MAX_SEED, help: "random seed" },
  "timit-frames": { type: "int", default: 300, min: 1, max: 10_000, help: "TIMIT network: frames" },
  "timit-batch": { type: "int", default: 32, min: 1, max: 1024, help: "TIMIT network: batch" },
  skip: {
    type: "string",
    default: "none",
    help: "parts to leave out: none, or a comma list of fig3, timit, kernels",
  },
};

const USAGE = `usage: deno task bench [options]

Speed of one gradient on the Fig. 3 network (BPTT, factorized and online e-prop, as ratios to
BPTT measured in the same process), on the TIMIT network of Fig. 2 (BPTT and e-prop, with the
share of time per part), and of the event-driven vs dense matrix kernels across densities.`;

const PARTS = ["fig3", "timit", "kernels"];

let values: FlagValues = {};
let B = 0, T = 0, iterations = 0, precision: "f32" | "f64" = "f32";
let rng = new Rng(0);

/**
 * Runs the benchmarks.
 * @param args Command-line arguments.
 * @returns The exit code.
 */
export function main(args: string[]): Promise<number> {
  return commandMain(
    {
      name: "bench",
      usage: USAGE,
      flags: BENCH_FLAGS,
      check: (v) => {
        const parts = v.skip === "none" ? [] : String(v.skip).split(",");
        for (const p of parts) {
          if (!PARTS.includes(p)) {
            throw new FlagError(
              `--skip must be none or a comma list of ${PARTS.join(", ")}, got "${p}"`,
            );
          }
        }
        checkMemory(4 * 10 * (v.steps as number) * (v.batch as number) * 140, {
          what: `--steps ${v.steps} with --batch ${v.batch}`,
        });
      },
    },
    args,
    async (ctx) => {
      values = ctx.values;
      const skip = new Set(values.skip === "none" ? [] : String(values.skip).split(","));
      B = values.batch as number;
      T = values.steps as number;
      iterations = values.iterations as number;
      precision = values.precision as "f32" | "f64";
      rng = new Rng(values.seed as number);
      if (!skip.has("fig3")) await benchFig3();
      if (!skip.has("timit")) await benchTimit();
      if (!skip.has("kernels")) await benchKernels();
    },
  );
}

if (import.meta.main) Deno.exit(await main(Deno.args));

async function benchFig3() {
  const config = resolveNetworkConfig(fig3Network());
  const { nIn, nRec: n } = config.neuron;
  const weights = initWeights(config, rng);
  const backend = await WasmBackend.create(config, weights, { precision });
  const workers = Math.min(
    (values.workers as number) > 0 ? values.workers as number : defaultWorkers(),
    B,
  );
  const parallel = workers > 1
    ? await ParallelBackend.create(config, weights, { workers, precision })
    : undefined;
  // Poisson input at the Fig. 3 rates: 10 Hz background on every channel plus 40 Hz cue bursts.
  const inputs = new Float64Array(B * T * nIn);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const cue = t < 1050 && t % 150 >= 50 ? (t % 300 < 150 ? 0 : 1) : -1;
      for (let i = 0; i < nIn; i++) {
        const rate = Math.floor(i / 10) === cue ? 0.04 : 0.01;
        inputs[(b * T + t) * nIn + i] = rng.uniform() < rate ? 1 : 0;
      }
    }
  }
  const batch: Batch = {
    batchSize: B,
    steps: T,
    inputs,
    labels: Int32Array.from({ length: B }, () => rng.int(2)),
  };
  const objective: Objective = {
    loss: { type: "ce", window: Math.min(150, T) },
    regularization: { c: 1, fTarget: 0.01 },
  };

  async function time(
    compute: () => GradientResult | Promise<GradientResult>,
  ): Promise<{ ms: number; spikes: number }> {
    await compute(); // warm-up
    const start = performance.now();
    let spikes = 0;
    for (let i = 0; i < iterations; i++) spikes = (await compute()).spikes;
    return { ms: (performance.now() - start) / iterations, spikes };
  }

  const synapses = nIn * n + n * (n - 1);
  const runs: [string, GradientOptions, boolean][] = [
    ["BPTT", { method: "bptt" }, false],
    ["e-prop factorized", { method: "eprop", form: "factorized" }, false],
    ["e-prop online", { method: "eprop", form: "online" }, false],
  ];
  if (parallel) {
    runs.push([`BPTT, ${workers} workers`, { method: "bptt" }, true]);
    runs.push([`e-prop factorized, ${workers} workers`, { method: "eprop" }, true]);
  }
  console.log(
    `Fig. 3 network: ${nIn} inputs, 50 LIF + 50 ALIF, T = ${T}, batch ${B}, ${precision}, ` +
      `${iterations} timed iterations after one warm-up`,
  );
  const results = [];
  for (const [name, options, onWorkers] of runs) {
    results.push({
      name,
      ...await time(() =>
        onWorkers
          ? parallel!.gradientsAsync(batch, objective, options)
          : backend.gradients(batch, objective, options)
      ),
    });
  }
  parallel?.dispose();
  const peer = values.peer ? await runPeer(workers) : undefined;
  const base = results[0].ms;
  console.log(
    `spike density: ${(results[0].spikes / (B * T * n)).toFixed(4)} spikes per neuron per step\n`,
  );
  const peerCols = peer ? " PyTorch BPTT / this | PyTorch e-prop / this |" : "";
  console.log(
    `| gradient | ms / iteration | iterations / s | synaptic updates / s | time vs BPTT |${peerCols}`,
  );
  console.log(`|---|---:|---:|---:|---:|${peer ? "---:|---:|" : ""}`);
  for (const r of results) {
    const ups = synapses * B * T / (r.ms / 1000);
    const ratios = peer
      ? ` ${(peer.bptt / r.ms).toFixed(1)}x | ${(peer.eprop / r.ms).toFixed(1)}x |`
      : "";
    console.log(
      `| ${r.name} | ${r.ms.toFixed(1)} | ${(1000 / r.ms).toFixed(3)} | ${ups.toExponential(2)} | ${
        (r.ms / base).toFixed(2)
      } |${ratios}`,
    );
  }
  if (peer) {
    console.log(
      `\npeer: ${peer.line}\n(PyTorch ${peer.version} CPU autograd, float32, ${peer.threads} thread(s), ` +
        `same network, batch and time steps, run just after the rows above; machine: ${navigator.hardwareConcurrency} cores)`,
    );
  }
}

/** The PyTorch peer benchmark (bench/peers/torch_fig3_bench.py), when python3-torch is here. */
async function runPeer(
  threads: number,
): Promise<
  { bptt: number; eprop: number; line: string; version: string; threads: number } | undefined
> {
  const script = new URL("./peers/torch_fig3_bench.py", import.meta.url).pathname;
  for (const python of ["/usr/bin/python3", "python3"]) {
    let out;
    try {
      out = await new Deno.Command(python, {
        args: [script, String(B), String(Math.max(3, iterations)), String(threads)],
        stdout: "piped",
        stderr: "piped",
      }).output();
    } catch {
      continue;
    }
    const text = new TextDecoder().decode(out.stdout);
    const err = new TextDecoder().decode(out.stderr);
    if (!out.success) {
      if (/No module named .?torch/.test(err)) continue;
      throw new RunFailure(`the PyTorch peer failed: ${err.trim().split("\n").at(-1)}`);
    }
    const ms = (name: string) => {
      const m = text.match(new RegExp(`${name}: median ([0-9.]+) s/iter`));
      if (!m) throw new RunFailure(`the PyTorch peer printed no ${name} time: ${text}`);
      return Number(m[1]) * 1000;
    };
    return {
      bptt: ms("bptt"),
      eprop: ms("eprop-autodiff"),
      line: text.trim().replaceAll("\n", "; "),
      version: text.match(/torch (\S+)/)?.[1] ?? "?",
      threads,
    };
  }
  console.log(
    "\npeer: skipped, no python3 with PyTorch here (Debian: apt-get install python3-torch)",
  );
  return undefined;
}

/** The TIMIT network of Fig. 2, with the time per part of the computation. */
async function benchTimit() {
  const F = values["timit-frames"] as number, TB = values["timit-batch"] as number;
  const net = resolveNetwork({
    nIn: 123,
    repeat: 5,
    layers: [{
      neuron: {
        nRec: 400,
        tauMMs: 20,
        tauAMs: 200,
        thr: 0.205,
        beta: Array.from({ length: 400 }, (_, j) => (j < 300 ? 0 : 0.184)),
        nRef: 2,
      },
      bidirectional: true,
    }],
    heads: [{ nOut: 61, pool: "frame_mean", tauOut: 3, filter: "paper", bias: true }],
  });
  const params = initNetworkParams(net, rng);
  const profile = new Map<string, number>();
  const network = await WasmNetwork.create(net, params, { precision, profile });
  const batch = {
    batchSize: TB,
    frames: F,
    inputs: new Float64Array(TB * F * 123).map(() => rng.normal()),
    lengths: Int32Array.from({ length: TB }, () => F - rng.int(Math.ceil(F / 3))),
  };
  const objective: NetworkObjective = {
    losses: [{ type: "ce_frames", labels: Int32Array.from({ length: TB * F }, () => rng.int(61)) }],
    regularization: { c: 50, fTarget: 0.01 },
    l2: 1e-5,
  };
  const groups: [string, string[]][] = [
    ["input product", ["gemmNN"]],
    ["neuron loops (with recurrent input)", ["lsnnForwardFrames", "bpttBackward", "traceAdjoint"]],
    ["weight-gradient products", ["gemmTN"]],
    ["readout and learning signals", ["readoutForward", "learningSignal"]],
    ["layout (reversal, pooling, copies)", [
      "reverseWithin",
      "poolFrames",
      "spreadFrames",
      "copyColumns",
      "addRowVector",
      "addColumnSums",
      "transpose",
    ]],
  ];
  console.log(
    `\nTIMIT network: 123 inputs x 5 steps per frame, bidirectional 2 x (300 LIF + 100 ALIF), ` +
      `61 outputs pooled per frame, ${F} frames (lengths ${Math.min(...batch.lengths)}-${
        Math.max(...batch.lengths)
      }), batch ${TB}, ${precision}, ${iterations} timed iterations after one warm-up`,
  );
  const rows: string[] = [];
  let density = 0;
  for (
    const [name, options] of [
      ["BPTT", { method: "bptt" }],
      ["e-prop factorized", { method: "eprop" }],
    ] as const
  ) {
    network.gradients(batch, objective, options);
    profile.clear();
    const start = performance.now();
    let spikes = 0;
    for (let i = 0; i < iterations; i++) {
      spikes = network.gradients(batch, objective, options).spikes;
    }
    const ms = (performance.now() - start) / iterations;
    const valid = batch.lengths.reduce((a, l) => a + l, 0) * 5 * 800;
    density = spikes / valid;
    const shares = groups.map(([, kernels]) =>
      kernels.reduce((a, k) => a + (profile.get(k) ?? 0), 0) / iterations
    );
    const other = ms - shares.reduce((a, v) => a + v, 0);
    rows.push(
      `| ${name} | ${ms.toFixed(0)} | ${
        [...shares, other].map((v) => `${v.toFixed(0)} (${(100 * v / ms).toFixed(0)}%)`).join(" | ")
      } |`,
    );
  }
  console.log(`spike density: ${density.toFixed(4)} spikes per neuron per valid step\n`);
  console.log(
    `| gradient | ms | ${groups.map(([g]) => g).join(" | ")} | other (JS: loss, copies) |`,
  );
  console.log(`|---|---:|${groups.map(() => "---:|").join("")}---:|`);
  for (const r of rows) console.log(r);
  network.dispose();
  await benchLstm(batch);
}

/** The LSTM baseline of Fig. 2 on the same batch: BPTT and e-prop, time per kernel. */
async function benchLstm(batch: SequenceBatch) {
  const spec = { nIn: 123, nHidden: 200, nOut: 61 };
  const profile = new Map<string, number>();
  const lstm = await LstmNetwork.create(spec, initLstmParams(spec, rng), { precision, profile });
  const objective: NetworkObjective = {
    losses: [{
      type: "ce_frames",
      labels: Int32Array.from({ length: batch.batchSize * batch.frames }, () => rng.int(61)),
    }],
    l2: 1e-5,
  };
  console.log(
    `\nLSTM baseline on the same batch: bidirectional 2 x 200 units, per-frame readout, ${precision}`,
  );
  console.log("| gradient | ms | cell forward | cell backward | products | other |");
  console.log("|---|---:|---:|---:|---:|---:|");
  for (const method of ["bptt", "eprop"] as const) {
    lstm.gradients(batch, objective, { method });
    profile.clear();
    const start = performance.now();
    for (let i = 0; i < iterations; i++) lstm.gradients(batch, objective, { method });
    const ms = (performance.now() - start) / iterations;
    const part = (k: string) => (profile.get(k) ?? 0) / iterations;
    const products = part("gemmNNDense") + part("gemmTNDense");
    const other = ms - part("lstmForward") - part("lstmBackward") - products;
    console.log(
      `| ${method === "bptt" ? "BPTT" : "e-prop"} | ${ms.toFixed(0)} | ${
        part("lstmForward").toFixed(0)
      } | ${part("lstmBackward").toFixed(0)} | ${products.toFixed(0)} | ${other.toFixed(0)} |`,
    );
  }
  lstm.dispose();
}

/** Event-driven vs dense kernels across densities of the sparse operand. */
async function benchKernels() {
  const n = 100;
  const core = instantiateCore(await initWasm());
  const arena = new Arena(core.memory, core.heapBase());
  const k = bindKernels(core, precision);
  const bytes = precision === "f32" ? 4 : 8;
  const buffer = (count: number, fill: () => number) => {
    const ptr = arena.alloc(count, bytes);
    const view = arena.floats(ptr, count, precision);
    for (let i = 0; i < count; i++) view[i] = fill();
    return ptr;
  };
  function kernelTime(fn: () => void, repeats: number): number {
    fn();
    const start = performance.now();
    for (let i = 0; i < repeats; i++) fn();
    return (performance.now() - start) / repeats;
  }
  console.log(
    "\nrecurrent input Z[64x100] @ W[100x100] and weight gradient P[4096x100]^T @ D[4096x100]:",
  );
  console.log(
    "| density | gemmNN event us | gemmNN dense us | dense / event | gemmTN event us | gemmTN dense us | dense / event |",
  );
  console.log("|---:|---:|---:|---:|---:|---:|---:|");
  const W = buffer(n * n, () => rng.normal());
  const C = buffer(64 * n, () => 0);
  const R = 4096;
  const D = buffer(R * n, () => rng.normal());
  const G = buffer(n * n, () => 0);
  for (const density of [0.005, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1]) {
    const Z = buffer(64 * n, () => (rng.uniform() < density ? 1 : 0));
    const P = buffer(R * n, () => (rng.uniform() < density ? 1 : 0));
    const nnE = kernelTime(() => k.gemmNNEvent(64, n, n, Z, W, C), 400) * 1000;
    const nnD = kernelTime(() => k.gemmNNDense(64, n, n, Z, W, C), 400) * 1000;
    const tnE = kernelTime(() => k.gemmTNEvent(R, n, n, P, D, G, 1), 10) * 1000;
    const tnD = kernelTime(() => k.gemmTNDense(R, n, n, P, D, G, 1), 10) * 1000;
    console.log(
      `| ${density} | ${nnE.toFixed(1)} | ${nnD.toFixed(1)} | ${(nnD / nnE).toFixed(2)} | ${
        tnE.toFixed(0)
      } | ${tnD.toFixed(0)} | ${(tnD / tnE).toFixed(2)} |`,
    );
  }
}

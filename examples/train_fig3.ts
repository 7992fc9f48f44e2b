/**
 * Train the Fig. 3 network (50 LIF + 50 ALIF neurons) on evidence accumulation with e-prop,
 * through the library's public API only: the preset, a backend, random feedback, Adam and the
 * training loop. `deno task fig3` is the full experiment (flags, checkpoints, figures).
 *
 *   deno run examples/train_fig3.ts [ITERATIONS]
 *
 * @module
 */
import {
  createFeedback,
  createOptimizer,
  decisions,
  errorRate,
  evidenceAccumulationBatch,
  fig3Network,
  initialTrainingState,
  initWeights,
  resolveNetworkConfig,
  Rng,
  train,
  WasmBackend,
} from "../mod.ts";

const iterations = Number(Deno.args[0] ?? 50);
const config = resolveNetworkConfig(fig3Network());
const rng = new Rng(0);
const weights = initWeights(config, rng);
const feedback = createFeedback("random", { nRec: config.neuron.nRec, nOut: 2, rng });
const optimizer = createOptimizer("adam", { learningRate: 5e-3 });
const backend = await WasmBackend.create(config, weights);
const objective = {
  loss: { type: "ce" as const, window: 150 },
  regularization: { type: "simple" as const, c: 1, fTarget: 0.01 },
};
await train(
  { backend, method: "eprop", feedback, optimizer, iterations, printEvery: 10, validateEvery: 10 },
  {
    objective,
    trainBatch: (r) => evidenceAccumulationBatch(r, 32),
    validate: (b, r) => {
      const batch = evidenceAccumulationBatch(r, 32);
      const ev = b.evaluate(batch, objective);
      const predicted = decisions(ev.y, { ...batch, nOut: 2, window: batch.recallSteps });
      const rateHz = 1000 * ev.rates.reduce((a, x) => a + x, 0) / ev.rates.length;
      return { loss: ev.loss, error: errorRate(predicted, batch.labels), rateHz };
    },
  },
  initialTrainingState(weights, { train: 1, validation: 2, feedback, optimizer }),
);
backend.dispose();

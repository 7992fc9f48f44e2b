/**
 * Exact resume of reward-based e-prop training: a run of F frames, and a run stopped after F/2
 * frames, saved (through the checkpoint codec: JSON plus binary block), restored into a new
 * trainer and environment and run on to F, give the same parameters bit for bit and the same
 * episodes and updates, for both forms, both schedules, one thread and two workers.
 */
import assert from "node:assert/strict";
import { AgentTrainer, type AgentTrainerState } from "../src/agent/agent_trainer.ts";
import type { AgentUpdate, TrainedEpisode } from "../src/agent/agent_trainer.ts";
import { createCatch } from "../src/env/games/catch.ts";
import { preprocess } from "../src/env/preprocess.ts";
import { decodeState, encodeState } from "../src/util/state_codec.ts";
import { smallAgent } from "./_small_agent.ts";

const N = 4, FRAMES = 16 * 150;

function makeEnv() {
  return preprocess(createCatch({ numEnvs: N, seed: 5 }), {
    size: 12,
    maxEpisodeSteps: 30,
    jitter: 6,
    seed: 5,
  });
}

interface Run {
  params: Record<string, Float64Array>;
  episodes: TrainedEpisode[];
  updates: AgentUpdate[];
  state: AgentTrainerState;
}

async function run(
  form: "online" | "unroll" | "bptt",
  update: "all-ended" | "every-unroll",
  workers: number,
  stopAt: number,
  from?: AgentTrainerState,
  trainCnn = false,
): Promise<Run> {
  const env = makeEnv();
  const { spec, params, feedback } = smallAgent(3);
  const trainer = await AgentTrainer.create(env, spec, params, feedback, {
    form,
    update,
    unrollLength: 10,
    seed: 11,
    workers,
    trainCnn,
  });
  try {
    if (from) assert.equal(await trainer.restore(from), true, "the episodes continue");
    const episodes: TrainedEpisode[] = [], updates: AgentUpdate[] = [];
    await trainer.train(stopAt, {
      onEpisode: (e) => episodes.push(e),
      onUpdate: (u) => void updates.push(u),
    });
    const state = await trainer.save();
    return { params: trainer.params, episodes, updates, state };
  } finally {
    trainer.close();
    await env.close();
  }
}

/** The state through the checkpoint files' encoding (JSON text and a binary block). */
function throughCodec(state: AgentTrainerState): AgentTrainerState {
  const { json, binary } = encodeState(state);
  return decodeState(JSON.parse(JSON.stringify(json)), binary.slice()) as AgentTrainerState;
}

function bits(a: Float64Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

const CASES = [
  ...(["online", "unroll"] as const).flatMap((form) =>
    (["all-ended", "every-unroll"] as const).flatMap((update) =>
      [1, 2].map((workers) => ({ form, update, workers, trainCnn: false }))
    )
  ),
  { form: "bptt", update: "all-ended", workers: 2, trainCnn: true },
] as const;

for (const { form, update, workers, trainCnn } of CASES) {
  const what = `${form}${trainCnn ? " with the CNN trained" : ""}, ${update}`;
  Deno.test(`exact resume: ${what}, ${workers} worker(s)`, async () => {
    const straight = await run(form, update, workers, FRAMES, undefined, trainCnn);
    const first = await run(form, update, workers, FRAMES / 2, undefined, trainCnn);
    assert.ok(first.state.run, "the checkpoint holds the episodes");
    const second = await run(
      form,
      update,
      workers,
      FRAMES,
      throughCodec(first.state),
      trainCnn,
    );
    assert.ok(straight.updates.length >= 5, `${straight.updates.length} updates`);
    assert.ok(straight.episodes.length >= 8, `${straight.episodes.length} episodes`);
    assert.ok(first.updates.length >= 2 && second.updates.length >= 2);
    for (const [k, v] of Object.entries(straight.params)) {
      assert.deepEqual(bits(second.params[k]), bits(v), `params.${k} bit for bit`);
    }
    assert.deepEqual([...first.episodes, ...second.episodes], straight.episodes);
    assert.deepEqual([...first.updates, ...second.updates], straight.updates);
    assert.equal(second.state.frames, straight.state.frames);
    assert.deepEqual(second.state.optimizer, straight.state.optimizer);
    // the final checkpoints agree too (every trace, the environments' states)
    assert.deepEqual(encodeState(second.state), encodeState(straight.state));
  });
}

Deno.test("exact resume: an old checkpoint (no run) restarts the episodes; bad run refused", async () => {
  const first = await run("online", "every-unroll", 1, FRAMES / 4);
  const { run: _run, ...old } = first.state;
  const env = makeEnv();
  const { spec, params, feedback } = smallAgent(3);
  const trainer = await AgentTrainer.create(env, spec, params, feedback, {
    form: "online",
    seed: 11,
  });
  try {
    assert.equal(await trainer.restore(old), false);
    assert.equal(trainer.frames, first.state.frames);
    const bad = { ...first.state, run: { ...first.state.run!, groups: [] } };
    await assert.rejects(() => trainer.restore(bad), /run\.groups must hold 1 groups, got 0/);
  } finally {
    trainer.close();
    await env.close();
  }
});

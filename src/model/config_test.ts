/** The network config's checks (config.ts): each error names the field and the expected value. */
import assert from "node:assert/strict";
import { resolveNetworkConfig } from "./config.ts";

const base = { neuron: { nIn: 2, nRec: 3 }, readout: { nOut: 2 } };

Deno.test("config errors name the field and the expected value", () => {
  const cases: [unknown, new (...a: never[]) => Error, string][] = [
    [
      { ...base, neuron: { ...base.neuron, tauMMs: -20 } },
      RangeError,
      "Cannot build network: neuron.tauMMs must be > 0, got -20",
    ],
    [
      { ...base, neuron: { ...base.neuron, tauAMs: 0 } },
      RangeError,
      "Cannot build network: neuron.tauAMs must be > 0, got 0",
    ],
    [
      { ...base, neuron: { ...base.neuron, nRec: 2.5 } },
      TypeError,
      "Cannot build network: neuron.nRec must be an integer, got 2.5",
    ],
    [
      { ...base, neuron: { ...base.neuron, thr: NaN } },
      TypeError,
      "Cannot build network: neuron.thr must be a finite number, got NaN",
    ],
    [
      { ...base, neuron: { ...base.neuron, beta: [0, 1] } },
      TypeError,
      "Cannot build network: neuron.beta must have length 3, got 2",
    ],
    [
      { ...base, neuron: { ...base.neuron, beta: [0, -1, 0] } },
      RangeError,
      "Cannot build network: neuron.beta[1] must be >= 0, got -1",
    ],
    [
      { ...base, neuron: { ...base.neuron, nRef: -1 } },
      RangeError,
      "Cannot build network: neuron.nRef must be >= 0, got -1",
    ],
    [
      { ...base, neuron: { ...base.neuron, inputScaling: "big" } },
      RangeError,
      'Cannot build network: neuron.inputScaling must be one of "one", "leaky", got "big"',
    ],
    [
      { ...base, readout: { nOut: 2, filter: "boxcar" } },
      RangeError,
      'Cannot build network: readout.filter must be one of "normalized", "paper", got "boxcar"',
    ],
    [
      { ...base, readout: { nOut: 0 } },
      RangeError,
      "Cannot build network: readout.nOut must be >= 1, got 0",
    ],
    [
      { neuron: base.neuron },
      TypeError,
      "Cannot build network: readout must be an object, got undefined",
    ],
  ];
  for (const [config, type, message] of cases) {
    assert.throws(() => resolveNetworkConfig(config as never), { name: type.name, message });
  }
});

import assert from "node:assert/strict";
import { adaptationBeta, deriveConstants } from "./constants.ts";
import { resolveNetworkConfig } from "./config.ts";

const close = (a: number, b: number, tol = 1e-15) =>
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} vs ${b}`);

Deno.test("deriveConstants: the defaults (dt 1, tau_m 20, tau_a 2000, tau_out 20, normalized, one)", () => {
  const k = deriveConstants(
    resolveNetworkConfig({ neuron: { nIn: 1, nRec: 1 }, readout: { nOut: 1 } }),
  );
  close(k.alpha, Math.exp(-1 / 20));
  close(k.rho, Math.exp(-1 / 2000));
  close(k.kappa, Math.exp(-1 / 20));
  close(k.c, 1 - Math.exp(-1 / 20));
  assert.equal(k.s, 1);
  assert.equal(k.thr, 0.6);
  assert.equal(k.gamma, 0.3);
  assert.equal(k.dt, 1);
  assert.equal(k.nRef, 0);
});

Deno.test("deriveConstants: every field follows its configuration (leaky input, paper filter, dt 2)", () => {
  const k = deriveConstants(resolveNetworkConfig({
    neuron: {
      nIn: 1,
      nRec: 1,
      dtMs: 2,
      tauMMs: 10,
      tauAMs: 500,
      thr: 0.03,
      dampening: 0.5,
      nRef: 3,
      inputScaling: "leaky",
    },
    readout: { nOut: 1, tauOutMs: 4, filter: "paper" },
  }));
  close(k.alpha, Math.exp(-0.2));
  close(k.rho, Math.exp(-2 / 500));
  close(k.kappa, Math.exp(-0.5));
  assert.equal(k.c, 1);
  close(k.s, 1 - Math.exp(-0.2));
  assert.deepEqual([k.thr, k.gamma, k.dt, k.nRef], [0.03, 0.5, 2, 3]);
});

Deno.test("adaptationBeta: factor (1 - rho) / (1 - alpha), defaults factor 1.7 and dt 1", () => {
  // tau_a 2000, tau_m 20: about 1.7 x 20 / 2000 for small dt/tau (the documented 0.01742).
  const beta = adaptationBeta(2000, 20);
  close(beta, 1.7 * (1 - Math.exp(-1 / 2000)) / (1 - Math.exp(-1 / 20)));
  assert.ok(Math.abs(beta - 0.01742) < 1e-5);
  close(
    adaptationBeta(200, 20, { factor: 1, dtMs: 20 }),
    (1 - Math.exp(-0.1)) / (1 - Math.exp(-1)),
  );
  // tau_a = tau_m and factor 1: beta = 1 at any dt.
  close(adaptationBeta(30, 30, { factor: 1, dtMs: 0.5 }), 1);
});

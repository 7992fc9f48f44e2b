import assert from "node:assert/strict";
import { Rng } from "./rng.ts";

Deno.test("rng: equal seeds give equal streams, different seeds differ", () => {
  const a = new Rng(1), b = new Rng(1), c = new Rng(2);
  const xs = Array.from({ length: 5 }, () => a.uniform());
  assert.deepEqual(xs, Array.from({ length: 5 }, () => b.uniform()));
  assert.notDeepEqual(xs, Array.from({ length: 5 }, () => c.uniform()));
});

Deno.test("rng: uniform and normal moments", () => {
  const rng = new Rng(9);
  const n = 200000;
  let su = 0, sn = 0, sn2 = 0;
  for (let i = 0; i < n; i++) {
    const u = rng.uniform();
    assert.ok(u >= 0 && u < 1);
    su += u;
    const z = rng.normal();
    sn += z;
    sn2 += z * z;
  }
  assert.ok(Math.abs(su / n - 0.5) < 0.005);
  assert.ok(Math.abs(sn / n) < 0.01);
  assert.ok(Math.abs(sn2 / n - 1) < 0.01);
});

Deno.test("rng: a saved state resumes the exact stream", () => {
  const rng = new Rng(3);
  rng.normal();
  const saved = JSON.parse(JSON.stringify(rng.state()));
  const next = [rng.normal(), rng.uniform(), rng.int(10)];
  const resumed = Rng.fromState(saved);
  assert.deepEqual([resumed.normal(), resumed.uniform(), resumed.int(10)], next);
});

Deno.test("rng: rejects a non-integer seed", () => {
  assert.throws(() => new Rng(1.5), {
    message: "Cannot create Rng: seed must be an integer, got 1.5",
  });
});

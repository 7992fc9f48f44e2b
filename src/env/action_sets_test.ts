import assert from "node:assert/strict";
import { ALE_ACTIONS, authorsActions } from "./action_sets.ts";

Deno.test("the authors' action sets are ALE ids 0, 3, 4 for Pong and 0..9 elsewhere", () => {
  const ids = (names: readonly string[]) => names.map((a) => ALE_ACTIONS.indexOf(a));
  assert.equal(ALE_ACTIONS.length, 18);
  assert.deepEqual(ids(authorsActions("pong")), [0, 3, 4]);
  assert.deepEqual(ids(authorsActions("ale:pong")), [0, 3, 4]);
  assert.deepEqual(ids(authorsActions("ale:fishing_derby")), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual(authorsActions("breakout").slice(0, 5), ["NOOP", "FIRE", "UP", "RIGHT", "LEFT"]);
});

import assert from "node:assert/strict";
import { championChallenger } from "../../src/registry/champion.ts";
import { metrics, RULE } from "./_package.ts";

const ev = (rmse: number, by: Record<string, number>, version: number | null = null) => ({
  version,
  test: metrics(rmse),
  byStation: Object.fromEntries(Object.entries(by).map(([s, r]) => [s, metrics(r)])),
});

Deno.test("championChallenger() promotes when there is no production", () => {
  const d = championChallenger(ev(10, { A: 10 }), null, RULE);
  assert.equal(d.promote, true);
  assert.match(d.reason, /no production/);
  assert.equal(d.improvementPct, null);
});

Deno.test("championChallenger() promotes a clear improvement with no station much worse", () => {
  // 2% better overall; station B 4% worse: inside the 5% tolerance.
  const d = championChallenger(ev(9.8, { A: 9, B: 10.4 }), ev(10, { A: 10, B: 10 }, 1), RULE);
  assert.equal(d.promote, true, d.reason);
  assert.ok(Math.abs(d.improvementPct! - 2) < 1e-9);
  assert.equal(d.stationsCompared, 2);
  assert.match(d.reason, /^promoted/);
});

Deno.test("championChallenger() keeps a small improvement as staging and says the margin", () => {
  const d = championChallenger(ev(9.95, { A: 9.95 }), ev(10, { A: 10 }, 3), RULE);
  assert.equal(d.promote, false);
  assert.match(d.reason, /staging/);
  assert.match(d.reason, /v3/);
  assert.match(d.reason, /0\.50% < required 1\.00%/);
});

Deno.test("championChallenger() keeps a worse model as staging", () => {
  const d = championChallenger(ev(11, { A: 11 }), ev(10, { A: 10 }, 1), RULE);
  assert.equal(d.promote, false);
  assert.ok(d.improvementPct! < 0);
});

Deno.test("championChallenger() refuses a model that hurts one station beyond the tolerance", () => {
  const d = championChallenger(
    ev(9, { A: 8, B: 10.6, C: 12 }),
    ev(10, { A: 10, B: 10, C: 10 }, 2),
    RULE,
  );
  assert.equal(d.promote, false);
  assert.deepEqual(d.degradedStations.map((s) => s.station), ["C", "B"], "worst first");
  assert.ok(Math.abs(d.degradedStations[0]!.degradationPct - 20) < 1e-9);
  assert.match(d.reason, /2 station\(s\) worse by more than 5\.00%/);
  assert.match(d.reason, /C \+20\.00%/);
});

Deno.test("championChallenger() stages a model without test metrics and rejects bad margins", () => {
  const d = championChallenger(
    { version: null, test: undefined, byStation: undefined },
    ev(10, {}, 1),
    RULE,
  );
  assert.equal(d.promote, false);
  assert.match(d.reason, /no test RMSE/);
  assert.throws(
    () =>
      championChallenger(ev(1, {}), null, { minImprovementPct: -1, maxStationDegradationPct: 5 }),
    RangeError,
  );
});

Deno.test("championChallenger() does not compare RMSEs of different test splits", () => {
  const d = championChallenger(
    { ...ev(5, { A: 5 }), testData: "aaaa" },
    { ...ev(10, { A: 10 }, 4), testData: "bbbb" },
    RULE,
  );
  assert.equal(d.promote, false, "half the RMSE, but on other data");
  assert.match(d.reason, /different test split than production v4/);
  const same = championChallenger(
    { ...ev(5, { A: 5 }), testData: "aaaa" },
    { ...ev(10, { A: 10 }, 4), testData: "aaaa" },
    RULE,
  );
  assert.equal(same.promote, true);
});

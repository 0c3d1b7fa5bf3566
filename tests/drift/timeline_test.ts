import assert from "node:assert/strict";
import { driftTimeline } from "../../src/drift/timeline.ts";

Deno.test("driftTimeline: one report per month, drift only where it was injected", () => {
  const HOUR = 3600_000;
  const n = 24 * 90; // January to March 2015
  const times = Float64Array.from({ length: n }, (_, i) => Date.UTC(2015, 0, 1) + i * HOUR);
  let s = 42;
  const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const ref = {
    a: Float64Array.from({ length: 3000 }, rnd),
    b: Float64Array.from({ length: 3000 }, rnd),
  };
  const cur = {
    a: Float64Array.from(times, (t) => rnd() + (new Date(t).getUTCMonth() === 1 ? 0.5 : 0)),
    b: Float64Array.from(times, () => rnd()),
  };
  const { rows, months } = driftTimeline(ref, cur, { currentTimes: times });
  assert.deepEqual(months.map((m) => m.month), ["2015-01", "2015-02", "2015-03"]);
  assert.deepEqual(months.map((m) => m.nRows), [744, 672, 744]);
  assert.equal(rows.length, 6);
  const drifted = rows.filter((r) => r.drifted).map((r) => `${r.month}:${r.feature}`);
  assert.deepEqual(drifted, ["2015-02:a"]);
  assert.deepEqual(months.map((m) => m.driftShare), [0, 0.5, 0]);
  assert.deepEqual(months.map((m) => m.datasetDrift), [false, true, false]);
});

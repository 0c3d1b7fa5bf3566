import assert from "node:assert/strict";
import { decide, type DecisionOptions, LOG_OFFSET } from "../../src/drift/noise.ts";
import { stuckShare } from "../../src/drift/checks.ts";

const O: DecisionOptions = {
  zDrift: 3,
  zWarn: 2,
  minEffect: { distribution: 0.1, missing: 0.1, stuck: 0.1 },
  minDraws: 12,
};

/** Null statistics whose logs (with the check's offset) have mean `mu` and sd `sd`. */
function nulls(mu: number, sd: number, n = 40): number[] {
  const c = LOG_OFFSET.distribution;
  // Symmetric pairs: exact mean and sample sd.
  const half = Array.from({ length: n / 2 }, (_, i) => (i % 2 ? 1 : -1) * (1 + (i % 3) * 0.01));
  const raw = [...half, ...half.map((x) => -x)];
  const m = raw.reduce((s, x) => s + x, 0) / n;
  const s = Math.sqrt(raw.reduce((a, x) => a + (x - m) ** 2, 0) / (n - 1));
  return raw.map((x) => Math.exp(mu + (sd * (x - m)) / s) - c);
}

Deno.test("decide(): drift beyond zDrift, within noise between zWarn and zDrift, ok below", () => {
  const null_ = nulls(Math.log(0.2), 0.4);
  const at = (z: number) => Math.exp(Math.log(0.2) + z * 0.4) - LOG_OFFSET.distribution;
  assert.equal(decide("distribution", at(3.2), null_, O).state, "drift");
  assert.equal(decide("distribution", at(2.5), null_, O).state, "within_noise");
  assert.equal(decide("distribution", at(1.5), null_, O).state, "ok");
  const d = decide("distribution", at(2.5), null_, O);
  assert.ok(Math.abs(d.z! - 2.5) < 1e-9, `z ${d.z}`);
  assert.ok(Math.abs(d.threshold! - at(3)) < 1e-9);
  assert.equal(d.draws, 40);
});

Deno.test("decide(): a statistic near 0.1 gets the same verdict on either side of it", () => {
  // The textbook rule says "ok" at 0.099 and "DRIFT" at 0.105; against the noise of
  // training months whose distances sit around 0.12 both are ordinary.
  const null_ = nulls(Math.log(0.12), 0.5);
  const lo = decide("distribution", 0.099, null_, O);
  const hi = decide("distribution", 0.105, null_, O);
  assert.equal(lo.state, "ok");
  assert.equal(hi.state, lo.state);
  assert.ok(hi.threshold! > 0.4, `drift at ${hi.threshold}`);
});

Deno.test("decide(): the smallest shift that matters is a floor, and few pieces mean no verdict", () => {
  // A reference whose pieces never miss a value: 2% more missing is far beyond its noise,
  // but below the 10-point floor.
  const flat = Array.from({ length: 30 }, () => 0);
  assert.equal(decide("missing", 0.02, flat, O).state, "ok");
  assert.equal(decide("missing", 0.3, flat, O).state, "drift");
  const few = decide("distribution", 5, [0.1, 0.2, 0.3], O);
  assert.equal(few.state, "not_run");
  assert.match(few.note, /gave 3 comparable pieces, at least 12 needed/);
  assert.equal(decide("distribution", null, nulls(0, 1), O).state, "not_run");
});

Deno.test("stuckShare(): the largest share of one group's rows in runs of one non-zero value", () => {
  const values = [1, 2, 2, 2, 2, 3, 0, 0, 0, 0, 4, 4, 4, 4];
  const rows = Int32Array.from(values.keys());
  const one = new Int32Array(values.length);
  assert.equal(stuckShare(values, rows, one, 4), 8 / 14);
  // Zeros never count (a dry hour's rain), a run stops at a change of group, and the share
  // is of the group's own rows: 4 of group 0's 12; group 1 (2 rows) is too short to count.
  const groups = Int32Array.from(values, (_, i) => (i < 12 ? 0 : 1));
  assert.equal(stuckShare(values, rows, groups, 4), 4 / 12);
  assert.equal(stuckShare(values, rows, groups, 2), 1, "group 1 is one run of 2");
  assert.equal(stuckShare([NaN, NaN, NaN, NaN], Int32Array.from([0, 1, 2, 3]), one, 2), 0);
});

import assert from "node:assert/strict";
import {
  combineSigned,
  decide,
  decideSigned,
  type DecisionOptions,
  familyZ,
  LOG_OFFSET,
} from "../../src/drift/noise.ts";
import { normalSf } from "../../src/drift/special.ts";
import { stuckShare } from "../../src/drift/checks.ts";

const O: DecisionOptions = {
  zDrift: 3,
  zWarn: 2,
  minEffect: { distribution: 0.1, missing: 0.1, stuck: 0.1, cross_station: 0.1, bound: 0.1 },
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

Deno.test("familyZ(): one part keeps its |z|; the largest of many is discounted for their number", () => {
  assert.equal(familyZ([-3.5]), 3.5);
  assert.equal(familyZ([]), 0);
  // Nine stations: the largest |z| of 3.8 is as rare as a single 3.2 (Šidák).
  const z9 = familyZ([3.8, 0.2, -1, 0.5, 1.1, -0.3, 0.9, -2, 0.1]);
  const p = 1 - (1 - 2 * normalSf(3.8)) ** 9;
  assert.ok(Math.abs(2 * normalSf(z9) - p) < 1e-12, `z ${z9}`);
  assert.ok(z9 > 3.1 && z9 < 3.3, `z ${z9}`);
  // Far in the tail the adjustment still shrinks z, never to NaN.
  const far = familyZ([45, 1, 1]);
  assert.ok(far < 45 && far > 44, `z ${far}`);
});

Deno.test("decideSigned(): signed parts, the furthest part decides, both directions count", () => {
  const pieces = Array.from({ length: 30 }, (_, i) => (i % 2 ? 0.05 : -0.05));
  const sd = Math.sqrt(30 / 29) * 0.05;
  const parts = (x: number) => [
    { name: "S0", value: 0.01, nulls: pieces },
    { name: "S1", value: x, nulls: pieces },
  ];
  const down = decideSigned("cross_station", parts(-0.4), O);
  assert.equal(down.state, "drift");
  assert.equal(down.part, "S1");
  assert.equal(down.value, -0.4);
  assert.ok(Math.abs(down.parts[1]!.z - -0.4 / sd) < 1e-9);
  assert.equal(decideSigned("cross_station", parts(0.4), O).state, "drift");
  assert.equal(decideSigned("cross_station", parts(0.02), O).state, "ok");
  // The drift threshold is where the family's z reaches 3, on the deciding part's side.
  const t = decideSigned("cross_station", parts(0.4), O).threshold!;
  const at = decideSigned("cross_station", parts(t * 1.0001), O);
  assert.ok(Math.abs(at.z! - 3) < 1e-3, `z ${at.z} at the threshold ${t}`);
  // Beyond noise but below the smallest shift that matters: not a drift.
  const quiet = Array.from({ length: 30 }, (_, i) => (i % 2 ? 0.001 : -0.001));
  assert.equal(
    decideSigned("cross_station", [{ name: "S0", value: 0.05, nulls: quiet }], O).state,
    "ok",
  );
  // The sd floor (a quarter of that smallest shift): 0.11 is 4.4 floors away, a drift.
  assert.equal(
    decideSigned("cross_station", [{ name: "S0", value: 0.11, nulls: quiet }], O).state,
    "drift",
  );
  const few = decideSigned("bound", [{ name: "m", value: 1, nulls: [0, 0.1] }], O);
  assert.equal(few.state, "not_run");
  assert.match(few.note, /gave 2 comparable pieces/);
});

Deno.test("combineSigned(): a part's small shift in every month adds up; random signs do not", () => {
  const steady = Array.from({ length: 12 }, () => [
    { name: "S0", value: 0.1, z: 1.2 },
    { name: "S1", value: 0, z: 0.1 },
  ]);
  const c = combineSigned(steady)!;
  assert.equal(c.part, "S0");
  assert.ok(Math.abs(c.z - familyZ([1.2 * Math.sqrt(12), 0.1 * Math.sqrt(12)])) < 1e-12);
  assert.ok(c.z > 3);
  const mixed = Array.from(
    { length: 12 },
    (_, k) => [{ name: "S0", value: 0, z: k % 2 ? 1.2 : -1.2 }],
  );
  assert.equal(combineSigned(mixed)!.z, 0);
  assert.equal(combineSigned([]), null);
});

Deno.test("decideSigned(): the window's own sampling noise widens its part's interval", () => {
  const pieces = Array.from({ length: 30 }, (_, i) => (i % 2 ? 0.05 : -0.05));
  const plain = decideSigned("bound", [{ name: "m", value: 0.2, nulls: pieces }], O);
  const noisy = decideSigned(
    "bound",
    [{ name: "m", value: 0.2, nulls: pieces, extraVariance: 0.05 ** 2 }],
    O,
  );
  assert.equal(plain.state, "drift");
  assert.ok(Math.abs(noisy.z! - plain.z! / Math.sqrt(1 + 29 / 30)) < 1e-9, `${noisy.z}`);
  assert.ok(noisy.threshold! > plain.threshold!);
});

Deno.test("decideSigned(): several stations: the furthest must lie beyond every training month's furthest", () => {
  // Station S1 had an episode in one piece (z about 5 against the others): a window at z 4
  // is as far out as training has been, not a drift.
  const calm = Array.from({ length: 30 }, (_, i) => (i % 2 ? 0.05 : -0.05));
  const episode = calm.map((x, i) => (i === 7 ? 0.3 : x));
  const parts = (v: number) => [
    { name: "S0", value: 0, nulls: calm },
    { name: "S1", value: v, nulls: episode },
    { name: "S2", value: 0, nulls: calm },
  ];
  const sd = Math.sqrt(episode.reduce((a, x) => a + (x - 0.3 / 30) ** 2, 0) / 29);
  const d = decideSigned("cross_station", parts(0.3 / 30 + 4.5 * sd), O);
  assert.notEqual(d.state, "drift", `z ${d.z}`);
  assert.equal(d.part, "S1");
  // Far beyond it, a drift.
  assert.equal(decideSigned("cross_station", parts(2), O).state, "drift");
});

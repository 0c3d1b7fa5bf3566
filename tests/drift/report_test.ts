import assert from "node:assert/strict";
import { type Columns, driftReport } from "../../src/drift/report.ts";
import { ks2samp } from "../../src/drift/ks.ts";
import { SHARED } from "./_fixtures.ts";

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}
const normal = (rnd: () => number) => () =>
  Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());

function batch(n: number, shift: number, seed: number): Columns {
  const g = normal(lcg(seed));
  const wd = ["N", "E", "S", "W"];
  const rnd = lcg(seed + 1);
  return {
    temp: Float64Array.from({ length: n }, () => g() + shift),
    pres: Float32Array.from({ length: n }, () => 1000 + 5 * g()),
    wd: Array.from({ length: n }, () => wd[Math.floor(rnd() * (shift > 0 ? 2 : 4))]!),
  };
}

Deno.test("small reference: KS and chi-square, with scipy's KS p-value", () => {
  const e = SHARED.numeric[0];
  const report = driftReport(
    { x: Float64Array.from(e.reference) },
    { x: Float64Array.from(e.current) },
  );
  const f = report.features[0]!;
  assert.equal(f.test, "ks");
  assert.equal(f.pValue, ks2samp(e.reference, e.current).pValue);
  assert.ok(Math.abs(f.pValue! - e.ks_pvalue) <= 1e-9 * e.ks_pvalue);
  assert.equal(f.drifted, e.ks_pvalue < 0.05);
  assert.equal(f.threshold, 0.05);
});

Deno.test("large reference: normed Wasserstein and Jensen-Shannon; dataset verdict", () => {
  const ref = batch(3000, 0, 1);
  const same = driftReport(ref, batch(2000, 0, 2));
  assert.deepEqual(same.features.map((f) => f.test), [
    "wasserstein",
    "wasserstein",
    "jensenshannon",
  ]);
  assert.equal(same.nDrifted, 0);
  assert.equal(same.datasetDrift, false);
  const shifted = driftReport(ref, batch(2000, 1, 3));
  const byName = Object.fromEntries(shifted.features.map((f) => [f.feature, f]));
  assert.equal(byName.temp!.drifted, true);
  assert.equal(byName.pres!.drifted, false);
  assert.equal(byName.wd!.drifted, true);
  assert.ok(Math.abs(shifted.driftShare! - 2 / 3) < 1e-15);
  assert.equal(shifted.datasetDrift, true);
  assert.equal(driftReport(ref, batch(2000, 1, 3), { datasetDriftShare: 0.9 }).datasetDrift, false);
  // Supplementary scores come from the same sorted columns.
  assert.ok(byName.temp!.scores!.ksPValue < 1e-10 && byName.temp!.scores!.psi > 0.25);
});

Deno.test("bad batches: missing column, all-missing, empty, 3 rows, unseen category", () => {
  const ref = batch(500, 0, 4);
  const cur = batch(200, 0, 5);
  const noTemp = { pres: cur.pres!, wd: cur.wd! };
  const r1 = driftReport(ref, noTemp);
  assert.deepEqual(r1.missingColumns.current, ["temp"]);
  assert.equal(r1.features[0]!.status, "not_run");
  assert.match(r1.features[0]!.note, /missing from the current batch/);
  assert.equal(r1.nTested, 2);

  const allNaN = driftReport(ref, { ...cur, temp: new Float64Array(200).fill(NaN) });
  const t = allNaN.features[0]!;
  assert.equal(t.status, "not_run");
  assert.equal(t.missingShareCurrent, 1);
  assert.match(t.note, /current has 0 non-missing values/);

  const empty = driftReport(ref, { temp: new Float64Array(0), pres: new Float32Array(0), wd: [] });
  assert.equal(empty.nTested, 0);
  assert.equal(empty.driftShare, null);
  assert.equal(empty.datasetDrift, false);
  assert.ok(empty.notes.some((n) => /empty/.test(n)));

  const three = driftReport(ref, {
    temp: new Float64Array([0.1, 0.2, NaN]),
    pres: new Float32Array([1000, 1001, 999]),
    wd: ["N", null, "E"],
  });
  for (const f of three.features) {
    assert.equal(f.status, "not_run");
    assert.match(f.note, /at least 5 needed/);
  }
  assert.ok(Math.abs(three.features[0]!.missingShareCurrent! - 1 / 3) < 1e-15);

  const unseen = driftReport(ref, {
    ...cur,
    wd: (cur.wd as (string | null)[]).map((v, i) => (i % 10 ? v : "NNE")),
  });
  const wd = unseen.features[2]!;
  assert.deepEqual(wd.unseenCategories, ["NNE"]);
  assert.match(wd.note, /Unseen categories in current: NNE/);
  assert.equal(wd.status, "tested");
});

Deno.test("prediction and target drift are reported apart from the feature share", () => {
  const ref = batch(400, 0, 6);
  const cur = batch(400, 0, 7);
  const g = normal(lcg(9));
  const report = driftReport(ref, cur, {
    extra: {
      prediction: {
        reference: Float64Array.from({ length: 400 }, g),
        current: Float64Array.from({ length: 400 }, () => g() + 2),
      },
      target: {
        reference: Float64Array.from({ length: 400 }, g),
        current: Float64Array.from({ length: 400 }, g),
      },
    },
  });
  assert.equal(report.prediction!.role, "prediction");
  assert.equal(report.prediction!.drifted, true);
  assert.equal(report.target!.drifted, false);
  assert.equal(report.nFeatures, 3);
});

Deno.test("numeric columns with few distinct values are tested as categories", () => {
  const rnd = lcg(11);
  const ref = { flag: Float64Array.from({ length: 300 }, () => (rnd() < 0.3 ? 1 : 0)) };
  const cur = { flag: Float64Array.from({ length: 300 }, () => (rnd() < 0.6 ? 1 : 0)) };
  const f = driftReport(ref, cur).features[0]!;
  assert.equal(f.test, "z");
  assert.equal(f.drifted, true);
  assert.match(f.note, /tested as categories/);
});

Deno.test("a numeric kind on a string column is reported, not thrown", () => {
  const f = driftReport({ a: ["1", "2"] }, { a: ["1", "2"] }, { kinds: { a: "numeric" } })
    .features[0]!;
  assert.equal(f.status, "not_run");
  assert.match(f.note, /declared numeric/);
});

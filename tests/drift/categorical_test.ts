import assert from "node:assert/strict";
import {
  chi2Contingency,
  countCategories,
  jensenShannonDistance,
  proportionsZTest,
} from "../../src/drift/categorical.ts";
import { assertClose, EXTRA, SHARED } from "./_fixtures.ts";

Deno.test("chi2Contingency and jensenShannonDistance match scipy", () => {
  for (const e of SHARED.categorical) {
    const r = chi2Contingency(e.reference_counts, e.current_counts);
    assertClose(r.statistic, e.chi2, `${e.name} chi2`);
    assertClose(r.pValue, e.chi2_pvalue, `${e.name} p-value`);
    assert.equal(r.dof, e.dof);
    assertClose(
      jensenShannonDistance(e.reference_counts, e.current_counts),
      e.jensenshannon_base2,
      e.name,
    );
  }
  for (const e of EXTRA.chi2) {
    const r = chi2Contingency(e.reference_counts, e.current_counts);
    assertClose(r.statistic, e.chi2, "chi2");
    assertClose(r.pValue, e.pvalue, "p-value");
    assert.equal(r.dof, e.dof);
    assertClose(
      jensenShannonDistance(e.reference_counts, e.current_counts),
      e.jensenshannon_base2,
      "js",
    );
  }
});

Deno.test("chi2Contingency drops categories empty in both samples", () => {
  const a = chi2Contingency([10, 0, 5], [3, 0, 9]);
  const b = chi2Contingency([10, 5], [3, 9]);
  assert.deepEqual(a, b);
  assert.deepEqual(chi2Contingency([4], [7]), { statistic: 0, pValue: 1, dof: 0 });
  assert.throws(() => chi2Contingency([0, 0], [1, 2]), /non-empty/);
});

Deno.test("jensenShannonDistance is 1 for disjoint supports and 0 for equal ones", () => {
  assertClose(jensenShannonDistance([1, 0], [0, 1]), 1, "disjoint", 1e-15);
  assert.equal(jensenShannonDistance([2, 4], [1, 2]), 0);
});

Deno.test("proportionsZTest: textbook value and the single-value convention", () => {
  // 30/100 vs 45/100: pooled 0.375, z = -0.15 / sqrt(0.375·0.625·0.02) = -2.1909.
  const r = proportionsZTest(30, 100, 45, 100);
  assertClose(r.statistic, -0.15 / Math.sqrt(0.375 * 0.625 * 0.02), "z", 1e-14);
  assert.ok(Math.abs(r.pValue - 0.02846) < 1e-4);
  assert.deepEqual(proportionsZTest(10, 10, 5, 5), { statistic: 0, pValue: 1 });
});

Deno.test("countCategories lists unseen categories and counts missing", () => {
  const c = countCategories(["a", "b", null, "a"], ["b", "c", "", "c"]);
  assert.deepEqual(c.categories, ["a", "b", "c"]);
  assert.deepEqual(c.referenceCounts, [2, 1, 0]);
  assert.deepEqual(c.currentCounts, [0, 1, 2]);
  assert.deepEqual(c.unseen, ["c"]);
  assert.equal(c.referenceMissing, 1);
  assert.equal(c.currentMissing, 1);
});

import assert from "node:assert/strict";
import { ks2samp, ks2sampSorted, ksStatisticSorted } from "../../src/drift/ks.ts";
import { assertClose, EXTRA, SHARED } from "./_fixtures.ts";

Deno.test("ks2samp matches scipy on the shared fixtures (exact and asymptotic)", () => {
  for (const e of SHARED.numeric) {
    const r = ks2samp(e.reference, e.current);
    assertClose(r.statistic, e.ks_statistic, `${e.name} statistic`);
    assertClose(r.pValue, e.ks_pvalue, `${e.name} p-value`);
    assertClose(r.pValueAsymp, e.ks_pvalue_asymp, `${e.name} asymptotic p-value`);
    const n = Math.max(e.reference.length, e.current.length);
    assert.equal(r.method, n <= 10000 ? "exact" : "asymp", e.name);
  }
});

Deno.test("ks2samp matches scipy on awkward sizes, ties and n1 = n2", () => {
  for (const e of EXTRA.ks) {
    const what = `${e.reference.length} x ${e.current.length}`;
    const r = ks2samp(e.reference, e.current);
    assertClose(r.statistic, e.statistic, `${what} statistic`);
    assertClose(r.pValue, e.pvalue, `${what} p-value`);
    if (e.pvalue_asymp === null) assert.ok(Number.isNaN(r.pValueAsymp), `${what}: scipy gives NaN`);
    else assertClose(r.pValueAsymp, e.pvalue_asymp, `${what} asymptotic p-value`);
  }
});

Deno.test("ks2samp method option and symmetry", () => {
  const e = SHARED.numeric[0];
  const asymp = ks2samp(e.reference, e.current, { method: "asymp" });
  assert.equal(asymp.method, "asymp");
  assertClose(asymp.pValue, e.ks_pvalue_asymp, "forced asymptotic");
  const swapped = ks2samp(e.current, e.reference);
  assertClose(swapped.pValue, e.ks_pvalue, "p-value is symmetric in the samples");
});

Deno.test("ks2samp does not mutate its input and rejects bad samples", () => {
  const a = new Float64Array([3, 1, 2]);
  ks2samp(a, [1, 2, 5]);
  assert.deepEqual([...a], [3, 1, 2]);
  assert.throws(() => ks2samp([], [1]), /non-empty/);
  assert.throws(() => ks2samp([1, NaN], [1]), /NaN at index 1/);
});

Deno.test("ksStatisticSorted equals a brute-force sup over all points", () => {
  const a = [0.1, 0.5, 0.5, 0.9, 1.2];
  const b = [0.5, 0.6, 0.7, 2];
  let sup = 0;
  for (const x of [...a, ...b]) {
    const fa = a.filter((v) => v <= x).length / a.length;
    const fb = b.filter((v) => v <= x).length / b.length;
    sup = Math.max(sup, Math.abs(fa - fb));
  }
  assert.equal(ksStatisticSorted(a, b), sup);
  assert.equal(ks2sampSorted(a, a).pValue, 1);
});

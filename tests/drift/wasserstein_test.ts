import assert from "node:assert/strict";
import {
  populationStd,
  wassersteinDistance,
  wassersteinNormalizedSorted,
} from "../../src/drift/wasserstein.ts";
import { assertClose, EXTRA, SHARED } from "./_fixtures.ts";

Deno.test("wassersteinDistance matches scipy", () => {
  for (const e of SHARED.numeric) {
    assertClose(wassersteinDistance(e.reference, e.current), e.wasserstein, e.name, 1e-12);
  }
  for (const e of EXTRA.ks) {
    assertClose(wassersteinDistance(e.reference, e.current), e.wasserstein, "extra", 1e-12);
  }
});

Deno.test("normed Wasserstein divides by the reference's population std (Evidently)", () => {
  for (const e of EXTRA.ks.slice(3)) {
    const r = Float64Array.from(e.reference).sort();
    const c = Float64Array.from(e.current).sort();
    assertClose(populationStd(r), e.std, "np.std", 1e-12);
    assertClose(wassersteinNormalizedSorted(r, c), e.wasserstein / e.std, "normed", 1e-12);
  }
  // A constant reference uses the 0.001 floor instead of dividing by zero.
  assertClose(wassersteinNormalizedSorted([1, 1, 1], [1, 1, 2]), 1 / 3 / 0.001, "floor", 1e-14);
});

Deno.test("Wasserstein of a shift is the shift", () => {
  const a = Array.from({ length: 50 }, (_, i) => i * 0.37);
  assertClose(wassersteinDistance(a, a.map((x) => x + 2.5)), 2.5, "shift", 1e-12);
  assert.equal(wassersteinDistance(a, a), 0);
});

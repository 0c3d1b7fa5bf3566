import assert from "node:assert/strict";
import { selectTest } from "../../src/drift/select.ts";

Deno.test("selectTest follows Evidently's defaults", () => {
  assert.deepEqual(
    [
      selectTest("numeric", 1000, 100).test,
      selectTest("numeric", 1001, 100).test,
      selectTest("numeric", 500, 5).test,
      selectTest("numeric", 500, 2).test,
      selectTest("numeric", 5000, 4).test,
      selectTest("categorical", 500, 16).test,
      selectTest("categorical", 500, 2).test,
      selectTest("categorical", 5000, 16).test,
    ],
    ["ks", "wasserstein", "chisquare", "z", "jensenshannon", "chisquare", "z", "jensenshannon"],
  );
  assert.equal(selectTest("numeric", 10, 50).threshold, 0.05);
  assert.equal(selectTest("numeric", 5000, 50).threshold, 0.1);
  assert.equal(selectTest("numeric", 5000, 50, { distanceThreshold: 0.2 }).threshold, 0.2);
  assert.equal(selectTest("numeric", 1500, 50, { smallReferenceMax: 2000 }).test, "ks");
  assert.throws(() => selectTest("categorical", 10, 3, { test: "ks" }), TypeError);
});

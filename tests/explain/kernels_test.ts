/**
 * The per-tree kernels of TreeExplainer come in an unrolled form for 4 quadrature points
 * (paths with 7-8 distinct features) and a generic loop for the others: both against
 * Algorithm 2 on trees that split on the same feature again and again along a path (few
 * features, deep trees), where the bottom-up pass must subtract re-split leaves, including
 * a node that re-splits the very feature of its own edge.
 */
import assert from "node:assert/strict";
import { predict } from "../../src/gbdt/predict.ts";
import type { FeatureMatrix } from "../../src/data/matrix.ts";
import { checkAdditivity, shapValues, TreeExplainer } from "../../src/explain/mod.ts";
import { shapAlg2 } from "./reference_treeshap.ts";
import { mulberry32, randomEnsemble, randomRows } from "./random_trees.ts";

for (const [F, depth] of [[3, 6], [4, 8], [6, 8], [8, 9], [9, 11]] as const) {
  Deno.test(`TreeExplainer matches Algorithm 2 with re-splits: ${F} features, depth ${depth}`, () => {
    const rand = mulberry32(100 + F * depth);
    const model = randomEnsemble(rand, { nTrees: 6, nFeatures: F, maxDepth: depth, nRows: 600 });
    const n = 12;
    const m: FeatureMatrix = {
      data: randomRows(rand, n, F, 0.15),
      nRows: n,
      nCols: F,
      names: model.featureNames,
    };
    const explainer = new TreeExplainer(model);
    const shap = shapValues(explainer, m);
    const check = checkAdditivity(shap.expectedValue, shap, predict(model, m), 1e-9);
    assert.ok(check.ok, `worst row ${check.worstRow}: relative error ${check.relError}`);
    for (let i = 0; i < n; i++) {
      const want = shapAlg2(model, m.data.subarray(i * F, (i + 1) * F));
      for (let j = 0; j < F; j++) {
        const got = shap.values[i * F + j]!;
        assert.ok(
          Math.abs(got - want[j]!) <= 1e-9 * Math.max(1, Math.abs(want[j]!)),
          `row ${i} feature ${j}: got ${got}, want ${want[j]}`,
        );
      }
    }
    // Run twice: scratch space left by one row must not leak into the next. And the batch
    // kernel (two rows per tree walk) gives the bits of the one-row kernel.
    assert.deepEqual(shapValues(explainer, m).values, shap.values);
    for (let i = 0; i < n; i++) {
      const one = shapValues(explainer, m.data.subarray(i * F, (i + 1) * F)).values;
      assert.deepEqual(one, shap.values.subarray(i * F, (i + 1) * F), `row ${i}: batch = one row`);
    }
  });
}

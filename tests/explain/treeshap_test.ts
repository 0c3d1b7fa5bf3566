import assert from "node:assert/strict";
import { importXgboostJson } from "../../src/gbdt/xgboost_import.ts";
import { predict, predictRow } from "../../src/gbdt/predict.ts";
import type { FeatureMatrix } from "../../src/data/matrix.ts";
import {
  checkAdditivity,
  globalImportance,
  shapInteractionValues,
  shapValues,
  TreeExplainer,
} from "../../src/explain/mod.ts";
import {
  interactionsAlg2,
  interactionsBruteForce,
  shapAlg2,
  shapBruteForce,
} from "./reference_treeshap.ts";
import { mulberry32, randomEnsemble, randomRows } from "./random_trees.ts";
import { FIXTURES_DIR as FIXTURES } from "../fixtures/mod.ts";

interface Expected {
  feature_names: string[];
  rows: (number | null)[][];
  prediction: number[];
  shap_contribs: number[][];
  shap_interactions_first25: number[][][];
}

function fixture() {
  const model = importXgboostJson(
    JSON.parse(Deno.readTextFileSync(`${FIXTURES}/xgb_pm25_small.json`)),
  );
  const exp = JSON.parse(
    Deno.readTextFileSync(`${FIXTURES}/xgb_pm25_small.expected.json`),
  ) as Expected;
  const F = exp.feature_names.length;
  const data = new Float32Array(exp.rows.length * F);
  exp.rows.forEach((r, i) => r.forEach((v, j) => data[i * F + j] = v === null ? NaN : v));
  const m: FeatureMatrix = { data, nRows: exp.rows.length, nCols: F, names: exp.feature_names };
  return { model, exp, m, F };
}

/** XGBoost works in float32: allow 1e-5 of max(1, |value|) (its rounding on outputs ~100). */
function close(got: number, want: number, what: string, tol = 1e-5) {
  assert.ok(
    Math.abs(got - want) <= tol * Math.max(1, Math.abs(want)),
    `${what}: got ${got}, want ${want}`,
  );
}

function closeArrays(got: ArrayLike<number>, want: ArrayLike<number>, what: string, tol = 1e-9) {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let k = 0; k < got.length; k++) close(got[k]!, want[k]!, `${what}[${k}]`, tol);
}

{
  Deno.test("shapValues() matches XGBoost pred_contribs on all 300 fixture rows", () => {
    const { model, exp, m, F } = fixture();
    const shap = shapValues(model, m);
    assert.equal(shap.nRows, 300);
    for (let i = 0; i < 300; i++) {
      const want = exp.shap_contribs[i]!;
      assert.equal(want.length, F + 1);
      for (let j = 0; j < F; j++) close(shap.values[i * F + j]!, want[j]!, `row ${i} ${j}`);
      close(shap.expectedValue, want[F]!, `row ${i} bias`);
    }
  });

  Deno.test("shapInteractionValues() matches XGBoost pred_interactions", () => {
    const { model, exp, m, F } = fixture();
    const first25 = { ...m, data: m.data.subarray(0, 25 * F), nRows: 25 };
    const iv = shapInteractionValues(model, first25);
    for (let r = 0; r < 25; r++) {
      const want = exp.shap_interactions_first25[r]!;
      assert.equal(want.length, F + 1);
      // XGBoost forms each entry as (on - off) / 2 of two float32 SHAP sums as large as the
      // row's largest effect, so its rounding scales with that (its own (1, 0) and (0, 1)
      // differ by 1.2e-5 on row 22): 1e-6 of the row's largest |value|, at least 1e-5.
      const scale = Math.max(10, ...want.flat().map(Math.abs));
      for (let i = 0; i < F; i++) {
        for (let j = 0; j < F; j++) {
          const got = iv.values[(r * F + i) * F + j]!, w = want[i]![j]!;
          assert.ok(Math.abs(got - w) <= 1e-6 * scale, `row ${r} (${i}, ${j}): ${got} vs ${w}`);
        }
        close(0, want[i]![F]!, `row ${r} (${i}, bias)`);
      }
      close(iv.expectedValue, want[F]![F]!, `row ${r} bias`);
    }
  });
}

Deno.test("TreeExplainer agrees with Algorithm 2 and brute-force Shapley on small random trees", () => {
  const rand = mulberry32(7);
  for (let trial = 0; trial < 12; trial++) {
    const F = 4 + (trial % 2);
    const model = randomEnsemble(rand, {
      nTrees: 3,
      nFeatures: F,
      maxDepth: 3 + (trial % 3),
      nRows: 300,
      pStop: 0.15,
      missing: 0.2,
    });
    const fast = new TreeExplainer(model);
    const x = randomRows(rand, 10, F, 0.2);
    for (let i = 0; i < 10; i++) {
      const row = x.subarray(i * F, (i + 1) * F);
      const brute = shapBruteForce(model, row);
      const what = `trial ${trial} row ${i}`;
      closeArrays(shapAlg2(model, row), brute, `${what} Algorithm 2`);
      closeArrays(shapValues(fast, row).values, brute, `${what} fast`);
      const bruteIv = interactionsBruteForce(model, row);
      closeArrays(interactionsAlg2(model, row), bruteIv, `${what} conditioned Algorithm 2`);
      closeArrays(shapInteractionValues(fast, row).values, bruteIv, `${what} fast iv`);
    }
  }
});

Deno.test("TreeExplainer is additive and matches Algorithm 2 on deep trees with missing values", () => {
  const rand = mulberry32(11);
  const F = 22;
  const model = randomEnsemble(rand, { nTrees: 20, nFeatures: F, maxDepth: 8, pStop: 0.05 });
  const m: FeatureMatrix = {
    data: randomRows(rand, 40, F, 0.15),
    nRows: 40,
    nCols: F,
    names: model.featureNames,
  };
  const explainer = new TreeExplainer(model);
  const shap = shapValues(explainer, m);
  const check = checkAdditivity(shap.expectedValue, shap, predict(model, m), 1e-9);
  assert.ok(check.ok, `worst row ${check.worstRow}: relative error ${check.relError}`);
  for (let i = 0; i < 5; i++) {
    const row = m.data.subarray(i * F, (i + 1) * F);
    closeArrays(shap.values.subarray(i * F, (i + 1) * F), shapAlg2(model, row), `row ${i}`);
    const iv = shapInteractionValues(explainer, row).values;
    closeArrays(iv, interactionsAlg2(model, row), `row ${i} interactions`);
    let total = shap.expectedValue;
    for (const v of iv) total += v;
    close(total, predictRow(model, row), `row ${i} interaction sum`, 1e-9);
  }
});

Deno.test("checkAdditivity() reports the worst row and fails past the tolerance", () => {
  const shap = { values: new Float64Array([1, 2, 3, 4]), nRows: 2, nFeatures: 2 };
  const good = checkAdditivity(10, shap, [13, 17]);
  assert.deepEqual(good, { ok: true, worstRow: 0, absError: 0, relError: 0 });
  const bad = checkAdditivity(10, shap, [13, 17.5]);
  assert.equal(bad.ok, false);
  assert.equal(bad.worstRow, 1);
  assert.equal(bad.absError, 0.5);
  assert.equal(bad.relError, 0.5 / 17.5);
  assert.equal(checkAdditivity(10, shap, [13, NaN]).ok, false);
  assert.throws(() => checkAdditivity(10, shap, [1]), RangeError);
});

Deno.test("globalImportance() ranks features by mean |SHAP|", () => {
  const shap = {
    values: new Float64Array([1, -4, 0.5, -3, 2, 0.5]),
    nRows: 2,
    nFeatures: 3,
    featureNames: ["a", "b", "c"],
    expectedValue: 0,
  };
  assert.deepEqual(globalImportance(shap), [
    { feature: "b", index: 1, meanAbsShap: 3 },
    { feature: "a", index: 0, meanAbsShap: 2 },
    { feature: "c", index: 2, meanAbsShap: 0.5 },
  ]);
});

Deno.test("shapValues() rejects rows of the wrong width and zero covers", () => {
  const { model } = fixture();
  assert.throws(
    () => shapValues(model, new Float32Array(3)),
    /the model expects 15 features, the row has 3/,
  );
  const bad = structuredClone(model);
  bad.trees[0]!.cover[1] = 0;
  assert.throws(() => new TreeExplainer(bad), /TreeSHAP needs positive covers/);
});

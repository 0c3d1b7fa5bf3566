import assert from "node:assert/strict";
import { importXgboostJson } from "../../src/gbdt/xgboost_import.ts";
import { predict } from "../../src/gbdt/predict.ts";
import type { FeatureMatrix } from "../../src/data/matrix.ts";
import { FIXTURES_DIR as FIXTURES } from "../fixtures/mod.ts";

interface Expected {
  feature_names: string[];
  rows: (number | null)[][];
  prediction: number[];
}

function loadJson(name: string): unknown {
  return JSON.parse(Deno.readTextFileSync(`${FIXTURES}/${name}`));
}

function toMatrix(rows: (number | null)[][], names: string[]): FeatureMatrix {
  const data = new Float32Array(rows.length * names.length);
  rows.forEach((r, i) => r.forEach((v, j) => data[i * names.length + j] = v === null ? NaN : v));
  return { data, nRows: rows.length, nCols: names.length, names };
}

Deno.test("importXgboostJson() reproduces XGBoost 1.7 predictions on the fixture", () => {
  const model = importXgboostJson(loadJson("xgb_pm25_small.json"));
  const exp = loadJson("xgb_pm25_small.expected.json") as Expected;
  assert.deepEqual(model.featureNames, exp.feature_names);
  assert.equal(model.trees.length, 40);
  const p = predict(model, toMatrix(exp.rows, exp.feature_names));
  assert.equal(p.length, 300);
  for (let i = 0; i < p.length; i++) {
    const want = exp.prediction[i]!;
    // XGBoost sums in float32: 1e-5 relative (of max(|y|, 1)) leaves room for its rounding only.
    assert.ok(
      Math.abs(p[i]! - want) <= 1e-5 * Math.max(1, Math.abs(want)),
      `row ${i}: ${p[i]} vs XGBoost ${want}`,
    );
  }
});

Deno.test("importXgboostJson() reads leaf values from split_conditions and covers from sum_hessian", () => {
  const raw = loadJson("xgb_pm25_small.json") as {
    learner: { gradient_booster: { model: { trees: Record<string, number[]>[] } } };
  };
  const t0 = raw.learner.gradient_booster.model.trees[0]!;
  const tree = importXgboostJson(raw).trees[0]!;
  for (let n = 0; n < t0.left_children!.length; n++) {
    assert.equal(tree.cover[n], t0.sum_hessian![n]);
    if (t0.left_children![n] === -1) {
      assert.equal(tree.feature[n], -1);
      assert.equal(tree.value[n], Math.fround(t0.base_weights![n]!));
    } else {
      assert.equal(tree.threshold[n], Math.fround(t0.split_conditions![n]!));
    }
  }
});

function tiny(overrides: Record<string, unknown> = {}, objective = "reg:squarederror"): unknown {
  return {
    version: [2, 0, 3],
    learner: {
      objective: { name: objective },
      learner_model_param: { base_score: "[5E-1]", num_feature: "2", num_class: "0" },
      gradient_booster: {
        name: "gbtree",
        model: {
          trees: [{
            left_children: [1, -1, -1],
            right_children: [2, -1, -1],
            split_indices: [1, 0, 0],
            split_conditions: [0.5, -1, 2],
            default_left: [0, 0, 0],
            base_weights: [0, -1, 2],
            sum_hessian: [10, 4, 6],
            loss_changes: [3, 0, 0],
          }],
        },
      },
      ...overrides,
    },
  };
}

Deno.test("importXgboostJson() parses a 3.x bracketed base_score and names features f0..", () => {
  const m = importXgboostJson(tiny());
  assert.equal(m.baseScore, 0.5);
  assert.deepEqual(m.featureNames, ["f0", "f1"]);
  const x = { data: new Float32Array([0, 0, 0, 1, 0, NaN]), nRows: 3, nCols: 2, names: [] };
  assert.deepEqual([...predict(m, x)], [-0.5, 2.5, 2.5]);
});

Deno.test("importXgboostJson() rejects unsupported objectives and boosters by name", () => {
  assert.throws(
    () => importXgboostJson(tiny({}, "binary:logistic")),
    (e: unknown) => e instanceof TypeError && /binary:logistic/.test(e.message),
  );
  const dart = tiny() as { learner: { gradient_booster: { name: string } } };
  dart.learner.gradient_booster.name = "dart";
  assert.throws(() => importXgboostJson(dart), /expected booster "gbtree", got "dart"/);
  assert.throws(() => importXgboostJson({}), /missing field "model.learner"/);
});

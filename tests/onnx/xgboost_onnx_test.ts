import assert from "node:assert/strict";
import { importXgboostJson } from "../../src/gbdt/xgboost_import.ts";
import { exportTreeEnsemble } from "../../src/onnx/export.ts";
import { importOnnx } from "../../src/onnx/import.ts";
import { createSession } from "../../src/onnx/session.ts";
import { FIXTURES_DIR as FIXTURES } from "../fixtures/mod.ts";

interface Expected {
  feature_names: string[];
  rows: (number | null)[][];
  prediction: number[];
}

Deno.test("an XGBoost model exported to ONNX scores as XGBoost does in onnxruntime", async () => {
  const model = importXgboostJson(
    JSON.parse(await Deno.readTextFile(`${FIXTURES}/xgb_pm25_small.json`)),
  );
  const exp = JSON.parse(
    await Deno.readTextFile(`${FIXTURES}/xgb_pm25_small.expected.json`),
  ) as Expected;
  const names = exp.feature_names;
  const data = Float32Array.from(exp.rows.flat(), (v) => v === null ? NaN : v);
  const bytes = exportTreeEnsemble(model, { source: "xgboost 1.7.4 fixture" });
  const scorer = await createSession(bytes);
  const y = await scorer.run({ data, nRows: exp.rows.length, nCols: names.length, names });
  assert.equal(y.length, 300);
  for (let i = 0; i < y.length; i++) {
    const want = exp.prediction[i]!;
    // XGBoost and onnxruntime both sum in float32, in possibly different orders.
    assert.ok(
      Math.abs(y[i]! - want) <= 1e-5 * Math.max(1, Math.abs(want)),
      `row ${i}: onnxruntime ${y[i]} vs XGBoost ${want}`,
    );
  }
  // And the ONNX file gives the same trees back, covers included (TreeSHAP needs them).
  const r = importOnnx(bytes);
  assert.equal(r.kind, "tree_ensemble");
  if (r.kind === "tree_ensemble") {
    assert.deepEqual(r.model, model);
    assert.ok(r.model.trees.every((t) => t.cover.every((c) => c > 0)));
  }
});

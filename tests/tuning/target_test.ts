/**
 * A change-target model answers the level everywhere: predict(), the exported ONNX graph
 * (onnxruntime), the model JSON and TreeSHAP (values sum to the level prediction), with the
 * documented add-back where PM2.5 now is missing (an hour before, else the fallback).
 */
import assert from "node:assert/strict";
import { train } from "../../src/gbdt/boost.ts";
import { predict, predictRow } from "../../src/gbdt/predict.ts";
import { modelFromJSON, modelToJSON } from "../../src/gbdt/serialize.ts";
import type { TreeEnsemble } from "../../src/gbdt/tree.ts";
import { exportTreeEnsemble } from "../../src/onnx/export.ts";
import { createSession } from "../../src/onnx/session.ts";
import { TreeExplainer } from "../../src/explain/tree_explainer.ts";
import { shapValues } from "../../src/explain/shap_values.ts";
import { shapInteractionValues } from "../../src/explain/shap_interaction_values.ts";
import { addBackValues, fitAddBack, targetForms, treeTarget } from "../../src/tuning/target.ts";
import { trendingSeries } from "./_series.ts";

async function changeModel(): Promise<
  { model: TreeEnsemble; d: ReturnType<typeof trendingSeries> }
> {
  const d = trendingSeries(40);
  const a = fitAddBack(d.X, d.y);
  const r = await train(d.X, treeTarget(d.y, addBackValues(a, d.X)), {
    nEstimators: 30,
    maxDepth: 4,
    learningRate: 0.3,
    seed: 1,
  }, { threads: 1 });
  return { model: { ...r.model, addBack: a }, d };
}

/** Rows with PM2.5 present, PM2.5 missing (lag present) and both missing. */
function cases(d: ReturnType<typeof trendingSeries>) {
  const p = d.X.nCols, at = (i: number, j: number) => d.X.data[i * p + j]!;
  const find = (f: (i: number) => boolean) =>
    Array.from({ length: d.y.length }, (_, i) => i).find(f)!;
  return {
    present: find((i) => !Number.isNaN(at(i, 0))),
    lag: find((i) => Number.isNaN(at(i, 0)) && !Number.isNaN(at(i, 1))),
    none: find((i) => Number.isNaN(at(i, 0)) && Number.isNaN(at(i, 1))),
  };
}

Deno.test("fitAddBack: PM2.5 now, else an hour before, else the training mean", async () => {
  const { model, d } = await changeModel();
  const a = model.addBack!;
  assert.deepEqual(a.features, ["PM2.5", "pm25_lag1"]);
  const mean = d.y.reduce((s, v) => s + v, 0) / d.y.length;
  assert.ok(Math.abs(a.fallback - mean) < 1e-3);
  const c = cases(d), p = d.X.nCols;
  const trees = predict({ ...model, addBack: undefined }, d.X), level = predict(model, d.X);
  assert.ok(Math.abs(level[c.present]! - trees[c.present]! - d.X.data[c.present * p]!) < 1e-9);
  assert.ok(Math.abs(level[c.lag]! - trees[c.lag]! - d.X.data[c.lag * p + 1]!) < 1e-9);
  assert.ok(Math.abs(level[c.none]! - trees[c.none]! - a.fallback) < 1e-9);
  // One-row prediction is the same path.
  for (const i of Object.values(c)) {
    assert.ok(Math.abs(predictRow(model, d.X.data, i * p) - level[i]!) < 1e-9);
    assert.ok(
      Math.abs(predictRow(model, Array.from(d.X.data.subarray(i * p, i * p + p))) - level[i]!) <
        1e-9,
    );
  }
  // The level model is close to the truth where a trees-only answer (the change) is not.
  const mae = (p: Float64Array) => p.reduce((s, v, i) => s + Math.abs(v - d.y[i]!), 0) / p.length;
  assert.ok(mae(level) < 5 && mae(trees) > 20, `MAE level ${mae(level)}, trees only ${mae(trees)}`);
  assert.deepEqual(targetForms("auto"), ["level", "change"]);
  assert.throws(
    () => targetForms("delta"),
    /features.target must be one of "auto", "level", "change": got "delta"/,
  );
});

Deno.test("the exported ONNX adds the add-back in its graph, missing values included", async () => {
  const { model, d } = await changeModel();
  const s = await createSession(exportTreeEnsemble(model));
  try {
    const ort = await s.run(d.X), ours = predict(model, d.X);
    let worst = 0;
    for (let i = 0; i < ours.length; i++) {
      worst = Math.max(worst, Math.abs(ort[i]! - ours[i]!) / Math.max(1, Math.abs(ours[i]!)));
    }
    assert.ok(worst < 1e-5, `max relative difference ${worst}`);
    const c = cases(d);
    for (const i of Object.values(c)) assert.ok(Math.abs(ort[i]! - ours[i]!) < 1e-3, `row ${i}`);
  } finally {
    await s.release();
  }
});

Deno.test("model JSON keeps the add-back (format version 2) and checks it", async () => {
  const { model, d } = await changeModel();
  const j = modelToJSON(model);
  assert.equal(j.formatVersion, 2);
  const back = modelFromJSON(JSON.stringify(j));
  assert.deepEqual(back.addBack, model.addBack);
  assert.deepEqual(predict(back, d.X), predict(model, d.X));
  // A model without one is written as before (version 1).
  assert.equal(modelToJSON({ ...model, addBack: undefined }).formatVersion, 1);
  assert.throws(
    () => modelFromJSON({ ...j, addBack: { features: ["nope"], fallback: 1, mean: 1 } }),
    /addBack column "nope" is not a feature/,
  );
  assert.throws(() => modelFromJSON({ ...j, addBack: { features: [] } }), /expected addBack/);
});

Deno.test("TreeSHAP of a change model sums to the level prediction", async () => {
  const { model, d } = await changeModel();
  const level = predict(model, d.X);
  const sv = shapValues(model, d.X);
  const F = d.X.nCols;
  const a = model.addBack!;
  const plain = new TreeExplainer({ ...model, addBack: undefined });
  assert.ok(Math.abs(sv.expectedValue - plain.expectedValue - a.mean) < 1e-9);
  for (let i = 0; i < d.X.nRows; i++) {
    let s = sv.expectedValue;
    for (let j = 0; j < F; j++) s += sv.values[i * F + j]!;
    assert.ok(Math.abs(s - level[i]!) <= 1e-6 * Math.max(1, Math.abs(level[i]!)), `row ${i}`);
  }
  // The add-back goes whole to the column that supplied it.
  const c = cases(d), p = shapValues(plain, d.X);
  const gain = (i: number, j: number) => sv.values[i * F + j]! - p.values[i * F + j]!;
  const x = (i: number, j: number) => d.X.data[i * F + j]!;
  assert.ok(Math.abs(gain(c.present, 0) - (x(c.present, 0) - a.mean)) < 1e-9);
  assert.ok(Math.abs(gain(c.present, 1)) < 1e-12);
  assert.ok(Math.abs(gain(c.lag, 1) - (x(c.lag, 1) - a.mean)) < 1e-9);
  assert.ok(Math.abs(gain(c.none, 0) - (a.fallback - a.mean)) < 1e-9);
  // Interaction rows still sum to the SHAP values.
  const rows = [c.present, c.lag, c.none];
  const sub = {
    data: Float32Array.from(rows.flatMap((i) => [...d.X.data.subarray(i * F, i * F + F)])),
    nRows: 3,
    nCols: F,
    names: d.X.names,
  };
  const iv = shapInteractionValues(model, sub), s3 = shapValues(model, sub);
  for (let r = 0; r < 3; r++) {
    for (let j = 0; j < F; j++) {
      let t = 0;
      for (let k = 0; k < F; k++) t += iv.values[r * F * F + j * F + k]!;
      assert.ok(Math.abs(t - s3.values[r * F + j]!) < 1e-6, `row ${r} feature ${j}`);
    }
  }
});

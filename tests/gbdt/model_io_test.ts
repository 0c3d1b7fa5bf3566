import assert from "node:assert/strict";
import { train } from "../../src/gbdt/boost.ts";
import { predict } from "../../src/gbdt/predict.ts";
import { featureImportance } from "../../src/gbdt/importance.ts";
import { modelFromJSON, modelToJSON } from "../../src/gbdt/serialize.ts";
import { known, synthetic } from "./_data.ts";

const p = { nEstimators: 30, maxDepth: 5, learningRate: 0.2, subsample: 0.7, seed: 3 };

Deno.test("JSON round trip is exact, an infinite threshold included", async () => {
  // x1 is constant where present and missing elsewhere: its only split is "values left,
  // missing right", which has threshold +Infinity.
  const d = synthetic(2000, 3, known, 1);
  for (let i = 0; i < 2000; i++) {
    d.X.data[i * 3 + 1] = i % 2 ? NaN : 1;
    if (i % 2) d.y[i] = d.y[i]! + 20;
  }
  const { model } = await train(d.X, d.y, p, { threads: 1 });
  assert.ok(model.trees.some((t) => Array.from(t.threshold).includes(Infinity)));
  const text = JSON.stringify(modelToJSON(model, { note: "x" }));
  const back = modelFromJSON(JSON.parse(text));
  assert.deepEqual(back.extra, { note: "x" });
  delete back.extra;
  assert.deepEqual(back, model);
  assert.deepEqual(predict(back, d.X), predict(model, d.X));
  assert.equal(
    JSON.stringify(modelToJSON(modelFromJSON(text))),
    JSON.stringify(modelToJSON(model)),
  );
});

Deno.test("modelFromJSON rejects a wrong format, version or broken tree", () => {
  assert.throws(() => modelFromJSON({ format: "xgboost" }), /expected format "aqlab-gbdt"/);
  const bad = {
    format: "aqlab-gbdt",
    formatVersion: 1,
    baseScore: 0,
    featureNames: ["a"],
    trees: [{
      feature: [0, -1, -1],
      threshold: [1, 0, 0],
      left: [1, -1, -1],
      right: [5, -1, -1],
      defaultLeft: [0, 0, 0],
      value: [0, 1, 2],
      cover: [2, 1, 1],
      gain: [1, 0, 0],
    }],
  };
  assert.throws(() => modelFromJSON(bad), /tree 0 node 0: children 1, 5/);
  assert.throws(() => modelFromJSON({ ...bad, formatVersion: 3 }), /formatVersion 1 to 2, got 3/);
});

Deno.test("importance: gains, covers and split counts sum over the trees' nodes", async () => {
  const d = synthetic(2000, 5, known, 2);
  const r = await train(d.X, d.y, p, { threads: 1 });
  let gain = 0, cover = 0, splits = 0;
  for (const t of r.model.trees) {
    for (let n = 0; n < t.feature.length; n++) {
      if (t.feature[n]! < 0) continue;
      gain += t.gain[n]!;
      cover += t.cover[n]!;
      splits++;
    }
  }
  const imp = r.importance;
  assert.deepEqual(imp.map((e) => e.feature), d.X.names);
  assert.deepEqual(imp, featureImportance(r.model));
  assert.equal(imp.reduce((s, e) => s + e.splits, 0), splits);
  assert.ok(Math.abs(imp.reduce((s, e) => s + e.gain, 0) - gain) <= 1e-9 * gain);
  assert.ok(Math.abs(imp.reduce((s, e) => s + e.cover, 0) - cover) <= 1e-9 * cover);
  // x4 does not enter the target: it gets the least gain.
  const g = imp.map((e) => e.gain);
  assert.equal(Math.min(...g), g[4]);
});

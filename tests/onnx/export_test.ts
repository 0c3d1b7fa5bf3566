import assert from "node:assert/strict";
import { exportTreeEnsemble } from "../../src/onnx/export.ts";
import { createSession } from "../../src/onnx/session.ts";
import { predict } from "../../src/gbdt/predict.ts";
import type { TreeEnsemble } from "../../src/gbdt/tree.ts";
import type { FeatureMatrix } from "../../src/data/matrix.ts";
import { randomEnsemble, randomMatrix } from "./_random_ensemble.ts";

/** Appends rows that sit exactly on every threshold of the model, and NaN-only rows. */
function withThresholdRows(model: TreeEnsemble, X: FeatureMatrix): FeatureMatrix {
  const rows: number[][] = [];
  for (const t of model.trees) {
    for (let n = 0; n < t.feature.length; n++) {
      if (t.feature[n]! < 0) continue;
      const r = new Array<number>(X.nCols).fill(t.threshold[n]!);
      rows.push(r);
    }
  }
  rows.push(new Array<number>(X.nCols).fill(NaN));
  const data = new Float32Array(X.data.length + rows.length * X.nCols);
  data.set(X.data);
  rows.forEach((r, i) => data.set(r, X.data.length + i * X.nCols));
  return { ...X, data, nRows: X.nRows + rows.length };
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rel: number) {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!, e = expected[i]!;
    const tol = rel * Math.max(1, Math.abs(e));
    assert.ok(Math.abs(a - e) <= tol, `row ${i}: got ${a}, expected ${e} (tolerance ${tol})`);
  }
}

Deno.test("onnxruntime scores an exported ensemble as predict() does, NaNs and ties included", async () => {
  for (const [seed, depth] of [[1, 1], [2, 4], [3, 8], [4, 0]] as const) {
    const model = randomEnsemble(seed, 40, 7, { maxDepth: depth });
    const X = withThresholdRows(model, randomMatrix(seed + 100, 1500, model.featureNames));
    const scorer = await createSession(exportTreeEnsemble(model, {}));
    const y = await scorer.run(X);
    // float32 sums over 40 trees against predict()'s float64: well inside 1e-5 relative.
    assertClose(y, predict(model, X), 1e-5);
    await scorer.release();
  }
});

Deno.test("a row exactly at a threshold goes right, NaN follows defaultLeft", async () => {
  const tree = {
    feature: Int32Array.from([0, -1, -1]),
    threshold: Float32Array.from([1.5, 0, 0]),
    left: Int32Array.from([1, -1, -1]),
    right: Int32Array.from([2, -1, -1]),
    defaultLeft: Uint8Array.from([1, 0, 0]),
    value: Float32Array.from([0, -1, 1]),
    cover: Float64Array.from([2, 1, 1]),
    gain: Float64Array.from([1, 0, 0]),
  };
  const model: TreeEnsemble = { baseScore: 10, trees: [tree], featureNames: ["x"] };
  const scorer = await createSession(exportTreeEnsemble(model));
  const below = Math.fround(1.5 - 2 ** -23);
  const y = await scorer.run({
    data: Float32Array.from([below, 1.5, 2, NaN]),
    nRows: 4,
    nCols: 1,
    names: ["x"],
  });
  assert.deepEqual(Array.from(y), [9, 11, 11, 9]);
});

Deno.test("metadata_props carry the caller's metadata and the feature names", async () => {
  const model = randomEnsemble(5, 3, 4, { maxDepth: 3 });
  const meta = { run_id: "r-42", target: "pm25_next", note: "µg/m³, ünïcode" };
  const scorer = await createSession(exportTreeEnsemble(model, meta));
  assert.equal(scorer.metadata["run_id"], "r-42");
  assert.equal(scorer.metadata["note"], "µg/m³, ünïcode");
  assert.deepEqual(scorer.featureNames, model.featureNames);
  assert.deepEqual(scorer.inputNames, ["input"]);
  assert.deepEqual(scorer.outputNames, ["variable"]);
});

Deno.test("exporting refuses reserved metadata keys and malformed trees", () => {
  const model = randomEnsemble(6, 2, 3, { maxDepth: 2 });
  assert.throws(() => exportTreeEnsemble(model, { feature_names: "[]" }), /reserved/);
  const bad = randomEnsemble(6, 1, 3, { maxDepth: 2, full: true });
  bad.trees[0]!.feature[0] = 7;
  assert.throws(() => exportTreeEnsemble(bad), /feature 7.*below 3/);
});

Deno.test("the scorer checks the matrix against the model's features", async () => {
  const model = randomEnsemble(7, 2, 3, { maxDepth: 2 });
  const scorer = await createSession(exportTreeEnsemble(model));
  const X = randomMatrix(1, 5, ["f_0", "f_2", "f_1"]);
  await assert.rejects(() => scorer.run(X), /feature 1 is "f_2", the model expects "f_1"/);
  await assert.rejects(() => scorer.run(randomMatrix(1, 5, ["a", "b"])), /expects 3 features/);
  assert.equal((await scorer.run(randomMatrix(1, 0, model.featureNames))).length, 0);
});

Deno.test("concurrent runs on one scorer all get their own rows' predictions", async () => {
  const model = randomEnsemble(8, 20, 5, { maxDepth: 5 });
  const scorer = await createSession(exportTreeEnsemble(model));
  const batches = [1, 2, 3, 4, 5, 6].map((s) => randomMatrix(s, 50 + s, model.featureNames));
  const ys = await Promise.all(batches.map((X) => scorer.run(X)));
  ys.forEach((y, i) => assertClose(y, predict(model, batches[i]!), 1e-5));
});

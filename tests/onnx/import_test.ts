import assert from "node:assert/strict";
import { exportTreeEnsemble } from "../../src/onnx/export.ts";
import { exportLinear } from "../../src/onnx/linear.ts";
import { importOnnx, recomputeCovers } from "../../src/onnx/import.ts";
import { createSession } from "../../src/onnx/session.ts";
import { leafIndex, predict } from "../../src/gbdt/predict.ts";
import type { TreeEnsemble } from "../../src/gbdt/tree.ts";
import type { FeatureMatrix } from "../../src/data/matrix.ts";
import { randomEnsemble, randomMatrix } from "./_random_ensemble.ts";
import { foreignModel, type ForeignNode, scoreForeign } from "./_foreign_model.ts";
import { onnx } from "../../src/onnx/_proto.ts";
import { shapValues } from "../../src/explain/mod.ts";

function treeEnsembleOf(bytes: Uint8Array) {
  const r = importOnnx(bytes);
  assert.equal(r.kind, "tree_ensemble", r.kind === "other" ? r.reason : "");
  if (r.kind !== "tree_ensemble") throw new Error("unreachable");
  return r;
}

/** float32 neighbours computed from the bit pattern (independent of src/onnx). */
function f32Neighbours(x: number): number[] {
  const f = new Float32Array([x]);
  const i = new Int32Array(f.buffer);
  const up = new Float32Array(new Int32Array([i[0]! + (x >= 0 ? 1 : -1)]).buffer)[0]!;
  const down = new Float32Array(new Int32Array([i[0]! - (x >= 0 ? 1 : -1)]).buffer)[0]!;
  return [down, Math.fround(x), up];
}

/** Every combination of the given per-feature values, as a matrix. */
function grid(perFeature: number[][]): FeatureMatrix {
  let rows: number[][] = [[]];
  for (const vs of perFeature) rows = rows.flatMap((r) => vs.map((v) => [...r, v]));
  const nCols = perFeature.length;
  return {
    data: Float32Array.from(rows.flat()),
    nRows: rows.length,
    nCols,
    names: Array.from({ length: nCols }, (_, j) => `f${j}`),
  };
}

Deno.test("export -> import gives back identical trees, covers, gains and base score", () => {
  for (const seed of [11, 12]) {
    const model = randomEnsemble(seed, 25, 6, { maxDepth: 1 + seed % 7 });
    const r = treeEnsembleOf(exportTreeEnsemble(model, { station: "Aotizhongxin" }));
    assert.ok(r.hasCovers);
    assert.equal(r.metadata["station"], "Aotizhongxin");
    assert.equal(r.model.baseScore, model.baseScore);
    assert.deepEqual(r.model.featureNames, model.featureNames);
    assert.equal(r.model.trees.length, model.trees.length);
    r.model.trees.forEach((t, i) => assert.deepEqual(t, model.trees[i]));
    assert.deepEqual(r.inputs, [{ name: "input", shape: ["N", 6], type: "float" }]);
  }
});

// Two trees written as another exporter might: LEQ/GT/GTE/LT rules, tree ids that are
// not 0-based, node ids that are not contiguous or have the root elsewhere than 0, leaves
// listed before branches, NaN both ways. (onnxruntime wants every node id below the total
// node count, and takes the first node listed for a tree as its root.)
const T = Math.fround(0.3);
const FOREIGN: ForeignNode[] = [
  { tree: 7, id: 5, mode: "BRANCH_LEQ", feature: 0, threshold: 1.5, yes: 3, no: 6, missingYes: 1 },
  { tree: 7, id: 0, mode: "LEAF", weight: 1 },
  { tree: 7, id: 3, mode: "BRANCH_GT", feature: 1, threshold: -0.25, yes: 0, no: 1 },
  { tree: 7, id: 6, mode: "BRANCH_GTE", feature: 2, threshold: 2.75, yes: 2, no: 4, missingYes: 1 },
  { tree: 7, id: 1, mode: "LEAF", weight: 2 },
  { tree: 7, id: 2, mode: "LEAF", weight: 4 },
  { tree: 7, id: 4, mode: "LEAF", weight: 8 },
  { tree: 2, id: 0, mode: "BRANCH_LT", feature: 1, threshold: T, yes: 1, no: 9 },
  { tree: 2, id: 1, mode: "BRANCH_LEQ", feature: 0, threshold: -1, yes: 10, no: 2, missingYes: 1 },
  { tree: 2, id: 9, mode: "LEAF", weight: -1.25 },
  { tree: 2, id: 10, mode: "LEAF", weight: 0.75 },
  { tree: 2, id: 2, mode: "LEAF", weight: 16 },
];
const FOREIGN_ROWS = grid([
  [...f32Neighbours(1.5), ...f32Neighbours(-1), NaN, 0],
  [...f32Neighbours(-0.25), ...f32Neighbours(T), NaN, 5],
  [...f32Neighbours(2.75), NaN],
]);

Deno.test("LEQ/GT/GTE trees from another exporter keep onnxruntime's predictions", async () => {
  const bytes = foreignModel(FOREIGN, { nFeatures: 3, base: 0.5 });
  const expected = await (await createSession(bytes)).run(FOREIGN_ROWS);
  const r = treeEnsembleOf(bytes);
  assert.equal(r.hasCovers, false);
  assert.deepEqual(r.model.featureNames, ["f0", "f1", "f2"]);
  // Sums of binary fractions: exact in float32 and float64 alike.
  assert.deepEqual(Array.from(predict(r.model, FOREIGN_ROWS)), Array.from(expected));
  // And our own export of the converted trees scores the same in onnxruntime.
  const again = await (await createSession(exportTreeEnsemble(r.model))).run(FOREIGN_ROWS);
  assert.deepEqual(Array.from(again), Array.from(expected));
  for (let i = 0; i < FOREIGN_ROWS.nRows; i++) {
    const x = FOREIGN_ROWS.data.subarray(i * 3, i * 3 + 3);
    assert.equal(expected[i], scoreForeign(FOREIGN, x, 0.5), `onnxruntime vs the oracle, row ${i}`);
  }
  // The output really depends on the tie rows: not a constant.
  assert.ok(new Set(expected).size >= 8);
});

Deno.test("AVERAGE aggregation imports as onnxruntime scores it", async () => {
  const bytes = foreignModel(FOREIGN, { nFeatures: 3, base: 0.5, aggregate: "AVERAGE" });
  const expected = await (await createSession(bytes)).run(FOREIGN_ROWS);
  const got = predict(treeEnsembleOf(bytes).model, FOREIGN_ROWS);
  for (let i = 0; i < got.length; i++) {
    assert.ok(Math.abs(got[i]! - expected[i]!) <= 1e-6 * Math.max(1, Math.abs(expected[i]!)));
  }
});

Deno.test("double thresholds (nodes_values_as_tensor) keep every float32 decision", () => {
  // onnxruntime only runs double thresholds on double inputs, so the oracle here is a direct
  // float64 evaluation of the ONNX rules. Thresholds just off float32 values: ties flip.
  for (const delta of [1e-9, -1e-9]) {
    const nudged = FOREIGN.map((n) =>
      n.threshold === undefined ? n : { ...n, threshold: n.threshold + delta }
    );
    const r = treeEnsembleOf(foreignModel(nudged, { nFeatures: 3, doubleThresholds: true }));
    const got = predict(r.model, FOREIGN_ROWS);
    const X = FOREIGN_ROWS;
    for (let i = 0; i < X.nRows; i++) {
      const want = scoreForeign(nudged, X.data.subarray(i * X.nCols, (i + 1) * X.nCols));
      assert.equal(got[i], want, `row ${i}, delta ${delta}`);
    }
  }
});

Deno.test("the first node listed for a tree is its root, as onnxruntime takes it", async () => {
  const leafFirst: ForeignNode[] = [
    { tree: 0, id: 1, mode: "LEAF", weight: 1 },
    { tree: 0, id: 2, mode: "LEAF", weight: 2 },
    { tree: 0, id: 0, mode: "BRANCH_LT", feature: 0, threshold: 1.5, yes: 1, no: 2 },
  ];
  const bytes = foreignModel(leafFirst, { nFeatures: 3 });
  const expected = await (await createSession(bytes)).run(FOREIGN_ROWS);
  const r = treeEnsembleOf(bytes);
  assert.equal(r.model.trees[0]!.feature.length, 1);
  assert.deepEqual(Array.from(predict(r.model, FOREIGN_ROWS)), Array.from(expected));
});

Deno.test("recomputeCovers counts the background rows reaching each node", () => {
  const r = treeEnsembleOf(foreignModel(FOREIGN, { nFeatures: 3 }));
  assert.ok(r.model.trees.every((t) => t.cover.every((c) => Number.isNaN(c))));
  const X = randomMatrix(3, 500, r.model.featureNames, 0.2);
  const m = recomputeCovers(r.model, X);
  for (const t of m.trees) {
    assert.equal(t.cover[0], 500);
    for (let n = 0; n < t.feature.length; n++) {
      if (t.feature[n]! >= 0) {
        assert.equal(t.cover[t.left[n]!]! + t.cover[t.right[n]!]!, t.cover[n]);
      }
    }
    const leafCounts = new Map<number, number>();
    for (let i = 0; i < X.nRows; i++) {
      const leaf = leafIndex(t, X.data, i * X.nCols);
      leafCounts.set(leaf, (leafCounts.get(leaf) ?? 0) + 1);
    }
    for (const [leaf, count] of leafCounts) assert.equal(t.cover[leaf], count);
  }
  // The input model is left as it was.
  assert.ok(Number.isNaN(r.model.trees[0]!.cover[0]!));
});

Deno.test("malformed bytes give a clear error", async () => {
  const junk = new TextEncoder().encode("this is not an onnx file at all, just text");
  assert.throws(() => importOnnx(junk), /^SyntaxError: Cannot read ONNX model: /);
  assert.throws(
    () => importOnnx(new Uint8Array([8, 8])),
    /Cannot read ONNX model: it has no graph/,
  );
  const good = exportTreeEnsemble(randomEnsemble(1, 2, 2, { maxDepth: 2 }));
  assert.throws(() => importOnnx(good.subarray(0, good.length / 2)), /Cannot read ONNX model/);
  await assert.rejects(() => createSession(junk), /Cannot read ONNX model/);
});

Deno.test("a model without a tree ensemble comes back as kind 'other' with its inputs", () => {
  const names = ["PM2.5", "TEMP", "WSPM"];
  const r = importOnnx(exportLinear([1, 2, 3], 4, names, {}, { impute: [0, 0, 0] }));
  assert.equal(r.kind, "other");
  if (r.kind !== "other") return;
  assert.match(r.reason, /0 TreeEnsembleRegressor/);
  assert.deepEqual(r.inputs, [{ name: "input", shape: ["N", 3], type: "float" }]);
  assert.deepEqual(r.outputs, [{ name: "variable", shape: ["N", 1], type: "float" }]);
  assert.deepEqual(r.featureNames, names);
});

Deno.test("tree ensembles with no TreeEnsemble equivalent are 'other', with the reason", () => {
  const eq: ForeignNode[] = [
    { tree: 0, id: 0, mode: "BRANCH_EQ", feature: 0, threshold: 1, yes: 1, no: 2 },
    { tree: 0, id: 1, mode: "LEAF", weight: 1 },
    { tree: 0, id: 2, mode: "LEAF", weight: 2 },
  ];
  const r1 = importOnnx(foreignModel(eq, { nFeatures: 1 }));
  assert.ok(r1.kind === "other" && /BRANCH_EQ/.test(r1.reason));
  const r2 = importOnnx(foreignModel(FOREIGN, { nFeatures: 3, targets: 2 }));
  assert.ok(r2.kind === "other" && /2 targets/.test(r2.reason));
});

Deno.test("an inconsistent tree is an error naming the node", () => {
  const broken: ForeignNode[] = [
    { tree: 0, id: 0, mode: "BRANCH_LT", feature: 0, threshold: 1, yes: 1, no: 9 },
    { tree: 0, id: 1, mode: "LEAF", weight: 1 },
  ];
  assert.throws(
    () => importOnnx(foreignModel(broken, { nFeatures: 1 })),
    /Cannot read ONNX model: tree 0 node 0 points to missing node 9/,
  );
});

Deno.test("our covers in metadata must match the trees", () => {
  const model: TreeEnsemble = randomEnsemble(4, 2, 2, { maxDepth: 2, full: true });
  const bytes = exportTreeEnsemble(model);
  const r = treeEnsembleOf(bytes);
  assert.deepEqual(r.model.trees[1]!.cover, model.trees[1]!.cover);
  const other = foreignModel(FOREIGN, { nFeatures: 3, meta: { "aqlab.covers": "[[1,2]]" } });
  assert.throws(
    () => importOnnx(other),
    /metadata "aqlab.covers" does not hold one number per node/,
  );
});

/** A random ensemble over the study's add-back columns, with a change-target add-back. */
function changeModel(seed: number): TreeEnsemble {
  const base = randomEnsemble(seed, 12, 4, { maxDepth: 4 });
  return {
    ...base,
    featureNames: ["TEMP", "PM2.5", "WSPM", "pm25_lag1"],
    addBack: { features: ["PM2.5", "pm25_lag1"], fallback: 71.25, mean: 68.5 },
  };
}

/** Rows where PM2.5 is there, only its lag is, or neither (the fallback). */
function addBackRows(names: string[]): FeatureMatrix {
  const m = randomMatrix(21, 60, names, 0.1);
  for (let i = 0; i < m.nRows; i++) {
    const o = i * m.nCols;
    m.data[o + 1] = i % 3 === 0 ? NaN : 20 + i;
    m.data[o + 3] = i % 3 === 0 && i % 2 === 0 ? NaN : 30 + i;
  }
  return m;
}

/** `bytes` with metadata entry `key` set to `value` (or removed when null). */
function withMeta(bytes: Uint8Array, key: string, value: string | null): Uint8Array {
  const m = onnx.ModelProto.decode(bytes);
  m.metadataProps = m.metadataProps.filter((e) => e.key !== key);
  if (value !== null) m.metadataProps.push(onnx.StringStringEntryProto.create({ key, value }));
  return onnx.ModelProto.encode(m).finish();
}

Deno.test("our change-target export comes back as a tree ensemble with its add-back", async () => {
  const model = changeModel(31);
  const bytes = exportTreeEnsemble(model, {});
  const r = treeEnsembleOf(bytes);
  assert.deepEqual(r.model.addBack, model.addBack);
  r.model.trees.forEach((t, i) => assert.deepEqual(t, model.trees[i]));
  // It predicts the level as onnxruntime scores the graph, in all three add-back cases.
  const X = addBackRows(r.model.featureNames);
  const scorer = await createSession(bytes);
  const ort = await scorer.run(X);
  await scorer.release();
  const ours = predict(r.model, X);
  for (let i = 0; i < X.nRows; i++) {
    assert.ok(
      Math.abs(ours[i]! - ort[i]!) <= 1e-4 * Math.max(1, Math.abs(ort[i]!)),
      `row ${i}: imported ${ours[i]} vs onnxruntime ${ort[i]}`,
    );
  }
  // TreeSHAP of the imported model sums to that level.
  const shap = shapValues(r.model, X);
  for (let i = 0; i < X.nRows; i++) {
    let sum = shap.expectedValue;
    for (let j = 0; j < shap.nFeatures; j++) sum += shap.values[i * shap.nFeatures + j]!;
    assert.ok(Math.abs(sum - ours[i]!) < 1e-6 * Math.max(1, Math.abs(ours[i]!)), `row ${i}`);
  }
});

Deno.test("an add-back graph that its metadata does not describe is 'other', with the reason", () => {
  const model = changeModel(32);
  const bytes = exportTreeEnsemble(model, {});
  const meta = (a: object) => JSON.stringify({ ...model.addBack, ...a });
  const cases: [Uint8Array, RegExp][] = [
    [withMeta(bytes, "aqlab.add_back", null), /no "aqlab.add_back" metadata/],
    [withMeta(bytes, "aqlab.add_back", meta({ fallback: 12 })), /fallback 71.25.*12/],
    [withMeta(bytes, "aqlab.add_back", meta({ features: ["pm25_lag1", "PM2.5"] })), /columns/],
    [withMeta(bytes, "aqlab.add_back", meta({ features: ["PM2.5"] })), /columns/],
    [withMeta(bytes, "aqlab.add_back", "{not json"), /aqlab.add_back/],
  ];
  for (const [b, reason] of cases) {
    const r = importOnnx(b);
    assert.equal(r.kind, "other");
    if (r.kind === "other") assert.match(r.reason, reason);
  }
  // Metadata naming an add-back on a graph without one: the graph is what is scored.
  const plain = exportTreeEnsemble({ ...model, addBack: undefined }, {});
  const r = treeEnsembleOf(withMeta(plain, "aqlab.add_back", JSON.stringify(model.addBack)));
  assert.equal(r.model.addBack, undefined);
});

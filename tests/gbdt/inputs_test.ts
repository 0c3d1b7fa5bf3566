import assert from "node:assert/strict";
import { train } from "../../src/gbdt/boost.ts";
import { predict } from "../../src/gbdt/predict.ts";
import { known, synthetic } from "./_data.ts";

const p = { nEstimators: 20, maxDepth: 4, learningRate: 0.3 };
const opts = { threads: 1 };

function splitFeatures(trees: { feature: Int32Array }[]): Set<number> {
  const s = new Set<number>();
  for (const t of trees) for (const f of t.feature) if (f >= 0) s.add(f);
  return s;
}

Deno.test("a constant column and an all-missing column are never split on", async () => {
  const d = synthetic(1000, 4, known, 1);
  for (let i = 0; i < 1000; i++) {
    d.X.data[i * 4 + 1] = 3.5;
    d.X.data[i * 4 + 2] = NaN;
  }
  const { model } = await train(d.X, d.y, p, opts);
  const used = splitFeatures(model.trees);
  assert.ok(!used.has(1) && !used.has(2));
  assert.ok(used.has(0));
  for (const v of predict(model, d.X)) assert.ok(Number.isFinite(v));
});

Deno.test("a single row gives a constant model predicting that row's target", async () => {
  const d = synthetic(1, 3, known, 2);
  const { model } = await train(d.X, d.y, { ...p, learningRate: 1, lambda: 0 }, opts);
  for (const t of model.trees) assert.equal(t.feature[0], -1);
  assert.ok(Math.abs(predict(model, d.X)[0]! - d.y[0]!) < 1e-4);
});

Deno.test("no rows: a clear RangeError", async () => {
  const X = { data: new Float32Array(0), nRows: 0, nCols: 2, names: ["a", "b"] };
  await assert.rejects(train(X, new Float32Array(0), p, opts), (e: unknown) => {
    assert.ok(e instanceof RangeError);
    assert.match(e.message, /no rows/);
    return true;
  });
});

Deno.test("infinite feature values: RangeError naming the column and row", async () => {
  const d = synthetic(50, 3, known, 3);
  d.X.data[17 * 3 + 2] = -Infinity;
  await assert.rejects(train(d.X, d.y, p, opts), (e: unknown) => {
    assert.ok(e instanceof RangeError);
    assert.match(e.message, /column "x2" is -Infinity at row 17/);
    return true;
  });
});

Deno.test("NaN or infinite target: RangeError naming the row", async () => {
  for (const bad of [NaN, Infinity]) {
    const d = synthetic(50, 3, known, 4);
    d.y[23] = bad;
    await assert.rejects(train(d.X, d.y, p, opts), (e: unknown) => {
      assert.ok(e instanceof RangeError);
      assert.match(e.message, new RegExp(`target is ${bad} at row 23`));
      return true;
    });
  }
});

Deno.test("a target of the wrong length is rejected", async () => {
  const d = synthetic(50, 3, known, 5);
  await assert.rejects(train(d.X, d.y.subarray(1), p, opts), RangeError);
});

Deno.test("invalid parameters: messages name the parameter and the value", async () => {
  const d = synthetic(50, 3, known, 6);
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ learningRate: 2 }, /learningRate must be in \(0, 1\]: got 2/],
    [{ nEstimators: 0 }, /nEstimators must be an integer/],
    [{ subsample: 0 }, /subsample must be in \(0, 1\]: got 0/],
    [{ maxBins: 256 }, /maxBins must be an integer in \[2, 255\]: got 256/],
    [{ nEstimators: 1.5 }, /nEstimators must be an integer in \[1, ∞\): got 1.5/],
    [{ lambda: -1 }, /lambda must be finite and >= 0: got -1/],
    [{ objective: "poisson" }, /objective must be "squared_error" or "pseudo_huber"/],
    [{ maxDepth: 0 }, /maxDepth must be at least 1/],
    [{ huberSlope: 0 }, /huberSlope must be finite and > 0/],
  ];
  for (const [bad, re] of cases) {
    await assert.rejects(train(d.X, d.y, { ...p, ...bad }, opts), (e: unknown) => {
      assert.ok(e instanceof RangeError, String(e));
      assert.match(e.message, /^Cannot train: /);
      assert.match(e.message, re);
      return true;
    });
  }
  await assert.rejects(train(d.X, d.y, { etaa: 1 } as never, opts), TypeError);
  await assert.rejects(train(d.X, d.y, p, { threads: 0 }), RangeError);
});

Deno.test("never a NaN model: heavy missingness and huge targets stay finite", async () => {
  const d = synthetic(500, 3, known, 7);
  for (let i = 0; i < 1500; i++) if (i % 3 !== 0) d.X.data[i] = NaN;
  for (let i = 0; i < 500; i++) d.y[i] = d.y[i]! * 1e30;
  for (const objective of ["squared_error", "pseudo_huber"] as const) {
    const { model } = await train(d.X, d.y, { ...p, objective }, opts);
    assert.ok(Number.isFinite(model.baseScore));
    for (const t of model.trees) for (const v of t.value) assert.ok(Number.isFinite(v));
  }
});

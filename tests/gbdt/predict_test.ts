import assert from "node:assert/strict";
import { train } from "../../src/gbdt/boost.ts";
import { leafIndex, predict, predictRow } from "../../src/gbdt/predict.ts";
import { known, synthetic } from "./_data.ts";

Deno.test("predict and predictRow equal the sum of the leaves leafIndex finds, NaN rows included", async () => {
  const d = synthetic(1500, 4, known, 21);
  for (let i = 0; i < 1500; i += 3) d.X.data[i * 4 + (i % 4)] = NaN;
  const { model } = await train(d.X, d.y, { nEstimators: 25, maxDepth: 6, seed: 2 }, {
    threads: 1,
  });
  const batch = predict(model, d.X);
  for (let i = 0; i < 1500; i++) {
    let s = model.baseScore;
    for (const t of model.trees) s += t.value[leafIndex(t, d.X.data, i * 4)]!;
    assert.equal(batch[i], s);
    assert.equal(predictRow(model, d.X.data, i * 4), s);
    assert.equal(predictRow(model, Array.from(d.X.data.subarray(i * 4, i * 4 + 4))), s);
  }
});

Deno.test("prediction follows a model whose trees were replaced or extended", async () => {
  const d = synthetic(500, 3, known, 22);
  const { model } = await train(d.X, d.y, { nEstimators: 10, maxDepth: 3 }, { threads: 1 });
  const before = predictRow(model, d.X.data, 0);
  const last = model.trees.pop()!;
  const fewer = predictRow(model, d.X.data, 0);
  assert.equal(fewer, before - last.value[leafIndex(last, d.X.data, 0)]!);
  model.trees[0] = last;
  assert.notEqual(predictRow(model, d.X.data, 0), fewer);
  assert.equal(predict({ ...model, trees: [] }, d.X)[7], model.baseScore);
});

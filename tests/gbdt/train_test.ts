import assert from "node:assert/strict";
import { train } from "../../src/gbdt/boost.ts";
import { predict } from "../../src/gbdt/predict.ts";
import { modelToJSON } from "../../src/gbdt/serialize.ts";
import { known, rmse, std, synthetic } from "./_data.ts";

const params = {
  nEstimators: 60,
  maxDepth: 5,
  learningRate: 0.2,
  subsample: 0.8,
  colsampleBytree: 0.8,
  seed: 7,
};

Deno.test("learns a known function: held-out RMSE far below the target's spread", async () => {
  const tr = synthetic(4000, 6, known, 1, 0.5);
  const te = synthetic(2000, 6, known, 2, 0.5);
  const { model } = await train(tr.X, tr.y, params, { threads: 1 });
  const e = rmse(predict(model, te.X), te.y);
  assert.ok(e < 0.25 * std(te.y), `test RMSE ${e} vs std ${std(te.y)}`);
});

Deno.test("training predictions equal predict() on the raw matrix (binning agrees with thresholds)", async () => {
  const tr = synthetic(3000, 5, known, 3);
  for (let i = 0; i < 3000; i += 11) tr.X.data[i * 5 + 1] = NaN;
  const r = await train(tr.X, tr.y, params, { threads: 1 });
  // The same predictions; the loss is summed chunk by chunk in training, so the last bits may differ.
  const e = rmse(predict(r.model, tr.X), tr.y);
  assert.ok(Math.abs(r.curve.at(-1)!.train - e) <= 1e-12 * e, `${r.curve.at(-1)!.train} vs ${e}`);
  for (const t of r.model.trees) {
    for (let n = 0; n < t.feature.length; n++) {
      assert.equal(t.threshold[n], Math.fround(t.threshold[n]!));
      assert.equal(t.value[n], Math.fround(t.value[n]!));
    }
  }
});

Deno.test("deterministic: same seed gives the same model bytes, threads 1, 2 and 3 alike", async () => {
  const tr = synthetic(40000, 8, known, 4);
  for (let i = 0; i < 40000; i += 7) tr.X.data[i * 8 + 2] = NaN;
  const p = { ...params, nEstimators: 15, maxDepth: 7 };
  const bytes = async (q: typeof p & Record<string, unknown>, threads: number) =>
    JSON.stringify(modelToJSON((await train(tr.X, tr.y, q, { threads })).model));
  const a = await bytes(p, 1);
  assert.equal(await bytes(p, 1), a);
  assert.equal(await bytes(p, 2), a);
  assert.equal(await bytes(p, 3), a);
  assert.notEqual(await bytes({ ...p, seed: 8 }, 2), a);
  // Leaf-wise growth and pseudo-Huber (varying hessians) too.
  const leafWise = { ...p, maxDepth: 0, maxLeaves: 31 };
  assert.equal(await bytes(leafWise, 2), await bytes(leafWise, 1));
  const huber = { ...p, objective: "pseudo_huber", huberSlope: 2 };
  assert.equal(await bytes(huber, 2), await bytes(huber, 1));
});

Deno.test("leaf-wise growth respects maxLeaves", async () => {
  const tr = synthetic(3000, 4, known, 5);
  const { model } = await train(tr.X, tr.y, { ...params, maxLeaves: 7, maxDepth: 0 }, {
    threads: 1,
  });
  for (const t of model.trees) {
    const leaves = Array.from(t.feature).filter((f) => f < 0).length;
    assert.ok(leaves <= 7 && leaves >= 2, `${leaves} leaves`);
  }
});

Deno.test("missing values go to the learned side", async () => {
  for (const missingY of [0, 10]) {
    // y = 0 when x0 < 5, 10 otherwise; rows with x0 missing have y = missingY.
    const tr = synthetic(2000, 2, (x, o) => (x[o]! < 5 ? 0 : 10), 6, 0);
    for (let i = 0; i < 2000; i += 4) {
      tr.X.data[i * 2] = NaN;
      tr.y[i] = missingY;
    }
    const { model } = await train(tr.X, tr.y, { ...params, subsample: 1, colsampleBytree: 1 }, {
      threads: 1,
    });
    const p = predict(model, {
      data: Float32Array.of(NaN, 5),
      nRows: 1,
      nCols: 2,
      names: ["x0", "x1"],
    });
    assert.ok(Math.abs(p[0]! - missingY) < 0.5, `missing -> ${p[0]} expected ~${missingY}`);
  }
});

Deno.test("early stopping truncates the model to the best round", async () => {
  // Pure noise: the validation RMSE is best early and gets worse as trees overfit.
  const tr = synthetic(1000, 4, () => 0, 8, 10);
  const va = synthetic(1000, 4, () => 0, 9, 10);
  const r = await train(tr.X, tr.y, {
    ...params,
    nEstimators: 200,
    earlyStoppingRounds: 5,
    learningRate: 0.5,
  }, {
    valid: va,
    threads: 1,
  });
  assert.ok(r.curve.length < 200);
  assert.equal(r.curve.length, r.bestIteration + 6);
  assert.equal(r.model.trees.length, r.bestIteration + 1);
  const best = Math.min(...r.curve.map((c) => c.valid!));
  assert.equal(r.curve[r.bestIteration]!.valid, best);
  assert.equal(rmse(predict(r.model, va.X), va.y), best);
});

Deno.test("onIteration reports every round", async () => {
  const tr = synthetic(500, 3, known, 10);
  const seen: number[] = [];
  const r = await train(tr.X, tr.y, { ...params, nEstimators: 12 }, {
    threads: 1,
    onIteration: (i, t, v) => {
      assert.equal(v, null);
      assert.ok(t > 0);
      seen.push(i);
    },
  });
  assert.deepEqual(seen, Array.from({ length: 12 }, (_, i) => i));
  assert.equal(r.bestIteration, 11);
});

Deno.test("pseudo-Huber is robust to spikes where squared error is not", async () => {
  const tr = synthetic(4000, 4, known, 11, 0.5);
  for (let i = 0; i < 4000; i += 20) tr.y[i] = tr.y[i]! + 500;
  const te = synthetic(2000, 4, known, 12, 0.5);
  const p = { ...params, nEstimators: 150, learningRate: 0.1 };
  const sq = await train(tr.X, tr.y, p, { threads: 1 });
  const hu = await train(tr.X, tr.y, { ...p, objective: "pseudo_huber", huberSlope: 2 }, {
    threads: 1,
  });
  const eSq = rmse(predict(sq.model, te.X), te.y), eHu = rmse(predict(hu.model, te.X), te.y);
  assert.ok(eHu < 0.6 * eSq, `pseudo-Huber ${eHu} vs squared ${eSq}`);
});

Deno.test("without early stopping a validation set is only recorded, every tree is kept", async () => {
  const tr = synthetic(600, 3, () => 0, 13, 10);
  const va = synthetic(600, 3, () => 0, 14, 10);
  const r = await train(tr.X, tr.y, { ...params, nEstimators: 30, learningRate: 0.5 }, {
    valid: va,
    threads: 1,
  });
  assert.equal(r.model.trees.length, 30);
  assert.equal(r.curve.length, 30);
  assert.ok(r.bestIteration < 29, `best ${r.bestIteration}`);
});

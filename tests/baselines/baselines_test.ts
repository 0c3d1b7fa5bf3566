import assert from "node:assert/strict";
import { fitRidge, predictRidge, ridgeCoefficients } from "../../src/baselines/ridge.ts";
import { fitPersistence, predictPersistence } from "../../src/baselines/persistence.ts";
import { Pcg32 } from "../../src/gbdt/random.ts";

function linear(n: number, coef: number[], intercept: number, noise: number) {
  const rng = new Pcg32(5);
  const p = coef.length;
  const data = new Float32Array(n * p), y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = intercept;
    for (let j = 0; j < p; j++) {
      const v = Math.fround((rng.nextFloat() - 0.5) * 20 * (j + 1));
      data[i * p + j] = v;
      s += coef[j]! * v;
    }
    y[i] = s + (rng.nextFloat() - 0.5) * noise;
  }
  return { data, nRows: n, nCols: p, names: coef.map((_, j) => `x${j}`), y };
}

Deno.test("ridge recovers known coefficients", () => {
  const coef = [2, -1.5, 0, 0.25, 7];
  const d = linear(5000, coef, 3, 0.1);
  const m = fitRidge(d, d.y, 1e-3);
  const c = ridgeCoefficients(m);
  for (let j = 0; j < coef.length; j++) {
    assert.ok(Math.abs(c.coef[j]! - coef[j]!) < 1e-3, `coef ${j}: ${c.coef[j]}`);
  }
  assert.ok(Math.abs(c.intercept - 3) < 1e-2);
  const pr = predictRidge(m, d);
  assert.ok(Math.abs(pr[0]! - d.y[0]!) < 0.1);
});

Deno.test("ridge shrinks weights as alpha grows and imputes missing with the mean", () => {
  const d = linear(1000, [1, 2], 0, 1);
  const small = fitRidge(d, d.y, 0), big = fitRidge(d, d.y, 1e5);
  assert.ok(Math.abs(big.weights[1]!) < 0.5 * Math.abs(small.weights[1]!));
  const x = { data: Float32Array.of(NaN, NaN), nRows: 1, nCols: 2, names: ["x0", "x1"] };
  assert.equal(predictRidge(small, x)[0], small.intercept);
});

Deno.test("ridge survives constant and all-missing columns", () => {
  const d = linear(200, [1, 1, 1], 0, 1);
  for (let i = 0; i < 200; i++) {
    d.data[i * 3 + 1] = 4;
    d.data[i * 3 + 2] = NaN;
  }
  const m = fitRidge(d, d.y, 0);
  for (const w of m.weights) assert.ok(Number.isFinite(w));
  assert.throws(() => fitRidge(d, d.y.subarray(1)), /expected 200/);
});

Deno.test("persistence predicts the current value, the training mean when missing", () => {
  const m = fitPersistence(Float32Array.of(10, 20, 30));
  assert.equal(m.fallback, 20);
  const X = { data: Float32Array.of(1, 5, 2, NaN), nRows: 2, nCols: 2, names: ["a", "PM2.5"] };
  assert.deepEqual(Array.from(predictPersistence(m, X)), [5, 20]);
  assert.throws(() => predictPersistence({ ...m, column: "PM10" }, X), /no column "PM10"/);
});

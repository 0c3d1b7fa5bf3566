import assert from "node:assert/strict";
import { exportLinear } from "../../src/onnx/linear.ts";
import { createSession } from "../../src/onnx/session.ts";
import { prng } from "./_random_ensemble.ts";

const NAMES = ["PM2.5", "PM10", "TEMP", "PRES", "WSPM"];
const MEAN = [80, 105, 13.5, 1012, 1.8];
const SCALE = [75, 90, 11, 10, 1.2];
const W = [30.5, 4.25, -2, 1.5, -3.75]; // per standardised feature
const B = 82.5;

/** Direct computation of the ridge baseline: standardise, NaN -> 0 (the mean), dot. */
function direct(row: ArrayLike<number>): number {
  let s = B;
  for (let j = 0; j < W.length; j++) {
    const x = row[j]!;
    s += W[j]! * (Number.isNaN(x) ? 0 : (x - MEAN[j]!) / SCALE[j]!);
  }
  return s;
}

Deno.test("linear export with standardisation and NaN imputation equals a direct computation", async () => {
  const rand = prng(9);
  const nRows = 400;
  const data = new Float32Array(nRows * NAMES.length);
  for (let i = 0; i < nRows; i++) {
    for (let j = 0; j < NAMES.length; j++) {
      data[i * NAMES.length + j] = rand() < 0.2 ? NaN : MEAN[j]! + SCALE[j]! * 3 * (rand() - 0.5);
    }
  }
  const bytes = exportLinear(W, B, NAMES, { model: "ridge" }, {
    standardize: { mean: MEAN, scale: SCALE },
  });
  const scorer = await createSession(bytes);
  assert.equal(scorer.metadata["model"], "ridge");
  assert.deepEqual(scorer.featureNames, NAMES);
  const y = await scorer.run({ data, nRows, nCols: NAMES.length, names: NAMES });
  let nanRows = 0;
  for (let i = 0; i < nRows; i++) {
    const row = data.subarray(i * NAMES.length, (i + 1) * NAMES.length);
    if (row.some(Number.isNaN)) nanRows++;
    const want = direct(row);
    // Float32 coefficients and a float32 dot product: errors scale with the terms' size
    // (PRES * its weight is ~150, cancelled by the intercept), not with the result.
    const scale = row.reduce((s, x, j) => s + Math.abs((W[j]! / SCALE[j]!) * (x || MEAN[j]!)), 1);
    assert.ok(Math.abs(y[i]! - want) <= 1e-5 * scale + 1e-5, `row ${i}: ${y[i]} vs ${want}`);
  }
  assert.ok(nanRows > 50, "the test rows must include missing values");
});

Deno.test("without imputation values a missing input gives NaN, as LinearRegressor does", async () => {
  const scorer = await createSession(exportLinear([2, 3], 1, ["a", "b"]));
  const y = await scorer.run({
    data: Float32Array.from([1, 2, NaN, 2]),
    nRows: 2,
    nCols: 2,
    names: ["a", "b"],
  });
  assert.equal(y[0], 1 + 2 * 1 + 3 * 2);
  assert.ok(Number.isNaN(y[1]!));
});

Deno.test("linear export checks lengths and finiteness", () => {
  assert.throws(() => exportLinear([1, 2], 0, ["a"]), /weights has 2 values, expected 1/);
  assert.throws(() => exportLinear([1], NaN, ["a"]), /intercept is not finite/);
  assert.throws(
    () => exportLinear([1], 0, ["a"], {}, { standardize: { mean: [0, 1], scale: [1] } }),
    /standardize.mean has 2 values/,
  );
});

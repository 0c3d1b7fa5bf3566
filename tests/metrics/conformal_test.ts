import assert from "node:assert/strict";
import {
  conformalQuantile,
  intervalCoverage,
  predictionInterval,
} from "../../src/metrics/conformal.ts";
import { Pcg32 } from "../../src/gbdt/random.ts";

function normal(rng: Pcg32): number {
  // Box-Muller; 1 - u keeps log away from 0.
  const u = 1 - rng.nextFloat(), v = rng.nextFloat();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

Deno.test("split conformal covers >= 1 - alpha on exchangeable data", () => {
  const rng = new Pcg32(7);
  for (const alpha of [0.1, 0.2]) {
    let covered = 0, total = 0;
    // Many calibration/test draws: the guarantee is on average over them.
    for (let rep = 0; rep < 40; rep++) {
      const nCal = 200, nTest = 500;
      const draw = (n: number) => {
        const x = Array.from({ length: n }, () => 50 + 20 * rng.nextFloat());
        const y = x.map((v) => v + 5 * normal(rng));
        return { pred: x, y };
      };
      const cal = draw(nCal), test = draw(nTest);
      const c = conformalQuantile(cal.y, cal.pred, alpha);
      const cov = intervalCoverage(test.y, test.pred, c);
      covered += cov.coverage * cov.n;
      total += cov.n;
    }
    const coverage = covered / total;
    // Expected >= 1 - alpha; 0.01 tolerates the Monte-Carlo error of 20,000 test rows.
    assert.ok(coverage >= 1 - alpha - 0.01, `alpha ${alpha}: coverage ${coverage}`);
    assert.ok(coverage <= 1 - alpha + 0.03, `alpha ${alpha}: coverage ${coverage} too wide`);
  }
});

Deno.test("conformalQuantile is the ceil((n+1)(1-alpha))-th smallest residual", () => {
  const y = [0, 0, 0, 0, 0, 0, 0, 0, 0];
  const pred = [1, 2, 3, 4, 5, 6, 7, 8, 9];
  // n = 9, alpha = 0.2: ceil(10 * 0.8) = 8 -> 8
  assert.equal(conformalQuantile(y, pred, 0.2).quantile, 8);
  // alpha = 0.05: ceil(10 * 0.95) = 10 > 9 -> infinite interval
  assert.equal(conformalQuantile(y, pred, 0.05).quantile, Infinity);
});

Deno.test("intervalCoverage counts the bounds as covered and clips the lower bound at 0", () => {
  const c = { quantile: 2 };
  assert.deepEqual(predictionInterval(1, c), [0, 3]);
  const cov = intervalCoverage([0, 3, 5.5, NaN], [1, 1, 3, 4], c);
  // rows: [0,3] holds 0 (yes), [0,3] holds 3 (yes), [1,5] holds 5.5 (no); NaN left out
  assert.equal(cov.n, 3);
  assert.equal(cov.coverage, 2 / 3);
  assert.equal(cov.meanWidth, (3 + 3 + 4) / 3);
  const sub = intervalCoverage([0, 3, 5.5], [1, 1, 3], c, [2]);
  assert.equal(sub.coverage, 0);
});

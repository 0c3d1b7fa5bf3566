import assert from "node:assert/strict";
import {
  conformalQuantile,
  halfWidth,
  intervalCoverage,
  mondrianConformal,
  predictionInterval,
} from "../../src/metrics/conformal.ts";
import { PM25_BAND_EDGES, pm25Band } from "../../src/metrics/groups.ts";
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

/** Heteroscedastic draws: the error grows with the level, as PM2.5's does. */
function levels(rng: Pcg32, n: number) {
  const pred = Array.from({ length: n }, () => Math.exp(2 + 4 * rng.nextFloat()));
  const y = pred.map((v) => v + (3 + 0.25 * v) * normal(rng));
  return { pred, y };
}

Deno.test("Mondrian conformal holds the coverage in every band where one width cannot", () => {
  const rng = new Pcg32(11);
  const cal = levels(rng, 20_000), test = levels(rng, 40_000);
  const pooled = conformalQuantile(cal.y, cal.pred, 0.1);
  const bands = mondrianConformal(cal.y, cal.pred, 0.1);
  assert.equal(bands.method, "mondrian_conformal");
  assert.deepEqual(bands.bands!.edges, [...PM25_BAND_EDGES]);
  assert.equal(bands.quantile, pooled.quantile, "the pooled width is kept beside the bands");
  // Widths grow with the predicted band.
  const q = bands.bands!.quantile;
  for (let k = 1; k < q.length; k++) assert.ok(q[k]! > q[k - 1]!, `band ${k}: ${q}`);
  const byBand = (c: Parameters<typeof intervalCoverage>[2]) => {
    const out = new Map<string, number>();
    for (const b of ["0-35", "35-75", "75-115", "115-150", "150-250", ">250"]) {
      const idx = test.pred.flatMap((v, i) => (pm25Band(v) === b ? [i] : []));
      out.set(b, intervalCoverage(test.y, test.pred, c, idx).coverage);
    }
    return out;
  };
  for (const [b, cov] of byBand(bands)) {
    assert.ok(Math.abs(cov - 0.9) < 0.02, `Mondrian ${b}: ${cov}`);
  }
  const one = byBand(pooled);
  assert.ok(one.get("0-35")! > 0.97 && one.get(">250")! < 0.8, `one width: ${[...one.values()]}`);
});

Deno.test("Mondrian: a band with too few rows borrows its neighbour's width; intervals follow the band", () => {
  // 300 rows below 35, 150 in 35-75, 5 above 250 and none between: the empty and small
  // bands merge downwards (the lowest upwards) until each group has 100 rows.
  const pred = [
    ...Array.from({ length: 300 }, (_, i) => 10 + (i % 20)),
    ...Array.from({ length: 150 }, (_, i) => 40 + (i % 30)),
    ...Array.from({ length: 5 }, () => 300),
  ];
  const y = pred.map((v, i) => v + (v < 35 ? 1 : v < 75 ? 5 : 50) * (i % 2 ? 1 : -1));
  const c = mondrianConformal(y, pred, 0.1);
  const { quantile, rows } = c.bands!;
  assert.equal(quantile[0], 1);
  assert.deepEqual(rows, [300, 155, 155, 155, 155, 155]);
  assert.equal(quantile[5], quantile[1]);
  assert.ok(quantile[1]! >= 5 && quantile[1]! <= 50);
  assert.equal(halfWidth(20, c), 1);
  assert.deepEqual(predictionInterval(20, c), [19, 21]);
  assert.deepEqual(predictionInterval(0.5, c), [0, 1.5]);
  assert.equal(halfWidth(400, c), quantile[5]);
  // Without bands the pooled width applies, as before.
  assert.equal(halfWidth(400, { quantile: 7 }), 7);
});

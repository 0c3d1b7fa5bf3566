import assert from "node:assert/strict";
import { regressionMetrics } from "../../src/metrics/regression.ts";
import { groupedMetrics } from "../../src/metrics/grouped_metrics.ts";
import { groupRows, PM25_BANDS, pm25Band, season } from "../../src/metrics/groups.ts";
import { histogram, quantile } from "../../src/metrics/histogram.ts";

const close = (a: number, b: number, tol = 1e-12) =>
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} != ${b}`);

Deno.test("regressionMetrics matches hand-computed values on a tiny array", () => {
  const y = [10, 20, 0, 40];
  const p = [12, 18, 1, 36];
  const ref = [8, 25, 2, 30];
  const m = regressionMetrics(y, p, ref);
  // errors p - y: 2, -2, 1, -4
  const e = [2, -2, 1, -4];
  const mse = e.reduce((s, v) => s + v * v, 0) / 4; // (4+4+1+16)/4 = 6.25
  assert.equal(m.n, 4);
  close(m.rmse, Math.sqrt(mse));
  close(m.rmse, 2.5);
  close(m.mae, (2 + 2 + 1 + 4) / 4);
  close(m.bias, (2 - 2 + 1 - 4) / 4);
  const mean = (10 + 20 + 0 + 40) / 4;
  const ssTot = y.reduce((s, v) => s + (v - mean) ** 2, 0);
  close(m.r2, 1 - 25 / ssTot);
  // MAPE on y > 0 only: |2/10|, |2/20|, |4/40| -> (0.2 + 0.1 + 0.1)/3 * 100
  close(m.mape, (100 * 0.4) / 3);
  const mseRef = (4 + 25 + 4 + 100) / 4;
  close(m.skill!, 1 - mse / mseRef);
});

Deno.test("regressionMetrics leaves out missing rows and honours an index", () => {
  const y = [1, NaN, 3, 5];
  const p = [2, 2, NaN, 5];
  const m = regressionMetrics(y, p);
  assert.equal(m.n, 2);
  close(m.rmse, Math.sqrt((1 + 0) / 2));
  assert.equal(m.skill, null);
  const sub = regressionMetrics([1, 2, 3], [1, 5, 3], undefined, [1]);
  assert.equal(sub.n, 1);
  close(sub.mae, 3);
});

Deno.test("grouped metrics partition the rows exactly", () => {
  const n = 1000;
  const y = Array.from({ length: n }, (_, i) => (i * 37) % 101);
  const p = y.map((v, i) => v + ((i % 7) - 3));
  const keys = y.map((_, i) => ["a", "b", "c", "d"][(i * 13) % 4]!);
  const g = groupedMetrics(y, p, keys);
  assert.deepEqual(g.map((x) => x.group), ["a", "b", "c", "d"]);
  assert.equal(g.reduce((s, x) => s + x.metrics.n, 0), n);
  // Sum of per-group squared errors equals the overall one.
  const sse = g.reduce((s, x) => s + x.metrics.rmse ** 2 * x.metrics.n, 0);
  const all = regressionMetrics(y, p);
  close(sse, all.rmse ** 2 * n, 1e-9);
  // Every row lands in exactly one group.
  const rows = groupRows(keys);
  const seen = new Uint8Array(n);
  for (const idx of rows.values()) for (const i of idx) seen[i]!++;
  assert.ok(seen.every((v) => v === 1));
});

Deno.test("groupRows skips null keys and sorts when asked", () => {
  const rows = groupRows([3, null, 1, 3, undefined, 1], { sort: true });
  assert.deepEqual([...rows.keys()], [1, 3]);
  assert.deepEqual([...rows.get(3)!], [0, 3]);
  assert.deepEqual([...rows.get(1)!], [2, 5]);
});

Deno.test("seasons and China AQI PM2.5 bands", () => {
  assert.deepEqual(
    [12, 1, 2, 3, 5, 6, 8, 9, 11].map(season),
    ["DJF", "DJF", "DJF", "MAM", "MAM", "JJA", "JJA", "SON", "SON"],
  );
  assert.throws(() => season(13), /month must be an integer in 1\.\.12/);
  assert.equal(pm25Band(0), "0-35");
  assert.equal(pm25Band(34.9), "0-35");
  assert.equal(pm25Band(35), "35-75");
  assert.equal(pm25Band(114.99), "75-115");
  assert.equal(pm25Band(150), "150-250");
  assert.equal(pm25Band(250), ">250");
  assert.equal(pm25Band(NaN), null);
  assert.equal(PM25_BANDS.length, 6);
});

Deno.test("histogram counts every finite value once, tails in the edge bins", () => {
  const v = [-100, 0, 0.5, 1, 1.5, 2, 3.99, 4, 100, NaN];
  const h = histogram(v, { bins: 4, lo: 0, hi: 4 });
  assert.equal(h.length, 4);
  assert.deepEqual(h.map((b) => b.count), [3, 2, 1, 3]);
  assert.equal(h.reduce((s, b) => s + b.count, 0), 9);
  assert.equal(h[0]!.lo, 0);
  assert.equal(h[3]!.hi, 4);
  assert.deepEqual(histogram([5, 5], { bins: 2 }).map((b) => b.count), [2, 0]);
  assert.deepEqual(histogram([NaN]), []);
});

Deno.test("quantile interpolates between order statistics", () => {
  close(quantile([4, 1, 3, 2], 0.5), 2.5);
  close(quantile([1, 2, 3, 4, 5], 0.25), 2);
  assert.ok(Number.isNaN(quantile([], 0.5)));
});

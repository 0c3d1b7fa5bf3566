/**
 * The Evaluation page: summary, breakdowns, intervals, worst rows, and the predictions
 * pre-aggregated over every test row (a density grid of predicted vs actual, residual
 * quantiles by predicted value), so the page stays small however long the test period.
 */
import { Out } from "./_artifacts.ts";
import { SKILL_DEFINITION } from "../../src/metrics/regression.ts";

const out = new Out();
const dir = "reports/evaluation";
const predictions = `${dir}/predictions.parquet`;
out.data.summary = await out.json(`${dir}/summary.json`);
out.data.skill_definition = SKILL_DEFINITION;
for (const name of ["by_station", "by_hour", "by_month", "by_season", "by_band"]) {
  out.data[name] = await out.parquet(`${dir}/${name}.parquet`);
}
out.data.residual_hist = await out.parquet(`${dir}/residual_hist.parquet`);
out.data.intervals = await out.parquet(`${dir}/intervals.parquet`);
out.data.worst = await out.parquet(
  `${dir}/worst.parquet`,
  `SELECT rank, station, time, y_true, y_pred, residual, lower, upper, "PM2.5", pm25_lag1,
     pm25_lag24, "WSPM", "TEMP", "DEWP" FROM t ORDER BY rank LIMIT 50`,
);
// Predicted vs actual: counts on a square grid up to the 99.5th percentile of the truth
// (the few rows above it are clamped into the last cell, so no row is dropped).
const top = await out.parquet(
  predictions,
  "SELECT ceil(quantile_cont(y_true, 0.995) / 10) * 10 AS top FROM t",
);
const max = Number(top?.[0]?.top ?? 500);
const cell = Math.max(2, Math.round(max / 60));
out.data.density_cell = cell;
out.data.density_max = max;
out.data.density = await out.columns(
  predictions,
  `SELECT candidate, least(floor(y_true / ${cell}), ${max / cell - 1}) * ${cell} AS x,
     least(floor(greatest(y_pred, 0) / ${cell}), ${max / cell - 1}) * ${cell} AS y,
     count(*)::INT AS n
   FROM t GROUP BY ALL ORDER BY ALL`,
);
// Residual spread by predicted value: 10th, 50th, 90th percentiles per bin of 40 bins.
out.data.residual_by_pred = await out.columns(
  predictions,
  `SELECT candidate, least(floor(greatest(y_pred, 0) / ${max / 40}), 39) * ${max / 40}
       + ${max / 80} AS pred,
     quantile_cont(residual, 0.1) AS p10, quantile_cont(residual, 0.5) AS p50,
     quantile_cont(residual, 0.9) AS p90, count(*)::INT AS n
   FROM t GROUP BY ALL HAVING count(*) >= 20 ORDER BY ALL`,
);
await out.emit();

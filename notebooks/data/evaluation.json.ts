/** The Evaluation page: summary, breakdowns, intervals, worst rows, a predictions sample. */
import { Out } from "./_artifacts.ts";

const out = new Out();
const dir = "reports/evaluation";
out.data.summary = await out.json(`${dir}/summary.json`);
for (const name of ["by_station", "by_hour", "by_month", "by_season", "by_band"]) {
  out.data[name] = await out.parquet(`${dir}/${name}.parquet`);
}
out.data.residual_hist = await out.parquet(`${dir}/residual_hist.parquet`);
out.data.intervals = await out.parquet(`${dir}/intervals.parquet`);
out.data.worst = await out.parquet(`${dir}/worst.parquet`, "SELECT * FROM t LIMIT 50");
// A fixed-seed sample keeps the scatter legible and the page small.
out.data.predictions = await out.parquet(
  `${dir}/predictions.parquet`,
  `SELECT * FROM t USING SAMPLE reservoir(6000 ROWS) REPEATABLE (42) ORDER BY candidate, time`,
);
await out.emit();

/** The Runs page: the runs table, training curves, importance and tuning trials. */
import { Out } from "./_artifacts.ts";

const out = new Out();
out.data.runs = await out.parquet(
  "reports/runs/runs.parquet",
  "SELECT * EXCLUDE (error), left(error, 300) AS error FROM t ORDER BY started DESC LIMIT 200",
);
out.data.curve = await out.parquet("reports/training/curve.parquet");
out.data.importance = await out.parquet("reports/training/importance.parquet");
out.data.trials = await out.parquet("reports/tuning/trials.parquet");
await out.emit();

/** The Drift page: the latest drift report, the monthly timeline, binned distributions. */
import { Out } from "./_artifacts.ts";

const out = new Out();
out.data.latest = await out.json("reports/drift/latest.json");
out.data.timeline = await out.parquet("reports/drift/timeline.parquet");
out.data.distributions = await out.parquet(
  "reports/drift/distributions.parquet",
  "SELECT feature, source, bin, lo, hi, count FROM t ORDER BY feature, source, bin",
);
await out.emit();

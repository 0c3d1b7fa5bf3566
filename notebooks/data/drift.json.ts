/** The Drift page: the latest drift report and the monthly timeline. */
import { Out } from "./_artifacts.ts";

const out = new Out();
out.data.latest = await out.json("reports/drift/latest.json");
out.data.timeline = await out.parquet("reports/drift/timeline.parquet");
await out.emit();

/**
 * The Score page's first chart, drawn before DuckDB-WASM starts: the daily mean of next-hour
 * PM2.5 per station over the whole test period (every test row, grouped by day).
 */
import { Out } from "./_artifacts.ts";
import { TARGET } from "../../src/features/schema.ts";
import { SPLITS } from "../../src/pipeline/catalog.ts";

const out = new Out();
out.data.days = await out.columns(
  SPLITS.test,
  `SELECT station, strftime(time, '%Y-%m-%d') AS day, avg("${TARGET}") AS pm25,
     count(*)::INT AS hours
   FROM t GROUP BY ALL ORDER BY station, day`,
  4,
);
await out.emit();

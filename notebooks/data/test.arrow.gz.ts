/** The test split (features and target) for the Score page (gzipped Arrow for DuckDB-WASM). */
import { emitArrow } from "./_artifacts.ts";

await emitArrow(
  "data/processed/test.parquet",
  "SELECT * REPLACE (epoch_ms(time) AS time) FROM t ORDER BY station, time",
);

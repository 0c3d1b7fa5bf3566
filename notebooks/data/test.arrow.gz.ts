/** The test split (features and target) for the Score page (gzipped Arrow for DuckDB-WASM). */
import { emitArrow } from "./_artifacts.ts";

await emitArrow(
  "data/processed/test.parquet",
  "SELECT * EXCLUDE (time), (epoch_ms(time) // 3600000)::INTEGER AS time_h FROM t ORDER BY station, time",
);

/**
 * Hourly observations for the Data page's DuckDB-WASM filters: the clean grid with the
 * columns the charts use (gzipped Arrow, see `emitArrow`; time in whole hours, float32).
 */
import { emitArrow } from "./_artifacts.ts";

await emitArrow(
  "data/processed/clean.parquet",
  `SELECT station, (epoch_ms(time) // 3600000)::INTEGER AS time_h, pm25::FLOAT AS pm25,
     wd_deg::FLOAT AS wd_deg
   FROM t ORDER BY station, time`,
);

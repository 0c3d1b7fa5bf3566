/**
 * Hourly observations for the Data page's DuckDB-WASM filters: the clean grid with the
 * columns the charts use (gzipped Arrow, see `emitArrow`).
 */
import { emitArrow } from "./_artifacts.ts";

await emitArrow(
  "data/processed/clean.parquet",
  `SELECT station, epoch_ms(time) AS time, pm25::FLOAT AS pm25, temp::FLOAT AS temp,
     dewp::FLOAT AS dewp, wspm::FLOAT AS wspm, wd_deg::FLOAT AS wd_deg
   FROM t ORDER BY station, time`,
);

/**
 * Hourly observations for the Data page's DuckDB-WASM filters: the clean grid with the
 * columns the charts use (gzipped Arrow in its final types, see `emitArrow`). Wind comes as
 * its 16-point compass sector (0 = N, 4 = E, ...), all the wind rose needs.
 */
import { emitArrow } from "./_artifacts.ts";
import { CLEAN } from "../../src/pipeline/catalog.ts";

await emitArrow(
  CLEAN,
  `SELECT station, time, pm25::FLOAT AS pm25, (round(wd_deg / 22.5)::INTEGER % 16)::TINYINT AS wd_sector
   FROM t ORDER BY time, station`, // time-major: each hour repeats per station, gzip packs it
);

/** The test split (features and target) for the Score page (gzipped Arrow for DuckDB-WASM). */
import { emitArrow } from "./_artifacts.ts";
import { SPLITS } from "../../src/pipeline/catalog.ts";

// Time-major order: each hour repeats once per station, which gzip packs tightly.
await emitArrow(SPLITS.test, "SELECT * FROM t ORDER BY time, station");

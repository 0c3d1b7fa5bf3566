/**
 * The test split (features and target) for the Score page, as gzipped Arrow for DuckDB-WASM:
 * one Arrow stream per station (see `partsFile`): the page loads the stations a reader picks.
 */
import { emitArrow } from "./_artifacts.ts";
import { SPLITS } from "../../src/pipeline/catalog.ts";

await emitArrow(SPLITS.test, "SELECT * FROM t ORDER BY station, time", { partBy: "station" });

/**
 * The hours the Explanations page draws, shared by its two loaders: a fixed subset of the
 * explained rows picked by a hash of the row id (the same hours for every feature and chart).
 */
import { EXPLAIN } from "../../src/pipeline/catalog.ts";

export { EXPLAIN };

/** Hours drawn for the beeswarm and dependence plots, and hours offered in the waterfall. */
export const SWARM_ROWS = 600, WATERFALL_ROWS = 200;

/** The features the beeswarm shows (by mean |SHAP| rank). */
export const SWARM_FEATURES = 12;

/** SQL condition over the view `t` of shap.parquet or dependence.parquet: the first `n` hours. */
export const subset = (n: number): string =>
  `row_id IN (SELECT DISTINCT row_id FROM t ORDER BY hash(row_id) LIMIT ${n})`;

/**
 * The Explanations page's first charts: the summary, importance (mean |SHAP| next to gain),
 * the beeswarm of the top features on a fixed sample of the explained hours, and the counts
 * of each sample. The dependence points and waterfall rows load apart (explain_rows.json).
 */
import { Out } from "./_artifacts.ts";
import { EXPLAIN, subset, SWARM_FEATURES, SWARM_ROWS, WATERFALL_ROWS } from "./_explain_sample.ts";

const out = new Out();
out.data.summary = await out.json(EXPLAIN.summary);
out.data.importance = await out.parquet(EXPLAIN.importance, "SELECT * FROM t ORDER BY rank");
out.data.swarm_features = SWARM_FEATURES;
out.data.swarm = await out.columns(
  EXPLAIN.shap,
  `SELECT feature, feature_rank, value, value_pct, shap FROM t
   WHERE ${subset(SWARM_ROWS)} AND feature_rank <= ${SWARM_FEATURES}
   ORDER BY feature_rank, row_id`,
  4,
);
// How many hours each chart draws: the page labels its samples with these counts.
const counted = await out.parquet(
  EXPLAIN.shap,
  `SELECT count(DISTINCT row_id)::INT AS explained,
     count(DISTINCT row_id) FILTER (WHERE ${subset(SWARM_ROWS)})::INT AS swarm,
     count(DISTINCT row_id) FILTER (WHERE ${subset(WATERFALL_ROWS)})::INT AS waterfall
   FROM t`,
);
out.data.sample = counted?.[0] ?? null;
await out.emit();

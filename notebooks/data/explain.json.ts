/**
 * The Explanations page: importance (mean |SHAP| next to gain), a beeswarm and dependence
 * points on a fixed subset of the explained rows (the same rows for every feature), the
 * full SHAP vectors of a few hundred rows for the waterfall, and the summary.
 */
import { Out } from "./_artifacts.ts";

const out = new Out();
const dir = "reports/explain";
/** Rows drawn for the beeswarm and dependence plots, and rows offered in the waterfall. */
const SWARM_ROWS = 600, WATERFALL_ROWS = 200;
const subset = (n: number) =>
  `row_id IN (SELECT DISTINCT row_id FROM t ORDER BY hash(row_id) LIMIT ${n})`;
out.data.summary = await out.json(`${dir}/summary.json`);
out.data.importance = await out.parquet(
  `${dir}/importance.parquet`,
  "SELECT * FROM t ORDER BY rank",
);
out.data.swarm = await out.columns(
  `${dir}/shap.parquet`,
  `SELECT feature, feature_rank, value, value_pct, shap FROM t WHERE ${subset(SWARM_ROWS)}
   ORDER BY feature_rank, row_id`,
  4,
);
out.data.waterfall = await out.columns(
  `${dir}/shap.parquet`,
  `SELECT row_id, station, time, prediction, actual, base_value, feature, value, shap, row_rank
   FROM t WHERE ${subset(WATERFALL_ROWS)} ORDER BY station, time, row_rank`,
  6,
);
out.data.dependence = await out.columns(
  `${dir}/dependence.parquet`,
  `SELECT feature, value, shap, interaction_feature, interaction_value, interaction_strength
   FROM t WHERE ${subset(SWARM_ROWS)} ORDER BY feature_index, row_id`,
  4,
);
out.data.interactions = await out.parquet(`${dir}/interactions.parquet`);
// How many rows each chart draws: the pages label their samples with these counts.
const counted = await out.parquet(
  `${dir}/shap.parquet`,
  `SELECT count(DISTINCT row_id)::INT AS explained,
     count(DISTINCT row_id) FILTER (WHERE ${subset(SWARM_ROWS)})::INT AS swarm,
     count(DISTINCT row_id) FILTER (WHERE ${subset(WATERFALL_ROWS)})::INT AS waterfall
   FROM t`,
);
out.data.sample = counted?.[0] ?? null;
await out.emit();

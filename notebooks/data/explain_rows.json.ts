/**
 * The Explanations page's per-hour charts: dependence points of every feature on the same
 * sample of hours as the beeswarm, and the full SHAP vectors of the hours offered in the
 * waterfall (see _explain_sample.ts).
 */
import { Out } from "./_artifacts.ts";
import { EXPLAIN, subset, SWARM_ROWS, WATERFALL_ROWS } from "./_explain_sample.ts";

const out = new Out();
out.data.dependence = await out.columns(
  EXPLAIN.dependence,
  `SELECT feature, value, shap, interaction_feature, interaction_value, interaction_strength
   FROM t WHERE ${subset(SWARM_ROWS)} ORDER BY feature_index, row_id`,
  4,
);
out.data.waterfall = await out.columns(
  EXPLAIN.shap,
  `SELECT row_id, station, time, prediction, actual, base_value, feature, value, shap, row_rank
   FROM t WHERE ${subset(WATERFALL_ROWS)} ORDER BY station, time, row_rank`,
  6,
);
await out.emit();

/**
 * Real test rows to start the What-if page from: the raw observation (wind direction in
 * degrees from the clean data), the stored feature vector, and the pipeline's prediction
 * for the row when the evaluate stage has written it. Per station, 25 rows picked by a hash
 * of the time, and up to 3 more with a missing input (the page must keep them missing).
 */
import { FEATURE_NAMES, TARGET } from "../../src/features/schema.ts";
import { OBSERVATION_NUMBERS } from "../../src/features/derive.ts";
import { exists, lit, Out, repo } from "./_artifacts.ts";

const out = new Out();
const cols = FEATURE_NAMES.map((n) => `f."${n}"`).join(", ");
const gap = OBSERVATION_NUMBERS.filter((n) => (FEATURE_NAMES as readonly string[]).includes(n))
  .map((n) => `"${n}" IS NULL OR isnan("${n}")`).join(" OR ");
const hasPred = await exists("reports/evaluation/predictions.parquet");
const pred = hasPred
  ? `LEFT JOIN (SELECT station, time, y_pred FROM read_parquet(${
    lit(repo("reports/evaluation/predictions.parquet"))
  }) WHERE candidate = 'gbdt') p USING (station, time)`
  : "";
out.data.rows = (await exists("data/processed/clean.parquet"))
  ? await out.parquet(
    "data/processed/test.parquet",
    `, g AS (SELECT *, ${gap} AS gap FROM t),
     s AS (SELECT *, row_number() OVER (PARTITION BY station, gap ORDER BY hash(time)) AS k FROM g)
     SELECT f.station, f.time, ${cols}, f."${TARGET}" AS y_true, c.wd_deg,
       ${hasPred ? "p.y_pred" : "NULL"} AS pipeline_pred
     FROM s f JOIN read_parquet(${lit(repo("data/processed/clean.parquet"))}) c
       USING (station, time) ${pred}
     WHERE k <= CASE WHEN gap THEN 3 ELSE 25 END ORDER BY f.station, f.time`,
  )
  : null;
if (!hasPred) out.missing.push("reports/evaluation/predictions.parquet");
await out.emit();

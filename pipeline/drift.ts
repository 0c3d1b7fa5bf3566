import { basename, isAbsolute } from "node:path";
import { defineStage } from "../src/pipeline/stage.ts";
import { int, num, str } from "../src/pipeline/params.ts";
import { DEFAULT_RETRAIN_POLICY as D } from "../src/drift/retrain_policy.ts";
import { runDriftMonitor } from "../src/drift/monitor.ts";
import { BATCH_USES, batchSettings } from "../src/data/batch.ts";
import {
  candidateDir,
  DRIFT_DIR,
  DRIFT_DISTRIBUTIONS,
  DRIFT_TIMELINE,
  primaryCandidate,
  REGISTER_LAST,
  REGISTRY_INDEX,
  SCHEMA_PATH,
  SPLITS,
} from "../src/pipeline/catalog.ts";

/**
 * Drift of the test split (or `--current` raw files or prediction log) against the rows the
 * model learnt from, month by month, beyond the noise of the training months
 * (src/drift/verdict.ts); the retraining recommendation from the same verdict.
 */
export default defineStage({
  name: "drift",
  description:
    "feature, prediction and target drift of the test split (or --current) against the training rows, beyond the noise of the training months; retraining recommendation",
  after: ["register"],
  params: {
    season: str("month", "reference rows: same calendar months, same hours, or all", [
      "month",
      "hour",
      "none",
    ]),
    z_drift: num(3, "drift at this many noise sds above the training months", { min: 0.5 }),
    z_warn: num(2, "within noise from this many noise sds (up to z_drift)", { min: 0 }),
    distance: num(0.1, "smallest distance called drift (normed W1, Jensen-Shannon)", { min: 0 }),
    missing_change: num(0.1, "smallest change of the missing share called drift", { min: 0 }),
    stuck_share: num(0.1, "smallest share of a station's rows stuck called drift", { min: 0 }),
    min_sample_size: int(5, "fewest non-missing values per sample for a test to run", { min: 2 }),
    drift_share: num(0.5, "textbook preset: dataset drift at this share", { min: 0.01, max: 1 }),
    p_value: num(0.05, "textbook preset: KS and chi-square drift below this", { min: 0, max: 1 }),
    small_reference_max: int(1000, "textbook preset: p-value tests up to this", { min: 1 }),
    histogram_bins: int(30, "bins per numeric feature in distributions", { min: 2, max: 200 }),
    model: str("production", "model scored for prediction drift", ["production", "candidate"]),
    retrain_drift_share: num(D.driftShare, "retrain at this drifted share", { min: 0.01, max: 1 }),
    retrain_rmse_degradation_pct: num(D.rmseDegradationPct, "retrain at this % worse RMSE", {
      min: 0.01,
    }),
    retrain_max_model_age_days: num(D.maxModelAgeDays, "retrain at this age (days)", { min: 1 }),
    log_rows: int(100_000, "with --current FILE.kv: newest logged rows checked", { min: 1 }),
    max_rows: int(
      1_000_000,
      "most rows judged per side; above, a seeded sample of whole stations",
      {
        min: 1,
      },
    ),
    sample_seed: int(1, "seed of the station sample drawn above max_rows", { min: 0 }),
  },
  uses: {
    "pipeline.current_dir": "string",
    "pipeline.source": "string",
    ...BATCH_USES,
    "register.model_name": "string",
  },
  inputs: (p) => [
    SPLITS.train,
    SPLITS.test,
    SCHEMA_PATH,
    REGISTER_LAST,
    REGISTRY_INDEX,
    candidateDir(primaryCandidate(p)),
    // An absolute batch folder is outside the runner's reach (it joins paths to the root);
    // its name is still part of the stage's parameters.
    ...(p.current_dir && !isAbsolute(p.current_dir) ? [p.current_dir] : []),
  ],
  outputs: () => [DRIFT_DIR],
  module: import.meta.url,
  async run(ctx) {
    const g = ctx.globals;
    const r = await runDriftMonitor({
      params: ctx.params,
      root: ctx.path("."),
      locate: ctx.path,
      // The final model's training rows (valid.parquet is a block of them, not more rows).
      reference: [SPLITS.train],
      test: SPLITS.test,
      schema: SCHEMA_PATH,
      current: g.current_dir,
      source: g.source,
      batch: batchSettings(ctx.used),
      modelName: ctx.used["register.model_name"],
      candidate: primaryCandidate(g),
      runId: ctx.runId,
      outDir: ctx.out(DRIFT_DIR),
      previousDir: ctx.path(DRIFT_DIR),
      files: { timeline: basename(DRIFT_TIMELINE), distributions: basename(DRIFT_DISTRIBUTIONS) },
    });
    ctx.rows("reference", r.rows.reference);
    ctx.rows("current", r.rows.current);
    for (const line of r.log) ctx.log(line);
    for (const n of r.warnings) ctx.warn(n);
    for (const [k, x] of Object.entries(r.metrics)) ctx.metric(k, x);
  },
});

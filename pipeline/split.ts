import { defineStage } from "../src/pipeline/stage.ts";
import { date, int, strings } from "../src/pipeline/params.ts";
import { openDuck } from "../src/data/duck.ts";
import { splitByTime } from "../src/features/split.ts";
import { LAGS } from "../src/features/schema.ts";
import { writeJsonAtomic } from "../src/pipeline/atomic.ts";
import { FEATURES_PATH, SPLIT_REPORT, SPLITS } from "../src/pipeline/catalog.ts";

export default defineStage({
  name: "split",
  description:
    "train / test by time with a gap of the longest lag + horizon; rolling-origin cross-validation folds inside train",
  after: ["features"],
  params: {
    test_start: date("2016-03-01", "first day of the test period (YYYY-MM-DD)"),
    valid_months: int(12, "months before test_start tiled by the cross-validation blocks", {
      min: 1,
      max: 120,
    }),
    folds: int(4, "rolling-origin folds (validation blocks) in those months", { min: 1, max: 24 }),
    gap_hours: int(-1, "hours left out before each boundary; -1 = longest lag + horizon", {
      min: -1,
      max: 24 * 90,
    }),
    holdout_stations: strings([], "stations kept out of training entirely (test only)"),
  },
  uses: { "features.horizon_hours": "number" },
  inputs: () => [FEATURES_PATH],
  outputs: () => [SPLITS.train, SPLITS.valid, SPLITS.test, SPLIT_REPORT],
  module: import.meta.url,
  async run(ctx) {
    const horizon = ctx.used["features.horizon_hours"];
    const gap = ctx.params.gap_hours >= 0 ? ctx.params.gap_hours : Math.max(...LAGS) + horizon;
    const c = await openDuck();
    try {
      const r = await splitByTime(c, {
        featuresPath: ctx.path(FEATURES_PATH),
        out: {
          train: ctx.out(SPLITS.train),
          valid: ctx.out(SPLITS.valid),
          test: ctx.out(SPLITS.test),
        },
        testStart: ctx.params.test_start,
        validMonths: ctx.params.valid_months,
        folds: ctx.params.folds,
        gapHours: gap,
        holdoutStations: ctx.params.holdout_stations,
      });
      await writeJsonAtomic(ctx.out(SPLIT_REPORT), r);
      ctx.rows("train", r.train.rows);
      ctx.rows("valid", r.valid.rows);
      ctx.rows("test", r.test.rows);
      ctx.log(
        `gap ${gap} h: ${r.droppedInGaps} rows left out at boundaries, ${r.droppedNoTarget} without a target`,
      );
      for (const f of r.folds) {
        ctx.log(
          `fold ${f.fold}: fit ${f.fitRows} rows before ${f.fit_to}, validate ${f.validRows} rows ${f.valid_from} to ${f.valid_to}`,
        );
      }
    } finally {
      c.closeSync();
    }
  },
});

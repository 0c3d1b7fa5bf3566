import { defineStage } from "../src/pipeline/stage.ts";
import { int } from "../src/pipeline/params.ts";
import { openDuck } from "../src/data/duck.ts";
import { clean, FLAGS, RANGE_RULES } from "../src/data/clean.ts";
import { writeJsonAtomic } from "../src/pipeline/atomic.ts";
import { CLEAN, DUPLICATES, QUALITY_REPORT, RAW } from "../src/pipeline/catalog.ts";

export default defineStage({
  name: "clean",
  description:
    "hourly grid per station, range checks, duplicates, short-gap interpolation of inputs",
  after: ["ingest"],
  params: {
    max_interpolate_hours: int(
      3,
      "longest gap in an input feature filled by linear interpolation (never PM2.5)",
      { min: 0, max: 48 },
    ),
    stuck_hours: int(24, "identical PM2.5 values in a row flagged as a stuck sensor", { min: 2 }),
  },
  inputs: () => [RAW],
  outputs: () => [CLEAN, DUPLICATES, QUALITY_REPORT],
  module: import.meta.url,
  async run(ctx) {
    const c = await openDuck();
    try {
      const q = await clean(c, {
        rawPath: ctx.path(RAW),
        out: ctx.out(CLEAN),
        duplicatesOut: ctx.out(DUPLICATES),
        maxInterpolateHours: ctx.params.max_interpolate_hours,
        stuckHours: ctx.params.stuck_hours,
      });
      await writeJsonAtomic(ctx.out(QUALITY_REPORT), { ...q, rules: RANGE_RULES, flagBits: FLAGS });
      ctx.rows("rows", q.rows);
      ctx.rows("grid rows added", q.gridRowsAdded);
      ctx.rows("duplicates dropped", q.duplicates.rowsDropped);
      const oor = Object.values(q.outOfRange).reduce((a, b) => a + b, 0);
      if (oor) {
        ctx.log(
          `${oor} values outside physical ranges set missing (${
            Object.entries(q.outOfRange).filter(([, v]) => v).map(([k, v]) => `${k} ${v}`).join(
              ", ",
            )
          })`,
        );
      }
      if (q.stuckRows) ctx.log(`${q.stuckRows} rows flagged as a stuck PM2.5 sensor`);
    } finally {
      c.closeSync();
    }
  },
});

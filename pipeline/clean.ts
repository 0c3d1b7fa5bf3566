import { defineStage } from "../src/pipeline/stage.ts";
import { int, str } from "../src/pipeline/params.ts";
import { openDuck } from "../src/data/duck.ts";
import { clean, FILL_RULES, type FillRule, FLAGS, RANGE_RULES } from "../src/data/clean.ts";
import { writeJsonAtomic } from "../src/pipeline/atomic.ts";
import { CLEAN, QUALITY_REPORT, RAW } from "../src/pipeline/catalog.ts";

export default defineStage({
  name: "clean",
  description:
    "hourly grid per station, range checks, stuck sensors, input gaps filled from the past only",
  after: ["ingest"],
  params: {
    fill_inputs: str(
      "carry_forward",
      "input gaps (never PM2.5): none = left missing for the trees' missing branch, carry_forward = last earlier value",
      FILL_RULES,
    ),
    max_fill_hours: int(3, "carry_forward: at most this many hours after the last measurement", {
      min: 0,
      max: 48,
    }),
    stuck_hours: int(24, "PM2.5 unchanged this many hours in a row is flagged as a stuck sensor", {
      min: 2,
    }),
  },
  inputs: () => [RAW],
  outputs: () => [CLEAN, QUALITY_REPORT],
  module: import.meta.url,
  async run(ctx) {
    const c = await openDuck();
    try {
      const q = await clean(c, {
        rawPath: ctx.path(RAW),
        out: ctx.out(CLEAN),
        fill: ctx.params.fill_inputs as FillRule,
        maxFillHours: ctx.params.max_fill_hours,
        stuckHours: ctx.params.stuck_hours,
      });
      await writeJsonAtomic(ctx.out(QUALITY_REPORT), { ...q, rules: RANGE_RULES, flagBits: FLAGS });
      ctx.rows("rows", q.rows);
      ctx.rows("grid rows added", q.gridRowsAdded);
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

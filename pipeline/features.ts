import { defineStage } from "../src/pipeline/stage.ts";
import { int, str } from "../src/pipeline/params.ts";
import { openDuck } from "../src/data/duck.ts";
import { buildFeatures } from "../src/features/build.ts";
import { writeJsonAtomic } from "../src/pipeline/atomic.ts";
import { CLEAN, FEATURES_PATH, SCHEMA_PATH } from "../src/pipeline/catalog.ts";

export default defineStage({
  name: "features",
  description:
    "lags and rolling means of PM2.5, wind vector, calendar, station, target at the horizon",
  after: ["clean"],
  params: {
    horizon_hours: int(1, "forecast horizon: the target is PM2.5 this many hours ahead", {
      min: 1,
      max: 72,
    }),
    target: str(
      "auto",
      "what the trees learn: the level, its change from now (added back in the model), or auto = the better in cross-validation",
      ["auto", "level", "change"],
    ),
  },
  inputs: () => [CLEAN],
  outputs: () => [FEATURES_PATH, SCHEMA_PATH],
  module: import.meta.url,
  async run(ctx) {
    const c = await openDuck();
    try {
      const { schema, rows } = await buildFeatures(c, {
        cleanPath: ctx.path(CLEAN),
        out: ctx.out(FEATURES_PATH),
        horizonHours: ctx.params.horizon_hours,
      });
      await writeJsonAtomic(ctx.out(SCHEMA_PATH), schema);
      ctx.rows("rows", rows);
      ctx.log(`${schema.features.length} features, ${schema.stations.length} stations`);
    } finally {
      c.closeSync();
    }
  },
});

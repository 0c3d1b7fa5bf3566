import { defineStage } from "../src/pipeline/stage.ts";
import { str } from "../src/pipeline/params.ts";
import { openDuck } from "../src/data/duck.ts";
import type { FeatureSchema } from "../src/features/schema.ts";
import { BATCH_USES, batchOptions, emptyMatrix, loadBatch } from "../src/data/batch.ts";
import { readPackage } from "../src/registry/read_package.ts";
import { scoreOnnx } from "../src/registry/candidate.ts";
import { predictionsTable } from "../src/metrics/predictions_table.ts";
import { writeColumns } from "../src/data/write_columns.ts";
import { writeJsonAtomic } from "../src/pipeline/atomic.ts";
import {
  isPretrained,
  PRETRAINED,
  PRETRAINED_DIR,
  PRODUCTION,
  SCHEMA_PATH,
} from "../src/pipeline/catalog.ts";

export default defineStage({
  name: "score",
  description:
    "pretrained mode: predictions (with intervals) for the raw files of score.production_dir, read like the training data",
  after: ["pretrained"],
  params: {
    production_dir: str(
      "data/production",
      "folder of unlabeled raw files to score in pretrained mode (same layout as the raw data)",
    ),
  },
  enabled: isPretrained,
  uses: { "pipeline.source": "string", ...BATCH_USES },
  inputs: (
    p,
  ) => [PRETRAINED_DIR, SCHEMA_PATH, ...(exists(p.production_dir) ? [p.production_dir] : [])],
  outputs: () => Object.values(PRODUCTION),
  module: import.meta.url,
  async run(ctx) {
    const dir = ctx.path(ctx.params.production_dir);
    const pkg = await readPackage(ctx.path(PRETRAINED_DIR));
    const schema = JSON.parse(await Deno.readTextFile(ctx.path(SCHEMA_PATH))) as FeatureSchema;
    const c = await openDuck();
    const tmp = await Deno.makeTempDir({ prefix: "aqlab-score-" });
    try {
      const batch = exists(dir)
        ? await loadBatch(c, dir, tmp, batchOptions(ctx.used, ctx.globals.source, schema))
        : { matrix: emptyMatrix(), info: null };
      if (batch.info?.error) ctx.warn(`batch ${ctx.params.production_dir}: ${batch.info.error}`);
      const m = batch.matrix;
      const pred = m.X.nRows > 0 ? await scoreOnnx(pkg.onnx, m.X) : new Float32Array(0);
      ctx.rows("production", m.X.nRows);
      await writeColumns(
        c,
        ctx.out(PRODUCTION.predictions),
        predictionsTable(m, [{ name: PRETRAINED, pred, interval: pkg.metadata.interval }]),
      );
      const labelled = m.y.filter(Number.isFinite).length;
      await writeJsonAtomic(ctx.out(PRODUCTION.summary), {
        model: PRETRAINED_DIR,
        production_dir: ctx.params.production_dir,
        rows: m.X.nRows,
        labelled_rows: labelled,
        batch: batch.info,
      });
      ctx.log(
        batch.info
          ? `${m.X.nRows} rows of ${ctx.params.production_dir} scored (${labelled} labelled)`
          : `no folder ${ctx.params.production_dir}: nothing to score`,
      );
    } finally {
      c.closeSync();
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
    }
  },
});

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

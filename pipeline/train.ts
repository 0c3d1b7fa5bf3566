import { defineStage } from "../src/pipeline/stage.ts";
import { int, num, str } from "../src/pipeline/params.ts";
import { all, lit, openDuck } from "../src/data/duck.ts";
import { FEATURE_NAMES, type FeatureSchema, TARGET } from "../src/features/schema.ts";
import type { SplitReport } from "../src/features/split.ts";
import { writePackage } from "../src/registry/write_package.ts";
import { loadSplit } from "../src/tuning/load_split.ts";
import { gbdtParamsFrom } from "../src/tuning/gbdt_params.ts";
import type { TuneBest } from "../src/tuning/best.ts";
import { trainCandidates, writeTrainingTables } from "../src/training/train_candidates.ts";
import { gitCommit } from "../src/pipeline/runs.ts";
import * as A from "../src/pipeline/catalog.ts";

export default defineStage({
  name: "train",
  description:
    "final GBDT on the whole training period (cross-validated choices of tune) and ridge / persistence baselines, as ONNX model packages with out-of-fold conformal intervals",
  after: ["tune"],
  enabled: (g) => !g.model_path,
  params: {
    n_estimators: int(500, "most boosting rounds; early stopping in each fold picks the count", {
      min: 1,
    }),
    learning_rate: num(0.05, "shrinkage of each tree", { min: 1e-6, max: 1 }),
    max_depth: int(8, "deepest tree level (root = 0); 0 = no limit with max_leaves", {
      min: 0,
      max: 31,
    }),
    max_leaves: int(0, "0 = depth-wise growth; > 1 = leaf-wise with this many leaves", { min: 0 }),
    min_child_weight: num(1, "smallest hessian sum (rows, for squared error) in a leaf", {
      min: 0,
    }),
    subsample: num(0.8, "share of rows drawn per tree", { min: 1e-6, max: 1 }),
    colsample_bytree: num(0.8, "share of features drawn per tree", { min: 1e-6, max: 1 }),
    lambda: num(1, "L2 penalty on leaf values", { min: 0 }),
    gamma: num(0, "smallest gain of a split", { min: 0 }),
    max_bins: int(255, "value bins per feature", { min: 2, max: 255 }),
    objective: str("squared_error", "training loss", ["squared_error", "pseudo_huber"]),
    ridge_alpha: num(1, "L2 penalty of the ridge baseline (standardised features)", { min: 0 }),
    alpha: num(0.1, "miscoverage of the conformal interval (0.1 = 90%)", { min: 0.001, max: 0.5 }),
    reference_rows: int(5000, "training rows sampled into each package's reference.json", {
      min: 1,
    }),
    threads: int(0, "histogram threads (0 = the learner's default)", { min: 0, max: 64 }),
  },
  uses: { "pipeline.seed": "number" },
  inputs: () => [A.SPLITS.train, A.SPLIT_REPORT, A.SCHEMA_PATH, A.BEST_PATH, A.OOF_PATH],
  // One output per candidate folder, so a later stage can read ctx.path(candidateDir(name)).
  outputs: () => [...A.CANDIDATES.map(A.candidateDir), A.CURVE_PATH, A.IMPORTANCE_PATH],
  module: import.meta.url,
  async run(ctx) {
    const p = ctx.params;
    const read = async <T>(path: string) =>
      JSON.parse(await Deno.readTextFile(ctx.path(path))) as T;
    const best = await read<TuneBest>(A.BEST_PATH);
    const c = await openDuck();
    try {
      const tr = await loadSplit(c, ctx.path(A.SPLITS.train), {
        features: FEATURE_NAMES,
        target: TARGET,
        label: "training",
      });
      ctx.rows("train", tr.X.nRows);
      const oof = await all<{ t: number; p: number }>(
        c,
        `SELECT epoch_ms(time)::DOUBLE AS t, y_pred AS p FROM read_parquet(${
          lit(ctx.path(A.OOF_PATH))
        })`,
      );
      const bar = ctx.progress("boosting rounds", best.trees);
      const r = await trainCandidates({
        train: tr,
        folds: (await read<SplitReport>(A.SPLIT_REPORT)).folds,
        best,
        gbdtOof: { time: oof.map((o) => o.t), pred: oof.map((o) => o.p) },
        base: gbdtParamsFrom(p, ctx.globals.seed),
        schema: await read<FeatureSchema>(A.SCHEMA_PATH),
        target: TARGET,
        ridgeAlpha: p.ridge_alpha,
        alpha: p.alpha,
        referenceRows: p.reference_rows,
        seed: ctx.globals.seed,
        ...(p.threads > 0 ? { threads: p.threads } : {}),
        lineage: await ctx.lineage("train"),
        gitCommit: await gitCommit(ctx.path(".")),
        onIteration: () => bar.tick(),
      }).finally(() => bar.done());
      for (const { name, contents } of r.packages) {
        await writePackage(ctx.out(A.candidateDir(name)), contents);
        const m = contents.metadata;
        ctx.metric(`valid_rmse_${name}`, m.metrics.valid!.rmse);
        ctx.log(
          `${name}: out-of-fold RMSE ${m.metrics.valid!.rmse.toFixed(3)}, MAE ${
            m.metrics.valid!.mae.toFixed(3)
          }, ${Math.round((1 - p.alpha) * 100)}% interval ±${
            m.interval!.bands!.quantile.map((q) => q.toFixed(1)).join(" / ")
          } by band`,
        );
      }
      const g = r.gbdt;
      ctx.metric("gbdt_trees", g.model.trees.length);
      ctx.metric("gbdt_seconds", g.seconds);
      ctx.record("params", g.params);
      ctx.log(
        `GBDT: ${best.target} target, ${g.model.trees.length} trees on ${tr.X.nRows} rows in ${
          g.seconds.toFixed(1)
        } s`,
      );
      await writeTrainingTables(c, g, best, {
        curve: ctx.out(A.CURVE_PATH),
        importance: ctx.out(A.IMPORTANCE_PATH),
      });
    } finally {
      c.closeSync();
    }
  },
});

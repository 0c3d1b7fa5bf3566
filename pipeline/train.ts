import { defineStage } from "../src/pipeline/stage.ts";
import { bool, int, num, str } from "../src/pipeline/params.ts";
import { openDuck } from "../src/data/duck.ts";
import type { FeatureMatrix } from "../src/data/matrix.ts";
import { FEATURE_NAMES, type FeatureSchema, TARGET } from "../src/features/schema.ts";
import { resolveParams, train as trainGbdt } from "../src/gbdt/boost.ts";
import { modelToJSON } from "../src/gbdt/serialize.ts";
import { fitRidge } from "../src/baselines/ridge.ts";
import { fitPersistence } from "../src/baselines/persistence.ts";
import { exportTreeEnsemble } from "../src/onnx/export.ts";
import { exportLinear } from "../src/onnx/linear.ts";
import { createSession } from "../src/onnx/session.ts";
import { regressionMetrics } from "../src/metrics/regression.ts";
import { conformalQuantile } from "../src/metrics/conformal.ts";
import { writeColumns } from "../src/data/write_columns.ts";
import type { ModelKind, ModelMetadata } from "../src/registry/package.ts";
import { sampleReference, writePackage } from "../src/registry/write_package.ts";
import { type LoadedSplit, loadSplit } from "../src/tuning/load_split.ts";
import { gbdtParamsFrom, mergeTuned } from "../src/tuning/gbdt_params.ts";
import { sampleRowIndices, takeRows } from "../src/tuning/row_sample.ts";
import { gitCommit } from "../src/pipeline/runs.ts";
import {
  BEST_PATH,
  candidateDir,
  type CandidateName,
  CANDIDATES,
  CURVE_PATH,
  IMPORTANCE_PATH,
  SCHEMA_PATH,
  SPLITS,
} from "../src/pipeline/catalog.ts";
import type { TuneBest } from "../src/tuning/best.ts";

export default defineStage({
  name: "train",
  description:
    "GBDT with early stopping (tuned parameters) and ridge / persistence baselines, as ONNX model packages",
  after: ["tune"],
  enabled: (g) => !g.model_path,
  params: {
    use_tuned: bool(true, "tuned values (reports/tuning/best.json) override the values below"),
    n_estimators: int(500, "most boosting rounds; early stopping usually ends sooner", { min: 1 }),
    early_stopping_rounds: int(30, "stop after this many rounds without a better validation RMSE", {
      min: 0,
    }),
    learning_rate: num(0.1, "shrinkage of each tree", { min: 1e-6, max: 1 }),
    max_depth: int(6, "deepest tree level (root = 0); 0 = no limit with max_leaves", {
      min: 0,
      max: 31,
    }),
    max_leaves: int(0, "0 = depth-wise growth; > 1 = leaf-wise with this many leaves", { min: 0 }),
    min_child_weight: num(1, "smallest hessian sum (rows, for squared error) in a leaf", {
      min: 0,
    }),
    subsample: num(1, "share of rows drawn per tree", { min: 1e-6, max: 1 }),
    colsample_bytree: num(1, "share of features drawn per tree", { min: 1e-6, max: 1 }),
    lambda: num(1, "L2 penalty on leaf values", { min: 0 }),
    gamma: num(0, "smallest gain of a split", { min: 0 }),
    max_bins: int(255, "value bins per feature", { min: 2, max: 255 }),
    objective: str("squared_error", "training loss", ["squared_error", "pseudo_huber"]),
    ridge_alpha: num(1, "L2 penalty of the ridge baseline (standardised features)", { min: 0 }),
    alpha: num(0.1, "miscoverage of the split-conformal interval (0.1 = 90%)", {
      min: 0.001,
      max: 0.5,
    }),
    reference_rows: int(5000, "training rows sampled into each package's reference.json", {
      min: 1,
    }),
    threads: int(0, "histogram threads (0 = the learner's default)", { min: 0, max: 64 }),
    refit: bool(
      true,
      "after early stopping, refit the GBDT on train + validation with the tree count found",
    ),
  },
  uses: { "pipeline.seed": "number" },
  inputs: () => [SPLITS.train, SPLITS.valid, SCHEMA_PATH, BEST_PATH],
  // One output per candidate folder, so a later stage can read ctx.path(candidateDir(name)).
  outputs: () => [...CANDIDATES.map(candidateDir), CURVE_PATH, IMPORTANCE_PATH],
  module: import.meta.url,
  async run(ctx) {
    const p = ctx.params;
    const seed = ctx.globals.seed;
    const c = await openDuck();
    let tr: LoadedSplit, va: LoadedSplit;
    try {
      const opts = { features: FEATURE_NAMES, target: TARGET };
      tr = await loadSplit(c, ctx.path(SPLITS.train), { ...opts, label: "training" });
      va = await loadSplit(c, ctx.path(SPLITS.valid), { ...opts, label: "validation" });
    } catch (e) {
      c.closeSync();
      throw e;
    }
    ctx.rows("train", tr.X.nRows);
    ctx.rows("valid", va.X.nRows);
    const schema = JSON.parse(await Deno.readTextFile(ctx.path(SCHEMA_PATH))) as FeatureSchema;
    const best = JSON.parse(await Deno.readTextFile(ctx.path(BEST_PATH))) as TuneBest;
    const base = gbdtParamsFrom(p, seed);
    const merged = p.use_tuned && best.enabled ? mergeTuned(base, best.params) : base;
    const gbdtParams = resolveParams(merged);
    ctx.log(`GBDT parameters: ${JSON.stringify(gbdtParams)}`);
    const lineage = await ctx.lineage("train");
    const commit = await gitCommit(ctx.path("."));
    const created = new Date().toISOString();
    const refIdx = sampleRowIndices(tr.X.nRows, p.reference_rows, seed);
    const refRows = takeRows(tr.X, tr.y, refIdx);
    const refTime = Float64Array.from(refIdx, (i) => tr.time[i]!);

    // Persistence first: its validation predictions are the reference of every skill score.
    const persistence = fitPersistence(tr.y);
    const pCol = FEATURE_NAMES.indexOf(persistence.column);
    const oneHot = FEATURE_NAMES.map((_, j) => (j === pCol ? 1 : 0));
    const fill = FEATURE_NAMES.map((_, j) => (j === pCol ? persistence.fallback : 0));
    const persistenceOnnx = exportLinear(oneHot, 0, [...FEATURE_NAMES], meta("persistence"), {
      impute: fill,
    });
    // Scored after training (see below): the skill reference of every candidate.
    let persistenceValid: Float32Array = new Float32Array(0);

    const candidate = async (
      name: CandidateName,
      kind: ModelKind,
      onnx: Uint8Array,
      model: unknown,
      params: Record<string, unknown>,
      training: ModelMetadata["training"],
      /** The model fitted without the validation rows, when `onnx` was refitted on them. */
      calibration: Uint8Array = onnx,
    ) => {
      // Validation metrics and the conformal interval come from a model that never saw
      // the validation rows; after a refit that is the early-stopped model.
      const validPred = await score(calibration, va.X);
      const interval = conformalQuantile(va.y, validPred, p.alpha);
      const metrics = regressionMetrics(va.y, validPred, persistenceValid);
      const metadata: ModelMetadata = {
        name,
        version: null,
        kind,
        created,
        git_commit: commit,
        parent_version: null,
        params,
        schema,
        metrics: { valid: metrics },
        interval,
        lineage,
        ...(training ? { training } : {}),
      };
      const reference = sampleReference(
        { X: refRows.X, y: refRows.y, time: refTime },
        await score(onnx, refRows.X),
        { rows: refRows.X.nRows, seed, target: TARGET },
      );
      await writePackage(ctx.out(candidateDir(name)), {
        onnx,
        model,
        metadata,
        reference,
      });
      ctx.metric(`valid_rmse_${name}`, metrics.rmse);
      ctx.log(
        `${name}: valid RMSE ${metrics.rmse.toFixed(3)}, MAE ${metrics.mae.toFixed(3)}, skill ${
          metrics.skill?.toFixed(3)
        }, ${Math.round((1 - p.alpha) * 100)}% interval ±${interval.quantile.toFixed(2)}`,
      );
    };

    try {
      // GBDT with early stopping on the validation split.
      const t0 = performance.now();
      const bar = ctx.progress("boosting rounds", gbdtParams.nEstimators);
      let r;
      try {
        r = await trainGbdt(tr.X, tr.y, gbdtParams, {
          valid: { X: va.X, y: va.y },
          onIteration: () => bar.tick(),
          ...(p.threads > 0 ? { threads: p.threads } : {}),
        });
      } catch (e) {
        throw new Error(
          `Cannot train the GBDT on ${SPLITS.train} (validation ${SPLITS.valid}): ${
            (e as Error).message
          }`,
          { cause: e },
        );
      } finally {
        bar.done();
      }
      const earlyOnnx = exportTreeEnsemble(r.model, meta("gbdt"));
      // Refit on train + validation: the most recent months (often the winter's extreme
      // episodes) are what the test period resembles most, and trees cannot extrapolate.
      let finalModel = r.model;
      if (p.refit && r.bestIteration > 0) {
        const all = concatRows(tr, va);
        const bar2 = ctx.progress("refit on train + valid", r.bestIteration);
        try {
          const refit = await trainGbdt(all.X, all.y, {
            ...gbdtParams,
            nEstimators: r.bestIteration,
            earlyStoppingRounds: 0,
          }, { onIteration: () => bar2.tick(), ...(p.threads > 0 ? { threads: p.threads } : {}) });
          finalModel = refit.model;
        } finally {
          bar2.done();
        }
        ctx.log(`refitted ${r.bestIteration} trees on ${all.X.nRows} train + valid rows`);
      }
      const gbdtSeconds = (performance.now() - t0) / 1000;
      const gbdtOnnx = finalModel === r.model
        ? earlyOnnx
        : exportTreeEnsemble(finalModel, meta("gbdt"));
      ctx.metric("best_iteration", r.bestIteration);
      ctx.metric("gbdt_seconds", gbdtSeconds);
      ctx.record("curve", r.curve);
      ctx.record("params", gbdtParams);
      await writeColumns(c, ctx.out(CURVE_PATH), {
        iteration: { type: "int", values: r.curve.map((e) => e.iteration) },
        train: { type: "double", values: r.curve.map((e) => e.train) },
        valid: { type: "double", values: r.curve.map((e) => e.valid ?? NaN) },
      });
      await writeColumns(c, ctx.out(IMPORTANCE_PATH), {
        feature: { type: "string", values: r.importance.map((e) => e.feature) },
        gain: { type: "double", values: r.importance.map((e) => e.gain) },
        cover: { type: "double", values: r.importance.map((e) => e.cover) },
        splits: { type: "int", values: r.importance.map((e) => e.splits) },
      });

      // Ridge on standardised features, missing = training mean (the Imputer in the ONNX).
      const t1 = performance.now();
      let ridge;
      try {
        ridge = fitRidge(tr.X, tr.y, p.ridge_alpha);
      } catch (e) {
        throw new Error(`Cannot fit ridge on ${SPLITS.train}: ${(e as Error).message}`, {
          cause: e,
        });
      }
      const ridgeSeconds = (performance.now() - t1) / 1000;
      const ridgeOnnx = exportLinear(
        ridge.weights,
        ridge.intercept,
        ridge.featureNames,
        meta("ridge"),
        { standardize: { mean: ridge.means, scale: ridge.scales } },
      );
      // The persistence predictions on the validation split: the skill reference.
      persistenceValid = await score(persistenceOnnx, va.X);
      await candidate("gbdt", "gbdt", gbdtOnnx, modelToJSON(finalModel, { params: gbdtParams }), {
        ...gbdtParams,
        trees: finalModel.trees.length,
        tuned: p.use_tuned && best.enabled,
        refit: finalModel !== r.model,
      }, {
        rows: finalModel === r.model ? tr.X.nRows : tr.X.nRows + va.X.nRows,
        valid_rows: va.X.nRows,
        best_iteration: r.bestIteration,
        seconds: gbdtSeconds,
      }, earlyOnnx);
      await candidate(
        "ridge",
        "ridge",
        ridgeOnnx,
        {
          format: "aqlab-ridge",
          featureNames: ridge.featureNames,
          weights: Array.from(ridge.weights),
          intercept: ridge.intercept,
          means: Array.from(ridge.means),
          scales: Array.from(ridge.scales),
        },
        { alpha: p.ridge_alpha },
        {
          rows: tr.X.nRows,
          valid_rows: va.X.nRows,
          seconds: ridgeSeconds,
        },
      );

      // Persistence: a LinearRegressor with weight 1 on "PM2.5" whose Imputer fills a
      // missing PM2.5 with the training mean of the target, as predictPersistence does.
      await candidate(
        "persistence",
        "persistence",
        persistenceOnnx,
        {
          format: "aqlab-persistence",
          column: persistence.column,
          fallback: persistence.fallback,
        },
        { column: persistence.column, fallback: persistence.fallback },
        {
          rows: tr.X.nRows,
          valid_rows: va.X.nRows,
          seconds: 0,
        },
      );
    } finally {
      c.closeSync();
    }
  },
});

function concatRows(a: LoadedSplit, b: LoadedSplit): { X: FeatureMatrix; y: Float32Array } {
  const data = new Float32Array(a.X.data.length + b.X.data.length);
  data.set(a.X.data);
  data.set(b.X.data, a.X.data.length);
  const y = new Float32Array(a.y.length + b.y.length);
  y.set(a.y);
  y.set(b.y, a.y.length);
  return { X: { data, nRows: a.X.nRows + b.X.nRows, nCols: a.X.nCols, names: [...a.X.names] }, y };
}

function meta(candidate: string): Record<string, string> {
  return { "aqlab.candidate": candidate, target: TARGET };
}

async function score(onnx: Uint8Array, X: FeatureMatrix): Promise<Float32Array> {
  const s = await createSession(onnx);
  try {
    return await s.run(X);
  } finally {
    await s.release();
  }
}

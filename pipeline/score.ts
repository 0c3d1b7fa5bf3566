import { isAbsolute } from "node:path";
import { defineStage } from "../src/pipeline/stage.ts";
import { int, str } from "../src/pipeline/params.ts";
import { openDuck } from "../src/data/duck.ts";
import type { FeatureMatrix } from "../src/data/matrix.ts";
import { FEATURE_NAMES, type FeatureSchema, TARGET } from "../src/features/schema.ts";
import { importOnnx, recomputeCovers } from "../src/onnx/import.ts";
import { exportTreeEnsemble } from "../src/onnx/export.ts";
import { createSession } from "../src/onnx/session.ts";
import { modelToJSON } from "../src/gbdt/serialize.ts";
import { regressionMetrics } from "../src/metrics/regression.ts";
import {
  conformalQuantile,
  intervalCoverage,
  predictionInterval,
} from "../src/metrics/conformal.ts";
import { writeColumns } from "../src/metrics/write_columns.ts";
import { writeJsonAtomic } from "../src/pipeline/atomic.ts";
import type { ModelMetadata } from "../src/registry/package.ts";
import { sampleReference, writePackage } from "../src/registry/write_package.ts";
import { sampleRowIndices, takeRows } from "../src/tuning/row_sample.ts";
import { loadSplit } from "../src/tuning/load_split.ts";
import { type LabelledMatrix } from "../src/data/load_matrix.ts";
import { globalImportance, shapValues, TreeExplainer } from "../src/explain/mod.ts";
import { permutationImportance } from "../src/explain/permutation.ts";
import { matchInputs } from "../src/pretrained/match_inputs.ts";
import { remapFeatures } from "../src/pretrained/remap_features.ts";
import {
  DEFAULT_RETRAIN_POLICY,
  type DriftReport,
  evaluateRetraining,
  seasonalDriftReport,
} from "../src/drift/mod.ts";
import { gitCommit } from "../src/pipeline/runs.ts";
import { PRETRAINED_DIR, SCHEMA_PATH, SCORE, SPLITS } from "../src/pipeline/catalog.ts";
import { loadBatch } from "../src/data/batch.ts";

/** The stage runs only in pretrained mode (`--model PATH.onnx`). */
export const isPretrained = (g: { model_path: string }) => g.model_path !== "";

export default defineStage({
  name: "score",
  description:
    "pretrained mode (--model FILE.onnx): check the inputs against the schema, package the model, score the test split and data/production, evaluate, monitor drift, explain",
  after: ["split"],
  params: {
    production_dir: str(
      "data/production",
      "folder of unlabeled raw files to score in pretrained mode (same layout as the raw data)",
    ),
    explain_rows: int(2000, "test rows explained (TreeSHAP or permutation importance)", {
      min: 10,
    }),
    permutation_repeats: int(3, "shuffles per feature for permutation importance", { min: 1 }),
    reference_rows: int(
      5000,
      "training rows sampled into the package's reference.json and TreeSHAP covers",
      { min: 10 },
    ),
  },
  enabled: isPretrained,
  uses: [
    "pipeline.seed",
    "pipeline.source",
    "train.alpha",
    "ingest.off_hour",
    "clean.fill_inputs",
    "clean.max_fill_hours",
    "clean.stuck_hours",
    "features.horizon_hours",
    "drift.drift_share",
    "drift.p_value",
    "drift.distance",
  ],
  inputs: (p) => [
    p.model_path,
    SPLITS.train,
    SPLITS.valid,
    SPLITS.test,
    SCHEMA_PATH,
    ...(exists(p.production_dir) ? [p.production_dir] : []),
  ],
  outputs: () => [PRETRAINED_DIR, ...Object.values(SCORE)],
  module: import.meta.url,
  async run(ctx) {
    const p = ctx.params, g = ctx.globals, seed = g.seed;
    const modelFile = isAbsolute(g.model_path) ? g.model_path : ctx.path(g.model_path);
    const bytes = await Deno.readFile(modelFile);
    const imported = importOnnx(bytes);
    const match = matchInputs(imported, FEATURE_NAMES, g.model_path);
    const schema = JSON.parse(await Deno.readTextFile(ctx.path(SCHEMA_PATH))) as FeatureSchema;
    const c = await openDuck();
    try {
      const opts = { features: FEATURE_NAMES, target: TARGET };
      const tr = await loadSplit(c, ctx.path(SPLITS.train), { ...opts, label: "training" });
      const va = await loadSplit(c, ctx.path(SPLITS.valid), { ...opts, label: "validation" });
      const te = await loadSplit(c, ctx.path(SPLITS.test), { ...opts, label: "test" });
      ctx.rows("test", te.X.nRows);
      const refIdx = sampleRowIndices(tr.X.nRows, p.reference_rows, seed);
      const ref = takeRows(tr.X, tr.y, refIdx);

      // A tree ensemble becomes our TreeEnsemble over the full schema (matched by name), so
      // the package scores, explains and serves like a trained one; other models keep their bytes.
      let onnx: Uint8Array = bytes,
        modelJson: unknown = {
          format: "aqlab-pretrained",
          kind: "other",
          reason: imported.kind === "other" ? imported.reason : "",
        };
      let tree = null;
      if (imported.kind === "tree_ensemble") {
        tree = remapFeatures(imported.model, match.columns, FEATURE_NAMES);
        if (!imported.hasCovers) tree = recomputeCovers(tree, ref.X);
        onnx = exportTreeEnsemble(tree, { "aqlab.candidate": "pretrained", target: TARGET });
        modelJson = modelToJSON(tree, { source: "pretrained" });
      }
      const session = await createSession(onnx);
      const score = async (X: FeatureMatrix) => Float64Array.from(await session.run(X));
      try {
        const validPred = await score(va.X);
        const interval = conformalQuantile(va.y, validPred, Number(ctx.all.train?.alpha ?? 0.1));
        const testPred = await score(te.X);
        const test = regressionMetrics(te.y, testPred);
        const cov = intervalCoverage(te.y, testPred, interval);
        const lineage = await ctx.lineage("split");
        const metadata: ModelMetadata = {
          name: "pretrained",
          version: null,
          kind: tree ? "pretrained_tree" : "pretrained_other",
          created: new Date().toISOString(),
          git_commit: await gitCommit(ctx.path(".")),
          parent_version: null,
          params: {
            source_file: g.model_path,
            source_bytes: bytes.length,
            source_sha256: await sha256(bytes),
            features_used: match.names.length,
            subset: match.subset,
            ...(tree
              ? {
                trees: tree.trees.length,
                covers: imported.kind === "tree_ensemble" && imported.hasCovers
                  ? "from file"
                  : "recomputed on training rows",
              }
              : {}),
          },
          schema,
          metrics: { valid: regressionMetrics(va.y, validPred), test },
          interval,
          lineage,
        };
        await writePackage(ctx.out(PRETRAINED_DIR), {
          onnx,
          model: modelJson,
          metadata,
          reference: sampleReference(
            { X: ref.X, y: ref.y, time: Float64Array.from(refIdx, (i) => tr.time[i]!) },
            Float32Array.from(await score(ref.X)),
            { rows: ref.X.nRows, seed, target: TARGET },
          ),
        });
        await writePredictions(c, ctx.out(SCORE.predictions), te, testPred, interval);
        ctx.metric("test_rmse", test.rmse);
        ctx.log(
          `${g.model_path} (${metadata.kind}, ${match.names.length} features): test RMSE ${
            test.rmse.toFixed(3)
          }, coverage ${(100 * cov.coverage).toFixed(1)}%`,
        );

        // Production batch: same ingest / clean / features code as the drift stage.
        let current: LabelledMatrix = te, currentKind = "test_split", batch = null;
        const prodDir = isAbsolute(p.production_dir)
          ? p.production_dir
          : ctx.path(p.production_dir);
        let prodPred = new Float64Array(0);
        if (exists(prodDir)) {
          const tmp = await Deno.makeTempDir({ prefix: "aqlab-score-" });
          try {
            const r = await loadBatch(c, prodDir, tmp, {
              source: g.source,
              schema,
              ingest: ctx.all.ingest,
              clean: ctx.all.clean,
              horizonHours: Number(ctx.all.features?.horizon_hours ?? 1),
            });
            batch = r.info;
            if (r.info.error) ctx.warn(`production batch ${p.production_dir}: ${r.info.error}`);
            if (r.matrix.X.nRows > 0) {
              current = r.matrix;
              currentKind = "production";
              prodPred = await score(r.matrix.X);
            }
          } finally {
            await Deno.remove(tmp, { recursive: true }).catch(() => {});
          }
        }
        ctx.rows("production", currentKind === "production" ? current.X.nRows : 0);
        await writePredictions(
          c,
          ctx.out(SCORE.production),
          currentKind === "production" ? current : emptyOf(te),
          prodPred,
          interval,
        );

        // Drift of inputs and predictions (labels, when any, add target drift and RMSE).
        const curPred = currentKind === "production" ? prodPred : testPred;
        const columns = (m: LabelledMatrix) =>
          Object.fromEntries(FEATURE_NAMES.map((f, j) => [f, column(m.X, j)]));
        const refPred = await score(tr.X);
        const labelled = Array.from(current.y).some(Number.isFinite);
        const drift = seasonalDriftReport(columns(tr), columns(current), {
          features: [...FEATURE_NAMES],
          kinds: { station_code: "categorical" },
          datasetDriftShare: Number(ctx.all.drift?.drift_share ?? 0.5),
          pValueThreshold: Number(ctx.all.drift?.p_value ?? 0.05),
          distanceThreshold: Number(ctx.all.drift?.distance ?? 0.1),
          extra: {
            prediction: {
              reference: Float32Array.from(refPred),
              current: Float32Array.from(curPred),
            },
            ...(labelled ? { target: { reference: tr.y, current: current.y } } : {}),
          },
          referenceTimes: tr.time,
          currentTimes: current.time,
          by: "month",
        });
        const perf = labelled ? regressionMetrics(current.y, curPred) : null;
        const retraining = evaluateRetraining({
          datasetDrift: drift.seasonal.driftShare ?? drift.wholeYear.driftShare,
          rmseDegradation: perf && test.rmse > 0 ? (perf.rmse / test.rmse - 1) * 100 : null,
          modelAgeDays: null,
        }, DEFAULT_RETRAIN_POLICY);
        await writeJsonAtomic(ctx.out(SCORE.drift), {
          current: { kind: currentKind, rows: current.X.nRows, labelled, batch },
          verdict: {
            // Without same-month training rows the whole-year comparison decides.
            seasonal: verdictOf(
              drift.seasonal.driftShare !== null ? drift.seasonal : drift.wholeYear,
            ),
            basis: drift.seasonal.driftShare !== null ? "seasonal" : "whole_year",
          },
          performance: perf,
          retraining,
          drift,
        });

        // Explanation: TreeSHAP for a tree ensemble, permutation importance otherwise.
        const eIdx = sampleRowIndices(te.X.nRows, p.explain_rows, seed + 1);
        const ex = takeRows(te.X, te.y, eIdx);
        let imp: { feature: string; importance: number; method: string }[];
        if (tree) {
          imp = globalImportance(shapValues(new TreeExplainer(tree), ex.X)).map((r) => ({
            feature: r.feature,
            importance: r.meanAbsShap,
            method: "mean_abs_treeshap",
          }));
        } else {
          imp = (await permutationImportance(score, ex.X, ex.y, {
            seed,
            repeats: p.permutation_repeats,
          }))
            .map((r) => ({
              feature: r.feature,
              importance: r.importance,
              method: "permutation_rmse_increase",
            }));
        }
        await writeColumns(c, ctx.out(SCORE.importance), {
          feature: { type: "string", values: imp.map((r) => r.feature) },
          importance: { type: "double", values: imp.map((r) => r.importance) },
          method: { type: "string", values: imp.map((r) => r.method) },
        });
        await writeJsonAtomic(ctx.out(SCORE.summary), {
          rows: te.X.nRows,
          model_path: g.model_path,
          kind: metadata.kind,
          features: match.names,
          subset: match.subset,
          explanation: imp[0]?.method ?? null,
          candidates: {
            pretrained: {
              test,
              interval: { ...cov, nominal: 1 - interval.alpha, half_width: interval.quantile },
            },
          },
        });
      } finally {
        await session.release();
      }
    } finally {
      c.closeSync();
    }
  },
});

function verdictOf(r: DriftReport) {
  return {
    dataset_drift: r.datasetDrift,
    drift_share: r.driftShare,
    prediction_drift: r.prediction?.drifted ?? null,
  };
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

function column(X: FeatureMatrix, j: number): Float32Array {
  const out = new Float32Array(X.nRows);
  for (let i = 0; i < X.nRows; i++) out[i] = X.data[i * X.nCols + j]!;
  return out;
}

function emptyOf(m: LabelledMatrix): LabelledMatrix {
  return {
    ...m,
    X: { ...m.X, data: new Float32Array(0), nRows: 0 },
    y: new Float32Array(0),
    station: [],
    time: new Float64Array(0),
  };
}

async function writePredictions(
  c: Parameters<typeof writeColumns>[0],
  path: string,
  m: LabelledMatrix,
  pred: Float64Array,
  interval: Parameters<typeof predictionInterval>[1],
) {
  const n = m.X.nRows;
  const lo = new Float64Array(n), hi = new Float64Array(n);
  for (let i = 0; i < n; i++) [lo[i], hi[i]] = predictionInterval(pred[i]!, interval);
  await writeColumns(c, path, {
    candidate: { type: "string", values: Array.from({ length: n }, () => "pretrained") },
    station: { type: "string", values: m.station },
    time: { type: "timestamp", values: m.time },
    y_true: { type: "double", values: m.y },
    y_pred: { type: "double", values: pred },
    lower: { type: "double", values: lo },
    upper: { type: "double", values: hi },
    residual: { type: "double", values: Float64Array.from(pred, (v, i) => v - m.y[i]!) },
  });
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const h = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(h), (b) => b.toString(16).padStart(2, "0")).join("");
}

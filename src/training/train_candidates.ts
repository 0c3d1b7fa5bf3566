/**
 * The `train` stage's work: the final GBDT (final_gbdt.ts) and the ridge and persistence
 * baselines, each fitted on the whole training period and exported to ONNX, each with its
 * out-of-fold predictions over the cross-validation blocks. Those give every package its
 * validation metrics (skill against persistence's out-of-fold predictions) and its
 * Mondrian conformal interval: residuals of models that never saw the rows they scored,
 * under the same protocol that chose the model.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import type { LabelledMatrix } from "../data/load_matrix.ts";
import { writeColumns } from "../data/write_columns.ts";
import type { FeatureSchema } from "../features/schema.ts";
import type { GbdtParams } from "../gbdt/params.ts";
import { modelToJSON } from "../gbdt/serialize.ts";
import { fitPersistence } from "../baselines/persistence.ts";
import { fitRidge } from "../baselines/ridge.ts";
import { exportTreeEnsemble } from "../onnx/export.ts";
import { exportLinear } from "../onnx/linear.ts";
import type { Lineage } from "../pipeline/stage.ts";
import type { ModelMetadata } from "../registry/package.ts";
import type { PackageContents } from "../registry/read_package.ts";
import { candidatePackage, type CandidateSetting, referenceRows } from "../registry/candidate.ts";
import type { TuneBest } from "../tuning/best.ts";
import { type Fold, foldRows } from "../tuning/folds.ts";
import { foldPredictions, persistenceFitter, ridgeFitter } from "./baseline_oof.ts";
import { type FinalGbdt, fitFinalGbdt } from "./final_gbdt.ts";

export interface TrainInput {
  train: LabelledMatrix;
  folds: readonly Fold[];
  best: TuneBest;
  /** The GBDT's out-of-fold predictions (tune's oof.parquet), rows in training order. */
  gbdtOof: { time: ArrayLike<number>; pred: ArrayLike<number> };
  base: Partial<GbdtParams>;
  schema: FeatureSchema;
  target: string;
  ridgeAlpha: number;
  alpha: number;
  referenceRows: number;
  seed: number;
  threads?: number;
  lineage: Lineage;
  gitCommit: string | null;
  onIteration?: () => void;
}

export interface TrainedCandidates {
  gbdt: FinalGbdt;
  packages: { name: "gbdt" | "ridge" | "persistence"; contents: PackageContents }[];
}

export async function trainCandidates(i: TrainInput): Promise<TrainedCandidates> {
  const tr = i.train, names = [...tr.X.names];
  const meta = (candidate: string) => ({ "aqlab.candidate": candidate, target: i.target });
  const gbdt = await fitFinalGbdt(tr, i.best, i.base, {
    ...(i.threads ? { threads: i.threads } : {}),
    ...(i.onIteration ? { onIteration: i.onIteration } : {}),
  });
  const t1 = performance.now();
  const ridge = fitRidge(tr.X, tr.y, i.ridgeAlpha);
  const ridgeSeconds = (performance.now() - t1) / 1000;
  const persistence = fitPersistence(tr.y);
  const pCol = names.indexOf(persistence.column);

  // Out-of-fold rows: the validation blocks, in training order (as tune wrote them).
  const oofIdx = i.folds.flatMap((f) => Array.from(foldRows(tr.time, f).valid)).sort((a, b) =>
    a - b
  );
  const persistOof = foldPredictions(tr, i.folds, persistenceFitter);
  checkAligned(oofIdx, tr.time, i.gbdtOof.time);
  const pick = (v: ArrayLike<number>) => Float64Array.from(oofIdx, (r) => v[r]!);
  const oofY = pick(tr.y), persistenceValid = pick(persistOof);
  const ridgeValid = pick(foldPredictions(tr, i.folds, ridgeFitter(i.ridgeAlpha)));

  const setting: CandidateSetting = {
    schema: i.schema,
    valid: { y: oofY },
    reference: referenceRows(tr, i.referenceRows, i.seed),
    alpha: i.alpha,
    seed: i.seed,
    target: i.target,
    lineage: i.lineage,
    gitCommit: i.gitCommit,
    created: new Date().toISOString(),
    skillReference: persistenceValid,
  };
  const pack = async (
    name: "gbdt" | "ridge" | "persistence",
    onnx: Uint8Array,
    model: unknown,
    params: Record<string, unknown>,
    seconds: number,
    validPredictions: ArrayLike<number>,
    extra: Partial<NonNullable<ModelMetadata["training"]>> = {},
  ) => {
    const training = { rows: tr.X.nRows, valid_rows: oofY.length, seconds, ...extra };
    const m = { name, kind: name, onnx, model, params, training, validPredictions };
    return { name, contents: await candidatePackage(m, setting) };
  };
  const packages = [
    await pack(
      "gbdt",
      exportTreeEnsemble(gbdt.model, meta("gbdt")),
      modelToJSON(gbdt.model, { params: gbdt.params }),
      {
        ...gbdt.params,
        trees: gbdt.model.trees.length,
        target: i.best.target,
        tuned: i.best.enabled,
        cv_rmse: i.best.cv.mean,
        cv_rmse_sd: i.best.cv.sd,
      },
      gbdt.seconds,
      i.gbdtOof.pred,
      { best_iteration: gbdt.model.trees.length - 1 },
    ),
    await pack(
      "ridge",
      exportLinear(ridge.weights, ridge.intercept, ridge.featureNames, meta("ridge"), {
        standardize: { mean: ridge.means, scale: ridge.scales },
      }),
      {
        format: "aqlab-ridge",
        featureNames: ridge.featureNames,
        weights: Array.from(ridge.weights),
        intercept: ridge.intercept,
        means: Array.from(ridge.means),
        scales: Array.from(ridge.scales),
      },
      { alpha: i.ridgeAlpha },
      ridgeSeconds,
      ridgeValid,
    ),
    // A LinearRegressor with weight 1 on "PM2.5" whose Imputer fills a missing PM2.5 with
    // the training mean of the target, as predictPersistence does.
    await pack(
      "persistence",
      exportLinear(names.map((_, j) => (j === pCol ? 1 : 0)), 0, names, meta("persistence"), {
        impute: names.map((_, j) => (j === pCol ? persistence.fallback : 0)),
      }),
      { format: "aqlab-persistence", column: persistence.column, fallback: persistence.fallback },
      { column: persistence.column, fallback: persistence.fallback },
      0,
      persistenceValid,
    ),
  ];
  return { gbdt, packages };
}

/**
 * curve.parquet (the final fit's RMSE per round beside the folds' mean validation RMSE at
 * that round) and importance.parquet (gain, cover, splits per feature).
 */
export async function writeTrainingTables(
  c: DuckDBConnection,
  g: FinalGbdt,
  best: TuneBest,
  out: { curve: string; importance: string },
): Promise<void> {
  const curve = g.result.curve, imp = g.result.importance;
  await writeColumns(c, out.curve, {
    iteration: { type: "int", values: curve.map((e) => e.iteration) },
    train: { type: "double", values: curve.map((e) => e.train) },
    valid: { type: "double", values: curve.map((e) => best.cv_curve[e.iteration] ?? NaN) },
  });
  await writeColumns(c, out.importance, {
    feature: { type: "string", values: imp.map((e) => e.feature) },
    gain: { type: "double", values: imp.map((e) => e.gain) },
    cover: { type: "double", values: imp.map((e) => e.cover) },
    splits: { type: "int", values: imp.map((e) => e.splits) },
  });
}

/** tune's out-of-fold rows must be this stage's validation-block rows, in the same order. */
function checkAligned(idx: number[], time: ArrayLike<number>, oofTime: ArrayLike<number>): void {
  const same = idx.length === oofTime.length && idx.every((r, k) => time[r] === oofTime[k]);
  if (!same) {
    throw new RangeError(
      `Cannot use the out-of-fold predictions of tune: they hold ${oofTime.length} rows, the folds of the training split ${idx.length}; re-run tune`,
    );
  }
}

/**
 * The explain stage's tables, shaped for the site to plot without further work: a long SHAP
 * table (beeswarm by feature, waterfall by row), importance next to gain, dependence points
 * coloured by each feature's strongest partner, and the interaction matrix. Pure: columns
 * as typed arrays, written to Parquet by the caller.
 */
import type { FeatureMatrix } from "../data/matrix.ts";
import type { Column } from "../data/write_columns.ts";
import type { FeatureImportance as GainImportance } from "../gbdt/importance.ts";
import type { ShapValues } from "./shap_values.ts";
import { globalImportance } from "./global_importance.ts";
import type { InteractionSummary } from "./interaction_summary.ts";
import type { PermutationImportance } from "./permutation.ts";

/** The explained rows and what is known about them. */
export interface ExplainedSample {
  X: FeatureMatrix;
  shap: ShapValues;
  /** The model's output per row (predict()). */
  prediction: ArrayLike<number>;
  /** Row identity: position in the source split, station, time (epoch ms). */
  rowId: ArrayLike<number>;
  station: readonly string[];
  time: ArrayLike<number>;
  /** The observed target (NaN = unknown). */
  actual: ArrayLike<number>;
}

export type Columns = Record<string, Column>;

/**
 * Long SHAP table, one row per (explained row, feature): `value_pct` is the value's
 * percentile among the explained rows (beeswarm colour), `feature_rank` the global
 * importance rank (beeswarm order), `row_rank` the rank of |SHAP| within the row, and
 * `waterfall_start` / `waterfall_end` the running sum from the base value in `row_rank`
 * order (waterfall bars).
 */
export function shapTable(s: ExplainedSample): Columns {
  const { X, shap } = s;
  const n = shap.nRows, F = shap.nFeatures, N = n * F;
  const featureRank = rankOf(globalImportance(shap).map((e) => e.index), F);
  const pct = percentiles(X);
  const rowId = new Float64Array(N), time = new Float64Array(N), station: string[] = [];
  const pred = new Float64Array(N), actual = new Float64Array(N), feature: string[] = [];
  const fIndex = new Float64Array(N), fRank = new Float64Array(N), value = new Float64Array(N);
  const vPct = new Float64Array(N), sv = new Float64Array(N), rowRank = new Float64Array(N);
  const wStart = new Float64Array(N), wEnd = new Float64Array(N);
  const order = Array.from({ length: F }, (_, j) => j);
  for (let i = 0; i < n; i++) {
    const o = i * F;
    order.sort((a, b) => Math.abs(shap.values[o + b]!) - Math.abs(shap.values[o + a]!) || a - b);
    let run = shap.expectedValue;
    order.forEach((j, r) => {
      const k = o + r;
      rowId[k] = s.rowId[i]!;
      station.push(s.station[i]!);
      time[k] = s.time[i]!;
      pred[k] = s.prediction[i]!;
      actual[k] = s.actual[i]!;
      feature.push(shap.featureNames[j]!);
      fIndex[k] = j;
      fRank[k] = featureRank[j]!;
      value[k] = X.data[o + j]!;
      vPct[k] = pct[o + j]!;
      sv[k] = shap.values[o + j]!;
      rowRank[k] = r + 1;
      wStart[k] = run;
      run += shap.values[o + j]!;
      wEnd[k] = run;
    });
  }
  return {
    row_id: { type: "int", values: rowId },
    station: { type: "string", values: station },
    time: { type: "timestamp", values: time },
    prediction: { type: "double", values: pred },
    base_value: { type: "double", values: new Float64Array(N).fill(shap.expectedValue) },
    actual: { type: "double", values: actual },
    feature: { type: "string", values: feature },
    feature_index: { type: "int", values: fIndex },
    feature_rank: { type: "int", values: fRank },
    value: { type: "double", values: value },
    value_pct: { type: "double", values: vPct },
    shap: { type: "double", values: sv },
    row_rank: { type: "int", values: rowRank },
    waterfall_start: { type: "double", values: wStart },
    waterfall_end: { type: "double", values: wEnd },
  };
}

/** How the importance of a feature was measured: the `method` column of the importance table. */
export type ImportanceMethod = "mean_abs_treeshap" | "permutation_rmse_increase";

interface ImportanceRow {
  feature: string;
  index: number;
  /** The method's figure: mean |SHAP|, or the RMSE increase when the feature is shuffled. */
  importance: number;
  std: number;
  meanAbsShap: number;
  gain: GainImportance | null;
}

/**
 * One table for every method, most important first: `importance` by the method named in
 * `method`; mean |SHAP| next to the model's gain, cover and split count (each also as a
 * share of its total, so they plot on one axis) where the model is a tree ensemble.
 */
function importanceColumns(rows: readonly ImportanceRow[], method: ImportanceMethod): Columns {
  const totalShap = rows.reduce((a, e) => a + e.meanAbsShap, 0);
  const totalGain = rows.reduce((a, e) => a + (e.gain?.gain ?? 0), 0);
  const gainRank = rankOf(
    rows.map((_, k) => k).sort((a, b) =>
      (rows[b]!.gain?.gain ?? 0) - (rows[a]!.gain?.gain ?? 0) || a - b
    ),
    rows.length,
  );
  const g = (f: (e: GainImportance) => number) => rows.map((e) => e.gain ? f(e.gain) : NaN);
  return {
    feature: { type: "string", values: rows.map((e) => e.feature) },
    feature_index: { type: "int", values: rows.map((e) => e.index) },
    rank: { type: "int", values: rows.map((_, r) => r + 1) },
    mean_abs_shap: { type: "double", values: rows.map((e) => e.meanAbsShap) },
    shap_share: {
      type: "double",
      values: rows.map((e) =>
        totalShap ? e.meanAbsShap / totalShap : Number.isNaN(totalShap) ? NaN : 0
      ),
    },
    gain: { type: "double", values: g((e) => e.gain) },
    gain_share: { type: "double", values: g((e) => totalGain ? e.gain / totalGain : 0) },
    gain_rank: { type: "int", values: rows.map((e, k) => e.gain ? gainRank[k]! : NaN) },
    cover: { type: "double", values: g((e) => e.cover) },
    splits: { type: "int", values: g((e) => e.splits) },
    importance: { type: "double", values: rows.map((e) => e.importance) },
    importance_std: { type: "double", values: rows.map((e) => e.std) },
    method: { type: "string", values: rows.map(() => method) },
  };
}

/** Global importance of a tree ensemble by mean |SHAP|, beside its gain. */
export function importanceTable(shap: ShapValues, gain: readonly GainImportance[]): Columns {
  const byName = new Map(gain.map((g) => [g.feature, g]));
  const zero = { feature: "", gain: 0, cover: 0, splits: 0 };
  return importanceColumns(
    globalImportance(shap).map((e) => ({
      feature: e.feature,
      index: e.index,
      importance: e.meanAbsShap,
      std: NaN,
      meanAbsShap: e.meanAbsShap,
      gain: byName.get(e.feature) ?? zero,
    })),
    "mean_abs_treeshap",
  );
}

/** Global importance of any model by permutation (no SHAP, no gain). */
export function permutationImportanceTable(imp: readonly PermutationImportance[]): Columns {
  return importanceColumns(
    imp.map((e) => ({
      feature: e.feature,
      index: e.index,
      importance: e.importance,
      std: e.std,
      meanAbsShap: NaN,
      gain: null,
    })),
    "permutation_rmse_increase",
  );
}

/**
 * Dependence points, one per (feature, explained row), features in importance order: the
 * feature's value and SHAP value, and the value of its strongest interacting feature
 * (from the interaction values) to colour by, with that feature's name (null: none).
 */
export function dependenceTable(s: ExplainedSample, inter: InteractionSummary): Columns {
  const { X, shap } = s;
  const n = shap.nRows, F = shap.nFeatures;
  const feature: string[] = [], partner: (string | null)[] = [];
  const fIndex: number[] = [], rowId: number[] = [], value: number[] = [], sv: number[] = [];
  const pValue: number[] = [], strength: number[] = [];
  for (const { index: j } of globalImportance(shap)) {
    const p = inter.strongest[j]!;
    const name = p >= 0 ? shap.featureNames[p]! : null;
    const st = p >= 0 ? inter.meanAbs[j * F + p]! : NaN;
    for (let i = 0; i < n; i++) {
      feature.push(shap.featureNames[j]!);
      fIndex.push(j);
      rowId.push(s.rowId[i]!);
      value.push(X.data[i * F + j]!);
      sv.push(shap.values[i * F + j]!);
      partner.push(name);
      pValue.push(p >= 0 ? X.data[i * F + p]! : NaN);
      strength.push(st);
    }
  }
  return {
    feature: { type: "string", values: feature },
    feature_index: { type: "int", values: fIndex },
    row_id: { type: "int", values: rowId },
    value: { type: "double", values: value },
    shap: { type: "double", values: sv },
    interaction_feature: { type: "string", values: partner },
    interaction_value: { type: "double", values: pValue },
    interaction_strength: { type: "double", values: strength },
  };
}

/**
 * Mean |SHAP interaction value| of every ordered feature pair (Φ_ij = Φ_ji, each half of
 * the pair's interaction, XGBoost's convention; the diagonal holds the main effects),
 * strongest first.
 */
export function interactionsTable(inter: InteractionSummary): Columns {
  const F = inter.nFeatures;
  const pairs = Array.from({ length: F * F }, (_, k) => k).sort((a, b) =>
    inter.meanAbs[b]! - inter.meanAbs[a]! || a - b
  );
  return {
    feature_a: { type: "string", values: pairs.map((k) => inter.featureNames[Math.floor(k / F)]!) },
    feature_b: { type: "string", values: pairs.map((k) => inter.featureNames[k % F]!) },
    index_a: { type: "int", values: pairs.map((k) => Math.floor(k / F)) },
    index_b: { type: "int", values: pairs.map((k) => k % F) },
    main_effect: { type: "int", values: pairs.map((k) => (Math.floor(k / F) === k % F ? 1 : 0)) },
    mean_abs_interaction: { type: "double", values: pairs.map((k) => inter.meanAbs[k]!) },
  };
}

/**
 * The SHAP, dependence and interaction tables of a model TreeSHAP cannot explain: their
 * columns, no rows, so the explain folder has one layout whatever the model.
 */
export function emptyShapTables(
  featureNames: readonly string[],
): { shap: Columns; dependence: Columns; interactions: Columns } {
  const F = featureNames.length;
  const X: FeatureMatrix = {
    data: new Float32Array(F),
    nRows: 1,
    nCols: F,
    names: [...featureNames],
  };
  const shap: ShapValues = {
    values: new Float64Array(F),
    nRows: 1,
    nFeatures: F,
    featureNames,
    expectedValue: 0,
  };
  const inter: InteractionSummary = {
    nFeatures: F,
    featureNames,
    meanAbs: new Float64Array(F * F),
    strongest: new Int32Array(F).fill(-1),
  };
  const sample = { X, shap, prediction: [0], rowId: [0], station: [""], time: [0], actual: [0] };
  const none = (cols: Columns): Columns =>
    Object.fromEntries(Object.entries(cols).map(([k, c]) => [k, { ...c, values: [] }]));
  return {
    shap: none(shapTable(sample)),
    dependence: none(dependenceTable(sample, inter)),
    interactions: none(interactionsTable(inter)),
  };
}

/** rank[index] = 1-based position of index in `order`. */
function rankOf(order: readonly number[], n: number): Int32Array {
  const rank = new Int32Array(n);
  order.forEach((j, r) => rank[j] = r + 1);
  return rank;
}

/**
 * Per cell: the value's percentile among the column's non-missing values in [0, 1], ties
 * sharing their mean rank (NaN stays NaN; a single value is 0.5).
 */
export function percentiles(X: FeatureMatrix): Float64Array {
  const { nRows: n, nCols: F, data } = X;
  const out = new Float64Array(n * F).fill(NaN);
  const idx: number[] = [];
  for (let j = 0; j < F; j++) {
    idx.length = 0;
    for (let i = 0; i < n; i++) if (!Number.isNaN(data[i * F + j]!)) idx.push(i);
    idx.sort((a, b) => data[a * F + j]! - data[b * F + j]!);
    const m = idx.length;
    for (let a = 0; a < m;) {
      let b = a;
      while (b + 1 < m && data[idx[b + 1]! * F + j] === data[idx[a]! * F + j]) b++;
      const p = m === 1 ? 0.5 : (a + b) / 2 / (m - 1);
      for (let k = a; k <= b; k++) out[idx[k]! * F + j] = p;
      a = b + 1;
    }
  }
  return out;
}

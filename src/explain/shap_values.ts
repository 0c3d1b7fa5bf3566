/**
 * SHAP values for a batch of rows or one row: the public entry point of `src/explain/`.
 */
import type { TreeEnsemble } from "../gbdt/tree.ts";
import type { FeatureMatrix } from "../data/matrix.ts";
import { TreeExplainer } from "./tree_explainer.ts";

/**
 * SHAP values of `nRows` rows: `values[i * nFeatures + j]` is feature j's contribution to
 * row i, and `expectedValue + Σ_j values[i * nFeatures + j]` is the model's prediction for
 * row i (up to float rounding; see {@link checkAdditivity}).
 */
export interface ShapValues {
  values: Float64Array;
  nRows: number;
  nFeatures: number;
  featureNames: readonly string[];
  /** The base value: E[f(X)] under the training covers, XGBoost's bias term. */
  expectedValue: number;
}

/** Rows to explain: a feature matrix, or one row in model feature order (NaN = missing). */
export type ShapInput = FeatureMatrix | Float32Array | Float64Array | readonly number[];

/** Turn a model or explainer into an explainer (a model is compiled now, once). */
export function maybeExplainer(model: TreeEnsemble | TreeExplainer): TreeExplainer {
  return model instanceof TreeExplainer ? model : new TreeExplainer(model);
}

/** Normalise {@link ShapInput} to a row-major buffer with its row count, checking widths. */
export function maybeRows(
  explainer: TreeExplainer,
  x: ShapInput,
): { data: ArrayLike<number>; nRows: number } {
  const F = explainer.nFeatures;
  if ("nCols" in x && "data" in x && !Array.isArray(x)) {
    const m = x as FeatureMatrix;
    if (m.nCols !== F) {
      throw new RangeError(
        `Cannot explain rows: the model expects ${F} features, the matrix has ${m.nCols}`,
      );
    }
    return { data: m.data, nRows: m.nRows };
  }
  const row = x as ArrayLike<number>;
  if (row.length !== F) {
    throw new RangeError(
      `Cannot explain row: the model expects ${F} features, the row has ${row.length}`,
    );
  }
  return { data: row, nRows: 1 };
}

/**
 * Exact path-dependent TreeSHAP values (XGBoost `pred_contribs` semantics).
 *
 * Pass a {@link TreeExplainer} to reuse its precomputation across calls; passing the model
 * compiles it for this call only.
 *
 * @example
 * ```ts
 * const explainer = new TreeExplainer(model); // once per model
 * const shap = shapValues(explainer, matrix);
 * const rowOne = shapValues(explainer, new Float32Array([...22 features]));
 * ```
 */
export function shapValues(
  model: TreeEnsemble | TreeExplainer,
  x: ShapInput,
): ShapValues {
  const explainer = maybeExplainer(model);
  const { data, nRows } = maybeRows(explainer, x);
  const F = explainer.nFeatures;
  const values = new Float64Array(nRows * F);
  explainer.shapRowsInto(data, 0, nRows, values, 0);
  return {
    values,
    nRows,
    nFeatures: F,
    featureNames: explainer.featureNames,
    expectedValue: explainer.expectedValue,
  };
}

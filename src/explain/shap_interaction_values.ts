/**
 * SHAP interaction values (XGBoost `pred_interactions` semantics).
 */
import type { TreeEnsemble } from "../gbdt/tree.ts";
import type { TreeExplainer } from "./tree_explainer.ts";
import { maybeExplainer, maybeRows, type ShapInput } from "./shap_values.ts";

/**
 * Per row an F × F block, row-major: `values[(r * F + i) * F + j]`. Off-diagonal entries
 * are the Shapley interaction index halved between (i, j) and (j, i); the diagonal holds
 * the main effects, so each block row i sums to feature i's SHAP value and the whole block
 * plus `expectedValue` sums to the prediction.
 */
export interface ShapInteractionValues {
  values: Float64Array;
  nRows: number;
  nFeatures: number;
  featureNames: readonly string[];
  expectedValue: number;
}

/**
 * Exact path-dependent SHAP interaction values. Costs about d/2 times the SHAP values per
 * row (d = distinct features on a path);.
 */
export function shapInteractionValues(
  model: TreeEnsemble | TreeExplainer,
  x: ShapInput,
): ShapInteractionValues {
  const explainer = maybeExplainer(model);
  const { data, nRows } = maybeRows(explainer, x);
  const F = explainer.nFeatures;
  const values = new Float64Array(nRows * F * F);
  for (let i = 0; i < nRows; i++) explainer.interactionRowInto(data, i * F, values, i * F * F);
  return {
    values,
    nRows,
    nFeatures: F,
    featureNames: explainer.featureNames,
    expectedValue: explainer.expectedValue,
  };
}

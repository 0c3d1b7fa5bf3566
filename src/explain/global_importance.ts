import type { ShapValues } from "./shap_values.ts";

export interface FeatureImportance {
  feature: string;
  /** Position in model feature order. */
  index: number;
  /** Mean of |SHAP| over the rows, in the model's output unit. */
  meanAbsShap: number;
}

/**
 * Global importance as mean |SHAP| per feature, most important first (ties keep model
 * order). Throws on zero rows: an importance of nothing is not zero.
 */
export function globalImportance(shap: ShapValues): FeatureImportance[] {
  const { values, nRows, nFeatures: F, featureNames } = shap;
  if (nRows === 0) {
    throw new RangeError("Cannot compute global importance: expected at least one row, got 0");
  }
  const sum = new Float64Array(F);
  for (let i = 0, k = 0; i < nRows; i++) {
    for (let j = 0; j < F; j++, k++) sum[j] = sum[j]! + Math.abs(values[k]!);
  }
  return Array.from(sum, (s, j) => ({
    feature: featureNames[j] ?? `f${j}`,
    index: j,
    meanAbsShap: s / nRows,
  })).sort((a, b) => b.meanAbsShap - a.meanAbsShap || a.index - b.index);
}

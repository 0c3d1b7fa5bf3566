import type { ShapInteractionValues } from "./shap_interaction_values.ts";

/** Result of {@link interactionSummary}. */
export interface InteractionSummary {
  nFeatures: number;
  featureNames: readonly string[];
  /** F × F, row-major: mean over rows of |Φ_ij| (the diagonal: mean |main effect|). */
  meanAbs: Float64Array;
  /**
   * Per feature: the other feature with the largest mean |Φ_ij| (ties: lower index), the
   * one a dependence plot colours by; -1 when the feature interacts with nothing.
   */
  strongest: Int32Array;
}

/**
 * Mean absolute SHAP interaction values per feature pair, and each feature's strongest
 * partner. Throws on zero rows: there is nothing to average.
 */
export function interactionSummary(iv: ShapInteractionValues): InteractionSummary {
  const { values, nRows, nFeatures: F, featureNames } = iv;
  if (nRows === 0) {
    throw new RangeError("Cannot summarise interactions: expected at least one row, got 0");
  }
  const meanAbs = new Float64Array(F * F);
  for (let r = 0; r < nRows; r++) {
    const o = r * F * F;
    for (let k = 0; k < F * F; k++) meanAbs[k] = meanAbs[k]! + Math.abs(values[o + k]!);
  }
  for (let k = 0; k < F * F; k++) meanAbs[k] = meanAbs[k]! / nRows;
  const strongest = new Int32Array(F).fill(-1);
  for (let i = 0; i < F; i++) {
    let best = 0;
    for (let j = 0; j < F; j++) {
      const v = meanAbs[i * F + j]!;
      if (j !== i && v > best) {
        best = v;
        strongest[i] = j;
      }
    }
  }
  return { nFeatures: F, featureNames, meanAbs, strongest };
}

import type { Tree, TreeEnsemble } from "./tree.ts";
import type { FeatureMatrix } from "../data/matrix.ts";

/** Index of the leaf that row `x` (offset `o` into a row-major buffer) reaches in `tree`. */
export function leafIndex(tree: Tree, x: ArrayLike<number>, o = 0): number {
  const { feature, threshold, left, right, defaultLeft } = tree;
  let n = 0;
  while (feature[n]! >= 0) {
    const v = x[o + feature[n]!]!;
    n = v !== v // NaN: the learned default branch
      ? (defaultLeft[n] ? left[n]! : right[n]!)
      : (v < threshold[n]! ? left[n]! : right[n]!);
  }
  return n;
}

/** Prediction for one row given as an array in model feature order. */
export function predictRow(model: TreeEnsemble, x: ArrayLike<number>, o = 0): number {
  let s = model.baseScore;
  for (const t of model.trees) s += t.value[leafIndex(t, x, o)]!;
  return s;
}

/** Predictions for every row of a matrix. */
export function predict(model: TreeEnsemble, m: FeatureMatrix): Float64Array {
  if (m.nCols !== model.featureNames.length) {
    throw new RangeError(
      `Cannot predict: the model expects ${model.featureNames.length} features, the matrix has ${m.nCols}`,
    );
  }
  const out = new Float64Array(m.nRows).fill(model.baseScore);
  for (const t of model.trees) {
    for (let i = 0, o = 0; i < m.nRows; i++, o += m.nCols) {
      out[i]! += t.value[leafIndex(t, m.data, o)]!;
    }
  }
  return out;
}

/** Feature importance of a tree ensemble: total gain, total cover and split count per feature. */
import type { TreeEnsemble } from "./tree.ts";

export interface FeatureImportance {
  feature: string;
  /** Sum of the split gains (XGBoost's "total_gain"). */
  gain: number;
  /** Sum of the hessian cover of the nodes split on the feature ("total_cover"). */
  cover: number;
  /** Number of splits on the feature ("weight"). */
  splits: number;
}

/** One entry per model feature, in model order (features never split have zeros). */
export function featureImportance(model: TreeEnsemble): FeatureImportance[] {
  const out = model.featureNames.map((feature) => ({ feature, gain: 0, cover: 0, splits: 0 }));
  for (const t of model.trees) {
    for (let n = 0; n < t.feature.length; n++) {
      const f = t.feature[n]!;
      if (f < 0) continue;
      const e = out[f];
      if (!e) {
        throw new RangeError(
          `Cannot compute importance: a node splits on feature ${f}, the model has ${out.length} features`,
        );
      }
      e.gain += t.gain[n]!;
      e.cover += t.cover[n]!;
      e.splits++;
    }
  }
  return out;
}

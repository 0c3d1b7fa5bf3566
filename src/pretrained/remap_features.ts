/**
 * A tree ensemble that reads some schema features, in its own order, rewritten to read the
 * full schema: each split's feature index becomes the schema index of the same name. The
 * decisions are unchanged; the model then scores, explains and serves like our own.
 */
import type { TreeEnsemble } from "../gbdt/tree.ts";

export function remapFeatures(
  model: TreeEnsemble,
  columns: readonly number[],
  schemaNames: readonly string[],
): TreeEnsemble {
  if (columns.length !== model.featureNames.length) {
    throw new RangeError(
      `Cannot remap features: ${columns.length} columns for a model of ${model.featureNames.length} features`,
    );
  }
  return {
    ...model,
    featureNames: [...schemaNames],
    trees: model.trees.map((t) => ({
      ...t,
      feature: Int32Array.from(t.feature, (f) => (f < 0 ? f : columns[f]!)),
    })),
  };
}

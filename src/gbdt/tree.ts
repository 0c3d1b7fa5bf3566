import type { AddBack } from "./add_back.ts";

/**
 * The tree-ensemble structure shared by the learner, the ONNX exporter and importers,
 * TreeSHAP, the endpoint and the browser. Plain typed arrays so it moves between
 * workers, serialises to JSON and needs no Deno or Node API.
 *
 * Branch rule (XGBoost's and ONNX BRANCH_LT): go left when `x < threshold`; a missing
 * value (NaN) goes left when `defaultLeft[n] === 1`, else right. Thresholds and leaf
 * values are float32-representable so every runtime takes the same branch and sums the
 * same numbers.
 */
export interface Tree {
  /** Split feature per node; -1 marks a leaf. */
  feature: Int32Array;
  /** Split threshold per node (float32-exact); unused (0) at leaves. */
  threshold: Float32Array;
  /** Left child index per node; -1 at leaves. */
  left: Int32Array;
  /** Right child index per node; -1 at leaves. */
  right: Int32Array;
  /** 1 when a missing value follows the left branch. */
  defaultLeft: Uint8Array;
  /** Leaf output (learning rate already applied); 0 at internal nodes. */
  value: Float32Array;
  /** Sum of hessians (row count for squared error) that reached the node: TreeSHAP needs it. */
  cover: Float64Array;
  /** Loss reduction of the split at internal nodes; 0 at leaves. */
  gain: Float64Array;
}

export interface TreeEnsemble {
  /** Prediction before any tree: the training mean for squared error. */
  baseScore: number;
  trees: Tree[];
  featureNames: string[];
  /** Trained on a change target: the current value added to the trees' sum (add_back.ts). */
  addBack?: AddBack;
}

import type { ImportanceMethod } from "./report_tables.ts";

/** summary.json: the headline figures of the explanation run. */
export interface ExplainSummary {
  /** The file explained: the candidate's model.json (TreeSHAP) or model.onnx (permutation). */
  model: string;
  /** TreeSHAP for a tree ensemble; permutation importance for any other model. */
  method: ImportanceMethod;
  /** Trees of the ensemble; null for a model explained by permutation. */
  trees: number | null;
  test_split: string;
  test_rows: number;
  rows_explained: number;
  interaction_rows: number;
  /** E[f(X)] under the training covers; null without TreeSHAP. */
  base_value: number | null;
  /** Null without TreeSHAP. */
  additivity: {
    max_abs_error: number;
    max_rel_error: number;
    worst_row_id: number;
    tolerance: number;
    /** Interaction blocks: max |Σ_j Φ_ij - φ_i| over rows and features. */
    interaction_max_abs_error: number;
  } | null;
  /** Shuffles per feature; null with TreeSHAP. */
  permutation_repeats: number | null;
  threads: number;
  /** Wall time of the SHAP and interaction values, or of the permutations (model compile included). */
  seconds: number;
  rows_per_s: number;
  /** Wall time of the whole stage (loading, checks and writing included). */
  stage_seconds: number;
  top_features: {
    feature: string;
    /** By `method`: mean |SHAP|, or the RMSE increase when shuffled. */
    importance: number;
    mean_abs_shap: number | null;
    interacts_most_with: string | null;
  }[];
}

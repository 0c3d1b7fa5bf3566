/** summary.json: the headline figures of the explanation run. */
export interface ExplainSummary {
  model: string;
  trees: number;
  test_split: string;
  test_rows: number;
  rows_explained: number;
  interaction_rows: number;
  base_value: number;
  additivity: {
    max_abs_error: number;
    max_rel_error: number;
    worst_row_id: number;
    tolerance: number;
    /** Interaction blocks: max |Σ_j Φ_ij - φ_i| over rows and features. */
    interaction_max_abs_error: number;
  };
  threads: number;
  /** Wall time of the SHAP and interaction values (model compile included). */
  seconds: number;
  rows_per_s: number;
  /** Wall time of the whole stage (loading, checks and writing included). */
  stage_seconds: number;
  top_features: { feature: string; mean_abs_shap: number; interacts_most_with: string | null }[];
}

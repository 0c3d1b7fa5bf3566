import type { RegressionMetrics } from "./regression.ts";
import type { IntervalCoverage } from "./conformal.ts";

/** summary.json: the headline figures of the test period. */
export interface EvaluationSummary {
  rows: number;
  test_split: string;
  candidates: Record<string, {
    test: RegressionMetrics;
    interval:
      | (IntervalCoverage & {
        nominal: number;
        /** Pooled half-width; the Mondrian interval's width depends on the predicted band. */
        half_width: number;
        /** Coverage per PM2.5 band of the truth and of the prediction ("0-35", ...). */
        by_true_band?: Record<string, IntervalCoverage>;
        by_predicted_band?: Record<string, IntervalCoverage>;
      })
      | null;
  }>;
  /** Lowest test RMSE. */
  best: string;
  /** GBDT scored by onnxruntime (reported figures) against our float64 predict(). */
  onnx_parity: { max_abs_diff: number; max_rel_diff: number; tolerance: number };
  /** Residuals are prediction - truth (positive = over-forecast). */
  residual: "prediction - truth";
}

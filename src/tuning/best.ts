import type { TunedParams } from "./search_space.ts";
import type { FoldResult } from "./cross_validate.ts";
import type { TargetForm } from "./target.ts";

/** best.json: every choice the final fit (`train`) takes from cross-validation. */
export interface TuneBest {
  /** False: only the untuned default was cross-validated (tune.enabled). */
  enabled: boolean;
  sampler: string | null;
  /** Learner parameters (GbdtParams names) of the chosen configuration. */
  params: TunedParams;
  /** The target form chosen, and those compared (features.target). */
  target: TargetForm;
  forms: TargetForm[];
  /** Tree count of the final fit: the mean of the folds' early-stopped counts. */
  trees: number;
  trial_id: number;
  /** Mean fold RMSE of the chosen configuration (= cv.mean; the name the Runs page reads). */
  valid_rmse: number;
  cv: { mean: number; sd: number; folds: FoldResult[] };
  /** Mean validation RMSE per boosting round over the folds (those that grew the round). */
  cv_curve: number[];
  /** The untuned default at the rung the choice was made on (null if the clock stopped it). */
  default: { trial_id: number; target: TargetForm; cv_rmse: number; row_share: number } | null;
  /** Share of each fold's fitted rows per rung. */
  budgets: number[];
  trials: number;
  /** Work in trees grown on every training row (the budget counted in tree-rounds). */
  tree_rounds: number;
  /** True when tune.budget_seconds ended the search early. */
  stopped: boolean;
  stopped_by: "budget_seconds" | null;
  seconds: number;
}

import type { TunedParams } from "./search_space.ts";

/** best.json: what `train` merges over its own parameters. */
export interface TuneBest {
  enabled: boolean;
  /** Learner parameters (GbdtParams names) of the best trial, or the train defaults. */
  params: TunedParams;
  trial_id: number | null;
  /** Trees of the best trial at its best validation round. */
  trees: number | null;
  valid_rmse: number | null;
  budgets: number[];
  trials: number;
  /** True when budget_seconds ended the search early. */
  stopped: boolean;
  seconds: number;
}

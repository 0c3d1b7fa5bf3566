/**
 * Retraining policy: retrain when any trigger fires. The thresholds' single source is the
 * project's `params.yaml` (`drift.retrain_drift_share`, `drift.retrain_rmse_degradation_pct`,
 * `drift.retrain_max_model_age_days`); `DEFAULT_RETRAIN_POLICY` holds the defaults the params
 * loader falls back to, and governance/RETRAINING_PLAN.md states the same numbers in words
 * (a test checks they agree).
 * @module
 */

/** Thresholds of the retraining triggers. */
export interface RetrainPolicy {
  /** Retrain when the share of drifted features is at least this (0-1). */
  driftShare: number;
  /** Retrain when RMSE on fresh labelled data is worse than at release by at least this %. */
  rmseDegradationPct: number;
  /** Retrain when the model is at least this old (days). */
  maxModelAgeDays: number;
}

/** Defaults (params.yaml `drift.retrain_*`). */
export const DEFAULT_RETRAIN_POLICY: Readonly<RetrainPolicy> = Object.freeze({
  driftShare: 0.5,
  rmseDegradationPct: 10,
  maxModelAgeDays: 180,
});

/** What the monitoring knows now; null means "not measured" (the trigger cannot fire). */
export interface RetrainInputs {
  /** Share of drifted features (DriftReport.driftShare), 0-1. */
  datasetDrift: number | null;
  /** (RMSE now / RMSE at release - 1) × 100, on fresh labelled data. */
  rmseDegradation: number | null;
  /** Days since the model was trained. */
  modelAgeDays: number | null;
}

/** One trigger's evaluation. */
export interface RetrainTrigger {
  name: "data_drift" | "rmse_degradation" | "model_age";
  fired: boolean;
  value: number | null;
  threshold: number;
  reason: string;
}

/** The decision and every trigger, fired or not. */
export interface RetrainDecision {
  retrain: boolean;
  triggers: RetrainTrigger[];
}

function checkPolicy(p: RetrainPolicy): void {
  if (!(p.driftShare > 0 && p.driftShare <= 1)) {
    throw new RangeError(
      `Cannot use retrain policy: expected driftShare in (0, 1], got ${p.driftShare}`,
    );
  }
  if (!(p.rmseDegradationPct > 0)) {
    throw new RangeError(
      `Cannot use retrain policy: expected rmseDegradationPct > 0, got ${p.rmseDegradationPct}`,
    );
  }
  if (!(p.maxModelAgeDays > 0)) {
    throw new RangeError(
      `Cannot use retrain policy: expected maxModelAgeDays > 0, got ${p.maxModelAgeDays}`,
    );
  }
}

function trigger(
  name: RetrainTrigger["name"],
  value: number | null,
  threshold: number,
  label: string,
  unit: string,
): RetrainTrigger {
  if (value === null || !Number.isFinite(value)) {
    return { name, fired: false, value: null, threshold, reason: `${label} not measured` };
  }
  const fired = value >= threshold;
  return {
    name,
    fired,
    value,
    threshold,
    reason: `${label} ${value}${unit} ${fired ? ">=" : "<"} threshold ${threshold}${unit}`,
  };
}

/** Evaluate the triggers; retrain when at least one fires. */
export function evaluateRetraining(
  inputs: RetrainInputs,
  policy: RetrainPolicy = DEFAULT_RETRAIN_POLICY,
): RetrainDecision {
  checkPolicy(policy);
  const triggers = [
    trigger("data_drift", inputs.datasetDrift, policy.driftShare, "drifted feature share", ""),
    trigger(
      "rmse_degradation",
      inputs.rmseDegradation,
      policy.rmseDegradationPct,
      "RMSE degradation",
      "%",
    ),
    trigger("model_age", inputs.modelAgeDays, policy.maxModelAgeDays, "model age", " days"),
  ];
  return { retrain: triggers.some((t) => t.fired), triggers };
}

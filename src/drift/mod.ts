/**
 * Drift detection: two-sample tests matching scipy, Evidently-style test selection, drift
 * reports (whole-year and seasonal), a monthly timeline and the retraining policy.
 * @module
 */

export { chi2Sf, gammaP, gammaQ, logGamma, normalSf } from "./special.ts";
export { kstwoCdf, kstwoSf, smirnovSf } from "./kstwo.ts";
export {
  ks2samp,
  ks2sampSorted,
  KS_MAX_AUTO_N,
  ksAsymptoticPValue,
  type KsMethod,
  type KsOptions,
  type KsResult,
  ksStatisticSorted,
  sortedCopy,
} from "./ks.ts";
export {
  populationStd,
  wassersteinDistance,
  wassersteinNormalizedSorted,
  wassersteinSorted,
} from "./wasserstein.ts";
export { radixSortFloat32, sortedNonMissing } from "./sort.ts";
export { psi, type PsiOptions, type PsiResult, psiSorted } from "./psi.ts";
export {
  type CategoryCounts,
  chi2Contingency,
  type Chi2Result,
  countCategories,
  jensenShannonDistance,
  proportionsZTest,
} from "./categorical.ts";
export {
  DEFAULT_SELECT_OPTIONS,
  type DriftTest,
  type FeatureKind,
  type SelectedTest,
  type SelectOptions,
  selectTest,
} from "./select.ts";
export {
  type Column,
  type Columns,
  type DriftReport,
  driftReport,
  type DriftReportOptions,
  type ExtraColumn,
  type FeatureDrift,
  type NumericScores,
} from "./report.ts";
export {
  type SeasonalDriftReport,
  seasonalDriftReport,
  seasonalIndices,
  type SeasonalReportOptions,
  type SeasonKey,
  seasonOf,
  selectRows,
} from "./seasonal.ts";
export {
  driftTimeline,
  type TimelineMonth,
  type TimelineOptions,
  type TimelineRow,
} from "./timeline.ts";
export {
  DEFAULT_RETRAIN_POLICY,
  evaluateRetraining,
  type RetrainDecision,
  type RetrainInputs,
  type RetrainPolicy,
  type RetrainTrigger,
} from "./retrain_policy.ts";

/**
 * Drift detection. The verdict everything shows (the drift stage's report and timeline,
 * the endpoint's `/v1/drift`, the retraining trigger, the site) is {@link driftVerdict}:
 * month by month against the training rows of the same calendar month, each statistic
 * judged against the noise of the training months themselves. Below it: the two-sample
 * statistics, matching scipy, and the textbook preset rule (Evidently's defaults,
 * `driftReport`), kept for comparison.
 * @module
 */

export {
  type CheckSummary,
  type CheckVerdict,
  type DatasetCounts,
  type DriftVerdict,
  driftVerdict,
  type FeatureVerdict,
  type FeatureWindowVerdict,
  type RuleDescription,
  type VerdictOptions,
  type VerdictState,
  type WindowVerdict,
} from "./verdict.ts";
export { type IndexOptions, indexReference, type ReferenceIndex } from "./reference_index.ts";
export { type DriftSample, type SkipRole } from "./sample.ts";
export { driftRoles, STATION_FEATURE } from "./feature_roles.ts";
export { sampleOfMatrix } from "./matrix_sample.ts";
export { sampleOfReference, sampleOfRows, type ScoredRow } from "./endpoint_sample.ts";
export { type CheckName, type StatisticName } from "./checks.ts";
export { type CheckState } from "./noise.ts";
export { distributionColumns, timelineColumns } from "./tables.ts";

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
export { seasonalIndices, type SeasonKey, seasonOf, selectRows } from "./seasonal.ts";
export {
  DEFAULT_RETRAIN_POLICY,
  evaluateRetraining,
  type RetrainDecision,
  type RetrainInputs,
  type RetrainPolicy,
  type RetrainTrigger,
} from "./retrain_policy.ts";

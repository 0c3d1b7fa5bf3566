/**
 * Default drift test per column, following Evidently's `_get_default_stattest`
 * (evidently/calculations/stattests/registry.py):
 *
 * - reference ≤ 1000 rows ("small"):
 *   - numeric with > 5 distinct values (reference ∪ current): KS, drift when p < 0.05;
 *   - numeric with ≤ 5 distinct values, or categorical: chi-square when > 2 distinct
 *     values, two-proportion z-test when ≤ 2; drift when p < 0.05.
 * - reference > 1000 rows ("large"):
 *   - numeric with > 5 distinct values: Wasserstein distance normed by the reference's
 *     std (floor 0.001), drift when ≥ 0.1;
 *   - numeric with ≤ 5 distinct values, or categorical: Jensen-Shannon distance (base 2),
 *     drift when ≥ 0.1.
 *
 * One deliberate difference: Evidently's "chisquare" is a goodness-of-fit of the current
 * counts against the reference shares; ours is the homogeneity test on the 2 × k table
 * (scipy `chi2_contingency`, no correction), which treats both samples as samples.
 * @module
 */

/** How a column is treated. */
export type FeatureKind = "numeric" | "categorical";

/** The tests the drift report can run. */
export type DriftTest = "ks" | "wasserstein" | "chisquare" | "z" | "jensenshannon";

/** Thresholds and cut-offs of the default test selection (all with Evidently's defaults). */
export interface SelectOptions {
  /** Largest reference size treated as "small" (default 1000). */
  smallReferenceMax?: number;
  /** Numeric columns with at most this many distinct values are tested as categories (5). */
  lowCardinalityMax?: number;
  /** p-value below which a p-value test says drift (default 0.05). */
  pValueThreshold?: number;
  /** Distance at or above which a distance test says drift (default 0.1). */
  distanceThreshold?: number;
  /** Force one test for every column instead of the defaults. */
  test?: DriftTest;
}

/** The selected test, its threshold and how to read it. */
export interface SelectedTest {
  test: DriftTest;
  threshold: number;
  /** "p_value": drift when score < threshold; "distance": drift when score ≥ threshold. */
  scoreKind: "p_value" | "distance";
  /** Whether the column is tested through its category counts. */
  asCategories: boolean;
}

/** Evidently's defaults, exported so reports can state them. */
export const DEFAULT_SELECT_OPTIONS: Required<Omit<SelectOptions, "test">> = {
  smallReferenceMax: 1000,
  lowCardinalityMax: 5,
  pValueThreshold: 0.05,
  distanceThreshold: 0.1,
};

const P_VALUE_TESTS = new Set<DriftTest>(["ks", "chisquare", "z"]);

/** Pick the test for one column from its kind, reference size and distinct-value count. */
export function selectTest(
  kind: FeatureKind,
  nReference: number,
  nDistinct: number,
  options: SelectOptions = {},
): SelectedTest {
  const o = { ...DEFAULT_SELECT_OPTIONS, ...options };
  const lowCard = kind === "categorical" || nDistinct <= o.lowCardinalityMax;
  let test: DriftTest;
  if (options.test !== undefined) test = options.test;
  else if (nReference <= o.smallReferenceMax) {
    test = lowCard ? (nDistinct > 2 ? "chisquare" : "z") : "ks";
  } else test = lowCard ? "jensenshannon" : "wasserstein";
  if (kind === "categorical" && (test === "ks" || test === "wasserstein")) {
    throw new TypeError(
      `Cannot use test "${test}" on a categorical column: expected a numeric column`,
    );
  }
  const isP = P_VALUE_TESTS.has(test);
  return {
    test,
    threshold: isP ? o.pValueThreshold : o.distanceThreshold,
    scoreKind: isP ? "p_value" : "distance",
    asCategories: test === "chisquare" || test === "z" || test === "jensenshannon",
  };
}

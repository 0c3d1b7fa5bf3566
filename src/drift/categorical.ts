/**
 * Tests for categorical columns: chi-square test of homogeneity on a 2 × k table of counts
 * (scipy `chi2_contingency(..., correction=False)`), the base-2 Jensen-Shannon distance of
 * the two frequency vectors (scipy `jensenshannon(p, q, base=2)`), and the two-proportion
 * z-test Evidently uses for binary columns.
 * @module
 */

import { chi2Sf, normalSf } from "./special.ts";

/** Result of the chi-square test of homogeneity. */
export interface Chi2Result {
  statistic: number;
  pValue: number;
  dof: number;
}

/**
 * Chi-square test of homogeneity of two count vectors over the same categories, without
 * continuity correction. Categories absent from both samples are dropped first (scipy
 * would refuse a zero expected frequency); with fewer than two categories left the test
 * has 0 degrees of freedom and returns statistic 0, p-value 1, as scipy does.
 */
export function chi2Contingency(
  referenceCounts: ArrayLike<number>,
  currentCounts: ArrayLike<number>,
): Chi2Result {
  if (referenceCounts.length !== currentCounts.length) {
    throw new RangeError(
      `Cannot run chi2Contingency: expected count vectors of equal length, got ${referenceCounts.length} and ${currentCounts.length}`,
    );
  }
  const r: number[] = [];
  const c: number[] = [];
  for (let i = 0; i < referenceCounts.length; i++) {
    const a = referenceCounts[i]!;
    const b = currentCounts[i]!;
    if (!(a >= 0 && b >= 0)) {
      throw new RangeError(`Cannot run chi2Contingency: expected counts >= 0, got ${a} and ${b}`);
    }
    if (a + b > 0) {
      r.push(a);
      c.push(b);
    }
  }
  const rSum = r.reduce((s, x) => s + x, 0);
  const cSum = c.reduce((s, x) => s + x, 0);
  if (rSum === 0 || cSum === 0) {
    throw new RangeError(
      `Cannot run chi2Contingency: expected both samples non-empty, got totals ${rSum} and ${cSum}`,
    );
  }
  const dof = r.length - 1;
  if (dof === 0) return { statistic: 0, pValue: 1, dof: 0 };
  const total = rSum + cSum;
  let stat = 0;
  for (let i = 0; i < r.length; i++) {
    const col = r[i]! + c[i]!;
    const er = (rSum * col) / total;
    const ec = (cSum * col) / total;
    stat += (r[i]! - er) ** 2 / er + (c[i]! - ec) ** 2 / ec;
  }
  return { statistic: stat, pValue: chi2Sf(stat, dof), dof };
}

/**
 * Jensen-Shannon distance between two frequency (or count) vectors, each normalised to
 * sum 1: sqrt((KL(p‖m) + KL(q‖m)) / 2 / ln(base)), m = (p + q) / 2. 0 ≤ d ≤ 1 for base 2.
 */
export function jensenShannonDistance(
  p: ArrayLike<number>,
  q: ArrayLike<number>,
  base = 2,
): number {
  if (p.length !== q.length) {
    throw new RangeError(
      `Cannot compute the Jensen-Shannon distance: expected vectors of equal length, got ${p.length} and ${q.length}`,
    );
  }
  let ps = 0;
  let qs = 0;
  for (let i = 0; i < p.length; i++) {
    ps += p[i]!;
    qs += q[i]!;
  }
  if (!(ps > 0 && qs > 0)) {
    throw new RangeError(
      `Cannot compute the Jensen-Shannon distance: expected positive totals, got ${ps} and ${qs}`,
    );
  }
  let left = 0;
  let right = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = p[i]! / ps;
    const qi = q[i]! / qs;
    const m = (pi + qi) / 2;
    if (pi > 0) left += pi * Math.log(pi / m);
    if (qi > 0) right += qi * Math.log(qi / m);
  }
  const js = (left + right) / Math.log(base);
  return Math.sqrt(Math.max(js, 0) / 2);
}

/**
 * Two-sided two-proportion z-test for a binary column (Evidently's `z` test): compares the
 * share of `category` in both samples with the pooled share. When both samples hold the
 * same single value, the p-value is 1 (Evidently's convention).
 */
export function proportionsZTest(
  referenceHits: number,
  referenceTotal: number,
  currentHits: number,
  currentTotal: number,
): { statistic: number; pValue: number } {
  if (!(referenceTotal > 0 && currentTotal > 0)) {
    throw new RangeError(
      `Cannot run proportionsZTest: expected non-empty samples, got ${referenceTotal} and ${currentTotal}`,
    );
  }
  const p1 = referenceHits / referenceTotal;
  const p2 = currentHits / currentTotal;
  const P = (referenceHits + currentHits) / (referenceTotal + currentTotal);
  const se = Math.sqrt(P * (1 - P) * (1 / referenceTotal + 1 / currentTotal));
  if (se === 0) return { statistic: 0, pValue: 1 };
  const z = (p1 - p2) / se;
  return { statistic: z, pValue: 2 * normalSf(Math.abs(z)) };
}

/** Category counts of two string columns over the union of their categories. */
export interface CategoryCounts {
  /** Categories, reference's first (in order of first appearance), then unseen ones. */
  categories: string[];
  referenceCounts: number[];
  currentCounts: number[];
  /** Categories present in current but never in reference. */
  unseen: string[];
  referenceMissing: number;
  currentMissing: number;
}

/** Count categories of a reference and a current column; null and "" are missing. */
export function countCategories(
  reference: ArrayLike<string | null>,
  current: ArrayLike<string | null>,
): CategoryCounts {
  const index = new Map<string, number>();
  const refCounts: number[] = [];
  const curCounts: number[] = [];
  // Categories are numbered in order of first appearance, reference first; a category
  // new in the current sample gets a zero reference count.
  const tally = (values: ArrayLike<string | null | undefined>, counts: number[]): number => {
    let missing = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v === null || v === undefined || v === "") {
        missing++;
        continue;
      }
      let k = index.get(v);
      if (k === undefined) {
        k = refCounts.length;
        index.set(v, k);
        refCounts.push(0);
        curCounts.push(0);
      }
      counts[k]!++;
    }
    return missing;
  };
  const refMissing = tally(reference, refCounts);
  const nSeen = refCounts.length;
  const curMissing = tally(current, curCounts);
  const categories = [...index.keys()];
  return {
    categories,
    referenceCounts: refCounts,
    currentCounts: curCounts,
    unseen: categories.slice(nSeen),
    referenceMissing: refMissing,
    currentMissing: curMissing,
  };
}

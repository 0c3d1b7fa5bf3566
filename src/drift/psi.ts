/**
 * Population Stability Index with quantile bins taken from the reference.
 *
 * PSI = Σ_bins (c_i - r_i) · ln(c_i / r_i), over the shares r (reference) and c (current).
 *
 * - Bins: edges at the reference's k/bins quantiles (numpy's default linear interpolation),
 *   k = 1..bins-1; duplicate edges (heavy ties) are merged, so a column with few distinct
 *   values gets fewer bins. Bins are (-∞, e1], (e1, e2], ..., (e_last, +∞).
 * - Missing values (NaN) are a bin of their own; shares are over all rows, missing included.
 * - Empty bins: each share is floored at `epsilon` (default 1e-4) before the sum, so an
 *   empty bin contributes a large but finite term instead of infinity.
 * Usual reading: < 0.1 stable, 0.1-0.25 moderate shift, > 0.25 major shift.
 * @module
 */

import { sortedCopy } from "./ks.ts";

/** Options of {@link psi}. */
export interface PsiOptions {
  /** Number of quantile bins of the reference (default 10). */
  bins?: number;
  /** Floor applied to every bin share before the log (default 1e-4). */
  epsilon?: number;
}

/** PSI value with the bins it used. */
export interface PsiResult {
  psi: number;
  /** Inner bin edges (ascending, unique). */
  edges: number[];
  /** Reference shares per bin, then the missing bin last. */
  referenceShares: number[];
  /** Current shares per bin, then the missing bin last. */
  currentShares: number[];
}

/** PSI on raw samples; NaN counts as missing. */
export function psi(
  reference: ArrayLike<number>,
  current: ArrayLike<number>,
  options: PsiOptions = {},
): PsiResult {
  const [ref, refMissing] = dropNaN(reference);
  const [cur, curMissing] = dropNaN(current);
  return psiSorted(sortedCopy(ref), sortedCopy(cur), {
    ...options,
    referenceMissing: refMissing,
    currentMissing: curMissing,
  });
}

/** Options of {@link psiSorted}: the counts of missing values removed before sorting. */
export interface PsiSortedOptions extends PsiOptions {
  referenceMissing?: number;
  currentMissing?: number;
}

/** PSI on samples sorted ascending without NaN (reuses the sort done for KS/Wasserstein). */
export function psiSorted(
  reference: ArrayLike<number>,
  current: ArrayLike<number>,
  options: PsiSortedOptions = {},
): PsiResult {
  const bins = options.bins ?? 10;
  const epsilon = options.epsilon ?? 1e-4;
  if (!Number.isInteger(bins) || bins < 1) {
    throw new RangeError(`Cannot compute PSI: expected bins a positive integer, got ${bins}`);
  }
  const refMissing = options.referenceMissing ?? 0;
  const curMissing = options.currentMissing ?? 0;
  const refTotal = reference.length + refMissing;
  const curTotal = current.length + curMissing;
  if (reference.length === 0 || curTotal === 0) {
    throw new RangeError(
      `Cannot compute PSI: expected non-missing reference values and a non-empty current sample, got ${reference.length} and ${curTotal}`,
    );
  }
  const edges: number[] = [];
  for (let k = 1; k < bins; k++) {
    const e = quantileSorted(reference, k / bins);
    if (edges.length === 0 || e > edges[edges.length - 1]!) edges.push(e);
  }
  const refShares = binShares(reference, edges, refMissing, refTotal);
  const curShares = binShares(current, edges, curMissing, curTotal);
  let value = 0;
  for (let i = 0; i < refShares.length; i++) {
    const r = Math.max(refShares[i]!, epsilon);
    const c = Math.max(curShares[i]!, epsilon);
    value += (c - r) * Math.log(c / r);
  }
  return { psi: value, edges, referenceShares: refShares, currentShares: curShares };
}

/** numpy's default (linear) quantile of a sorted sample. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  const frac = pos - lo;
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * frac;
}

/** Number of sorted values <= x (binary search). */
export function countAtMost(sorted: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function binShares(
  sorted: ArrayLike<number>,
  edges: number[],
  missing: number,
  total: number,
): number[] {
  const shares: number[] = [];
  let prev = 0;
  for (const e of edges) {
    const c = countAtMost(sorted, e);
    shares.push((c - prev) / total);
    prev = c;
  }
  shares.push((sorted.length - prev) / total);
  shares.push(missing / total);
  return shares;
}

function dropNaN(values: ArrayLike<number>): [Float64Array, number] {
  const out = new Float64Array(values.length);
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isNaN(v)) out[n++] = v;
  }
  return [out.subarray(0, n), values.length - n];
}

/**
 * Two-sample Kolmogorov-Smirnov test, two-sided, as scipy 1.10's `ks_2samp` computes it.
 *
 * - method "auto" (scipy's default): exact when max(n1, n2) <= 10000, asymptotic otherwise.
 * - exact: n1 == n2 uses the closed alternating sum for paths leaving the square band;
 *   otherwise Hodges' lattice-path "inside" count, in the 1 - p form of Viehmann (2021,
 *   arXiv:2102.08037). As in scipy the statistic becomes h / lcm(n1, n2), and if the
 *   exact probability is not in [0, 1] the asymptotic value is used instead.
 * - asymptotic: the one-sample Kolmogorov distribution `kstwo.sf(d, round(n1·n2/(n1+n2)))`
 *   (rounded half to even, like numpy). For n1 = n2 = 1 that n is 0 and scipy returns NaN;
 *   so do we.
 * @module
 */

import { kstwoSf } from "./kstwo.ts";

/** Largest sample size for which "auto" computes the exact p-value (scipy MAX_AUTO_N). */
export const KS_MAX_AUTO_N = 10000;

/** How the KS p-value is computed. */
export type KsMethod = "auto" | "exact" | "asymp";

/** Options of {@link ks2samp}. */
export interface KsOptions {
  /** "auto" (default), "exact" or "asymp", as scipy's `method`. */
  method?: KsMethod;
}

/** Result of the two-sample KS test. */
export interface KsResult {
  /** sup |F1 - F2|; after an exact computation, h / lcm(n1, n2) as scipy returns it. */
  statistic: number;
  /** The p-value of the chosen method. */
  pValue: number;
  /** The method that produced `pValue` ("exact" may fall back to "asymp"). */
  method: "exact" | "asymp";
  /** The asymptotic p-value, whatever the method (scipy `method='asymp'`). */
  pValueAsymp: number;
}

/** Two-sided two-sample KS test on unsorted samples (copied, never mutated). */
export function ks2samp(
  reference: ArrayLike<number>,
  current: ArrayLike<number>,
  options: KsOptions = {},
): KsResult {
  return ks2sampSorted(sortedCopy(reference, "reference"), sortedCopy(current, "current"), options);
}

/** Ascending Float64Array copy; NaN is rejected (the caller removes missing values first). */
export function sortedCopy(values: ArrayLike<number>, name = "sample"): Float64Array {
  const out = Float64Array.from(values);
  for (let i = 0; i < out.length; i++) {
    if (Number.isNaN(out[i]!)) {
      throw new RangeError(`Cannot sort ${name}: expected no NaN, got NaN at index ${i}`);
    }
  }
  return out.sort();
}

/** KS test on samples already sorted ascending without NaN (the fast path). */
export function ks2sampSorted(
  reference: ArrayLike<number>,
  current: ArrayLike<number>,
  options: KsOptions = {},
): KsResult {
  const n1 = reference.length;
  const n2 = current.length;
  if (n1 === 0 || n2 === 0) {
    throw new RangeError(
      `Cannot run ks2samp: expected non-empty samples, got ${n1} reference and ${n2} current values`,
    );
  }
  const method = options.method ?? "auto";
  let d = ksStatisticSorted(reference, current);
  const pValueAsymp = ksAsymptoticPValue(d, n1, n2);
  const exact = method === "exact" || (method === "auto" && Math.max(n1, n2) <= KS_MAX_AUTO_N);
  if (exact) {
    const g = gcd(n1, n2);
    const lcm = (n1 / g) * n2;
    const h = roundHalfEven(d * lcm);
    d = h / lcm;
    if (h === 0) return { statistic: d, pValue: 1, method: "exact", pValueAsymp };
    const p = n1 === n2 ? probOutsideSquare(n1, h) : probOutsideBand(n1, n2, g, h);
    if (p >= 0 && p <= 1) return { statistic: d, pValue: p, method: "exact", pValueAsymp };
    return { statistic: d, pValue: ksAsymptoticPValue(d, n1, n2), method: "asymp", pValueAsymp };
  }
  return { statistic: d, pValue: pValueAsymp, method: "asymp", pValueAsymp };
}

/** sup over x of |F_ref(x) - F_cur(x)| for sorted samples, evaluated as scipy does. */
export function ksStatisticSorted(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n1 = a.length;
  const n2 = b.length;
  let i = 0;
  let j = 0;
  let maxS = -Infinity;
  let minS = Infinity;
  while (i < n1 || j < n2) {
    const v = i < n1 && (j >= n2 || a[i]! <= b[j]!) ? a[i]! : b[j]!;
    while (i < n1 && a[i]! <= v) i++;
    while (j < n2 && b[j]! <= v) j++;
    const diff = i / n1 - j / n2;
    if (diff > maxS) maxS = diff;
    if (diff < minS) minS = diff;
  }
  const minClipped = Math.min(Math.max(-minS, 0), 1);
  return minClipped > maxS ? minClipped : maxS;
}

/** scipy's asymptotic two-sided p-value: kstwo.sf(d, round(n1·n2/(n1+n2))). */
export function ksAsymptoticPValue(d: number, n1: number, n2: number): number {
  const [m, n] = n1 >= n2 ? [n1, n2] : [n2, n1];
  const en = roundHalfEven((m * n) / (m + n));
  if (en <= 0) return NaN;
  return kstwoSf(d, en);
}

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function gcd(a: number, b: number): number {
  let x = a;
  let y = b;
  while (y) [x, y] = [y, x % y];
  return x;
}

/**
 * P(D_{n,n} >= h/n) = 2·Σ_k (-1)^k C(2n, n-kh)/C(2n, n), evaluated as a Horner-like nest
 * of ratios to avoid the subtractive cancellation of the plain sum.
 */
function probOutsideSquare(n: number, h: number): number {
  let P = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let p1 = 1;
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    P = p1 * (1 - P);
  }
  return 2 * P;
}

/**
 * Proportion of lattice paths (0,0)→(m,n) that leave the band |x/m - y/n| < h/lcm, i.e.
 * P(D >= h/lcm), by a column sweep over a sliding window that carries 1 - (share of paths
 * still inside), which stays well scaled (Hodges 1958; Viehmann 2021).
 */
function probOutsideBand(m0: number, n0: number, g: number, h: number): number {
  const [m, n] = m0 >= n0 ? [m0, n0] : [n0, m0];
  const mg = m / g;
  const ng = n / g;
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const lenA = Math.min(2 * maxj + 2, n + 1);
  const A = new Float64Array(lenA).fill(1);
  for (let j = minj; j < Math.min(maxj, lenA); j++) A[j] = 0;
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    let val = minj === 0 ? 0 : 1;
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj;
      val = (A[jj + minj - lastminj]! * i + val * j) / (i + j);
      A[jj] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) {
      const end = Math.min(maxj - minj + (lastlen - curlen), lenA);
      for (let t = maxj - minj; t < end; t++) A[t] = 1;
    }
  }
  return A[maxj - minj - 1]!;
}

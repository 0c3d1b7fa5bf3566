/**
 * Wasserstein-1 (earth mover's) distance between two samples, as scipy's
 * `wasserstein_distance(u, v)`: ∫ |F_u(x) - F_v(x)| dx over the merged sample.
 * @module
 */

import { sortedCopy } from "./ks.ts";

/** W1 between two unsorted samples (copied, never mutated; NaN is rejected). */
export function wassersteinDistance(u: ArrayLike<number>, v: ArrayLike<number>): number {
  return wassersteinSorted(sortedCopy(u, "u"), sortedCopy(v, "v"));
}

/** W1 between samples already sorted ascending without NaN (one merge pass). */
export function wassersteinSorted(u: ArrayLike<number>, v: ArrayLike<number>): number {
  const nu = u.length;
  const nv = v.length;
  if (nu === 0 || nv === 0) {
    throw new RangeError(
      `Cannot compute the Wasserstein distance: expected non-empty samples, got ${nu} and ${nv} values`,
    );
  }
  let i = 0;
  let j = 0;
  let sum = 0;
  let cur = u[0]! <= v[0]! ? u[0]! : v[0]!;
  while (i < nu || j < nv) {
    while (i < nu && u[i]! <= cur) i++;
    while (j < nv && v[j]! <= cur) j++;
    if (i === nu && j === nv) break;
    const next = i < nu && (j >= nv || u[i]! <= v[j]!) ? u[i]! : v[j]!;
    sum += Math.abs(i / nu - j / nv) * (next - cur);
    cur = next;
  }
  return sum;
}

/** Population standard deviation (numpy `std`, ddof = 0), two-pass. */
export function populationStd(values: ArrayLike<number>): number {
  const n = values.length;
  if (n === 0) return NaN;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += values[i]!;
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const d = values[i]! - mean;
    ss += d * d;
  }
  return Math.sqrt(ss / n);
}

/**
 * Evidently's normed Wasserstein distance: W1(reference, current) / max(std(reference), 0.001)
 * (population std). The floor keeps a constant reference column from dividing by zero.
 */
export function wassersteinNormalizedSorted(
  reference: ArrayLike<number>,
  current: ArrayLike<number>,
  stdFloor = 0.001,
): number {
  return wassersteinSorted(reference, current) / Math.max(populationStd(reference), stdFloor);
}

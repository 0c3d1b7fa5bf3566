/**
 * Slow, obviously-correct oracles for the fast TreeSHAP in src/explain/: Algorithm 2 of
 * Lundberg et al. (2020) written from the paper's pseudo-code (with the conditioning
 * arguments XGBoost uses for interaction values), and brute-force Shapley values over all
 * feature subsets of the same path-dependent conditional expectation.
 */
import type { Tree, TreeEnsemble } from "../../src/gbdt/tree.ts";

interface PathElement {
  feature: number;
  zero: number;
  one: number;
  w: number;
}

function extend(m: PathElement[], depth: number, zero: number, one: number, feature: number) {
  m[depth] = { feature, zero, one, w: depth === 0 ? 1 : 0 };
  for (let i = depth - 1; i >= 0; i--) {
    m[i + 1]!.w += one * m[i]!.w * (i + 1) / (depth + 1);
    m[i]!.w = zero * m[i]!.w * (depth - i) / (depth + 1);
  }
}

function unwind(m: PathElement[], depth: number, k: number) {
  const { one, zero } = m[k]!;
  let next = m[depth]!.w;
  for (let i = depth - 1; i >= 0; i--) {
    if (one !== 0) {
      const tmp = m[i]!.w;
      m[i]!.w = next * (depth + 1) / ((i + 1) * one);
      next = tmp - m[i]!.w * zero * (depth - i) / (depth + 1);
    } else {
      m[i]!.w = m[i]!.w * (depth + 1) / (zero * (depth - i));
    }
  }
  for (let i = k; i < depth; i++) {
    m[i] = { ...m[i + 1]!, w: m[i]!.w };
  }
}

function unwoundSum(m: PathElement[], depth: number, k: number): number {
  const { one, zero } = m[k]!;
  let next = m[depth]!.w, total = 0;
  for (let i = depth - 1; i >= 0; i--) {
    if (one !== 0) {
      const tmp = next * (depth + 1) / ((i + 1) * one);
      total += tmp;
      next = m[i]!.w - tmp * zero * (depth - i) / (depth + 1);
    } else {
      total += m[i]!.w / zero / ((depth - i) / (depth + 1));
    }
  }
  return total;
}

function goesLeft(t: Tree, n: number, x: ArrayLike<number>): boolean {
  const v = x[t.feature[n]!]!;
  return Number.isNaN(v) ? t.defaultLeft[n] === 1 : v < t.threshold[n]!;
}

/**
 * Algorithm 2 for one tree, adding into `phi`. `condition` 0: plain SHAP; +1 / -1: the
 * feature `condFeature` is always / never in the coalition (XGBoost's conditioning).
 */
export function treeShapAlg2(
  t: Tree,
  x: ArrayLike<number>,
  phi: Float64Array,
  condition = 0,
  condFeature = -1,
): void {
  function recurse(
    n: number,
    parent: PathElement[],
    depth: number,
    zero: number,
    one: number,
    feature: number,
    condFrac: number,
  ) {
    if (condFrac === 0) return;
    const m = parent.map((e) => ({ ...e }));
    if (condition === 0 || condFeature !== feature) extend(m, depth, zero, one, feature);
    if (t.feature[n]! < 0) {
      for (let i = 1; i <= depth; i++) {
        const w = unwoundSum(m, depth, i);
        const e = m[i]!;
        phi[e.feature] = phi[e.feature]! + w * (e.one - e.zero) * t.value[n]! * condFrac;
      }
      return;
    }
    const left = goesLeft(t, n, x);
    const hot = left ? t.left[n]! : t.right[n]!, cold = left ? t.right[n]! : t.left[n]!;
    const hotZ = t.cover[hot]! / t.cover[n]!, coldZ = t.cover[cold]! / t.cover[n]!;
    let inZ = 1, inO = 1;
    const f = t.feature[n]!;
    let k = 0;
    for (; k <= depth; k++) if (m[k]!.feature === f) break;
    if (k !== depth + 1) {
      inZ = m[k]!.zero;
      inO = m[k]!.one;
      unwind(m, depth, k);
      depth -= 1;
    }
    let hotC = condFrac, coldC = condFrac;
    if (condition > 0 && f === condFeature) {
      coldC = 0;
      depth -= 1;
    } else if (condition < 0 && f === condFeature) {
      hotC *= hotZ;
      coldC *= coldZ;
      depth -= 1;
    }
    recurse(hot, m, depth + 1, hotZ * inZ, inO, f, hotC);
    recurse(cold, m, depth + 1, coldZ * inZ, 0, f, coldC);
  }
  recurse(0, [], 0, 1, 1, -1, 1);
}

/** SHAP values of one row by Algorithm 2 (no base value). */
export function shapAlg2(model: TreeEnsemble, x: ArrayLike<number>): Float64Array {
  const phi = new Float64Array(model.featureNames.length);
  for (const t of model.trees) treeShapAlg2(t, x, phi);
  return phi;
}

/** Interaction values of one row the way XGBoost builds them from conditioned Algorithm 2. */
export function interactionsAlg2(model: TreeEnsemble, x: ArrayLike<number>): Float64Array {
  const F = model.featureNames.length;
  const out = new Float64Array(F * F);
  const diag = shapAlg2(model, x);
  for (let i = 0; i < F; i++) {
    const on = new Float64Array(F), off = new Float64Array(F);
    for (const t of model.trees) {
      treeShapAlg2(t, x, on, 1, i);
      treeShapAlg2(t, x, off, -1, i);
    }
    let s = 0;
    for (let j = 0; j < F; j++) {
      if (j === i) continue;
      out[i * F + j] = (on[j]! - off[j]!) / 2;
      s += out[i * F + j]!;
    }
    out[i * F + i] = diag[i]! - s;
  }
  return out;
}

/** E[f | x_S] with the path-dependent (cover-weighted) expectation; S a feature bitmask. */
export function condExpectation(model: TreeEnsemble, x: ArrayLike<number>, s: number): number {
  let total = model.baseScore;
  for (const t of model.trees) {
    const go = (n: number): number => {
      if (t.feature[n]! < 0) return t.value[n]!;
      if (s & (1 << t.feature[n]!)) return go(goesLeft(t, n, x) ? t.left[n]! : t.right[n]!);
      const l = t.left[n]!, r = t.right[n]!;
      return (t.cover[l]! * go(l) + t.cover[r]! * go(r)) / t.cover[n]!;
    };
    total += go(0);
  }
  return total;
}

function factorial(n: number): number {
  let f = 1;
  for (let i = 2; i <= n; i++) f *= i;
  return f;
}

function popcount(s: number): number {
  let c = 0;
  for (; s; s &= s - 1) c++;
  return c;
}

/** Exact Shapley values by enumerating all 2^F coalitions (F <= ~12). */
export function shapBruteForce(model: TreeEnsemble, x: ArrayLike<number>): Float64Array {
  const F = model.featureNames.length, size = 1 << F;
  const v = Float64Array.from({ length: size }, (_, s) => condExpectation(model, x, s));
  const phi = new Float64Array(F);
  for (let i = 0; i < F; i++) {
    for (let s = 0; s < size; s++) {
      if (s & (1 << i)) continue;
      const k = popcount(s);
      const w = factorial(k) * factorial(F - k - 1) / factorial(F);
      phi[i] = phi[i]! + w * (v[s | (1 << i)]! - v[s]!);
    }
  }
  return phi;
}

/**
 * Shapley interaction index by enumeration, halved between (i, j) and (j, i), with main
 * effects on the diagonal (φ_i minus the row's off-diagonal sum).
 */
export function interactionsBruteForce(model: TreeEnsemble, x: ArrayLike<number>): Float64Array {
  const F = model.featureNames.length, size = 1 << F;
  const v = Float64Array.from({ length: size }, (_, s) => condExpectation(model, x, s));
  const phi = shapBruteForce(model, x);
  const out = new Float64Array(F * F);
  for (let i = 0; i < F; i++) {
    for (let j = 0; j < F; j++) {
      if (i === j) continue;
      const bi = 1 << i, bj = 1 << j;
      let sum = 0;
      for (let s = 0; s < size; s++) {
        if (s & (bi | bj)) continue;
        const k = popcount(s);
        const w = factorial(k) * factorial(F - k - 2) / (2 * factorial(F - 1));
        sum += w * (v[s | bi | bj]! - v[s | bi]! - v[s | bj]! + v[s]!);
      }
      out[i * F + j] = sum;
    }
    let r = 0;
    for (let j = 0; j < F; j++) if (j !== i) r += out[i * F + j]!;
    out[i * F + i] = phi[i]! - r;
  }
  return out;
}

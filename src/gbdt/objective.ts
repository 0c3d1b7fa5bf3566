/** Loss functions: gradients, hessians and the base score. */
import type { GbdtParams } from "./params.ts";

/**
 * Gradients and hessians of the loss at `pred` for rows `rows[0..n)`, into `g` and `h` at
 * the row index; returns their sums [G, H], added in the order of `rows`.
 * Squared error ½(p−y)²: g = p−y, h = 1 (then `h` is only filled, never changed).
 * Pseudo-Huber δ²(√(1+(r/δ)²)−1), r = p−y: g = r/√(1+(r/δ)²), h = (1+(r/δ)²)^(−3/2)
 * (XGBoost's reg:pseudohubererror).
 */
export function gradients(
  p: GbdtParams,
  y: Float32Array,
  pred: Float64Array,
  rows: Uint32Array,
  n: number,
  g: Float32Array,
  h: Float32Array,
): [number, number] {
  let G = 0, H = 0;
  if (p.objective === "squared_error") {
    for (let i = 0; i < n; i++) {
      const r = rows[i]!;
      const gi = Math.fround(pred[r]! - y[r]!);
      g[r] = gi;
      G += gi;
    }
    if (h[0] !== 1 || h[h.length - 1] !== 1) h.fill(1);
    return [G, n];
  }
  const d = p.huberSlope, inv = 1 / (d * d);
  for (let i = 0; i < n; i++) {
    const row = rows[i]!;
    const r = pred[row]! - y[row]!;
    const s = 1 + r * r * inv;
    const q = Math.sqrt(s);
    const gi = Math.fround(r / q), hi = Math.fround(1 / (s * q));
    g[row] = gi;
    h[row] = hi;
    G += gi;
    H += hi;
  }
  return [G, H];
}

/** Base score: the mean of y for squared error, the median for pseudo-Huber. */
export function baseScore(p: GbdtParams, y: Float32Array): number {
  if (p.objective === "squared_error") {
    let s = 0;
    for (let i = 0; i < y.length; i++) s += y[i]!;
    return Math.fround(s / y.length);
  }
  const sorted = Float64Array.from(y).sort();
  const m = sorted.length >> 1;
  return Math.fround(
    sorted.length % 2 ? sorted[m]! : (sorted[m - 1]! + sorted[m]!) / 2,
  );
}

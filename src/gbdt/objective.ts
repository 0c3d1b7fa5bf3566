/** Loss functions: gradients, hessians and the base score. */
import type { GbdtParams } from "./params.ts";

/**
 * Gradients and hessians of the loss at `pred` for all rows, into `g` and `h`.
 * Squared error ½(p−y)²: g = p−y, h = 1. Pseudo-Huber δ²(√(1+(r/δ)²)−1), r = p−y:
 * g = r/√(1+(r/δ)²), h = (1+(r/δ)²)^(−3/2) (XGBoost's reg:pseudohubererror).
 */
export function gradients(
  p: GbdtParams,
  y: Float32Array,
  pred: Float64Array,
  g: Float32Array,
  h: Float32Array,
): void {
  const n = y.length;
  if (p.objective === "squared_error") {
    for (let i = 0; i < n; i++) g[i] = pred[i]! - y[i]!;
    h.fill(1, 0, n);
    return;
  }
  const d = p.huberSlope, inv = 1 / (d * d);
  for (let i = 0; i < n; i++) {
    const r = pred[i]! - y[i]!;
    const s = 1 + r * r * inv;
    const q = Math.sqrt(s);
    g[i] = r / q;
    h[i] = 1 / (s * q);
  }
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

/** Loss functions: gradients, hessians and the base score. */
import type { GbdtParams } from "./params.ts";

/** Objective codes as the round jobs read them from the control block. */
export const OBJECTIVE_SQUARED = 0;
export const OBJECTIVE_HUBER = 1;

/**
 * Gradients and hessians of the loss at `pred` for rows `rows[from..to)`, into `g` and `h`
 * at the row index; their sums, added in the order of `rows`, go to out[o] and out[o + 1].
 * Squared error ½(p−y)²: g = p−y, h = 1 (then `h` is filled once by the caller, never here).
 * Pseudo-Huber δ²(√(1+(r/δ)²)−1), r = p−y: g = r/√(1+(r/δ)²), h = (1+(r/δ)²)^(−3/2)
 * (XGBoost's reg:pseudohubererror); `inv` = 1/δ².
 */
export function gradientRange(
  objective: number,
  inv: number,
  y: Float32Array,
  pred: Float64Array,
  rows: Uint32Array,
  from: number,
  to: number,
  g: Float32Array,
  h: Float32Array,
  out: Float64Array,
  o: number,
): void {
  let G = 0, H = 0;
  if (objective === OBJECTIVE_SQUARED) {
    for (let i = from; i < to; i++) {
      const r = rows[i]!;
      const gi = Math.fround(pred[r]! - y[r]!);
      g[r] = gi;
      G += gi;
    }
    out[o] = G;
    out[o + 1] = to - from;
    return;
  }
  for (let i = from; i < to; i++) {
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
  out[o] = G;
  out[o + 1] = H;
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

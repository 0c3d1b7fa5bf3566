/**
 * How far onnxruntime's predictions (float32 sums) are from our own `predict()` (float64):
 * the largest absolute difference and the same relative to max(1, |ours|), so values near
 * 0 µg/m³ stay absolute. NaN on either side is a disagreement (Infinity), not a pass.
 */
export function onnxParity(
  ort: ArrayLike<number>,
  native: ArrayLike<number>,
): { max_abs_diff: number; max_rel_diff: number } {
  let abs = 0, rel = 0;
  for (let i = 0; i < ort.length; i++) {
    const d = Math.abs(ort[i]! - native[i]!);
    const r = d / Math.max(1, Math.abs(native[i]!));
    if (!(d <= abs)) abs = Number.isNaN(d) ? Infinity : d;
    if (!(r <= rel)) rel = Number.isNaN(r) ? Infinity : r;
  }
  return { max_abs_diff: abs, max_rel_diff: rel };
}

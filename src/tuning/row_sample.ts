/** Seeded row subsets of a labelled matrix (early rungs of the search train on fewer rows). */
import type { FeatureMatrix } from "../data/matrix.ts";
import { Pcg32 } from "../gbdt/random.ts";

/** k of n row indices, ascending, drawn uniformly without replacement (all when k >= n). */
export function sampleRowIndices(n: number, k: number, seed: number): Uint32Array {
  if (k >= n) return Uint32Array.from({ length: n }, (_, i) => i);
  const rng = new Pcg32(seed, 0x726f7773);
  const out = new Uint32Array(k);
  let m = 0;
  // Selection sampling (Knuth's Algorithm S).
  for (let i = 0; i < n && m < k; i++) {
    if ((n - i) * rng.nextFloat() < k - m) out[m++] = i;
  }
  return out;
}

/** The rows `idx` of X and y. */
export function takeRows(
  X: FeatureMatrix,
  y: Float32Array,
  idx: ArrayLike<number>,
): { X: FeatureMatrix; y: Float32Array } {
  const p = X.nCols;
  const data = new Float32Array(idx.length * p);
  const yy = new Float32Array(idx.length);
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k]!;
    data.set(X.data.subarray(i * p, i * p + p), k * p);
    yy[k] = y[i]!;
  }
  return { X: { data, nRows: idx.length, nCols: p, names: [...X.names] }, y: yy };
}

/**
 * Permutation importance (Breiman 2001; Fisher, Rudin and Dominici 2019): how much the RMSE
 * grows when one feature's column is shuffled, breaking its link with the target. It needs
 * only predictions, so it explains any model, where TreeSHAP needs the trees.
 */
import type { FeatureMatrix } from "../data/matrix.ts";
import { Pcg32 } from "../gbdt/random.ts";

export interface PermutationImportance {
  feature: string;
  /** Position in model feature order. */
  index: number;
  /** Mean over repeats of RMSE(shuffled) - RMSE(original). */
  importance: number;
  /** Standard deviation of that increase over repeats (0 with one repeat). */
  std: number;
}

export interface PermutationOptions {
  seed: number;
  /** Shuffles per feature (default 3). */
  repeats?: number;
}

/**
 * Importance of every column of `X` for the model behind `score`, most important first.
 * Rows with a missing target are left out of every RMSE.
 */
export async function permutationImportance(
  score: (X: FeatureMatrix) => Promise<ArrayLike<number>>,
  X: FeatureMatrix,
  y: ArrayLike<number>,
  options: PermutationOptions,
): Promise<PermutationImportance[]> {
  const repeats = options.repeats ?? 3;
  if (y.length !== X.nRows) {
    throw new RangeError(
      `Cannot compute permutation importance: X has ${X.nRows} rows, y has ${y.length}`,
    );
  }
  if (!Number.isInteger(repeats) || repeats < 1) {
    throw new RangeError(
      `Cannot compute permutation importance: repeats must be an integer >= 1, got ${repeats}`,
    );
  }
  const base = rmse(y, await score(X));
  const rng = new Pcg32(options.seed, 0x7065726d);
  const out: PermutationImportance[] = [];
  const n = X.nRows, p = X.nCols;
  for (let j = 0; j < p; j++) {
    const deltas: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const data = X.data.slice();
      const order = Uint32Array.from({ length: n }, (_, i) => i);
      for (let i = n - 1; i > 0; i--) {
        const k = Math.floor(rng.nextFloat() * (i + 1));
        const t = order[i]!;
        order[i] = order[k]!;
        order[k] = t;
      }
      for (let i = 0; i < n; i++) data[i * p + j] = X.data[order[i]! * p + j]!;
      deltas.push(rmse(y, await score({ ...X, data })) - base);
    }
    const mean = deltas.reduce((a, b) => a + b, 0) / repeats;
    const variance = deltas.reduce((a, b) => a + (b - mean) ** 2, 0) / repeats;
    out.push({
      feature: X.names[j] ?? `f${j}`,
      index: j,
      importance: mean,
      std: Math.sqrt(variance),
    });
  }
  return out.sort((a, b) => b.importance - a.importance || a.index - b.index);
}

function rmse(y: ArrayLike<number>, pred: ArrayLike<number>): number {
  let s = 0, n = 0;
  for (let i = 0; i < y.length; i++) {
    const e = pred[i]! - y[i]!;
    if (Number.isFinite(e)) {
      s += e * e;
      n++;
    }
  }
  return n ? Math.sqrt(s / n) : NaN;
}

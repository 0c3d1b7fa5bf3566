/**
 * Out-of-fold predictions of the baselines over the same rolling-origin folds as the GBDT,
 * so every candidate's interval and validation metrics come from the same protocol:
 * ridge refitted on each fold's rows, persistence (nothing to fit but its fallback).
 */
import type { LabelledMatrix } from "../data/load_matrix.ts";
import { fitRidge, predictRidge } from "../baselines/ridge.ts";
import { fitPersistence, predictPersistence } from "../baselines/persistence.ts";
import { takeMatrix } from "../tuning/cross_validate.ts";
import { type Fold, foldRows } from "../tuning/folds.ts";

export type Fitter = (
  X: LabelledMatrix["X"],
  y: Float32Array,
) => (X: LabelledMatrix["X"]) => Float64Array;

export const ridgeFitter = (alpha: number): Fitter => (X, y) => {
  const m = fitRidge(X, y, alpha);
  return (V) => predictRidge(m, V);
};

export const persistenceFitter: Fitter = (_X, y) => {
  const m = fitPersistence(y);
  return (V) => predictPersistence(m, V);
};

/** Predictions of each validation block by a model fitted on its fold's rows; NaN elsewhere. */
export function foldPredictions(
  tr: LabelledMatrix,
  folds: readonly Fold[],
  fit: Fitter,
): Float64Array {
  const out = new Float64Array(tr.y.length).fill(NaN);
  for (const f of folds) {
    const { fit: fi, valid: vi } = foldRows(tr.time, f);
    const predict = fit(takeMatrix(tr.X, fi), Float32Array.from(fi, (i) => tr.y[i]!));
    const p = predict(takeMatrix(tr.X, vi));
    vi.forEach((i, k) => (out[i] = p[k]!));
  }
  return out;
}

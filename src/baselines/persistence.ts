/**
 * The persistence baseline for next-hour forecasting: the prediction is the current value
 * (the "PM2.5" column by default), or the training mean of the target where it is missing.
 */
import type { FeatureMatrix } from "../data/matrix.ts";

export interface PersistenceModel {
  column: string;
  /** Training mean of the target: the fallback for a missing current value. */
  fallback: number;
}

export function fitPersistence(y: Float32Array, column = "PM2.5"): PersistenceModel {
  let s = 0, n = 0;
  for (const v of y) {
    if (v === v) {
      s += v;
      n++;
    }
  }
  if (n === 0) throw new RangeError("Cannot fit persistence: the target has no non-missing value");
  return { column, fallback: s / n };
}

export function predictPersistence(model: PersistenceModel, X: FeatureMatrix): Float64Array {
  const j = X.names.indexOf(model.column);
  if (j < 0) {
    throw new RangeError(
      `Cannot predict persistence: no column "${model.column}" in the matrix (${
        X.names.join(", ")
      })`,
    );
  }
  const out = new Float64Array(X.nRows);
  for (let i = 0; i < X.nRows; i++) {
    const v = X.data[i * X.nCols + j]!;
    out[i] = v === v ? v : model.fallback;
  }
  return out;
}

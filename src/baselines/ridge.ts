/**
 * Ridge regression baseline on a FeatureMatrix: columns standardised with the training mean
 * and standard deviation, missing values imputed with the training mean (0 after
 * standardising), weights from the normal equations (XᵀX + αI) w = Xᵀ(y − ȳ) by Cholesky.
 * The intercept is not penalised.
 */
import type { FeatureMatrix } from "../data/matrix.ts";

export interface RidgeModel {
  /** Weights on the standardised columns. */
  weights: Float64Array;
  intercept: number;
  /** Training mean per column (also the imputed value for a missing entry). */
  means: Float64Array;
  /** Training standard deviation per column (1 for a constant or all-missing column). */
  scales: Float64Array;
  featureNames: string[];
}

/** Fits ridge regression with penalty `alpha` (>= 0) on the standardised columns. */
export function fitRidge(X: FeatureMatrix, y: Float32Array, alpha = 1): RidgeModel {
  const { nRows: n, nCols: p, data } = X;
  if (n === 0) throw new RangeError("Cannot fit ridge: the matrix has no rows");
  if (y.length !== n) {
    throw new RangeError(`Cannot fit ridge: the target has ${y.length} values, expected ${n}`);
  }
  if (!(alpha >= 0 && alpha < Infinity)) {
    throw new RangeError(`Cannot fit ridge: alpha must be finite and >= 0: got ${alpha}`);
  }
  const means = new Float64Array(p), scales = new Float64Array(p), counts = new Float64Array(p);
  let yMean = 0;
  for (let i = 0; i < n; i++) {
    const t = y[i]!;
    if (!Number.isFinite(t)) {
      throw new RangeError(`Cannot fit ridge: the target is ${t} at row ${i}`);
    }
    yMean += t;
    for (let j = 0; j < p; j++) {
      const v = data[i * p + j]!;
      if (v !== v) continue;
      if (!Number.isFinite(v)) {
        throw new RangeError(`Cannot fit ridge: column "${X.names[j]}" is ${v} at row ${i}`);
      }
      means[j]! += v;
      counts[j]!++;
    }
  }
  yMean /= n;
  for (let j = 0; j < p; j++) means[j] = counts[j]! > 0 ? means[j]! / counts[j]! : 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) {
      const v = data[i * p + j]!;
      if (v === v) scales[j]! += (v - means[j]!) ** 2;
    }
  }
  for (let j = 0; j < p; j++) {
    const s = counts[j]! > 0 ? Math.sqrt(scales[j]! / counts[j]!) : 0;
    scales[j] = s > 0 ? s : 1;
  }
  // Normal equations on standardised columns (z = 0 for missing).
  const A = new Float64Array(p * p), b = new Float64Array(p), z = new Float64Array(p);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) {
      const v = data[i * p + j]!;
      z[j] = v === v ? (v - means[j]!) / scales[j]! : 0;
    }
    const r = y[i]! - yMean;
    for (let j = 0; j < p; j++) {
      const zj = z[j]!;
      if (zj === 0) continue;
      b[j]! += zj * r;
      for (let k = 0; k <= j; k++) A[j * p + k]! += zj * z[k]!;
    }
  }
  // A tiny ridge keeps all-missing or constant columns (zero rows of A) solvable at alpha 0.
  for (let j = 0; j < p; j++) A[j * p + j]! += alpha + 1e-12 * n;
  const weights = choleskySolve(A, b, p);
  return { weights, intercept: yMean, means, scales, featureNames: [...X.names] };
}

/** Solves A w = b for symmetric positive-definite A (lower triangle used, overwritten). */
function choleskySolve(A: Float64Array, b: Float64Array, p: number): Float64Array {
  for (let j = 0; j < p; j++) {
    let d = A[j * p + j]!;
    for (let k = 0; k < j; k++) d -= A[j * p + k]! ** 2;
    if (!(d > 0)) {
      throw new RangeError(`Cannot fit ridge: the normal matrix is singular at column ${j}`);
    }
    const l = Math.sqrt(d);
    A[j * p + j] = l;
    for (let i = j + 1; i < p; i++) {
      let s = A[i * p + j]!;
      for (let k = 0; k < j; k++) s -= A[i * p + k]! * A[j * p + k]!;
      A[i * p + j] = s / l;
    }
  }
  const w = Float64Array.from(b);
  for (let i = 0; i < p; i++) {
    let s = w[i]!;
    for (let k = 0; k < i; k++) s -= A[i * p + k]! * w[k]!;
    w[i] = s / A[i * p + i]!;
  }
  for (let i = p - 1; i >= 0; i--) {
    let s = w[i]!;
    for (let k = i + 1; k < p; k++) s -= A[k * p + i]! * w[k]!;
    w[i] = s / A[i * p + i]!;
  }
  return w;
}

/** Predictions of a ridge model; missing values take the training mean. */
export function predictRidge(model: RidgeModel, X: FeatureMatrix): Float64Array {
  const p = model.weights.length;
  if (X.nCols !== p) {
    throw new RangeError(
      `Cannot predict with ridge: the model expects ${p} features, got ${X.nCols}`,
    );
  }
  const out = new Float64Array(X.nRows);
  const { weights, means, scales, intercept } = model;
  for (let i = 0; i < X.nRows; i++) {
    let s = intercept;
    for (let j = 0; j < p; j++) {
      const v = X.data[i * p + j]!;
      if (v === v) s += (weights[j]! * (v - means[j]!)) / scales[j]!;
    }
    out[i] = s;
  }
  return out;
}

/** Weights and intercept in the original units: y ≈ intercept + Σ coef[j] x[j] (no missing). */
export function ridgeCoefficients(model: RidgeModel): { coef: Float64Array; intercept: number } {
  const coef = model.weights.map((w, j) => w / model.scales[j]!);
  let intercept = model.intercept;
  for (let j = 0; j < coef.length; j++) intercept -= coef[j]! * model.means[j]!;
  return { coef, intercept };
}

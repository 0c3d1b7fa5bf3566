/** Result of {@link checkAdditivity}: the row where base + Σ SHAP strays most. */
export interface AdditivityCheck {
  ok: boolean;
  /** Row with the largest relative error (-1 for zero rows). */
  worstRow: number;
  /** |base + Σ SHAP - prediction| at the worst row. */
  absError: number;
  /** absError / max(1, |prediction|) at the worst row. */
  relError: number;
}

/**
 * Check SHAP's local accuracy: for every row, `base + Σ_j shap[row, j]` must equal the
 * prediction to `relTol`, relative to max(1, |prediction|) so that predictions near zero
 * are judged on an absolute scale.
 *
 * @param base the expected value (`ShapValues.expectedValue`)
 * @param shap the SHAP values, row-major with `nFeatures` per row
 * @param predictions the model's predictions for the same rows
 */
export function checkAdditivity(
  base: number,
  shap: { values: ArrayLike<number>; nRows: number; nFeatures: number },
  predictions: ArrayLike<number>,
  relTol = 1e-6,
): AdditivityCheck {
  const { values, nRows, nFeatures: F } = shap;
  if (predictions.length !== nRows) {
    throw new RangeError(
      `Cannot check additivity: expected ${nRows} predictions, got ${predictions.length}`,
    );
  }
  let worstRow = -1, absError = 0, relError = 0;
  for (let i = 0; i < nRows; i++) {
    let s = base;
    for (let j = 0; j < F; j++) s += values[i * F + j]!;
    const p = predictions[i]!;
    const abs = Math.abs(s - p), rel = abs / Math.max(1, Math.abs(p));
    // A NaN row (a NaN SHAP value or prediction) becomes the worst and fails the check.
    const worse = worstRow < 0 ||
      (!Number.isNaN(relError) && (Number.isNaN(rel) || rel > relError));
    if (worse) {
      worstRow = i;
      absError = abs;
      relError = rel;
    }
  }
  return { ok: worstRow < 0 || relError <= relTol, worstRow, absError, relError };
}

/** SHAP values that do not add up to the model's output: the explanation is wrong. */
export class AdditivityError extends Error {
  override name = "AdditivityError";
  readonly check: AdditivityCheck;
  constructor(message: string, check: AdditivityCheck) {
    super(message);
    this.check = check;
  }
}

/**
 * {@link checkAdditivity}, throwing an {@link AdditivityError} that names the worst row
 * (through `describeRow`, e.g. its station and time) and both sides of the equation.
 */
export function assertAdditivity(
  base: number,
  shap: { values: ArrayLike<number>; nRows: number; nFeatures: number },
  predictions: ArrayLike<number>,
  options: { relTol?: number; describeRow?: (row: number) => string; what?: string } = {},
): AdditivityCheck {
  const relTol = options.relTol ?? 1e-6;
  const check = checkAdditivity(base, shap, predictions, relTol);
  if (check.ok) return check;
  const i = check.worstRow, F = shap.nFeatures;
  let sum = 0;
  for (let j = 0; j < F; j++) sum += shap.values[i * F + j]!;
  const label = options.describeRow ? options.describeRow(i) : `row ${i}`;
  throw new AdditivityError(
    `Cannot explain ${options.what ?? "the model"}: SHAP values are not additive at ${label}: ` +
      `base value ${base} + sum of SHAP ${sum} = ${base + sum}, prediction ${
        predictions[i]
      } (relative error ${check.relError.toExponential(2)}, expected at most ${relTol})`,
    check,
  );
}

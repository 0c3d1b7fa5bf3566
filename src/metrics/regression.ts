/**
 * Regression metrics of the study (DESIGN.md): RMSE, MAE, R², MAPE on y > 0, bias, and
 * the skill score against a reference forecast (1 - MSE / MSE_ref). Rows where the truth
 * or the prediction is missing are left out and counted.
 */
/**
 * The study's skill score in words, quoted by the README, the cards and the site: the one
 * definition of what `skill` below computes with persistence as the reference.
 */
export const SKILL_DEFINITION =
  "skill = 1 − MSE / MSE of persistence, where persistence forecasts the next hour's PM2.5 as this hour's (0: no better than persistence, 1: perfect)";

export interface RegressionMetrics {
  n: number;
  rmse: number;
  mae: number;
  r2: number;
  /** Mean absolute percentage error in %, over rows with y > 0. */
  mape: number;
  /** Mean of prediction - truth. */
  bias: number;
  /** 1 - MSE / MSE of the reference (persistence); null without a reference. */
  skill: number | null;
}

export function regressionMetrics(
  y: ArrayLike<number>,
  pred: ArrayLike<number>,
  reference?: ArrayLike<number>,
  index?: ArrayLike<number>,
): RegressionMetrics {
  let n = 0, se = 0, ae = 0, sy = 0, syy = 0, bias = 0, ape = 0, nPos = 0, seRef = 0, nRef = 0;
  const count = index ? index.length : y.length;
  for (let k = 0; k < count; k++) {
    const i = index ? index[k]! : k;
    const t = y[i]!, p = pred[i]!;
    if (!Number.isFinite(t) || !Number.isFinite(p)) continue;
    const e = p - t;
    n++;
    se += e * e;
    ae += Math.abs(e);
    bias += e;
    sy += t;
    syy += t * t;
    if (t > 0) {
      ape += Math.abs(e / t);
      nPos++;
    }
    if (reference) {
      const r = reference[i]!;
      if (Number.isFinite(r)) {
        seRef += (r - t) * (r - t);
        nRef++;
      }
    }
  }
  const ssTot = syy - (sy * sy) / n;
  return {
    n,
    rmse: n ? Math.sqrt(se / n) : NaN,
    mae: n ? ae / n : NaN,
    r2: n && ssTot > 0 ? 1 - se / ssTot : NaN,
    mape: nPos ? (100 * ape) / nPos : NaN,
    bias: n ? bias / n : NaN,
    skill: reference && nRef ? 1 - (se / n) / (seRef / nRef) : null,
  };
}

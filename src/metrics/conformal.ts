/**
 * Split conformal prediction intervals (Lei et al. 2018): the finite-sample quantile of
 * absolute residuals on a calibration set held out from training gives an interval
 * [ŷ - q, ŷ + q] with coverage >= 1 - alpha for exchangeable data. One implementation
 * for the evaluate stage, the endpoint and the browser.
 */
export interface ConformalInterval {
  method: "split_conformal";
  /** Miscoverage: 0.1 for a 90% interval. */
  alpha: number;
  /** Half-width of the interval, µg/m³. */
  quantile: number;
  calibrationRows: number;
}

/** The ⌈(n + 1)(1 - alpha)⌉-th smallest absolute residual (Infinity when n is too small). */
export function conformalQuantile(
  y: ArrayLike<number>,
  pred: ArrayLike<number>,
  alpha = 0.1,
): ConformalInterval {
  if (!(alpha > 0 && alpha < 1)) {
    throw new RangeError(`Cannot calibrate: alpha must be in (0, 1): got ${alpha}`);
  }
  const r: number[] = [];
  for (let i = 0; i < y.length; i++) {
    const e = Math.abs(pred[i]! - y[i]!);
    if (Number.isFinite(e)) r.push(e);
  }
  r.sort((a, b) => a - b);
  const k = Math.ceil((r.length + 1) * (1 - alpha));
  return {
    method: "split_conformal",
    alpha,
    quantile: k <= r.length ? r[k - 1]! : Infinity,
    calibrationRows: r.length,
  };
}

/** The interval for one prediction; the lower bound is clipped at 0 (a concentration). */
export function predictionInterval(
  pred: number,
  c: Pick<ConformalInterval, "quantile">,
): [number, number] {
  return [Math.max(0, pred - c.quantile), pred + c.quantile];
}

export interface IntervalCoverage {
  n: number;
  /** Share of rows whose truth lies in [lower, upper]. */
  coverage: number;
  /** Mean of upper - lower, µg/m³. */
  meanWidth: number;
}

/**
 * Empirical coverage and mean width of the intervals `predictionInterval` gives on (y, pred),
 * over `index` when given; rows with a missing truth or prediction are left out.
 */
export function intervalCoverage(
  y: ArrayLike<number>,
  pred: ArrayLike<number>,
  c: Pick<ConformalInterval, "quantile">,
  index?: ArrayLike<number>,
): IntervalCoverage {
  let n = 0, covered = 0, width = 0;
  const count = index ? index.length : y.length;
  for (let k = 0; k < count; k++) {
    const i = index ? index[k]! : k;
    const t = y[i]!, p = pred[i]!;
    if (!Number.isFinite(t) || !Number.isFinite(p)) continue;
    const [lo, hi] = predictionInterval(p, c);
    n++;
    if (t >= lo && t <= hi) covered++;
    width += hi - lo;
  }
  return { n, coverage: n ? covered / n : NaN, meanWidth: n ? width / n : NaN };
}

/**
 * Split conformal prediction intervals (Lei et al. 2018): the finite-sample quantile of
 * absolute residuals on a calibration set held out from training gives an interval
 * [ŷ - q, ŷ + q] with coverage >= 1 - alpha for exchangeable data. One implementation
 * for the evaluate stage, the endpoint and the browser.
 *
 * Errors grow with the level, so one width over-covers clean hours and under-covers the
 * episodes a forecast exists for. The Mondrian variant (Vovk et al. 2005) calibrates one
 * quantile per PM2.5 band of the prediction, which the model knows when it answers, and so
 * holds the coverage within each band. The study calibrates on out-of-fold residuals of
 * its cross-validation, the residuals of models that never saw the rows they scored.
 */
import { PM25_BAND_EDGES } from "./groups.ts";

export interface ConformalInterval {
  method: "split_conformal" | "mondrian_conformal";
  /** Miscoverage: 0.1 for a 90% interval. */
  alpha: number;
  /** Half-width of the pooled interval, µg/m³ (all calibration rows). */
  quantile: number;
  calibrationRows: number;
  /**
   * Mondrian: a half-width per band of the prediction. Band k holds predictions in
   * [edges[k - 1], edges[k]) (the first from -∞, the last to +∞); `rows` calibrated each
   * (bands with too few rows share their neighbour's).
   */
  bands?: { edges: number[]; quantile: number[]; rows: number[] };
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

/**
 * Mondrian split conformal by band of the prediction (`edges`, default the AQI PM2.5
 * bands): the conformal quantile of each band's absolute residuals. A band with fewer
 * than `minRows` calibration rows is merged with the band below it (the lowest with the one
 * above), so a rare band borrows a neighbour's width rather than getting an infinite one.
 */
export function mondrianConformal(
  y: ArrayLike<number>,
  pred: ArrayLike<number>,
  alpha = 0.1,
  options: { edges?: readonly number[]; minRows?: number } = {},
): ConformalInterval {
  const pooled = conformalQuantile(y, pred, alpha);
  const edges = [...(options.edges ?? PM25_BAND_EDGES)];
  const minRows = options.minRows ?? 100;
  const lists: number[][] = Array.from({ length: edges.length + 1 }, () => []);
  for (let i = 0; i < y.length; i++) {
    const e = Math.abs(pred[i]! - y[i]!);
    if (Number.isFinite(e)) lists[bandOf(pred[i]!, edges)]!.push(e);
  }
  // Groups of adjacent bands, merged until each has minRows (or one group is left).
  let groups = lists.map((_, k) => [k]);
  const size = (g: number[]) => g.reduce((n, k) => n + lists[k]!.length, 0);
  for (let small = groups.findIndex((g) => size(g) < minRows); small >= 0 && groups.length > 1;) {
    const into = small > 0 ? small - 1 : 1;
    const merged = [...groups[Math.min(small, into)]!, ...groups[Math.max(small, into)]!];
    groups = [
      ...groups.slice(0, Math.min(small, into)),
      merged,
      ...groups.slice(Math.max(small, into) + 1),
    ];
    small = groups.findIndex((g) => size(g) < minRows);
  }
  const quantile = new Array<number>(lists.length), rows = new Array<number>(lists.length);
  for (const g of groups) {
    const r = g.flatMap((k) => lists[k]!).sort((a, b) => a - b);
    const k = Math.ceil((r.length + 1) * (1 - alpha));
    for (const b of g) {
      quantile[b] = k <= r.length ? r[k - 1]! : Infinity;
      rows[b] = r.length;
    }
  }
  return { ...pooled, method: "mondrian_conformal", bands: { edges, quantile, rows } };
}

/** Index of the band of `v` among `edges` ([edges[k-1], edges[k])); NaN goes to band 0. */
function bandOf(v: number, edges: readonly number[]): number {
  let k = 0;
  while (k < edges.length && v >= edges[k]!) k++;
  return k;
}

/** Half-width of the interval around `pred`: its band's under Mondrian, else the pooled one. */
export function halfWidth(
  pred: number,
  c: Pick<ConformalInterval, "quantile" | "bands">,
): number {
  return c.bands ? c.bands.quantile[bandOf(pred, c.bands.edges)]! : c.quantile;
}

/** The interval for one prediction; the lower bound is clipped at 0 (a concentration). */
export function predictionInterval(
  pred: number,
  c: Pick<ConformalInterval, "quantile" | "bands">,
): [number, number] {
  const q = halfWidth(pred, c);
  return [Math.max(0, pred - q), pred + q];
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
  c: Pick<ConformalInterval, "quantile" | "bands">,
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

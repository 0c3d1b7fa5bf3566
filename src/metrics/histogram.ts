/** Fixed-width histogram of a sample, for residual distributions on the site. */

export interface HistogramBin {
  lo: number;
  hi: number;
  count: number;
}

export interface HistogramOptions {
  bins?: number;
  /** Range; values outside go to the first or last bin. Default: the sample's min and max. */
  lo?: number;
  hi?: number;
}

/** Counts the finite values of `values` in `bins` equal-width bins over [lo, hi]. */
export function histogram(
  values: ArrayLike<number>,
  options: HistogramOptions = {},
): HistogramBin[] {
  const bins = options.bins ?? 50;
  if (!Number.isInteger(bins) || bins < 1) {
    throw new RangeError(`Cannot build histogram: bins must be a positive integer, got ${bins}`);
  }
  let lo = options.lo ?? Infinity, hi = options.hi ?? -Infinity;
  if (options.lo === undefined || options.hi === undefined) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (!Number.isFinite(v)) continue;
      if (options.lo === undefined && v < lo) lo = v;
      if (options.hi === undefined && v > hi) hi = v;
    }
  }
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (hi < lo) {
    throw new RangeError(`Cannot build histogram: hi (${hi}) is below lo (${lo})`);
  }
  // A single distinct value still gets a bin of non-zero width.
  if (hi === lo) hi = lo + 1;
  const width = (hi - lo) / bins;
  const counts = new Float64Array(bins);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    const k = Math.min(bins - 1, Math.max(0, Math.floor((v - lo) / width)));
    counts[k]!++;
  }
  return Array.from(counts, (count, k) => ({
    lo: lo + k * width,
    hi: k === bins - 1 ? hi : lo + (k + 1) * width,
    count,
  }));
}

/** The q-quantile (0..1) of the finite values, linear between order statistics. */
export function quantile(values: ArrayLike<number>, q: number): number {
  const v = Array.from(values).filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const pos = q * (v.length - 1);
  const i = Math.floor(pos), f = pos - i;
  return i + 1 < v.length ? v[i]! * (1 - f) + v[i + 1]! * f : v[i]!;
}

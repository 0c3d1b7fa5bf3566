/**
 * Percentile bootstrap intervals for RMSE and MAE: resample rows with replacement, recompute
 * both errors, take the (1 - level) / 2 and (1 + level) / 2 quantiles. The generator is
 * seeded explicitly, so a card's interval is the same on every run with the same seed.
 */
import { Pcg32 } from "../gbdt/random.ts";

export interface Interval {
  estimate: number;
  lower: number;
  upper: number;
}

export interface BootstrapResult {
  rmse: Interval;
  mae: Interval;
  /** Rows with a finite truth and prediction (the others are left out). */
  n: number;
  resamples: number;
  level: number;
  seed: number;
}

export interface BootstrapOptions {
  resamples: number;
  /** Confidence level, e.g. 0.95. */
  level: number;
  seed: number;
}

/** RMSE and MAE of `pred` against `y` with percentile bootstrap intervals. */
export function bootstrapErrors(
  y: ArrayLike<number>,
  pred: ArrayLike<number>,
  options: BootstrapOptions,
): BootstrapResult {
  const { resamples, level, seed } = options;
  if (y.length !== pred.length) {
    throw new RangeError(
      `Cannot bootstrap errors: y and pred must have the same length, got ${y.length} and ${pred.length}`,
    );
  }
  if (!Number.isInteger(resamples) || resamples < 1) {
    throw new RangeError(
      `Cannot bootstrap errors: resamples must be an integer >= 1, got ${resamples}`,
    );
  }
  if (!(level > 0 && level < 1)) {
    throw new RangeError(`Cannot bootstrap errors: level must be in (0, 1), got ${level}`);
  }
  const err: number[] = [];
  for (let i = 0; i < y.length; i++) {
    const e = pred[i]! - y[i]!;
    if (Number.isFinite(e)) err.push(e);
  }
  const n = err.length;
  if (n === 0) {
    throw new RangeError("Cannot bootstrap errors: no row has a finite truth and prediction");
  }
  const e = Float64Array.from(err);
  let se = 0, ae = 0;
  for (const v of e) {
    se += v * v;
    ae += Math.abs(v);
  }
  const rng = new Pcg32(seed, 0x626f6f74);
  const rmse = new Float64Array(resamples), mae = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    let s2 = 0, s1 = 0;
    for (let k = 0; k < n; k++) {
      const v = e[Math.floor(rng.nextFloat() * n)]!;
      s2 += v * v;
      s1 += Math.abs(v);
    }
    rmse[b] = Math.sqrt(s2 / n);
    mae[b] = s1 / n;
  }
  const lo = (1 - level) / 2, hi = (1 + level) / 2;
  return {
    rmse: {
      estimate: Math.sqrt(se / n),
      lower: quantileSorted(rmse.sort(), lo),
      upper: quantileSorted(rmse, hi),
    },
    mae: {
      estimate: ae / n,
      lower: quantileSorted(mae.sort(), lo),
      upper: quantileSorted(mae, hi),
    },
    n,
    resamples,
    level,
    seed,
  };
}

/** Linear-interpolation quantile (numpy's default) of an ascending array. */
function quantileSorted(s: Float64Array, q: number): number {
  const h = (s.length - 1) * q;
  const i = Math.floor(h);
  const j = Math.min(i + 1, s.length - 1);
  return s[i]! + (h - i) * (s[j]! - s[i]!);
}

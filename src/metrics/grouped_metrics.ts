/** Regression metrics per group of rows (station, hour, month, season, PM2.5 band). */
import { type RegressionMetrics, regressionMetrics } from "./regression.ts";
import { groupRows } from "./groups.ts";

export interface GroupedMetricsOptions {
  /** Reference forecast (persistence) for the skill score. */
  reference?: ArrayLike<number>;
  /** Sort the groups by key (default true); otherwise first-seen order. */
  sort?: boolean;
}

export interface GroupMetrics<K> {
  group: K;
  metrics: RegressionMetrics;
}

/** One entry per distinct key; rows whose key is null are in no group. */
export function groupedMetrics<K extends string | number>(
  y: ArrayLike<number>,
  pred: ArrayLike<number>,
  keys: ArrayLike<K | null | undefined>,
  options: GroupedMetricsOptions = {},
): GroupMetrics<K>[] {
  if (y.length !== pred.length || keys.length !== y.length) {
    throw new RangeError(
      `Cannot group metrics: y, pred and keys must have one value per row, got ${y.length}, ${pred.length}, ${keys.length}`,
    );
  }
  const out: GroupMetrics<K>[] = [];
  for (const [group, idx] of groupRows(keys, { sort: options.sort ?? true })) {
    out.push({ group, metrics: regressionMetrics(y, pred, options.reference, idx) });
  }
  return out;
}

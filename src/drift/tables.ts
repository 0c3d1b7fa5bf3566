/**
 * The drift report's tables for the site, as Parquet columns: the timeline (one row per
 * month and feature, straight from the verdict's windows, so the chart and the headline
 * cannot disagree) and binned distributions per feature and source.
 * @module
 */

import type { Column as TableColumn } from "../data/write_columns.ts";
import { sortedNonMissing } from "./sort.ts";
import type { DriftVerdict, FeatureWindowVerdict } from "./verdict.ts";

/**
 * One row per (month, feature): the feature's state and its deciding check's figures, with
 * the month's dataset-level state beside them.
 */
export function timelineColumns(v: DriftVerdict): Record<string, TableColumn> {
  const cols = {
    month: [] as string[],
    feature: [] as string[],
    role: [] as string[],
    state: [] as string[],
    check: [] as string[],
    statistic: [] as string[],
    value: [] as number[],
    z: [] as number[],
    threshold: [] as number[],
    window_rows: [] as number[],
    window_state: [] as string[],
    window_drift_share: [] as number[],
    window_n_drift: [] as number[],
    window_n_tested: [] as number[],
  };
  for (const w of v.windows) {
    const rows: FeatureWindowVerdict[] = [
      ...w.features,
      ...(w.prediction ? [w.prediction] : []),
      ...(w.target ? [w.target] : []),
    ];
    for (const f of rows) {
      const c = f.checks.find((x) => x.check === f.decided_by);
      cols.month.push(w.window);
      cols.feature.push(f.feature);
      cols.role.push(f.role);
      cols.state.push(f.state);
      cols.check.push(c?.check ?? "");
      cols.statistic.push(c?.statistic ?? "");
      cols.value.push(c?.value ?? NaN);
      cols.z.push(c?.z ?? NaN);
      cols.threshold.push(c?.threshold === null || !c ? NaN : Math.max(c.threshold, c.min_effect));
      cols.window_rows.push(w.rows);
      cols.window_state.push(w.state);
      cols.window_drift_share.push(w.drift_share ?? NaN);
      cols.window_n_drift.push(w.n_drift);
      cols.window_n_tested.push(w.n_tested);
    }
  }
  const str = (values: string[]): TableColumn => ({ type: "string", values });
  const dbl = (values: number[]): TableColumn => ({ type: "double", values });
  const int = (values: number[]): TableColumn => ({ type: "int", values });
  return {
    month: str(cols.month),
    feature: str(cols.feature),
    role: str(cols.role),
    state: str(cols.state),
    check: str(cols.check),
    statistic: str(cols.statistic),
    value: dbl(cols.value),
    z: dbl(cols.z),
    threshold: dbl(cols.threshold),
    window_rows: int(cols.window_rows),
    window_state: str(cols.window_state),
    window_drift_share: dbl(cols.window_drift_share),
    window_n_drift: int(cols.window_n_drift),
    window_n_tested: int(cols.window_n_tested),
  };
}

/** One source of the distribution table: named columns, optionally restricted to rows. */
export interface DistributionSource {
  name: string;
  columns: Record<string, ArrayLike<number> | null | undefined>;
  rows: ArrayLike<number> | null;
}

/**
 * Histograms: one row per (feature, source, bin). Numeric columns get `bins` equal bins
 * between the first source's 1st and 99th percentiles (values beyond fall in the end bins);
 * `discrete` columns one bin per value.
 */
export function distributionColumns(
  names: readonly string[],
  discrete: ReadonlySet<string>,
  bins: number,
  sources: readonly DistributionSource[],
): Record<string, TableColumn> {
  const feature: string[] = [], source: string[] = [], bin: number[] = [];
  const lo: number[] = [], hi: number[] = [], count: number[] = [];
  const column = (s: DistributionSource, name: string): ArrayLike<number> | null => {
    const col = s.columns[name];
    if (!col) return null;
    if (!s.rows) return col;
    return Float64Array.from(s.rows, (i) => col[i]!);
  };
  for (const name of names) {
    const first = sources[0] ? column(sources[0], name) : null;
    if (!first) continue;
    const isDiscrete = discrete.has(name);
    const sorted = sortedNonMissing(first);
    const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
    const a = sorted.length ? q(0.01) : NaN;
    const b = sorted.length ? q(0.99) : NaN;
    const width = !isDiscrete && b > a ? (b - a) / bins : 0;
    for (const s of sources) {
      const col = column(s, name);
      if (!col) continue;
      for (const [k, n] of isDiscrete ? valueCounts(col) : binCounts(col, a, width, bins)) {
        feature.push(name);
        source.push(s.name);
        bin.push(k);
        lo.push(isDiscrete ? k : width > 0 ? a + k * width : a);
        hi.push(isDiscrete ? k : width > 0 ? a + (k + 1) * width : a);
        count.push(n);
      }
    }
  }
  return {
    feature: { type: "string", values: feature },
    source: { type: "string", values: source },
    bin: { type: "int", values: bin },
    lo: { type: "double", values: lo },
    hi: { type: "double", values: hi },
    count: { type: "int", values: count },
  };
}

/** Rows per rounded value, ascending. */
function valueCounts(col: ArrayLike<number>): [number, number][] {
  const counts = new Map<number, number>();
  for (let i = 0; i < col.length; i++) {
    const v = col[i]!;
    if (Number.isFinite(v)) counts.set(Math.round(v), (counts.get(Math.round(v)) ?? 0) + 1);
  }
  return [...counts].sort((x, y) => x[0] - y[0]);
}

/** Rows per equal bin from `a` (the end bins take what lies beyond), the empty ones left out. */
function binCounts(col: ArrayLike<number>, a: number, width: number, bins: number) {
  // A typed array, not a Map: a million rows per source and column.
  const counts = new Float64Array(width > 0 ? bins : 1);
  for (let i = 0; i < col.length; i++) {
    const v = col[i]!;
    if (!Number.isFinite(v)) continue;
    counts[width > 0 ? Math.min(bins - 1, Math.max(0, Math.floor((v - a) / width))) : 0]!++;
  }
  const out: [number, number][] = [];
  for (let k = 0; k < counts.length; k++) if (counts[k]! > 0) out.push([k, counts[k]!]);
  return out;
}

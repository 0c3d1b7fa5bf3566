/**
 * The three statistics the verdict checks on each feature, for a set of rows (a month of the
 * current data, or a month of the reference held out from the rest):
 *
 * - distribution: normed Wasserstein distance (W1 / std of the comparison rows, Evidently's
 *   statistic, scipy's `wasserstein_distance`; the std floored at a quarter of the
 *   feature's whole-reference std) for numbers; base-2 Jensen-Shannon distance of
 *   the category shares (scipy's `jensenshannon`) for categories and numbers with few values;
 * - missing: |missing share of the rows - missing share of the comparison rows|;
 * - stuck: the largest share of one station's rows that sit in runs of at least `runLength`
 *   identical, non-zero values in time order (a frozen sensor), numbers only.
 * @module
 */

import { jensenShannonDistance } from "./categorical.ts";
import { wassersteinSorted } from "./wasserstein.ts";
import {
  categoricalComparison,
  type CategoricalIndex,
  type ColumnIndex,
  MANY_VALUES,
  numericComparison,
  sortedValuesOf,
} from "./reference_index.ts";

/**
 * The checks, by what they look at: the feature's own values (distribution, missing,
 * stuck), or its agreement with the other stations and with a physically bound partner at
 * the same hours (cross_station, bound: consistency.ts).
 */
export type CheckName = "distribution" | "missing" | "stuck" | "cross_station" | "bound";

/** The checks computed by {@link checkValues} on one column. */
export type ColumnCheck = "distribution" | "missing" | "stuck";

/** The statistic of a check. */
export type StatisticName =
  | "normed_wasserstein"
  | "jensen_shannon"
  | "missing_share_change"
  | "stuck_share"
  | "station_residual_shift"
  | "bound_margin_shift";

/**
 * One column's values for some rows: numbers (NaN = missing) for a numeric index, category
 * codes (-1 = missing; codes past the reference's categories are unseen ones) otherwise.
 */
export interface ColumnValues {
  numbers: ArrayLike<number> | null;
  codes: Int32Array | null;
  /** Categories seen only in these values (codes from the reference's count up). */
  unseen: string[];
}

/** Options of the checks. */
export interface CheckOptions {
  /** Fewest non-missing values on each side for the distribution check (default 5). */
  minSampleSize: number;
  /** Std floor of the normed Wasserstein distance (default 0.001, Evidently). */
  stdFloor: number;
  /** Shortest run of one repeated value counted as stuck. */
  runLength: number;
}

/** The statistics of one column on a set of rows; null where a check cannot run. */
export interface CheckValues {
  distribution: number | null;
  missing: number | null;
  stuck: number | null;
  /** Non-missing values used by the distribution check on each side. */
  nRows: number;
  nComparison: number;
}

/**
 * The normed Wasserstein distance divides by the std of the comparison rows (a season), but
 * never by less than this share of the feature's std over the whole reference: rain in a
 * dry month has almost no spread, and one shower would otherwise read as an enormous shift.
 */
export const SEASON_SCALE_FLOOR = 0.25;

/** The statistic each check reports for a column index. */
export function statisticOf(check: CheckName, col: ColumnIndex): StatisticName {
  if (check === "missing") return "missing_share_change";
  if (check === "stuck") return "stuck_share";
  if (check === "cross_station") return "station_residual_shift";
  if (check === "bound") return "bound_margin_shift";
  return col.kind === "numeric" ? "normed_wasserstein" : "jensen_shannon";
}

/** The checks a column gets: stuck runs only for measurements with many distinct values. */
export function checksOf(
  col: ColumnIndex,
  role: "feature" | "prediction" | "target",
): ColumnCheck[] {
  if (role !== "feature") return ["distribution"];
  return col.kind === "numeric" && col.distinct >= MANY_VALUES
    ? ["distribution", "missing", "stuck"]
    : ["distribution", "missing"];
}

/**
 * Statistics of `rows` (indices into `values`, in group-then-time order) against the
 * reference rows of season `keys` minus the reference rows `exclude`. `stuckRows` (a
 * superset of `rows` in the same order, e.g. before thinning) is where runs are counted;
 * `groupOf` gives the group of an index of `values`.
 */
export function checkValues(
  col: ColumnIndex,
  values: ColumnValues,
  rows: Int32Array,
  stuck: { rows: Int32Array; groupOf: Int32Array } | null,
  comparison: {
    keys: readonly number[];
    exclude: Int32Array | null;
    /** Sorted values of `exclude` when the caller has them (numeric columns). */
    excludeSorted?: { sorted: Float64Array; missing: number };
    /** Sorted values of `rows` when the caller has them (numeric columns). */
    rowsSorted?: { sorted: Float64Array; missing: number };
  },
  options: CheckOptions,
): CheckValues {
  if (col.kind === "numeric") {
    const nums = values.numbers!;
    const comp = numericComparison(
      col,
      comparison.keys,
      comparison.exclude,
      comparison.excludeSorted,
    );
    // A month of the reference judged whole is its own exclusion: one sort serves both.
    const cur = comparison.rowsSorted ??
      (comparison.exclude === rows && comparison.excludeSorted
        ? comparison.excludeSorted
        : sortedValuesOf(nums, rows));
    const n = cur.sorted.length;
    const ok = n >= options.minSampleSize && comp.sorted.length >= options.minSampleSize;
    return {
      distribution: ok
        ? wassersteinSorted(comp.sorted, cur.sorted) /
          Math.max(stdOf(comp.sorted), options.stdFloor, SEASON_SCALE_FLOOR * col.scale)
        : null,
      missing: rows.length >= options.minSampleSize
        ? missingChange(cur.missing, rows.length, comp.missing, comp.rows)
        : null,
      // Fewer rows than a run can hold say nothing about stuck values.
      stuck: stuck && stuck.rows.length >= options.runLength
        ? stuckShare(nums, stuck.rows, stuck.groupOf, options.runLength)
        : null,
      nRows: n,
      nComparison: comp.sorted.length,
    };
  }
  const comp = categoricalComparison(col, comparison.keys, comparison.exclude);
  const codes = values.codes!;
  const size = col.categories.length + values.unseen.length;
  const counts = new Float64Array(size);
  let missing = 0;
  for (const i of rows) {
    const c = codes[i]!;
    if (c < 0) missing++;
    else counts[c]!++;
  }
  const ref = new Float64Array(size);
  ref.set(comp.counts);
  const n = rows.length - missing;
  const nComparison = comp.rows - comp.missing;
  const ok = n >= options.minSampleSize && nComparison >= options.minSampleSize;
  return {
    distribution: ok ? jensenShannonDistance(ref, counts, 2) : null,
    missing: rows.length >= options.minSampleSize
      ? missingChange(missing, rows.length, comp.missing, comp.rows)
      : null,
    stuck: null,
    nRows: n,
    nComparison,
  };
}

/** Current values of a column in the index's terms (numbers, or codes of its categories). */
export function columnValues(col: ColumnIndex, raw: ArrayLike<number> | (string | null)[]) {
  if (col.kind === "numeric") {
    if (Array.isArray(raw)) {
      return {
        numbers: Float64Array.from(raw, (v) => (v === null || v === "" ? NaN : Number(v))),
        codes: null,
        unseen: [],
      };
    }
    return { numbers: raw as ArrayLike<number>, codes: null, unseen: [] };
  }
  return categoricalValues(col, raw);
}

function categoricalValues(
  col: CategoricalIndex,
  raw: ArrayLike<number> | (string | null)[],
): ColumnValues {
  const unseen = new Map<string, number>();
  const codes = new Int32Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const r = raw[i];
    const v = r === null || r === undefined || r === "" || (typeof r === "number" && r !== r)
      ? null
      : String(r);
    if (v === null) {
      codes[i] = -1;
      continue;
    }
    let c = col.codeOf.get(v);
    if (c === undefined) {
      c = unseen.get(v);
      if (c === undefined) unseen.set(v, c = col.categories.length + unseen.size);
    }
    codes[i] = c;
  }
  return { numbers: null, codes, unseen: [...unseen.keys()] };
}

function missingChange(
  missing: number,
  rows: number,
  compMissing: number,
  compRows: number,
): number | null {
  if (rows === 0 || compRows === 0) return null;
  return Math.abs(missing / rows - compMissing / compRows);
}

/** Population standard deviation of a sample (two-pass). */
function stdOf(a: Float64Array): number {
  let mean = 0;
  for (let i = 0; i < a.length; i++) mean += a[i]!;
  mean /= a.length;
  let ss = 0;
  for (let i = 0; i < a.length; i++) ss += (a[i]! - mean) ** 2;
  return Math.sqrt(ss / a.length);
}

/**
 * The largest share of one group's rows (one station's) lying in runs of at least
 * `runLength` equal non-missing, non-zero values (consecutive rows of the group, which
 * `rows` lists group by group in time order). A frozen sensor is one station's: its share
 * of that station's rows does not shrink as more stations join the batch. Zero is left
 * out: a dry hour's RAIN, a calm hour's wind.
 */
export function stuckShare(
  values: ArrayLike<number>,
  rows: Int32Array,
  groupOf: Int32Array,
  runLength: number,
): number | null {
  if (rows.length === 0) return null;
  let worst = 0;
  let stuck = 0;
  let size = 0;
  let run = 0;
  let prev = NaN;
  let prevGroup = -1;
  for (let k = 0; k < rows.length; k++) {
    const i = rows[k]!;
    const v = values[i]!;
    const g = groupOf[i]!;
    if (k > 0 && g !== prevGroup) {
      // The previous group is complete.
      if (run >= runLength) stuck += run;
      if (size >= runLength) worst = Math.max(worst, stuck / size);
      stuck = 0;
      size = 0;
      run = 0;
      prev = NaN;
    }
    if (run > 0 && v === prev && v === v && v !== 0) run++;
    else {
      if (run >= runLength) stuck += run;
      run = 1;
    }
    size++;
    prev = v;
    prevGroup = g;
  }
  if (run >= runLength) stuck += run;
  if (size >= runLength) worst = Math.max(worst, stuck / size);
  return worst;
}

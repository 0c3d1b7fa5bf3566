/**
 * The reference, indexed once for many comparisons: each tested column sorted (or counted)
 * per season key, so that "the training rows of these months, minus these rows" costs a
 * merge instead of a sort. The endpoint keeps one index per model; the drift stage and the
 * calibration benchmark one per reference.
 * @module
 */

import type { Column } from "./report.ts";
import { type SeasonKey, seasonOf } from "./seasonal.ts";
import { DEFAULT_SELECT_OPTIONS, type FeatureKind } from "./select.ts";
import { checkSample, dayOrdinal, type DriftSample, monthOrdinal } from "./sample.ts";
import { sortFloat64 } from "./sort.ts";

/** Per season key: the column's non-missing values sorted, and row counts. */
interface NumericKey {
  sorted: Float64Array;
  rows: number;
  missing: number;
}

/** A numeric column of the reference. */
export interface NumericIndex {
  kind: "numeric";
  values: Float64Array;
  /** Distinct non-missing values, counted up to {@link MANY_VALUES}. */
  distinct: number;
  /** Population std of every non-missing value (all seasons). */
  scale: number;
  byKey: Map<number, NumericKey>;
  merged: Map<string, Float64Array>;
  /** Sorted values of row sets used again and again (reference months, pieces). */
  sortedRows: WeakMap<Int32Array, { sorted: Float64Array; missing: number }>;
}

/** A categorical column (or a numeric one with few distinct values) of the reference. */
export interface CategoricalIndex {
  kind: "categorical";
  /** Category code per row, -1 when missing. */
  codes: Int32Array;
  categories: string[];
  codeOf: Map<string, number>;
  byKey: Map<number, { counts: Float64Array; rows: number; missing: number }>;
  /** The column holds numbers (tested as categories for having few distinct values). */
  numeric: boolean;
}

export type ColumnIndex = NumericIndex | CategoricalIndex;

/** The indexed reference. */
export interface ReferenceIndex {
  rows: number;
  times: Float64Array;
  season: SeasonKey | null;
  /** Season key per row (0 for every row without a season). */
  seasonKey: Int16Array;
  /** Month ordinal per row (year × 12 + month - 1). */
  month: Int32Array;
  /** Day ordinal per row. */
  day: Int32Array;
  /** Group id per row (0 when the sample has no groups). */
  group: Int32Array;
  groupIds: Map<string, number>;
  /** Row numbers sorted by group, then time. */
  order: Int32Array;
  /** Season keys present, ascending, and the rows of each. */
  keys: number[];
  keyRows: Map<number, number>;
  columns: Map<string, ColumnIndex>;
  /** Memo of null distributions (see null_draws.ts), keyed by their settings. */
  memo: Map<string, unknown>;
}

/** Options of {@link indexReference}. */
export interface IndexOptions {
  /** Columns to index (default: every column of the sample). */
  features?: readonly string[];
  /** Kind per column; default from its type (typed arrays numeric, strings categorical). */
  kinds?: Record<string, FeatureKind>;
  /** "month" (default), "hour", or null for no seasonal restriction. */
  season?: SeasonKey | null;
  /** Numeric columns with at most this many distinct values are tested as categories (5). */
  lowCardinalityMax?: number;
  /** Columns never tested (calendar, identity): not indexed. */
  skip?: Record<string, unknown>;
}

/**
 * A column with at least this many distinct values is a measurement whose runs of one
 * repeated value can mean a stuck sensor; with fewer (a 16-point wind direction's sine,
 * say) long runs are ordinary.
 */
export const MANY_VALUES = 50;

/** Names under which the prediction and target columns are indexed. */
export const PREDICTION = "prediction";
export const TARGET_COLUMN = "target";

/** Index a reference sample (see the module docs). */
export function indexReference(sample: DriftSample, options: IndexOptions = {}): ReferenceIndex {
  checkSample(sample, "reference");
  const n = sample.times.length;
  const season = options.season === undefined ? "month" : options.season;
  const times = Float64Array.from(sample.times);
  const seasonKey = new Int16Array(n);
  const month = new Int32Array(n);
  const day = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const t = times[i]!;
    seasonKey[i] = season ? seasonOf(t, season) : 0;
    month[i] = monthOrdinal(t);
    day[i] = dayOrdinal(t);
  }
  const { group, ids: groupIds } = groupCodes(sample.groups ?? null, n, new Map());
  const order = timeOrder(group, times);
  const keyRows = new Map<number, number>();
  for (const k of seasonKey) keyRows.set(k, (keyRows.get(k) ?? 0) + 1);
  const keys = [...keyRows.keys()].sort((a, b) => a - b);
  const columns = new Map<string, ColumnIndex>();
  const names = options.features ?? Object.keys(sample.columns);
  const lowCard = options.lowCardinalityMax ?? DEFAULT_SELECT_OPTIONS.lowCardinalityMax;
  const add = (name: string, col: Column | null | undefined, kind?: FeatureKind) => {
    if (!col) return;
    columns.set(name, indexColumn(col, kind ?? kindOfColumn(col), seasonKey, lowCard));
  };
  for (const name of names) {
    if (!options.skip?.[name]) add(name, sample.columns[name], options.kinds?.[name]);
  }
  add(PREDICTION, sample.prediction, "numeric");
  add(TARGET_COLUMN, sample.target, "numeric");
  return {
    rows: n,
    times,
    season,
    seasonKey,
    month,
    day,
    group,
    groupIds,
    order,
    keys,
    keyRows,
    columns,
    memo: new Map(),
  };
}

/** Kind of a column from its type. */
export function kindOfColumn(col: Column): FeatureKind {
  return Array.isArray(col) ? "categorical" : "numeric";
}

/** Group ids of a sample's groups, extending `ids` with groups not seen before. */
export function groupCodes(
  groups: ArrayLike<string | number> | null,
  n: number,
  ids: Map<string, number>,
): { group: Int32Array; ids: Map<string, number> } {
  const group = new Int32Array(n);
  if (!groups) return { group, ids };
  for (let i = 0; i < n; i++) {
    const k = String(groups[i]);
    let id = ids.get(k);
    if (id === undefined) ids.set(k, id = ids.size);
    group[i] = id;
  }
  return { group, ids };
}

/** Row numbers sorted by group, then time. */
export function timeOrder(group: Int32Array, times: ArrayLike<number>): Int32Array {
  const idx = Int32Array.from({ length: group.length }, (_, i) => i);
  return idx.sort((a, b) => group[a]! - group[b]! || times[a]! - times[b]!);
}

function indexColumn(
  col: Column,
  kind: FeatureKind,
  seasonKey: Int16Array,
  lowCardinalityMax: number,
): ColumnIndex {
  if (kind === "numeric" && !Array.isArray(col)) {
    const values = Float64Array.from(col);
    const distinct = distinctUpTo(values, Math.max(MANY_VALUES, lowCardinalityMax + 1));
    if (distinct > lowCardinalityMax) return numericIndex(values, seasonKey, distinct);
    return categoricalIndex(
      Array.from(values, (v) => (Number.isNaN(v) ? null : String(v))),
      seasonKey,
      true,
    );
  }
  const strings = Array.isArray(col)
    ? col
    : Array.from(col, (v) => (Number.isNaN(v) ? null : String(v)));
  return categoricalIndex(strings, seasonKey, !Array.isArray(col));
}

function distinctUpTo(values: Float64Array, cap: number): number {
  const seen = new Set<number>();
  for (const v of values) {
    if (v === v) seen.add(v);
    if (seen.size >= cap) break;
  }
  return seen.size;
}

/** A numeric column indexed by season key (also for derived columns: a bound's margin). */
export function numericIndex(
  values: Float64Array,
  seasonKey: Int16Array,
  distinct: number,
): NumericIndex {
  // Counting sort by season key into one buffer, then one typed sort per key's segment.
  const rows = new Map<number, number>();
  const present = new Map<number, number>();
  for (let i = 0; i < values.length; i++) {
    const k = seasonKey[i]!;
    rows.set(k, (rows.get(k) ?? 0) + 1);
    if (values[i] === values[i]) present.set(k, (present.get(k) ?? 0) + 1);
  }
  const keys = [...rows.keys()].sort((a, b) => a - b);
  const buffer = new Float64Array([...present.values()].reduce((a, b) => a + b, 0));
  const at = new Map<number, number>();
  let offset = 0;
  for (const k of keys) {
    at.set(k, offset);
    offset += present.get(k) ?? 0;
  }
  const fill = new Map(at);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v !== v) continue;
    const k = seasonKey[i]!;
    const j = fill.get(k)!;
    buffer[j] = v;
    fill.set(k, j + 1);
  }
  const byKey = new Map<number, NumericKey>();
  for (const k of keys) {
    const from = at.get(k)!;
    const n = present.get(k) ?? 0;
    byKey.set(k, {
      sorted: sortFloat64(buffer.subarray(from, from + n)),
      rows: rows.get(k)!,
      missing: rows.get(k)! - n,
    });
  }
  let mean = 0;
  for (const v of buffer) mean += v;
  mean /= buffer.length || 1;
  let ss = 0;
  for (const v of buffer) ss += (v - mean) ** 2;
  const scale = Math.sqrt(ss / (buffer.length || 1));
  return {
    kind: "numeric",
    values,
    distinct,
    scale,
    byKey,
    merged: new Map(),
    sortedRows: new WeakMap(),
  };
}

function categoricalIndex(
  values: (string | null)[],
  seasonKey: Int16Array,
  numeric: boolean,
): CategoricalIndex {
  const codeOf = new Map<string, number>();
  const codes = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined || v === "") {
      codes[i] = -1;
      continue;
    }
    let c = codeOf.get(v);
    if (c === undefined) codeOf.set(v, c = codeOf.size);
    codes[i] = c;
  }
  const byKey = new Map<number, { counts: Float64Array; rows: number; missing: number }>();
  for (let i = 0; i < codes.length; i++) {
    const k = seasonKey[i]!;
    let e = byKey.get(k);
    if (!e) byKey.set(k, e = { counts: new Float64Array(codeOf.size), rows: 0, missing: 0 });
    e.rows++;
    const c = codes[i]!;
    if (c < 0) e.missing++;
    else e.counts[c]!++;
  }
  return { kind: "categorical", codes, categories: [...codeOf.keys()], codeOf, byKey, numeric };
}

/** Sorted non-missing values of `rows` of a numeric column, and how many were missing. */
export function sortedValuesOf(
  values: ArrayLike<number>,
  rows: Int32Array,
): { sorted: Float64Array; missing: number } {
  const out = new Float64Array(rows.length);
  let n = 0;
  for (const i of rows) {
    const v = values[i]!;
    if (v === v) out[n++] = v;
  }
  return { sorted: sortFloat64(out.subarray(0, n)), missing: rows.length - n };
}

/** {@link sortedValuesOf} for reference rows, kept per row set (months come back often). */
export function sortedRowsOf(
  col: NumericIndex,
  rows: Int32Array,
): { sorted: Float64Array; missing: number } {
  let hit = col.sortedRows.get(rows);
  if (!hit) col.sortedRows.set(rows, hit = sortedValuesOf(col.values, rows));
  return hit;
}

/**
 * The sorted non-missing values of the rows of `keys`, with row and missing counts, minus
 * the reference rows `exclude` (whose sorted values may be passed in `excludeSorted`).
 */
export function numericComparison(
  col: NumericIndex,
  keys: readonly number[],
  exclude: Int32Array | null,
  excludeSorted?: { sorted: Float64Array; missing: number },
): { sorted: Float64Array; rows: number; missing: number } {
  let rows = 0;
  let missing = 0;
  const parts: Float64Array[] = [];
  for (const k of keys) {
    const e = col.byKey.get(k);
    if (!e) continue;
    rows += e.rows;
    missing += e.missing;
    parts.push(e.sorted);
  }
  let sorted = parts.length === 1 ? parts[0]! : col.merged.get(keys.join(","));
  if (!sorted) {
    // Several season keys (an hour-of-day season, or the whole reference): merged once.
    sorted = new Float64Array(parts.reduce((s, p) => s + p.length, 0));
    let at = 0;
    for (const p of parts) {
      sorted.set(p, at);
      at += p.length;
    }
    sortFloat64(sorted);
    col.merged.set(keys.join(","), sorted);
  }
  if (!exclude || exclude.length === 0) return { sorted, rows, missing };
  const ex = excludeSorted ?? sortedRowsOf(col, exclude);
  return {
    sorted: subtractSorted(sorted, ex.sorted),
    rows: rows - exclude.length,
    missing: missing - ex.missing,
  };
}

/** Category counts of the rows of `keys`, with row and missing counts. */
export function categoricalComparison(
  col: CategoricalIndex,
  keys: readonly number[],
  exclude: Int32Array | null,
): { counts: Float64Array; rows: number; missing: number } {
  const counts = new Float64Array(col.categories.length);
  let rows = 0;
  let missing = 0;
  for (const k of keys) {
    const e = col.byKey.get(k);
    if (!e) continue;
    rows += e.rows;
    missing += e.missing;
    for (let c = 0; c < counts.length; c++) counts[c]! += e.counts[c]!;
  }
  if (exclude) {
    for (const i of exclude) {
      const c = col.codes[i]!;
      if (c < 0) missing--;
      else counts[c]!--;
    }
    rows -= exclude.length;
  }
  return { counts, rows, missing };
}

/**
 * `base` without the values of `sub` (both ascending; each value of `sub` removed once).
 * Values of `sub` absent from `base` are ignored.
 */
export function subtractSorted(base: Float64Array, sub: Float64Array): Float64Array {
  const out = new Float64Array(base.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < base.length) {
    while (j < sub.length && sub[j]! < base[i]!) j++;
    if (j < sub.length && sub[j] === base[i]) {
      i++;
      j++;
    } else out[k++] = base[i++]!;
  }
  return out.subarray(0, k);
}

/**
 * What the drift verdict compares: a sample of rows with their times (and, where rows come
 * from several stations, each row's station), plus calendar helpers. Timestamps are epoch
 * milliseconds whose UTC fields carry the local clock, as the pipeline's `time` column.
 * @module
 */

import type { Column, Columns } from "./report.ts";
import type { FeatureKind } from "./select.ts";

/** Rows to compare: feature columns, times, and optionally groups, predictions and labels. */
export interface DriftSample {
  /** Feature columns: numbers (NaN = missing) or strings (null or "" = missing). */
  columns: Columns;
  /** Epoch ms of each row. */
  times: ArrayLike<number>;
  /**
   * The station (or other series) of each row. Runs of repeated values are counted within a
   * group, in time order, and a current row equal in time and group to a reference row is
   * left out of the reference. Without groups, all rows form one series.
   */
  groups?: ArrayLike<string | number> | null;
  /** The model's prediction for each row (prediction drift). */
  prediction?: Column | null;
  /** The label of each row, NaN where unknown (target drift). */
  target?: Column | null;
}

/**
 * Features whose distribution is set by which rows were taken, not by the process that made
 * them: they are listed in the verdict with the reason and never tested.
 */
export type SkipRole = "calendar" | "identity";

/** How a column is tested: its kind, or the reason it is not. */
export interface FeatureTreatment {
  kind: FeatureKind;
  skip: SkipRole | null;
}

/** Calendar month of a timestamp as a running number (year × 12 + month - 1). */
export function monthOrdinal(timeMs: number): number {
  const d = new Date(timeMs);
  return d.getUTCFullYear() * 12 + d.getUTCMonth();
}

/** "YYYY-MM" of a month ordinal. */
export function monthLabel(ordinal: number): string {
  const y = Math.floor(ordinal / 12);
  const m = ordinal - y * 12 + 1;
  return `${String(y).padStart(4, "0")}-${String(m).padStart(2, "0")}`;
}

/** Whole days since the epoch (UTC fields). */
export function dayOrdinal(timeMs: number): number {
  return Math.floor(timeMs / 86_400_000);
}

/** Days in the calendar month of a month ordinal. */
export function daysInMonth(ordinal: number): number {
  const y = Math.floor(ordinal / 12);
  const m = ordinal - y * 12;
  return new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
}

/** Number of rows of a sample (its longest column, or its times). */
export function sampleRows(s: DriftSample): number {
  return s.times.length;
}

/** Checks that every column of a sample has one value per timestamp. */
export function checkSample(s: DriftSample, name: string): void {
  const n = s.times.length;
  const bad = (what: string, len: number) =>
    new RangeError(
      `Cannot compare the ${name} sample: expected ${n} values in ${what} (one per timestamp), got ${len}`,
    );
  for (const [k, col] of Object.entries(s.columns)) {
    if (col.length !== n) throw bad(`"${k}"`, col.length);
  }
  if (s.groups && s.groups.length !== n) throw bad("groups", s.groups.length);
  if (s.prediction && s.prediction.length !== n) throw bad("prediction", s.prediction.length);
  if (s.target && s.target.length !== n) throw bad("target", s.target.length);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(s.times[i]!)) {
      throw new RangeError(
        `Cannot compare the ${name} sample: expected epoch ms at row ${i}, got ${s.times[i]}`,
      );
    }
  }
}

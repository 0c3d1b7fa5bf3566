/**
 * Seasonal reference: compare a current batch with the reference rows of the same calendar
 * months (default) or hours of day, so that winter heating or a diurnal cycle is not
 * mistaken for drift. Timestamps are epoch milliseconds read in UTC (the pipeline's
 * hourly grid is in UTC); pass shifted times for local calendars.
 *
 * The study's default is the seasonal verdict; the whole-year verdict is kept beside it.
 * @module
 */

import { type Columns, type DriftReport, driftReport, type DriftReportOptions } from "./report.ts";

/** Which calendar key defines "the same season". */
export type SeasonKey = "month" | "hour";

/** Calendar key of a timestamp: month 1-12 or hour 0-23 (UTC). */
export function seasonOf(timeMs: number, by: SeasonKey): number {
  const d = new Date(timeMs);
  return by === "month" ? d.getUTCMonth() + 1 : d.getUTCHours();
}

/** Indices of the reference rows whose month (or hour) occurs among the current rows. */
export function seasonalIndices(
  referenceTimes: ArrayLike<number>,
  currentTimes: ArrayLike<number>,
  by: SeasonKey = "month",
): { indices: Uint32Array; keys: number[] } {
  const keys = new Set<number>();
  for (let i = 0; i < currentTimes.length; i++) {
    const t = currentTimes[i]!;
    if (!Number.isFinite(t)) {
      throw new RangeError(
        `Cannot read current timestamp at row ${i}: expected epoch ms, got ${t}`,
      );
    }
    keys.add(seasonOf(t, by));
  }
  const idx: number[] = [];
  for (let i = 0; i < referenceTimes.length; i++) {
    const t = referenceTimes[i]!;
    if (Number.isFinite(t) && keys.has(seasonOf(t, by))) idx.push(i);
  }
  return { indices: Uint32Array.from(idx), keys: [...keys].sort((a, b) => a - b) };
}

/** The rows `indices` of every column. */
export function selectRows(columns: Columns, indices: ArrayLike<number>): Columns {
  const out: Columns = {};
  for (const [name, col] of Object.entries(columns)) {
    if (Array.isArray(col)) {
      out[name] = Array.from(indices, (i) => col[i] ?? null);
    } else {
      const typed = col instanceof Float32Array
        ? new Float32Array(indices.length)
        : new Float64Array(indices.length);
      for (let k = 0; k < indices.length; k++) typed[k] = col[indices[k]!]!;
      out[name] = typed;
    }
  }
  return out;
}

/** Options of {@link seasonalDriftReport}. */
export interface SeasonalReportOptions extends DriftReportOptions {
  /** Timestamps (epoch ms) of the reference rows. */
  referenceTimes: ArrayLike<number>;
  /** Timestamps (epoch ms) of the current rows. */
  currentTimes: ArrayLike<number>;
  /** "month" (default) or "hour". */
  by?: SeasonKey;
}

/** Both verdicts: against the whole reference and against its same-season rows. */
export interface SeasonalDriftReport {
  by: SeasonKey;
  /** Months (1-12) or hours (0-23) present in the current batch. */
  keys: number[];
  /** Reference rows of those months/hours. */
  nSeasonalReference: number;
  /** The study's default verdict. */
  seasonal: DriftReport;
  wholeYear: DriftReport;
}

/** Drift report against the seasonal reference, with the whole-year report beside it. */
export function seasonalDriftReport(
  reference: Columns,
  current: Columns,
  options: SeasonalReportOptions,
): SeasonalDriftReport {
  const by = options.by ?? "month";
  const { referenceTimes, currentTimes, by: _by, ...reportOptions } = options;
  const { indices, keys } = seasonalIndices(referenceTimes, currentTimes, by);
  const seasonalRef = selectRows(reference, indices);
  const extra = reportOptions.extra;
  const seasonalExtra = extra
    ? Object.fromEntries(
      Object.entries(extra).map((
        [k, e],
      ) => [k, { ...e, reference: selectRows({ x: e.reference }, indices).x! }]),
    )
    : undefined;
  const seasonal = driftReport(seasonalRef, current, { ...reportOptions, extra: seasonalExtra });
  if (indices.length === 0) {
    seasonal.notes.push(
      `No reference rows in ${by === "month" ? "months" : "hours"} ${
        keys.join(", ")
      }: seasonal verdict unavailable`,
    );
  }
  return {
    by,
    keys,
    nSeasonalReference: indices.length,
    seasonal,
    wholeYear: driftReport(reference, current, reportOptions),
  };
}

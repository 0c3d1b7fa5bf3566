/**
 * Monthly drift timeline: current rows grouped by calendar month (UTC, "YYYY-MM"), one drift
 * report per month, flattened into rows for a chart, plus the monthly drifted share.
 * @module
 */

import { type Columns, driftReport, type DriftReportOptions } from "./report.ts";
import { seasonalIndices, selectRows } from "./seasonal.ts";
import type { DriftTest } from "./select.ts";

/** One (month, feature) cell of the timeline. */
export interface TimelineRow {
  month: string;
  feature: string;
  test: DriftTest | null;
  statistic: number | null;
  drifted: boolean;
}

/** One month's dataset-level summary. */
export interface TimelineMonth {
  month: string;
  nRows: number;
  nTested: number;
  nDrifted: number;
  driftShare: number | null;
  datasetDrift: boolean;
}

/** Options of {@link driftTimeline}. */
export interface TimelineOptions extends DriftReportOptions {
  /** Timestamps (epoch ms) of the current rows. */
  currentTimes: ArrayLike<number>;
  /**
   * With reference timestamps, each month is compared with the reference rows of the same
   * calendar month (the study's default); without, with the whole reference.
   */
  referenceTimes?: ArrayLike<number>;
}

/** Drift per calendar month of the current rows. */
export function driftTimeline(
  reference: Columns,
  current: Columns,
  options: TimelineOptions,
): { rows: TimelineRow[]; months: TimelineMonth[] } {
  const { currentTimes, referenceTimes, ...reportOptions } = options;
  const groups = new Map<string, number[]>();
  for (let i = 0; i < currentTimes.length; i++) {
    const t = currentTimes[i]!;
    if (!Number.isFinite(t)) {
      throw new RangeError(
        `Cannot read current timestamp at row ${i}: expected epoch ms, got ${t}`,
      );
    }
    const key = new Date(t).toISOString().slice(0, 7);
    let g = groups.get(key);
    if (!g) groups.set(key, g = []);
    g.push(i);
  }
  const rows: TimelineRow[] = [];
  const months: TimelineMonth[] = [];
  for (const month of [...groups.keys()].sort()) {
    const idx = groups.get(month)!;
    const cur = selectRows(current, idx);
    let ref = reference;
    if (referenceTimes) {
      const monthTimes = idx.map((i) => currentTimes[i]!);
      ref = selectRows(reference, seasonalIndices(referenceTimes, monthTimes, "month").indices);
    }
    const report = driftReport(ref, cur, reportOptions);
    for (const f of report.features) {
      rows.push({
        month,
        feature: f.feature,
        test: f.test,
        statistic: f.statistic,
        drifted: f.drifted,
      });
    }
    months.push({
      month,
      nRows: idx.length,
      nTested: report.nTested,
      nDrifted: report.nDrifted,
      driftShare: report.driftShare,
      datasetDrift: report.datasetDrift,
    });
  }
  return { rows, months };
}

/**
 * Seasonal reference: the reference rows of the same calendar months (default) or hours of
 * day as the current rows, so that winter heating or a diurnal cycle is not mistaken for
 * drift. Timestamps are epoch milliseconds whose UTC fields carry the local clock, as the
 * pipeline's time column.
 * @module
 */

import type { Columns } from "./report.ts";

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

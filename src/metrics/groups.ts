/**
 * Group keys for evaluation tables: meteorological season and the China AQI PM2.5 bands
 * (HJ 633-2012, 24 h breakpoints, applied to the TRUE value), plus `groupRows`, which turns
 * one key per row into the row indices of each group (a partition of the rows).
 */

/** Meteorological season of a calendar month (1-12): DJF, MAM, JJA, SON. */
export function season(month: number): "DJF" | "MAM" | "JJA" | "SON" {
  if (!Number.isInteger(month) || month < 1 || month > 12) {
    throw new RangeError(`Cannot name the season: month must be an integer in 1..12, got ${month}`);
  }
  if (month === 12 || month <= 2) return "DJF";
  if (month <= 5) return "MAM";
  if (month <= 8) return "JJA";
  return "SON";
}

/** Upper bounds (µg/m³) of the China AQI PM2.5 bands; the last band is open. */
export const PM25_BAND_EDGES = [35, 75, 115, 150, 250] as const;
export const PM25_BANDS = ["0-35", "35-75", "75-115", "115-150", "150-250", ">250"] as const;
export type Pm25Band = (typeof PM25_BANDS)[number];

/** The band of a concentration: [0, 35) is "0-35", ..., >= 250 is ">250"; null when missing. */
export function pm25Band(value: number): Pm25Band | null {
  if (!Number.isFinite(value)) return null;
  let k = 0;
  while (k < PM25_BAND_EDGES.length && value >= PM25_BAND_EDGES[k]!) k++;
  return PM25_BANDS[k]!;
}

/**
 * Row indices per key, keys in first-seen order (sorted when `sort` is set). A null or
 * undefined key leaves the row out of every group.
 */
export function groupRows<K extends string | number>(
  keys: ArrayLike<K | null | undefined>,
  options: { sort?: boolean } = {},
): Map<K, Uint32Array> {
  const lists = new Map<K, number[]>();
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    if (k === null || k === undefined) continue;
    let l = lists.get(k);
    if (!l) lists.set(k, l = []);
    l.push(i);
  }
  let entries = [...lists.entries()];
  if (options.sort) {
    entries = entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }
  return new Map(entries.map(([k, l]) => [k, Uint32Array.from(l)]));
}

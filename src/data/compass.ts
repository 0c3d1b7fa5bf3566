/**
 * The 16-point wind compass of the raw files: one table for ingest (SQL), the synthetic
 * generator, and the per-row feature derivation shared by pipeline, endpoint and browser.
 */

/** The 16-point compass, clockwise from north. */
export const COMPASS = [
  "N",
  "NNE",
  "NE",
  "ENE",
  "E",
  "ESE",
  "SE",
  "SSE",
  "S",
  "SSW",
  "SW",
  "WSW",
  "W",
  "WNW",
  "NW",
  "NNW",
] as const;

/** Degrees (meteorological, from north, clockwise) of a compass point; NaN when unknown. */
export function compassDegrees(wd: string | null | undefined): number {
  if (wd === null || wd === undefined) return NaN;
  const i = COMPASS.indexOf(wd.trim().toUpperCase() as typeof COMPASS[number]);
  return i < 0 ? NaN : i * 22.5;
}

/** SQL: compass text -> degrees, NULL when not a compass point (same table as above). */
export function compassSql(raw: string): string {
  return `CASE upper(${raw}) ${
    COMPASS.map((c, i) => `WHEN '${c}' THEN ${i * 22.5}`).join(" ")
  } END`;
}

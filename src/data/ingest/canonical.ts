/**
 * The canonical raw table every adapter produces: one row per station and hour, in
 * physical units (µg/m³ for all pollutants, °C, hPa, mm, m/s, degrees for wind direction).
 */
export const CANONICAL_NUMERIC = [
  "pm25",
  "pm10",
  "so2",
  "no2",
  "co",
  "o3",
  "temp",
  "pres",
  "dewp",
  "rain",
  "wspm",
  "wd_deg",
] as const;

export type CanonicalNumeric = typeof CANONICAL_NUMERIC[number];

/** Canonical column -> the feature-schema name it feeds (src/features/schema.ts). */
export const CANONICAL_TO_FEATURE: Record<Exclude<CanonicalNumeric, "wd_deg">, string> = {
  pm25: "PM2.5",
  pm10: "PM10",
  so2: "SO2",
  no2: "NO2",
  co: "CO",
  o3: "O3",
  temp: "TEMP",
  pres: "PRES",
  dewp: "DEWP",
  rain: "RAIN",
  wspm: "WSPM",
};

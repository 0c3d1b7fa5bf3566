import type { CanonicalNumeric } from "./canonical.ts";
import { compassSql } from "../compass.ts";
import { type OffHourRule, timeFromParts, timeFromText, type TimeSql } from "./times.ts";

/**
 * A raw-file layout. Columns are found by header name (any order). Each canonical column
 * is read from one source column (so a bad value is reported under the user's own column
 * name) and optionally converted to canonical units.
 */
export interface Adapter {
  name: string;
  description: string;
  /** Header names every file must have. */
  required: readonly string[];
  /** Header names used when present. */
  optional: readonly string[];
  /**
   * SQL for the hour of a line and the reason when it has none, from `raw(col)` = the text
   * of a column (NULL when absent or "NA"); see times.ts for the rules.
   */
  time(raw: (col: string) => string, offHour: OffHourRule): TimeSql;
  /** SQL for the station name; `file` is SQL for the file's base name without extension. */
  station(raw: (col: string) => string, file: string): string;
  numeric: Partial<
    Record<
      CanonicalNumeric,
      { column: string; convert?: (x: string) => string; text?: (raw: string) => string }
    >
  >;
  /** Extra numeric columns computed from converted ones (e.g. dew point from T and RH). */
  derived?: Partial<Record<CanonicalNumeric, (num: (col: string) => string) => string>>;
}

export const PRSA: Adapter = {
  name: "prsa",
  description:
    "UCI Beijing Multi-Site Air-Quality (PRSA): one CSV per station, year/month/day/hour columns",
  required: ["year", "month", "day", "hour", "PM2.5", "station"],
  optional: ["No", "PM10", "SO2", "NO2", "CO", "O3", "TEMP", "PRES", "DEWP", "RAIN", "wd", "WSPM"],
  time: (raw) =>
    timeFromParts({ year: raw("year"), month: raw("month"), day: raw("day"), hour: raw("hour") }),
  station: (raw) => `trim(${raw("station")})`,
  numeric: {
    pm25: { column: "PM2.5" },
    pm10: { column: "PM10" },
    so2: { column: "SO2" },
    no2: { column: "NO2" },
    co: { column: "CO" },
    o3: { column: "O3" },
    temp: { column: "TEMP" },
    pres: { column: "PRES" },
    dewp: { column: "DEWP" },
    rain: { column: "RAIN" },
    wspm: { column: "WSPM" },
    // PRSA gives a 16-point compass name; the check is that it is one.
    wd_deg: { column: "wd", text: (raw) => compassSql(raw) },
  },
};

/** Magnus formula (Alduchov & Eskridge 1996 constants): dew point from temperature and RH. */
const dewPointSql = (t: string, rh: string) =>
  `CASE WHEN ${rh} > 0 AND ${rh} <= 100 THEN (243.04 * (ln(${rh} / 100) + 17.625 * ${t} / (243.04 + ${t}))) /
    (17.625 - ln(${rh} / 100) - 17.625 * ${t} / (243.04 + ${t})) END`;

export const CPCB: Adapter = {
  name: "cpcb",
  description:
    "CPCB / Kaggle India: one CSV per station named by station id, 'From Date' and unit-suffixed headers such as 'PM2.5 (ug/m3)'",
  required: ["From Date", "PM2.5 (ug/m3)"],
  optional: [
    "To Date",
    "PM10 (ug/m3)",
    "SO2 (ug/m3)",
    "NO2 (ug/m3)",
    "CO (mg/m3)",
    "Ozone (ug/m3)",
    "AT (degree C)",
    "RH (%)",
    "BP (mmHg)",
    "RF (mm)",
    "WS (m/s)",
    "WD (deg)",
  ],
  time: (raw, offHour) => timeFromText(raw("From Date"), offHour, true),
  station: (_raw, file) => file,
  numeric: {
    pm25: { column: "PM2.5 (ug/m3)" },
    pm10: { column: "PM10 (ug/m3)" },
    so2: { column: "SO2 (ug/m3)" },
    no2: { column: "NO2 (ug/m3)" },
    co: { column: "CO (mg/m3)", convert: (x) => `(${x}) * 1000` },
    o3: { column: "Ozone (ug/m3)" },
    temp: { column: "AT (degree C)" },
    pres: { column: "BP (mmHg)", convert: (x) => `(${x}) * 1.333224` },
    rain: { column: "RF (mm)" },
    wspm: { column: "WS (m/s)" },
    wd_deg: { column: "WD (deg)" },
  },
  derived: { dewp: (num) => dewPointSql(num("AT (degree C)"), num("RH (%)")) },
};

/** The generic long table: one measurement a line. */
export const LONG_COLUMNS = ["station", "time", "variable", "value"] as const;

/** Variable names accepted in the long table, with their canonical column and unit factor. */
export const LONG_VARIABLES: Record<string, { to: CanonicalNumeric; factor?: number }> = {
  "pm25": { to: "pm25" },
  "pm2.5": { to: "pm25" },
  "pm10": { to: "pm10" },
  "so2": { to: "so2" },
  "no2": { to: "no2" },
  "co": { to: "co" },
  "co_mg": { to: "co", factor: 1000 },
  "o3": { to: "o3" },
  "temp": { to: "temp" },
  "pres": { to: "pres" },
  "dewp": { to: "dewp" },
  "rain": { to: "rain" },
  "wspm": { to: "wspm" },
  "ws": { to: "wspm" },
  "wd": { to: "wd_deg" },
  "wd_deg": { to: "wd_deg" },
};

export const ADAPTERS: Record<string, Adapter> = { prsa: PRSA, synth: PRSA, cpcb: CPCB };

/**
 * The feature schema of the standard task (DESIGN.md): the one list of model inputs,
 * in model order, with units. The `features` stage writes it, with observed ranges, to
 * `data/processed/features.schema.json`; the endpoint and the site read that file.
 */
export type FeatureKind = "numeric" | "categorical" | "cyclic";

export interface FeatureSpec {
  name: string;
  kind: FeatureKind;
  unit: string;
  description: string;
  /** Values that cannot be physical; an input outside is rejected, not flagged. */
  hardMin?: number;
  hardMax?: number;
}

export interface FeatureRange {
  min: number;
  max: number;
  p01: number;
  p99: number;
  missingShare: number;
}

export interface FeatureSchema {
  version: 1;
  target: { name: string; unit: string; horizonHours: number };
  features: (FeatureSpec & { observed?: FeatureRange })[];
  /** Station names in code order: `station_code` = index in this list. */
  stations: string[];
}

const conc = (name: string, description: string): FeatureSpec => ({
  name,
  kind: "numeric",
  unit: "µg/m³",
  description,
  hardMin: 0,
});

export const TARGET = "pm25_next";
export const LAGS = [1, 2, 3, 24] as const;
export const ROLL_HOURS = 24;

export const FEATURES: readonly FeatureSpec[] = [
  conc("PM2.5", "PM2.5 concentration now"),
  conc("PM10", "PM10 concentration now"),
  conc("SO2", "SO2 concentration now"),
  conc("NO2", "NO2 concentration now"),
  conc("CO", "CO concentration now"),
  conc("O3", "O3 concentration now"),
  {
    name: "TEMP",
    kind: "numeric",
    unit: "°C",
    description: "air temperature",
    hardMin: -60,
    hardMax: 60,
  },
  {
    name: "PRES",
    kind: "numeric",
    unit: "hPa",
    description: "air pressure",
    hardMin: 800,
    hardMax: 1100,
  },
  {
    name: "DEWP",
    kind: "numeric",
    unit: "°C",
    description: "dew point",
    hardMin: -70,
    hardMax: 40,
  },
  { name: "RAIN", kind: "numeric", unit: "mm", description: "precipitation this hour", hardMin: 0 },
  {
    name: "WSPM",
    kind: "numeric",
    unit: "m/s",
    description: "wind speed",
    hardMin: 0,
    hardMax: 75,
  },
  {
    name: "wd_sin",
    kind: "numeric",
    unit: "1",
    description: "wind direction, east component",
    hardMin: -1,
    hardMax: 1,
  },
  {
    name: "wd_cos",
    kind: "numeric",
    unit: "1",
    description: "wind direction, north component",
    hardMin: -1,
    hardMax: 1,
  },
  {
    name: "hour",
    kind: "cyclic",
    unit: "h",
    description: "hour of day, local time",
    hardMin: 0,
    hardMax: 23,
  },
  {
    name: "dow",
    kind: "cyclic",
    unit: "day",
    description: "day of week, Monday = 0",
    hardMin: 0,
    hardMax: 6,
  },
  {
    name: "month",
    kind: "cyclic",
    unit: "month",
    description: "calendar month",
    hardMin: 1,
    hardMax: 12,
  },
  {
    name: "station_code",
    kind: "categorical",
    unit: "code",
    description: "station, index into the schema's station list",
    hardMin: 0,
  },
  conc("pm25_lag1", "PM2.5 one hour before"),
  conc("pm25_lag2", "PM2.5 two hours before"),
  conc("pm25_lag3", "PM2.5 three hours before"),
  conc("pm25_lag24", "PM2.5 24 hours before"),
  conc("pm25_roll24", "mean PM2.5 over the last 24 hours (up to now)"),
];

export const FEATURE_NAMES: readonly string[] = FEATURES.map((f) => f.name);

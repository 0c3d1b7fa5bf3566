/**
 * Per-row feature derivation shared by the pipeline, the endpoint and the browser: wind
 * as a vector, calendar fields, station code. The pipeline evaluates the same definitions
 * in SQL (generated here from the same tables), so both paths agree.
 */
import { FEATURE_NAMES, type FeatureSchema, LAGS } from "./schema.ts";
import { CANONICAL_TO_FEATURE } from "../data/ingest/canonical.ts";
import { compassDegrees } from "../data/compass.ts";

export { COMPASS, compassDegrees, compassSql } from "../data/compass.ts";

/** Wind direction as (east, north) components of a unit vector: the model's wd_sin, wd_cos. */
export function windVector(degrees: number): [number, number] {
  if (!Number.isFinite(degrees)) return [NaN, NaN];
  const r = degrees * Math.PI / 180;
  return [Math.sin(r), Math.cos(r)];
}

/** SQL for the same vector, from a degrees expression. */
export function windVectorSql(deg: string): { sin: string; cos: string } {
  return { sin: `sin(radians(${deg}))`, cos: `cos(radians(${deg}))` };
}

/**
 * Calendar fields of a local timestamp (station local time, as the raw files give it).
 * `time` is "YYYY-MM-DDTHH:MM[:SS]" or a Date whose UTC fields carry the local time.
 */
export function calendar(time: string | Date): { hour: number; dow: number; month: number } {
  const d = typeof time === "string" ? parseLocal(time) : time;
  if (Number.isNaN(d.getTime())) {
    throw new RangeError(`Cannot read time: expected YYYY-MM-DDTHH:MM, got "${time}"`);
  }
  return { hour: d.getUTCHours(), dow: (d.getUTCDay() + 6) % 7, month: d.getUTCMonth() + 1 };
}

/** SQL for the same calendar fields of a TIMESTAMP column. */
export const calendarSql = (t: string) => ({
  hour: `hour(${t})`,
  dow: `(isodow(${t}) - 1)`,
  month: `month(${t})`,
});

function parseLocal(s: string): Date {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2})(?::(\d{2})(?::(\d{2}))?)?/.exec(s.trim());
  if (!m) return new Date(NaN);
  const d = new Date(Date.UTC(2000, 0, 1, +m[4]!, +(m[5] ?? 0), +(m[6] ?? 0)));
  // setUTCFullYear, not Date.UTC: Date.UTC reads years 0..99 as 1900..1999.
  d.setUTCFullYear(+m[1]!, +m[2]! - 1, +m[3]!);
  return d;
}

/** What a client gives for one row: the raw observations at time t and the PM2.5 history. */
export interface RawObservation {
  station: string;
  time: string;
  "PM2.5": number | null;
  PM10?: number | null;
  SO2?: number | null;
  NO2?: number | null;
  CO?: number | null;
  O3?: number | null;
  TEMP?: number | null;
  PRES?: number | null;
  DEWP?: number | null;
  RAIN?: number | null;
  WSPM?: number | null;
  /** Compass point ("NNW") or degrees. */
  wd?: string | number | null;
  pm25_lag1?: number | null;
  pm25_lag2?: number | null;
  pm25_lag3?: number | null;
  pm25_lag24?: number | null;
  pm25_roll24?: number | null;
}

/** The numeric fields of a raw observation, in a fixed order. */
export const OBSERVATION_NUMBERS = [
  ...Object.values(CANONICAL_TO_FEATURE),
  ...LAGS.map((k) => `pm25_lag${k}`),
  "pm25_roll24",
] as const;

/** The model's feature vector (schema order, float32, NaN = missing) for one raw observation. */
export function deriveRow(
  obs: RawObservation,
  schema: Pick<FeatureSchema, "stations">,
): Float32Array {
  const out = new Float32Array(FEATURE_NAMES.length).fill(NaN);
  const deg = typeof obs.wd === "number" ? obs.wd : compassDegrees(obs.wd);
  const [ws, wc] = windVector(deg);
  const cal = calendar(obs.time);
  const code = schema.stations.indexOf(obs.station);
  const values: Record<string, number | null | undefined> = {
    ...obs,
    wd_sin: ws,
    wd_cos: wc,
    hour: cal.hour,
    dow: cal.dow,
    month: cal.month,
    station_code: code < 0 ? NaN : code,
  } as unknown as Record<string, number | null | undefined>;
  FEATURE_NAMES.forEach((name, j) => {
    const v = values[name];
    out[j] = v === null || v === undefined ? NaN : v;
  });
  return out;
}

/**
 * Input rows of the endpoint: a feature vector by name (the 22 schema features) or a raw
 * observation turned into one by `deriveRow`, the derivation the pipeline and the browser
 * share. Each field is checked for type; physically impossible values are rejected,
 * values outside the training range and missing values are accepted and flagged.
 */
import { FEATURES, type FeatureSchema } from "../features/schema.ts";
import {
  COMPASS,
  deriveRow,
  OBSERVATION_NUMBERS,
  type RawObservation,
} from "../features/derive.ts";

/** A client error: answered as `{error, field, expected}` with `status`. */
export class InputError extends Error {
  constructor(
    message: string,
    readonly field: string | null,
    readonly expected: string,
    readonly status = 422,
    /** Extra response headers (Allow, Retry-After, WWW-Authenticate). */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = "InputError";
  }
}

/** Something about an accepted value the client should know. */
export interface InputFlag {
  field: string;
  /** "missing": null; "out_of_range": outside the training min..max; "unusual": outside p01..p99. */
  flag: "missing" | "out_of_range" | "unusual";
  value: number | null;
  /** The range the value was compared with. */
  range?: [number, number];
}

export interface CheckedRow {
  /** Features in model order, float32, NaN = missing. */
  x: Float32Array;
  flags: InputFlag[];
}

const RAW_NUMBERS = OBSERVATION_NUMBERS;
const RAW_KEYS = new Set<string>([...RAW_NUMBERS, "station", "time", "wd"]);
const FLOAT32_MAX = 3.4028234663852886e38;
const INTEGER_FEATURES = new Set(["hour", "dow", "month", "station_code"]);
const FEATURE_INDEX = new Map(FEATURES.map((f, j) => [f.name, j]));

export const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

const describe = (v: unknown): string =>
  v === null
    ? "null"
    : Array.isArray(v)
    ? "an array"
    : typeof v === "string"
    ? `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + "…" : v)}`
    : typeof v === "number"
    ? String(v)
    : typeof v;

/** A value as a number or null, or an InputError naming `field`. */
function numberOrNull(v: unknown, field: string): number | null {
  if (v === null || v === undefined) return null;
  if (typeof v !== "number") {
    throw new InputError(
      `Cannot read "${field}": expected a number or null, got ${describe(v)}`,
      field,
      "number or null",
    );
  }
  if (!Number.isFinite(v) || Math.abs(v) > FLOAT32_MAX) {
    throw new InputError(
      `Cannot read "${field}": expected a finite float32 number, got ${v}`,
      field,
      "finite number",
    );
  }
  return v;
}

/** Hard limits (reject) and observed ranges (flag) of feature `j`, value `v` already a number. */
function checkRange(
  j: number,
  v: number,
  schema: FeatureSchema,
  flags: InputFlag[],
  field = FEATURES[j]!.name,
): void {
  const spec = FEATURES[j]!;
  const lo = spec.hardMin,
    hi = spec.name === "station_code" ? schema.stations.length - 1 : spec.hardMax;
  if ((lo !== undefined && v < lo) || (hi !== undefined && v > hi)) {
    const expected = spec.name === "station_code"
      ? `an integer in 0..${hi} (index into the station list)`
      : lo !== undefined && hi !== undefined
      ? `a value in [${lo}, ${hi}] ${spec.unit}`
      : lo !== undefined
      ? `a value >= ${lo} ${spec.unit}`
      : `a value <= ${hi} ${spec.unit}`;
    throw new InputError(`Cannot accept "${field}" = ${v}: expected ${expected}`, field, expected);
  }
  if (INTEGER_FEATURES.has(spec.name) && !Number.isInteger(v)) {
    throw new InputError(
      `Cannot accept "${field}" = ${v}: expected an integer`,
      field,
      "an integer",
    );
  }
  const observed = schema.features[j]?.observed;
  if (observed === undefined) return;
  if (v < observed.min || v > observed.max) {
    flags.push({ field, flag: "out_of_range", value: v, range: [observed.min, observed.max] });
  } else if (v < observed.p01 || v > observed.p99) {
    flags.push({ field, flag: "unusual", value: v, range: [observed.p01, observed.p99] });
  }
}

/** Checks a derived or given feature vector in place: ranges and missing values. */
function checkVector(x: Float32Array, schema: FeatureSchema, prefix: string): InputFlag[] {
  const flags: InputFlag[] = [];
  for (let j = 0; j < x.length; j++) {
    const v = x[j]!;
    const field = prefix + FEATURES[j]!.name;
    if (Number.isNaN(v)) flags.push({ field, flag: "missing", value: null });
    else checkRange(j, v, schema, flags, field);
  }
  return flags;
}

/** A feature vector given by name: every schema feature present, number or null. */
export function rowFromFeatures(
  obj: Record<string, unknown>,
  schema: FeatureSchema,
  prefix = "",
): CheckedRow {
  const x = new Float32Array(FEATURES.length);
  for (const key of Object.keys(obj)) {
    if (!FEATURE_INDEX.has(key)) {
      throw new InputError(
        `Cannot read features: unknown feature "${key.slice(0, 60)}"`,
        prefix + key.slice(0, 60),
        `one of the ${FEATURES.length} schema features (GET /v1/model)`,
        400,
      );
    }
  }
  FEATURES.forEach((f, j) => {
    if (!Object.hasOwn(obj, f.name)) {
      throw new InputError(
        `Cannot read features: "${f.name}" is absent (send null for a missing value)`,
        prefix + f.name,
        "number or null",
      );
    }
    const v = numberOrNull(obj[f.name], prefix + f.name);
    x[j] = v === null ? NaN : v;
  });
  return { x, flags: checkVector(x, schema, prefix) };
}

/** A raw observation (station, local time, measurements, wind, PM2.5 history). */
export function rowFromObservation(
  obj: Record<string, unknown>,
  schema: FeatureSchema,
  prefix = "",
): CheckedRow {
  for (const key of Object.keys(obj)) {
    if (!RAW_KEYS.has(key)) {
      throw new InputError(
        `Cannot read observation: unknown field "${key.slice(0, 60)}"`,
        prefix + key.slice(0, 60),
        `one of ${[...RAW_KEYS].join(", ")}`,
        400,
      );
    }
  }
  const station = obj.station;
  if (typeof station !== "string" || !schema.stations.includes(station)) {
    throw new InputError(
      `Cannot read "station": expected a known station name, got ${describe(station)}`,
      prefix + "station",
      `one of ${schema.stations.join(", ")}`,
    );
  }
  const time = obj.time;
  if (typeof time !== "string" || !validLocalTime(time)) {
    throw new InputError(
      `Cannot read "time": expected local time YYYY-MM-DDTHH:MM, got ${describe(time)}`,
      prefix + "time",
      "YYYY-MM-DDTHH:MM (station local time)",
    );
  }
  const raw: Record<string, unknown> = { station, time };
  for (const key of RAW_NUMBERS) raw[key] = numberOrNull(obj[key], prefix + key);
  const wd = obj.wd;
  if (wd === null || wd === undefined) raw.wd = null;
  else if (typeof wd === "number") {
    if (!Number.isFinite(wd) || wd < 0 || wd > 360) {
      throw new InputError(
        `Cannot read "wd": expected degrees in [0, 360], got ${wd}`,
        prefix + "wd",
        "degrees in [0, 360] or a compass point",
      );
    }
    raw.wd = wd;
  } else if (
    typeof wd === "string" && (COMPASS as readonly string[]).includes(wd.trim().toUpperCase())
  ) raw.wd = wd;
  else {
    throw new InputError(
      `Cannot read "wd": expected a compass point or degrees, got ${describe(wd)}`,
      prefix + "wd",
      `degrees in [0, 360] or one of ${COMPASS.join(", ")}`,
    );
  }
  // Raw fields carry their own names (wd -> wd_sin/wd_cos, time -> hour/dow/month).
  const x = deriveRow(raw as unknown as RawObservation, schema);
  return { x, flags: checkVector(x, schema, prefix) };
}

/** A row object: an observation when it names a station or a time, else features by name. */
export function checkRow(obj: unknown, schema: FeatureSchema, prefix = ""): CheckedRow {
  if (!isRecord(obj)) {
    throw new InputError(
      `Cannot read row${prefix ? ` "${prefix.slice(0, -1)}"` : ""}: expected an object, got ${
        describe(obj)
      }`,
      prefix ? prefix.slice(0, -1) : null,
      "an object of features by name, or a raw observation",
      400,
    );
  }
  return Object.hasOwn(obj, "station") || Object.hasOwn(obj, "time")
    ? rowFromObservation(obj, schema, prefix)
    : rowFromFeatures(obj, schema, prefix);
}

const DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** "YYYY-MM-DDTHH:MM[:SS]" with a real calendar date and clock time (hour 25 is not). */
export function validLocalTime(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(s);
  if (!m) return false;
  const [y, mo, d, h, mi, se] = [+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +(m[6] ?? 0)];
  if (mo < 1 || mo > 12 || h > 23 || mi > 59 || se > 59 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  return d <= (mo === 2 && !leap ? 28 : DAYS[mo - 1]!);
}

/** A feature vector given by position (model order), numbers or null. */
export function rowFromValues(values: unknown, schema: FeatureSchema, prefix = ""): CheckedRow {
  if (!Array.isArray(values) || values.length !== FEATURES.length) {
    throw new InputError(
      `Cannot read row${
        prefix ? ` "${prefix.slice(0, -1)}"` : ""
      }: expected ${FEATURES.length} values in model order, got ${
        Array.isArray(values) ? `${values.length} values` : describe(values)
      }`,
      prefix ? prefix.slice(0, -1) : null,
      `an array of ${FEATURES.length} numbers or nulls in model order`,
    );
  }
  const x = new Float32Array(FEATURES.length);
  for (let j = 0; j < x.length; j++) {
    const v = numberOrNull(values[j], prefix + FEATURES[j]!.name);
    x[j] = v === null ? NaN : v;
  }
  return { x, flags: checkVector(x, schema, prefix) };
}

/** The rows of a batch field, each parsed by `parse`; the count is checked before any is. */
export function batchRows<T>(
  items: unknown,
  field: string,
  maxRows: number,
  parse: (v: unknown, prefix: string) => T,
  why = "",
): T[] {
  if (!Array.isArray(items)) {
    throw new InputError(
      `Cannot read "${field}": expected an array of rows`,
      field,
      "an array of rows",
      400,
    );
  }
  checkRowCount(items.length, field, maxRows, why);
  return items.map((v, i) => parse(v, `${field}[${i}].`));
}

/** A row count against the request's limit: 422 when none, 413 past `maxRows`. */
export function checkRowCount(n: number, field: string, maxRows: number, why = ""): void {
  if (n === 0) {
    throw new InputError(`Cannot read "${field}": it is empty`, field, "at least one row", 422);
  }
  if (n > maxRows) {
    throw new InputError(
      `Cannot accept "${field}": ${n} rows, at most ${maxRows} per request${why}`,
      field,
      `at most ${maxRows} rows${why}`,
      413,
    );
  }
}

/** Refuses keys of a request object outside `allowed`. */
export function onlyKeys(body: Record<string, unknown>, allowed: readonly string[], what: string) {
  for (const k of Object.keys(body)) {
    if (!allowed.includes(k)) {
      throw new InputError(
        `Cannot read ${what}: unknown key "${k.slice(0, 60)}"`,
        k.slice(0, 60),
        `one of ${allowed.join(", ")}`,
        400,
      );
    }
  }
}

/** The one key of `keys` that `body` has; a 400 naming them when it has none or several. */
export function exactlyOne(
  body: Record<string, unknown>,
  keys: readonly string[],
  what: string,
  expected: string,
): string {
  const given = keys.filter((k) => Object.hasOwn(body, k));
  if (given.length !== 1) {
    throw new InputError(
      `Cannot read ${what}: expected exactly one of ${keys.join(", ")}; got ${
        given.length === 0 ? "none" : given.join(", ")
      }`,
      null,
      expected,
      400,
    );
  }
  return given[0]!;
}

/** Field names a metric label may carry: the features and the parts of a request. */
export const FIELD_LABELS: readonly string[] = [
  ...FEATURES.map((f) => f.name),
  "station",
  "time",
  "wd",
  "body",
  "rows",
  "content-type",
  "method",
  "path",
  "features",
  "observation",
  "inputs",
  "outputs",
  "explain",
  "dataframe_split",
  "dataframe_records",
  "instances",
  "version",
  "authorization",
];

/** Label value of a field: "rows[3].PM2.5" -> "PM2.5" (the metric folds the rest to "other"). */
export const fieldLabel = (field: string): string => field.replace(/^[a-z_]+\[\d+\]\./, "");

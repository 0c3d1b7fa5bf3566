import type { DuckDBConnection } from "@duckdb/node-api";
import { all, lit, sibling, writeParquet } from "./duck.ts";
import { CANONICAL_NUMERIC, type CanonicalNumeric } from "./ingest/canonical.ts";

/**
 * Physical range rules: a value outside is set missing and flagged (the raw value stays
 * in interim/raw.parquet). Bounds are wide on purpose: real episodes reach 1000 µg/m³.
 */
export const RANGE_RULES: Record<CanonicalNumeric, { min: number; max: number; unit: string }> = {
  pm25: { min: 0, max: 1500, unit: "µg/m³" },
  pm10: { min: 0, max: 3000, unit: "µg/m³" },
  so2: { min: 0, max: 1500, unit: "µg/m³" },
  no2: { min: 0, max: 1000, unit: "µg/m³" },
  co: { min: 0, max: 30000, unit: "µg/m³" },
  o3: { min: 0, max: 1200, unit: "µg/m³" },
  temp: { min: -45, max: 50, unit: "°C" },
  pres: { min: 850, max: 1090, unit: "hPa" },
  dewp: { min: -60, max: 35, unit: "°C" },
  rain: { min: 0, max: 200, unit: "mm" },
  wspm: { min: 0, max: 50, unit: "m/s" },
  wd_deg: { min: 0, max: 360, unit: "°" },
};

/** Flag bits of clean.parquet's `flags` column. */
export const FLAGS = {
  gap: 1, // hour absent from the raw data: a grid row
  out_of_range: 2, // at least one value set missing by a range rule
  stuck: 4, // PM2.5 unchanged for the last `stuckHours` hours, this one included
  filled: 8, // at least one input filled from an earlier hour (fill_inputs)
  duplicate_resolved: 16, // ingest merged duplicate lines into this hour
} as const;

/**
 * How gaps in the inputs are filled. Never from a later hour: a feature at hour t may only
 * use what was measured at or before t, as at serving time.
 * - "none": left missing; the trees send them down their learned missing branch.
 * - "carry_forward": the last value measured at most `maxFillHours` hours before.
 */
export const FILL_RULES = ["none", "carry_forward"] as const;
export type FillRule = typeof FILL_RULES[number];

export interface CleanOptions {
  rawPath: string;
  out: string;
  fill: FillRule;
  /** Longest gap (hours since the last measurement) that carry_forward fills. */
  maxFillHours: number;
  stuckHours: number;
}

export interface QualityReport {
  rows: number;
  stations: number;
  gridRowsAdded: number;
  duplicates: { groups: number; rowsDropped: number; rule: string };
  outOfRange: Record<string, number>;
  stuckRows: number;
  fill: { rule: FillRule; maxHours: number };
  /** Values filled per input column. */
  filled: Record<string, number>;
  missingShare: { station: string; column: string; before: number; after: number }[];
  flags: Record<string, number>;
}

/** Inputs that may be filled: never PM2.5 (the target), nor the wind direction (an angle). */
export const FILLED_INPUTS = CANONICAL_NUMERIC.filter((c) => c !== "pm25" && c !== "wd_deg");

const HOUR = "INTERVAL 1 HOUR";

/**
 * The clean hourly table: one row per station and whole hour between its first and last
 * observation, range-checked, input gaps filled from the past by `fill`, stuck PM2.5
 * flagged. Every value at hour t depends only on raw rows at or before t.
 *
 * raw.parquet is sorted by station and hour, one row each (ingest's contract, checked
 * here), so one streaming pass in file order does it all without a sort: window functions
 * over the rows in that order (`OVER ()`, guarded at station boundaries), then the missing
 * hours after each row (gap rows), which carry what that row carries. The output comes out
 * in the same order, sorted, the same on every run.
 */
export async function clean(c: DuckDBConnection, o: CleanOptions): Promise<QualityReport> {
  const raw = `read_parquet(${lit(o.rawPath)})`;
  // Level 0, per raw row: values outside their range set missing, and whether any was.
  const checked = CANONICAL_NUMERIC.map((k) => `CASE WHEN ${inRange(k)} THEN ${k} END AS ${k}`)
    .join(", ");
  const anyOor = CANONICAL_NUMERIC.map((k) => `(${k} IS NOT NULL AND NOT ${inRange(k)})`).join(
    " OR ",
  );
  const n = o.stuckHours;
  const carry = o.fill === "carry_forward" && o.maxFillHours > 0;
  const upTo = "(ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)";
  const reach = carry ? o.maxFillHours : 0;
  const back = Array.from({ length: reach }, (_, i) => i + 1);
  // Level 1, per raw row: its neighbours in file order, and for carry_forward the rows up to
  // max_fill_hours back (one row per hour at most, so those hours lie within as many rows).
  // (lag with a fixed offset, not last_value(... IGNORE NULLS): DuckDB 1.5's streaming
  // last_value returns NULLs when a query has two of them.)
  const level1 = [
    "lag(station) OVER () AS p_station",
    "lag(time) OVER () AS p_time",
    "lag(pm25) OVER () AS p_pm25",
    "CASE WHEN lead(station) OVER () = station THEN lead(time) OVER () END AS next_time",
    ...back.flatMap((k) => [
      `lag(station, ${k}) OVER () AS s_${k}`,
      `lag(time, ${k}) OVER () AS t_${k}`,
      ...FILLED_INPUTS.map((x) => `lag(${x}, ${k}) OVER () AS ${x}_${k}`),
    ]),
  ];
  // Level 2: a running count of the rows where PM2.5 did not continue the previous hour's
  // value; level 3: stuck = none in the last n - 1 rows (so n equal, consecutive hours).
  const broken = `CASE WHEN pm25 IS NULL OR p_station IS DISTINCT FROM station
    OR p_time <> time - ${HOUR} OR pm25 IS DISTINCT FROM p_pm25 THEN 1 ELSE 0 END`;
  const stuck = `coalesce(pm25 > 0 AND breaks - lag(breaks, ${n - 1}) OVER () = 0
    AND lag(station, ${n - 1}) OVER () = station, false)`;
  const perRow = `SELECT *, ${stuck} AS stuck FROM (
      SELECT *, sum(${broken}) OVER ${upTo} AS breaks FROM (
        SELECT *, ${level1.join(",\n")} FROM (
          SELECT station, time, merged_lines > 0 AS merged, ${anyOor} AS oor, ${checked}
          FROM ${raw})))`;
  // Each raw row, then the hours missing before the next one (gap rows).
  const expanded = `SELECT *, unnest(generate_series(time,
      CASE WHEN next_time > time + ${HOUR} THEN next_time - ${HOUR} ELSE time END, ${HOUR})) AS hour
    FROM (${perRow})`;
  // carry_forward: the nearest value at or before the hour, measured within max_fill_hours
  // (for a measured value, the value itself). `w_k`: row k back may be used for this hour.
  const within = [
    `time >= hour - INTERVAL ${reach} HOUR AS w_0`,
    ...back.map((k) => `s_${k} = station AND t_${k} >= hour - INTERVAL ${reach} HOUR AS w_${k}`),
  ];
  const carried = (x: string) =>
    `CASE WHEN w_0 AND ${x} IS NOT NULL THEN ${x} ${
      back.map((k) => `WHEN w_${k} AND ${x}_${k} IS NOT NULL THEN ${x}_${k}`).join(" ")
    } END AS c_${x}`;
  const perHour = carry
    ? `SELECT *, ${FILLED_INPUTS.map(carried).join(", ")} FROM (
        SELECT *, hour = time AS own_hour, ${within.join(", ")} FROM (${expanded}))`
    : `SELECT *, hour = time AS own_hour FROM (${expanded})`;
  const value = (k: CanonicalNumeric) =>
    carry && FILLED_INPUTS.includes(k as never) ? `c_${k}` : `CASE WHEN own_hour THEN ${k} END`;
  const anyFilled = carry
    ? FILLED_INPUTS.map((k) => `(c_${k} IS NOT NULL AND NOT (own_hour AND ${k} IS NOT NULL))`).join(
      " OR ",
    )
    : "false";
  // The raw side of the quality report is read on a second connection while the pass
  // (one thread: its window functions follow the rows in file order) writes.
  const side = await sibling(c);
  const [written, tallies] = await Promise.allSettled([
    writeParquet(
      c,
      `SELECT station, hour AS time, ${
        CANONICAL_NUMERIC.map((k) => `(${value(k)})::DOUBLE AS ${k}`).join(", ")
      },
      (CASE WHEN own_hour THEN
         oor::INT * ${FLAGS.out_of_range} + stuck::INT * ${FLAGS.stuck}
         + merged::INT * ${FLAGS.duplicate_resolved}
       ELSE ${FLAGS.gap} END + (${anyFilled})::INT * ${FLAGS.filled} + ${
        orderGuard(`"${o.rawPath}"`, "ingest writes it so")
      })::INT AS flags
    FROM (${perHour})`,
      o.out,
    ),
    rawTallies(side, raw, o),
  ]).finally(() => side.closeSync());
  if (written.status === "rejected") throw written.reason;
  if (tallies.status === "rejected") throw tallies.reason;
  return await qualityReport(c, tallies.value, `read_parquet(${lit(o.out)})`, o);
}

const failure = (name: string, why: string) => (what: string) =>
  `error(${lit(`Cannot read ${name}: ${what} (${why})`)} || ': at ' || station || ' ' || time)`;

/**
 * SQL that fails the query on a row out of the order the streamed passes rely on (sorted
 * by station and hour, one row each, on whole hours), naming the table; else 0. Evaluated
 * on every row of the pass itself (with its `p_station`, `p_time`): no second read.
 */
export function orderGuard(name: string, why: string): string {
  const fail = failure(name, why);
  return `CASE WHEN time <> date_trunc('hour', time)
      THEN ${fail("expected whole hours, found a time between them")}
    WHEN p_station > station OR (p_station = station AND p_time >= time)
      THEN ${fail("expected rows sorted by station and hour, one per hour")}
    ELSE 0 END`;
}

/**
 * The same for a pass over each station's rows in hour order (window functions
 * `PARTITION BY station ORDER BY time`; `prev`: SQL for the station's previous hour):
 * whole hours, one row each, and no gap in the grid.
 */
export function gridGuard(name: string, why: string, prev: string): string {
  const fail = failure(name, why);
  return `CASE WHEN time <> date_trunc('hour', time)
      THEN ${fail("expected whole hours, found a time between them")}
    WHEN ${prev} = time THEN ${fail("expected one row per station and hour, found two")}
    WHEN ${prev} <> time - ${HOUR} THEN ${fail("expected an hourly grid without gaps")}
    ELSE 0 END`;
}

type Row = Record<string, bigint | number | string | null>;

const inRange = (k: CanonicalNumeric) => {
  const b = RANGE_RULES[k];
  return `(${k} >= ${b.min} AND ${k} ${k === "wd_deg" ? "<" : "<="} ${b.max})`;
};

/** What the quality report reads from raw.parquet. */
interface RawTallies {
  /** Values in range per station and column (with filling), else null. */
  before: Row[] | null;
  rawStats: Row | undefined;
  /** Values present per column of raw.parquet, from its Parquet statistics. */
  present: { col: string; n: bigint }[];
}

async function rawTallies(c: DuckDBConnection, raw: string, o: CleanOptions): Promise<RawTallies> {
  // Values in range per station: read from raw.parquet when inputs were filled; without
  // filling they are exactly the values clean.parquet holds, so raw.parquet's own Parquet
  // statistics (values present per column) give the ones set missing.
  const carry = o.fill === "carry_forward" && o.maxFillHours > 0;
  const before = carry
    ? await all<Row>(
      c,
      `SELECT station, ${
        CANONICAL_NUMERIC.map((k) => `count(*) FILTER (WHERE ${inRange(k)}) AS ok_${k}`).join(", ")
      } FROM ${raw} GROUP BY station ORDER BY station`,
    )
    : null;
  const [rawStats] = await all<Row>(
    c,
    `SELECT count(*) AS rows, coalesce(sum(merged_lines), 0) AS merged FROM ${raw}`,
  );
  const present = await all<{ col: string; n: bigint }>(
    c,
    `SELECT path_in_schema AS col, sum(num_values - stats_null_count) AS n
     FROM parquet_metadata(${lit(o.rawPath)}) GROUP BY path_in_schema`,
  );
  return { before, rawStats, present };
}

/**
 * The quality report, from raw.parquet's tallies and one pass over clean.parquet, per
 * station: a value of clean is the raw value when that was in range, otherwise a fill, so
 * fills = values present in clean - values in range in raw.
 */
async function qualityReport(
  c: DuckDBConnection,
  { before, rawStats, present }: RawTallies,
  cleaned: string,
  o: CleanOptions,
): Promise<QualityReport> {
  const bit = (b: number) => `count(*) FILTER (WHERE flags & ${b} <> 0)`;
  const after = await all<Row>(
    c,
    `SELECT station, count(*) AS rows, ${bit(FLAGS.gap)} AS gaps, ${bit(FLAGS.stuck)} AS stuck,
      ${bit(FLAGS.duplicate_resolved)} AS dups, ${
      CANONICAL_NUMERIC.map((k) => `count(${k}) AS has_${k}`).join(", ")
    } FROM ${cleaned} GROUP BY station ORDER BY station`,
  );
  const num = (r: Row | undefined, k: string) => Number(r?.[k] ?? 0);
  const total = (rows: Row[], k: string) => rows.reduce((a, r) => a + num(r, k), 0);
  const rawRows = num(rawStats, "rows");
  if (total(after, "rows") - total(after, "gaps") !== rawRows) {
    throw new Error(
      `Cannot clean "${o.rawPath}": ${rawRows} raw rows became ${
        total(after, "rows") - total(after, "gaps")
      } hours (several rows for one station and hour? ingest merges duplicates)`,
    );
  }
  const ok = (station: Row, k: CanonicalNumeric) =>
    before
      ? num(before.find((r) => r.station === station.station), `ok_${k}`)
      : num(station, `has_${k}`);
  const okTotal = (k: CanonicalNumeric) => after.reduce((a, r) => a + ok(r, k), 0);
  const missingShare: QualityReport["missingShare"] = [];
  for (const a of after) {
    const rows = num(a, "rows");
    for (const k of [...CANONICAL_NUMERIC].sort()) {
      missingShare.push({
        station: String(a.station),
        column: k,
        before: 1 - ok(a, k) / rows,
        after: 1 - num(a, `has_${k}`) / rows,
      });
    }
  }
  return {
    rows: total(after, "rows"),
    stations: after.length,
    gridRowsAdded: total(after, "gaps"),
    duplicates: {
      groups: total(after, "dups"),
      rowsDropped: num(rawStats, "merged"),
      rule: "resolved by ingest (duplicates.parquet): per station, hour and variable, the median",
    },
    outOfRange: Object.fromEntries(
      CANONICAL_NUMERIC.map((k) => [
        k,
        Number(present.find((p) => p.col === k)?.n ?? 0) - okTotal(k),
      ]),
    ),
    stuckRows: total(after, "stuck"),
    fill: { rule: o.fill, maxHours: o.maxFillHours },
    filled: Object.fromEntries(
      FILLED_INPUTS.map((k) => [k, total(after, `has_${k}`) - okTotal(k)]),
    ),
    missingShare,
    flags: {
      gap: total(after, "gaps"),
      stuck: total(after, "stuck"),
      duplicate_resolved: total(after, "dups"),
    },
  };
}

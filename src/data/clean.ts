import type { DuckDBConnection } from "@duckdb/node-api";
import { all, lit, writeParquet } from "./duck.ts";
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
 * flagged. Every value at hour t depends only on raw rows at or before t. One window pass
 * over raw.parquet (sorted by station and hour) does it all; gap hours are generated after
 * the row before them, carrying what that row carries.
 */
export async function clean(c: DuckDBConnection, o: CleanOptions): Promise<QualityReport> {
  const raw = `read_parquet(${lit(o.rawPath)})`;
  const [check] = await all<{ rows: bigint; offHour: bigint; first: string | null }>(
    c,
    `SELECT count(*) AS rows, count(*) FILTER (WHERE time <> date_trunc('hour', time)) AS offHour,
      min(time) FILTER (WHERE time <> date_trunc('hour', time))::VARCHAR AS first FROM ${raw}`,
  );
  if (Number(check!.offHour) > 0) {
    throw new Error(
      `Cannot clean "${o.rawPath}": ${check!.offHour} times are between whole hours (first: ${
        check!.first
      }); ingest's off_hour rule should have rejected or floored them`,
    );
  }
  const inRange = (k: CanonicalNumeric) => {
    const b = RANGE_RULES[k];
    return `(${k} >= ${b.min} AND ${k} ${k === "wd_deg" ? "<" : "<="} ${b.max})`;
  };
  const checked = CANONICAL_NUMERIC.map((k) =>
    `CASE WHEN ${inRange(k)} THEN ${k} END AS ${k}, (${k} IS NOT NULL AND NOT ${
      inRange(k)
    }) AS oor_${k}`
  ).join(", ");
  const w = "(PARTITION BY station ORDER BY time)";
  const upTo =
    `(PARTITION BY station ORDER BY time ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)`;
  const n = o.stuckHours;
  const lastN = `(PARTITION BY station ORDER BY time ROWS BETWEEN ${
    n - 1
  } PRECEDING AND CURRENT ROW)`;
  const carry = o.fill === "carry_forward" && o.maxFillHours > 0;
  // Per raw row: the next row's hour (for the gap hours after it), what it carries forward,
  // and whether PM2.5 has been the same over the last n hours.
  const perRow = [
    `lead(time) OVER ${w} AS next_time`,
    `(pm25 > 0 AND count(pm25) OVER ${lastN} = ${n} AND min(pm25) OVER ${lastN} = max(pm25) OVER ${lastN}
      AND lag(time, ${n - 1}) OVER ${w} = time - INTERVAL ${n - 1} HOUR) AS stuck`,
    ...(carry
      ? FILLED_INPUTS.flatMap((k) => [
        `last_value(${k} IGNORE NULLS) OVER ${upTo} AS last_${k}`,
        `last_value(CASE WHEN ${k} IS NOT NULL THEN time END IGNORE NULLS) OVER ${upTo} AS last_t_${k}`,
      ])
      : []),
  ];
  // Each raw row, then the hours missing before the next one (gap rows).
  const expanded = `SELECT *, unnest(generate_series(time,
      CASE WHEN next_time > time + ${HOUR} THEN next_time - ${HOUR} ELSE time END, ${HOUR})) AS hour
    FROM (SELECT *, ${
    perRow.join(",\n")
  } FROM (SELECT station, time, merged_lines, ${checked} FROM ${raw}))`;
  const real = "hour = time";
  const fillable = (k: string) =>
    carry
      ? `(NOT (${real} AND ${k} IS NOT NULL) AND last_${k} IS NOT NULL AND hour - last_t_${k} <= INTERVAL ${o.maxFillHours} HOUR)`
      : "false";
  const value = (k: CanonicalNumeric) =>
    carry && FILLED_INPUTS.includes(k as never)
      ? `CASE WHEN ${real} AND ${k} IS NOT NULL THEN ${k} WHEN ${fillable(k)} THEN last_${k} END`
      : `CASE WHEN ${real} THEN ${k} END`;
  const anyOor = CANONICAL_NUMERIC.map((k) => `oor_${k}`).join(" OR ");
  const anyFilled = FILLED_INPUTS.map((k) => fillable(k)).join(" OR ");
  await writeParquet(
    c,
    `SELECT station, hour AS time, ${
      CANONICAL_NUMERIC.map((k) => `(${value(k)})::DOUBLE AS ${k}`).join(", ")
    },
      (CASE WHEN ${real} THEN
         (${anyOor})::INT * ${FLAGS.out_of_range} + coalesce(stuck, false)::INT * ${FLAGS.stuck}
         + (merged_lines > 0)::INT * ${FLAGS.duplicate_resolved}
       ELSE ${FLAGS.gap} END + (${anyFilled})::INT * ${FLAGS.filled})::INT AS flags
    FROM (${expanded}) ORDER BY station, time`,
    o.out,
  );
  return await qualityReport(c, raw, `read_parquet(${lit(o.out)})`, o, Number(check!.rows));
}

/**
 * The quality report, from one pass over raw.parquet and one over clean.parquet, per
 * station: a value of clean is the raw value when that was in range, otherwise a fill, so
 * fills = values present in clean - values in range in raw.
 */
async function qualityReport(
  c: DuckDBConnection,
  raw: string,
  cleaned: string,
  o: CleanOptions,
  rawRows: number,
): Promise<QualityReport> {
  const inRange = (k: CanonicalNumeric) => {
    const b = RANGE_RULES[k];
    return `(${k} >= ${b.min} AND ${k} ${k === "wd_deg" ? "<" : "<="} ${b.max})`;
  };
  type Row = Record<string, bigint | number | string | null>;
  const before = await all<Row>(
    c,
    `SELECT station, count(*) AS rows, coalesce(sum(merged_lines), 0) AS merged, ${
      CANONICAL_NUMERIC.map((k) =>
        `count(*) FILTER (WHERE ${
          inRange(k)
        }) AS ok_${k}, count(*) FILTER (WHERE ${k} IS NOT NULL AND NOT ${inRange(k)}) AS oor_${k}`
      ).join(", ")
    } FROM ${raw} GROUP BY station ORDER BY station`,
  );
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
  if (total(after, "rows") - total(after, "gaps") !== rawRows) {
    throw new Error(
      `Cannot clean "${o.rawPath}": ${rawRows} raw rows became ${
        total(after, "rows") - total(after, "gaps")
      } hours (several rows for one station and hour? ingest merges duplicates)`,
    );
  }
  const missingShare: QualityReport["missingShare"] = [];
  for (const a of after) {
    const b = before.find((r) => r.station === a.station);
    const rows = num(a, "rows");
    for (const k of [...CANONICAL_NUMERIC].sort()) {
      missingShare.push({
        station: String(a.station),
        column: k,
        before: 1 - num(b, `ok_${k}`) / rows,
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
      rowsDropped: total(before, "merged"),
      rule: "resolved by ingest (duplicates.parquet): per station, hour and variable, the median",
    },
    outOfRange: Object.fromEntries(CANONICAL_NUMERIC.map((k) => [k, total(before, `oor_${k}`)])),
    stuckRows: total(after, "stuck"),
    fill: { rule: o.fill, maxHours: o.maxFillHours },
    filled: Object.fromEntries(
      FILLED_INPUTS.map((k) => [k, total(after, `has_${k}`) - total(before, `ok_${k}`)]),
    ),
    missingShare,
    flags: {
      gap: total(after, "gaps"),
      stuck: total(after, "stuck"),
      duplicate_resolved: total(after, "dups"),
    },
  };
}

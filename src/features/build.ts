import type { DuckDBConnection } from "@duckdb/node-api";
import { all, ident, lit, writeParquet } from "../data/duck.ts";
import { orderGuard } from "../data/clean.ts";
import { CANONICAL_TO_FEATURE } from "../data/ingest/canonical.ts";
import { calendarSql, windVectorSql } from "./derive.ts";
import { FEATURE_NAMES, FEATURES, type FeatureSchema, LAGS, ROLL_HOURS, TARGET } from "./schema.ts";

export interface FeatureQueryOptions {
  /** See pm25Floor(); 0 by default. */
  pm25Floor?: number;
  /** Fail the query on a row out of order or a gap in the grid (see orderGuard). */
  guard?: { name: string; why: string };
  /**
   * The table holds exactly the stations `stations[firstStation]`, `stations[firstStation + 1]`,
   * ... in that order, as buildFeatures reads clean.parquet (or a range of it): a station's
   * code is then counted at its first row instead of looked up in the list on every row
   * (a scan of the list per row, which grows with the number of stations).
   */
  firstStation?: number;
}

/**
 * SQL for the feature table from an hourly table (station, time, canonical columns) read
 * in station and time order: the clean stage's output, a complete hourly grid sorted by
 * station and hour (`buildFeatures` checks it). Lags count rows, so on that grid "lag k"
 * means k hours. Every feature at time t reads rows at or before t; only the target reads
 * t + horizon.
 *
 * The window functions run over the rows in the order they are read (`OVER ()`, streamed,
 * no sort). A row k rows back belongs to the same station when the station's first row
 * is at least k rows back (its row number, carried forward as a running maximum). The
 * rolling mean is a difference of running sums of PM2.5 and of its count: the sums at this
 * row less those just before its window (ROLL_HOURS rows back, or before the station's
 * first row when that is nearer). The sums run over PM2.5 - `pm25Floor` (0 unless PM2.5
 * goes negative), so they never decrease and their value at a station's first row can be
 * carried forward as a running maximum too.
 */
export function featureQuery(
  table: string,
  horizonHours: number,
  stations: readonly string[],
  o: FeatureQueryOptions = {},
): string {
  const pm25Floor = o.pm25Floor ?? 0, guard = o.guard;
  const upTo = "OVER (ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)";
  const shifted = `coalesce(pm25 - ${pm25Floor}, 0)`;
  const wind = windVectorSql("wd_deg");
  const cal = calendarSql("time");
  const inStation = (k: number) => `rn - ${k} >= first_rn`;
  const exprs: Record<string, string> = {};
  for (const [canon, name] of Object.entries(CANONICAL_TO_FEATURE)) exprs[name] = canon;
  Object.assign(exprs, {
    wd_sin: wind.sin,
    wd_cos: wind.cos,
    hour: guard ? `${orderGuard(guard.name, guard.why, true)} + ${cal.hour}` : cal.hour,
    dow: cal.dow,
    month: cal.month,
    station_code: o.firstStation === undefined
      ? `list_position([${stations.map(lit).join(", ")}], station) - 1`
      : `${o.firstStation} + sid - 1`,
    pm25_roll24: `CASE WHEN ${inStation(ROLL_HOURS)}
      THEN (run_s - back_s) / nullif(run_n - back_n, 0)
      ELSE (run_s - first_s) / nullif(run_n - first_n, 0) END + ${pm25Floor}`,
  });
  for (const k of LAGS) exprs[`pm25_lag${k}`] = `CASE WHEN ${inStation(k)} THEN lag${k} END`;
  const cols = FEATURE_NAMES.map((n) => {
    const e = exprs[n];
    if (!e) throw new Error(`No derivation for feature "${n}"`);
    return `(${e})::FLOAT AS ${ident(n)}`;
  });
  const level1 = [
    "row_number() OVER () AS rn",
    "lag(station) OVER () AS p_station",
    "lag(time) OVER () AS p_time",
    ...LAGS.map((k) => `lag(pm25, ${k}) OVER () AS lag${k}`),
    `lead(pm25, ${horizonHours}) OVER () AS lead_pm25`,
    `sum(${shifted}) ${upTo} AS run_s`,
    `count(pm25) ${upTo} AS run_n`,
  ];
  const level2 = [
    `sum(first_row::INT) ${upTo} AS sid`,
    `max(CASE WHEN first_row THEN rn END) ${upTo} AS first_rn`,
    `max(CASE WHEN first_row THEN run_s - ${shifted} END) ${upTo} AS first_s`,
    `max(CASE WHEN first_row THEN run_n - (pm25 IS NOT NULL)::INT END) ${upTo} AS first_n`,
    `lag(run_s, ${ROLL_HOURS}) OVER () AS back_s`,
    `lag(run_n, ${ROLL_HOURS}) OVER () AS back_n`,
  ];
  return `SELECT station, time, ${cols.join(", ")},
      (CASE WHEN lead(sid, ${horizonHours}) OVER () = sid THEN lead_pm25 END)::FLOAT AS ${TARGET}
    FROM (SELECT *, ${level2.join(", ")} FROM (
      SELECT *, p_station IS DISTINCT FROM station AS first_row FROM (
        SELECT *, ${level1.join(", ")} FROM ${table})))`;
}

/** 0, or the lowest PM2.5 of a table when it is negative (see featureQuery). */
export async function pm25Floor(c: DuckDBConnection, table: string): Promise<number> {
  const [r] = await all<{ m: number | null }>(c, `SELECT least(0, min(pm25)) AS m FROM ${table}`);
  return Number(r?.m ?? 0);
}

/** Rows the percentiles of the feature schema are computed from, at most, in this many blocks. */
export const QUANTILE_SAMPLE = 100_000;
const SAMPLE_BLOCKS = 64;

/** Writes features.parquet and returns the schema with observed ranges. */
export async function buildFeatures(
  c: DuckDBConnection,
  o: { cleanPath: string; out: string; horizonHours: number },
): Promise<{ schema: FeatureSchema; rows: number }> {
  const cleaned = `read_parquet(${lit(o.cleanPath)})`;
  const stations = (await all<{ station: string }>(
    c,
    `SELECT DISTINCT station FROM ${cleaned} ORDER BY station`,
  )).map((r) => r.station);
  // Rows come out in the order they are read: sorted, the same on every run.
  await writeParquet(
    c,
    featureQuery(cleaned, o.horizonHours, stations, {
      pm25Floor: await pm25Floor(c, cleaned),
      guard: { name: `"${o.cleanPath}"`, why: "the clean stage writes it so" },
      firstStation: 0,
    }),
    o.out,
  );
  // Count, min, max and missing share, exact, from the row-group statistics the Parquet
  // writer keeps (no second pass over the data); the 1st and 99th percentiles from at most
  // QUANTILE_SAMPLE rows in SAMPLE_BLOCKS blocks spread evenly through the file (the same
  // rows on every run; only their row groups are read).
  const meta = await all<{ col: string; lo: string | null; hi: string | null; nulls: bigint }>(
    c,
    `SELECT path_in_schema AS col, min(TRY_CAST(stats_min_value AS DOUBLE))::VARCHAR AS lo,
       max(TRY_CAST(stats_max_value AS DOUBLE))::VARCHAR AS hi, sum(stats_null_count) AS nulls
     FROM parquet_metadata(${lit(o.out)}) GROUP BY path_in_schema`,
  );
  const [{ n }] = await all<{ n: bigint }>(
    c,
    `SELECT num_rows AS n FROM parquet_file_metadata(${lit(o.out)})`,
  ) as [{ n: bigint }];
  const rows = Number(n);
  const block = Math.ceil(QUANTILE_SAMPLE / SAMPLE_BLOCKS);
  // Block b starts at row floor(b * rows / SAMPLE_BLOCKS); blocks do not overlap (rows >
  // QUANTILE_SAMPLE), so a row's block is the last one starting at or before it: found by
  // arithmetic, not by testing all SAMPLE_BLOCKS ranges on every row.
  const r = "file_row_number";
  const blockOf = `least(${SAMPLE_BLOCKS - 1}, ((${r} + 1) * ${SAMPLE_BLOCKS} - 1) // ${rows})`;
  const sample = rows <= QUANTILE_SAMPLE
    ? "true"
    : `${r} - (${blockOf} * ${rows}) // ${SAMPLE_BLOCKS} < ${block}`;
  const [q] = await all<Record<string, (number | null)[] | null>>(
    c,
    `SELECT ${
      FEATURE_NAMES.map((f, i) => `quantile_cont(${ident(f)}, [0.01, 0.99]) AS q${i}`).join(", ")
    } FROM read_parquet(${lit(o.out)}, file_row_number = true) WHERE ${sample}`,
  );
  // The statistics hold FLOAT values: read back as the same single-precision numbers.
  const stat = (f: string) => meta.find((m) => m.col === f);
  const float = (
    v: string | null | undefined,
  ) => (v === null || v === undefined ? NaN : Math.fround(Number(v)));
  const quantile = (i: number, j: number) => {
    const v = q?.[`q${i}`]?.[j];
    return v === null || v === undefined ? NaN : Number(v);
  };
  const schema: FeatureSchema = {
    version: 1,
    target: { name: TARGET, unit: "µg/m³", horizonHours: o.horizonHours },
    features: FEATURES.map((f, i) => ({
      ...f,
      observed: {
        min: float(stat(f.name)?.lo),
        max: float(stat(f.name)?.hi),
        p01: quantile(i, 0),
        p99: quantile(i, 1),
        missingShare: rows ? Number(stat(f.name)?.nulls ?? 0) / rows : NaN,
      },
    })),
    stations,
  };
  return { schema, rows };
}

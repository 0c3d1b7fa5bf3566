import type { DuckDBConnection } from "@duckdb/node-api";
import { all, ident, lit, writeParquet } from "../data/duck.ts";
import { gridGuard } from "../data/clean.ts";
import { CANONICAL_TO_FEATURE } from "../data/ingest/canonical.ts";
import { calendarSql, windVectorSql } from "./derive.ts";
import { FEATURE_NAMES, FEATURES, type FeatureSchema, LAGS, ROLL_HOURS, TARGET } from "./schema.ts";

export interface FeatureQueryOptions {
  /** Fail the query on a time off the hour, a repeated hour or a gap in the grid (gridGuard). */
  guard?: { name: string; why: string };
}

/**
 * SQL for the feature table, in no particular row order (add ORDER BY station, time), from
 * an hourly table (station, time, canonical columns): the clean stage's output, a complete
 * hourly grid (`buildFeatures` checks it). Lags count a station's rows, so on that grid "lag k" means
 * k hours. Every feature at time t reads rows at or before t; only the target reads
 * t + horizon. Window functions per station in hour order (the stations run in parallel);
 * `station_code` is the station's index in `stations` (NULL when not listed).
 */
export function featureQuery(
  table: string,
  horizonHours: number,
  stations: readonly string[],
  o: FeatureQueryOptions = {},
): string {
  const guard = o.guard;
  const w = "(PARTITION BY station ORDER BY time)";
  const wind = windVectorSql("wd_deg");
  const cal = calendarSql("time");
  const exprs: Record<string, string> = {};
  for (const [canon, name] of Object.entries(CANONICAL_TO_FEATURE)) exprs[name] = canon;
  Object.assign(exprs, {
    wd_sin: wind.sin,
    wd_cos: wind.cos,
    // The guard reads the previous hour in the same window pass as the features (one sort).
    hour: guard
      ? `${gridGuard(guard.name, guard.why, `lag(time) OVER ${w}`)} + ${cal.hour}`
      : cal.hour,
    dow: cal.dow,
    month: cal.month,
    // A cast to an enum of the listed names: a hash lookup per row, whatever their number.
    station_code: stations.length
      ? `enum_code(TRY_CAST(station AS ENUM(${stations.map(lit).join(", ")})))`
      : "NULL",
    pm25_roll24: `avg(pm25) OVER (${w.slice(1, -1)} ROWS ${ROLL_HOURS - 1} PRECEDING)`,
  });
  for (const k of LAGS) exprs[`pm25_lag${k}`] = `lag(pm25, ${k}) OVER ${w}`;
  const cols = FEATURE_NAMES.map((n) => {
    const e = exprs[n];
    if (!e) throw new Error(`No derivation for feature "${n}"`);
    return `(${e})::FLOAT AS ${ident(n)}`;
  });
  return `SELECT station, time, ${cols.join(", ")},
      (lead(pm25, ${horizonHours}) OVER ${w})::FLOAT AS ${TARGET}
    FROM ${table}`;
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
  await writeParquet(
    c,
    `${
      featureQuery(cleaned, o.horizonHours, stations, {
        guard: { name: `"${o.cleanPath}"`, why: "the clean stage writes it so" },
      })
    } ORDER BY station, time`,
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

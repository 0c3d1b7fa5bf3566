import type { DuckDBConnection } from "@duckdb/node-api";
import { all, ident, lit, writeParquet } from "../data/duck.ts";
import { CANONICAL_TO_FEATURE } from "../data/ingest/canonical.ts";
import { calendarSql, windVectorSql } from "./derive.ts";
import { FEATURE_NAMES, FEATURES, type FeatureSchema, LAGS, ROLL_HOURS, TARGET } from "./schema.ts";

/**
 * SQL for the feature table from an hourly table (station, time, canonical columns).
 * Lags count rows, so the input must be a complete hourly grid per station (the clean
 * stage's output) for "lag k" to mean k hours. Every feature at time t reads rows at or
 * before t; only the target reads t + horizon.
 */
export function featureQuery(
  table: string,
  horizonHours: number,
  stations: readonly string[],
): string {
  const w = "OVER (PARTITION BY station ORDER BY time)";
  const wind = windVectorSql("wd_deg");
  const cal = calendarSql("time");
  const exprs: Record<string, string> = {};
  for (const [canon, name] of Object.entries(CANONICAL_TO_FEATURE)) exprs[name] = canon;
  Object.assign(exprs, {
    wd_sin: wind.sin,
    wd_cos: wind.cos,
    hour: cal.hour,
    dow: cal.dow,
    month: cal.month,
    station_code: `list_position([${stations.map(lit).join(", ")}], station) - 1`,
    pm25_roll24: `avg(pm25) OVER (PARTITION BY station ORDER BY time ROWS BETWEEN ${
      ROLL_HOURS - 1
    } PRECEDING AND CURRENT ROW)`,
  });
  for (const k of LAGS) exprs[`pm25_lag${k}`] = `lag(pm25, ${k}) ${w}`;
  const cols = FEATURE_NAMES.map((n) => {
    const e = exprs[n];
    if (!e) throw new Error(`No derivation for feature "${n}"`);
    return `(${e})::FLOAT AS ${ident(n)}`;
  });
  return `SELECT station, time, ${
    cols.join(", ")
  }, (lead(pm25, ${horizonHours}) ${w})::FLOAT AS ${TARGET}
    FROM ${table}`;
}

/** Writes features.parquet and returns the schema with observed ranges. */
export async function buildFeatures(
  c: DuckDBConnection,
  o: { cleanPath: string; out: string; horizonHours: number },
): Promise<{ schema: FeatureSchema; rows: number }> {
  const stations = (await all<{ station: string }>(
    c,
    `SELECT DISTINCT station FROM read_parquet(${lit(o.cleanPath)}) ORDER BY station`,
  )).map((r) => r.station);
  await writeParquet(
    c,
    `${
      featureQuery(`read_parquet(${lit(o.cleanPath)})`, o.horizonHours, stations)
    } ORDER BY station, time`,
    o.out,
  );
  const stats = await all<Record<string, number | bigint | null>>(
    c,
    `SELECT count(*) AS n, ${
      FEATURE_NAMES.map((n, i) =>
        `min(${ident(n)}) AS min${i}, max(${ident(n)}) AS max${i}, quantile_cont(${
          ident(n)
        }, 0.01) AS p01_${i},
       quantile_cont(${ident(n)}, 0.99) AS p99_${i}, avg((${ident(n)} IS NULL)::INT) AS miss${i}`
      ).join(", ")
    } FROM read_parquet(${lit(o.out)})`,
  );
  const s = stats[0]!;
  const num = (k: string) => (s[k] === null ? NaN : Number(s[k]));
  const schema: FeatureSchema = {
    version: 1,
    target: { name: TARGET, unit: "µg/m³", horizonHours: o.horizonHours },
    features: FEATURES.map((f, i) => ({
      ...f,
      observed: {
        min: num(`min${i}`),
        max: num(`max${i}`),
        p01: num(`p01_${i}`),
        p99: num(`p99_${i}`),
        missingShare: num(`miss${i}`),
      },
    })),
    stations,
  };
  return { schema, rows: Number(s.n) };
}

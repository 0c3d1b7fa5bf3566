/** The composition of clean.parquet for the data card, in one DuckDB query. */
import type { DuckDBConnection } from "@duckdb/node-api";
import { all, lit } from "../data/duck.ts";
import { FLAGS } from "../data/clean.ts";
import type { CleanComposition } from "./data_card.ts";

/** Rows, stations, period, missing shares and flag counts of clean.parquet. */
export async function cleanComposition(
  c: DuckDBConnection,
  path: string,
): Promise<CleanComposition> {
  const cols =
    (await all<{ column_name: string }>(c, `DESCRIBE SELECT * FROM read_parquet(${lit(path)})`))
      .map((r) => r.column_name)
      .filter((n) => !["station", "time", "flags"].includes(n));
  const flagSql = Object.entries(FLAGS).map(([k, bit]) =>
    `count(*) FILTER (WHERE (flags & ${bit}) <> 0) AS "flag_${k}"`
  );
  const missSql = cols.map((n) => `avg(CASE WHEN "${n}" IS NULL THEN 1 ELSE 0 END) AS "miss_${n}"`);
  const [r] = await all<Record<string, unknown>>(
    c,
    `SELECT count(*) AS rows, list(DISTINCT station) AS stations, strftime(min(time), '%Y-%m-%d %H:%M') AS t0,
       strftime(max(time), '%Y-%m-%d %H:%M') AS t1, ${[...flagSql, ...missSql].join(", ")}
     FROM read_parquet(${lit(path)})`,
  );
  if (!r) throw new Error(`Cannot describe ${path}: the query returned no row`);
  const stations = r.stations as { items?: string[] } | string[];
  return {
    rows: Number(r.rows),
    stations: (Array.isArray(stations) ? stations : stations.items ?? []).map(String).sort(),
    from: String(r.t0),
    to: String(r.t1),
    missingShare: Object.fromEntries(cols.map((n) => [n, Number(r[`miss_${n}`])])),
    flags: Object.fromEntries(Object.keys(FLAGS).map((k) => [k, Number(r[`flag_${k}`])])),
  };
}

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
  stuck: 4, // PM2.5 repeated unchanged for `stuckHours` or more
  interpolated: 8, // at least one input feature filled by short-gap interpolation
  duplicate_resolved: 16, // several raw rows had this station and hour
} as const;

export interface CleanOptions {
  rawPath: string;
  out: string;
  duplicatesOut: string;
  /** Longest gap (hours) filled by linear interpolation, inputs only. */
  maxInterpolateHours: number;
  stuckHours: number;
}

export interface QualityReport {
  rows: number;
  stations: number;
  gridRowsAdded: number;
  duplicates: { groups: number; rowsDropped: number; rule: string };
  outOfRange: Record<string, number>;
  stuckRows: number;
  interpolated: Record<string, number>;
  missingShare: { station: string; column: string; before: number; after: number }[];
  flags: Record<string, number>;
}

const INPUTS_TO_INTERPOLATE = CANONICAL_NUMERIC.filter((c) => c !== "pm25" && c !== "wd_deg");

/**
 * The clean hourly table: one row per station and hour between its first and last
 * observation, range-checked, duplicates resolved, short input gaps interpolated. PM2.5 is
 * never interpolated: it is the target.
 */
export async function clean(c: DuckDBConnection, o: CleanOptions): Promise<QualityReport> {
  await c.run(`CREATE OR REPLACE TEMP VIEW r AS SELECT * FROM read_parquet(${lit(o.rawPath)})`);
  // Duplicate station-hours: keep the row with the most values present, then the last read.
  const present = CANONICAL_NUMERIC.map((k) => `(${k} IS NOT NULL)::INT`).join(" + ");
  await c.run(`CREATE OR REPLACE TEMP VIEW ranked AS SELECT *, row_number() OVER (
      PARTITION BY station, time ORDER BY ${present} DESC, file DESC NULLS LAST, line DESC NULLS LAST) AS rk,
      count(*) OVER (PARTITION BY station, time) AS dup FROM r`);
  await writeParquet(
    c,
    `SELECT * EXCLUDE (rk, dup), 'duplicate of a kept row with as many or more values' AS reason FROM ranked WHERE rk > 1`,
    o.duplicatesOut,
  );
  const ranged = CANONICAL_NUMERIC.map((k) => {
    const b = RANGE_RULES[k];
    return `CASE WHEN ${k} >= ${b.min} AND ${k} ${
      k === "wd_deg" ? "<" : "<="
    } ${b.max} THEN ${k} END AS ${k}, (${k} IS NOT NULL AND NOT (${k} >= ${b.min} AND ${k} ${
      k === "wd_deg" ? "<" : "<="
    } ${b.max})) AS oor_${k}`;
  }).join(", ");
  await c.run(
    `CREATE OR REPLACE TEMP VIEW dedup AS SELECT station, time, dup > 1 AS dup, ${ranged} FROM ranked WHERE rk = 1`,
  );
  await c.run(`CREATE OR REPLACE TEMP VIEW grid AS
    WITH span AS (SELECT station, min(time) AS t0, max(time) AS t1 FROM dedup GROUP BY station)
    SELECT s.station, g.time FROM span s, LATERAL (SELECT unnest(generate_series(s.t0, s.t1, INTERVAL 1 HOUR)) AS time) g`);
  await c.run(
    `CREATE OR REPLACE TEMP VIEW joined AS SELECT g.station, g.time, d.station IS NULL AS gap,
      coalesce(d.dup, false) AS dup, ${
      CANONICAL_NUMERIC.map((k) => `d.${k}, coalesce(d.oor_${k}, false) AS oor_${k}`).join(", ")
    }
    FROM grid g LEFT JOIN dedup d USING (station, time)`,
  );
  // Stuck sensor: a run of identical non-zero PM2.5 values as long as stuckHours.
  await c.run(`CREATE OR REPLACE TEMP VIEW runs AS SELECT *,
      sum(CASE WHEN pm25 IS DISTINCT FROM prev THEN 1 ELSE 0 END) OVER (PARTITION BY station ORDER BY time) AS run_id
    FROM (SELECT *, lag(pm25) OVER (PARTITION BY station ORDER BY time) AS prev FROM joined)`);
  await c.run(`CREATE OR REPLACE TEMP VIEW stuck AS SELECT * EXCLUDE (prev, run_id),
      (pm25 IS NOT NULL AND pm25 > 0 AND count(*) OVER (PARTITION BY station, run_id) >= ${o.stuckHours}) AS stuck FROM runs`);
  // Short-gap linear interpolation by time, inputs only. On the complete grid a fillable
  // gap spans at most maxInterpolateHours rows, so the nearest values on either side are
  // within that many rows plus one: fixed-offset lag/lead (cheap) instead of frames.
  const reach = o.maxInterpolateHours + 1;
  const w = "OVER (PARTITION BY station ORDER BY time)";
  const offsets = Array.from({ length: reach }, (_, i) => i + 1);
  const near = (k: string, fn: "lag" | "lead") => ({
    v: reach ? `coalesce(${offsets.map((d) => `${fn}(${k}, ${d}) ${w}`).join(", ")})` : "NULL",
    d: reach
      ? `CASE ${
        offsets.map((d) => `WHEN ${fn}(${k}, ${d}) ${w} IS NOT NULL THEN ${d}`).join(" ")
      } END`
      : "NULL",
  });
  const neighbours = INPUTS_TO_INTERPOLATE.map((k) => {
    const p = near(k, "lag"), n = near(k, "lead");
    return `${p.v} AS ${k}_pv, ${p.d} AS ${k}_pd, ${n.v} AS ${k}_nv, ${n.d} AS ${k}_nd`;
  }).join(",\n");
  const fillable = (k: string) =>
    `(${k} IS NULL AND ${k}_pd IS NOT NULL AND ${k}_nd IS NOT NULL AND ${k}_pd + ${k}_nd <= ${reach})`;
  const interp = INPUTS_TO_INTERPOLATE.map((k) =>
    `CASE WHEN ${
      fillable(k)
    } THEN ${k}_pv + (${k}_nv - ${k}_pv) * ${k}_pd / (${k}_pd + ${k}_nd) ELSE ${k} END AS ${k}, ${
      fillable(k)
    } AS int_${k}`
  ).join(",\n");
  await c.run(
    `CREATE OR REPLACE TEMP TABLE filled AS SELECT station, time, gap, dup, stuck, pm25, wd_deg, ${interp},
      ${CANONICAL_NUMERIC.map((k) => `oor_${k}`).join(", ")}
    FROM (SELECT *, ${neighbours} FROM stuck)`,
  );
  const anyOor = CANONICAL_NUMERIC.map((k) => `oor_${k}`).join(" OR ");
  const anyInt = INPUTS_TO_INTERPOLATE.map((k) => `int_${k}`).join(" OR ");
  await writeParquet(
    c,
    `SELECT station, time, ${CANONICAL_NUMERIC.map((k) => `${k}::DOUBLE AS ${k}`).join(", ")},
      (gap::INT * ${FLAGS.gap} + (${anyOor})::INT * ${FLAGS.out_of_range} + stuck::INT * ${FLAGS.stuck}
       + (${anyInt})::INT * ${FLAGS.interpolated} + dup::INT * ${FLAGS.duplicate_resolved})::INT AS flags
     FROM filled ORDER BY station, time`,
    o.out,
  );

  const counts = await all<Record<string, bigint | number>>(
    c,
    `SELECT count(*) AS rows, count(DISTINCT station) AS stations, count(*) FILTER (WHERE gap) AS gaps,
      count(*) FILTER (WHERE stuck) AS stuck, count(*) FILTER (WHERE dup) AS dups,
      ${CANONICAL_NUMERIC.map((k) => `count(*) FILTER (WHERE oor_${k}) AS oor_${k}`).join(", ")},
      ${INPUTS_TO_INTERPOLATE.map((k) => `count(*) FILTER (WHERE int_${k}) AS int_${k}`).join(", ")}
     FROM filled`,
  );
  const n = (k: string) => Number(counts[0]![k] ?? 0);
  const dupRows = await all<{ groups: bigint; dropped: bigint }>(
    c,
    `SELECT count(DISTINCT (station, time)) AS groups, count(*) AS dropped FROM read_parquet(${
      lit(o.duplicatesOut)
    })`,
  );
  const missing = await all<{ station: string; column: string; before: number; after: number }>(
    c,
    `SELECT station, col AS "column", before, after FROM (
      SELECT station, ${
      CANONICAL_NUMERIC.map((k) =>
        `avg(((${
          INPUTS_TO_INTERPOLATE.includes(k as never) ? `${k} IS NULL OR int_${k}` : `${k} IS NULL`
        }))::INT) AS b_${k}, avg((${k} IS NULL)::INT) AS a_${k}`
      ).join(", ")
    } FROM filled GROUP BY station)
      UNPIVOT ((before, after) FOR col IN (${
      CANONICAL_NUMERIC.map((k) => `(b_${k}, a_${k}) AS '${k}'`).join(", ")
    }))
     ORDER BY station, col`,
  );
  return {
    rows: n("rows"),
    stations: n("stations"),
    gridRowsAdded: n("gaps"),
    duplicates: {
      groups: Number(dupRows[0]!.groups),
      rowsDropped: Number(dupRows[0]!.dropped),
      rule: "keep the row with the most values present; ties: the last file and line read",
    },
    outOfRange: Object.fromEntries(CANONICAL_NUMERIC.map((k) => [k, n(`oor_${k}`)])),
    stuckRows: n("stuck"),
    interpolated: Object.fromEntries(INPUTS_TO_INTERPOLATE.map((k) => [k, n(`int_${k}`)])),
    missingShare: missing.map((m) => ({ ...m, before: Number(m.before), after: Number(m.after) })),
    flags: { gap: n("gaps"), stuck: n("stuck"), duplicate_resolved: n("dups") },
  };
}

import type { DuckDBConnection } from "@duckdb/node-api";
import { all, lit, writeParquet } from "../data/duck.ts";
import { TARGET } from "./schema.ts";

export interface SplitOptions {
  featuresPath: string;
  out: { train: string; valid: string; test: string };
  /** First hour of the test period, "YYYY-MM-DD". */
  testStart: string;
  validMonths: number;
  gapHours: number;
  holdoutStations: readonly string[];
}

export interface SplitReport {
  train: { rows: number; from: string; to: string };
  valid: { rows: number; from: string; to: string };
  test: { rows: number; from: string; to: string };
  gapHours: number;
  droppedInGaps: number;
  droppedNoTarget: number;
  holdoutStations: string[];
}

/**
 * Train / validation / test by time. Rows within `gapHours` before a boundary are left out,
 * so no training row's target or lag window overlaps the next period. Rows without a
 * target are counted and left out. Held-out stations go to test only.
 */
export async function splitByTime(c: DuckDBConnection, o: SplitOptions): Promise<SplitReport> {
  const src = `read_parquet(${lit(o.featuresPath)})`;
  const range = (await all<{ t0: string; t1: string }>(
    c,
    `SELECT min(time)::VARCHAR AS t0, max(time)::VARCHAR AS t1 FROM ${src}`,
  ))[0]!;
  const test = `TIMESTAMP ${lit(o.testStart)}`;
  const valid = `(${test} - INTERVAL ${o.validMonths} MONTH)`;
  const t0 = Date.parse(range.t0.replace(" ", "T") + "Z");
  const t1 = Date.parse(range.t1.replace(" ", "T") + "Z");
  const ts = Date.parse(o.testStart + "T00:00:00Z");
  if (!Number.isFinite(ts)) {
    throw new RangeError(`split.test_start must be a date YYYY-MM-DD: got "${o.testStart}"`);
  }
  if (!(ts > t0 && ts <= t1)) {
    throw new RangeError(
      `Cannot split: split.test_start ${o.testStart} is outside the data (${range.t0} to ${range.t1}); set it inside`,
    );
  }
  const hold = o.holdoutStations.length
    ? `station IN (${o.holdoutStations.map(lit).join(", ")})`
    : "false";
  const gap = `INTERVAL ${o.gapHours} HOUR`;
  await c.run(`CREATE OR REPLACE TEMP TABLE labelled AS SELECT *,
      CASE WHEN ${TARGET} IS NULL THEN 'no_target'
        WHEN ${hold} THEN 'test'
        WHEN time >= ${test} THEN 'test'
        WHEN time >= ${test} - ${gap} THEN 'gap'
        WHEN time >= ${valid} THEN 'valid'
        WHEN time >= ${valid} - ${gap} THEN 'gap'
        ELSE 'train' END AS part FROM ${src}`);
  for (const part of ["train", "valid", "test"] as const) {
    await writeParquet(
      c,
      `SELECT * EXCLUDE (part) FROM labelled WHERE part = '${part}' ORDER BY station, time`,
      o.out[part],
    );
  }
  const rows = await all<{ part: string; n: bigint; from: string; to: string }>(
    c,
    `SELECT part, count(*) AS n, min(time)::VARCHAR AS "from", max(time)::VARCHAR AS "to" FROM labelled GROUP BY part`,
  );
  const get = (p: string) => rows.find((r) => r.part === p);
  const info = (p: string) => ({
    rows: Number(get(p)?.n ?? 0),
    from: get(p)?.from ?? "",
    to: get(p)?.to ?? "",
  });
  const report: SplitReport = {
    train: info("train"),
    valid: info("valid"),
    test: info("test"),
    gapHours: o.gapHours,
    droppedInGaps: Number(get("gap")?.n ?? 0),
    droppedNoTarget: Number(get("no_target")?.n ?? 0),
    holdoutStations: [...o.holdoutStations],
  };
  for (const p of ["train", "valid", "test"] as const) {
    if (report[p].rows === 0) {
      throw new RangeError(
        `Cannot split: the ${p} split is empty (data ${range.t0} to ${range.t1}, test_start ${o.testStart}, valid_months ${o.validMonths})`,
      );
    }
  }
  return report;
}

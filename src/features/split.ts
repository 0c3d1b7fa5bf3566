import type { DuckDBConnection } from "@duckdb/node-api";
import { all, lit, writeParquet } from "../data/duck.ts";
import { TARGET } from "./schema.ts";
import { isCalendarDay } from "../pipeline/params.ts";
import { type Fold, hourText, rollingOriginFolds } from "../tuning/folds.ts";

export interface SplitOptions {
  featuresPath: string;
  out: { train: string; valid: string; test: string };
  /** First hour of the test period, "YYYY-MM-DD". */
  testStart: string;
  /** Months before testStart tiled by the cross-validation blocks. */
  validMonths: number;
  /** Number of cross-validation folds. */
  folds: number;
  gapHours: number;
  holdoutStations: readonly string[];
}

/** A fold of the split report: its times (epoch ms and text) and row counts. */
export interface FoldReport extends Fold {
  fit_to: string;
  valid_from: string;
  valid_to: string;
  fitRows: number;
  validRows: number;
}

export interface SplitReport {
  /** Every row before the test period less the gap: what the final model is fitted on. */
  train: { rows: number; from: string; to: string };
  /** The last fold's validation block (rows also in train): a calibration window for models that cannot be refitted (pretrained). */
  valid: { rows: number; from: string; to: string };
  test: { rows: number; from: string; to: string };
  gapHours: number;
  droppedInGaps: number;
  droppedNoTarget: number;
  holdoutStations: string[];
  /** Rolling-origin folds inside the training period, oldest first. */
  folds: FoldReport[];
}

/** "YYYY-MM-DD" as epoch ms of its first hour, or throws for a day that does not exist. */
export function parseDay(text: string, key: string): number {
  if (!isCalendarDay(text)) {
    throw new RangeError(`Cannot split: ${key} must be a real date "YYYY-MM-DD": got "${text}"`);
  }
  return Date.parse(`${text}T00:00:00Z`);
}

/**
 * Train / test by time, and the rolling-origin folds of cross-validation inside train.
 * Rows within `gapHours` before the test period are left out, so no training row's target
 * or lag window overlaps it. Rows without a target are counted and left out. Held-out
 * stations go to test only; each must be a station of the data.
 */
export async function splitByTime(c: DuckDBConnection, o: SplitOptions): Promise<SplitReport> {
  const src = `read_parquet(${lit(o.featuresPath)})`;
  const ts = parseDay(o.testStart, "split.test_start");
  const range = (await all<{ t0: string; t1: string }>(
    c,
    `SELECT min(time)::VARCHAR AS t0, max(time)::VARCHAR AS t1 FROM ${src}`,
  ))[0]!;
  const t0 = Date.parse(range.t0.replace(" ", "T") + "Z");
  const t1 = Date.parse(range.t1.replace(" ", "T") + "Z");
  if (!(ts > t0 && ts <= t1)) {
    throw new RangeError(
      `Cannot split: split.test_start "${o.testStart}" is outside the data (${range.t0} to ${range.t1}); set it inside`,
    );
  }
  await checkStations(c, src, o.holdoutStations);
  const folds = rollingOriginFolds({
    testStart: ts,
    validMonths: o.validMonths,
    folds: o.folds,
    gapHours: o.gapHours,
  });
  const hold = o.holdoutStations.length
    ? `station IN (${o.holdoutStations.map(lit).join(", ")})`
    : "false";
  const test = `TIMESTAMP ${lit(o.testStart)}`;
  await c.run(`CREATE OR REPLACE TEMP TABLE labelled AS SELECT *,
      CASE WHEN ${TARGET} IS NULL THEN 'no_target'
        WHEN ${hold} THEN 'test'
        WHEN time >= ${test} THEN 'test'
        WHEN time >= ${test} - INTERVAL ${o.gapHours} HOUR THEN 'gap'
        ELSE 'train' END AS part FROM ${src}`);
  const last = folds[folds.length - 1]!;
  const inLast =
    `time >= epoch_ms(${last.validStart}::BIGINT) AND time < epoch_ms(${last.validEnd}::BIGINT)`;
  const parts = {
    train: "part = 'train'",
    valid: `part = 'train' AND ${inLast}`,
    test: "part = 'test'",
  } as const;
  for (const [part, where] of Object.entries(parts) as [keyof typeof parts, string][]) {
    await writeParquet(
      c,
      `SELECT * EXCLUDE (part) FROM labelled WHERE ${where} ORDER BY station, time`,
      o.out[part],
    );
  }
  const counts = await all<{ part: string; n: bigint; from: string; to: string }>(
    c,
    `SELECT part, count(*) AS n, min(time)::VARCHAR AS "from", max(time)::VARCHAR AS "to" FROM labelled GROUP BY part
     UNION ALL SELECT 'valid', count(*), min(time)::VARCHAR, max(time)::VARCHAR FROM labelled WHERE ${parts.valid}`,
  );
  const get = (p: string) => counts.find((r) => r.part === p);
  const info = (p: string) => ({
    rows: Number(get(p)?.n ?? 0),
    from: get(p)?.from ?? "",
    to: get(p)?.to ?? "",
  });
  const foldCounts = await all<{ fit: bigint; valid: bigint }>(
    c,
    folds.map((f) =>
      `SELECT ${f.fold} AS k,
        count(*) FILTER (WHERE time < epoch_ms(${f.fitEnd}::BIGINT)) AS fit,
        count(*) FILTER (WHERE time >= epoch_ms(${f.validStart}::BIGINT) AND time < epoch_ms(${f.validEnd}::BIGINT)) AS valid
       FROM labelled WHERE part = 'train'`
    ).join(" UNION ALL ") + " ORDER BY k",
  );
  const report: SplitReport = {
    train: info("train"),
    valid: info("valid"),
    test: info("test"),
    gapHours: o.gapHours,
    droppedInGaps: Number(get("gap")?.n ?? 0),
    droppedNoTarget: Number(get("no_target")?.n ?? 0),
    holdoutStations: [...o.holdoutStations],
    folds: folds.map((f, k) => ({
      ...f,
      fit_to: hourText(f.fitEnd),
      valid_from: hourText(f.validStart),
      valid_to: hourText(f.validEnd),
      fitRows: Number(foldCounts[k]!.fit),
      validRows: Number(foldCounts[k]!.valid),
    })),
  };
  for (const p of ["train", "test"] as const) {
    if (report[p].rows === 0) {
      throw new RangeError(
        `Cannot split: the ${p} split is empty (data ${range.t0} to ${range.t1}, test_start ${o.testStart})`,
      );
    }
  }
  for (const f of report.folds) {
    if (f.fitRows === 0 || f.validRows === 0) {
      throw new RangeError(
        `Cannot split: fold ${f.fold} has ${f.fitRows} training and ${f.validRows} validation rows (data from ${range.t0}, blocks of split.valid_months ${o.validMonths} / split.folds ${o.folds} before ${o.testStart}); lower split.valid_months or split.folds`,
      );
    }
  }
  return report;
}

/** Every held-out station must be one of the data's, or the hold-out would silently do nothing. */
async function checkStations(
  c: DuckDBConnection,
  src: string,
  holdout: readonly string[],
): Promise<void> {
  if (holdout.length === 0) return;
  const known = (await all<{ station: string }>(
    c,
    `SELECT DISTINCT station FROM ${src} ORDER BY station`,
  )).map((r) => r.station);
  const unknown = holdout.filter((s) => !known.includes(s));
  if (unknown.length) {
    throw new RangeError(
      `Cannot split: split.holdout_stations names ${
        unknown.map((s) => `"${s}"`).join(", ")
      }, not a station of the data (${known.join(", ")})`,
    );
  }
  if (holdout.length >= known.length) {
    throw new RangeError(
      `Cannot split: split.holdout_stations holds out every station of the data (${
        known.join(", ")
      }); keep at least one for training`,
    );
  }
}

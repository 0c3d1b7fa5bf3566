/**
 * Writes in-memory columns as a Parquet table through DuckDB (I/O code: pipeline only).
 * Evaluation and training reports are built as typed arrays; this is the one place that
 * turns them into the long, plot-ready tables the site reads.
 */
import type { DuckDBAppender, DuckDBConnection } from "@duckdb/node-api";
import { ident, writeParquet } from "./duck.ts";

/** A column: numbers as DOUBLE (NaN = NULL), INTEGER, TIMESTAMP (epoch ms) or VARCHAR. */
export type Column =
  | { type: "double"; values: ArrayLike<number> }
  | { type: "int"; values: ArrayLike<number> }
  | { type: "timestamp"; values: ArrayLike<number> }
  | { type: "string"; values: ArrayLike<string | null> };

const SQL_TYPE = { double: "DOUBLE", int: "INTEGER", timestamp: "BIGINT", string: "VARCHAR" };

let tableCounter = 0;

/** Writes `columns` (name -> column, all the same length) to `path` as Parquet, atomically. */
export async function writeColumns(
  c: DuckDBConnection,
  path: string,
  columns: Record<string, Column>,
): Promise<number> {
  const names = Object.keys(columns);
  if (names.length === 0) throw new RangeError(`Cannot write ${path}: no columns`);
  const n = columns[names[0]!]!.values.length;
  for (const name of names) {
    const len = columns[name]!.values.length;
    if (len !== n) {
      throw new RangeError(
        `Cannot write ${path}: column "${name}" has ${len} values, expected ${n} like "${
          names[0]
        }"`,
      );
    }
  }
  const table = `_cols_${++tableCounter}`;
  const defs = names.map((k) => `${ident(k)} ${SQL_TYPE[columns[k]!.type]}`).join(", ");
  await c.run(`CREATE TEMP TABLE ${table} (${defs})`);
  try {
    const app: DuckDBAppender = await c.createAppender(table);
    const cols = names.map((k) => columns[k]!);
    for (let i = 0; i < n; i++) {
      for (const col of cols) appendValue(app, col, i);
      app.endRow();
    }
    app.closeSync();
    const select = names.map((k) =>
      columns[k]!.type === "timestamp" ? `epoch_ms(${ident(k)}) AS ${ident(k)}` : ident(k)
    ).join(", ");
    await writeParquet(c, `SELECT ${select} FROM ${table}`, path);
  } finally {
    await c.run(`DROP TABLE IF EXISTS ${table}`);
  }
  return n;
}

function appendValue(app: DuckDBAppender, col: Column, i: number): void {
  const v = col.values[i];
  if (col.type === "string") {
    if (v === null || v === undefined) app.appendNull();
    else app.appendVarchar(v as string);
    return;
  }
  const x = v as number;
  if (!Number.isFinite(x)) {
    app.appendNull();
    return;
  }
  if (col.type === "double") app.appendDouble(x);
  else if (col.type === "int") app.appendInteger(Math.round(x));
  else app.appendBigInt(BigInt(Math.round(x)));
}

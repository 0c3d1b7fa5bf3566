/**
 * Helpers for the site's data loaders: each loader is thin, reads pipeline artifacts from
 * the repository and writes one file to stdout. An artifact that does not exist yet is
 * reported in the output's `missing` list, so the page can say which stage produces it
 * instead of failing the build.
 */
import { all, lit, openDuck, writeParquet } from "../../src/data/duck.ts";
import type { DuckDBConnection } from "@duckdb/node-api";
import {
  Dictionary,
  Float32,
  Float64,
  Int16,
  Int32,
  Int8,
  Table,
  tableToIPC,
  TimestampMillisecond,
  Utf8,
  type Vector,
  vectorFromArray,
} from "apache-arrow";
import { resolveModel } from "../../src/registry/resolve_model.ts";
import { configuredModelName } from "../../src/registry/model_name.ts";

/** Absolute path of a repository-relative path (loaders may run from any directory). */
export { lit };
export const repo = (path: string): string => new URL(`../../${path}`, import.meta.url).pathname;

export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(repo(path));
    return true;
  } catch {
    return false;
  }
}

/** A loader's JSON output: what it found, and the artifacts it looked for and did not find. */
export class Out {
  readonly missing: string[] = [];
  readonly data: Record<string, unknown> = {};
  #conn: DuckDBConnection | undefined;

  async conn(): Promise<DuckDBConnection> {
    return this.#conn ??= await openDuck();
  }

  /** A JSON artifact, or null (and noted missing). */
  async json<T = unknown>(path: string): Promise<T | null> {
    if (!(await exists(path))) return this.#miss(path);
    const text = await Deno.readTextFile(repo(path));
    try {
      return JSON.parse(text) as T;
    } catch (e) {
      throw new TypeError(`Cannot parse ${path}: expected JSON (${e})`);
    }
  }

  /** A text artifact (Markdown), or null. */
  async text(path: string): Promise<string | null> {
    if (!(await exists(path))) return this.#miss(path);
    return await Deno.readTextFile(repo(path));
  }

  /**
   * Rows of a Parquet artifact as JSON-ready objects: `sql` is a query over the view `t`
   * (default: every row). Timestamps become "YYYY-MM-DDTHH:MM" strings, BigInt numbers.
   */
  async parquet(path: string, sql = "SELECT * FROM t"): Promise<Record<string, unknown>[] | null> {
    if (!(await exists(path))) return this.#miss(path);
    const c = await this.conn();
    const q = `WITH t AS (SELECT * FROM read_parquet(${lit(repo(path))})) ${sql}`;
    return (await all(c, q)).map(plain);
  }

  /**
   * A Parquet query's result as columns (`{name: values[]}`), numbers rounded to `digits`
   * significant digits: half the bytes of row objects for the large plotting tables. The
   * page turns them back into rows with `rows()` of components/columns.js.
   */
  async columns(
    path: string,
    sql = "SELECT * FROM t",
    digits = 5,
  ): Promise<Record<string, unknown[]> | null> {
    const rows = await this.parquet(path, sql);
    if (rows === null) return null;
    const cols: Record<string, unknown[]> = {};
    for (const name of Object.keys(rows[0] ?? {})) cols[name] = [];
    for (const r of rows) {
      for (const [k, v] of Object.entries(r)) {
        cols[k]!.push(typeof v === "number" ? Number(v.toPrecision(digits)) : v);
      }
    }
    return cols;
  }

  #miss(path: string): null {
    if (!this.missing.includes(path)) this.missing.push(path);
    return null;
  }

  /** Writes `{ missing, ...data }` to stdout. */
  async emit(): Promise<void> {
    const body = JSON.stringify(
      { missing: this.missing, ...this.data },
      (_k, v) => typeof v === "number" && !Number.isFinite(v) ? null : v,
    );
    await Deno.stdout.write(new TextEncoder().encode(body));
  }
}

function plain(row: Record<string, unknown>): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    o[k] = typeof v === "bigint" ? Number(v) : v instanceof Date ? v.toISOString().slice(0, 16) : v;
  }
  return o;
}

/**
 * Writes a Parquet file made by `query` (over `read_parquet(source)` as `t`) to stdout;
 * when the source is missing, an empty file: the page checks the JSON loader's `missing`.
 */
export async function emitParquet(source: string, query: string): Promise<void> {
  if (!(await exists(source))) return;
  const c = await openDuck();
  const tmp = await Deno.makeTempFile({ suffix: ".parquet" });
  try {
    await writeParquet(
      c,
      `WITH t AS (SELECT * FROM read_parquet(${lit(repo(source))})) ${query}`,
      tmp,
    );
    const file = await Deno.open(tmp);
    await file.readable.pipeTo(Deno.stdout.writable);
  } finally {
    await Deno.remove(tmp).catch(() => {});
  }
}

/** Streams an artifact's bytes to stdout (nothing when it does not exist). */
export async function emitFile(path: string | null): Promise<void> {
  if (path === null || !(await exists(path))) return;
  const file = await Deno.open(repo(path));
  await file.readable.pipeTo(Deno.stdout.writable);
}

/**
 * The model package the site explains and scores, by the one rule of
 * src/registry/resolve_model.ts (the configured model's production version, else the GBDT
 * candidate). Null when there is none yet.
 */
export async function modelPackage(): Promise<{ path: string; label: string } | null> {
  const name = await configuredModelName(repo("params.yaml"));
  const m = await resolveModel(repo(""), { name });
  return m && { path: m.path, label: m.label };
}

/**
 * Writes a query's rows (over `read_parquet(source)` as `t`) as a gzipped Arrow IPC stream
 * to stdout: the browser's DuckDB-WASM reads Arrow natively, while its Parquet reader is an
 * extension it would download from extensions.duckdb.org. Columns arrive in their final
 * types, so the browser creates its table in one step: text as a dictionary, TIMESTAMP as
 * Arrow timestamp[ms], TINYINT / SMALLINT / INTEGER as the same integers, BIGINT and DOUBLE
 * as float64, other numbers as float32, SQL NULL as Arrow null. Nothing is written when the
 * source is missing. With `partBy` (a column the query orders by), each of its values gets
 * an Arrow stream of its own, behind an index, so the page loads one value's rows at a time
 * (see `partsFile`).
 */
const INTEGERS: Record<string, () => Int8 | Int16 | Int32> = {
  TINYINT: () => new Int8(),
  SMALLINT: () => new Int16(),
  INTEGER: () => new Int32(),
};

export async function emitArrow(
  source: string,
  query: string,
  { partBy }: { partBy?: string } = {},
): Promise<void> {
  if (!(await exists(source))) return;
  const c = await openDuck();
  const result = await c.runAndReadAll(
    `WITH t AS (SELECT * FROM read_parquet(${lit(repo(source))})) ${query}`,
  );
  const names = result.columnNames();
  const types = result.columnTypes().map((t) => String(t));
  const rows = result.getRows();
  const columns: Record<string, Vector> = {};
  names.forEach((name, j) => {
    const t = types[j]!;
    const values = (f: (v: unknown) => unknown) => rows.map((r) => r[j] == null ? null : f(r[j]));
    if (t === "VARCHAR") {
      columns[name] = vectorFromArray(values(String), new Dictionary(new Utf8(), new Int32()));
    } else if (t.startsWith("TIMESTAMP")) {
      // DuckDB's timestamps are microseconds since the epoch (no time zone: local time).
      columns[name] = vectorFromArray(
        values((v) => Number((v as { micros: bigint }).micros / 1000n)),
        new TimestampMillisecond(),
      );
    } else if (t in INTEGERS) {
      columns[name] = vectorFromArray(values(Number), INTEGERS[t]!());
    } else if (t === "BIGINT" || t === "DOUBLE") {
      columns[name] = vectorFromArray(values(Number), new Float64());
    } else columns[name] = vectorFromArray(values(Number), new Float32());
  });
  const table = new Table(columns);
  let ipc: Uint8Array = tableToIPC(table, "stream");
  if (partBy !== undefined) {
    const key = names.indexOf(partBy);
    if (key < 0) throw new RangeError(`Cannot split by "${partBy}": the query has no such column`);
    const starts = rows.flatMap((r, i) => i === 0 || r[key] !== rows[i - 1]![key] ? [i] : []);
    ipc = partsFile(
      partBy,
      starts.map((a, k) => ({
        value: String(rows[a]![key]),
        ipc: tableToIPC(table.slice(a, starts[k + 1] ?? rows.length), "stream"),
      })),
    );
  }
  await new Blob([ipc as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
    new CompressionStream("gzip"),
  ).pipeTo(
    Deno.stdout.writable,
  );
}

/** First bytes of a parts file (see `partsFile`). */
export const PARTS_MAGIC = "AQPT";

/**
 * One Arrow stream per value of `column`, in one file: "AQPT", the index's length (uint32,
 * little-endian), the index as JSON (`{column, parts: [{value, offset, length}]}`, offsets
 * from the end of the index), then the streams. The site's `openDuck` reads it.
 */
export function partsFile(
  column: string,
  parts: { value: string; ipc: Uint8Array }[],
): Uint8Array {
  let offset = 0;
  const index = new TextEncoder().encode(JSON.stringify({
    column,
    parts: parts.map((p) => {
      const entry = { value: p.value, offset, length: p.ipc.length };
      offset += p.ipc.length;
      return entry;
    }),
  }));
  const out = new Uint8Array(8 + index.length + offset);
  out.set(new TextEncoder().encode(PARTS_MAGIC), 0);
  new DataView(out.buffer).setUint32(4, index.length, true);
  out.set(index, 8);
  let at = 8 + index.length;
  for (const p of parts) {
    out.set(p.ipc, at);
    at += p.ipc.length;
  }
  return out;
}

import { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { dirname } from "node:path";

/** The database behind each connection openDuck made, for `sibling`. */
const databases = new WeakMap<DuckDBConnection, DuckDBInstance>();

/**
 * An in-memory DuckDB connection for one stage; close it when done. Threads: one per core
 * (or `AQLAB_DUCKDB_THREADS`), and never fewer than 2: with one thread DuckDB cuts Parquet
 * row groups where its vectors end (123,624 rows instead of 122,880), so a 1-core machine
 * wrote other bytes than every other machine for the same data; from 2 threads up the
 * files are the same bytes at any count (tests/pipeline/reproducible_test.ts).
 */
export async function openDuck(): Promise<DuckDBConnection> {
  const wanted = Number(Deno.env.get("AQLAB_DUCKDB_THREADS")) || navigator.hardwareConcurrency;
  const threads = Math.max(2, wanted || 2);
  const db = await DuckDBInstance.create(":memory:", { threads: String(threads) });
  const c = await db.connect();
  databases.set(c, db);
  // A memory cap with a spill folder keeps the 453-station data set (16M rows) within 8 GB
  // (set by SQL: the instance options leave the default of 80% of RAM).
  const spill = `${Deno.env.get("TMPDIR") ?? "/tmp"}/aqlab-duckdb-spill`;
  await c.run(`SET memory_limit = ${lit(Deno.env.get("AQLAB_DUCKDB_MEMORY") ?? "3GB")};
    SET temp_directory = ${lit(spill)}; SET preserve_insertion_order = true`);
  return c;
}

/**
 * Another connection to `c`'s database (same tables, threads and memory cap): a query on it
 * runs beside one on `c`, say a one-thread pass on `c` and a scan on the idle core. Close it
 * when done.
 */
export async function sibling(c: DuckDBConnection): Promise<DuckDBConnection> {
  const db = databases.get(c);
  if (!db) throw new Error("sibling(): the connection was not made by openDuck()");
  return await db.connect();
}

/** A SQL string literal. */
export function lit(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/** A SQL identifier. */
export function ident(s: string): string {
  return `"${s.replaceAll('"', '""')}"`;
}

export async function all<T = Record<string, unknown>>(
  c: DuckDBConnection,
  sql: string,
): Promise<T[]> {
  const r = await c.runAndReadAll(sql);
  return r.getRowObjectsJS() as T[];
}

export async function one<T = Record<string, unknown>>(
  c: DuckDBConnection,
  sql: string,
): Promise<T> {
  const rows = await all<T>(c, sql);
  if (rows.length === 0) throw new Error(`Query returned no row: ${sql.slice(0, 200)}`);
  return rows[0]!;
}

/**
 * Writes a query's result to Parquet through a temp file and a rename, so a reader never
 * sees half a file. ZSTD at level 1 (level 3, the default, costs a quarter more CPU per write for
 * files about 5% smaller: the data stages write every row three times), and row groups sized
 * for the browser's DuckDB-WASM.
 */
export async function writeParquet(
  c: DuckDBConnection,
  query: string,
  path: string,
): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    await c.run(
      `COPY (${query}) TO ${
        lit(tmp)
      } (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1, ROW_GROUP_SIZE 122880)`,
    );
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    // A check inside the query (SQL error('Cannot ...')) speaks for itself.
    const own = e instanceof Error && /Invalid Input Error: (Cannot .*)$/s.exec(e.message);
    throw own ? new Error(own[1]) : e;
  }
}

/** Reads numeric columns of a query into Float64Arrays (NULL = NaN). */
export async function readColumns(
  c: DuckDBConnection,
  query: string,
): Promise<{ names: string[]; columns: Float64Array[]; rows: number }> {
  const result = await c.run(query);
  const names = result.columnNames();
  const parts: number[][] = names.map(() => []);
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    for (let j = 0; j < names.length; j++) {
      const v = chunk.getColumnVector(j);
      const dst = parts[j]!;
      for (let i = 0; i < chunk.rowCount; i++) {
        const x = v.getItem(i);
        dst.push(x === null ? NaN : Number(x));
      }
    }
  }
  return { names, columns: parts.map((p) => Float64Array.from(p)), rows: parts[0]?.length ?? 0 };
}

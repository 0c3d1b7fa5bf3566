/**
 * DuckDB-WASM for the report site, bundled from node_modules by `duck.js.ts` so that only
 * what the pages use ships (and no CDN bundle table). The Parquet reader of DuckDB-WASM is
 * an extension fetched from extensions.duckdb.org, so the pages load gzipped Arrow instead.
 * The worker and wasm are the site's own copies (`duckdb-eh.wasm`, `duckdb-eh.worker.js`:
 * the build with native wasm exceptions, the smallest and fastest of the three), passed in
 * by URL.
 *
 * Start-up is most of the wait on a DuckDB page (the wasm is 34 MB), so `openDuck` fetches
 * the tables while the database starts, and turns each into a real table once (not a view
 * that every query would convert again). The worker fetches the wasm itself, so that it
 * compiles while it downloads.
 */
import { AsyncDuckDB, type AsyncDuckDBConnection, VoidLogger } from "@duckdb/duckdb-wasm";

export type { AsyncDuckDBConnection };

export interface Duck {
  db: AsyncDuckDB;
  conn: AsyncDuckDBConnection;
  /** Milliseconds from the call: `start_ms` (database ready), `<table>_ms` (table ready). */
  timings: Record<string, number>;
  /** Tables whose file was empty (the loader found no artifact): not created. */
  empty: string[];
}

/** A started database with one connection; each `tables` entry becomes a table. */
export async function openDuck(
  { workerUrl, wasmUrl, tables = {} }: {
    workerUrl: string;
    wasmUrl: string;
    /**
     * Table name -> URL of a gzipped Arrow IPC stream written by the site's `emitArrow`
     * loaders (its `time` column, epoch milliseconds, or `time_h`, whole hours since the
     * epoch: becomes a TIMESTAMP named `time`).
     */
    tables?: Record<string, string>;
  },
): Promise<Duck> {
  const t0 = performance.now();
  const timings: Record<string, number> = {};
  // Downloads first: they run while the worker compiles and starts the database.
  const bytes = Object.entries(tables).map(([name, url]) => [name, arrowBytes(url)] as const);
  const worker = new Worker(new URL(workerUrl, location.href).href);
  const db = new AsyncDuckDB(new VoidLogger(), worker);
  await db.instantiate(new URL(wasmUrl, location.href).href);
  const conn = await db.connect();
  timings.start_ms = performance.now() - t0;
  const empty: string[] = [];
  for (const [name, pending] of bytes) {
    const ipc = await pending;
    if (ipc.length === 0) {
      empty.push(name);
      continue;
    }
    await conn.insertArrowFromIPCStream(ipc, { name: `${name}_raw`, create: true });
    // Arrow float columns carry NaN for missing; SQL wants NULL (avg, count, casts).
    const cols = (await conn.query(`DESCRIBE "${name}_raw"`)).toArray();
    const select = cols.map((r) => {
      const c = `"${String(r.column_name)}"`, t = String(r.column_type);
      if (r.column_name === "time") return `epoch_ms(${c}::BIGINT) AS time`;
      if (r.column_name === "time_h") return `epoch_ms(${c}::BIGINT * 3600000) AS time`;
      return t === "FLOAT" || t === "DOUBLE"
        ? `CASE WHEN isnan(${c}) THEN NULL ELSE ${c} END AS ${c}`
        : c;
    });
    await conn.query(`CREATE TABLE "${name}" AS SELECT ${select.join(", ")} FROM "${name}_raw"`);
    await conn.query(`DROP TABLE "${name}_raw"`);
    timings[`${name}_ms`] = performance.now() - t0;
  }
  return { db, conn, timings, empty };
}

async function fetchOk(url: string): Promise<Response> {
  const r = await fetch(url);
  if (!r.ok) throw new TypeError(`Cannot load ${url}: HTTP ${r.status}`);
  return r;
}

/** A table file's Arrow bytes; empty when the loader wrote nothing. */
async function arrowBytes(url: string): Promise<Uint8Array> {
  const raw = new Uint8Array(await (await fetchOk(url)).arrayBuffer());
  // A host may already have undone the gzip (Content-Encoding): only unzip gzip bytes.
  if (raw.length < 2 || raw[0] !== 0x1f || raw[1] !== 0x8b) return raw;
  const body = new Blob([raw]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(body).arrayBuffer());
}

/** Rows of a query as plain objects (BigInt turned into Number, timestamps into Date). */
export async function rows(
  conn: AsyncDuckDBConnection,
  sql: string,
): Promise<Record<string, unknown>[]> {
  const table = await conn.query(sql);
  const fields = table.schema.fields;
  const out: Record<string, unknown>[] = [];
  for (const r of table.toArray()) {
    const o: Record<string, unknown> = {};
    for (const f of fields) {
      const v = r[f.name];
      const t = String(f.type);
      o[f.name] = typeof v === "bigint"
        ? Number(v)
        : t.startsWith("Timestamp") && typeof v === "number"
        ? new Date(v)
        : v;
    }
    out.push(o);
  }
  return out;
}

/** A SQL string literal. */
export const lit = (s: string): string => `'${s.replaceAll("'", "''")}'`;

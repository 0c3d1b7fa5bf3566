/**
 * DuckDB-WASM for the report site, bundled from node_modules by `duck.js.ts` so that only
 * what the pages use ships (and no CDN bundle table). The Parquet reader of DuckDB-WASM is an extension fetched from
 * extensions.duckdb.org, so the pages load gzipped Arrow instead. The worker and wasm are the site's
 * own copies (`duckdb-eh.wasm`, `duckdb-eh.worker.js`), passed in by URL.
 */
import { AsyncDuckDB, type AsyncDuckDBConnection, VoidLogger } from "@duckdb/duckdb-wasm";

export type { AsyncDuckDBConnection };

/** A started database with one connection; each `tables` entry is registered as a view. */
export async function openDuck(
  { workerUrl, wasmUrl, tables = {} }: {
    workerUrl: string;
    wasmUrl: string;
    /**
     * Table name -> URL of a gzipped Arrow IPC stream written by the site's `emitArrow`
     * loaders (its `time` column, epoch milliseconds, or `time_h`, whole hours since the
     * epoch as float32: half the bytes, becomes a TIMESTAMP named `time`).
     */
    tables?: Record<string, string>;
  },
): Promise<{ db: AsyncDuckDB; conn: AsyncDuckDBConnection; timings: Record<string, number> }> {
  const t0 = performance.now();
  const timings: Record<string, number> = {};
  const worker = new Worker(new URL(workerUrl, location.href).href);
  const db = new AsyncDuckDB(new VoidLogger(), worker);
  await db.instantiate(new URL(wasmUrl, location.href).href);
  const conn = await db.connect();
  timings.start_ms = performance.now() - t0;
  for (const [name, url] of Object.entries(tables)) {
    const t1 = performance.now();
    const body = (await fetchOk(url)).body!.pipeThrough(new DecompressionStream("gzip"));
    const bytes = new Uint8Array(await new Response(body).arrayBuffer());
    await conn.insertArrowFromIPCStream(bytes, { name: `${name}_raw`, create: true });
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
    await conn.query(`CREATE VIEW "${name}" AS SELECT ${select.join(", ")} FROM "${name}_raw"`);
    timings[`${name}_ms`] = performance.now() - t1;
  }
  return { db, conn, timings };
}

async function fetchOk(url: string): Promise<Response> {
  const r = await fetch(url);
  if (!r.ok) throw new TypeError(`Cannot load ${url}: HTTP ${r.status}`);
  return r;
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

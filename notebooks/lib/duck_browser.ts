/**
 * DuckDB-WASM for the report site, bundled from node_modules by `duck.js.ts` so that only
 * what the pages use ships (and no CDN bundle table). The Parquet reader of DuckDB-WASM is
 * an extension fetched from extensions.duckdb.org, so the pages load gzipped Arrow instead.
 * The worker and wasm are the site's own copies (`duckdb-eh.wasm`, `duckdb-eh.worker.js`:
 * the build with native wasm exceptions, the smallest and fastest of the three), passed in
 * by URL.
 *
 * Start-up is most of the wait on a DuckDB page (the wasm is 34 MB), so `openDuck` fetches
 * the tables while the database starts; each arrives in its final column types, so it
 * becomes a table in one insert. The worker fetches the wasm itself, so that it compiles
 * while it downloads.
 */
import { AsyncDuckDB, type AsyncDuckDBConnection, VoidLogger } from "@duckdb/duckdb-wasm";

export type { AsyncDuckDBConnection };

/** A table whose file holds one Arrow stream per value of a column (emitArrow's `partBy`). */
interface Parts {
  column: string;
  streams: Map<string, Uint8Array>;
  /** Each requested value's load; loads run one after the other (the first creates the table). */
  loads: Map<string, Promise<void>>;
  tail: Promise<void>;
  created: boolean;
}

export interface Duck {
  db: AsyncDuckDB;
  conn: AsyncDuckDBConnection;
  /** Tables loaded a part at a time (`loadPart`), by name. */
  parts: Map<string, Parts>;
  /**
   * Milliseconds since the page's navigation started (performance.now()): `asked_ms` (this
   * call), `start_ms` (database ready), `<table>_ms` (each table ready).
   */
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
     * Table name -> URL of a gzipped file written by an `emitArrow` loader: an Arrow IPC
     * stream (loaded now) or one stream per value of a column (loaded by `loadPart`).
     */
    tables?: Record<string, string>;
  },
): Promise<Duck> {
  const timings: Record<string, number> = { asked_ms: performance.now() };
  // Downloads first: they run while the worker compiles and starts the database.
  const bytes = Object.entries(tables).map(([name, url]) => [name, arrowBytes(url)] as const);
  const worker = new Worker(new URL(workerUrl, location.href).href);
  const db = new AsyncDuckDB(new VoidLogger(), worker);
  await db.instantiate(new URL(wasmUrl, location.href).href);
  const conn = await db.connect();
  timings.start_ms = performance.now();
  const empty: string[] = [];
  const parts = new Map<string, Parts>();
  for (const [name, pending] of bytes) {
    const ipc = await pending;
    if (ipc.length === 0) {
      empty.push(name);
      continue;
    }
    const split = readParts(ipc);
    if (split) {
      parts.set(name, split);
      continue;
    }
    // The loaders write final types (emitArrow): the table is made in this one step.
    await conn.insertArrowFromIPCStream(ipc, { name, create: true });
    timings[`${name}_ms`] = performance.now();
  }
  return { db, conn, parts, timings, empty };
}

/**
 * Makes the rows of `value` (of the table's part column) present in the table `name`,
 * loading its stream on first use; the table exists once any part is loaded.
 */
export function loadPart(duck: Duck, name: string, value: string): Promise<void> {
  const p = duck.parts.get(name);
  if (!p) throw new RangeError(`Cannot load a part of "${name}": it is not a parted table`);
  let load = p.loads.get(value);
  if (!load) {
    const ipc = p.streams.get(value);
    // No rows for this value: nothing to insert (the table may then not exist yet).
    load = p.tail = p.tail.then(async () => {
      if (!ipc) return;
      const create = !p.created;
      // A copy: the insert hands its buffer to the worker, which would take the other parts.
      await duck.conn.insertArrowFromIPCStream(ipc.slice(), { name, create });
      p.created = true;
    });
    p.loads.set(value, load);
  }
  return load;
}

/** A parts file's streams by value (see partsFile in notebooks/data/_artifacts.ts), or null. */
function readParts(bytes: Uint8Array): Parts | null {
  if (bytes.length < 8 || new TextDecoder().decode(bytes.subarray(0, 4)) !== "AQPT") return null;
  const n = new DataView(bytes.buffer, bytes.byteOffset).getUint32(4, true);
  const index = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as {
    column: string;
    parts: { value: string; offset: number; length: number }[];
  };
  const start = 8 + n;
  return {
    column: index.column,
    streams: new Map(
      index.parts.map((
        q,
      ) => [q.value, bytes.subarray(start + q.offset, start + q.offset + q.length)]),
    ),
    loads: new Map(),
    tail: Promise.resolve(),
    created: false,
  };
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

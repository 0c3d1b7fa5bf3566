/**
 * The prediction log: every scored row (inputs, output, interval, model version, time) in
 * Deno KV, expiring after `expireIn`, written in atomic batches by one background writer
 * (group commit: the rows of concurrent requests share a commit). A KV value holds a page of
 * consecutive rows (as many as fit well under KV's 64 KiB per value): one KV entry per row
 * cost 15 µs a row in SQLite and serialisation, a sixth of a core at 11,000 req/s; a page
 * of 64 rows costs about 2 µs a row. `recentEntries` and `loggedEntries` read rows back.
 *
 * Two modes (`AQLAB_LOG`):
 * - `async` (default): a request queues its rows and is answered at once; the writer
 *   commits them a moment later. What is queued but not yet committed is lost if the
 *   process dies without a flush (SIGKILL, out of memory, power loss): at most `maxQueue`
 *   rows plus one commit. When the queue is full, answers wait for room (the store sets the
 *   pace, nothing is dropped); rows are dropped, and counted, only when a commit fails.
 * - `sync`: the answer waits until its rows are committed; a commit that fails turns the
 *   answer into a 503, so every acknowledged prediction is in the store.
 * `flush()` resolves once everything queued so far is written (tests, shutdown).
 *
 * Keys: ["predictions", <epoch ms of the page's first row>, <instance>, <sequence>]: a
 * reverse listing gives the newest pages, and the random instance id keeps the keys of two
 * processes or isolates writing the same store apart even in the same millisecond.
 */
import type { ServeMetrics } from "./metrics.ts";
import { nextTurn } from "./turn.ts";

export interface LogEntry {
  /** ISO time of the request. */
  time: string;
  version: string;
  /** Features in model order; null = missing. */
  x: (number | null)[];
  prediction: number;
  interval: [number, number];
  route: string;
}

export type LogMode = "async" | "sync";

export interface PredictionLogOptions {
  /** Retention: entries expire after this many milliseconds (default 30 days). */
  expireIn?: number;
  /**
   * Entries queued before answers wait for room (async mode; default 10,000, about a second
   * of writes). `push` drops the oldest instead.
   */
  maxQueue?: number;
  /** Mutations per atomic write (Deno KV allows at most 1000; default 200). */
  batchSize?: number;
  /** Default "async". */
  mode?: LogMode;
  metrics?: ServeMetrics;
  /** The clock of the keys (tests). */
  now?: () => number;
}

export const LOG_PREFIX = "predictions";
const DAY_MS = 24 * 3600 * 1000;

/** The error of a sync-mode write that did not reach the store. */
export class LogWriteError extends Error {
  override name = "LogWriteError";
}

/** A sync-mode request waiting for its rows: settled when the last of them is committed. */
interface Waiter {
  remaining: number;
  failure: Error | null;
  resolve: () => void;
  reject: (e: Error) => void;
}

interface Queued {
  /** Epoch ms when the row was queued (the page key's time). */
  at: number;
  value: LogEntry;
  waiter?: Waiter;
}

/** A random id for this log writer (hex, 48 bits). */
function instanceId(): string {
  const b = crypto.getRandomValues(new Uint8Array(6));
  return Array.from(b, (v) => v.toString(16).padStart(2, "0")).join("");
}

export class PredictionLog {
  readonly #kv: Deno.Kv;
  readonly #queue: Queued[] = [];
  readonly #expireIn: number;
  readonly #maxQueue: number;
  readonly #batchSize: number;
  readonly #metrics: ServeMetrics | undefined;
  readonly #now: () => number;
  readonly mode: LogMode;
  /** This writer's part of every key. */
  readonly instance = instanceId();
  #seq = 0;
  #running: Promise<void> | null = null;
  /** Async writers waiting for room in a full queue. */
  #roomWaiters: (() => void)[] = [];
  /** Entries written and dropped since start. */
  written = 0;
  dropped = 0;

  constructor(kv: Deno.Kv, options: PredictionLogOptions = {}) {
    this.#kv = kv;
    this.#expireIn = options.expireIn ?? 30 * DAY_MS;
    this.#maxQueue = options.maxQueue ?? 10_000;
    this.#batchSize = Math.min(options.batchSize ?? 200, 1000);
    this.#metrics = options.metrics;
    this.#now = options.now ?? Date.now;
    this.mode = options.mode ?? "async";
  }

  /** Queues entries and schedules a background write; returns at once, dropping the oldest
   * entries when the queue is full. */
  push(entries: LogEntry[]): void {
    this.#enqueue(entries, undefined);
    const over = this.#queue.length - this.#maxQueue;
    if (over > 0) {
      this.#queue.splice(0, over);
      this.#drop(over);
      this.#metrics?.logPending.set({}, this.#queue.length);
    }
  }

  /**
   * Queues entries for the endpoint. Sync mode: resolves once they are committed, or rejects
   * with a LogWriteError. Async mode: resolves at once, or once there is room in a full queue.
   */
  write(entries: LogEntry[]): Promise<void> {
    if (entries.length === 0) return Promise.resolve();
    if (this.mode === "async") {
      this.#enqueue(entries, undefined);
      if (this.#queue.length <= this.#maxQueue) return Promise.resolve();
      return new Promise((resolve) => this.#roomWaiters.push(resolve));
    }
    return new Promise((resolve, reject) =>
      this.#enqueue(entries, { remaining: entries.length, failure: null, resolve, reject })
    );
  }

  #enqueue(entries: LogEntry[], waiter: Waiter | undefined): void {
    const at = this.#now();
    for (const value of entries) this.#queue.push(waiter ? { at, value, waiter } : { at, value });
    this.#metrics?.logPending.set({}, this.#queue.length);
    if (this.#running === null) this.#running = this.#drain();
  }

  /** Resolves when every entry queued before the call has been written (or dropped). */
  async flush(): Promise<void> {
    while (this.#running !== null) await this.#running;
  }

  get pending(): number {
    return this.#queue.length;
  }

  #drop(n: number): void {
    this.dropped += n;
    this.#metrics?.logDropped.inc({}, n);
  }

  async #drain(): Promise<void> {
    // Yield first so the response that queued these rows goes out before any write (async),
    // and so the rows of requests scored in the same turn share one commit (sync).
    await nextTurn();
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, this.#batchSize);
        this.#metrics?.logPending.set({}, this.#queue.length);
        const op = this.#kv.atomic();
        for (let i = 0; i < batch.length;) {
          const page = batch.slice(i, i += rowsPerPage(batch[i]!.value));
          const key = [LOG_PREFIX, page[0]!.at, this.instance, this.#seq++];
          op.set(key, page.map((q) => q.value), { expireIn: this.#expireIn });
        }
        let failure: Error | null = null;
        try {
          const res = await op.commit();
          if (!res.ok) throw new Error("commit refused");
          this.written += batch.length;
          this.#metrics?.logWritten.inc({}, batch.length);
        } catch (e) {
          // The log must never take the endpoint down: count the loss and go on.
          this.#drop(batch.length);
          failure = new LogWriteError(
            `Cannot write the prediction log: ${(e as Error).message.slice(0, 200)}`,
          );
        }
        for (const { waiter } of batch) {
          if (waiter === undefined) continue;
          if (failure) waiter.failure = failure;
          if (--waiter.remaining === 0) {
            waiter.failure ? waiter.reject(waiter.failure) : waiter.resolve();
          }
        }
        if (this.#queue.length <= this.#maxQueue && this.#roomWaiters.length > 0) {
          for (const resolve of this.#roomWaiters.splice(0)) resolve();
        }
      }
    } finally {
      this.#running = null;
      for (const resolve of this.#roomWaiters.splice(0)) resolve();
    }
  }
}

/** KV's limit is 65,536 bytes a value; a page stays well under it whatever the row width. */
const PAGE_BYTES = 40_000;
const MAX_PAGE_ROWS = 64;

/** Rows per page for rows like `e` (serialised: about 9 bytes a number, plus the strings). */
export function rowsPerPage(e: LogEntry): number {
  const bytes = 64 + 9 * (e.x.length + 3) + 2 * (e.time.length + e.version.length + e.route.length);
  return Math.max(1, Math.min(MAX_PAGE_ROWS, Math.floor(PAGE_BYTES / bytes)));
}

/** A stored value as rows: a page, or a single row written by an earlier version. */
function rowsOf(value: LogEntry[] | LogEntry): LogEntry[] {
  return Array.isArray(value) ? value : [value];
}

/** The newest `limit` logged rows, newest first. */
export async function recentEntries(kv: Deno.Kv, limit: number): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  if (limit <= 0) return out;
  const pages = kv.list<LogEntry[] | LogEntry>({ prefix: [LOG_PREFIX] }, { reverse: true });
  for await (const e of pages) {
    const rows = rowsOf(e.value);
    for (let i = rows.length - 1; i >= 0; i--) {
      out.push(rows[i]!);
      if (out.length === limit) return out;
    }
  }
  return out;
}

/** Every logged row, oldest first. */
export async function loggedEntries(kv: Deno.Kv): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for await (const e of kv.list<LogEntry[] | LogEntry>({ prefix: [LOG_PREFIX] })) {
    out.push(...rowsOf(e.value));
  }
  return out;
}

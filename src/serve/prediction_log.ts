/**
 * The prediction log: one Deno KV entry per scored row (inputs, output, interval, model
 * version, time), expiring after `expireIn`. Requests only push to an in-memory queue; a
 * background task writes it in atomic batches, so the response never waits on storage.
 * `flush()` resolves once everything queued so far is written (tests, shutdown).
 *
 * Keys: ["predictions", <epoch ms>, <sequence>] so a reverse listing gives the newest rows.
 */
import type { ServeMetrics } from "./metrics.ts";

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

export interface PredictionLogOptions {
  /** Retention: entries expire after this many milliseconds (default 30 days). */
  expireIn?: number;
  /** Entries held in memory before the oldest are dropped (default 100,000). */
  maxQueue?: number;
  /** Mutations per atomic write (Deno KV allows at most 1000; default 200). */
  batchSize?: number;
  metrics?: ServeMetrics;
}

export const LOG_PREFIX = "predictions";
const DAY_MS = 24 * 3600 * 1000;

export class PredictionLog {
  readonly #kv: Deno.Kv;
  readonly #queue: { key: Deno.KvKey; value: LogEntry }[] = [];
  readonly #expireIn: number;
  readonly #maxQueue: number;
  readonly #batchSize: number;
  readonly #metrics: ServeMetrics | undefined;
  #seq = 0;
  #running: Promise<void> | null = null;
  /** Entries written and dropped since start. */
  written = 0;
  dropped = 0;

  constructor(kv: Deno.Kv, options: PredictionLogOptions = {}) {
    this.#kv = kv;
    this.#expireIn = options.expireIn ?? 30 * DAY_MS;
    this.#maxQueue = options.maxQueue ?? 100_000;
    this.#batchSize = Math.min(options.batchSize ?? 200, 1000);
    this.#metrics = options.metrics;
  }

  /** Queues entries and schedules a background write; returns at once. */
  push(entries: LogEntry[]): void {
    const now = Date.now();
    for (const value of entries) {
      this.#queue.push({ key: [LOG_PREFIX, now, this.#seq++], value });
    }
    const over = this.#queue.length - this.#maxQueue;
    if (over > 0) {
      this.#queue.splice(0, over);
      this.#drop(over);
    }
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
    // Yield first so the response that queued these rows goes out before any write.
    await new Promise((r) => setTimeout(r, 0));
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, this.#batchSize);
        this.#metrics?.logPending.set({}, this.#queue.length);
        const op = this.#kv.atomic();
        for (const { key, value } of batch) op.set(key, value, { expireIn: this.#expireIn });
        try {
          const res = await op.commit();
          if (!res.ok) throw new Error("commit refused");
          this.written += batch.length;
          this.#metrics?.logWritten.inc({}, batch.length);
        } catch {
          // The log must never take the endpoint down: count the loss and go on.
          this.#drop(batch.length);
        }
      }
    } finally {
      this.#running = null;
    }
  }
}

/** The newest `limit` logged entries, newest first. */
export async function recentEntries(kv: Deno.Kv, limit: number): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for await (const e of kv.list<LogEntry>({ prefix: [LOG_PREFIX] }, { reverse: true, limit })) {
    out.push(e.value);
  }
  return out;
}

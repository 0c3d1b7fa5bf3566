/**
 * Live drift of the endpoint's inputs against the model's training reference, judged by the
 * one drift verdict (src/drift: `driftVerdict`, the rule of the drift stage and the site),
 * served from a snapshot: `GET /v1/drift` answers the latest computation with its age, and a
 * computation runs at most once per `maxAgeMs` (on a schedule when `start` is called, else
 * when a request finds the snapshot too old; concurrent requests share one computation). The
 * current sample is the prediction log (all instances, read page by page without waiting for
 * the writer) or, without one, the rows this process scored last (a ring in memory).
 */
import { FEATURE_NAMES, TARGET } from "../features/schema.ts";
import { sampleOfRows, type ScoredRow } from "../drift/mod.ts";
import { type DriftJudge, inlineJudge, workerJudge } from "./drift_judge.ts";
import type { LoadedModel } from "./model.ts";
import type { ServeMetrics } from "./metrics.ts";
import { recentEntries } from "./prediction_log.ts";
import { InputError } from "./validate.ts";

/** The last `size` scored rows (features, prediction, time), for drift without a log. */
export class RecentRows {
  readonly #x: Float32Array;
  readonly #y: Float32Array;
  /** Epoch ms of each row (a monthly verdict needs the rows' times). */
  readonly #t: Float64Array;
  readonly #F: number;
  #n = 0;
  #at = 0;

  constructor(readonly size: number, nFeatures: number) {
    this.#F = nFeatures;
    this.#x = new Float32Array(size * nFeatures);
    this.#y = new Float32Array(size);
    this.#t = new Float64Array(size);
  }

  /** Adds `n` rows (row-major features, predictions) scored at `time` (epoch ms). */
  add(x: Float32Array, pred: Float32Array, n: number, time = Date.now()): void {
    const F = this.#F;
    for (let i = 0; i < n; i++) {
      this.#x.set(x.subarray(i * F, (i + 1) * F), this.#at * F);
      this.#y[this.#at] = pred[i]!;
      this.#t[this.#at] = time;
      this.#at = (this.#at + 1) % this.size;
      this.#n = Math.min(this.#n + 1, this.size);
    }
  }

  /** The rows kept, oldest first, as scored rows (NaN features as null). */
  rows(nFeatures: number): ScoredRow[] {
    const out: ScoredRow[] = [];
    const start = this.#n < this.size ? 0 : this.#at;
    for (let k = 0; k < this.#n; k++) {
      const i = (start + k) % this.size;
      const x: (number | null)[] = [];
      for (let j = 0; j < nFeatures; j++) {
        const v = this.#x[i * this.#F + j]!;
        x.push(Number.isNaN(v) ? null : v);
      }
      out.push({ x, prediction: this.#y[i]!, time: this.#t[i]! });
    }
    return out;
  }
}

export interface DriftOptions {
  /** Logged rows compared with the reference (default 5000). */
  window?: number;
  /** Fewest rows for a verdict (default 200). */
  minRows?: number;
  /** Oldest snapshot answered before a new computation (ms, default 60 s). */
  maxAgeMs?: number;
  kv?: Deno.Kv;
  metrics: ServeMetrics;
  recent: RecentRows;
  /** Judge on the serving thread, not in a worker (default false). */
  inline?: boolean;
  now?: () => number;
}

interface Snapshot {
  model: LoadedModel;
  computedAt: number;
  body: Record<string, unknown>;
}

export class DriftMonitor {
  readonly window: number;
  readonly minRows: number;
  readonly maxAgeMs: number;
  readonly #o: DriftOptions;
  readonly #now: () => number;
  #snapshot: Snapshot | null = null;
  #computing: { model: LoadedModel; done: Promise<Snapshot> } | null = null;
  #judge: { model: LoadedModel; judge: DriftJudge } | null = null;
  #timer: ReturnType<typeof setInterval> | undefined;
  /** Computations run (tests and the bench). */
  computations = 0;

  constructor(options: DriftOptions) {
    this.#o = options;
    this.window = options.window ?? 5000;
    this.minRows = options.minRows ?? 200;
    this.maxAgeMs = options.maxAgeMs ?? 60_000;
    this.#now = options.now ?? Date.now;
  }

  /** The answer of `GET /v1/drift` for model `m`: a fresh enough snapshot, with its age. */
  async answer(m: LoadedModel): Promise<Record<string, unknown>> {
    if (m.reference === null) {
      throw new InputError(
        `Cannot compute drift: model ${m.version} has no reference.json`,
        null,
        "a model package with a drift reference",
        409,
      );
    }
    let s = this.#snapshot;
    if (s === null || s.model !== m || this.#now() - s.computedAt > this.maxAgeMs) {
      s = await this.refresh(m);
    }
    return {
      ...s.body,
      computed_at: new Date(s.computedAt).toISOString(),
      age_seconds: Math.max(0, (this.#now() - s.computedAt) / 1000),
    };
  }

  /** Computes a snapshot for `m` (joining one under way for the same model). */
  refresh(m: LoadedModel): Promise<Snapshot> {
    if (this.#computing?.model === m) return this.#computing.done;
    const done = this.#compute(m).finally(() => {
      if (this.#computing?.done === done) this.#computing = null;
    });
    this.#computing = { model: m, done };
    return done;
  }

  /** Recomputes every `intervalMs` for the model `current()` gives (none: skipped). */
  start(intervalMs: number, current: () => LoadedModel | null): void {
    this.stop();
    const timer = setInterval(() => {
      const m = current();
      if (m?.reference) {
        this.refresh(m).catch((e) => console.error("aqlab serve: drift computation failed:", e));
      }
    }, intervalMs);
    // The schedule alone must not keep a process (or a test) alive.
    Deno.unrefTimer(timer);
    this.#timer = timer;
  }

  /** Stops the schedule and the judge's worker (shutdown). */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#judge?.judge.close();
    this.#judge = null;
  }

  async #compute(m: LoadedModel): Promise<Snapshot> {
    const names = FEATURE_NAMES;
    if (this.#judge?.model !== m) {
      // One judge per model: it indexes the reference once (in its worker).
      this.#judge?.judge.close();
      const model = {
        reference: m.reference!,
        features: m.metadata.schema.features,
        names,
        target: m.metadata.schema.target?.name ?? TARGET,
      };
      this.#judge = {
        model: m,
        judge: this.#o.inline ? inlineJudge(model) : workerJudge(model),
      };
    }
    const judge = this.#judge.judge;
    let rows: ScoredRow[];
    let source: string;
    const kv = this.#o.kv;
    if (kv) {
      rows = (await recentEntries(kv, this.window)).filter((e) => e.version === m.version);
      source = "prediction_log";
    } else {
      rows = this.#o.recent.rows(names.length);
      source = "memory";
    }
    const enough = rows.length >= this.minRows;
    const verdict = enough ? await judge.judge(sampleOfRows(rows, names)) : null;
    this.computations++;
    const state = verdict?.headline.state;
    if (verdict) {
      this.#o.metrics.driftDetected.set({}, state === "drift" ? 1 : 0);
      this.#o.metrics.driftShare.set({}, verdict.headline.drift_share ?? 0);
    }
    const snapshot: Snapshot = {
      model: m,
      computedAt: this.#now(),
      body: {
        model_version: m.version,
        source,
        rows: rows.length,
        min_rows: this.minRows,
        // The verdict's headline state ("drift", "within_noise", "no_drift", "unavailable"),
        // or "insufficient_data" below `min_rows`.
        verdict: state ?? "insufficient_data",
        report: verdict ? sanitize(verdict) : null,
      },
    };
    this.#snapshot = snapshot;
    return snapshot;
  }
}

/** JSON has no NaN or Infinity: they become null. */
export function sanitize(v: unknown): unknown {
  return JSON.parse(
    JSON.stringify(v, (_k, x) => (typeof x === "number" && !Number.isFinite(x) ? null : x)),
  );
}

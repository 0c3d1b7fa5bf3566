/**
 * Live drift of the endpoint's inputs against the model's training reference, served from a
 * snapshot: `GET /v1/drift` answers the latest computation with its age, and a computation
 * runs at most once per `maxAgeMs` (on a schedule when `start` is called, else when a request
 * finds the snapshot too old; concurrent requests share one computation). The current sample
 * is the prediction log (all instances, read page by page without waiting for the writer) or,
 * without one, the rows this process scored last (a ring in memory).
 */
import { FEATURE_NAMES, FEATURES } from "../features/schema.ts";
import { type Columns, driftReport, type FeatureKind } from "../drift/mod.ts";
import type { LoadedModel } from "./model.ts";
import type { ServeMetrics } from "./metrics.ts";
import { recentEntries } from "./prediction_log.ts";
import { yieldToIo } from "./turn.ts";
import { InputError } from "./validate.ts";

const FEATURE_KIND: Record<string, FeatureKind> = Object.fromEntries(
  FEATURES.map((f) => [f.name, f.kind === "categorical" ? "categorical" : "numeric"]),
);

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

  columns(
    names: readonly string[],
  ): { features: Columns; prediction: Float64Array; times: Float64Array } {
    const F = this.#F, n = this.#n;
    const features: Columns = {};
    names.forEach((name, j) => {
      const c = new Float64Array(n);
      for (let i = 0; i < n; i++) c[i] = this.#x[i * F + j]!;
      features[name] = c;
    });
    return {
      features,
      prediction: Float64Array.from(this.#y.subarray(0, n)),
      times: this.#t.slice(0, n),
    };
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
  #reference: { model: LoadedModel; cols: ReturnType<typeof referenceColumns> } | null = null;
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

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async #compute(m: LoadedModel): Promise<Snapshot> {
    const names = FEATURE_NAMES;
    if (this.#reference?.model !== m) {
      this.#reference = { model: m, cols: referenceColumns(m.reference!) };
    }
    const ref = this.#reference.cols;
    let cur: { features: Columns; prediction: Float64Array };
    let source: string;
    const kv = this.#o.kv;
    if (kv) {
      const entries = (await recentEntries(kv, this.window)).filter((e) => e.version === m.version);
      const features: Columns = {};
      names.forEach((n, j) => {
        features[n] = Float64Array.from(entries, (e) => e.x[j] ?? NaN);
      });
      cur = { features, prediction: Float64Array.from(entries, (e) => e.prediction) };
      source = "prediction_log";
    } else {
      cur = this.#o.recent.columns(names);
      source = "memory";
    }
    await yieldToIo();
    const rows = cur.prediction.length;
    const report = driftReport(ref.features, cur.features, {
      features: [...names],
      kinds: FEATURE_KIND,
      ...(ref.prediction
        ? { extra: { prediction: { reference: ref.prediction, current: cur.prediction } } }
        : {}),
    });
    this.computations++;
    const enough = rows >= this.minRows;
    if (enough) {
      this.#o.metrics.driftDetected.set({}, report.datasetDrift ? 1 : 0);
      this.#o.metrics.driftShare.set({}, report.driftShare ?? 0);
    }
    const snapshot: Snapshot = {
      model: m,
      computedAt: this.#now(),
      body: {
        model_version: m.version,
        source,
        rows,
        min_rows: this.minRows,
        verdict: !enough ? "insufficient_data" : report.datasetDrift ? "drift" : "no_drift",
        report: sanitize(report),
      },
    };
    this.#snapshot = snapshot;
    return snapshot;
  }
}

function referenceColumns(ref: NonNullable<LoadedModel["reference"]>) {
  const features: Columns = {};
  for (const n of FEATURE_NAMES) {
    const c = ref.columns[n];
    if (c) features[n] = Float64Array.from(c, (v) => v ?? NaN);
  }
  const p = ref.columns["prediction"];
  return { features, prediction: p ? Float64Array.from(p, (v) => v ?? NaN) : null };
}

/** JSON has no NaN or Infinity: they become null. */
export function sanitize(v: unknown): unknown {
  return JSON.parse(
    JSON.stringify(v, (_k, x) => (typeof x === "number" && !Number.isFinite(x) ? null : x)),
  );
}

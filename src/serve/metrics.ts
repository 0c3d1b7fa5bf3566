/**
 * The endpoint's metrics in the Prometheus text exposition format (version 0.0.4):
 * counters, gauges and histograms keyed by label values, rendered on `GET /metrics`.
 * Kept in memory per process (per isolate on Deno Deploy), as Prometheus clients do.
 *
 * Label values that a client can influence come from fixed sets: a family declares the
 * values each such label may take, and anything else is counted under "other". So no
 * request, however odd its method or path, can add a series.
 */

type Labels = Record<string, string>;
/** Allowed values per label; labels not named here are set by our own code only. */
export type LabelSets = Record<string, ReadonlySet<string>>;

const escapeLabel = (v: string) =>
  v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');

function labelText(labels: Labels, extra?: [string, string]): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  if (extra) parts.push(`${extra[0]}="${escapeLabel(extra[1])}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
}

const fmt = (v: number) =>
  Number.isNaN(v) ? "NaN" : v === Infinity ? "+Inf" : v === -Infinity ? "-Inf" : String(v);

/** The value counted when a label's value is outside its fixed set. */
export const OTHER = "other";

/** Labels with every fixed-set value folded, and their series key. */
function folded(labels: Labels, sets: LabelSets | undefined): { labels: Labels; key: string } {
  let key = "";
  let out = labels;
  for (const k in labels) {
    let v = labels[k]!;
    const allowed = sets?.[k];
    if (allowed !== undefined && !allowed.has(v)) {
      if (out === labels) out = { ...labels };
      out[k] = v = OTHER;
    }
    key += k + "\u0001" + v + "\u0002";
  }
  return { labels: out, key };
}

interface Metric {
  render(): string;
}

/** A counter or gauge family. */
export class Scalar implements Metric {
  readonly #values = new Map<string, { labels: Labels; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: "counter" | "gauge",
    readonly labelSets?: LabelSets,
  ) {}
  #entry(labels: Labels) {
    const f = folded(labels, this.labelSets);
    let e = this.#values.get(f.key);
    if (!e) this.#values.set(f.key, e = { labels: f.labels, value: 0 });
    return e;
  }
  inc(labels: Labels = {}, by = 1): void {
    this.#entry(labels).value += by;
  }
  set(labels: Labels, value: number): void {
    this.#entry(labels).value = value;
  }
  get(labels: Labels = {}): number {
    return this.#values.get(folded(labels, this.labelSets).key)?.value ?? 0;
  }
  /** Number of series (label combinations) in the family. */
  get size(): number {
    return this.#values.size;
  }
  reset(): void {
    this.#values.clear();
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`];
    for (const { labels, value } of this.#values.values()) {
      lines.push(`${this.name}${labelText(labels)} ${fmt(value)}`);
    }
    return lines.join("\n");
  }
}

/** A histogram family with fixed upper bounds. */
export class Histogram implements Metric {
  readonly #values = new Map<
    string,
    { labels: Labels; counts: number[]; sum: number; n: number }
  >();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly bounds: readonly number[],
    readonly labelSets?: LabelSets,
  ) {}
  observe(labels: Labels, v: number): void {
    if (Number.isNaN(v)) return;
    const f = folded(labels, this.labelSets);
    let e = this.#values.get(f.key);
    if (!e) {
      this.#values.set(
        f.key,
        e = { labels: f.labels, counts: new Array(this.bounds.length).fill(0), sum: 0, n: 0 },
      );
    }
    // Buckets are cumulative at render time: count only the first bound that holds v.
    const b = this.bounds;
    let i = 0;
    while (i < b.length && v > b[i]!) i++;
    if (i < b.length) e.counts[i]!++;
    e.sum += v;
    e.n++;
  }
  count(labels: Labels = {}): number {
    return this.#values.get(folded(labels, this.labelSets).key)?.n ?? 0;
  }
  get size(): number {
    return this.#values.size;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const { labels, counts, sum, n } of this.#values.values()) {
      let cumulative = 0;
      this.bounds.forEach((b, i) => {
        cumulative += counts[i]!;
        lines.push(`${this.name}_bucket${labelText(labels, ["le", fmt(b)])} ${cumulative}`);
      });
      lines.push(`${this.name}_bucket${labelText(labels, ["le", "+Inf"])} ${n}`);
      lines.push(`${this.name}_sum${labelText(labels)} ${fmt(sum)}`);
      lines.push(`${this.name}_count${labelText(labels)} ${n}`);
    }
    return lines.join("\n");
  }
}

/** HTTP methods counted by name; any other method is counted as "other". */
export const METHODS: ReadonlySet<string> = new Set([
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "DELETE",
  "PATCH",
  "OPTIONS",
]);

/** Status codes the endpoint answers. */
export const STATUSES: ReadonlySet<string> = new Set(
  [200, 400, 401, 404, 405, 408, 409, 413, 415, 422, 431, 500, 501, 503].map(String),
);

/** Label `route` of requests that matched no route. */
export const UNMATCHED = "unmatched";

export interface MetricLabelSets {
  /** Route patterns of the route table (plus "unmatched"). */
  routes: readonly string[];
  /** Fields a validation failure or a flag may name (input features and request parts). */
  fields: readonly string[];
}

/** The endpoint's metric families (names are what the alert rules query). */
export class ServeMetrics {
  readonly requests: Scalar;
  readonly latency: Histogram;
  readonly predictions = new Histogram(
    "aqlab_prediction_value",
    "Predicted next-hour PM2.5, µg/m³.",
    [5, 10, 25, 35, 50, 75, 115, 150, 250, 350, 500],
  );
  readonly rows = new Scalar("aqlab_predicted_rows_total", "Rows scored.", "counter");
  readonly onnxRuns = new Scalar(
    "aqlab_onnx_runs_total",
    "ONNX Runtime session runs (concurrent requests share one: rows / runs is the batch).",
    "counter",
  );
  readonly validationFailures: Scalar;
  readonly flags: Scalar;
  readonly modelInfo = new Scalar(
    "aqlab_model_info",
    "The model being served (value 1), by name, version and kind.",
    "gauge",
  );
  readonly ready = new Scalar("aqlab_model_ready", "1 when a model is loaded.", "gauge");
  readonly driftDetected = new Scalar(
    "aqlab_drift_detected",
    "Dataset drift verdict of the last /v1/drift computation (1 = drift).",
    "gauge",
  );
  readonly driftShare = new Scalar(
    "aqlab_drift_share",
    "Share of drifted features in the last /v1/drift computation.",
    "gauge",
  );
  readonly logPending = new Scalar(
    "aqlab_prediction_log_pending",
    "Prediction log entries waiting to be written.",
    "gauge",
  );
  readonly logWritten = new Scalar(
    "aqlab_prediction_log_written_total",
    "Prediction log entries written.",
    "counter",
  );
  readonly logDropped = new Scalar(
    "aqlab_prediction_log_dropped_total",
    "Prediction log entries dropped (queue full or write failed).",
    "counter",
  );

  constructor(sets: MetricLabelSets) {
    const route = new Set([...sets.routes, UNMATCHED]);
    const field = new Set(sets.fields);
    this.requests = new Scalar(
      "aqlab_http_requests_total",
      "HTTP requests by route, method and status code.",
      "counter",
      { route, method: METHODS, status: STATUSES },
    );
    this.latency = new Histogram(
      "aqlab_http_request_duration_seconds",
      "Time from request to response, seconds, by route.",
      [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      { route },
    );
    this.validationFailures = new Scalar(
      "aqlab_validation_failures_total",
      "Rejected inputs by field (the field named in the error answer).",
      "counter",
      { field },
    );
    this.flags = new Scalar(
      "aqlab_input_flags_total",
      "Accepted but flagged input values by field and flag (missing, out_of_range, unusual).",
      "counter",
      { field, flag: new Set(["missing", "out_of_range", "unusual"]) },
    );
  }

  render(): string {
    return [
      this.requests,
      this.latency,
      this.predictions,
      this.rows,
      this.onnxRuns,
      this.validationFailures,
      this.flags,
      this.modelInfo,
      this.ready,
      this.driftDetected,
      this.driftShare,
      this.logPending,
      this.logWritten,
      this.logDropped,
    ].map((m) => m.render()).join("\n") + "\n";
  }
}

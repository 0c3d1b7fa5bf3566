/**
 * The endpoint's metrics in the Prometheus text exposition format (version 0.0.4):
 * counters, gauges and histograms keyed by label values, rendered on `GET /metrics`.
 * Kept in memory per process (per isolate on Deno Deploy), as Prometheus clients do.
 */

type Labels = Record<string, string>;

const escapeLabel = (v: string) =>
  v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');

function labelText(labels: Labels, extra?: [string, string]): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  if (extra) parts.push(`${extra[0]}="${escapeLabel(extra[1])}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
}

const fmt = (v: number) =>
  Number.isNaN(v) ? "NaN" : v === Infinity ? "+Inf" : v === -Infinity ? "-Inf" : String(v);

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
  ) {}
  #entry(labels: Labels) {
    const key = JSON.stringify(labels);
    let e = this.#values.get(key);
    if (!e) this.#values.set(key, e = { labels, value: 0 });
    return e;
  }
  inc(labels: Labels = {}, by = 1): void {
    this.#entry(labels).value += by;
  }
  set(labels: Labels, value: number): void {
    this.#entry(labels).value = value;
  }
  get(labels: Labels = {}): number {
    return this.#values.get(JSON.stringify(labels))?.value ?? 0;
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
  constructor(readonly name: string, readonly help: string, readonly bounds: readonly number[]) {}
  observe(labels: Labels, v: number): void {
    if (Number.isNaN(v)) return;
    const key = JSON.stringify(labels);
    let e = this.#values.get(key);
    if (!e) {
      this.#values.set(
        key,
        e = { labels, counts: new Array(this.bounds.length).fill(0), sum: 0, n: 0 },
      );
    }
    for (let i = 0; i < this.bounds.length; i++) if (v <= this.bounds[i]!) e.counts[i]!++;
    e.sum += v;
    e.n++;
  }
  count(labels: Labels = {}): number {
    return this.#values.get(JSON.stringify(labels))?.n ?? 0;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const { labels, counts, sum, n } of this.#values.values()) {
      this.bounds.forEach((b, i) => {
        lines.push(`${this.name}_bucket${labelText(labels, ["le", fmt(b)])} ${counts[i]}`);
      });
      lines.push(`${this.name}_bucket${labelText(labels, ["le", "+Inf"])} ${n}`);
      lines.push(`${this.name}_sum${labelText(labels)} ${fmt(sum)}`);
      lines.push(`${this.name}_count${labelText(labels)} ${n}`);
    }
    return lines.join("\n");
  }
}

/** The endpoint's metric families (names are what the alert rules query). */
export class ServeMetrics {
  readonly requests = new Scalar(
    "aqlab_http_requests_total",
    "HTTP requests by route, method and status code.",
    "counter",
  );
  readonly latency = new Histogram(
    "aqlab_http_request_duration_seconds",
    "Time from request to response, seconds, by route.",
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  );
  readonly predictions = new Histogram(
    "aqlab_prediction_value",
    "Predicted next-hour PM2.5, µg/m³.",
    [5, 10, 25, 35, 50, 75, 115, 150, 250, 350, 500],
  );
  readonly rows = new Scalar("aqlab_predicted_rows_total", "Rows scored.", "counter");
  readonly validationFailures = new Scalar(
    "aqlab_validation_failures_total",
    "Rejected inputs by field (the field named in the error answer).",
    "counter",
  );
  readonly flags = new Scalar(
    "aqlab_input_flags_total",
    "Accepted but flagged input values by field and flag (missing, out_of_range, unusual).",
    "counter",
  );
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

  render(): string {
    return [
      this.requests,
      this.latency,
      this.predictions,
      this.rows,
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

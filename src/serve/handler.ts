/**
 * The prediction endpoint as one `fetch` handler: a function of `Request` to `Response`,
 * testable without a socket, served by `deno serve` locally and by Deno Deploy.
 *
 * Routes: health and readiness, model metadata, `POST /v1/predict` (our JSON), the Open
 * Inference Protocol v2 (KServe, Triton, Seldon), MLflow's `/invocations`, Prometheus
 * `/metrics`, live drift, and admin routes when a bearer token is configured. Every client
 * error is a 4xx JSON body `{error, field, expected}`.
 */
import { FEATURE_NAMES, FEATURES } from "../features/schema.ts";
import type { FeatureMatrix } from "../data/matrix.ts";
import { predictionInterval } from "../metrics/conformal.ts";
import { shapValues } from "../explain/mod.ts";
import { type Columns, driftReport, type FeatureKind } from "../drift/mod.ts";
import type { LoadedModel } from "./model.ts";
import { type BodyLimits, readJsonBody } from "./body.ts";
import { ServeMetrics } from "./metrics.ts";
import { type LogEntry, PredictionLog, recentEntries } from "./prediction_log.ts";
import { compileRoutes, matchRoute, type Route } from "./routes.ts";
import {
  type CheckedRow,
  checkRow,
  InputError,
  isRecord,
  rowFromFeatures,
  rowFromObservation,
  rowFromValues,
} from "./validate.ts";

export interface ServeLimits extends BodyLimits {
  /** Most rows in one request. */
  maxBatchRows: number;
}

export const DEFAULT_LIMITS: ServeLimits = {
  maxBytes: 4 * 1024 * 1024,
  maxDepth: 32,
  maxBatchRows: 5000,
};

export interface HandlerOptions {
  /** The model to serve; null serves health and metrics with /ready answering 503. */
  model: LoadedModel | null;
  /** Prediction log store; without it nothing is logged and drift uses recent rows in memory. */
  kv?: Deno.Kv;
  /** Prediction log retention, ms (default 30 days). */
  logExpireIn?: number;
  /** Bearer token of the admin routes; without it they do not exist. */
  adminToken?: string;
  /** Loads the model again (admin reload). */
  reload?: () => Promise<LoadedModel>;
  /** Moves the production alias to `version` and returns the model to serve (admin promote). */
  promote?: (version: number, reason: string) => Promise<LoadedModel>;
  limits?: Partial<ServeLimits>;
  /** Logged rows compared with the reference by /v1/drift (default 5000). */
  driftWindow?: number;
  /** Fewest logged rows for a drift verdict (default 200). */
  driftMinRows?: number;
  metrics?: ServeMetrics;
}

export interface ServeApp {
  fetch(req: Request): Promise<Response>;
  /** Resolves when the prediction log has written everything queued so far. */
  flush(): Promise<void>;
  readonly metrics: ServeMetrics;
  readonly log: PredictionLog | null;
  /** The model being served now. */
  model(): LoadedModel | null;
}

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8" };
const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: JSON_HEADERS });

const clientError = (e: InputError) =>
  json(e.status, { error: e.message, field: e.field, expected: e.expected });

const FEATURE_KIND: Record<string, FeatureKind> = Object.fromEntries(
  FEATURES.map((f) => [f.name, f.kind === "categorical" ? "categorical" : "numeric"]),
);

interface Scored {
  rows: CheckedRow[];
  pred: Float32Array;
}

/** Builds the endpoint's handler. */
export function createHandler(options: HandlerOptions): ServeApp {
  const limits: ServeLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const metrics = options.metrics ?? new ServeMetrics();
  const log = options.kv
    ? new PredictionLog(options.kv, {
      metrics,
      ...(options.logExpireIn !== undefined ? { expireIn: options.logExpireIn } : {}),
    })
    : null;
  const driftWindow = options.driftWindow ?? 5000;
  const driftMinRows = options.driftMinRows ?? 200;
  const names = [...FEATURE_NAMES];
  let model = options.model;
  let referenceCols: { features: Columns; prediction: Float64Array | null } | null = null;

  // Recent rows in memory (a ring), for drift when there is no KV store.
  const ringX = new Float32Array(driftWindow * names.length);
  const ringY = new Float32Array(driftWindow);
  let ringN = 0, ringAt = 0;

  function setModel(m: LoadedModel | null): void {
    model = m;
    referenceCols = null;
    metrics.modelInfo.reset();
    metrics.ready.set({}, m ? 1 : 0);
    if (m) {
      metrics.modelInfo.set(
        { name: m.metadata.name, version: m.version, kind: m.metadata.kind },
        1,
      );
    }
  }
  setModel(model);

  function requireModel(): LoadedModel {
    if (model === null) throw new NotReady();
    return model;
  }

  async function score(m: LoadedModel, rows: CheckedRow[], route: string): Promise<Scored> {
    const F = names.length;
    const data = new Float32Array(rows.length * F);
    rows.forEach((r, i) => data.set(r.x, i * F));
    const X: FeatureMatrix = { data, nRows: rows.length, nCols: F, names };
    const pred = await m.scorer.run(X);
    const time = new Date().toISOString();
    const entries: LogEntry[] = [];
    const q = m.metadata.interval;
    for (let i = 0; i < rows.length; i++) {
      const y = pred[i]!;
      metrics.predictions.observe({}, y);
      for (const f of rows[i]!.flags) {
        metrics.flags.inc({ field: baseField(f.field), flag: f.flag });
      }
      ringX.set(rows[i]!.x, ringAt * F);
      ringY[ringAt] = y;
      ringAt = (ringAt + 1) % driftWindow;
      ringN = Math.min(ringN + 1, driftWindow);
      if (log) {
        entries.push({
          time,
          version: m.version,
          x: Array.from(rows[i]!.x, (v) => (Number.isNaN(v) ? null : v)),
          prediction: y,
          interval: q ? predictionInterval(y, q) : [NaN, NaN],
          route,
        });
      }
    }
    metrics.rows.inc({}, rows.length);
    if (log) log.push(entries);
    return { rows, pred };
  }

  function rowAnswer(m: LoadedModel, y: number, row: CheckedRow, explain: boolean) {
    const q = m.metadata.interval;
    const [lower, upper] = q ? predictionInterval(y, q) : [null, null];
    const out: Record<string, unknown> = {
      prediction: y,
      interval: q ? { lower, upper, level: 1 - q.alpha } : null,
      model_version: m.version,
      flags: row.flags,
    };
    if (explain) {
      const s = shapValues(m.explainer!, row.x);
      out.shap = {
        expected_value: s.expectedValue,
        values: Object.fromEntries(names.map((n, j) => [n, s.values[j]])),
      };
    }
    return out;
  }

  function batchRows(items: unknown, field: string, parse: (v: unknown, p: string) => CheckedRow) {
    if (!Array.isArray(items)) {
      throw new InputError(
        `Cannot read "${field}": expected an array of rows`,
        field,
        "an array of rows",
        400,
      );
    }
    if (items.length === 0) {
      throw new InputError(`Cannot read "${field}": it is empty`, field, "at least one row", 422);
    }
    if (items.length > limits.maxBatchRows) {
      throw new InputError(
        `Cannot accept "${field}": ${items.length} rows, at most ${limits.maxBatchRows} per request`,
        field,
        `at most ${limits.maxBatchRows} rows`,
        413,
      );
    }
    return items.map((v, i) => parse(v, `${field}[${i}].`));
  }

  function onlyKeys(body: Record<string, unknown>, allowed: string[], what: string): void {
    for (const k of Object.keys(body)) {
      if (!allowed.includes(k)) {
        throw new InputError(
          `Cannot read ${what}: unknown key "${k.slice(0, 60)}"`,
          k.slice(0, 60),
          `one of ${allowed.join(", ")}`,
          400,
        );
      }
    }
  }

  async function readObject(req: Request, what: string): Promise<Record<string, unknown>> {
    const body = await readJsonBody(req, limits);
    if (!isRecord(body)) {
      throw new InputError(
        `Cannot read ${what}: expected a JSON object`,
        null,
        "a JSON object",
        400,
      );
    }
    return body;
  }

  // POST /v1/predict
  async function predictV1(req: Request, url: URL): Promise<Response> {
    const m = requireModel();
    const explainParam = url.searchParams.get("explain");
    const explain = explainParam === "true" || explainParam === "1";
    if (explainParam !== null && !explain && explainParam !== "false" && explainParam !== "0") {
      throw new InputError(
        `Cannot read "explain": expected true or false, got "${explainParam.slice(0, 20)}"`,
        "explain",
        "true or false",
        400,
      );
    }
    if (explain && m.explainer === null) {
      throw new InputError(
        `Cannot explain: model ${m.version} is not a tree ensemble`,
        "explain",
        "explain=false for this model",
        400,
      );
    }
    const body = await readObject(req, "predict request");
    onlyKeys(body, ["features", "observation", "rows"], "predict request");
    const schema = m.metadata.schema;
    const given = ["features", "observation", "rows"].filter((k) => Object.hasOwn(body, k));
    if (given.length !== 1) {
      throw new InputError(
        `Cannot read predict request: expected exactly one of features, observation, rows; got ${
          given.length === 0 ? "none" : given.join(", ")
        }`,
        null,
        '{"features": {...}} or {"observation": {...}} or {"rows": [...]}',
        400,
      );
    }
    if (given[0] === "rows") {
      const rows = batchRows(body.rows, "rows", (v, p) => checkRow(v, schema, p));
      const { pred } = await score(m, rows, "/v1/predict");
      return json(200, {
        model_version: m.version,
        predictions: rows.map((r, i) => rowAnswer(m, pred[i]!, r, explain)),
      });
    }
    const obj = body[given[0]!];
    if (!isRecord(obj)) {
      throw new InputError(
        `Cannot read "${given[0]}": expected an object`,
        given[0]!,
        "an object",
        400,
      );
    }
    const row = given[0] === "features"
      ? rowFromFeatures(obj, schema)
      : rowFromObservation(obj, schema);
    const { pred } = await score(m, [row], "/v1/predict");
    return json(200, rowAnswer(m, pred[0]!, row, explain));
  }

  // POST /v2/models/:name[/versions/:version]/infer
  async function inferV2(
    req: Request,
    params: Record<string, string | undefined>,
  ): Promise<Response> {
    const m = modelNamed(params);
    const body = await readObject(req, "inference request");
    onlyKeys(body, ["id", "inputs", "outputs", "parameters"], "inference request");
    const id = body.id;
    if (id !== undefined && typeof id !== "string") {
      throw new InputError(`Cannot read "id": expected a string`, "id", "a string", 400);
    }
    const inputs = body.inputs;
    if (!Array.isArray(inputs) || inputs.length === 0) {
      throw new InputError(
        `Cannot read "inputs": expected a non-empty array of tensors`,
        "inputs",
        "a non-empty array of tensors",
        400,
      );
    }
    const values = oipRows(inputs, limits.maxBatchRows);
    const schema = m.metadata.schema;
    const rows = values.map((v, i) => rowFromValues(v, schema, `inputs[${i}].`));
    const { pred } = await score(m, rows, "/v2/infer");
    const n = rows.length;
    const q = m.metadata.interval;
    const all = [
      { name: "predict", datatype: "FP32", shape: [n, 1], data: Array.from(pred) },
      ...(q
        ? [
          {
            name: "interval_lower",
            datatype: "FP32",
            shape: [n, 1],
            data: Array.from(pred, (y) => predictionInterval(y, q)[0]),
          },
          {
            name: "interval_upper",
            datatype: "FP32",
            shape: [n, 1],
            data: Array.from(pred, (y) => predictionInterval(y, q)[1]),
          },
        ]
        : []),
    ];
    let outputs = all;
    if (body.outputs !== undefined) {
      if (!Array.isArray(body.outputs)) {
        throw new InputError(
          `Cannot read "outputs": expected an array`,
          "outputs",
          "an array",
          400,
        );
      }
      const wanted = body.outputs.map((o) => (isRecord(o) ? o.name : undefined));
      for (const w of wanted) {
        if (!all.some((o) => o.name === w)) {
          throw new InputError(
            `Cannot read "outputs": unknown output ${JSON.stringify(w)?.slice(0, 60)}`,
            "outputs",
            `names among ${all.map((o) => o.name).join(", ")}`,
            400,
          );
        }
      }
      outputs = all.filter((o) => wanted.includes(o.name));
    }
    return json(200, {
      model_name: m.metadata.name,
      model_version: String(m.metadata.version ?? "candidate"),
      ...(id !== undefined ? { id } : {}),
      outputs,
    });
  }

  function modelNamed(params: Record<string, string | undefined>): LoadedModel {
    const m = requireModel();
    const version = String(m.metadata.version ?? "candidate");
    if (params.name !== m.metadata.name) {
      throw new InputError(
        `Cannot find model "${String(params.name).slice(0, 60)}"`,
        "name",
        `"${m.metadata.name}"`,
        404,
      );
    }
    if (params.version !== undefined && params.version !== version) {
      throw new InputError(
        `Cannot find version "${params.version.slice(0, 20)}" of model "${m.metadata.name}"`,
        "version",
        `"${version}"`,
        404,
      );
    }
    return m;
  }

  function modelMetadataV2(params: Record<string, string | undefined>): Response {
    const m = modelNamed(params);
    return json(200, {
      name: m.metadata.name,
      versions: [String(m.metadata.version ?? "candidate")],
      platform: "onnx_onnxv1",
      inputs: [{ name: "input", datatype: "FP32", shape: [-1, names.length] }],
      outputs: [
        { name: "predict", datatype: "FP32", shape: [-1, 1] },
        ...(m.metadata.interval
          ? [
            { name: "interval_lower", datatype: "FP32", shape: [-1, 1] },
            { name: "interval_upper", datatype: "FP32", shape: [-1, 1] },
          ]
          : []),
      ],
      parameters: { feature_names: names },
    });
  }

  // POST /invocations (MLflow scoring protocol)
  async function invocations(req: Request): Promise<Response> {
    const m = requireModel();
    const body = await readObject(req, "invocation");
    const formats = ["dataframe_split", "dataframe_records", "instances", "inputs"];
    onlyKeys(body, [...formats, "params"], "invocation");
    const given = formats.filter((k) => Object.hasOwn(body, k));
    if (given.length !== 1) {
      throw new InputError(
        `Cannot read invocation: expected exactly one of ${formats.join(", ")}; got ${
          given.length === 0 ? "none" : given.join(", ")
        }`,
        null,
        `one of ${formats.join(", ")}`,
        400,
      );
    }
    const key = given[0]!;
    const schema = m.metadata.schema;
    const parse = (v: unknown, p: string) =>
      Array.isArray(v) ? rowFromValues(v, schema, p) : checkRow(v, schema, p);
    let rows: CheckedRow[];
    if (key === "dataframe_split") {
      rows = batchRows(splitRecords(body.dataframe_split), key, parse);
    } else if ((key === "inputs") && isRecord(body.inputs)) {
      rows = batchRows(columnRecords(body.inputs, "inputs"), key, parse);
    } else {
      rows = batchRows(body[key], key, parse);
    }
    const { pred } = await score(m, rows, "/invocations");
    return json(200, { predictions: Array.from(pred) });
  }

  // GET /v1/drift
  async function drift(): Promise<Response> {
    const m = requireModel();
    if (m.reference === null) {
      throw new InputError(
        `Cannot compute drift: model ${m.version} has no reference.json`,
        null,
        "a model package with a drift reference",
        409,
      );
    }
    if (referenceCols === null) referenceCols = toColumns(m.reference);
    const F = names.length;
    let cur: { features: Columns; prediction: Float64Array };
    let source: string;
    if (options.kv && log) {
      await log.flush();
      const entries = (await recentEntries(options.kv, driftWindow)).filter((e) =>
        e.version === m.version
      );
      const features: Columns = {};
      names.forEach((n, j) => {
        features[n] = Float64Array.from(entries, (e) => e.x[j] ?? NaN);
      });
      cur = { features, prediction: Float64Array.from(entries, (e) => e.prediction) };
      source = "prediction_log";
    } else {
      const features: Columns = {};
      names.forEach((n, j) => {
        const c = new Float64Array(ringN);
        for (let i = 0; i < ringN; i++) c[i] = ringX[i * F + j]!;
        features[n] = c;
      });
      cur = { features, prediction: Float64Array.from(ringY.subarray(0, ringN)) };
      source = "memory";
    }
    const rows = cur.prediction.length;
    const report = driftReport(referenceCols.features, cur.features, {
      features: names,
      kinds: FEATURE_KIND,
      ...(referenceCols.prediction
        ? {
          extra: { prediction: { reference: referenceCols.prediction, current: cur.prediction } },
        }
        : {}),
    });
    const enough = rows >= driftMinRows;
    if (enough) {
      metrics.driftDetected.set({}, report.datasetDrift ? 1 : 0);
      metrics.driftShare.set({}, report.driftShare ?? 0);
    }
    return json(200, {
      model_version: m.version,
      source,
      rows,
      min_rows: driftMinRows,
      verdict: !enough ? "insufficient_data" : report.datasetDrift ? "drift" : "no_drift",
      report: sanitize(report),
    });
  }

  async function admin(req: Request, action: "reload" | "promote"): Promise<Response> {
    if (!(await bearerMatches(req.headers.get("authorization"), options.adminToken!))) {
      await req.body?.cancel().catch(() => {});
      return new Response(
        JSON.stringify({
          error: "Cannot run admin action: missing or wrong bearer token",
          field: "authorization",
          expected: "Authorization: Bearer <AQLAB_ADMIN_TOKEN>",
        }),
        { status: 401, headers: { ...JSON_HEADERS, "www-authenticate": "Bearer" } },
      );
    }
    if (action === "reload") {
      await req.body?.cancel().catch(() => {});
      if (!options.reload) {
        throw new InputError("Cannot reload: no model source configured", null, "a reload", 409);
      }
      const previous = model?.version ?? null;
      setModel(await options.reload());
      return json(200, { reloaded: true, previous, version: model!.version });
    }
    const body = await readObject(req, "promote request");
    onlyKeys(body, ["version", "reason"], "promote request");
    const v = body.version;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1) {
      throw new InputError(
        `Cannot promote: expected "version" a positive integer`,
        "version",
        "a positive integer",
        422,
      );
    }
    const reason = typeof body.reason === "string" ? body.reason.slice(0, 500) : "admin promote";
    if (!options.promote) {
      throw new InputError("Cannot promote: no registry configured", null, "a registry", 409);
    }
    const previous = model?.version ?? null;
    setModel(await options.promote(v, reason));
    return json(200, { promoted: true, previous, version: model!.version });
  }

  const routes: Route[] = [
    { method: "POST", path: "/v1/predict", handler: (req, _p, url) => predictV1(req, url) },
    { method: "GET", path: "/health", handler: () => json(200, { status: "ok" }) },
    {
      method: "GET",
      path: "/ready",
      handler: () =>
        model
          ? json(200, { ready: true, model_version: model.version })
          : json(503, { ready: false, error: "No model loaded" }),
    },
    {
      method: "GET",
      path: "/v1/model",
      handler: () => json(200, modelDescription(requireModel())),
    },
    {
      method: "GET",
      path: "/metrics",
      handler: () =>
        new Response(metrics.render(), {
          headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
        }),
    },
    { method: "GET", path: "/v1/drift", handler: () => drift() },
    { method: "POST", path: "/invocations", handler: (req) => invocations(req) },
    { method: "GET", path: "/ping", handler: () => json(model ? 200 : 503, {}) },
    {
      method: "GET",
      path: "/v2",
      handler: () => json(200, { name: "aqlab", version: "1", extensions: [] }),
    },
    { method: "GET", path: "/v2/health/live", handler: () => json(200, { live: true }) },
    {
      method: "GET",
      path: "/v2/health/ready",
      handler: () => json(model ? 200 : 503, { ready: model !== null }),
    },
    { method: "GET", path: "/v2/models/:name", handler: (_r, p) => modelMetadataV2(p) },
    {
      method: "GET",
      path: "/v2/models/:name/versions/:version",
      handler: (_r, p) => modelMetadataV2(p),
    },
    {
      method: "GET",
      path: "/v2/models/:name/ready",
      handler: (_r, p) => (modelNamed(p), json(200, { name: p.name, ready: true })),
    },
    { method: "POST", path: "/v2/models/:name/infer", handler: (req, p) => inferV2(req, p) },
    {
      method: "POST",
      path: "/v2/models/:name/versions/:version/infer",
      handler: (req, p) => inferV2(req, p),
    },
  ];
  if (options.adminToken) {
    routes.push(
      { method: "POST", path: "/admin/reload", handler: (req) => admin(req, "reload") },
      { method: "POST", path: "/admin/promote", handler: (req) => admin(req, "promote") },
    );
  }
  const compiled = compileRoutes(routes);

  async function fetch(req: Request): Promise<Response> {
    const start = performance.now();
    let route = "unmatched";
    let res: Response;
    try {
      let url: URL;
      try {
        url = new URL(req.url);
      } catch {
        throw new InputError("Cannot read URL", "url", "an absolute URL", 400);
      }
      const hit = matchRoute(compiled, req.method, url);
      if (hit.route === null) {
        await req.body?.cancel().catch(() => {});
        if (hit.allowed.length > 0) {
          res = json(405, {
            error: `Cannot ${req.method.slice(0, 10)} ${url.pathname.slice(0, 100)}`,
            field: "method",
            expected: hit.allowed.join(" or "),
          });
          res.headers.set("allow", hit.allowed.join(", "));
        } else {
          res = json(404, {
            error: `Cannot find ${url.pathname.slice(0, 100)}`,
            field: "path",
            expected: "a route of the API (GET /v1/model lists the model; see README)",
          });
        }
      } else {
        route = hit.route.path;
        res = await hit.route.handler(req, hit.params, url);
      }
    } catch (e) {
      if (e instanceof InputError) {
        metrics.validationFailures.inc({ field: baseField(e.field ?? "body") });
        res = clientError(e);
      } else if (e instanceof NotReady) {
        res = json(503, { error: "No model loaded", field: null, expected: "a loaded model" });
      } else {
        console.error(`aqlab serve: ${req.method} ${route}:`, e);
        res = json(500, { error: "Internal error", field: null, expected: null });
      }
    }
    metrics.requests.inc({ route, method: req.method, status: String(res.status) });
    metrics.latency.observe({ route }, (performance.now() - start) / 1000);
    return res;
  }

  return {
    fetch,
    flush: async () => {
      await log?.flush();
    },
    metrics,
    log,
    model: () => model,
  };
}

class NotReady extends Error {}

/** Label value of a field: "rows[3].PM2.5" -> "PM2.5" (bounded label cardinality). */
function baseField(field: string): string {
  const f = field.replace(/^[a-z_]+\[\d+\]\./, "");
  return (FEATURE_NAMES as readonly string[]).includes(f) ||
      ["station", "time", "wd", "body", "rows", "content-type", "method", "path"].includes(f)
    ? f
    : "other";
}

function toColumns(ref: NonNullable<LoadedModel["reference"]>) {
  const features: Columns = {};
  for (const n of FEATURE_NAMES) {
    const c = ref.columns[n];
    if (c) features[n] = Float64Array.from(c, (v) => v ?? NaN);
  }
  const p = ref.columns["prediction"];
  return { features, prediction: p ? Float64Array.from(p, (v) => v ?? NaN) : null };
}

/** JSON has no NaN or Infinity: they become null. */
function sanitize(v: unknown): unknown {
  return JSON.parse(
    JSON.stringify(v, (_k, x) => (typeof x === "number" && !Number.isFinite(x) ? null : x)),
  );
}

/** dataframe_split {columns, data} -> records. */
function splitRecords(v: unknown): unknown[] {
  if (!isRecord(v) || !Array.isArray(v.columns) || !Array.isArray(v.data)) {
    throw new InputError(
      `Cannot read "dataframe_split": expected {columns: [...], data: [[...], ...]}`,
      "dataframe_split",
      "{columns, data}",
      400,
    );
  }
  const columns = v.columns;
  if (!columns.every((c) => typeof c === "string")) {
    throw new InputError(
      `Cannot read "dataframe_split.columns": expected strings`,
      "dataframe_split",
      "column names",
      400,
    );
  }
  return v.data.map((r, i) => {
    if (!Array.isArray(r) || r.length !== columns.length) {
      throw new InputError(
        `Cannot read "dataframe_split.data[${i}]": expected ${columns.length} values`,
        "dataframe_split",
        `rows of ${columns.length} values`,
        400,
      );
    }
    return Object.fromEntries(columns.map((c, j) => [c, r[j]]));
  });
}

/** MLflow "inputs" as columns {name: [values]} -> records. */
function columnRecords(cols: Record<string, unknown>, field: string): unknown[] {
  const keys = Object.keys(cols);
  const arrays = keys.map((k) => cols[k]);
  const n = Array.isArray(arrays[0]) ? arrays[0].length : -1;
  if (n < 0 || !arrays.every((a) => Array.isArray(a) && a.length === n)) {
    throw new InputError(
      `Cannot read "${field}": expected columns as arrays of equal length`,
      field,
      "{feature: [values], ...}",
      400,
    );
  }
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i++) {
    out.push(Object.fromEntries(keys.map((k, j) => [k, (arrays[j] as unknown[])[i]])));
  }
  return out;
}

/** OIP inputs -> rows of values in model order. One [n, F] tensor, or one [n] tensor per feature. */
function oipRows(inputs: unknown[], maxRows: number): unknown[][] {
  const F = FEATURE_NAMES.length;
  const tensors = inputs.map((t, i) => {
    if (!isRecord(t) || typeof t.name !== "string" || !Array.isArray(t.shape) || !("data" in t)) {
      throw new InputError(
        `Cannot read "inputs[${i}]": expected a tensor {name, shape, datatype, data}`,
        `inputs[${i}]`,
        "{name, shape, datatype, data}",
        400,
      );
    }
    const shape = t.shape;
    if (!shape.every((d) => Number.isInteger(d) && (d as number) >= 0 && (d as number) <= 1e7)) {
      throw new InputError(
        `Cannot read "inputs[${i}].shape": expected non-negative integers`,
        `inputs[${i}].shape`,
        "non-negative integers",
        400,
      );
    }
    if (typeof t.datatype !== "string" || !/^(FP(16|32|64)|U?INT(8|16|32|64))$/.test(t.datatype)) {
      throw new InputError(
        `Cannot read "inputs[${i}].datatype": expected a numeric type`,
        `inputs[${i}].datatype`,
        "FP32, FP64 or an integer type",
        400,
      );
    }
    const flat: unknown[] = Array.isArray(t.data) ? (t.data as unknown[]).flat(32) : [t.data];
    const size = (shape as number[]).reduce((a, b) => a * b, 1);
    if (flat.length !== size) {
      throw new InputError(
        `Cannot read "inputs[${i}].data": ${flat.length} values for shape [${shape.join(", ")}]`,
        `inputs[${i}].data`,
        `${size} values`,
        400,
      );
    }
    return { name: t.name, shape: shape as number[], flat };
  });
  const tooMany = (n: number) => {
    if (n > maxRows) {
      throw new InputError(
        `Cannot accept inputs: ${n} rows, at most ${maxRows} per request`,
        "inputs",
        `at most ${maxRows} rows`,
        413,
      );
    }
  };
  if (tensors.length === 1) {
    const t = tensors[0]!;
    const cols = t.shape[t.shape.length - 1];
    if (cols !== F || t.shape.length > 2) {
      throw new InputError(
        `Cannot read "inputs[0].shape": expected [n, ${F}] (features in model order)`,
        "inputs[0].shape",
        `[n, ${F}]`,
        400,
      );
    }
    const n = t.flat.length / F;
    tooMany(n);
    const rows: unknown[][] = [];
    for (let i = 0; i < n; i++) rows.push(t.flat.slice(i * F, (i + 1) * F));
    return rows;
  }
  // One tensor per feature, by name.
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const missing = FEATURE_NAMES.filter((n) => !byName.has(n));
  if (missing.length > 0 || tensors.length !== F) {
    throw new InputError(
      `Cannot read "inputs": expected one [n, ${F}] tensor or one tensor per feature; ${
        missing.length ? `missing ${missing.slice(0, 5).join(", ")}` : "unknown names"
      }`,
      "inputs",
      `one tensor named by each of the ${F} features`,
      400,
    );
  }
  const n = byName.get(FEATURE_NAMES[0]!)!.flat.length;
  if (!tensors.every((t) => t.flat.length === n)) {
    throw new InputError(
      `Cannot read "inputs": feature tensors of different lengths`,
      "inputs",
      "equal lengths",
      400,
    );
  }
  tooMany(n);
  const rows: unknown[][] = [];
  for (let i = 0; i < n; i++) rows.push(FEATURE_NAMES.map((name) => byName.get(name)!.flat[i]));
  return rows;
}

function modelDescription(m: LoadedModel) {
  const md = m.metadata;
  return {
    name: md.name,
    version: m.version,
    registry_version: md.version,
    kind: md.kind,
    created: md.created,
    loaded_at: m.loadedAt,
    target: md.schema.target,
    features: md.schema.features.map((f) => ({
      name: f.name,
      kind: f.kind,
      unit: f.unit,
      description: f.description,
      ...(f.hardMin !== undefined ? { hard_min: f.hardMin } : {}),
      ...(f.hardMax !== undefined ? { hard_max: f.hardMax } : {}),
      ...(f.observed ? { observed: f.observed } : {}),
    })),
    stations: md.schema.stations,
    metrics: sanitize(md.metrics),
    interval: md.interval ? { ...md.interval, level: 1 - md.interval.alpha } : null,
    explain: m.explainer !== null,
    card: {
      summary:
        `Next-hour PM2.5 (${md.schema.target.unit}) at ${md.schema.stations.length} stations from ${FEATURE_NAMES.length} features; ${md.kind} model ${m.version}`,
      intended_use: "Short-term PM2.5 forecasting for monitoring stations seen in training",
      training_rows: md.training?.rows ?? null,
      test: md.metrics.test ?? null,
      run_id: md.lineage?.run_id ?? null,
      data_hash: md.lineage?.data_hash ?? null,
    },
    inputs: {
      features: 'POST /v1/predict {"features": {name: number | null, ...}} (all features)',
      observation:
        'POST /v1/predict {"observation": {station, time: "YYYY-MM-DDTHH:MM", "PM2.5", ..., wd}}',
      batch: 'POST /v1/predict {"rows": [...]} (either form per row)',
    },
  };
}

/** Constant-time comparison of the bearer token (SHA-256 of both, compared in full). */
export async function bearerMatches(header: string | null, token: string): Promise<boolean> {
  const m = /^Bearer (.+)$/i.exec(header ?? "");
  const given = m?.[1] ?? "";
  const enc = new TextEncoder();
  const [a, b] = await Promise.all([
    crypto.subtle.digest("SHA-256", enc.encode(given)),
    crypto.subtle.digest("SHA-256", enc.encode(token)),
  ]);
  const x = new Uint8Array(a), y = new Uint8Array(b);
  let diff = m ? 0 : 1;
  for (let i = 0; i < x.length; i++) diff |= x[i]! ^ y[i]!;
  return diff === 0;
}

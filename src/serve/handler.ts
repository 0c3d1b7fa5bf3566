/**
 * The prediction endpoint as one handler: `fetch` (a function of `Request` to `Response`,
 * testable without a socket, served by `deno serve` locally and by Deno Deploy) and
 * `handle` (the same on a transport-neutral `ServeRequest`, for the HTTP/1.1 layer of
 * `--listen`). Routes are data (route_table.ts); the protocols are adapters (protocol_*.ts);
 * the shared state is built here and passed to them.
 *
 * Routes: health and readiness, model metadata, `POST /v1/predict` (our JSON), the Open
 * Inference Protocol v2 (KServe, Triton, Seldon), MLflow's `/invocations`, Prometheus
 * `/metrics`, live drift, and admin routes when a bearer token is configured. Every client
 * error is a 4xx JSON body `{error, field, expected}`.
 */
import { FEATURE_NAMES } from "../features/schema.ts";
import { Call, DEFAULT_LIMITS, NotReady, type ServeContext, type ServeLimits } from "./context.ts";
import {
  type Answer,
  clientError,
  fromRequest,
  json,
  type ServeRequest,
  toResponse,
} from "./exchange.ts";
import { ServeMetrics, UNMATCHED } from "./metrics.ts";
import type { LoadedModel } from "./model.ts";
import { ModelSlot } from "./model_slot.ts";
import { type LogMode, LogWriteError, PredictionLog } from "./prediction_log.ts";
import { DriftMonitor, RecentRows } from "./drift_snapshot.ts";
import { ExplainLane, type ExplainLaneOptions } from "./scoring.ts";
import { compileRoutes, matchRoute } from "./routes.ts";
import { ROUTES } from "./route_table.ts";
import { FIELD_LABELS, fieldLabel, InputError } from "./validate.ts";

export { DEFAULT_LIMITS, type ServeLimits };

export interface HandlerOptions {
  /** The model to serve; null serves health and metrics with /ready answering 503. */
  model: LoadedModel | null;
  /** Prediction log store; without it nothing is logged and drift uses recent rows in memory. */
  kv?: Deno.Kv;
  /** Prediction log retention, ms (default 30 days). */
  logExpireIn?: number;
  /** `async` (default): answers do not wait for the log; `sync`: they wait for its commit. */
  logMode?: LogMode;
  /** Rows queued (async) before answers wait for the log to catch up (default 10,000). */
  logQueue?: number;
  /** Bearer token of the admin routes; without it they do not exist. */
  adminToken?: string;
  /** Loads the model again (admin reload). */
  reload?: () => Promise<LoadedModel>;
  /** Moves the production alias to `version` once its model loaded and passed its checks. */
  promote?: (version: number, reason: string) => Promise<LoadedModel>;
  limits?: Partial<ServeLimits>;
  /** Logged rows compared with the reference by /v1/drift (default 5000). */
  driftWindow?: number;
  /** Fewest logged rows for a drift verdict (default 200). */
  driftMinRows?: number;
  /** Oldest drift snapshot /v1/drift answers before computing a new one (ms, default 60 s). */
  driftMaxAgeMs?: number;
  explain?: ExplainLaneOptions;
}

export interface ServeApp {
  fetch(req: Request): Promise<Response>;
  /** The same as `fetch`, on a transport-neutral request (the HTTP/1.1 layer). */
  handle(req: ServeRequest): Promise<Answer>;
  /** Resolves when the prediction log has written everything queued so far. */
  flush(): Promise<void>;
  /** Recomputes drift every `intervalMs` in the background (until `close`). */
  startDriftSchedule(intervalMs: number): void;
  /** Stops the background work (drift schedule, SHAP worker) and flushes the log. */
  close(): Promise<void>;
  readonly metrics: ServeMetrics;
  readonly log: PredictionLog | null;
  readonly drift: DriftMonitor;
  readonly limits: ServeLimits;
  /** The model being served now. */
  model(): LoadedModel | null;
}

/** Builds the endpoint's handler. */
export function createHandler(options: HandlerOptions): ServeApp {
  const names = FEATURE_NAMES;
  const limits: ServeLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const routes = compileRoutes(ROUTES.filter((r) => !r.admin || options.adminToken));
  const metrics = new ServeMetrics({ routes: routes.map((r) => r.path), fields: FIELD_LABELS });
  const log = options.kv
    ? new PredictionLog(options.kv, {
      metrics,
      ...(options.logExpireIn !== undefined ? { expireIn: options.logExpireIn } : {}),
      ...(options.logMode ? { mode: options.logMode } : {}),
      ...(options.logQueue !== undefined ? { maxQueue: options.logQueue } : {}),
    })
    : null;
  const recent = new RecentRows(options.driftWindow ?? 5000, names.length);
  const slot = new ModelSlot(names, (m) => {
    metrics.modelInfo.reset();
    metrics.ready.set({}, m ? 1 : 0);
    if (m) {
      metrics.modelInfo.set(
        { name: m.metadata.name, version: m.version, kind: m.metadata.kind },
        1,
      );
    }
  }, () => metrics.onnxRuns.inc());
  const ctx: ServeContext = {
    names,
    limits,
    metrics,
    log,
    slot,
    recent,
    drift: new DriftMonitor({
      metrics,
      recent,
      ...(options.kv ? { kv: options.kv } : {}),
      ...(options.driftWindow !== undefined ? { window: options.driftWindow } : {}),
      ...(options.driftMinRows !== undefined ? { minRows: options.driftMinRows } : {}),
      ...(options.driftMaxAgeMs !== undefined ? { maxAgeMs: options.driftMaxAgeMs } : {}),
    }),
    explain: new ExplainLane(options.explain),
    admin: {
      token: options.adminToken,
      ...(options.reload ? { reload: options.reload } : {}),
      ...(options.promote ? { promote: options.promote } : {}),
    },
  };
  slot.set(options.model);

  async function handle(req: ServeRequest): Promise<Answer> {
    const start = performance.now();
    let route = UNMATCHED;
    let answer: Answer;
    let call: Call | null = null;
    try {
      const hit = matchRoute(routes, req.method, req.path);
      if (hit.route === null) {
        await req.body.discard();
        answer = hit.allowed.length > 0
          ? json(405, {
            error: `Cannot ${req.method.slice(0, 10)} ${req.path.slice(0, 100)}`,
            field: "method",
            expected: hit.allowed.join(" or "),
          }, { allow: hit.allowed.join(", ") })
          : json(404, {
            error: `Cannot find ${req.path.slice(0, 100)}`,
            field: "path",
            expected: "a route of the API (GET /v1/model lists the model; see README)",
          });
      } else {
        route = hit.route.path;
        call = new Call(req, hit.params, slot);
        answer = await hit.route.handler(ctx, call);
      }
    } catch (e) {
      answer = failure(e, req, route);
    } finally {
      call?.end();
    }
    metrics.requests.inc({ route, method: req.method, status: String(answer.status) });
    metrics.latency.observe({ route }, (performance.now() - start) / 1000);
    return answer;
  }

  function failure(e: unknown, req: ServeRequest, route: string): Answer {
    if (e instanceof InputError) {
      metrics.validationFailures.inc({ field: fieldLabel(e.field ?? "body") });
      return clientError(e);
    }
    if (e instanceof NotReady) {
      return json(503, { error: "No model loaded", field: null, expected: "a loaded model" });
    }
    if (e instanceof LogWriteError) {
      return json(503, {
        error: `Cannot answer: ${e.message} (AQLAB_LOG=sync answers only logged predictions)`,
        field: null,
        expected: "a retry once the prediction log store is writable",
      }, { "retry-after": "1" });
    }
    console.error(`aqlab serve: ${req.method.slice(0, 10)} ${route}:`, e);
    return json(500, { error: "Internal error", field: null, expected: null });
  }

  async function fetch(req: Request): Promise<Response> {
    let sreq: ServeRequest;
    try {
      sreq = fromRequest(req, limits.bodyTimeoutMs);
    } catch {
      await req.body?.cancel().catch(() => {});
      const e = new InputError("Cannot read URL", "url", "an absolute URL", 400);
      metrics.validationFailures.inc({ field: "url" });
      metrics.requests.inc({ route: UNMATCHED, method: req.method, status: "400" });
      return toResponse(clientError(e));
    }
    return toResponse(await handle(sreq));
  }

  return {
    fetch,
    handle,
    flush: async () => {
      await log?.flush();
    },
    startDriftSchedule: (intervalMs) => ctx.drift.start(intervalMs, () => slot.model),
    close: async () => {
      ctx.drift.stop();
      slot.current?.closeEngine();
      await log?.flush();
    },
    metrics,
    log,
    drift: ctx.drift,
    limits,
    model: () => slot.model,
  };
}

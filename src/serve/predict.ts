/**
 * The scoring routes: /v1/predict, OIP v2 infer and MLflow /invocations. Each reads the
 * body, lets its protocol adapter check the whole request and turn it into rows, and only
 * then scores, records (metrics, recent rows, prediction log) and answers.
 */
import { predictionInterval } from "../metrics/conformal.ts";
import { readJsonBody } from "./body.ts";
import type { Call, ServeContext } from "./context.ts";
import { type Answer, json, queryParam } from "./exchange.ts";
import type { LogEntry } from "./prediction_log.ts";
import { explainFlag, parseV1, v1Answer } from "./protocol_v1.ts";
import { checkModelPath, oipAnswer, parseOip } from "./protocol_oip.ts";
import { invocationAnswer, parseInvocation } from "./protocol_mlflow.ts";
import { type CheckedRow, fieldLabel, InputError, isRecord } from "./validate.ts";

/** The request body as a JSON object. */
export async function readObject(
  ctx: ServeContext,
  call: Call,
  what: string,
): Promise<Record<string, unknown>> {
  const body = await readJsonBody(call.req, ctx.limits);
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

/** Rows as one row-major float32 matrix in model order. */
function matrix(rows: CheckedRow[], F: number): Float32Array {
  const data = new Float32Array(rows.length * F);
  for (let i = 0; i < rows.length; i++) data.set(rows[i]!.x, i * F);
  return data;
}

/**
 * Scores checked rows with the request's model and records them: metrics, the recent rows
 * (drift without a log) and the prediction log. With `AQLAB_LOG=sync` it resolves once the
 * log has committed them (a failed commit rejects: the caller answers 503).
 */
export async function scoreRows(
  ctx: ServeContext,
  call: Call,
  rows: CheckedRow[],
  route: string,
  data = matrix(rows, ctx.names.length),
): Promise<Float32Array> {
  const served = call.served();
  const m = served.model;
  const pred = await served.batcher.score(data, rows.length);
  const { metrics, log } = ctx;
  for (let i = 0; i < rows.length; i++) {
    metrics.predictions.observe({}, pred[i]!);
    for (const f of rows[i]!.flags) {
      metrics.flags.inc({ field: fieldLabel(f.field), flag: f.flag });
    }
  }
  metrics.rows.inc({}, rows.length);
  ctx.recent.add(data, pred, rows.length);
  if (log) {
    const time = new Date().toISOString();
    const q = m.metadata.interval;
    const entries: LogEntry[] = rows.map((r, i) => ({
      time,
      version: m.version,
      x: Array.from(r.x, (v) => (Number.isNaN(v) ? null : v)),
      prediction: pred[i]!,
      interval: q ? predictionInterval(pred[i]!, q) : [NaN, NaN],
      route,
    }));
    await log.write(entries);
  }
  return pred;
}

/** POST /v1/predict (`?explain=true` adds SHAP values, for at most `maxExplainRows` rows). */
export async function predictV1(ctx: ServeContext, call: Call): Promise<Answer> {
  const m = call.model();
  const explain = explainFlag(queryParam(call.req, "explain"));
  if (explain && m.explainer === null) {
    throw new InputError(
      `Cannot explain: model ${m.version} is not a tree ensemble`,
      "explain",
      "explain=false for this model",
      400,
    );
  }
  const body = await readObject(ctx, call, "predict request");
  const limit = explain ? ctx.limits.maxExplainRows : ctx.limits.maxBatchRows;
  const req = parseV1(body, m.metadata.schema, limit, explain);
  const data = matrix(req.rows, ctx.names.length);
  // Explained first: a request the explain lane turns away is neither scored nor logged.
  const shap = explain
    ? await ctx.explain.explain(call.served().engine(ctx.explain), data, req.rows.length)
    : null;
  const pred = await scoreRows(ctx, call, req.rows, "/v1/predict", data);
  return json(200, v1Answer(m, req, pred, shap, ctx.names));
}

/** POST /v2/models/:name[/versions/:version]/infer */
export async function inferV2(ctx: ServeContext, call: Call): Promise<Answer> {
  const m = call.model();
  checkModelPath(m, call.params);
  const body = await readObject(ctx, call, "inference request");
  const req = parseOip(body, m, ctx.names, ctx.limits.maxBatchRows);
  const pred = await scoreRows(ctx, call, req.rows, "/v2/infer");
  return json(200, oipAnswer(m, req, pred));
}

/** POST /invocations (MLflow scoring protocol). */
export async function invocations(ctx: ServeContext, call: Call): Promise<Answer> {
  const m = call.model();
  const body = await readObject(ctx, call, "invocation");
  const rows = parseInvocation(body, m.metadata.schema, ctx.limits.maxBatchRows);
  const pred = await scoreRows(ctx, call, rows, "/invocations");
  return json(200, invocationAnswer(pred));
}

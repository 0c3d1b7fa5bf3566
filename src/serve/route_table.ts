/**
 * The endpoint's routes, as data: method, path pattern and handler, in match order. The
 * protocol routes live in predict.ts (scoring) and admin.ts; the small ones are here.
 */
import type { RouteHandler } from "./context.ts";
import { type Answer, json, PROMETHEUS_TYPE } from "./exchange.ts";
import { describeModel } from "./describe_model.ts";
import { checkModelPath, oipMetadata } from "./protocol_oip.ts";
import { inferV2, invocations, predictV1 } from "./predict.ts";
import { promote, reload } from "./admin.ts";
import type { Route } from "./routes.ts";

const metrics: RouteHandler = (ctx): Answer => ({
  status: 200,
  type: PROMETHEUS_TYPE,
  body: ctx.metrics.render(),
});

export const ROUTES: readonly Route<RouteHandler>[] = [
  { method: "POST", path: "/v1/predict", handler: predictV1 },
  { method: "GET", path: "/health", handler: () => json(200, { status: "ok" }) },
  {
    method: "GET",
    path: "/ready",
    handler: (ctx) => {
      const m = ctx.slot.model;
      return m
        ? json(200, { ready: true, model_version: m.version })
        : json(503, { ready: false, error: "No model loaded" });
    },
  },
  {
    method: "GET",
    path: "/v1/model",
    handler: (_ctx, call) => json(200, describeModel(call.model())),
  },
  { method: "GET", path: "/metrics", handler: metrics },
  {
    method: "GET",
    path: "/v1/drift",
    handler: async (ctx, call) => json(200, await ctx.drift.answer(call.model())),
  },
  { method: "POST", path: "/invocations", handler: invocations },
  { method: "GET", path: "/ping", handler: (ctx) => json(ctx.slot.model ? 200 : 503, {}) },
  {
    method: "GET",
    path: "/v2",
    handler: () => json(200, { name: "aqlab", version: "1", extensions: [] }),
  },
  { method: "GET", path: "/v2/health/live", handler: () => json(200, { live: true }) },
  {
    method: "GET",
    path: "/v2/health/ready",
    handler: (ctx) => json(ctx.slot.model ? 200 : 503, { ready: ctx.slot.model !== null }),
  },
  { method: "GET", path: "/v2/models/:name", handler: modelMetadata },
  { method: "GET", path: "/v2/models/:name/versions/:version", handler: modelMetadata },
  {
    method: "GET",
    path: "/v2/models/:name/ready",
    handler: (_ctx, call) => {
      checkModelPath(call.model(), call.params);
      return json(200, { name: call.params.name, ready: true });
    },
  },
  { method: "POST", path: "/v2/models/:name/infer", handler: inferV2 },
  { method: "POST", path: "/v2/models/:name/versions/:version/infer", handler: inferV2 },
  { method: "POST", path: "/admin/reload", handler: reload, admin: true },
  { method: "POST", path: "/admin/promote", handler: promote, admin: true },
];

function modelMetadata(...[ctx, call]: Parameters<RouteHandler>): Answer {
  const m = call.model();
  checkModelPath(m, call.params);
  return json(200, oipMetadata(m, ctx.names));
}

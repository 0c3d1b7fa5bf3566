/**
 * A linear router: the first route whose method and URLPattern match answers. A path
 * that matches with another method gets 405; no match gets 404. The route's pattern text
 * (not the path) labels the metrics, so clients cannot blow up label cardinality.
 */
export type RouteHandler = (
  req: Request,
  params: Record<string, string | undefined>,
  url: URL,
) => Response | Promise<Response>;

export interface Route {
  method: "GET" | "POST";
  /** URLPattern pathname, e.g. "/v2/models/:name/infer". */
  path: string;
  handler: RouteHandler;
}

export interface CompiledRoute extends Route {
  /** Null for a static path, compared as a string (URLPattern costs microseconds a call). */
  pattern: URLPattern | null;
}

export const compileRoutes = (routes: Route[]): CompiledRoute[] =>
  routes.map((r) => ({
    ...r,
    pattern: r.path.includes(":") ? new URLPattern({ pathname: r.path }) : null,
  }));

const NO_PARAMS: Record<string, string | undefined> = Object.freeze({});

/** The route for a request, or "method not allowed" / "not found". */
export function matchRoute(
  routes: CompiledRoute[],
  method: string,
  url: URL,
):
  | { route: CompiledRoute; params: Record<string, string | undefined> }
  | { route: null; allowed: string[] } {
  const allowed: string[] = [];
  for (const route of routes) {
    let params = NO_PARAMS;
    if (route.pattern === null) {
      if (route.path !== url.pathname) continue;
    } else {
      const m = route.pattern.exec({ pathname: url.pathname });
      if (m === null) continue;
      params = m.pathname.groups;
    }
    if (route.method === method || (method === "HEAD" && route.method === "GET")) {
      return { route, params };
    }
    allowed.push(route.method);
  }
  return { route: null, allowed };
}

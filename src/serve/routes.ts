/**
 * A linear router: the first route whose method and URLPattern match answers. A path
 * that matches with another method gets 405; no match gets 404. The route's pattern text
 * (not the path) labels the metrics, so clients cannot blow up label cardinality.
 */
export interface Route<H> {
  method: "GET" | "POST";
  /** URLPattern pathname, e.g. "/v2/models/:name/infer". */
  path: string;
  handler: H;
  /** Exists only when an admin token is configured. */
  admin?: boolean;
}

export interface CompiledRoute<H> extends Route<H> {
  /** Null for a static path, compared as a string (URLPattern costs microseconds a call). */
  pattern: URLPattern | null;
}

export type Params = Record<string, string | undefined>;

export const compileRoutes = <H>(routes: readonly Route<H>[]): CompiledRoute<H>[] =>
  routes.map((r) => ({
    ...r,
    pattern: r.path.includes(":") ? new URLPattern({ pathname: r.path }) : null,
  }));

const NO_PARAMS: Params = Object.freeze({});

/** The route for a request, or "method not allowed" / "not found". */
export function matchRoute<H>(
  routes: readonly CompiledRoute<H>[],
  method: string,
  path: string,
):
  | { route: CompiledRoute<H>; params: Params }
  | { route: null; allowed: string[] } {
  const allowed: string[] = [];
  for (const route of routes) {
    let params = NO_PARAMS;
    if (route.pattern === null) {
      if (route.path !== path) continue;
    } else {
      const m = route.pattern.exec({ pathname: path });
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

/**
 * A request and its answer as the endpoint's routes see them, whatever carries them: the
 * `fetch` adapter (Deno.serve, `deno serve`, Deno Deploy, tests) builds a `ServeRequest` from
 * a `Request`; the HTTP/1.1 layer of `--listen` (http1.ts) builds one straight from the bytes
 * it parsed, without a `Request` object per call. Routes answer plain `Answer`s.
 */
import { InputError } from "./validate.ts";

/** How a route reads the body: at most `maxBytes`, or an InputError (413, 408, 400). */
export interface BodyReader {
  read(maxBytes: number): Promise<Uint8Array>;
  /** Drops an unread body (the route answers without it). */
  discard(): Promise<void>;
}

export interface ServeRequest {
  readonly method: string;
  /** The path, dot segments resolved, percent escapes kept (as `URL.pathname`). */
  readonly path: string;
  /** The query string without "?"; "" when none. */
  readonly query: string;
  /** A header by lower-case name, or null. */
  header(name: string): string | null;
  readonly body: BodyReader;
}

export interface Answer {
  status: number;
  /** Content type of `body`. */
  type: string;
  body: string;
  headers?: Record<string, string>;
}

export const JSON_TYPE = "application/json; charset=utf-8";
export const PROMETHEUS_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** A JSON answer. */
export const json = (status: number, body: unknown, headers?: Record<string, string>): Answer => ({
  status,
  type: JSON_TYPE,
  body: JSON.stringify(body),
  ...(headers ? { headers } : {}),
});

/** The `{error, field, expected}` answer of a client error. */
export const clientError = (e: InputError): Answer =>
  json(e.status, { error: e.message, field: e.field, expected: e.expected }, e.headers);

/** A query parameter of the request, or null. */
export function queryParam(req: ServeRequest, name: string): string | null {
  return req.query === "" ? null : new URLSearchParams(req.query).get(name);
}

const EMPTY = new Uint8Array(0);

/**
 * Reads a body stream: at most `maxBytes` (413 past it, whatever Content-Length claims) and
 * within `deadlineMs` of the first read (408 when the client stalls; the stream is cancelled,
 * so the connection is not kept for the rest of a body that never comes).
 */
export async function readStream(
  stream: ReadableStream<Uint8Array> | null,
  maxBytes: number,
  deadlineMs: number,
  declaredLength: number,
): Promise<Uint8Array> {
  if (declaredLength > maxBytes) {
    await stream?.cancel().catch(() => {});
    throw tooLarge(maxBytes);
  }
  if (stream === null) return EMPTY;
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let n = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(stalledBody(deadlineMs)), deadlineMs);
  });
  stalled.catch(() => {});
  try {
    for (;;) {
      const { done, value } = await Promise.race([reader.read(), stalled]);
      if (done) break;
      n += value.length;
      if (n > maxBytes) throw tooLarge(maxBytes);
      chunks.push(value);
    }
  } catch (e) {
    await reader.cancel().catch(() => {});
    if (e instanceof InputError) throw e;
    throw new InputError(
      `Cannot read body: the stream failed (${(e as Error).message})`,
      null,
      "a complete request body",
      400,
    );
  } finally {
    clearTimeout(timer);
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(n);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

export const tooLarge = (maxBytes: number) =>
  new InputError(
    `Cannot read body: larger than ${maxBytes} bytes`,
    null,
    `a body of at most ${maxBytes} bytes`,
    413,
  );

export const stalledBody = (deadlineMs: number) =>
  new InputError(
    `Cannot read body: it did not arrive within ${deadlineMs / 1000} s`,
    null,
    `a complete body within ${deadlineMs / 1000} s`,
    408,
  );

/** A `ServeRequest` over a `Request` (the fetch adapter). */
export function fromRequest(req: Request, bodyDeadlineMs: number): ServeRequest {
  const url = new URL(req.url);
  return {
    method: req.method,
    path: url.pathname,
    query: url.search.slice(1),
    header: (name) => req.headers.get(name),
    body: {
      read: (maxBytes) =>
        readStream(
          req.body,
          maxBytes,
          bodyDeadlineMs,
          Number(req.headers.get("content-length") ?? NaN),
        ),
      discard: async () => {
        await req.body?.cancel().catch(() => {});
      },
    },
  };
}

/** The `Response` of an answer (the fetch adapter). */
export function toResponse(a: Answer): Response {
  const headers = a.headers ? { "content-type": a.type, ...a.headers } : { "content-type": a.type };
  return new Response(a.body, { status: a.status, headers });
}

/**
 * The HTTP/1.1 server of `--listen`: Deno.serve has no read deadlines (denoland/deno#3515),
 * so a client could hold a connection forever by staying idle, trickling its headers or
 * stalling its body. This layer owns the connection and closes it when
 *
 * - no request starts within `idleTimeoutMs` (a new or a kept-alive connection),
 * - the header block is not complete `headerTimeoutMs` after its first byte (408),
 * - the body is not complete `bodyTimeoutMs` after the headers (408),
 * - the client does not take the answer within `writeTimeoutMs`,
 *
 * and refuses oversized headers (431) and bodies (413, before reading them). It speaks
 * keep-alive, pipelining (one request at a time), `Content-Length` and chunked bodies and
 * `Expect: 100-continue`; a request with both a length and chunked framing is refused (400),
 * as are obsolete header folding and malformed lines. Requests reach the endpoint as
 * `ServeRequest`s with the body already read, and answers go out in one write.
 *
 * Deno Deploy and `deno serve` use the `fetch` export instead: there the platform (or
 * Deno's server) owns connections, and only the body deadline of exchange.ts applies.
 */
import { type Answer, type ServeRequest, tooLarge } from "./exchange.ts";

export interface Http1Options {
  hostname?: string;
  port?: number;
  /** Largest request head (request line and headers), bytes (default 16 KiB). */
  maxHeaderBytes?: number;
  /** Largest body, bytes (default 4 MiB; larger ones get 413 unread). */
  maxBodyBytes?: number;
  /** Defaults: idle 30 s, header 10 s, body 30 s, write 30 s. */
  idleTimeoutMs?: number;
  headerTimeoutMs?: number;
  bodyTimeoutMs?: number;
  writeTimeoutMs?: number;
  /** Open connections at most; more are closed on accept (default 4096). */
  maxConnections?: number;
  signal?: AbortSignal;
  onListen?: (addr: Deno.NetAddr) => void;
}

export interface Http1Server {
  readonly addr: Deno.NetAddr;
  /** Resolves when the server has stopped and every connection is closed. */
  readonly finished: Promise<void>;
  /** Open connections now. */
  readonly connections: number;
  /** Stops accepting, lets requests in progress finish (at most `graceMs`), closes the rest. */
  shutdown(graceMs?: number): Promise<void>;
}

export type Http1Handler = (req: ServeRequest) => Promise<Answer>;

const REASONS: Record<number, string> = {
  100: "Continue",
  200: "OK",
  400: "Bad Request",
  401: "Unauthorized",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  409: "Conflict",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  501: "Not Implemented",
  503: "Service Unavailable",
  505: "HTTP Version Not Supported",
};

const encoder = new TextEncoder();
const latin1 = new TextDecoder("latin1");
const EMPTY = new Uint8Array(0);
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const CONTINUE = encoder.encode("HTTP/1.1 100 Continue\r\n\r\n");

/** A transport-level refusal: answered (JSON, like the endpoint's) and the connection closed. */
class Refusal extends Error {
  constructor(readonly status: number, message: string, readonly expected: string) {
    super(message);
  }
}

/** The connection was closed under us (deadline, shutdown, peer). */
class Closed extends Error {}

type Phase = "idle" | "head" | "body" | "handler" | "write";

let dateText = "", dateSecond = -1;
function httpDate(): string {
  const s = Math.floor(Date.now() / 1000);
  if (s !== dateSecond) {
    dateSecond = s;
    dateText = new Date(s * 1000).toUTCString();
  }
  return dateText;
}

/** Buffered reading from a connection. */
class Reader {
  buf = new Uint8Array(8192);
  start = 0;
  end = 0;
  constructor(private readonly conn: Deno.TcpConn) {}

  get available(): number {
    return this.end - this.start;
  }

  /** Reads more bytes, growing the buffer up to `limit` bytes of unconsumed data. */
  async fill(limit: number): Promise<void> {
    if (this.end === this.buf.length) {
      const have = this.available;
      if (have >= limit) {
        throw new Refusal(431, `Cannot read request: a line or head over ${limit} bytes`, "");
      }
      if (this.start > 0 && have <= this.buf.length / 2) {
        this.buf.copyWithin(0, this.start, this.end);
      } else {
        const next = new Uint8Array(Math.min(Math.max(this.buf.length * 2, 8192), limit + 8192));
        next.set(this.buf.subarray(this.start, this.end));
        this.buf = next;
      }
      this.start = 0;
      this.end = have;
    }
    let n: number | null;
    try {
      n = await this.conn.read(this.buf.subarray(this.end));
    } catch {
      throw new Closed();
    }
    if (n === null) throw new Closed();
    this.end += n;
  }

  /** Index (in buf) just past the first CRLFCRLF, searching from `skip` bytes in, or -1. */
  headEnd(skip: number): number {
    const b = this.buf;
    for (let i = this.start + Math.max(skip, 3); i < this.end; i++) {
      if (b[i] === 10 && b[i - 1] === 13 && b[i - 2] === 10 && b[i - 3] === 13) return i + 1;
    }
    return -1;
  }

  /** The next `n` bytes (a copy), reading as needed. */
  async take(n: number): Promise<Uint8Array> {
    if (this.end - this.start < n && this.buf.length - this.start < n) {
      const next = new Uint8Array(n + 8192);
      next.set(this.buf.subarray(this.start, this.end));
      this.end -= this.start;
      this.start = 0;
      this.buf = next;
    }
    while (this.end - this.start < n) await this.fill(Infinity);
    const out = this.buf.slice(this.start, this.start + n);
    this.start += n;
    return out;
  }

  /** Drops a buffer grown for a large body once it is consumed (idle connections stay small). */
  shrink(): void {
    if (this.buf.length > 65536 && this.available <= 8192) {
      const next = new Uint8Array(8192);
      next.set(this.buf.subarray(this.start, this.end));
      this.end -= this.start;
      this.start = 0;
      this.buf = next;
    }
  }

  /** One CRLF-terminated line (without CRLF), at most `max` bytes. */
  async line(max: number): Promise<string> {
    for (;;) {
      const b = this.buf;
      for (let i = this.start; i + 1 < this.end; i++) {
        if (b[i] === 13 && b[i + 1] === 10) {
          const s = latin1.decode(b.subarray(this.start, i));
          this.start = i + 2;
          return s;
        }
      }
      if (this.available > max) {
        throw new Refusal(400, "Cannot read chunked body: line too long", "");
      }
      await this.fill(max + 2);
    }
  }
}

interface Head {
  method: string;
  target: string;
  version: "1.0" | "1.1";
  headers: Map<string, string>;
}

function parseHead(text: string): Head {
  const lines = text.split("\r\n");
  const first = lines[0]!;
  const m = /^([^ ]+) ([^ ]+) HTTP\/(\d\.\d)$/.exec(first);
  if (!m || !TOKEN.test(m[1]!)) {
    throw new Refusal(400, "Cannot read request line", "METHOD /path HTTP/1.1");
  }
  if (m[3] !== "1.1" && m[3] !== "1.0") {
    throw new Refusal(505, `Cannot serve HTTP/${m[3]}`, "HTTP/1.1");
  }
  const headers = new Map<string, string>();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === "") continue;
    const c = line.indexOf(":");
    const name = c > 0 ? line.slice(0, c) : "";
    if (!TOKEN.test(name) || /[\r\n\0]/.test(line)) {
      // Also obsolete line folding (a line starting with a space or tab).
      throw new Refusal(400, "Cannot read request headers: malformed header line", "name: value");
    }
    const key = name.toLowerCase();
    const value = line.slice(c + 1).trim();
    const had = headers.get(key);
    if (had !== undefined && key === "content-length" && had !== value) {
      throw new Refusal(400, "Cannot read request: conflicting Content-Length", "one length");
    }
    headers.set(key, had === undefined || key === "content-length" ? value : `${had}, ${value}`);
  }
  return { method: m[1]!, target: m[2]!, version: m[3] as "1.0" | "1.1", headers };
}

/** Path and query of a request target, as `new URL(...)` reads them. */
function splitTarget(target: string): { path: string; query: string } {
  if (target.startsWith("/") && !/%|\\|\/\.\.?(\/|$|\?)|#/.test(target)) {
    const q = target.indexOf("?");
    return q < 0
      ? { path: target, query: "" }
      : { path: target.slice(0, q), query: target.slice(q + 1) };
  }
  let url: URL;
  try {
    url = target.startsWith("/") ? new URL("http://localhost" + target) : new URL(target);
  } catch {
    throw new Refusal(400, "Cannot read request target", "/path?query");
  }
  return { path: url.pathname, query: url.search.slice(1) };
}

function serialize(
  status: number,
  type: string,
  body: string,
  extra: Record<string, string> | undefined,
  close: boolean,
  keepAlive10: boolean,
  head: boolean,
): Uint8Array {
  const bytes = body === "" ? EMPTY : encoder.encode(body);
  let h = `HTTP/1.1 ${status} ${REASONS[status] ?? "Status"}\r\ncontent-type: ${type}\r\n` +
    `content-length: ${bytes.length}\r\ndate: ${httpDate()}\r\n`;
  if (extra) { for (const k in extra) h += `${k}: ${extra[k]}\r\n`; }
  if (close) h += "connection: close\r\n";
  else if (keepAlive10) h += "connection: keep-alive\r\n";
  h += "\r\n";
  if (head || bytes.length === 0) return encoder.encode(h);
  const out = new Uint8Array(h.length + bytes.length);
  encoder.encodeInto(h, out);
  out.set(bytes, h.length);
  return out;
}

const refusalBody = (r: Refusal) =>
  JSON.stringify({ error: r.message, field: null, expected: r.expected || null });

/** Serves `handle` over HTTP/1.1 on a TCP port, with the deadlines above. */
export function serveHttp1(handle: Http1Handler, options: Http1Options = {}): Http1Server {
  const o = {
    maxHeaderBytes: options.maxHeaderBytes ?? 16 * 1024,
    maxBodyBytes: options.maxBodyBytes ?? 4 * 1024 * 1024,
    idle: options.idleTimeoutMs ?? 30_000,
    header: options.headerTimeoutMs ?? 10_000,
    body: options.bodyTimeoutMs ?? 30_000,
    write: options.writeTimeoutMs ?? 30_000,
    maxConnections: options.maxConnections ?? 4096,
  };
  const listener = Deno.listen({
    hostname: options.hostname ?? "127.0.0.1",
    port: options.port ?? 8000,
  });
  const addr = listener.addr as Deno.NetAddr;
  const live = new Set<Connection>();
  let closing = false;

  class Connection {
    phase: Phase = "idle";
    deadline: number;
    readonly reader: Reader;
    readonly done: Promise<void>;
    #closed = false;
    /** A refusal is being written: the connection closes after it, not before. */
    #refusing = false;

    constructor(readonly conn: Deno.TcpConn) {
      this.reader = new Reader(conn);
      this.deadline = Date.now() + o.idle;
      this.done = this.#serve();
    }

    close(): void {
      if (this.#closed) return;
      this.#closed = true;
      try {
        this.conn.close();
      } catch {
        // already closed by the peer
      }
    }

    /** Answers a refusal and closes, without waiting long for a client that does not read. */
    refuse(r: Refusal): void {
      if (this.#refusing || this.#closed) return;
      this.#refusing = true;
      const bytes = serialize(
        r.status,
        "application/json; charset=utf-8",
        refusalBody(r),
        undefined,
        true,
        false,
        false,
      );
      const bounded = Promise.race([
        this.conn.write(bytes).catch(() => 0),
        new Promise((res) => setTimeout(res, 100)),
      ]);
      bounded.finally(() => this.close());
    }

    async #write(bytes: Uint8Array): Promise<void> {
      this.phase = "write";
      this.deadline = Date.now() + o.write;
      let w = 0;
      try {
        while (w < bytes.length) w += await this.conn.write(bytes.subarray(w));
      } catch {
        throw new Closed();
      }
    }

    async #serve(): Promise<void> {
      const r = this.reader;
      try {
        this.conn.setNoDelay(true);
        for (;;) {
          // Idle until the first byte of the next request, then the header deadline.
          this.phase = "idle";
          this.deadline = Date.now() + o.idle;
          r.shrink();
          if (r.available === 0) {
            if (closing) return;
            await r.fill(o.maxHeaderBytes);
          }
          this.phase = "head";
          this.deadline = Date.now() + o.header;
          let end: number, scanned = 0;
          while ((end = r.headEnd(scanned)) < 0) {
            if (r.available > o.maxHeaderBytes) {
              throw new Refusal(
                431,
                `Cannot read request: head larger than ${o.maxHeaderBytes} bytes`,
                `at most ${o.maxHeaderBytes} bytes of headers`,
              );
            }
            scanned = Math.max(0, r.available - 3);
            await r.fill(o.maxHeaderBytes);
          }
          if (end - r.start > o.maxHeaderBytes) {
            throw new Refusal(
              431,
              `Cannot read request: head larger than ${o.maxHeaderBytes} bytes`,
              `at most ${o.maxHeaderBytes} bytes of headers`,
            );
          }
          const head = parseHead(latin1.decode(r.buf.subarray(r.start, end - 4)));
          r.start = end;
          const { path, query } = splitTarget(head.target);
          const h = head.headers;
          const connection = (h.get("connection") ?? "").toLowerCase();
          const close = closing || connection.includes("close") ||
            (head.version === "1.0" && !connection.includes("keep-alive"));
          const body = await this.#body(h);
          this.phase = "handler";
          const req: ServeRequest = {
            method: head.method,
            path,
            query,
            header: (name) => h.get(name) ?? null,
            body: {
              read: (max) => {
                if (body.length > max) return Promise.reject(tooLarge(max));
                return Promise.resolve(body);
              },
              discard: () => Promise.resolve(),
            },
          };
          let a: Answer;
          try {
            a = await handle(req);
          } catch (e) {
            console.error(`aqlab serve: ${head.method} ${path}:`, e);
            a = {
              status: 500,
              type: "application/json; charset=utf-8",
              body: JSON.stringify({ error: "Internal error", field: null, expected: null }),
            };
          }
          const keepAlive10 = head.version === "1.0" && !close;
          const last = close || closing;
          await this.#write(
            serialize(
              a.status,
              a.type,
              a.body,
              a.headers,
              last,
              keepAlive10,
              head.method === "HEAD",
            ),
          );
          if (last) return;
        }
      } catch (e) {
        if (e instanceof Refusal) this.refuse(e);
        else if (!(e instanceof Closed)) console.error("aqlab serve: connection failed:", e);
      } finally {
        if (!this.#refusing) this.close();
        live.delete(this);
      }
    }

    async #body(h: Map<string, string>): Promise<Uint8Array> {
      const te = h.get("transfer-encoding");
      const cl = h.get("content-length");
      if (te !== undefined && cl !== undefined) {
        throw new Refusal(
          400,
          "Cannot read request: both Content-Length and Transfer-Encoding",
          "one of them",
        );
      }
      if (te !== undefined && te.toLowerCase() !== "chunked") {
        throw new Refusal(501, `Cannot read body: transfer coding "${te.slice(0, 40)}"`, "chunked");
      }
      let length = 0;
      if (cl !== undefined) {
        if (!/^\d{1,15}$/.test(cl)) {
          throw new Refusal(400, "Cannot read request: malformed Content-Length", "a byte count");
        }
        length = Number(cl);
        if (length > o.maxBodyBytes) {
          throw new Refusal(
            413,
            `Cannot read body: larger than ${o.maxBodyBytes} bytes`,
            `a body of at most ${o.maxBodyBytes} bytes`,
          );
        }
      }
      if (te === undefined && length === 0) return EMPTY;
      this.phase = "body";
      this.deadline = Date.now() + o.body;
      if ((h.get("expect") ?? "").toLowerCase() === "100-continue") await this.#write(CONTINUE);
      this.phase = "body";
      this.deadline = Date.now() + o.body;
      if (te === undefined) return await this.reader.take(length);
      return await this.#chunked();
    }

    async #chunked(): Promise<Uint8Array> {
      const r = this.reader;
      const parts: Uint8Array[] = [];
      let total = 0;
      for (;;) {
        const line = await r.line(1024);
        const m = /^([0-9a-fA-F]{1,8})(;.*)?$/.exec(line);
        if (!m) {
          throw new Refusal(400, "Cannot read chunked body: malformed chunk size", "hex size");
        }
        const size = parseInt(m[1]!, 16);
        if (size === 0) break;
        total += size;
        if (total > o.maxBodyBytes) {
          throw new Refusal(
            413,
            `Cannot read body: larger than ${o.maxBodyBytes} bytes`,
            `a body of at most ${o.maxBodyBytes} bytes`,
          );
        }
        parts.push(await r.take(size));
        if ((await r.line(0)) !== "") {
          throw new Refusal(400, "Cannot read chunked body: chunk longer than its size", "");
        }
      }
      // Trailer fields, ignored, up to the empty line.
      while ((await r.line(o.maxHeaderBytes)) !== "");
      if (parts.length === 1) return parts[0]!;
      const out = new Uint8Array(total);
      let at = 0;
      for (const p of parts) {
        out.set(p, at);
        at += p.length;
      }
      return out;
    }
  }

  // One sweep closes every connection past its deadline (no timer per read).
  const tick = Math.max(10, Math.min(1000, Math.min(o.idle, o.header, o.body, o.write) / 4));
  const sweeper = setInterval(() => {
    const now = Date.now();
    for (const c of live) {
      if (c.phase === "handler" || c.deadline > now) continue;
      // Once: a refused or closed connection leaves the set when its loop ends.
      c.deadline = Infinity;
      if (c.phase === "head" || c.phase === "body") {
        const what = c.phase === "head" ? "headers" : "body";
        const limit = c.phase === "head" ? o.header : o.body;
        c.refuse(
          new Refusal(
            408,
            `Cannot read request ${what}: not complete within ${limit / 1000} s`,
            `the complete request ${what} within ${limit / 1000} s`,
          ),
        );
      } else c.close();
    }
  }, tick);

  let resolveFinished!: () => void;
  const finished = new Promise<void>((r) => (resolveFinished = r));

  const accepting = (async () => {
    options.onListen?.(addr);
    try {
      for await (const conn of listener) {
        if (live.size >= o.maxConnections || closing) {
          try {
            conn.close();
          } catch {
            // gone
          }
          continue;
        }
        live.add(new Connection(conn));
      }
    } catch {
      // listener closed
    }
  })();

  async function shutdown(graceMs = 10_000): Promise<void> {
    if (!closing) {
      closing = true;
      try {
        listener.close();
      } catch {
        // already closed
      }
    }
    await accepting;
    for (const c of live) if (c.phase === "idle") c.close();
    const all = Promise.all([...live].map((c) => c.done));
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([all, new Promise((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
    for (const c of live) c.close();
    await Promise.all([...live].map((c) => c.done));
    clearInterval(sweeper);
    resolveFinished();
  }

  options.signal?.addEventListener("abort", () => shutdown(0), { once: true });

  return {
    addr,
    finished,
    get connections() {
      return live.size;
    },
    shutdown,
  };
}

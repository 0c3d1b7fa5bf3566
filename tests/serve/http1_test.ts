/**
 * The HTTP/1.1 layer of `--listen` over real sockets: read deadlines close idle connections,
 * trickled headers and stalled bodies (issue 17, finding 8); and the protocol itself:
 * keep-alive, pipelining, chunked bodies, 100-continue, HEAD, HTTP/1.0, and the refusals
 * (ambiguous framing, oversized heads and bodies, malformed lines).
 */
import assert from "node:assert/strict";
import { createHandler } from "../../src/serve/handler.ts";
import { loadModel } from "../../src/serve/model.ts";
import { type Http1Options, serveHttp1 } from "../../src/serve/http1.ts";
import { FEATURE_NAMES } from "../../src/features/schema.ts";
import { featuresObject, writeTestPackage } from "./_package.ts";

const pkg = await writeTestPackage();
const model = await loadModel(pkg.dir);
const F = FEATURE_NAMES.length;
const BODY = JSON.stringify({ features: featuresObject(pkg.X.data.slice(0, F)) });
const encoder = new TextEncoder(), decoder = new TextDecoder();

async function withServer(
  options: Http1Options,
  fn: (port: number, server: ReturnType<typeof serveHttp1>) => Promise<void>,
) {
  const app = createHandler({ model, limits: { maxBytes: 64 * 1024 } });
  const server = serveHttp1(app.handle, { port: 0, maxBodyBytes: 64 * 1024, ...options });
  try {
    await fn(server.addr.port, server);
  } finally {
    await server.shutdown(0);
  }
}

/** Everything the server sends until it closes (or `ms` pass: then "(open)" is appended). */
async function readAll(conn: Deno.Conn, ms = 5000): Promise<string> {
  const buf = new Uint8Array(65536);
  let text = "";
  const deadline = Date.now() + ms;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) return text + "(open)";
    let timer: ReturnType<typeof setTimeout> | undefined;
    const n = await Promise.race([
      conn.read(buf).catch(() => null),
      new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), left))),
    ]);
    clearTimeout(timer);
    if (n === "timeout") return text + "(open)";
    if (n === null) return text;
    text += decoder.decode(buf.subarray(0, n));
  }
}

const request = (body = BODY, extra = "") =>
  `POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${extra}` +
  `Content-Length: ${encoder.encode(body).length}\r\n\r\n${body}`;

const statuses = (text: string) => [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => +m[1]!);

Deno.test("deadlines: idle connections, trickled headers and stalled bodies are closed", async () => {
  await withServer(
    { idleTimeoutMs: 300, headerTimeoutMs: 300, bodyTimeoutMs: 300 },
    async (port, server) => {
      const idle = await Deno.connect({ port });
      const trickle = await Deno.connect({ port });
      const stalled = await Deno.connect({ port });
      const kept = await Deno.connect({ port });
      // Trickle one header byte every 50 ms: each byte arrives, the head never completes.
      let trickling = true;
      (async () => {
        const head = encoder.encode(
          "POST /v1/predict HTTP/1.1\r\nHost: x\r\nX-Slow: " + "a".repeat(200),
        );
        for (const b of head) {
          if (!trickling) break;
          await trickle.write(Uint8Array.of(b)).catch(() => (trickling = false));
          await new Promise((r) => setTimeout(r, 50));
        }
      })();
      await stalled.write(encoder.encode(request().slice(0, -10)));
      // A kept-alive connection: one answered request, then silence.
      await kept.write(encoder.encode(request()));
      const [i, t, s, k] = await Promise.all([
        readAll(idle),
        readAll(trickle),
        readAll(stalled),
        readAll(kept),
      ]);
      trickling = false;
      assert.equal(i, "", "an idle connection is closed without an answer");
      assert.deepEqual(statuses(t), [408]);
      assert.match(t, /request headers: not complete within 0.3 s/);
      assert.ok(!t.endsWith("(open)"));
      assert.deepEqual(statuses(s), [408]);
      assert.match(s, /request body/);
      assert.deepEqual(statuses(k), [200]);
      assert.ok(!k.endsWith("(open)"), "the kept-alive connection was closed when idle");
      for (const c of [idle, trickle, stalled, kept]) c.close();
      assert.equal(server.connections, 0);
    },
  );
});

Deno.test("deadlines: two hundred stalled connections are all closed", async () => {
  await withServer(
    { idleTimeoutMs: 200, headerTimeoutMs: 200, bodyTimeoutMs: 200 },
    async (port, server) => {
      const conns = await Promise.all(Array.from({ length: 200 }, () => Deno.connect({ port })));
      await Promise.all(
        conns.map((c, i) =>
          c.write(encoder.encode(i % 2 ? "POST / HTTP/1.1\r\n" : request().slice(0, -5)))
        ),
      );
      const texts = await Promise.all(conns.map((c) => readAll(c)));
      assert.ok(texts.every((t) => !t.endsWith("(open)")));
      for (const c of conns) c.close();
      assert.equal(server.connections, 0);
    },
  );
});

Deno.test("HTTP/1.1: keep-alive, pipelining, chunked bodies, 100-continue, HEAD, HTTP/1.0", async () => {
  await withServer({}, async (port) => {
    const c = await Deno.connect({ port });
    // Three requests in one write, the middle one chunked, the last one closing.
    const chunked = "POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
      "Transfer-Encoding: chunked\r\n\r\n" +
      `5\r\n${BODY.slice(0, 5)}\r\n${(BODY.length - 5).toString(16)};ext=1\r\n${
        BODY.slice(5)
      }\r\n0\r\nX-Trailer: 1\r\n\r\n`;
    await c.write(encoder.encode(request() + chunked + request(BODY, "Connection: close\r\n")));
    const text = await readAll(c);
    c.close();
    assert.deepEqual(statuses(text), [200, 200, 200], text);
    const predictions = [...text.matchAll(/"prediction":([\d.e+-]+)/g)].map((m) => m[1]);
    assert.equal(new Set(predictions).size, 1, "the same row, the same prediction");
    assert.match(text, /connection: close\r\n/);

    const e = await Deno.connect({ port });
    await e.write(encoder.encode(
      `POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: ${BODY.length}\r\n\r\n`,
    ));
    const buf = new Uint8Array(1024);
    const n = await e.read(buf);
    assert.match(decoder.decode(buf.subarray(0, n!)), /^HTTP\/1\.1 100 Continue\r\n\r\n/);
    await e.write(encoder.encode(BODY));
    const more = await e.read(buf);
    assert.match(decoder.decode(buf.subarray(0, more!)), /^HTTP\/1\.1 200 OK/);
    e.close();

    const h = await Deno.connect({ port });
    await h.write(encoder.encode("HEAD /health HTTP/1.0\r\n\r\n"));
    const head = await readAll(h);
    h.close();
    assert.match(head, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(head, /content-length: 15\r\n/);
    assert.ok(head.endsWith("\r\n\r\n"), "HEAD has no body; HTTP/1.0 closes");

    // The same answers as through fetch (Deno's client: keep-alive, Content-Length).
    const res = await fetch(`http://127.0.0.1:${port}/v1/predict`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: BODY,
    });
    assert.equal((await res.json()).prediction, Number(predictions[0]));
  });
});

Deno.test("HTTP/1.1: refusals close the connection with a JSON error", async () => {
  await withServer({ maxHeaderBytes: 4096 }, async (port) => {
    const cases: [string, number][] = [
      [request(BODY, "Transfer-Encoding: chunked\r\n"), 400],
      [request(BODY, "Content-Length: 7\r\n"), 400],
      ["POST /v1/predict HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n", 413],
      [`GET /health HTTP/1.1\r\nX-Big: ${"a".repeat(5000)}\r\n\r\n`, 431],
      [`${"M".repeat(50_000)} /health HTTP/1.1\r\n\r\n`, 431],
      ["GET /health HTTP/1.1\r\nX-A: 1\r\n folded\r\n\r\n", 400],
      ["GET /health HTTP/1.1\r\nBad Header: 1\r\n\r\n", 400],
      ["GET /health\r\n\r\n", 400],
      ["GET /health HTTP/2.0\r\n\r\n", 505],
      ["POST /v1/predict HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501],
      ["POST /v1/predict HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400],
    ];
    for (const [raw, status] of cases) {
      const c = await Deno.connect({ port });
      await c.write(encoder.encode(raw)).catch(() => {});
      const text = await readAll(c);
      c.close();
      assert.deepEqual(statuses(text), [status], `${raw.slice(0, 60)}: ${text.slice(0, 200)}`);
      assert.ok(!text.endsWith("(open)"), raw.slice(0, 60));
      const body = JSON.parse(text.slice(text.indexOf("\r\n\r\n") + 4));
      assert.equal(typeof body.error, "string");
    }
    // The server still answers.
    assert.equal((await fetch(`http://127.0.0.1:${port}/health`)).status, 200);
  });
});

Deno.test("HTTP/1.1: shutdown lets a request in progress finish, then closes", async () => {
  const app = createHandler({ model });
  const server = serveHttp1(app.handle, { port: 0 });
  const port = server.addr.port;
  const c = await Deno.connect({ port });
  await c.write(encoder.encode(request().slice(0, -3)));
  await new Promise((r) => setTimeout(r, 50));
  const stopping = server.shutdown(5000);
  await c.write(encoder.encode(request().slice(-3)));
  const text = await readAll(c);
  c.close();
  await stopping;
  assert.deepEqual(statuses(text), [200]);
  assert.match(text, /connection: close/);
  await assert.rejects(Deno.connect({ port }));
});

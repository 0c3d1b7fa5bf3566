/**
 * Fuzz: thousands of random and malformed requests (seeded, bounded) against the handler
 * in process, and a few hundred over a real socket; none may answer 5xx, every 4xx must be
 * `{error, field, expected}`, and the server must still answer afterwards.
 */
import assert from "node:assert/strict";
import { createHandler, type ServeApp } from "../../src/serve/handler.ts";
import { loadModel } from "../../src/serve/model.ts";
import { serveHttp1 } from "../../src/serve/http1.ts";
import { FEATURE_NAMES } from "../../src/features/schema.ts";
import { createPrng, type Prng } from "../../src/data/synth/prng.ts";
import { featuresObject, writeTestPackage } from "./_package.ts";

const pkg = await writeTestPackage();
const model = await loadModel(pkg.dir);
const F = FEATURE_NAMES.length;
const validRow = (i: number) => featuresObject(pkg.X.data.slice(i * F, (i + 1) * F));

const pick = <T>(p: Prng, xs: readonly T[]): T => xs[Math.floor(p.next() * xs.length)]!;

const WEIRD: unknown[] = [
  null,
  true,
  false,
  0,
  -0,
  -1,
  -1e308,
  1e308,
  5e-324,
  2 ** 53 + 1,
  "NaN",
  "Infinity",
  "-Infinity",
  "",
  "85",
  "\u0000",
  "\ud800",
  "x".repeat(5000),
  [],
  {},
  [1, 2, 3],
  { a: { b: { c: 1 } } },
  { __proto__: { polluted: 1 } },
  "NNE",
  25,
  360.5,
  "2016-13-01T00:00",
  "2016-01-01T24:00",
];

function randomJson(p: Prng, depth: number): unknown {
  const r = p.next();
  if (depth <= 0 || r < 0.35) {
    return p.next() < 0.5 ? pick(p, WEIRD) : (p.next() - 0.5) * 10 ** Math.floor(p.next() * 12);
  }
  if (r < 0.65) {
    return Array.from({ length: Math.floor(p.next() * 5) }, () => randomJson(p, depth - 1));
  }
  const keys = [
    ...FEATURE_NAMES,
    "features",
    "rows",
    "observation",
    "inputs",
    "instances",
    "station",
    "time",
    "wd",
    "zz",
  ];
  return Object.fromEntries(
    Array.from(
      { length: Math.floor(p.next() * 6) },
      () => [pick(p, keys), randomJson(p, depth - 1)],
    ),
  );
}

/** A valid body for `path`, with a few fields replaced by weird values. */
function mutatedBody(p: Prng, path: string): unknown {
  const row: Record<string, unknown> = validRow(Math.floor(p.next() * 800));
  const nMut = Math.floor(p.next() * 3);
  for (let k = 0; k < nMut; k++) {
    const key = p.next() < 0.9 ? pick(p, FEATURE_NAMES) : "extra_" + k;
    if (p.next() < 0.2) delete row[key];
    else row[key] = pick(p, WEIRD);
  }
  const obs: Record<string, unknown> = {
    station: pick(p, ["Aotizhongxin", "Changping", "Dingling", "Nowhere", 3, null]),
    time: pick(p, ["2016-03-05T20:00", "2016-02-29T01:00", "2015-02-29T01:00", "bad", 5]),
    "PM2.5": pick(p, [85, -1, null, "85", 1e308]),
    wd: pick(p, ["NNE", "nne", 22.5, 400, "Q", null]),
  };
  const values = FEATURE_NAMES.map((n) => row[n]);
  if (path === "/invocations") {
    return pick(p, [
      { dataframe_split: { columns: FEATURE_NAMES, data: [values] } },
      { dataframe_records: [row] },
      { instances: [values, row] },
      { inputs: row },
      { inputs: Object.fromEntries(FEATURE_NAMES.map((n) => [n, [row[n]]])) },
      { dataframe_split: { columns: [1, 2], data: [[1]] } },
    ]);
  }
  if (path.startsWith("/v2")) {
    return {
      inputs: [{
        name: "input",
        datatype: pick(p, ["FP32", "FP64", "BYTES", 7]),
        shape: pick(p, [[1, F], [F], [2, F], [1, F + 1], [-1, F], [1e9, F]]),
        data: pick(p, [values, [values], values.slice(1), "x"]),
      }],
      ...(p.next() < 0.3 ? { outputs: [{ name: pick(p, ["predict", "nope", 1]) }] } : {}),
    };
  }
  return pick(p, [
    { features: row },
    { observation: obs },
    { rows: [row, obs] },
    { rows: [] },
    { rows: row },
    { features: row, rows: [row] },
    row,
  ]);
}

const ROUTES = [
  "/v1/predict",
  "/v1/predict?explain=true",
  "/v1/predict?explain=maybe",
  "/invocations",
  "/v2/models/pm25/infer",
  "/v2/models/pm25/versions/1/infer",
  "/v2/models/other/infer",
  "/v2/models/pm25",
  "/v1/model",
  "/v1/drift",
  "/health",
  "/ready",
  "/metrics",
  "/admin/reload",
  "/admin/promote",
  "/v2/health/ready",
  "/%",
  "/v1/predict/../../etc/passwd",
];

function bodyBytes(p: Prng, path: string): Uint8Array | string {
  const r = p.next();
  if (r < 0.45) return JSON.stringify(mutatedBody(p, path));
  if (r < 0.7) return JSON.stringify(randomJson(p, 6));
  if (r < 0.78) {
    const s = JSON.stringify(mutatedBody(p, path));
    return s.slice(0, Math.floor(p.next() * s.length));
  }
  if (r < 0.84) {
    const d = 10 + Math.floor(p.next() * 5000);
    return pick(p, ["[", '{"a":']).repeat(d) + pick(p, ["", "1", "]".repeat(d)]);
  }
  if (r < 0.9) {
    return pick(p, ["", " ", "null", "1e999", "-1e999", "NaN", '"Infinity"', "{}", "[]"]);
  }
  const bytes = new Uint8Array(Math.floor(p.next() * 300));
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(p.next() * 256);
  return bytes;
}

function randomRequest(p: Prng, base: string): Request {
  const path = pick(p, ROUTES);
  const method = p.next() < 0.85
    ? (path.includes("predict") || path.includes("infer") || path.includes("invocations") ||
        path.includes("admin")
      ? "POST"
      : "GET")
    : pick(p, ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]);
  const headers: Record<string, string> = {
    "content-type": p.next() < 0.85
      ? pick(p, ["application/json", "application/json; charset=utf-8", "APPLICATION/JSON"])
      : pick(p, ["text/plain", "text/csv", "", "application/x-www-form-urlencoded"]),
  };
  if (p.next() < 0.2) {
    headers.authorization = pick(p, ["Bearer x", "Bearer", "Basic abc", "bearer fuzz-token-x"]);
  }
  const init: RequestInit = { method, headers };
  if (method !== "GET" && method !== "HEAD") init.body = bodyBytes(p, path) as BodyInit;
  return new Request(base + path, init);
}

async function check(res: Response, what: string): Promise<number> {
  const text = await res.text();
  assert.ok(res.status < 500, `${what}: status ${res.status}: ${text.slice(0, 300)}`);
  if (res.status >= 400) {
    const body = JSON.parse(text);
    assert.ok(
      "error" in body && "field" in body && "expected" in body,
      `${what}: ${text.slice(0, 200)}`,
    );
  }
  return res.status;
}

function newApp(): ServeApp {
  return createHandler({ model, adminToken: "fuzz-token", limits: { maxBytes: 64 * 1024 } });
}

Deno.test("fuzz in process: 3000 random and malformed requests, no 5xx, alive afterwards", async () => {
  const app = newApp();
  const p = createPrng(20240607);
  const seen = new Map<number, number>();
  for (let i = 0; i < 3000; i++) {
    const req = randomRequest(p, "http://localhost");
    const what = `request ${i} ${req.method} ${new URL(req.url).pathname}`;
    const status = await check(await app.fetch(req), what);
    seen.set(status, (seen.get(status) ?? 0) + 1);
  }
  // The fuzz reached the success path and several kinds of rejection.
  for (const s of [200, 400, 404, 405, 415, 422]) {
    assert.ok((seen.get(s) ?? 0) > 0, `no ${s} seen: ${[...seen]}`);
  }
  const ok = await app.fetch(
    new Request("http://localhost/v1/predict", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ features: validRow(1) }),
    }),
  );
  assert.equal(ok.status, 200);
  assert.ok(Number.isFinite((await ok.json()).prediction));
});

Deno.test("fuzz over a real socket: 300 requests on 127.0.0.1, no 5xx, alive afterwards", async () => {
  const app = newApp();
  const ac = new AbortController();
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", signal: ac.signal, onListen: () => {} },
    app.fetch,
  );
  const base = `http://127.0.0.1:${server.addr.port}`;
  try {
    const p = createPrng(99);
    for (let i = 0; i < 300; i++) {
      const req = randomRequest(p, base);
      await check(
        await fetch(req),
        `socket request ${i} ${req.method} ${new URL(req.url).pathname}`,
      );
    }
    // A body far over the limit, streamed: refused without reading it all.
    const big = await fetch(base + "/v1/predict", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "[" + "1,".repeat(200_000) + "1]",
    });
    assert.equal(await check(big, "large body"), 413);
    const health = await fetch(base + "/health");
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: "ok" });
  } finally {
    ac.abort();
    await server.finished;
  }
});

Deno.test("fuzz over the HTTP/1.1 layer of --listen: 300 requests, no 5xx, alive afterwards", async () => {
  const app = newApp();
  const server = serveHttp1(app.handle, { port: 0, maxBodyBytes: app.limits.maxBytes });
  const base = `http://127.0.0.1:${server.addr.port}`;
  try {
    const p = createPrng(7);
    for (let i = 0; i < 300; i++) {
      const req = randomRequest(p, base);
      await check(
        await fetch(req),
        `http1 request ${i} ${req.method} ${new URL(req.url).pathname}`,
      );
    }
    const big = await fetch(base + "/v1/predict", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "[" + "1,".repeat(200_000) + "1]",
    });
    assert.equal(await check(big, "large body"), 413);
    const health = await fetch(base + "/health");
    assert.deepEqual(await health.json(), { status: "ok" });
  } finally {
    await server.shutdown(0);
  }
});

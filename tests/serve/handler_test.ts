import assert from "node:assert/strict";
import { createHandler } from "../../src/serve/handler.ts";
import { loadModel } from "../../src/serve/model.ts";
import { createSession } from "../../src/onnx/session.ts";
import { predict } from "../../src/gbdt/predict.ts";
import { predictionInterval } from "../../src/metrics/conformal.ts";
import { deriveRow } from "../../src/features/derive.ts";
import { FEATURE_NAMES } from "../../src/features/schema.ts";
import { featuresObject, SAMPLE_OBSERVATION, STATIONS, writeTestPackage } from "./_package.ts";

const pkg = await writeTestPackage();
const model = await loadModel(pkg.dir);
const ort = await createSession(pkg.onnx);
const app = createHandler({ model, driftMinRows: 50 });
const F = FEATURE_NAMES.length;
const rowAt = (i: number) => pkg.X.data.slice(i * F, (i + 1) * F);

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  app.fetch(
    new Request(`http://localhost${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    }),
  );
const get = (path: string) => app.fetch(new Request(`http://localhost${path}`));

function assertRel(a: number, e: number, rel: number, what: string) {
  assert.ok(Math.abs(a - e) <= rel * Math.max(1, Math.abs(e)), `${what}: got ${a}, expected ${e}`);
}

Deno.test("health, readiness and model description", async () => {
  assert.deepEqual(await (await get("/health")).json(), { status: "ok" });
  const ready = await get("/ready");
  assert.equal(ready.status, 200);
  assert.equal((await ready.json()).model_version, "pm25:v1");
  const info = await (await get("/v1/model")).json();
  assert.deepEqual(info.features.map((f: { name: string }) => f.name), FEATURE_NAMES);
  assert.equal(info.features[0].unit, "µg/m³");
  assert.deepEqual(info.stations, STATIONS);
  assert.equal(info.interval.level, 0.9);
  assert.equal(typeof info.card.summary, "string");
  const unready = createHandler({ model: null });
  assert.equal((await unready.fetch(new Request("http://x/ready"))).status, 503);
  assert.equal((await unready.fetch(new Request("http://x/v2/health/ready"))).status, 503);
});

Deno.test("one row by name: ONNX prediction exactly, predict() within 1e-4, interval, version", async () => {
  const X = { data: pkg.X.data.slice(0, 20 * F), nRows: 20, nCols: F, names: [...FEATURE_NAMES] };
  const expected = await ort.run(X);
  const ours = predict(pkg.model, X);
  for (let i = 0; i < 20; i++) {
    const res = await post("/v1/predict", { features: featuresObject(rowAt(i)) });
    assert.equal(res.status, 200);
    const out = await res.json();
    assert.equal(out.prediction, expected[i], `row ${i}`);
    assertRel(out.prediction, ours[i]!, 1e-4, `row ${i} vs predict()`);
    const [lo, hi] = predictionInterval(out.prediction, pkg.metadata.interval!);
    assert.deepEqual(out.interval, { lower: lo, upper: hi, level: 0.9 });
    assert.equal(out.model_version, "pm25:v1");
  }
});

Deno.test("a raw observation goes through deriveRow; compass and degrees agree", async () => {
  const obs = SAMPLE_OBSERVATION;
  const x = deriveRow(obs, { stations: STATIONS });
  const expected = await ort.run({ data: x, nRows: 1, nCols: F, names: [...FEATURE_NAMES] });
  const a = await (await post("/v1/predict", { observation: obs })).json();
  assert.equal(a.prediction, expected[0]);
  const b = await (await post("/v1/predict", { observation: { ...obs, wd: 22.5 } })).json();
  assert.equal(b.prediction, a.prediction);
  // hour 20, Saturday (2016-03-05), March, station 1
  assert.deepEqual([x[13], x[14], x[15], x[16]], [20, 5, 3, 1]);
});

Deno.test("impossible values are rejected with the field, odd and missing ones flagged", async () => {
  const base = featuresObject(rowAt(0));
  const cases: [Record<string, unknown>, string, number][] = [
    [{ features: { ...base, "PM2.5": -3 } }, "PM2.5", 422],
    [{ features: { ...base, hour: 25 } }, "hour", 422],
    [{ features: { ...base, hour: 3.5 } }, "hour", 422],
    [{ features: { ...base, station_code: 3 } }, "station_code", 422],
    [{ features: { ...base, TEMP: "5" } }, "TEMP", 422],
    [{ features: { ...base, TEMP: "NaN" } }, "TEMP", 422],
    [{ features: { ...base, nonsense: 1 } }, "nonsense", 400],
    [{ observation: { station: "Nowhere", time: "2016-01-01T00:00", "PM2.5": 3 } }, "station", 422],
    [{ observation: { station: "Changping", time: "2016-01-01T25:00", "PM2.5": 3 } }, "time", 422],
    [{ observation: { station: "Changping", time: "2016-02-30T01:00", "PM2.5": 3 } }, "time", 422],
    [{ observation: { station: "Changping", time: "2016-01-01T01:00", wd: "XYZ" } }, "wd", 422],
    [{ rows: [base, { ...base, CO: -1 }] }, "rows[1].CO", 422],
  ];
  const { hour: _drop, ...noHour } = base;
  cases.push([{ features: noHour }, "hour", 422]);
  for (const [body, field, status] of cases) {
    const res = await post("/v1/predict", body);
    const out = await res.json();
    assert.equal(res.status, status, JSON.stringify(out));
    assert.equal(out.field, field);
    assert.equal(typeof out.error, "string");
    assert.equal(typeof out.expected, "string");
  }
  const observed = pkg.metadata.schema.features[0]!.observed!;
  const odd = await (await post("/v1/predict", {
    features: { ...base, "PM2.5": observed.max * 3, TEMP: null },
  })).json();
  assert.ok(Number.isFinite(odd.prediction));
  assert.deepEqual(
    odd.flags.filter((f: { field: string }) => f.field === "PM2.5" || f.field === "TEMP"),
    [
      {
        field: "PM2.5",
        flag: "out_of_range",
        value: Math.fround(observed.max * 3),
        range: [observed.min, observed.max],
      },
      { field: "TEMP", flag: "missing", value: null },
    ],
  );
  const metrics = await (await get("/metrics")).text();
  assert.match(metrics, /aqlab_validation_failures_total\{field="PM2.5"\} [1-9]/);
  assert.match(metrics, /aqlab_input_flags_total\{field="TEMP",flag="missing"\} [1-9]/);
});

Deno.test("batch with explanations: SHAP values add up to the tree prediction", async () => {
  const rows = Array.from({ length: 12 }, (_, i) => featuresObject(rowAt(100 + i)));
  const res = await post("/v1/predict?explain=true", { rows });
  assert.equal(res.status, 200);
  const out = await res.json();
  assert.equal(out.predictions.length, 12);
  const X = {
    data: pkg.X.data.slice(100 * F, 112 * F),
    nRows: 12,
    nCols: F,
    names: [...FEATURE_NAMES],
  };
  const ours = predict(pkg.model, X);
  const onnx = await ort.run(X);
  out.predictions.forEach(
    (
      p: { prediction: number; shap: { expected_value: number; values: Record<string, number> } },
      i: number,
    ) => {
      assert.equal(p.prediction, onnx[i]);
      const sum = p.shap.expected_value + Object.values(p.shap.values).reduce((a, b) => a + b, 0);
      assertRel(sum, ours[i]!, 1e-6, `row ${i} SHAP sum`);
      assert.deepEqual(Object.keys(p.shap.values), FEATURE_NAMES);
    },
  );
  const tooMany = await post("/v1/predict", { rows: new Array(5001).fill(rows[0]) });
  assert.equal(tooMany.status, 413);
  assert.equal((await tooMany.json()).field, "rows");
});

Deno.test("Open Inference Protocol v2 and MLflow formats give the same predictions", async () => {
  const n = 5;
  const X = { data: pkg.X.data.slice(0, n * F), nRows: n, nCols: F, names: [...FEATURE_NAMES] };
  const expected = Array.from(await ort.run(X));
  const values = Array.from(
    { length: n },
    (_, i) => Array.from(rowAt(i), (v) => (Number.isNaN(v) ? null : v)),
  );
  const meta = await (await get("/v2/models/pm25")).json();
  assert.deepEqual(meta.inputs[0].shape, [-1, F]);
  assert.equal((await get("/v2/models/other")).status, 404);
  assert.equal((await get("/v2/health/ready")).status, 200);
  const infer = await post("/v2/models/pm25/infer", {
    id: "q1",
    inputs: [{ name: "input", datatype: "FP32", shape: [n, F], data: values }],
  });
  assert.equal(infer.status, 200);
  const inferOut = await infer.json();
  assert.equal(inferOut.id, "q1");
  assert.deepEqual(inferOut.outputs[0].shape, [n, 1]);
  assert.deepEqual(inferOut.outputs[0].data, expected);
  const perFeature = await (await post("/v2/models/pm25/versions/1/infer", {
    inputs: FEATURE_NAMES.map((name, j) => ({
      name,
      datatype: "FP64",
      shape: [n],
      data: values.map((r) => r[j]),
    })),
    outputs: [{ name: "predict" }],
  })).json();
  assert.deepEqual(perFeature.outputs.map((o: { name: string }) => o.name), ["predict"]);
  assert.deepEqual(perFeature.outputs[0].data, expected);

  const records = values.map((r) => Object.fromEntries(FEATURE_NAMES.map((k, j) => [k, r[j]])));
  const bodies = [
    { dataframe_split: { columns: FEATURE_NAMES, data: values } },
    { dataframe_records: records },
    { instances: records },
    { instances: values },
    { inputs: Object.fromEntries(FEATURE_NAMES.map((k, j) => [k, values.map((r) => r[j])])) },
  ];
  for (const body of bodies) {
    const res = await post("/invocations", body);
    assert.equal(res.status, 200, Object.keys(body)[0]);
    assert.deepEqual((await res.json()).predictions, expected, Object.keys(body)[0]);
  }
  assert.equal(
    (await post("/invocations", "a,b\n1,2", { "content-type": "text/csv" })).status,
    415,
  );
});

Deno.test("transport errors: content type, size, depth, UTF-8, empty, method, path", async () => {
  const tooBig = createHandler({ model, limits: { maxBytes: 1000 } });
  const big = await tooBig.fetch(
    new Request("http://x/v1/predict", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ rows: new Array(100).fill(featuresObject(rowAt(0))) }),
    }),
  );
  assert.equal(big.status, 413);
  const cases: [Response, number][] = [
    [await post("/v1/predict", "{}", { "content-type": "text/plain" }), 415],
    [await post("/v1/predict", "[".repeat(10000) + "]".repeat(10000)), 400],
    [
      await post(
        "/v1/predict",
        new TextDecoder("latin1").decode(new Uint8Array([0x7b, 0xff, 0x7d])),
      ),
      400,
    ],
    [await post("/v1/predict", ""), 400],
    [await post("/v1/predict", '{"features": '), 400],
    [await post("/v1/predict", "[]"), 400],
    [await get("/v1/predict"), 405],
    [await get("/nope"), 404],
    [await post("/admin/reload", {}), 404],
  ];
  for (const [res, status] of cases) {
    const out = await res.json();
    assert.equal(res.status, status, JSON.stringify(out));
    assert.ok("error" in out && "field" in out && "expected" in out);
  }
  // Raw invalid UTF-8 bytes (the latin1 round trip above re-encodes them as valid UTF-8).
  const bad = await app.fetch(
    new Request("http://x/v1/predict", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: new Uint8Array([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d]),
    }),
  );
  assert.equal(bad.status, 400);
  assert.match((await bad.json()).error, /UTF-8/);
});

Deno.test("admin routes exist only with a token and check it", async () => {
  let reloads = 0;
  const admin = createHandler({
    model,
    adminToken: "s3cret-token",
    reload: () => {
      reloads++;
      return Promise.resolve(model);
    },
  });
  const call = (auth?: string) =>
    admin.fetch(
      new Request("http://x/admin/reload", {
        method: "POST",
        headers: auth ? { authorization: auth } : {},
      }),
    );
  assert.equal((await call()).status, 401);
  assert.equal((await call("Bearer wrong")).status, 401);
  assert.equal((await call("Bearer s3cret-token-longer")).status, 401);
  assert.equal(reloads, 0);
  const ok = await call("Bearer s3cret-token");
  assert.equal(ok.status, 200);
  assert.equal(reloads, 1);
  assert.equal((await ok.json()).version, "pm25:v1");
});

Deno.test("metrics: requests by route and status, latency, predictions, model info", async () => {
  const m = createHandler({ model });
  await m.fetch(new Request("http://x/health"));
  await m.fetch(
    new Request("http://x/v1/predict", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ features: featuresObject(rowAt(3)) }),
    }),
  );
  await m.fetch(new Request("http://x/nope"));
  const text = await (await m.fetch(new Request("http://x/metrics"))).text();
  assert.match(text, /aqlab_http_requests_total\{route="\/health",method="GET",status="200"\} 1\n/);
  assert.match(
    text,
    /aqlab_http_requests_total\{route="\/v1\/predict",method="POST",status="200"\} 1\n/,
  );
  assert.match(
    text,
    /aqlab_http_requests_total\{route="unmatched",method="GET",status="404"\} 1\n/,
  );
  assert.match(text, /aqlab_http_request_duration_seconds_count\{route="\/v1\/predict"\} 1\n/);
  assert.match(text, /aqlab_prediction_value_count 1\n/);
  assert.match(text, /aqlab_model_info\{name="pm25",version="pm25:v1",kind="gbdt"\} 1\n/);
  assert.match(text, /aqlab_model_ready 1\n/);
});

Deno.test("drift of recent inputs against the reference: none on training-like rows, drift on shifted ones", async () => {
  // Every request recomputes (the default answers a snapshot up to a minute old).
  const d = createHandler({ model, driftMinRows: 100, driftMaxAgeMs: 0 });
  const send = (rows: Record<string, number | null>[]) =>
    d.fetch(
      new Request("http://x/v1/predict", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ rows }),
      }),
    );
  const few = await (await d.fetch(new Request("http://x/v1/drift"))).json();
  assert.equal(few.verdict, "insufficient_data");
  await send(Array.from({ length: 200 }, (_, i) => featuresObject(rowAt(600 + i))));
  const same = await (await d.fetch(new Request("http://x/v1/drift"))).json();
  assert.equal(same.rows, 200);
  assert.equal(
    same.verdict,
    "no_drift",
    JSON.stringify(
      same.report.features.filter((f: { state: string }) => f.state === "drift").map((
        f: { feature: string },
      ) => f.feature),
    ),
  );
  const shifted = Array.from({ length: 5000 }, (_, i) => {
    const r = featuresObject(rowAt(i % 800));
    const shift = [...FEATURE_NAMES.slice(0, 6), ...FEATURE_NAMES.slice(17)];
    for (const k of shift) if (r[k] !== null) r[k] = 2 * r[k]! + 30;
    return r;
  });
  assert.equal((await send(shifted)).status, 200);
  const out = await (await d.fetch(new Request("http://x/v1/drift"))).json();
  assert.equal(out.verdict, "drift");
  // The one drift verdict's headline (src/drift; it was `nDrifted` of the textbook report).
  assert.ok(out.report.headline.n_drift >= 11);
  assert.match(
    await (await d.fetch(new Request("http://x/metrics"))).text(),
    /aqlab_drift_detected 1\n/,
  );
});

import assert from "node:assert/strict";
import { createHandler } from "../../src/serve/handler.ts";
import { loadModel } from "../../src/serve/model.ts";
import { LOG_PREFIX, loggedEntries, rowsPerPage } from "../../src/serve/prediction_log.ts";
import { FEATURE_NAMES } from "../../src/features/schema.ts";
import { featuresObject, writeTestPackage } from "./_package.ts";

const pkg = await writeTestPackage({ version: 3 });
const model = await loadModel(pkg.dir);
const F = FEATURE_NAMES.length;
const rowAt = (i: number) => pkg.X.data.slice(i * F, (i + 1) * F);

Deno.test("a burst of concurrent requests is logged completely, after the responses", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aqlab_kv_" });
  const kv = await Deno.openKv(`${dir}/log.kv`);
  try {
    const app = createHandler({ model, kv, logExpireIn: 3600_000 });
    const N = 300;
    const bodies = Array.from(
      { length: N },
      (_, i) =>
        i % 10 === 0
          ? { rows: Array.from({ length: 7 }, (_, k) => featuresObject(rowAt(i + k))) }
          : { features: featuresObject(rowAt(i)) },
    );
    const expectedRows = bodies.reduce((n, b) => n + (b.rows?.length ?? 1), 0);
    const responses = await Promise.all(bodies.map((b) =>
      app.fetch(
        new Request("http://x/v1/predict", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(b),
        }),
      ).then(async (r) => ({ status: r.status, body: await r.json() }))
    ));
    assert.ok(responses.every((r) => r.status === 200));
    // The responses did not wait for storage: something is still queued or in flight.
    assert.ok(app.log!.pending > 0 || app.log!.written < expectedRows);
    await app.flush();
    assert.equal(app.log!.written, expectedRows);
    assert.equal(app.log!.dropped, 0);
    const entries = await loggedEntries(kv);
    assert.equal(entries.length, expectedRows);
    const predictions = responses.flatMap((r) =>
      "predictions" in r.body
        ? r.body.predictions.map((p: { prediction: number }) => p.prediction)
        : [r.body.prediction]
    ).sort((a: number, b: number) => a - b);
    const logged = entries.map((e) => e.prediction).sort((a, b) => a - b);
    assert.deepEqual(logged, predictions);
    const e = entries[0]!;
    assert.equal(e.version, "pm25:v3");
    assert.equal(e.x.length, F);
    assert.equal(e.route, "/v1/predict");
    assert.ok(e.interval[0] <= e.prediction && e.prediction <= e.interval[1]);
    assert.ok(!Number.isNaN(Date.parse(e.time)));
    const metrics = await (await app.fetch(new Request("http://x/metrics"))).text();
    assert.match(metrics, new RegExp(`aqlab_prediction_log_written_total ${expectedRows}\\n`));

    // Drift reads the log: the same rows, through the same store.
    const drift = await (await app.fetch(new Request("http://x/v1/drift"))).json();
    assert.equal(drift.source, "prediction_log");
    assert.equal(drift.rows, expectedRows);
  } finally {
    kv.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("log entries are written with the retention (expireIn) given", async () => {
  // Local KV deletes expired keys lazily (minutes), so record what reaches the store.
  const sets: { key: Deno.KvKey; rows: number; expireIn: number | undefined }[] = [];
  const fakeKv = {
    atomic() {
      const op = {
        set(key: Deno.KvKey, v: unknown[], o?: { expireIn?: number }) {
          sets.push({ key, rows: v.length, expireIn: o?.expireIn });
          return op;
        },
        commit: () => Promise.resolve({ ok: true, versionstamp: "0" }),
      };
      return op;
    },
  } as unknown as Deno.Kv;
  const day = 24 * 3600 * 1000;
  const app = createHandler({ model, kv: fakeKv, logExpireIn: 7 * day });
  const res = await app.fetch(
    new Request("http://x/v1/predict", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ rows: [featuresObject(rowAt(0)), featuresObject(rowAt(1))] }),
    }),
  );
  assert.equal(res.status, 200);
  await app.flush();
  // The request's two rows share a page: one KV value.
  assert.deepEqual(sets.map((s) => [s.expireIn, s.rows]), [[7 * day, 2]]);
  assert.equal(sets[0]!.key[0], LOG_PREFIX);
  const byDefault = createHandler({ model, kv: fakeKv });
  sets.length = 0;
  await byDefault.fetch(
    new Request("http://x/v1/predict", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ features: featuresObject(rowAt(2)) }),
    }),
  );
  await byDefault.flush();
  assert.deepEqual(sets.map((s) => s.expireIn), [30 * day]);
});

Deno.test("a page of the log stays under Deno KV's 64 KiB per value, however wide the rows", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aqlab_kv_" });
  const kv = await Deno.openKv(`${dir}/log.kv`);
  try {
    for (const width of [1, 22, 500, 5000]) {
      const entry = {
        time: new Date(0).toISOString(),
        version: "pm25:v12",
        x: Array.from({ length: width }, (_, i) => (i % 7 === 0 ? null : i * 1.1e-3 + 123.456)),
        prediction: 1.5,
        interval: [0.5, 2.5] as [number, number],
        route: "/v2/models/pm25/versions/12/infer",
      };
      const rows = rowsPerPage(entry);
      const res = await kv.set(["page", width], Array.from({ length: rows }, () => entry));
      assert.ok(res.ok, `${width} features: a page of ${rows} rows is stored`);
      if (width <= 22) assert.ok(rows >= 32, `${width} features: ${rows} rows a page`);
    }
  } finally {
    kv.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a failing store loses entries but never a response", async () => {
  const fakeKv = {
    atomic() {
      const op = { set: () => op, commit: () => Promise.reject(new Error("disk full")) };
      return op;
    },
  } as unknown as Deno.Kv;
  const app = createHandler({ model, kv: fakeKv });
  const res = await app.fetch(
    new Request("http://x/v1/predict", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ features: featuresObject(rowAt(0)) }),
    }),
  );
  assert.equal(res.status, 200);
  await app.flush();
  assert.equal(app.log!.dropped, 1);
  assert.match(
    await (await app.fetch(new Request("http://x/metrics"))).text(),
    /aqlab_prediction_log_dropped_total 1\n/,
  );
});

/**
 * The findings of issue 17 (endpoint hardening), one test each, in process: metric labels
 * from client input, explain holding up other requests, drift computations, sessions kept
 * after reload, requests scored before they were fully checked, non-atomic promote, log keys
 * and modes, stalled bodies, row limits checked after building rows, and three smaller ones.
 * The socket deadlines are in http1_test.ts, signals and crashes in main_test.ts.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { createHandler, type ServeApp } from "../../src/serve/handler.ts";
import { type LoadedModel, loadModel } from "../../src/serve/model.ts";
import { configFromEnv, promoteAndLoad } from "../../src/serve/main.ts";
import { DriftMonitor, RecentRows } from "../../src/serve/drift_snapshot.ts";
import { type LogEntry, loggedEntries, PredictionLog } from "../../src/serve/prediction_log.ts";
import { readRegistryIndex } from "../../src/registry/store.ts";
import { calendar, deriveRow } from "../../src/features/derive.ts";
import { FEATURE_NAMES } from "../../src/features/schema.ts";
import {
  featuresObject,
  SAMPLE_OBSERVATION,
  STATIONS,
  type TestPackage,
  writeTestPackage,
} from "./_package.ts";

const pkg = await writeTestPackage();
const model = await loadModel(pkg.dir);
const F = FEATURE_NAMES.length;
const rowAt = (i: number) => featuresObject(pkg.X.data.slice(i * F, (i + 1) * F));
const valuesAt = (i: number) =>
  Array.from(pkg.X.data.slice(i * F, (i + 1) * F), (v) => (Number.isNaN(v) ? null : v));

function client(app: ServeApp) {
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    app.fetch(
      new Request(`http://localhost${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: typeof body === "string" ? body : JSON.stringify(body),
      }),
    );
  const get = (path: string) => app.fetch(new Request(`http://localhost${path}`));
  return { post, get };
}

/** A Deno KV stand-in that records the rows written; `hold` keeps commits pending until released. */
function recordingKv(options: { hold?: boolean; fail?: boolean } = {}) {
  const sets: { key: Deno.KvKey; value: LogEntry }[] = [];
  const held: (() => void)[] = [];
  const kv = {
    atomic() {
      const batch: typeof sets = [];
      const op = {
        // One record per logged row (a KV value holds a page of rows).
        set(key: Deno.KvKey, page: LogEntry[]) {
          for (const value of page) batch.push({ key, value });
          return op;
        },
        commit: () =>
          new Promise((resolve, reject) => {
            const finish = () => {
              if (options.fail) return reject(new Error("disk full"));
              sets.push(...batch);
              resolve({ ok: true, versionstamp: "0" });
            };
            if (options.hold) held.push(finish);
            else finish();
          }),
      };
      return op;
    },
    list() {
      const entries = sets.map((s) => ({ key: s.key, value: s.value, versionstamp: "0" }));
      return (async function* () {
        yield* entries.reverse();
      })();
    },
  } as unknown as Deno.Kv;
  return { kv, sets, release: () => held.splice(0).forEach((f) => f()) };
}

Deno.test("1. metric labels: odd methods and unknown paths fold into fixed label values", async () => {
  const app = createHandler({ model });
  for (let i = 0; i < 2000; i++) {
    const method = `X${i}${"M".repeat(1000)}`;
    const res = await app.fetch(new Request(`http://x/v1/predict?i=${i}`, { method }));
    assert.equal(res.status, 405);
    await res.body?.cancel();
    await (await app.fetch(new Request(`http://x/nowhere/${i}`))).body?.cancel();
  }
  const text = await (await client(app).get("/metrics")).text();
  assert.ok(text.length < 20_000, `/metrics is ${text.length} bytes`);
  assert.ok(!text.includes("MMMM") && !text.includes("nowhere"), "client text in a label");
  assert.match(
    text,
    /aqlab_http_requests_total\{route="unmatched",method="other",status="405"\} 2000\n/,
  );
  assert.match(
    text,
    /aqlab_http_requests_total\{route="unmatched",method="GET",status="404"\} 2000/,
  );
  assert.ok(app.metrics.requests.size <= 4, `${app.metrics.requests.size} request series`);
});

for (const mode of ["worker", "slices"] as const) {
  Deno.test(`2. explain (${mode}): a row cap, and other requests keep being answered meanwhile`, async () => {
    const app = createHandler({
      model,
      limits: { maxExplainRows: 60 },
      // Slices of one row: every row gives the event loop a turn.
      explain: { mode, sliceMs: 0, maxWaiting: 0 },
    });
    const { post } = client(app);
    const rows = Array.from({ length: 60 }, (_, i) => rowAt(i));
    const over = await post("/v1/predict?explain=true", { rows: [...rows, rowAt(61)] });
    assert.equal(over.status, 413);
    const overBody = await over.json();
    assert.equal(overBody.field, "rows");
    assert.match(overBody.expected, /at most 60 rows with explain=true/);
    // Without explain the batch limit is the usual one.
    assert.equal((await post("/v1/predict", { rows: [...rows, rowAt(61)] })).status, 200);

    let explained = false;
    const slow = post("/v1/predict?explain=true", { rows }).then(async (r) => {
      explained = true;
      return { status: r.status, body: await r.json() };
    });
    // A second explain while the lane is busy and its queue is full: 503, not a pile-up.
    const busy = await post("/v1/predict?explain=true", { rows: rows.slice(0, 2) });
    assert.equal(busy.status, 503);
    assert.equal(busy.headers.get("retry-after"), "1");
    assert.equal((await busy.json()).field, "explain");
    let answered = 0;
    while (!explained) {
      const r = await post("/v1/predict", { features: rowAt(answered % 800) });
      assert.equal(r.status, 200);
      await r.body?.cancel();
      answered++;
    }
    const done = await slow;
    assert.equal(done.status, 200);
    assert.equal(done.body.predictions.length, 60);
    assert.ok(answered >= 10, `only ${answered} other requests answered during the explanation`);
    // The same values wherever they were computed (SHAP adds up to the prediction).
    for (const p of done.body.predictions) {
      const sum = p.shap.expected_value +
        Object.values(p.shap.values as Record<string, number>).reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(sum - p.prediction) < 1e-3 * Math.max(1, Math.abs(p.prediction)));
    }
    await app.close();
  });
}

Deno.test("3. drift: a snapshot with its age, one computation shared, never waiting on the log", async () => {
  const { kv, release } = recordingKv({ hold: true });
  const app = createHandler({ model, kv, driftMinRows: 5, driftMaxAgeMs: 60_000 });
  const { post, get } = client(app);
  const res = await post("/v1/predict", { rows: Array.from({ length: 20 }, (_, i) => rowAt(i)) });
  assert.equal(res.status, 200);
  // The log's commit is stuck: drift and health still answer (they used to wait on a flush).
  const [a, b, c] = await Promise.all([get("/v1/drift"), get("/v1/drift"), get("/health")]);
  assert.equal(c.status, 200);
  const first = await a.json(), second = await b.json();
  assert.equal(a.status, 200, JSON.stringify(first));
  assert.equal(app.drift.computations, 1, "concurrent requests share one computation");
  assert.equal(first.computed_at, second.computed_at);
  assert.ok(first.age_seconds >= 0 && first.age_seconds < 60);
  assert.equal(first.source, "prediction_log");
  // Within the maximum age the snapshot is answered as it is, with a growing age.
  await new Promise((r) => setTimeout(r, 20));
  const third = await (await get("/v1/drift")).json();
  assert.equal(third.computed_at, first.computed_at);
  assert.ok(third.age_seconds > first.age_seconds);
  assert.equal(app.drift.computations, 1);
  release();
  await app.flush();

  // On a schedule: computed in the background, the request reads the result.
  const scheduled = createHandler({ model, driftMinRows: 5 });
  scheduled.startDriftSchedule(10);
  const deadline = Date.now() + 10_000;
  while (scheduled.drift.computations === 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.ok(scheduled.drift.computations > 0, "the schedule never computed");
  const n = scheduled.drift.computations;
  assert.equal((await client(scheduled).get("/v1/drift")).status, 200);
  assert.equal(scheduled.drift.computations, n, "the request used the scheduled snapshot");
  await scheduled.close();
});

Deno.test("3. drift: the verdict in the worker equals the verdict on the serving thread", async () => {
  const recent = new RecentRows(500, F);
  const x = pkg.X.data.slice(0, 300 * F);
  recent.add(x, new Float32Array(300).fill(40), 300, Date.UTC(2016, 2, 1));
  const [worker, inline] = [false, true].map((inlineMode) =>
    new DriftMonitor({
      metrics: createHandler({ model: null }).metrics,
      recent,
      minRows: 10,
      inline: inlineMode,
    })
  );
  const a = await worker!.answer(model), b = await inline!.answer(model);
  worker!.stop();
  assert.equal(a.rows, 300);
  assert.notEqual(a.report, null);
  assert.deepEqual(a.report, b.report);
  assert.equal(a.verdict, b.verdict);
});

Deno.test("4. reload releases the replaced model's session once its requests are done", async () => {
  const released: string[] = [];
  let n = 0;
  const fresh = async (): Promise<LoadedModel> => {
    const m = await loadModel(pkg.dir);
    const tag = `m${++n}`;
    const release = m.scorer.release.bind(m.scorer);
    m.scorer.release = () => {
      released.push(tag);
      return release();
    };
    return m;
  };
  const first = await fresh();
  const app = createHandler({ model: first, adminToken: "t", reload: fresh });
  const { post } = client(app);
  const reload = () => post("/admin/reload", "", { authorization: "Bearer t" });
  // A request in flight (its body still arriving) keeps its model until it is answered.
  let finish!: () => void;
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      const bytes = new TextEncoder().encode(JSON.stringify({ features: rowAt(1) }));
      c.enqueue(bytes.subarray(0, 10));
      finish = () => {
        c.enqueue(bytes.subarray(10));
        c.close();
      };
    },
  });
  const inFlight = app.fetch(
    new Request("http://x/v1/predict", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    }),
  );
  await new Promise((r) => setTimeout(r, 10));
  assert.equal((await reload()).status, 200);
  assert.equal(released.length, 0);
  finish();
  assert.equal((await inFlight).status, 200);
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(released.join(), "m1");
  for (let i = 0; i < 100; i++) {
    assert.equal((await reload()).status, 200);
    const r = await post("/v1/predict", { features: rowAt(i) });
    assert.equal(r.status, 200);
    await r.body?.cancel();
  }
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(released.length, 101, "every replaced model released, the served one kept");
  assert.ok(!released.includes(`m${n}`));
});

Deno.test("5. OIP v2: the whole request, outputs included, is checked before scoring or logging", async () => {
  const { kv, sets } = recordingKv();
  const app = createHandler({ model, kv });
  const { post } = client(app);
  const input = { name: "input", datatype: "FP32", shape: [3, F], data: [0, 1, 2].map(valuesAt) };
  for (let i = 0; i < 200; i++) {
    const res = await post("/v2/models/pm25/infer", {
      inputs: [input],
      outputs: [{ name: i % 2 ? "nope" : "predict" }, { name: 7 }],
    });
    assert.equal(res.status, 400);
    assert.equal((await res.json()).field, "outputs");
  }
  await app.flush();
  assert.equal(sets.length, 0, "rejected requests were logged");
  assert.equal(app.metrics.rows.get(), 0);
  assert.equal(app.metrics.predictions.count(), 0);
  const ok = await post("/v2/models/pm25/infer", {
    inputs: [input],
    outputs: [{ name: "predict" }],
  });
  assert.equal(ok.status, 200);
  await app.flush();
  assert.equal(sets.length, 3);
});

async function registryRoot(): Promise<{ root: string; packages: TestPackage[] }> {
  const root = await Deno.makeTempDir({ prefix: "aqlab_promote_" });
  const packages: TestPackage[] = [];
  for (const version of [1, 2, 3]) {
    packages.push(
      await writeTestPackage({ dir: join(root, `models/registry/pm25/v${version}`), version }),
    );
  }
  // v2 lost its model.onnx after registration.
  await Deno.remove(join(root, "models/registry/pm25/v2/model.onnx"));
  const versions = [1, 2, 3].map((version) => ({
    version,
    created: "2026-01-01T00:00:00Z",
    path: `models/registry/pm25/v${version}`,
    metrics: null,
    kind: "gbdt" as const,
  }));
  await Deno.writeTextFile(
    join(root, "models/registry.json"),
    JSON.stringify({
      version: 1,
      models: { pm25: { versions, aliases: { production: 1 }, history: [] } },
    }),
  );
  return { root, packages };
}

Deno.test("6. promote loads and checks the model before the alias moves; a failure changes nothing", async () => {
  const { root } = await registryRoot();
  try {
    const config = { ...configFromEnv(() => undefined), root: new URL(`file://${root}/`) };
    const v1 = await loadModel(join(root, "models/registry/pm25/v1"));
    const app = createHandler({
      model: v1,
      adminToken: "t",
      promote: (v, reason) => promoteAndLoad(config, v, reason),
    });
    const { post, get } = client(app);
    const promote = (version: unknown) =>
      post("/admin/promote", { version, reason: "test" }, { authorization: "Bearer t" });

    const broken = await promote(2);
    const body = await broken.json();
    assert.equal(broken.status, 409, JSON.stringify(body));
    assert.match(body.error, /v2/);
    assert.match(body.error, /model\.onnx/);
    assert.ok(!body.error.includes(root) && !body.error.includes("/tmp"), body.error);
    assert.equal((await readRegistryIndex(root)).models.pm25!.aliases.production, 1);
    assert.equal((await (await get("/ready")).json()).model_version, "pm25:v1");

    const unknown = await promote(9);
    assert.equal(unknown.status, 404);
    assert.ok(!(await unknown.text()).includes(root));

    const good = await promote(3);
    assert.equal(good.status, 200);
    assert.deepEqual(await good.json(), {
      promoted: true,
      previous: "pm25:v1",
      version: "pm25:v3",
    });
    const index = await readRegistryIndex(root);
    assert.equal(index.models.pm25!.aliases.production, 3);
    assert.equal(index.models.pm25!.history.at(-1)!.reason, "test");
    assert.equal((await (await get("/ready")).json()).model_version, "pm25:v3");
    assert.equal((await promote(3)).status, 409, "already production");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("7. log: keys unique per writer, sync answers wait for the commit, a failed one is a 503", async () => {
  // Two writers (two isolates) on one store in the same millisecond.
  const dir = await Deno.makeTempDir({ prefix: "aqlab_kv_" });
  const store = await Deno.openKv(`${dir}/log.kv`);
  try {
    const entry: LogEntry = {
      time: "2026-01-01T00:00:00Z",
      version: "pm25:v1",
      x: valuesAt(0),
      prediction: 1,
      interval: [0, 2],
      route: "/v1/predict",
    };
    const logs = [0, 1].map(() => new PredictionLog(store, { now: () => 1_000 }));
    for (const log of logs) log.push(Array.from({ length: 50 }, () => entry));
    await Promise.all(logs.map((l) => l.flush()));
    const n = (await loggedEntries(store)).length;
    assert.equal(n, 100, "entries of one writer overwrote the other's");
  } finally {
    store.close();
    await Deno.remove(dir, { recursive: true });
  }

  const held = recordingKv({ hold: true });
  const sync = createHandler({ model, kv: held.kv, logMode: "sync" });
  let answered = false;
  const pending = client(sync).post("/v1/predict", { features: rowAt(0) }).then((r) => {
    answered = true;
    return r;
  });
  for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 1));
  assert.equal(answered, false, "the sync answer did not wait for the commit");
  held.release();
  assert.equal((await pending).status, 200);
  assert.equal(held.sets.length, 1);

  // Async with a full queue: the answer waits for room instead of dropping rows.
  const slow = recordingKv({ hold: true });
  const paced = createHandler({ model, kv: slow.kv, logQueue: 2 });
  let pacedDone = false;
  const pacedAnswer = client(paced).post("/v1/predict", {
    rows: Array.from({ length: 5 }, (_, i) => rowAt(i)),
  }).then((r) => {
    pacedDone = true;
    return r;
  });
  for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 1));
  assert.equal(pacedDone, false, "a full async queue did not hold the answer");
  slow.release();
  assert.equal((await pacedAnswer).status, 200);
  await paced.flush();
  assert.equal(slow.sets.length, 5);
  assert.equal(paced.log!.dropped, 0);

  const failing = createHandler({ model, kv: recordingKv({ fail: true }).kv, logMode: "sync" });
  const res = await client(failing).post("/v1/predict", { features: rowAt(0) });
  assert.equal(res.status, 503);
  assert.match((await res.json()).error, /prediction log/);
  // The async default answers at once and counts the loss.
  const lossy = createHandler({ model, kv: recordingKv({ fail: true }).kv });
  assert.equal((await client(lossy).post("/v1/predict", { features: rowAt(0) })).status, 200);
  await lossy.flush();
  assert.equal(lossy.log!.dropped, 1);
});

Deno.test("8. a stalled body is given up after the body deadline (fetch adapter)", async () => {
  const app = createHandler({ model, limits: { bodyTimeoutMs: 100 } });
  let cancelled = false;
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(new TextEncoder().encode('{"features": {'));
    },
    cancel() {
      cancelled = true;
    },
  });
  const res = await app.fetch(
    new Request("http://x/v1/predict", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    }),
  );
  assert.equal(res.status, 408);
  assert.match((await res.json()).error, /did not arrive within 0.1 s/);
  assert.ok(cancelled, "the body stream was not cancelled");
});

Deno.test("9. row limits are checked before rows are built", async () => {
  const app = createHandler({ model });
  const { post } = client(app);
  // A million empty rows: turned away by the pass over the text, before JSON.parse.
  const million = `{"dataframe_split":{"columns":[],"data":[${"[],".repeat(999_999)}[]]}}`;
  const huge = await post("/invocations", million);
  const hugeBody = await huge.json();
  assert.equal(huge.status, 413, JSON.stringify(hugeBody));
  assert.match(hugeBody.error, /an array of more than/);
  // 5001 rows, the third malformed: the count answers first (it used to be the row).
  const data = Array.from({ length: 5001 }, (_, i) => (i === 2 ? [1] : valuesAt(i % 800)));
  const many = await post("/invocations", { dataframe_split: { columns: FEATURE_NAMES, data } });
  assert.equal(many.status, 413);
  assert.equal((await many.json()).field, "dataframe_split");
  // OIP: the shape says too many rows; refused before the data is flattened.
  const shaped = await post("/v2/models/pm25/infer", {
    inputs: [{ name: "input", datatype: "FP32", shape: [6000, F], data: [1] }],
  });
  assert.equal(shaped.status, 413);
  const columns = await post("/invocations", {
    inputs: Object.fromEntries(FEATURE_NAMES.map((n) => [n, new Array(5001).fill(1)])),
  });
  assert.equal(columns.status, 413);
});

Deno.test("10. outputs: [], OIP data nested unlike its shape, and year 0016", async () => {
  const app = createHandler({ model });
  const { post } = client(app);
  const two = [valuesAt(0), valuesAt(1)];
  const empty = await post("/v2/models/pm25/infer", {
    inputs: [{ name: "input", datatype: "FP32", shape: [2, F], data: two }],
    outputs: [],
  });
  assert.equal(empty.status, 400);
  assert.equal((await empty.json()).field, "outputs");
  const infer = (data: unknown, shape = [2, F]) =>
    post("/v2/models/pm25/infer", { inputs: [{ name: "input", datatype: "FP32", shape, data }] });
  const flat = await infer(two.flat());
  assert.equal(flat.status, 200);
  const nested = await (await infer(two)).json();
  assert.deepEqual(nested.outputs[0].data, (await flat.json()).outputs[0].data);
  for (
    const bad of [
      [two[0], [two[1]!.slice(0, 11), two[1]!.slice(11)]], // a row split in two
      [[two[0]], [two[1]]], // a level too deep
      [...two[0]!, two[1]], // flat and nested mixed
    ]
  ) {
    const res = await infer(bad);
    assert.equal(res.status, 400, JSON.stringify(bad).slice(0, 80));
    assert.equal((await res.json()).field, "inputs[0].data");
  }

  // 0016-03-05 is a Saturday, as 2016-03-05 (2000 years = 5 Gregorian cycles); 1916-03-05
  // was a Sunday.
  assert.deepEqual(calendar("0016-03-05T20:00"), { hour: 20, dow: 5, month: 3 });
  assert.deepEqual(calendar("1916-03-05T20:00"), { hour: 20, dow: 6, month: 3 });
  const y16 = deriveRow({ ...SAMPLE_OBSERVATION, time: "0016-03-05T20:00" }, {
    stations: STATIONS,
  });
  const y2016 = deriveRow(SAMPLE_OBSERVATION, { stations: STATIONS });
  assert.deepEqual(Array.from(y16), Array.from(y2016));
  const a = await (await post("/v1/predict", {
    observation: { ...SAMPLE_OBSERVATION, time: "0016-03-05T20:00" },
  })).json();
  const b = await (await post("/v1/predict", { observation: SAMPLE_OBSERVATION })).json();
  assert.equal(a.prediction, b.prediction);
});

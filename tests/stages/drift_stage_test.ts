/**
 * The drift stage end to end on a small workspace built with the pipeline's own library
 * (PRSA-layout CSV -> ingest -> clean -> features -> train/test by time) and a linear ONNX
 * candidate: default report on the test split, a batch with an unseen station, bad batches.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { all, lit, openDuck, writeParquet } from "../../src/data/duck.ts";
import { ingest, listRawFiles } from "../../src/data/ingest/ingest.ts";
import { PRSA } from "../../src/data/ingest/adapters.ts";
import { clean } from "../../src/data/clean.ts";
import { buildFeatures } from "../../src/features/build.ts";
import { FEATURE_NAMES } from "../../src/features/schema.ts";
import { exportLinear } from "../../src/onnx/linear.ts";
import { Pcg32 } from "../../src/gbdt/random.ts";
import { resolveParams } from "../../src/pipeline/config.ts";
import { runPipeline } from "../../src/pipeline/runner.ts";
import type { Stage } from "../../src/pipeline/stage.ts";
import driftStage from "../../pipeline/drift.ts";

const HEADER =
  `"No","year","month","day","hour","PM2.5","PM10","SO2","NO2","CO","O3","TEMP","PRES","DEWP","RAIN","wd","WSPM","station"`;
const WD = ["N", "NE", "E", "SE", "S", "SW", "W", "NW"];

/** Hourly PRSA-layout rows from `start` (UTC fields), `shift` added to PM2.5 and TEMP. */
function csv(station: string, start: Date, hours: number, seed: number, shift = 0): string {
  const rng = new Pcg32(seed, 7);
  const lines = [HEADER];
  let pm = 50;
  for (let h = 0; h < hours; h++) {
    const t = new Date(start.getTime() + h * 3_600_000);
    pm = Math.max(2, pm * 0.9 + 5 + 10 * (rng.nextFloat() - 0.5));
    const temp = 10 + 8 * Math.sin((2 * Math.PI * t.getUTCHours()) / 24) + 2 * rng.nextFloat();
    lines.push(
      [
        h + 1,
        t.getUTCFullYear(),
        t.getUTCMonth() + 1,
        t.getUTCDate(),
        t.getUTCHours(),
        (pm + shift).toFixed(0),
        (pm * 1.5 + shift).toFixed(0),
        (5 + 3 * rng.nextFloat()).toFixed(1),
        (30 + 10 * rng.nextFloat()).toFixed(1),
        (600 + 200 * rng.nextFloat()).toFixed(0),
        (50 + 20 * rng.nextFloat()).toFixed(0),
        (temp + shift / 5).toFixed(1),
        (1015 + 5 * rng.nextFloat()).toFixed(1),
        (-5 + 3 * rng.nextFloat()).toFixed(1),
        "0",
        `"${WD[Math.floor(rng.nextFloat() * 8)]}"`,
        (1 + 3 * rng.nextFloat()).toFixed(1),
        `"${station}"`,
      ].join(","),
    );
  }
  return lines.join("\n") + "\n";
}

const START = new Date(Date.UTC(2015, 0, 1));
const TEST_START = "2015-03-01";

/** A workspace with train/test splits, the features schema and a candidate package. */
async function workspace(): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "aqlab-drift-stage-" });
  const raw = join(root, "raw");
  await Deno.mkdir(raw);
  await Deno.writeTextFile(join(raw, "a.csv"), csv("Alpha", START, 24 * 90, 1));
  await Deno.writeTextFile(join(raw, "b.csv"), csv("Beta", START, 24 * 90, 2));
  const c = await openDuck();
  try {
    await ingest(c, {
      files: await listRawFiles(raw),
      adapter: PRSA,
      sourceName: "prsa",
      knownStations: null,
      rawOut: join(root, "tmp/raw.parquet"),
      rejectsOut: join(root, "tmp/rejects.parquet"),
    });
    await clean(c, {
      rawPath: join(root, "tmp/raw.parquet"),
      out: join(root, "tmp/clean.parquet"),
      fill: "carry_forward",
      maxFillHours: 3,
      stuckHours: 24,
    });
    const features = join(root, "data/processed/features.parquet");
    const { schema } = await buildFeatures(c, {
      cleanPath: join(root, "tmp/clean.parquet"),
      out: features,
      horizonHours: 1,
    });
    await Deno.writeTextFile(
      join(root, "data/processed/features.schema.json"),
      JSON.stringify(schema),
    );
    const f = lit(features);
    await writeParquet(
      c,
      `SELECT * FROM read_parquet(${f}) WHERE time < '${TEST_START}' AND pm25_next IS NOT NULL`,
      join(root, "data/processed/train.parquet"),
    );
    await writeParquet(
      c,
      `SELECT * FROM read_parquet(${f}) WHERE time >= '${TEST_START}' AND pm25_next IS NOT NULL`,
      join(root, "data/processed/test.parquet"),
    );
  } finally {
    c.closeSync();
  }
  // A persistence-like linear model: 0.9 × PM2.5 + 5, NaN imputed with 0.
  const w = FEATURE_NAMES.map((n) => (n === "PM2.5" ? 0.9 : 0));
  const pkg = join(root, "models/candidates/gbdt");
  await Deno.mkdir(pkg, { recursive: true });
  await Deno.writeFile(
    join(pkg, "model.onnx"),
    exportLinear(w, 5, [...FEATURE_NAMES], {}, { impute: w.map(() => 0) }),
  );
  await Deno.writeTextFile(
    join(pkg, "metadata.json"),
    JSON.stringify({
      name: "gbdt",
      version: null,
      kind: "gbdt",
      created: "2020-01-01T00:00:00.000Z",
      metrics: { test: { n: 1, rmse: 5, mae: 4, r2: 0.9, mape: 10, bias: 0, skill: null } },
    }),
  );
  return root;
}

const stage = { ...driftStage, after: [] } as unknown as Stage;

async function runDrift(root: string, sets: string[] = [], force = false) {
  const lines: string[] = [];
  await runPipeline([stage], {
    root,
    params: resolveParams([stage], null, sets),
    only: ["drift"],
    force,
    log: (l) => lines.push(l),
  });
  // deno-lint-ignore no-explicit-any
  const report: any = JSON.parse(await Deno.readTextFile(join(root, "reports/drift/latest.json")));
  return { report, lines };
}

async function readTable(path: string, sql = "SELECT * FROM t") {
  const c = await openDuck();
  try {
    await c.run(`CREATE VIEW t AS SELECT * FROM read_parquet(${lit(path)})`);
    return await all<Record<string, unknown>>(c, sql);
  } finally {
    c.closeSync();
  }
}

const root = await workspace();

Deno.test("drift stage: test split report with both verdicts, timeline, distributions, policy", async () => {
  const { report, lines } = await runDrift(root);
  assert.equal(report.current.kind, "test_split");
  assert.ok(report.current.rows > 1000 && report.reference.rows > 1000);
  assert.equal(report.verdict.default, "seasonal");
  assert.ok(
    report.verdict.whole_year.n_tested >= 20,
    `tested ${report.verdict.whole_year.n_tested}`,
  );
  assert.equal(typeof report.verdict.whole_year.dataset_drift, "boolean");
  // The test month (March) is absent from the training months (Jan, Feb): no seasonal verdict,
  // and the data-drift trigger falls back to the whole-year share.
  assert.equal(report.verdict.seasonal.drift_share, null);
  assert.equal(report.retraining.drift_basis, "whole_year");
  assert.equal(report.drift.nSeasonalReference, 0);
  assert.ok(report.notes.some((n: string) => /seasonal verdict unavailable/.test(n)));
  assert.equal(report.drift.wholeYear.prediction.status, "tested");
  assert.equal(report.drift.wholeYear.target.status, "tested");
  assert.equal(report.model.source, "candidate");
  // Release RMSE 5 vs a real RMSE: a degradation figure, compared with the 10% threshold.
  const t = Object.fromEntries(
    // deno-lint-ignore no-explicit-any
    report.retraining.triggers.map((x: any) => [x.name, x]),
  );
  assert.equal(t.data_drift.value, report.verdict.whole_year.drift_share);
  assert.equal(t.model_age.fired, true, "created 2020: older than 180 days");
  assert.equal(t.rmse_degradation.threshold, 10);
  assert.ok(Math.abs(t.rmse_degradation.value - (report.performance.rmse / 5 - 1) * 100) < 1e-9);
  assert.equal(report.retraining.retrain, true);
  assert.ok(lines.some((l) => /whole-year verdict/.test(l)), lines.join("\n"));

  const months = await readTable(
    join(root, "reports/drift/timeline.parquet"),
    "SELECT DISTINCT month FROM t ORDER BY month",
  );
  assert.deepEqual(months.map((m) => m.month), ["2015-03"]);
  const dist = await readTable(
    join(root, "reports/drift/distributions.parquet"),
    "SELECT source, sum(count)::INT AS n FROM t WHERE feature = 'TEMP' GROUP BY source ORDER BY source",
  );
  const n = Object.fromEntries(dist.map((r) => [r.source, r.n]));
  assert.equal(n.current, report.current.rows, "every current TEMP value is counted once");
  assert.equal(n.reference, report.reference.rows);
  assert.equal(n.seasonal_reference, undefined, "no seasonal rows, no seasonal histogram");
});

Deno.test("drift stage: a batch with an unseen station and shifted pollution, earlier reports kept", async () => {
  const batch = join(root, "batch");
  await Deno.mkdir(batch, { recursive: true });
  // January again (seasonal rows exist), one known and one unseen station, PM2.5 + 150.
  await Deno.writeTextFile(join(batch, "a.csv"), csv("Alpha", START, 24 * 20, 9, 150));
  await Deno.writeTextFile(join(batch, "z.csv"), csv("Zulu", START, 24 * 20, 10, 150));
  await new Promise((r) => setTimeout(r, 1100)); // a new timestamp for the report name
  const { report } = await runDrift(root, ["pipeline.current_dir=batch", "pipeline.source=prsa"]);
  assert.equal(report.current.kind, "batch");
  assert.deepEqual(report.current.batch.unseen_stations, ["Zulu"]);
  assert.equal(report.current.batch.error, null);
  assert.ok(report.notes.some((n: string) => /Zulu/.test(n)));
  assert.ok(report.drift.nSeasonalReference > 0);
  const seasonal = report.drift.seasonal;
  // deno-lint-ignore no-explicit-any
  const f = (name: string) => seasonal.features.find((x: any) => x.feature === name);
  assert.equal(f("PM2.5").drifted, true, "PM2.5 shifted by 150");
  assert.equal(f("station_code").status, "tested", "the known station's rows are still there");
  assert.ok(report.verdict.seasonal.drifted.includes("PM2.5"));
  assert.equal(report.drift.seasonal.prediction.drifted, true);
  const files = [...Deno.readDirSync(join(root, "reports/drift"))].map((e) => e.name);
  assert.equal(files.filter((n) => /^drift_.*\.json$/.test(n)).length, 2, files.join(", "));
});

Deno.test("drift stage: bad batches give a clear report, never a crash", async () => {
  const cases: [string, Record<string, string>, RegExp | null][] = [
    ["empty", {}, /has no CSV files/],
    ["three", { "a.csv": csv("Alpha", START, 3, 3) }, null],
    [
      "nocols",
      {
        "a.csv": csv("Alpha", START, 24 * 10, 4).split("\n").map((l) =>
          l.split(",").filter((_, j) => j !== 11 && j !== 12).join(",")
        ).join("\n"),
      },
      null,
    ],
    ["allunseen", { "q.csv": csv("Quebec", START, 24 * 10, 5) }, null],
  ];
  for (const [name, files, error] of cases) {
    const dir = join(root, `bad_${name}`);
    await Deno.mkdir(dir, { recursive: true });
    for (const [f, text] of Object.entries(files)) await Deno.writeTextFile(join(dir, f), text);
    const { report } = await runDrift(root, [
      `pipeline.current_dir=bad_${name}`,
      "pipeline.source=prsa",
    ]);
    const seasonal = report.drift.seasonal;
    // deno-lint-ignore no-explicit-any
    const f = (n: string) => seasonal.features.find((x: any) => x.feature === n);
    if (error) {
      assert.match(report.current.batch.error, error, name);
      assert.equal(report.verdict.seasonal.drift_share, null, name);
      assert.ok(report.notes.some((n: string) => error.test(n)), name);
    } else assert.equal(report.current.batch.error, null, name);
    if (name === "three") {
      assert.equal(report.current.rows, 3);
      assert.match(f("PM2.5").note, /at least 5 needed/);
    }
    if (name === "nocols") {
      assert.equal(f("TEMP").status, "not_run");
      assert.equal(f("PRES").status, "not_run");
      assert.equal(f("PM2.5").status, "tested");
    }
    if (name === "allunseen") {
      assert.equal(f("station_code").status, "not_run");
      assert.match(f("station_code").note, /Every batch station is unseen in training \(Quebec\)/);
      assert.equal(f("PM2.5").status, "tested", "station-free features still tested");
    }
  }
});

Deno.test("drift stage: the endpoint's prediction log as the current sample", async () => {
  const { PredictionLog } = await import("../../src/serve/prediction_log.ts");
  const { loadMatrix } = await import("../../src/data/load_matrix.ts");
  const { FEATURE_NAMES, TARGET } = await import("../../src/features/schema.ts");
  const c = await openDuck();
  const test = await loadMatrix(
    c,
    join(root, "data/processed/test.parquet"),
    FEATURE_NAMES,
    TARGET,
  );
  c.closeSync();
  const path = join(root, "log.kv");
  const kv = await Deno.openKv(path);
  const log = new PredictionLog(kv);
  const n = Math.min(400, test.X.nRows);
  for (let i = 0; i < n; i++) {
    const x = Array.from(
      test.X.data.subarray(i * test.X.nCols, (i + 1) * test.X.nCols),
      (v) => (Number.isNaN(v) ? null : v),
    );
    log.push([{
      time: new Date(test.time[i]!).toISOString(),
      version: "pm25:v1",
      x,
      prediction: 50,
      interval: [40, 60],
      route: "/v1/predict",
    }]);
  }
  await log.flush();
  kv.close();
  const { report } = await runDrift(root, ["pipeline.current_dir=log.kv"], true);
  assert.equal(report.current.kind, "prediction_log");
  assert.equal(report.current.rows, n, "every logged row is read");
  assert.equal(report.current.batch.error, null);
  assert.equal(report.current.labelled_rows, 0, "the log has no labels");
  // The log's months lie outside this small training period: the whole-year verdict tests them.
  // deno-lint-ignore no-explicit-any
  const pm = report.drift.wholeYear.features.find((x: any) => x.feature === "PM2.5");
  assert.equal(pm.status, "tested");
  assert.equal(pm.nCurrent, n);
  const missing = await runDrift(root, ["pipeline.current_dir=nothing_here.kv"], true);
  assert.match(missing.report.current.batch.error, /cannot read the prediction log/);
});

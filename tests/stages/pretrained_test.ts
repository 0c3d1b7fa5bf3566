/**
 * Pretrained mode (`--model FILE`) end to end on tiny synthetic data: the model becomes the
 * `pretrained` candidate, and evaluate, explain, register, drift and cards run on it as on
 * a trained one. Our own exported GBDT, the XGBoost fixture (a 15-feature subset, matched by
 * name), an XGBoost JSON model through the importer, a linear model (permutation
 * importance), a model whose inputs do not fit the schema, a production batch, drift
 * parameters honoured, and the artifact layout of a trained run.
 */
import assert from "node:assert/strict";
import { basename, join } from "node:path";
import { main } from "../../pipeline/main.ts";
import { all, lit, openDuck } from "../../src/data/duck.ts";
import type { FeatureMatrix } from "../../src/data/matrix.ts";
import { FEATURE_NAMES, TARGET } from "../../src/features/schema.ts";
import { loadSplit } from "../../src/tuning/load_split.ts";
import { train } from "../../src/gbdt/boost.ts";
import { exportTreeEnsemble } from "../../src/onnx/export.ts";
import { exportLinear } from "../../src/onnx/linear.ts";
import { createSession } from "../../src/onnx/session.ts";
import { importXgboostJson } from "../../src/gbdt/xgboost_import.ts";
import { importOnnx } from "../../src/onnx/import.ts";
import { matchInputs } from "../../src/pretrained/match_inputs.ts";
import { parsePretrained } from "../../src/pretrained/read_model.ts";
import { readPackage } from "../../src/registry/read_package.ts";

const TINY = [
  "--set",
  "synth.stations=2",
  "--set",
  "synth.years=1",
  "--set",
  "split.test_start=2013-12-01",
  "--set",
  "split.valid_months=2",
  "--set",
  "explain.rows=200",
  "--set",
  "explain.interaction_rows=40",
  "--set",
  "pretrained.reference_rows=500",
  "--set",
  "cards.bootstrap_resamples=50",
];

/** A temp workspace whose data stages already ran (shared by the tests below). */
const root = await Deno.makeTempDir({ prefix: "aqlab-pretrained-" });
globalThis.addEventListener("unload", () => Deno.removeSync(root, { recursive: true }));
// A workspace carries its governance documents; the cards stage reads them.
await Deno.mkdir(join(root, "governance"));
for (const f of ["risks.json", "AUDIT_CHECKLIST.md"]) {
  await Deno.copyFile(
    new URL(`../../governance/${f}`, import.meta.url),
    join(root, "governance", f),
  );
}
const prepared = main([
  "--only",
  "synth",
  "--only",
  "ingest",
  "--only",
  "clean",
  "--only",
  "features",
  "--only",
  "split",
  ...TINY,
], root);

async function runWith(model: string, ...extra: string[]): Promise<number> {
  assert.equal(await prepared, 0);
  return await main(["--model", model, ...TINY, ...extra], root);
}

async function readJson(rel: string) {
  return JSON.parse(await Deno.readTextFile(join(root, rel)));
}

async function query(rel: string, sql: string) {
  const c = await openDuck();
  try {
    return await all<Record<string, unknown>>(
      c,
      `WITH t AS (SELECT * FROM read_parquet(${lit(join(root, rel))})) ${sql}`,
    );
  } finally {
    c.closeSync();
  }
}

async function importanceMethod(): Promise<string> {
  const s = await readJson("reports/explain/summary.json");
  return s.method;
}

/** The project's XGBoost 1.7 fixture (tests/fixtures/README.md). */
const XGB_FIXTURE = new URL("../fixtures/xgb_pm25_small.json", import.meta.url);

Deno.test("pretrained mode: our own exported GBDT runs end to end and gets TreeSHAP and cards", async () => {
  assert.equal(await prepared, 0);
  const c = await openDuck();
  let onnx: Uint8Array;
  try {
    const tr = await loadSplit(c, join(root, "data/processed/train.parquet"), {
      features: FEATURE_NAMES,
      target: TARGET,
      label: "training",
    });
    const r = await train(tr.X, tr.y, { nEstimators: 15, maxDepth: 4, seed: 1 }, { threads: 1 });
    onnx = exportTreeEnsemble(r.model, {});
  } finally {
    c.closeSync();
  }
  const file = join(root, "own.onnx");
  await Deno.writeFile(file, onnx);
  assert.equal(await runWith(file), 0);
  const meta = await readJson("models/candidates/pretrained/metadata.json");
  assert.equal(meta.kind, "pretrained_tree");
  assert.equal(await importanceMethod(), "mean_abs_treeshap");
  const s = await readJson("reports/evaluation/summary.json");
  assert.deepEqual(Object.keys(s.candidates), ["pretrained"]);
  const rmse = s.candidates.pretrained.test.rmse;
  assert.ok(Number.isFinite(rmse) && rmse > 0);
  // The cards stage ran on the pretrained package: the card cites evaluate's files.
  const card = await readJson("reports/cards/model_card.json");
  assert.ok(card.sources.includes("reports/evaluation/summary.json"));
  const audit = await readJson("reports/cards/audit.json");
  assert.equal(audit.model.candidate, "pretrained");
  assert.ok(audit.items.length > 0);
  // Its lineage is complete: the data stages, then the stage that packaged it.
  const lineage = audit.items.find((i: { check: string }) => i.check === "lineage_complete");
  assert.equal(lineage.status, "pass", JSON.stringify(lineage.evidence));
  // Registered like a trained candidate; the package's lineage names its own stage.
  const last = await readJson("reports/registry/last.json");
  assert.equal(last.candidate, "pretrained");
  assert.ok("pretrained" in meta.lineage.stages && !("train" in meta.lineage.stages));
  // train never ran in this mode, and there is no second report folder.
  await assert.rejects(Deno.stat(join(root, "models/candidates/gbdt")));
  await assert.rejects(Deno.stat(join(root, "reports/score")));
});

Deno.test({
  name: "pretrained mode: the XGBoost fixture (15 of 22 features) is matched by name",
  async fn() {
    const json = JSON.parse(await Deno.readTextFile(XGB_FIXTURE));
    const model = importXgboostJson(json);
    const expected = JSON.parse(
      await Deno.readTextFile(new URL("xgb_pm25_small.expected.json", XGB_FIXTURE)),
    );
    model.featureNames = expected.feature_names;
    const file = join(root, "xgb.onnx");
    await Deno.writeFile(file, exportTreeEnsemble(model, {}));
    const m = matchInputs(importOnnx(await Deno.readFile(file)), FEATURE_NAMES);
    assert.equal(m.subset, true);
    assert.equal(m.columns.length, 15);
    assert.deepEqual(m.columns.map((j) => FEATURE_NAMES[j]), expected.feature_names);

    assert.equal(await runWith(file), 0);
    const meta = await readJson("models/candidates/pretrained/metadata.json");
    assert.equal(meta.params.subset, true);
    assert.equal(meta.params.features_used, 15);
    assert.equal(await importanceMethod(), "mean_abs_treeshap");
    // Features the model does not use get no attribution.
    const rows = await query(
      "reports/explain/importance.parquet",
      "SELECT feature, importance FROM t",
    );
    const unused = FEATURE_NAMES.filter((f) => !expected.feature_names.includes(f));
    for (const r of rows) if (unused.includes(r.feature as string)) assert.equal(r.importance, 0);
  },
});

Deno.test("pretrained mode: an XGBoost JSON model comes in through the importer and predicts as XGBoost did", async () => {
  const fixture = new URL("fixtures/xgb_pretrained.json", import.meta.url);
  const expected = JSON.parse(
    await Deno.readTextFile(new URL("fixtures/xgb_pretrained.expected.json", import.meta.url)),
  );
  const file = join(root, "xgb_model.json");
  await Deno.copyFile(fixture, file);
  assert.equal(await runWith(file), 0);
  const pkg = await readPackage(join(root, "models/candidates/pretrained"));
  assert.equal(pkg.metadata.kind, "pretrained_tree");
  assert.equal(pkg.metadata.params.source_format, "xgboost_json");
  assert.equal(pkg.metadata.params.covers, "from file");
  assert.equal(pkg.metadata.params.features_used, expected.feature_names.length);
  assert.equal(await importanceMethod(), "mean_abs_treeshap");

  // The packaged ONNX reads the full schema; XGBoost's rows placed by name score the same.
  const F = FEATURE_NAMES.length, rows = expected.rows as (number | null)[][];
  const data = new Float32Array(rows.length * F).fill(NaN);
  rows.forEach((r, i) =>
    r.forEach((v, k) => {
      data[i * F + FEATURE_NAMES.indexOf(expected.feature_names[k])] = v ?? NaN;
    })
  );
  const X: FeatureMatrix = { data, nRows: rows.length, nCols: F, names: [...FEATURE_NAMES] };
  const s = await createSession(pkg.onnx);
  try {
    const pred = await s.run(X);
    pred.forEach((p, i) => {
      const want = expected.prediction[i];
      assert.ok(
        Math.abs(p - want) <= 1e-4 * Math.max(1, Math.abs(want)),
        `row ${i}: ${p} vs ${want}`,
      );
    });
  } finally {
    await s.release();
  }
  // Evaluate checked the ONNX file against predict() of the package's trees.
  const summary = await readJson("reports/evaluation/summary.json");
  assert.ok(summary.onnx_parity.max_rel_diff <= summary.onnx_parity.tolerance);
  // A file that is neither says what was expected.
  assert.throws(
    () => parsePretrained(new Uint8Array(0), "model.pkl"),
    /Cannot read pretrained model "model\.pkl": expected a \.onnx file or an XGBoost \.json model/,
  );
  assert.throws(
    () => parsePretrained(new TextEncoder().encode('{"learner": {}}'), "m.json"),
    /Cannot read pretrained model "m\.json": Cannot import XGBoost model: missing field/,
  );
});

Deno.test("pretrained mode: a linear ONNX model gets permutation importance", async () => {
  const w = FEATURE_NAMES.map((n) => (n === "PM2.5" ? 0.8 : n === "pm25_lag1" ? 0.1 : 0));
  const file = join(root, "linear.onnx");
  await Deno.writeFile(
    file,
    exportLinear(w, 3, [...FEATURE_NAMES], {}, { impute: w.map(() => 50) }),
  );
  assert.equal(await runWith(file), 0);
  const meta = await readJson("models/candidates/pretrained/metadata.json");
  assert.equal(meta.kind, "pretrained_other");
  assert.equal(await importanceMethod(), "permutation_rmse_increase");
  const top = await query(
    "reports/explain/importance.parquet",
    "SELECT feature FROM t ORDER BY importance DESC LIMIT 1",
  );
  assert.equal(top[0]!.feature, "PM2.5");
  // Served from the very file it came in: the audit checks the bytes, not a parity figure.
  const audit = await readJson("reports/cards/audit.json");
  const parity = audit.items.find((i: { check: string }) => i.check === "onnx_parity");
  assert.equal(parity.status, "pass");
  assert.equal(parity.evidence.values.sha256, meta.params.source_sha256);
  // No trees: no model.json, and the SHAP tables keep their columns with no rows.
  await assert.rejects(Deno.stat(join(root, "models/candidates/pretrained/model.json")));
  const shap = await query("reports/explain/shap.parquet", "SELECT count(*)::INT AS n FROM t");
  assert.equal(shap[0]!.n, 0);
});

Deno.test("pretrained mode: inputs that do not match the schema fail with a clear error", async () => {
  // A linear model over 5 unnamed-in-schema features.
  const names = ["a", "b", "c", "d", "e"];
  const file = join(root, "bad.onnx");
  await Deno.writeFile(file, exportLinear([1, 1, 1, 1, 1], 0, names));
  assert.throws(
    () => matchInputs(importOnnx(Deno.readFileSync(file)), FEATURE_NAMES, "bad.onnx"),
    /Cannot use bad\.onnx with the feature schema: feature\(s\) "a", "b", "c", "d", "e" are not in the schema/,
  );
  // A linear model over a 3-feature subset: not a tree, so it cannot be rewired.
  const sub = join(root, "sub.onnx");
  await Deno.writeFile(sub, exportLinear([1, 1, 1], 0, ["PM2.5", "PM10", "TEMP"]));
  assert.throws(
    () => matchInputs(importOnnx(Deno.readFileSync(sub)), FEATURE_NAMES, "sub.onnx"),
    /not a tree ensemble, so it must take the schema's 22 features/,
  );
  // Through the pipeline, the run fails and says why.
  const errors: string[] = [];
  const orig = console.error;
  console.error = (...a: unknown[]) => errors.push(a.join(" "));
  try {
    assert.equal(await runWith(file), 1);
  } finally {
    console.error = orig;
  }
  assert.ok(errors.some((e) => e.includes("are not in the schema")), errors.join("\n"));
});

Deno.test("pretrained mode: drift honours drift.season and drift.retrain_*; a production batch is scored", async () => {
  // The raw files of one station, as a production batch (and as drift's current sample).
  const synth = join(root, "data/raw/synth");
  const csv = [...Deno.readDirSync(synth)].map((e) => e.name).filter((n) => n.endsWith(".csv"))
    .filter((n) => n !== "stations.csv").sort()[0]!;
  await Deno.mkdir(join(root, "prod"), { recursive: true });
  await Deno.copyFile(join(synth, csv), join(root, "prod", basename(csv)));
  assert.equal(
    await runWith(
      join(root, "xgb_model.json"),
      "--set",
      "drift.season=hour",
      "--set",
      "drift.retrain_drift_share=0.2",
      "--set",
      "drift.retrain_max_model_age_days=30",
      "--set",
      "score.production_dir=prod",
      "--current",
      "prod",
    ),
    0,
  );
  const d = await readJson("reports/drift/latest.json");
  assert.equal(d.settings.season, "hour");
  assert.equal(d.verdict.rule.season, "hour");
  assert.ok(d.verdict.windows.length > 0);
  for (const w of d.verdict.windows) assert.equal(w.comparison, "seasonal", w.window);
  assert.equal(d.retraining.policy.driftShare, 0.2);
  assert.equal(d.retraining.policy.maxModelAgeDays, 30);
  const trigger = d.retraining.triggers.find((t: { name: string }) => t.name === "data_drift");
  assert.equal(trigger.threshold, 0.2);
  assert.equal(d.current.kind, "batch");
  assert.equal(d.model.source, "production", "the registry's production version is monitored");

  const p = await readJson("reports/production/summary.json");
  assert.ok(p.rows > 100, `rows ${p.rows}`);
  assert.equal(p.batch.error, null);
  const rows = await query(
    "reports/production/predictions.parquet",
    "SELECT count(*)::INT AS n, count(DISTINCT candidate)::INT AS k, min(upper - lower) AS w FROM t",
  );
  assert.equal(rows[0]!.n, p.rows);
  assert.equal(rows[0]!.k, 1);
  assert.ok((rows[0]!.w as number) > 0, "every prediction has its interval");
});

/** Files (drift_<time>.json as one name), Parquet columns and report JSON keys under `dirs`. */
async function layout(dirs: string[]): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const dir of dirs) {
    for (
      const e of [...Deno.readDirSync(join(root, dir))].sort((a, b) => a.name < b.name ? -1 : 1)
    ) {
      if (!e.isFile) continue;
      const rel = `${dir}/${e.name.replace(/^drift_\d{8}T\d{6}Z\.json$/, "drift_<time>.json")}`;
      if (e.name.endsWith(".parquet")) {
        const cols = await query(`${dir}/${e.name}`, "SELECT * FROM (DESCRIBE SELECT * FROM t)");
        out[rel] = cols.map((c) => `${c.column_name} ${c.column_type}`);
      } else if (dir.startsWith("models/")) {
        // A package's metadata differs by origin (a trained model records its training).
        out[rel] = [];
      } else if (e.name.endsWith(".json")) {
        out[rel] = Object.keys(await readJson(`${dir}/${e.name}`)).sort();
      } else out[rel] = [];
    }
  }
  return out;
}

Deno.test("pretrained mode writes the artifact layout of a trained run", async () => {
  const reports = [
    "reports/evaluation",
    "reports/explain",
    "reports/drift",
    "reports/cards",
    "reports/registry",
  ];
  assert.equal(await runWith(join(root, "xgb_model.json")), 0);
  const pretrained = await layout([...reports, "models/candidates/pretrained"]);
  // The same workspace, trained: tune off and a small GBDT to keep it quick.
  assert.equal(
    await main([
      ...TINY,
      "--set",
      "tune.enabled=false",
      "--set",
      "train.n_estimators=20",
      "--set",
      "train.max_depth=3",
    ], root),
    0,
  );
  const trained = await layout([...reports, "models/candidates/gbdt"]);
  const rename = (o: Record<string, string[]>, from: string) =>
    Object.fromEntries(Object.entries(o).map(([k, v]) => [k.replace(from, "<candidate>"), v]));
  assert.deepEqual(
    rename(pretrained, "models/candidates/pretrained"),
    rename(trained, "models/candidates/gbdt"),
  );
  assert.ok(Object.keys(pretrained).length >= 25, Object.keys(pretrained).join(", "));
});

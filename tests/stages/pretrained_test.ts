/**
 * The inference-only pipeline (`--model FILE.onnx`) end to end on tiny synthetic data: our
 * own exported GBDT, the XGBoost fixture (a 15-feature subset, matched by name), a linear
 * model (permutation importance) and a model whose inputs do not fit the schema.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { main } from "../../pipeline/main.ts";
import { openDuck } from "../../src/data/duck.ts";
import { FEATURE_NAMES, TARGET } from "../../src/features/schema.ts";
import { loadSplit } from "../../src/tuning/load_split.ts";
import { train } from "../../src/gbdt/boost.ts";
import { exportTreeEnsemble } from "../../src/onnx/export.ts";
import { exportLinear } from "../../src/onnx/linear.ts";
import { importXgboostJson } from "../../src/gbdt/xgboost_import.ts";
import { importOnnx } from "../../src/onnx/import.ts";
import { matchInputs } from "../../src/pretrained/match_inputs.ts";
import { tempDir } from "../_temp.ts";

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
  "score.explain_rows=200",
  "--set",
  "score.reference_rows=500",
  "--set",
  "cards.bootstrap_resamples=50",
];

/** A temp workspace whose data stages already ran (shared by the tests below). */
const root = await tempDir("aqlab-pretrained-");
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

async function runWith(model: string): Promise<number> {
  assert.equal(await prepared, 0);
  return await main(["--model", model, ...TINY], root);
}

async function readJson(rel: string) {
  return JSON.parse(await Deno.readTextFile(join(root, rel)));
}

async function importanceMethod(): Promise<string> {
  const s = await readJson("reports/score/summary.json");
  return s.explanation;
}

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
  const s = await readJson("reports/score/summary.json");
  const rmse = s.candidates.pretrained.test.rmse;
  assert.ok(Number.isFinite(rmse) && rmse > 0);
  // The cards stage ran on the pretrained package: the card cites the score stage's files.
  const card = await readJson("reports/cards/model_card.json");
  assert.ok(card.sources.includes("reports/score/summary.json"));
  const audit = await readJson("reports/cards/audit.json");
  assert.equal(audit.model.candidate, "pretrained");
  assert.ok(audit.items.length > 0);
  // train / evaluate never ran in this mode.
  await assert.rejects(Deno.stat(join(root, "models/candidates/gbdt")));
});

Deno.test("pretrained mode: the XGBoost fixture (15 of 22 features) is matched by name", async () => {
  const json = JSON.parse(
    await Deno.readTextFile(
      new URL("../fixtures/xgb_pm25_small.json", import.meta.url),
    ),
  );
  const model = importXgboostJson(json);
  const expected = JSON.parse(
    await Deno.readTextFile(
      new URL("../fixtures/xgb_pm25_small.expected.json", import.meta.url),
    ),
  );
  model.featureNames = expected.feature_names;
  const file = join(root, "xgb.onnx");
  await Deno.writeFile(file, exportTreeEnsemble(model, {}));
  const m = matchInputs(importOnnx(await Deno.readFile(file)), FEATURE_NAMES);
  assert.equal(m.subset, true);
  assert.equal(m.columns.length, 15);
  assert.deepEqual(m.columns.map((j) => FEATURE_NAMES[j]), expected.feature_names);

  assert.equal(await runWith(file), 0);
  const s = await readJson("reports/score/summary.json");
  assert.equal(s.subset, true);
  assert.equal(s.features.length, 15);
  assert.equal(s.explanation, "mean_abs_treeshap");
  // Features the model does not use get no attribution.
  const c = await openDuck();
  try {
    const reader = await c.runAndReadAll(
      `SELECT feature, importance FROM read_parquet('${
        join(root, "reports/score/importance.parquet")
      }')`,
    );
    const rows = reader.getRowObjects() as { feature: string; importance: number }[];
    const unused = FEATURE_NAMES.filter((f) => !expected.feature_names.includes(f));
    for (const r of rows) if (unused.includes(r.feature)) assert.equal(r.importance, 0);
  } finally {
    c.closeSync();
  }
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
  const c = await openDuck();
  try {
    const reader = await c.runAndReadAll(
      `SELECT feature FROM read_parquet('${
        join(root, "reports/score/importance.parquet")
      }') ORDER BY importance DESC LIMIT 1`,
    );
    assert.equal((reader.getRowObjects()[0] as { feature: string }).feature, "PM2.5");
  } finally {
    c.closeSync();
  }
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
